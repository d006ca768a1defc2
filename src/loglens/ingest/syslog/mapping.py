"""A parsed syslog message as a LogLens entry (a dict in the log schema; the validator judges it).

- service: APP-NAME (RFC 5424) or TAG (RFC 3164); without one, DEFAULT_SERVICE.
- level: the severity, 0-2 (emerg, alert, crit) CRITICAL, 3 ERROR, 4 WARNING, 5-6 (notice, info) INFO, 7 DEBUG.
- timestamp: the message's own, else the arrival time.
- metadata: hostname, procid, msgid, facility (its name) and the structured data (`structured_data`:
  SD-ID -> {param: value}); fields the message leaves out (NILVALUE) are left out.
- A message body that is a JSON object is read as a Loki line is: `message` (or `msg`) is the message, `level`
  (the usual spellings: err, warn, fatal, crit, numeric syslog severities) overrides the severity, `user_id` is
  the user, every other key goes into metadata (the syslog fields above win a clash).
"""

from __future__ import annotations

from typing import Any

import orjson

from ..levels import SYSLOG_SEVERITIES, normalize_level
from .parse import SyslogMessage, facility_name

DEFAULT_SERVICE = "syslog"


def to_entry(msg: SyslogMessage, received_iso: str) -> dict[str, Any]:
    """The entry for `msg`; `received_iso` (RFC 3339) is its timestamp when the message has none."""
    metadata: dict[str, Any] = {}
    entry: dict[str, Any] = {
        "timestamp": msg.timestamp or received_iso,
        "level": SYSLOG_SEVERITIES[msg.severity],
        "service": msg.app_name or DEFAULT_SERVICE,
        "message": msg.message,
    }
    body = msg.message.strip()
    if body[:1] == "{" and body[-1:] == "}":
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError:
            decoded = None
        if isinstance(decoded, dict):
            _merge_json(entry, metadata, decoded)
    if not entry["message"] and msg.structured_data:  # an event told in structured data alone
        entry["message"] = orjson.dumps(msg.structured_data).decode()
    for key, value in (
        ("hostname", msg.hostname),
        ("procid", msg.procid),
        ("msgid", msg.msgid),
        ("facility", facility_name(msg.facility)),
    ):
        if value is not None:
            metadata[key] = value
    if msg.structured_data:
        metadata["structured_data"] = msg.structured_data
    entry["metadata"] = metadata
    return entry


def _merge_json(entry: dict[str, Any], metadata: dict[str, Any], body: dict[str, Any]) -> None:
    rest = dict(body)
    for key in ("message", "msg"):
        if isinstance(rest.get(key), str):
            entry["message"] = rest.pop(key)
            break
    level = normalize_level(rest.get("level"))
    if level is not None:
        entry["level"] = level
        del rest["level"]
    if isinstance(rest.get("user_id"), str):
        entry["user_id"] = rest.pop("user_id")
    metadata.update(rest)
