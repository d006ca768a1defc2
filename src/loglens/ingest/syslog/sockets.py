"""The listeners' sockets: bound once by the serving process, used by every worker it forks.

`loglens serve` binds them before the HTTP server starts its workers (so an address in use, or a bad TLS
certificate, stops startup with one line), and names their descriptors in an environment variable; each worker,
forked with them open, takes its own duplicates (`adopt`). Every worker then accepts TCP connections from the
same listening socket and reads datagrams from the same UDP socket: the kernel hands each connection and each
datagram to one of them. A worker that stops or is replaced leaves the sockets open in the serving process, so
no connection waiting in the backlog is refused meanwhile. An app built outside `loglens serve` (tests, tools)
binds its own.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
from dataclasses import dataclass

import orjson

from .settings import SyslogSettings

INHERITED_ENV = "_LOGLENS_SYSLOG_FDS"
BACKLOG = 128
UDP_RECEIVE_BUFFER = 4 * 1024 * 1024  # asked for; the kernel caps it at net.core.rmem_max


class SyslogBindError(OSError):
    """A listener cannot bind its address (or TLS cannot load its files); one line says which and why."""


@dataclass
class SyslogSockets:
    tcp: socket.socket | None = None
    udp: socket.socket | None = None

    def close(self) -> None:
        for sock in (self.tcp, self.udp):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()


def tls_context(settings: SyslogSettings) -> ssl.SSLContext | None:
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise SyslogBindError(f"ingest.syslog: cannot load tls_cert/tls_key: {exc}") from None
    return context


def _bind(kind: int, where: tuple[str, int], name: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in where[0] else socket.AF_INET
    sock = socket.socket(family, kind)
    try:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart binds despite TIME_WAIT
        else:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UDP_RECEIVE_BUFFER)
        sock.bind(where)
        if kind == socket.SOCK_STREAM:
            sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        raise SyslogBindError(
            f"ingest.syslog.{name}: cannot listen on {where[0]}:{where[1]}: {exc.strerror or exc}"
        ) from None
    sock.setblocking(False)
    return sock


def bind(settings: SyslogSettings) -> SyslogSockets:
    """Bind the configured listeners. Raises SyslogBindError."""
    tls_context(settings)  # a certificate that does not load stops startup here, not in every worker
    bound = SyslogSockets()
    try:
        if settings.tcp is not None:
            bound.tcp = _bind(socket.SOCK_STREAM, settings.tcp, "tcp")
        if settings.udp is not None:
            bound.udp = _bind(socket.SOCK_DGRAM, settings.udp, "udp")
    except SyslogBindError:
        bound.close()
        raise
    return bound


def export(bound: SyslogSockets) -> None:
    """Name the sockets for the workers this process forks (they inherit the descriptors)."""
    fds = {name: sock.fileno() for name, sock in (("tcp", bound.tcp), ("udp", bound.udp)) if sock is not None}
    os.environ[INHERITED_ENV] = orjson.dumps(fds).decode()


def adopt(settings: SyslogSettings) -> SyslogSockets | None:
    """Duplicates of the sockets the serving process bound for `settings`, or None when there are none (the
    app is not under `loglens serve`). Raises SyslogBindError when a named descriptor is not the socket the
    settings describe (a configuration that changed between the process and its worker)."""
    text = os.environ.get(INHERITED_ENV)
    if not text:
        return None
    fds = orjson.loads(text)
    adopted = SyslogSockets()
    try:
        for name, kind in (("tcp", socket.SOCK_STREAM), ("udp", socket.SOCK_DGRAM)):
            where = getattr(settings, name)
            if where is None:
                continue
            if name not in fds:
                raise SyslogBindError(f"ingest.syslog.{name}: the serving process bound no such listener")
            sock = socket.socket(fileno=os.dup(int(fds[name])))
            setattr(adopted, name, sock)
            if sock.type != kind or sock.getsockname()[:2] != where and where[1] != 0:
                raise SyslogBindError(f"ingest.syslog.{name}: descriptor {fds[name]} is not {where[0]}:{where[1]}")
            sock.setblocking(False)
    except OSError as exc:
        adopted.close()
        raise SyslogBindError(f"ingest.syslog: cannot use the serving process's sockets: {exc}") from None
    return adopted
