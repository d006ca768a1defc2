"""Store entries for the store tests: `entry` by minute from T0 (the contract's), `make_entry` by number and time
(the search tests')."""

from __future__ import annotations

from loglens.model import MINUTE_MS, Entry

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in ms


def entry(
    minute: int = 0,
    *,
    level: str = "INFO",
    service: str = "api",
    user: str | None = None,
    received: int | None = None,
    message: str = "hello",
    metadata: dict[str, object] | None = None,
) -> Entry:
    ts = T0 + minute * MINUTE_MS
    return Entry(
        ts_ms=ts,
        received_ms=received if received is not None else ts,
        timestamp=f"ts-{minute}",
        level=level,
        service=service,
        message=message,
        user_id=user,
        metadata=metadata,
    )


M0 = T0 // MINUTE_MS
DAY = 1440  # minutes


BASE_MS = T0  # the received time of make_entry's entries


def make_entry(i: int, ts_ms: int, message: str | None = None, **kw: object) -> Entry:
    return Entry(
        ts_ms,
        BASE_MS + i,
        f"t{i}",
        str(kw.get("level", "INFO")),
        str(kw.get("service", "svc")),
        message or f"entry number {i}",
        kw.get("user_id"),  # type: ignore[arg-type]
        kw.get("metadata"),  # type: ignore[arg-type]
    )
