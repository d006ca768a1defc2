"""Background jobs as plain functions (tests call them directly) and the APScheduler that runs them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from .alerts.engine import AlertEngine
from .alerts.query_engine import QueryRuleEngine
from .config import AlertingSettings, StorageSettings
from .store import Maintenance

log = logging.getLogger(__name__)

RETENTION_INTERVAL_SECONDS = 600
RULES_TICK_SECONDS = 1.0  # how often the query rules' schedules are looked at (a rule's `every` is at least 1 s)
# APScheduler's executor logs "Running job" and "executed successfully" at INFO for every run: two lines every
# check_interval_seconds; its scheduler logs six lines at INFO as each worker starts ("Adding job tentatively",
# "Added job", "Scheduler started") and one as it stops. A user needs none of them: those records are demoted to
# DEBUG (warnings and failures keep their level).
EXECUTOR_LOGGER = "apscheduler.executors.default"
SCHEDULER_LOGGER = "apscheduler.scheduler"


class JobRunsAtDebug(logging.Filter):
    """Demote APScheduler's INFO records to DEBUG, shown only when DEBUG is enabled for that logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def quiet_job_runs() -> None:
    for name in (EXECUTOR_LOGGER, SCHEDULER_LOGGER):
        logger = logging.getLogger(name)
        if not any(isinstance(f, JobRunsAtDebug) for f in logger.filters):
            logger.addFilter(JobRunsAtDebug())


def check_alerts(engine: AlertEngine) -> int:
    """Evaluate every rule for every service: fires service_down, resolves what has cleared."""
    return len(engine.check_all())


def evaluate_rules(rules: QueryRuleEngine) -> int:
    """Evaluate the alert rules whose time has come: each query rule on its `every`, the built-in rules every
    alerting.check_interval_seconds."""
    return len(rules.tick())


def maintain_store(store: Maintenance) -> int:
    """Upkeep of the store's derived data (compacting the user rollups), so readers never wait on it."""
    store.maintain()
    return 0


def apply_retention(store: Maintenance, retention_days: float, clock: Callable[[], float]) -> int:
    """Retention and max_logs, on the elected node only (every node runs the job; the others skip it)."""
    if not store.is_leader():
        return 0
    cutoff_ms = int((clock() - retention_days * 86400) * 1000)
    return store.apply_retention(cutoff_ms)


def start_scheduler(
    engine: AlertEngine,
    store: Maintenance,
    alerting: AlertingSettings,
    storage: StorageSettings,
    clock: Callable[[], float],
    rules: QueryRuleEngine | None = None,
) -> BackgroundScheduler:
    quiet_job_runs()
    scheduler = BackgroundScheduler(daemon=True, job_defaults={"coalesce": True, "max_instances": 1})
    jobs: list[tuple[Callable[..., int], float, list[Any], str]] = [
        (maintain_store, alerting.check_interval_seconds, [store], "maintain_store"),
        (apply_retention, RETENTION_INTERVAL_SECONDS, [store, storage.retention_days, clock], "retention"),
    ]
    if rules is not None:  # a tick that runs long is skipped (max_instances=1), never queued; it runs the built-in
        jobs.append((evaluate_rules, RULES_TICK_SECONDS, [rules], "evaluate_rules"))  # rules when they are due
    if rules is None or rules.builtin is None:
        jobs.append((check_alerts, alerting.check_interval_seconds, [engine], "check_alerts"))
    for fn, seconds, args, name in jobs:
        scheduler.add_job(_logged(fn), "interval", seconds=seconds, args=args, id=name)
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
