"""The listeners' own counters in /metrics, beside the entries every ingest path counts (endpoint="syslog").

Entries stored and messages rejected (unparsable, invalid, too large) are counted by the pipeline, in
`loglens_entries_accepted` and `loglens_entries_rejected` and in the validation stats, as for HTTP ingest. What
only a listener knows is counted here, per worker process like every counter: messages received, messages read
but not stored because the server stopped before the store took them, and open TCP connections. Datagrams the
kernel dropped because the UDP socket's receive buffer was full (the listener was not reading: overload) are
read from /proc/net/udp when scraped; the socket is shared, so every worker reports the same total.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

PROC_UDP = ("/proc/net/udp", "/proc/net/udp6")


class SyslogCounters:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.received = Counter(
            "loglens_syslog_messages_received",
            "Syslog messages received, by transport (each then stored or rejected, see loglens_entries_*)",
            ["transport"],
            registry=registry,
        )
        self.dropped = Counter(
            "loglens_syslog_messages_dropped",
            "Syslog messages read but not stored, by transport and reason (stopping: the server stopped while the"
            " store refused them)",
            ["transport", "reason"],
            registry=registry,
        )
        self.connections = Gauge(
            "loglens_syslog_connections", "Open syslog TCP connections in this worker", registry=registry
        )
        self._registry = registry

    def watch_udp(self, sock: socket.socket) -> None:
        self._registry.register(_UdpDrops(os.fstat(sock.fileno()).st_ino))


def udp_drops(inode: int) -> int | None:
    """Datagrams the kernel dropped for the UDP socket with this inode (Linux), None if it is not found."""
    for path in PROC_UDP:
        with contextlib.suppress(OSError):
            for line in Path(path).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) >= 13 and fields[9] == str(inode):
                    return int(fields[12])
    return None


class _UdpDrops(Collector):
    def __init__(self, inode: int) -> None:
        self.inode = inode

    def collect(self) -> Iterator[CounterMetricFamily]:
        drops = udp_drops(self.inode)
        if drops is not None:
            yield CounterMetricFamily(
                "loglens_syslog_udp_receive_buffer_drops",
                "Syslog datagrams the kernel dropped because the UDP socket's receive buffer was full (overload;"
                " one socket shared by the workers)",
                value=drops,
            )
