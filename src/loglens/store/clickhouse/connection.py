"""How the ClickHouse store talks to ClickHouse: a small Protocol, and clickhouse-driver (native TCP) behind it.

Every driver or network error leaves this module as StoreError, so no raw driver exception reaches a caller
(the API answers StoreError with 503). One DriverConnection per thread: clickhouse-driver's Client is not
thread-safe.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..base import QueryTimeout, StoreError

if TYPE_CHECKING:
    from .native import ColumnTypes, EncodedInsert, EncodedRows

Params = Mapping[str, Any] | None


class Connection(Protocol):
    def query(self, sql: str, params: Params = None, *, timeout: float | None = None) -> list[tuple[Any, ...]]:
        """Run a statement (`%(name)s` parameters); the rows it returns, if any. With `timeout`, ClickHouse stops
        it past that many seconds (`max_execution_time`, whole seconds rounded up) and QueryTimeout is raised."""
        ...

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """INSERT the rows; returns once ClickHouse has acknowledged them."""
        ...

    def insert_columns(self, table: str, columns: Sequence[str], data: Sequence[Sequence[Any]]) -> None:
        """`insert`, given one sequence of values per column (all of the same length)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class NativeConnection(Connection, Protocol):
    """A connection that also inserts rows encoded ahead, in ClickHouse's Native format (native.py)."""

    def encode(self, types: ColumnTypes, columns: Sequence[Sequence[Any]]) -> EncodedRows: ...

    def insert_encoded(self, table: str, columns: Sequence[str], blocks: EncodedInsert) -> None: ...


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    user: str
    password: str

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


# Codes that mean the server is there but refuses us: say so instead of "unreachable".
AUTH_CODES = {192, 193, 194, 516}  # UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD, AUTHENTICATION_FAILED
TIMEOUT_EXCEEDED = 159  # a query stopped at its max_execution_time


def count_pairs(
    query: Callable[[str], list[tuple[Any, ...]]], rows: str, first: str, second: str
) -> dict[tuple[str, str], int]:
    """How many of `rows` (a SELECT) hold each pair of values of the expressions `first` and `second` (the
    counters that /metrics shows of alerts and notifications)."""
    found = query(f"SELECT {first}, {second}, count() FROM ({rows}) GROUP BY {first}, {second}")
    return {(str(a), str(b)): int(n) for a, b, n in found}


def execution_settings(timeout: float | None) -> dict[str, int]:
    """The query settings that make ClickHouse stop a query past `timeout` seconds. 18.16 takes max_execution_time
    in whole seconds only (a fraction would read as 0, no limit), so it is rounded up, to at least 1."""
    return {} if timeout is None else {"max_execution_time": max(1, math.ceil(timeout))}


def describe(exc: BaseException, endpoint: Endpoint) -> str:
    """One line saying what went wrong, for logs, the 503 body and the startup message."""
    code = getattr(exc, "code", None)
    if code in AUTH_CODES:
        return f"ClickHouse at {endpoint} refused user {endpoint.user!r}: wrong user or password"
    text = " ".join(str(exc).split()) or type(exc).__name__
    if "Stack trace" in text:
        text = text[: text.index("Stack trace")].strip()
    if isinstance(exc, OSError | EOFError) or type(exc).__name__ in ("NetworkError", "SocketTimeoutError"):
        return f"cannot reach ClickHouse at {endpoint}: {text}"
    return f"ClickHouse at {endpoint} failed: {text[:300]}"


class DriverConnection:
    """clickhouse-driver's Client, with every error mapped to StoreError."""

    def __init__(self, endpoint: Endpoint, *, settings: Mapping[str, Any] | None = None, timeout: float = 10.0):
        from .native import NativeClient

        # the driver logs each failed connect with a traceback; the StoreError raised here says it in one line
        logging.getLogger("clickhouse_driver.connection").setLevel(logging.ERROR)
        self.endpoint = endpoint
        self._client = NativeClient(
            endpoint.host,
            port=endpoint.port,
            user=endpoint.user,
            password=endpoint.password,
            connect_timeout=timeout,
            send_receive_timeout=max(timeout, 60.0),
            sync_request_timeout=timeout,
            settings=dict(settings or {}),
        )

    def _run(self, fn: Callable[[], Any], timeout: float | None = None) -> Any:
        try:
            return fn()
        except Exception as exc:  # clickhouse_driver.errors.*, OSError, EOFError, ...
            if timeout is not None and getattr(exc, "code", None) == TIMEOUT_EXCEEDED:
                raise QueryTimeout(timeout) from None  # the connection stays usable
            try:
                self._client.disconnect()  # the next call opens a fresh connection
            except Exception:
                pass
            raise StoreError(describe(exc, self.endpoint)) from exc

    def query(self, sql: str, params: Params = None, *, timeout: float | None = None) -> list[tuple[Any, ...]]:
        settings = execution_settings(timeout)
        rows: list[tuple[Any, ...]] = self._run(lambda: self._client.execute(sql, params, settings=settings), timeout)
        return rows

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._insert(table, columns, list(rows), columnar=False)

    def insert_columns(self, table: str, columns: Sequence[str], data: Sequence[Sequence[Any]]) -> None:
        if data and data[0]:  # the driver then skips its own row-to-column pass (a Python loop per value)
            self._insert(table, columns, data, columnar=True)

    def _insert(self, table: str, columns: Sequence[str], data: Sequence[Sequence[Any]], *, columnar: bool) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES"
        self._run(lambda: self._client.execute(sql, data, types_check=False, columnar=columnar))

    def encode(self, types: ColumnTypes, columns: Sequence[Sequence[Any]]) -> EncodedRows:
        """Rows of `types` encoded for a later `insert_encoded` through this connection (any thread may call it)."""
        return self._client.encode(types, columns)

    def insert_encoded(self, table: str, columns: Sequence[str], blocks: EncodedInsert) -> None:
        """INSERT encoded blocks, each followed by its values of the last of `columns`, as one INSERT."""
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES"
        self._run(lambda: self._client.execute(sql, blocks))

    def close(self) -> None:
        try:
            self._client.disconnect()
        except Exception:
            pass
