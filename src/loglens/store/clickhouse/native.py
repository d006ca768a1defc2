"""Rows encoded in ClickHouse's Native format ahead of their INSERT, and with C loops instead of per-value Python.

One node inserts through one writer thread, one INSERT in flight at a time. clickhouse-driver's column writers
(Python, per value) took about 40% of that thread's time, and ClickHouse waited while they ran. Two changes:
- the columns LogLens writes (integers, floats, strings, nullable strings, an enum, arrays of those) are laid out
  with `array`, `bytes` and the driver's own `write_strings` (byte for byte the driver's output: a test checks);
- a large write is encoded by the thread that prepared it, while the writer's previous INSERT runs. The writer
  sends every encoded block of a group in one INSERT, each followed by its last column, the ids, taken at flush
  so that they grow in commit order. ClickHouse squashes the blocks of one INSERT into one part
  (min_insert_block_size_rows), so the parts are the same as before (tested).

The block framing is the driver's (`BlockOutputStream`, `Connection.send_data`), reused through its modules; the
driver is pinned in requirements.lock, and the contract suite inserts through this path. A block encoded for
another protocol revision or column layout than the server's (a reconnect to another server version, a migration
in between) is encoded again from its columns when it is sent.
"""

from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain
from typing import Any

from clickhouse_driver import Client, defines
from clickhouse_driver.block import BlockInfo, ColumnOrientedBlock
from clickhouse_driver.bufferedwriter import CompressedBufferedWriter
from clickhouse_driver.columns.service import write_column
from clickhouse_driver.protocol import ClientPacketTypes
from clickhouse_driver.varint import write_varint
from clickhouse_driver.writer import write_binary_str, write_binary_uint8

ColumnTypes = tuple[tuple[str, str], ...]  # (name, ClickHouse type), in insert order
# Native layouts written here with C loops (array, bytes, the driver's write_strings) instead of the driver's
# per-value Python; any other type goes to the driver's write_column. Fixed-width numbers are little-endian.
FIXED = {"Int8": "b", "UInt8": "B", "Int32": "i", "UInt32": "I", "Int64": "q", "UInt64": "Q", "Float64": "d"}
NOT_ENCODED = -1  # EncodedRows.revision of rows to be encoded when sent
ENUM_VALUE = re.compile(r"'((?:[^'\\]|\\.)*)' = (-?[0-9]+)")


@dataclass(frozen=True, slots=True)
class EncodedRows:
    """Some rows of every column but the last, in Native format (the column sections of a block, no header)."""

    rows: int
    types: ColumnTypes
    revision: int
    data: bytes
    columns: Sequence[Sequence[Any]]  # the same values, to encode again if the server wants another layout


class EncodedInsert(list[tuple[EncodedRows, Sequence[Any]]]):
    """INSERT data for `NativeClient`: blocks, each with its values of the last column (a list, so that the
    driver's `execute` takes it as INSERT data)."""


class _Sink:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: Any) -> None:
        self.parts.append(bytes(data))


def collected(write: Callable[[Any], object]) -> bytes:
    """What `write(out)` writes into one of the driver's buffered writers, as bytes."""
    sink = _Sink()
    out = CompressedBufferedWriter(sink, 1 << 20)  # the driver's writer, buffering into `sink` (no compression)
    write(out)
    out.flush()
    return b"".join(sink.parts)


def write_columns(out: Any, context: Any, types: ColumnTypes, columns: Sequence[Sequence[Any]]) -> None:
    """The column sections of a Native block for `columns` (name, type, serialization kind, values)."""
    revision = context.server_info.used_revision
    for (name, type_), values in zip(types, columns, strict=True):
        write_binary_str(name, out)
        write_binary_str(type_, out)
        if revision >= defines.DBMS_MIN_REVISION_WITH_CUSTOM_SERIALIZATION:
            write_binary_uint8(0, out)
        if not write_values(out, type_, values):
            write_column(context, name, type_, values, out, types_check=False)


def columns_of(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows as columns (lists: the driver's own column writers may change items in place)."""
    return [list(column) for column in zip(*rows, strict=True)]


def write_values(out: Any, type_: str, values: Sequence[Any]) -> bool:
    """Write a column's values in Native format if its type is one laid out here; False for any other type."""
    if sys.byteorder != "little":
        return False
    code = FIXED.get(type_)
    if code is not None:
        out.write(array(code, values).tobytes())
    elif type_ == "String":
        out.write_strings([v.encode() for v in values])
    elif type_ == "Nullable(String)":
        out.write(bytes(v is None for v in values))  # the null map, then '' in place of each null
        out.write_strings([b"" if v is None else v.encode() for v in values])
    elif type_.startswith("Enum8(") and type_.endswith(")"):
        names = {name.replace("\\'", "'"): int(value) for name, value in ENUM_VALUE.findall(type_)}
        out.write(array("b", [names[v] for v in values]).tobytes())
    elif type_.startswith("Array(") and type_.endswith(")") and _flat(type_[6:-1]):
        out.write(array("Q", accumulate(map(len, values))).tobytes())  # each row's end offset, then all items
        write_values(out, type_[6:-1], list(chain.from_iterable(values)))
    else:
        return False
    return True


def _flat(type_: str) -> bool:
    return type_ in FIXED or type_ == "String"


class NativeClient(Client):  # type: ignore[misc]  # clickhouse-driver has no type hints
    """clickhouse-driver's Client, which also sends an `EncodedInsert` as it is."""

    def encode(self, types: ColumnTypes, columns: Sequence[Sequence[Any]]) -> EncodedRows:
        """Encode rows for a later `EncodedInsert` on this client. Safe to call from any thread: it only reads the
        revision and settings the connection negotiated. Before the client has reached a server, the rows are
        left to be encoded when they are sent."""
        conn = self.connection
        info = getattr(conn, "server_info", None)
        rows = len(columns[0]) if columns else 0
        if info is None:
            return EncodedRows(rows, types, NOT_ENCODED, b"", columns)
        data = collected(lambda out: write_columns(out, conn.context, types, columns))
        return EncodedRows(rows, types, info.used_revision, data, columns)

    def send_data(self, sample_block: Any, data: Any, types_check: bool = False, columnar: bool = False) -> int:
        if not isinstance(data, EncodedInsert):
            return int(super().send_data(sample_block, data, types_check=types_check, columnar=columnar))
        conn = self.connection
        revision = conn.server_info.used_revision
        types: ColumnTypes = tuple((str(n), str(t)) for n, t in sample_block.columns_with_types)
        head, last = types[:-1], types[-1:]
        inserted = 0
        fout = conn.fout
        for encoded, tail in data:
            write_varint(ClientPacketTypes.DATA, fout)
            write_binary_str("", fout)  # the table name of an external table: none
            if revision >= defines.DBMS_MIN_REVISION_WITH_BLOCK_INFO:
                BlockInfo().write(fout)
            write_varint(len(types), fout)
            write_varint(encoded.rows, fout)
            if encoded.types == head and encoded.revision == revision:
                fout.write(encoded.data)
            else:  # encoded for another layout or protocol revision (or not yet): encoded again, here
                write_columns(fout, conn.context, head, encoded.columns)
            write_columns(fout, conn.context, last, [tail])
            fout.flush()
            inserted += encoded.rows
            self.receive_profile_events()
        conn.send_data(ColumnOrientedBlock())  # an empty block ends the data
        self.receive_profile_events()
        return inserted
