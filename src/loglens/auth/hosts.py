"""Which addresses count as loopback, and which Host headers a server answers (against DNS rebinding)."""

from __future__ import annotations

import ipaddress
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
