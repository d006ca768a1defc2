"""Which addresses count as loopback, and which Host headers a server answers (against DNS rebinding)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def is_loopback(host: str) -> bool:
    """A bind address reachable only from this machine (a name other than localhost counts as reachable)."""
    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_address(host: str) -> str:
    """server.host as an IP address to bind (Granian takes no names): an address as written, a wildcard as 0.0.0.0,
    a name resolved as Gunicorn resolves it (IPv4 first), e.g. localhost -> 127.0.0.1. Raises ValueError with one
    line saying why, for a name that does not resolve."""
    text = host.strip().strip("[]")
    if text in WILDCARDS:
        return "0.0.0.0" if text == "" else text
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    reason = "no address"
    for family in (socket.AF_INET, socket.AF_UNSPEC):
        try:
            found = socket.getaddrinfo(text, None, family, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            reason = str(exc.args[-1]) if exc.args else type(exc).__name__
            continue
        if found:
            return str(found[0][4][0])
    raise ValueError(f"server.host {host!r} is not an IP address, and it does not resolve to one: {reason}")


def host_name(header: str) -> str:
    """The name in a Host header, without its port or IPv6 brackets, lower case."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    if header.count(":") > 1:  # a bare IPv6 address (as written in server.allowed_hosts)
        return header
    name, colon, port = header.rpartition(":")
    return name if colon and port.isdigit() else header


class AllowedHosts:
    """Loopback names, the bound address (unless a wildcard) and server.allowed_hosts; '*' allows any."""

    def __init__(self, bound: str, extra: Iterable[str]) -> None:
        names = set(LOOPBACK_NAMES)
        bound = bound.strip().strip("[]").lower()
        if bound not in WILDCARDS:
            names.add(bound)
        extra = [host_name(h) if h.strip() != "*" else "*" for h in extra]
        self.any = "*" in extra
        self.names = frozenset(names | set(extra))

    def allows(self, header: str | None) -> bool:
        if self.any or header is None:  # no Host header at all: not a browser, so not DNS rebinding
            return True
        name = host_name(header)
        return name in self.names or name.endswith(".localhost")
