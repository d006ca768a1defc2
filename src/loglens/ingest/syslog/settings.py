"""`ingest.syslog`: where the syslog listeners bind, read from the setting's mapping and checked.

    ingest:
      syslog: {tcp: "127.0.0.1:5514", udp: "127.0.0.1:5514", tls_cert: cert.pem, tls_key: key.pem}

Empty (the default) means off. Syslog carries no API key, so anyone who can reach a listener can write logs: an
address that is not loopback is refused unless `allow_remote: true` says that is meant (the listener is then
trusted by its bind address, as a firewall allows it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...auth.hosts import is_loopback

KEYS = ("tcp", "udp", "tls_cert", "tls_key", "allow_remote", "max_connections")
DEFAULT_MAX_CONNECTIONS = 256  # per worker process; past it, new connections wait in the kernel's backlog


class SyslogConfigError(ValueError):
    """ingest.syslog is unusable; the message names the key."""


@dataclass(frozen=True, slots=True)
class SyslogSettings:
    tcp: tuple[str, int] | None = None
    udp: tuple[str, int] | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    allow_remote: bool = False
    max_connections: int = DEFAULT_MAX_CONNECTIONS

    @property
    def enabled(self) -> bool:
        return self.tcp is not None or self.udp is not None

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None


def address(text: str, name: str) -> tuple[str, int]:
    """ "host:port" or "[v6]:port" as (host, port); the host must be an IP address (a listener binds addresses)."""
    host, colon, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not colon or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SyslogConfigError(f"ingest.syslog.{name}: expected HOST:PORT (e.g. 127.0.0.1:5514), got {text!r}")
    if host == "localhost":
        host = "127.0.0.1"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise SyslogConfigError(f"ingest.syslog.{name}: {host!r} is not an IP address") from None
    return host, int(port)


def read_settings(config: Mapping[str, Mapping[str, Any]]) -> SyslogSettings:
    """The checked ingest.syslog of a loaded configuration. Raises SyslogConfigError."""
    raw = config["ingest"].get("syslog") or {}
    if not isinstance(raw, Mapping):
        raise SyslogConfigError(f"ingest.syslog: expected a mapping such as {{tcp: '127.0.0.1:5514'}}, got {raw!r}")
    unknown = [k for k in raw if k not in KEYS]
    if unknown:
        raise SyslogConfigError(f"ingest.syslog: unknown key {unknown[0]!r} (known: {', '.join(KEYS)})")
    values: dict[str, Any] = {}
    for name in ("tcp", "udp"):
        if raw.get(name):
            if not isinstance(raw[name], str):
                raise SyslogConfigError(f"ingest.syslog.{name}: expected HOST:PORT as a string, got {raw[name]!r}")
            values[name] = address(raw[name], name)
    for name in ("tls_cert", "tls_key"):
        if raw.get(name) is not None:
            if not isinstance(raw[name], str) or not raw[name]:
                raise SyslogConfigError(f"ingest.syslog.{name}: expected a file path, got {raw[name]!r}")
            values[name] = raw[name]
    if ("tls_cert" in values) != ("tls_key" in values):
        raise SyslogConfigError("ingest.syslog: TLS needs both tls_cert and tls_key")
    if "tls_cert" in values and "tcp" not in values:
        raise SyslogConfigError("ingest.syslog: tls_cert and tls_key apply to the tcp listener; set tcp")
    allow_remote = raw.get("allow_remote", False)
    if not isinstance(allow_remote, bool):
        raise SyslogConfigError(f"ingest.syslog.allow_remote: expected true or false, got {allow_remote!r}")
    most = raw.get("max_connections", DEFAULT_MAX_CONNECTIONS)
    if not isinstance(most, int) or isinstance(most, bool) or most < 1:
        raise SyslogConfigError(f"ingest.syslog.max_connections: expected an integer >= 1, got {most!r}")
    settings = SyslogSettings(allow_remote=allow_remote, max_connections=most, **values)
    for name in ("tcp", "udp"):
        bound = getattr(settings, name)
        if bound is not None and not allow_remote and not is_loopback(bound[0]):
            raise SyslogConfigError(
                f"ingest.syslog.{name}: refusing to listen on {bound[0]!r}: syslog carries no API key, so anyone"
                " who can reach it could write logs. Bind 127.0.0.1, or say it is meant with"
                " ingest.syslog.allow_remote: true (and let a firewall decide who reaches it)."
            )
    return settings
