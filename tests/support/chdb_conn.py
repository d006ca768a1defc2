"""The ClickHouse store's Connection over chdb: current ClickHouse (26.x) embedded in this process.

CI runs Debian's 18.16 server; users run current releases. chdb lets the contract suite check the same DDL and
queries against ClickHouse 26.9 without a second server. Parameters are rendered as literals here (the driver
does the same on the client side); results come back as JSONCompact and are typed from its column types.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from loglens.store import QueryTimeout, StoreError
from loglens.store.clickhouse.connection import TIMEOUT_EXCEEDED, execution_settings

_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0", "\b": "\\b", "\f": "\\f"}


def literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + "".join(_ESCAPES.get(c, c) for c in value) + "'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as a ClickHouse literal")


def _convert(kind: str, value: Any) -> Any:
    if value is None:
        return None
    inner = kind[len("Nullable(") : -1] if kind.startswith("Nullable(") else kind
    if inner.startswith(("Int", "UInt")):
        return int(value)
    if inner.startswith("Float"):
        return float(value)
    return value


class ChdbConnection:
    """All connections share one chdb session (one per process), serialised by a lock."""

    def __init__(self, session: Any, lock: threading.Lock) -> None:
        self._session = session
        self._lock = lock

    def _run(self, sql: str, fmt: str, timeout: float | None = None) -> bytes:
        try:
            with self._lock:
                result = self._session.query(sql, fmt)
        except Exception as exc:
            if timeout is not None and f"Code: {TIMEOUT_EXCEEDED}." in str(exc):
                raise QueryTimeout(timeout) from None
            raise StoreError(f"chdb failed: {str(exc).strip().splitlines()[0][:300]}") from exc
        data: bytes = result.bytes() if hasattr(result, "bytes") else bytes(result)
        return data

    def query(
        self, sql: str, params: Mapping[str, Any] | None = None, *, timeout: float | None = None
    ) -> list[tuple[Any, ...]]:
        if params:
            sql = sql % {k: literal(v) for k, v in params.items()}
        settings = execution_settings(timeout)
        if settings:  # chdb takes query settings in the statement's SETTINGS clause
            sql += " SETTINGS " + ", ".join(f"{k} = {v}" for k, v in settings.items())
        data = self._run(sql, "JSONCompact", timeout)
        if not data.strip():
            return []
        parsed = json.loads(data)
        kinds = [m["type"] for m in parsed["meta"]]
        return [tuple(_convert(k, v) for k, v in zip(kinds, row, strict=True)) for row in parsed["data"]]

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            values = ",".join("(" + ",".join(literal(v) for v in row) + ")" for row in rows)
            self._run(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}", "CSV")

    def insert_columns(self, table: str, columns: Sequence[str], data: Sequence[Sequence[Any]]) -> None:
        self.insert(table, columns, list(zip(*data, strict=True)))

    def close(self) -> None:
        pass
