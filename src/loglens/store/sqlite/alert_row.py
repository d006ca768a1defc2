"""An `alerts` row of the SQLite store as an Alert (alerts.py writes them; the outbox queues them again)."""

from __future__ import annotations

from typing import Any

import orjson

from ..base import Alert


def alert_from_row(row: tuple[Any, ...]) -> Alert:
    # the columns in table order: migration 1's, then acked_at_ms and resolved_reason (6), group_key, labels (15)
    id_, rule, service, severity, message, value, threshold, state, fired, resolved, acked, reason, group, labels = row
    return Alert(
        id_,
        rule,
        service,
        severity,
        message,
        value,
        threshold,
        state,
        fired,
        resolved,
        acked,
        reason,
        group,
        orjson.loads(labels),
    )
