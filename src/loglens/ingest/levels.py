"""Level spellings shippers send, mapped onto our five levels.

Names are matched in any case: `trace`/`dbg` are DEBUG; `notice`/`informational` INFO; `warn` WARNING;
`err` ERROR; `crit`, `fatal`, `alert`, `emerg`, `panic` CRITICAL. A number (or a string of one digit) is a
syslog severity: 0-2 CRITICAL, 3 ERROR, 4 WARNING, 5-6 INFO, 7 DEBUG. Anything else is not a level (None).
"""

from __future__ import annotations

from typing import Any

NAMES = {
    "debug": "DEBUG",
    "dbg": "DEBUG",
    "trace": "DEBUG",
    "info": "INFO",
    "information": "INFO",
    "informational": "INFO",
    "notice": "INFO",
    "warn": "WARNING",
    "warning": "WARNING",
    "err": "ERROR",
    "error": "ERROR",
    "crit": "CRITICAL",
    "critical": "CRITICAL",
    "fatal": "CRITICAL",
    "alert": "CRITICAL",
    "emerg": "CRITICAL",
    "emergency": "CRITICAL",
    "panic": "CRITICAL",
}
SYSLOG_SEVERITIES = ("CRITICAL", "CRITICAL", "CRITICAL", "ERROR", "WARNING", "INFO", "INFO", "DEBUG")


def normalize_level(value: Any) -> str | None:
    """Our level for `value`, or None when it names none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return SYSLOG_SEVERITIES[value] if 0 <= value <= 7 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) == 1 and text in "01234567":
        return SYSLOG_SEVERITIES[int(text)]
    return NAMES.get(text.lower())
