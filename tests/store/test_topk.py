"""Top users are approximate (each bucket keeps its biggest users, store/topk.py): their error, measured here
against the exact counts of the same entries, stays small for the users that matter."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from loglens.model import MINUTE_MS, Entry, iso_from_ms
from loglens.store.sqlite import SQLiteStore
from loglens.validation import StatsDelta

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
M0 = T0 // MINUTE_MS
SERVICES = 5
USERS = 2_000
KEPT = 50  # small, so that pruning happens a lot in a small test (production keeps 100)


def traffic(count: int, minutes: int) -> list[Entry]:
    """Log-uniform users (user-1 busiest, most users rare), spread over `minutes` minutes and SERVICES services."""
    rng = random.Random(11)
    out = []
    for i in range(count):
        ts = T0 + i * minutes * MINUTE_MS // count
        user = f"user-{int(USERS ** rng.random())}"
        out.append(Entry(ts, ts, iso_from_ms(ts), "INFO", f"svc-{rng.randrange(SERVICES)}", "m", user, None))
    return out


def compare(approx: list[tuple[str, int]], exact: Counter[str], top: int) -> tuple[float, float]:
    """(share of the exact top `top` users found in the approximate top `top`, worst relative count error among
    the exact top 5)."""
    wanted = [u for u, _ in exact.most_common(top)]
    got = dict(approx)
    recall = len(set(wanted) & set(list(got)[:top])) / top
    worst = max(abs(got.get(u, 0) - exact[u]) / exact[u] for u in wanted[:5])
    return recall, worst


@pytest.mark.slow
def test_top_users_stay_close_to_the_exact_answer_while_each_bucket_keeps_few(tmp_path: Path) -> None:
    entries = traffic(30_000, 120)
    store = SQLiteStore(str(tmp_path / "s.db"), top_users_kept=KEPT, prune_after_rows=500)
    try:
        for lo in range(0, len(entries), 250):  # many batches: many compactions
            batch = entries[lo : lo + 250]
            store.write(batch, StatsDelta(valid=len(batch)))
        cases = [(M0, M0 + 29, None), (M0 + 60, M0 + 119, "svc-1"), (M0, M0 + 119, None), (M0, M0 + 119, "svc-3")]
        for first, last, service in cases:
            exact = Counter(
                e.user_id
                for e in entries
                if e.user_id and first <= e.ts_ms // MINUTE_MS <= last and service in (None, e.service)
            )
            recall, worst = compare(store.top_users(first, last, 10, service), exact, 10)
            label = f"minutes {first - M0}..{last - M0} service {service}"
            # measured here: recall 1.0 everywhere; worst error 2.3% (all services, 30 min), 0% elsewhere.
            # With KEPT = 20 the per-service hour range lost 38% of a top-5 user: the README says so.
            assert recall >= 0.9, (label, recall)
            assert worst <= 0.05, (label, worst)
        # what is kept really is bounded: KEPT users per hour and service (+ the hour's total row), though far more
        # distinct users sent entries in each
        store.maintain()
        with store._read() as conn:  # a look at the table the bound is about
            kept = conn.execute(
                "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM rollup_user_hour GROUP BY hour, service)"
            ).fetchone()[0]
        users = {(e.ts_ms // MINUTE_MS // 60, e.service, e.user_id) for e in entries}
        assert kept <= KEPT + 1 < min(Counter((hour, service) for hour, service, _ in users).values())
    finally:
        store.close()
