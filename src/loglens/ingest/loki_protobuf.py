"""Loki's push API in protobuf (`application/x-protobuf`), snappy-compressed as Promtail, Alloy and the Docker
driver send it: a `logproto.PushRequest` of Loki's published `pkg/push/push.proto`.

The messages are declared here field by field (numbers and types as published; the gogoproto options there only
steer Go code generation), so no generated code is kept: protobuf's own parser reads them. Each line is mapped as
in loki.py.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import cramjam
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2
from google.protobuf.descriptor_pb2 import FieldDescriptorProto as Field
from google.protobuf.message import DecodeError as ProtobufDecodeError
from google.protobuf.message import Message

from ..validation import Limits, Undecodable
from . import Batch, DecodeError, TooManyEntries
from .loki import LABEL, LokiMapping, entry, parse_labels, stream, within

PROTOBUF_TYPE = "application/x-protobuf"
_REPEATED, _OPTIONAL = Field.LABEL_REPEATED, Field.LABEL_OPTIONAL
# message -> fields (name, number, label, type, message type); as in Loki's pkg/push/push.proto
_MESSAGES: dict[str, list[tuple[str, int, int, int, str]]] = {
    "PushRequest": [
        ("streams", 1, _REPEATED, Field.TYPE_MESSAGE, ".logproto.StreamAdapter"),
        ("format", 2, _OPTIONAL, Field.TYPE_STRING, ""),
    ],
    "StreamAdapter": [
        ("labels", 1, _OPTIONAL, Field.TYPE_STRING, ""),
        ("entries", 2, _REPEATED, Field.TYPE_MESSAGE, ".logproto.EntryAdapter"),
        ("hash", 3, _OPTIONAL, Field.TYPE_UINT64, ""),
    ],
    "LabelPairAdapter": [
        ("name", 1, _OPTIONAL, Field.TYPE_STRING, ""),
        ("value", 2, _OPTIONAL, Field.TYPE_STRING, ""),
    ],
    "EntryAdapter": [
        ("timestamp", 1, _OPTIONAL, Field.TYPE_MESSAGE, ".google.protobuf.Timestamp"),
        ("line", 2, _OPTIONAL, Field.TYPE_STRING, ""),
        ("structuredMetadata", 3, _REPEATED, Field.TYPE_MESSAGE, ".logproto.LabelPairAdapter"),
        ("parsed", 4, _REPEATED, Field.TYPE_MESSAGE, ".logproto.LabelPairAdapter"),
    ],
}


@cache
def push_request_class() -> type[Message]:
    """The PushRequest message class, built once from the declarations above in a pool of its own."""
    pool = descriptor_pool.DescriptorPool()
    timestamp = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(timestamp)
    pool.Add(timestamp)
    push = descriptor_pb2.FileDescriptorProto(
        name="loglens/loki_push.proto",
        package="logproto",
        syntax="proto3",
        dependency=["google/protobuf/timestamp.proto"],
    )
    for name, fields in _MESSAGES.items():
        message = push.message_type.add(name=name)
        for field_name, number, label, kind, type_name in fields:
            added = message.field.add(name=field_name, number=number, label=label, type=kind)
            if type_name:
                added.type_name = type_name
    pool.Add(push)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("logproto.PushRequest"))


def unsnappy(data: bytes, limit: int) -> bytes:
    """Snappy block decompression (as Loki's clients compress), refusing output over `limit` bytes before it is
    made (the block's header says its length)."""
    length, shift = 0, 0
    for index, byte in enumerate(data[:10]):
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
        if index == 9:
            raise DecodeError("the body is not snappy-compressed protobuf (bad length header)")
    else:
        raise DecodeError("the body is not snappy-compressed protobuf (empty)")
    if length > limit:
        raise TooLarge(length, limit)
    try:
        return bytes(cramjam.snappy.decompress_raw(data))
    except cramjam.DecompressionError as exc:
        raise DecodeError(f"the body is not snappy-compressed protobuf: {exc}") from None


class TooLarge(ValueError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"the decompressed body ({length} bytes) is larger than server.max_body_bytes ({limit} bytes)")


def decode_protobuf(data: bytes, mapping: LokiMapping, max_entries: int, max_entry_bytes: int) -> Batch:
    """A snappy-decompressed PushRequest as entries (decompress with `unsnappy` first)."""
    request: Any = push_request_class()()
    try:
        request.ParseFromString(data)
    except ProtobufDecodeError as exc:
        raise DecodeError(f"the body is not a Loki PushRequest: {exc}") from None
    if sum(len(s.entries) for s in request.streams) > max_entries:
        raise TooManyEntries(max_entries, "log lines")
    items: list[Any] = []
    limits = Limits(max_entry_bytes=max_entry_bytes)
    for pushed in request.streams:
        ctx = stream(mapping, parse_labels(pushed.labels))
        for pushed_line in pushed.entries:  # each field read once: every read of a upb field builds a new object
            stamp = pushed_line.timestamp
            seconds, nanos = stamp.seconds, stamp.nanos
            if seconds < 0 or not 0 <= nanos < 1_000_000_000:
                items.append(Undecodable(f"the timestamp {seconds}s {nanos}ns is not a valid time"))
                continue
            line = pushed_line.line
            chars = len(line)
            pairs = None
            if pushed_line.structuredMetadata:
                pairs = {pair.name: pair.value for pair in pushed_line.structuredMetadata}
                chars += sum(len(k) + len(v) for k, v in pairs.items())
            mapped = entry(mapping, ctx, seconds * 1_000_000_000 + nanos, line, pairs)
            items.append(within(mapped, ctx, chars, limits))
    return Batch(items, LABEL, sized=True)
