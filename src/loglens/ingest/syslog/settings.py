"""`ingest.syslog`: where the syslog listeners bind, read from the setting's mapping and checked.

    ingest:
      syslog: {tcp: "127.0.0.1:5514", udp: "127.0.0.1:5514", tls_cert: cert.pem, tls_key: key.pem}

Empty (the default) means off. Syslog carries no API key, so anyone who can reach a listener can write logs: an
address that is not loopback is refused unless `allow_remote: true` says that is meant (the listener is then
trusted by its bind address, as a firewall allows it).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...config.sections import Settings, SyslogListenSettings, listen_address

DEFAULT_MAX_CONNECTIONS = SyslogListenSettings.max_connections


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


def read_settings(config: Settings) -> SyslogSettings:
    """The listeners of loaded settings (the loader has checked them: SyslogListenSettings.problem)."""
    raw = config.ingest.syslog
    return SyslogSettings(
        tcp=listen_address(raw.tcp) if raw.tcp else None,
        udp=listen_address(raw.udp) if raw.udp else None,
        tls_cert=raw.tls_cert or None,
        tls_key=raw.tls_key or None,
        allow_remote=raw.allow_remote,
        max_connections=raw.max_connections,
    )
