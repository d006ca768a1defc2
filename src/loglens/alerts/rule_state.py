"""The state machine of one query rule, one state per group: ok ─► pending ─► firing ─► ok.

Pure: it takes the values of one evaluation and the time, and says what changes (events); the engine
(query_engine.py) stores the transitions and notifies. Time comes from the caller, so tests drive it with any clock.

- `for`: the condition must hold at every evaluation for that long before the alert fires (pending until then).
- no data (no value for a group, or a group seen before that is gone): `ok` counts as not holding, `fire` as
  holding, `keep` leaves the state as it is.
- repeat: while firing, notify again every `repeat_ms` (0: once).
- flapping: more than `flap_transitions` fire/resolve transitions within `flap_window_ms` mark the group flapping;
  the transition that makes it flapping notifies (once, saying so), later ones are stored but notify no one until
  the count falls back, when the current state is notified if it is not the one last notified.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

State = Literal["ok", "pending", "firing"]
NoData = Literal["ok", "fire", "keep"]
EventKind = Literal["fire", "resolve", "repeat", "settled"]


@dataclass
class GroupState:
    state: State = "ok"
    since_ms: int = 0  # when the current state began
    value: float | None = None
    alert_id: int | None = None  # the stored alert: firing, or the last one that resolved
    notified_ms: int | None = None  # last notification while firing
    notified_state: State | None = None  # the state the last notification told
    transitions: deque[int] = field(default_factory=deque)  # times of fire/resolve transitions, within the window
    flapping: bool = False


@dataclass(frozen=True)
class Event:
    kind: EventKind
    group: str
    value: float | None
    notify: bool  # whether anyone is told (False: stored only, while flapping)
    flapping: bool = False  # this transition made the group flapping (its one notification says so)
    no_data: bool = False
    state: State = "ok"  # the group's state after the event
    alert_id: int | None = None  # the group's stored alert when the event was made (a group may be forgotten after)


@dataclass
class RuleMachine:
    for_ms: int
    repeat_ms: int
    no_data: NoData
    flap_transitions: int
    flap_window_ms: int
    groups: dict[str, GroupState] = field(default_factory=dict)

    def step(self, now_ms: int, values: Mapping[str, float | None], holds: Callable[[float], bool]) -> list[Event]:
        """One evaluation: `values` has a value (None: no data) for each group the query answered; groups known
        from before and missing here have no data."""
        events: list[Event] = []
        for group in sorted(set(values) | set(self.groups)):
            value = values.get(group)
            current = self.groups.get(group)
            if current is None:
                current = self.groups[group] = GroupState(since_ms=now_ms)
            if value is None:
                if self.no_data == "keep":
                    events += self._repeat(group, current, now_ms, no_data=True)
                    continue
                condition = self.no_data == "fire"
            else:
                condition = holds(value)
            current.value = value
            events += self._advance(group, current, condition, now_ms, no_data=value is None)
            if current.state == "ok" and not current.transitions and not current.flapping:
                del self.groups[group]  # nothing to remember: keeps the map as small as the groups that matter
        return events

    def _advance(self, group: str, g: GroupState, condition: bool, now_ms: int, *, no_data: bool) -> list[Event]:
        self._prune(g, now_ms)
        if condition:
            if g.state == "ok":
                g.state, g.since_ms = "pending", now_ms
            if g.state == "pending" and now_ms - g.since_ms >= self.for_ms:
                return [self._transition(group, g, "firing", now_ms, no_data)]
            if g.state == "firing":
                return self._settle(group, g, now_ms, no_data) or self._repeat(group, g, now_ms, no_data=no_data)
            return []
        if g.state == "pending":
            g.state, g.since_ms = "ok", now_ms
            return self._settle(group, g, now_ms, no_data)
        if g.state == "firing":
            return [self._transition(group, g, "ok", now_ms, no_data)]
        return self._settle(group, g, now_ms, no_data)

    def _transition(self, group: str, g: GroupState, to: State, now_ms: int, no_data: bool) -> Event:
        g.state, g.since_ms = to, now_ms
        g.transitions.append(now_ms)
        self._prune(g, now_ms)
        started = False
        if len(g.transitions) > self.flap_transitions:
            started = not g.flapping
            g.flapping = True
        else:
            g.flapping = False
        notify = started or not g.flapping
        if notify:
            g.notified_state = to
            g.notified_ms = now_ms
        kind: EventKind = "fire" if to == "firing" else "resolve"
        return Event(kind, group, g.value, notify, flapping=started, no_data=no_data, state=to, alert_id=g.alert_id)

    def _settle(self, group: str, g: GroupState, now_ms: int, no_data: bool) -> list[Event]:
        """A flapping group whose transitions fell back within bounds: tell its state if the last notification
        told another."""
        if not g.flapping or len(g.transitions) > self.flap_transitions:
            return []
        g.flapping = False
        told: State = "firing" if g.state == "firing" else "ok"
        if g.notified_state == told or (g.notified_state is None and told == "ok"):
            return []
        g.notified_state = told
        g.notified_ms = now_ms
        return [Event("settled", group, g.value, True, no_data=no_data, state=g.state, alert_id=g.alert_id)]

    def _repeat(self, group: str, g: GroupState, now_ms: int, *, no_data: bool) -> list[Event]:
        if g.state != "firing" or g.flapping or self.repeat_ms <= 0:
            return []
        if g.notified_ms is not None and now_ms - g.notified_ms < self.repeat_ms:
            return []
        g.notified_ms = now_ms
        g.notified_state = "firing"
        return [Event("repeat", group, g.value, True, no_data=no_data, state="firing", alert_id=g.alert_id)]

    def _prune(self, g: GroupState, now_ms: int) -> None:
        while g.transitions and g.transitions[0] <= now_ms - self.flap_window_ms:
            g.transitions.popleft()

    # -- reconciling with the stored alerts (a restart, another node, a resolved retired service) ----------------

    def adopt(self, group: str, alert_id: int, fired_at_ms: int, value: float | None) -> None:
        """A stored firing alert this machine does not know as firing: take it as firing since it fired."""
        g = self.groups.setdefault(group, GroupState())
        if g.state != "firing":
            g.state, g.since_ms, g.value = "firing", fired_at_ms, value
            g.notified_ms, g.notified_state = fired_at_ms, "firing"
        g.alert_id = alert_id

    def forget_firing(self, group: str, now_ms: int) -> None:
        """The stored alert is no longer firing (resolved elsewhere): the group starts over."""
        g = self.groups.get(group)
        if g is not None and g.state == "firing":
            g.state, g.since_ms, g.alert_id = "ok", now_ms, None
            g.notified_state = "ok"

    def state_of(self, group: str) -> State:
        g = self.groups.get(group)
        return "ok" if g is None else g.state
