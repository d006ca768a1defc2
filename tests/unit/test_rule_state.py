"""The query rule state machine (alerts/rule_state.py) driven by a clock the test moves: firing, `for`, resolve,
repeat, flapping and the three no-data modes."""

from __future__ import annotations

from collections.abc import Mapping

from loglens.alerts.rule_spec import Condition
from loglens.alerts.rule_state import Event, NoData, RuleMachine

SECOND = 1000
ABOVE_10 = Condition(">", 10).holds


def machine(*, for_s: int = 0, repeat_s: int = 0, no_data: NoData = "ok", flaps: int = 100) -> RuleMachine:
    return RuleMachine(
        for_ms=for_s * SECOND,
        repeat_ms=repeat_s * SECOND,
        no_data=no_data,
        flap_transitions=flaps,
        flap_window_ms=3600 * SECOND,
    )


class Clock:
    def __init__(self) -> None:
        self.ms = 1_767_225_600_000

    def step(self, m: RuleMachine, values: Mapping[str, float | None], seconds: int = 30) -> list[Event]:
        self.ms += seconds * SECOND
        return m.step(self.ms, values, ABOVE_10)


def kinds(events: list[Event]) -> list[tuple[str, str, bool]]:
    return [(e.kind, e.group, e.notify) for e in events]


def test_a_rule_without_for_fires_at_the_first_evaluation_over_the_threshold_and_resolves_under_it() -> None:
    m, clock = machine(), Clock()
    assert clock.step(m, {"": 5}) == []
    assert kinds(clock.step(m, {"": 11})) == [("fire", "", True)]
    assert clock.step(m, {"": 12}) == []  # still firing: no second notification (repeat is off)
    assert kinds(clock.step(m, {"": 10})) == [("resolve", "", True)]  # 10 is not > 10


def test_for_keeps_the_group_pending_until_the_condition_held_that_long() -> None:
    m, clock = machine(for_s=90), Clock()
    assert clock.step(m, {"": 20}) == [] and m.state_of("") == "pending"
    assert clock.step(m, {"": 20}) == []  # 30 s held
    assert clock.step(m, {"": 20}) == []  # 60 s held
    assert kinds(clock.step(m, {"": 20})) == [("fire", "", True)]  # 90 s held
    assert m.state_of("") == "firing"


def test_a_dip_while_pending_starts_the_for_period_again() -> None:
    m, clock = machine(for_s=60), Clock()
    clock.step(m, {"": 20})
    clock.step(m, {"": 1})
    assert m.state_of("") == "ok"
    assert clock.step(m, {"": 20}) == [] and clock.step(m, {"": 20}) == []
    assert kinds(clock.step(m, {"": 20})) == [("fire", "", True)]


def test_repeat_notifies_again_while_firing_every_repeat_interval() -> None:
    m, clock = machine(repeat_s=60), Clock()
    assert kinds(clock.step(m, {"": 20})) == [("fire", "", True)]
    assert clock.step(m, {"": 20}) == []  # 30 s
    assert kinds(clock.step(m, {"": 20})) == [("repeat", "", True)]  # 60 s
    assert clock.step(m, {"": 20}) == []
    assert kinds(clock.step(m, {"": 20})) == [("repeat", "", True)]


def test_no_data_ok_resolves_a_firing_group() -> None:
    m, clock = machine(no_data="ok"), Clock()
    clock.step(m, {"": 20})
    events = clock.step(m, {"": None})
    assert kinds(events) == [("resolve", "", True)] and events[0].no_data


def test_no_data_fire_fires_after_for_and_stays_firing() -> None:
    m, clock = machine(no_data="fire", for_s=30), Clock()
    assert clock.step(m, {"": None}) == [] and m.state_of("") == "pending"
    events = clock.step(m, {"": None})
    assert kinds(events) == [("fire", "", True)] and events[0].value is None
    assert clock.step(m, {"": None}) == [] and m.state_of("") == "firing"


def test_no_data_keep_leaves_firing_and_pending_as_they_are() -> None:
    m, clock = machine(no_data="keep", for_s=60), Clock()
    clock.step(m, {"a": 20, "b": 20})
    assert m.state_of("a") == "pending"
    assert clock.step(m, {}) == []  # both groups vanish: kept
    assert m.state_of("a") == "pending" and m.state_of("b") == "pending"
    clock.step(m, {"a": 20, "b": 20}, seconds=60)
    assert m.state_of("a") == "firing"
    assert clock.step(m, {"b": 20}) == [] and m.state_of("a") == "firing"


def test_a_group_that_vanishes_resolves_under_no_data_ok_and_others_keep_their_state() -> None:
    m, clock = machine(), Clock()
    assert sorted(kinds(clock.step(m, {"service=a": 20, "service=b": 30}))) == [
        ("fire", "service=a", True),
        ("fire", "service=b", True),
    ]
    assert kinds(clock.step(m, {"service=b": 30})) == [("resolve", "service=a", True)]
    assert m.state_of("service=b") == "firing"


def test_flapping_notifies_once_when_it_starts_then_only_when_it_settles() -> None:
    m, clock = machine(flaps=3), Clock()
    told = []
    for value in (20, 1, 20):  # three transitions: within the bound, each notifies
        told += kinds(clock.step(m, {"": value}))
    assert told == [("fire", "", True), ("resolve", "", True), ("fire", "", True)]
    events = clock.step(m, {"": 1})  # the fourth: flapping starts, notified once, saying so
    assert kinds(events) == [("resolve", "", True)] and events[0].flapping
    later = [e for v in (20, 1, 20) for e in clock.step(m, {"": v})]
    assert [e.kind for e in later] == ["fire", "resolve", "fire"] and not any(e.notify for e in later)
    # an hour on, the transitions leave the window: it settles and tells the state it is in (firing)
    settled = clock.step(m, {"": 20}, seconds=3600)
    assert kinds(settled) == [("settled", "", True)] and settled[0].state == "firing"


def test_groups_that_are_ok_and_calm_are_forgotten() -> None:
    m, clock = machine(), Clock()
    clock.step(m, {f"service=s{i}": 1 for i in range(50)})
    assert m.groups == {}


def test_condition_operators_compare_as_written() -> None:
    assert Condition(">", 10).holds(11) and not Condition(">", 10).holds(10)
    assert Condition(">=", 10).holds(10) and not Condition(">=", 10).holds(9.99)
    assert Condition("<", 10).holds(9) and not Condition("<", 10).holds(10)
    assert Condition("<=", 10).holds(10) and not Condition("<=", 10).holds(10.01)


def test_adopting_a_stored_firing_alert_makes_the_group_firing_and_resolving_it_elsewhere_forgets_it() -> None:
    m, clock = machine(), Clock()
    m.adopt("service=a", 7, clock.ms, 20)
    assert m.state_of("service=a") == "firing" and m.groups["service=a"].alert_id == 7
    assert clock.step(m, {"service=a": 30}) == []  # firing already: no new fire
    m.forget_firing("service=a", clock.ms)
    assert kinds(clock.step(m, {"service=a": 30})) == [("fire", "service=a", True)]
