"""Syslog ingest (RFC 5424 and RFC 3164 over UDP, TCP and TLS): parse.py reads a message, mapping.py makes it an
entry, framing.py cuts a TCP stream into messages, sockets.py binds the listeners, listener.py runs them in a
worker, counters.py counts what only they see. See docs/syslog.md.

`listen(config)` is called by `loglens serve` before it starts its workers; `start(state)` by each app.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ...config import Settings
from .counters import SyslogCounters
from .listener import SyslogListener
from .settings import SyslogSettings, read_settings
from .sockets import SyslogBindError, SyslogSockets, adopt, bind, export, tls_context

if TYPE_CHECKING:
    from ...state import LogLens

log = logging.getLogger(__name__)
__all__ = ["SyslogBindError", "SyslogListener", "SyslogSettings", "listen", "start"]


def listen(config: Settings) -> SyslogSockets | None:
    """In the serving process, before its workers: bind the configured listeners and name them for the workers.
    None when syslog is off. Raises SyslogBindError (address in use, TLS files that do not load)."""
    settings = read_settings(config)
    if not settings.enabled:
        return None
    bound = bind(settings)
    export(bound)
    for name, sock in (("tcp", bound.tcp), ("udp", bound.udp)):
        if sock is not None:
            where = sock.getsockname()
            log.info(
                "syslog: listening on %s %s:%s%s",
                name,
                where[0],
                where[1],
                " (TLS)" if name == "tcp" and settings.tls else "",
            )
    return bound


def start(state: LogLens) -> SyslogListener | None:
    """In an app: start its listener on the serving process's sockets (else on its own); None when off."""
    config = state.config
    settings = read_settings(config)
    if not settings.enabled:
        return None
    sockets = adopt(settings) or bind(settings)
    counters = SyslogCounters(state.metrics.registry)
    if sockets.udp is not None:
        counters.watch_udp(sockets.udp)
    listener = SyslogListener(
        sockets,
        state.pipeline,
        counters,
        max_entry_bytes=config.ingest.max_entry_bytes,
        max_connections=settings.max_connections,
        tls=tls_context(settings),
        handshake_seconds=config.server.client_timeout_seconds,
        threads=config.server.threads,
        clock=state.clock,
    )
    listener.start()
    return listener
