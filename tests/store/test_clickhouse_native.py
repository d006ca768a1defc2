"""Rows encoded ahead in ClickHouse's Native format (store/clickhouse/native.py), against Debian's 18.16 server."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import pytest
from clickhouse_driver.columns.service import write_column
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loglens.model import StatsDelta
from loglens.store.clickhouse import ClickHouseStore, DriverConnection, Endpoint
from loglens.store.clickhouse.native import NativeClient, collected, write_values
from loglens.store.clickhouse.schema import LEVEL_ENUM
from loglens.store.clickhouse.store import ENCODE_MIN_ROWS, INSERT_COLUMNS
from tests.support.clickhouse import ClickHouseServer
from tests.support.entries import entry

text = st.text(max_size=40)
integers = {"Int64": (-(2**63), 2**63 - 1), "UInt64": (0, 2**64 - 1), "UInt8": (0, 255)}
COLUMNS: dict[str, st.SearchStrategy[Any]] = {
    **{name: st.integers(low, high) for name, (low, high) in integers.items()},
    "Float64": st.floats(allow_nan=True, allow_infinity=True),
    "String": text,
    "Nullable(String)": st.none() | text,
    LEVEL_ENUM: st.sampled_from(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    "Array(String)": st.lists(text, max_size=5),
    "Array(UInt8)": st.lists(st.integers(0, 255), max_size=5),
    "Array(Float64)": st.lists(st.floats(), max_size=5),
}


@pytest.fixture(scope="module")
def context(clickhouse_server: ClickHouseServer) -> Iterator[Any]:
    client = NativeClient("127.0.0.1", port=clickhouse_server.tcp_port)
    client.execute("SELECT 1")
    yield client.connection.context
    client.disconnect()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_native_layouts_are_byte_for_byte_the_drivers_own(context: Any, data: st.DataObject) -> None:
    for type_, values in COLUMNS.items():
        items = data.draw(st.lists(values, max_size=8), label=type_)
        ours = collected(lambda out: write_values(out, type_, items))  # noqa: B023 (called at once)
        copy = [list(v) if isinstance(v, list) else v for v in items]  # the driver's writers may change items
        theirs = collected(lambda out: write_column(context, "c", type_, copy, out, types_check=False))  # noqa: B023
        assert ours == theirs, type_


def test_other_types_are_left_to_the_driver(context: Any) -> None:
    handled: list[bool] = []
    written = collected(
        lambda out: handled.extend(
            (write_values(out, "DateTime", [0]), write_values(out, "Array(Nullable(String))", [[None]]))
        )
    )
    assert handled == [False, False]
    assert written == b""  # nothing written


def store_on(server: ClickHouseServer, database: str) -> tuple[ClickHouseStore, DriverConnection]:
    endpoint = Endpoint("127.0.0.1", server.tcp_port, "default", "")

    def connect() -> DriverConnection:
        conn = DriverConnection(endpoint)
        conn.query("SELECT 1")  # as the store's own factory does: the writer's connection has met the server
        return conn

    return ClickHouseStore(connect, database=database), connect()


def stored(conn: DriverConnection, database: str) -> list[tuple[Any, ...]]:
    columns = ", ".join(INSERT_COLUMNS)
    return conn.query(f"SELECT {columns} FROM {database}.logs ORDER BY id")


def same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    def norm(v: Any) -> Any:
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        if isinstance(v, list | tuple):
            return [norm(x) for x in v]
        return v

    return norm(list(a)) == norm(list(b))


def test_one_group_of_encoded_writes_is_one_insert_one_part_and_reads_back_whole(
    clickhouse_server: ClickHouseServer,
) -> None:
    database = "native_group"
    store, conn = store_on(clickhouse_server, database)
    try:
        conn.query(f"SYSTEM STOP MERGES {database}.logs")  # each INSERT's parts stay apart: countable
        many = [
            entry(i, message=f"héllo wörld {i}", user=None if i % 3 else f"u{i}", metadata={"n": i, "s": "a\x00b"})
            for i in range(ENCODE_MIN_ROWS + 7)
        ]
        few = [entry(1, level="ERROR", message="two words", metadata={"x": [1, {"y": None}]})]
        payloads = [store._payload(many, StatsDelta()), store._payload(few, StatsDelta())]
        payloads.append(store._payload(many[:ENCODE_MIN_ROWS], StatsDelta()))
        assert [p.encoded is not None for p in payloads] == [True, False, True]
        store._writer.submit(lambda writer: store._flush(writer, payloads))
        parts = conn.query(
            "SELECT count(), sum(rows) FROM system.parts WHERE database = %(d)s AND table = 'logs' AND active",
            {"d": database},
        )
        assert parts == [(1, len(many) + len(few) + ENCODE_MIN_ROWS)]
        rows = stored(conn, database)
        ids = [row[-1] for row in rows]
        assert len(set(ids)) == len(ids)
        # ids grow in the order the blocks were sent: the encoded ones as given, then the plain rows
        order = [*payloads[0].rows, *payloads[2].rows, *payloads[1].rows]
        assert all(same(row[:-1], want) for row, want in zip(rows, order, strict=True))
    finally:
        conn.query(f"SYSTEM START MERGES {database}.logs")
        conn.close()
        store.close()


def test_rows_encoded_for_another_server_are_encoded_again_when_sent(clickhouse_server: ClickHouseServer) -> None:
    database = "native_stale"
    store, conn = store_on(clickhouse_server, database)
    try:
        entries = [entry(i, message=f"m{i}") for i in range(ENCODE_MIN_ROWS)]
        payload = store._payload(entries, StatsDelta())
        assert payload.encoded is not None
        # as if encoded before a reconnect to another ClickHouse version: its bytes would not do
        stale = dataclasses.replace(payload, encoded=dataclasses.replace(payload.encoded, revision=1, data=b"junk"))
        store._writer.submit(lambda writer: store._flush(writer, [stale]))
        rows = stored(conn, database)
        assert all(same(row[:-1], want) for row, want in zip(rows, payload.rows, strict=True))
        assert len(rows) == len(entries)
    finally:
        conn.close()
        store.close()
