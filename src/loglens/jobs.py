"""Background jobs as plain functions (tests call them directly) and the APScheduler that runs them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from .alerts.engine import AlertEngine
from .store import Maintenance

log = logging.getLogger(__name__)

RETENTION_INTERVAL_SECONDS = 600


def check_alerts(engine: AlertEngine) -> int:
    """Evaluate every rule for every service: fires service_down, resolves what has cleared."""
    return len(engine.check_all())


def apply_retention(store: Maintenance, retention_days: float, clock: Callable[[], float]) -> int:
    """Retention and max_logs, on the elected node only (every node runs the job; the others skip it)."""
    if not store.is_leader():
        return 0
    cutoff_ms = int((clock() - retention_days * 86400) * 1000)
    return store.apply_retention(cutoff_ms)


def start_scheduler(
    engine: AlertEngine, store: Maintenance, config: dict[str, dict[str, Any]], clock: Callable[[], float]
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(daemon=True, job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(
        _logged(check_alerts),
        "interval",
        seconds=config["alerting"]["check_interval_seconds"],
        args=[engine],
        id="check_alerts",
    )
    scheduler.add_job(
        _logged(apply_retention),
        "interval",
        seconds=RETENTION_INTERVAL_SECONDS,
        args=[store, config["storage"]["retention_days"], clock],
        id="retention",
    )
    scheduler.start()
    return scheduler


def _logged(fn: Callable[..., int]) -> Callable[..., None]:
    def run(*args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("background job %s failed", fn.__name__)

    run.__name__ = fn.__name__
    return run
