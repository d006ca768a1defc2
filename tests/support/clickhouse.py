"""A real ClickHouse server (Debian's `clickhouse-server`) on free loopback ports, with its own data dir and config.

Used by the test suite (a session fixture in tests/conftest.py) and by bench/. Two servers can be joined into a
`remote_servers` cluster for the two-shard tests: pass `shards` (the other servers' TCP ports, own port included).
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from xml.sax.saxutils import escape

from tests.support.live import free_port
from tests.support.processes import terminate

BINARY = "clickhouse-server"
PASSWORD_USER = ("loglens", "s3cret")  # a user with a password, for the wrong-credentials test


def available() -> bool:
    return shutil.which(BINARY) is not None


def _config(root: Path, http: int, tcp: int, interserver: int, clusters: dict[str, list[int]]) -> str:
    shards = "".join(
        f"<{name}>"
        + "".join(f"<shard><replica><host>127.0.0.1</host><port>{port}</port></replica></shard>" for port in ports)
        + f"</{name}>"
        for name, ports in clusters.items()
    )
    user, password = PASSWORD_USER
    return f"""<?xml version="1.0"?>
<yandex>
    <logger><level>warning</level><log>{root}/log/server.log</log><errorlog>{root}/log/error.log</errorlog>
        <size>10M</size><count>1</count></logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>{http}</http_port>
    <tcp_port>{tcp}</tcp_port>
    <interserver_http_port>{interserver}</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <max_connections>256</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <mark_cache_size>67108864</mark_cache_size>
    <uncompressed_cache_size>67108864</uncompressed_cache_size>
    <path>{root}/data/</path>
    <tmp_path>{root}/tmp/</tmp_path>
    <user_files_path>{root}/user_files/</user_files_path>
    <format_schema_path>{root}/format_schemas/</format_schema_path>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <remote_servers>{shards}</remote_servers>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    <users>
        <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile><quota>default</quota></default>
        <{escape(user)}><password>{escape(password)}</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile><quota>default</quota></{escape(user)}>
    </users>
    <profiles><default><max_memory_usage>2000000000</max_memory_usage><load_balancing>random</load_balancing>
        </default></profiles>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default>
    </quotas>
</yandex>
"""


class ClickHouseServer:
    """Start and stop one clickhouse-server process; `tcp_port` is what LogLens and clickhouse-driver use."""

    def __init__(self, root: Path, *, clusters: dict[str, list[int]] | None = None, tcp_port: int = 0) -> None:
        self.root = Path(root)
        self.http_port = free_port()
        self.tcp_port = tcp_port or free_port()
        self.interserver_port = free_port()
        self.clusters = clusters or {}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> ClickHouseServer:
        for sub in ("data", "tmp", "user_files", "format_schemas", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        config = self.root / "config.xml"
        config.write_text(
            _config(self.root, self.http_port, self.tcp_port, self.interserver_port, self.clusters), encoding="utf-8"
        )
        out = (self.root / "log" / "stdout.log").open("ab")
        self.proc = subprocess.Popen(
            [BINARY, f"--config-file={config}"], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"clickhouse-server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/ping", timeout=1) as response:
                    if response.read().strip() == b"Ok.":
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"clickhouse-server did not answer /ping within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        parts = []
        for name in ("stdout.log", "error.log"):
            path = self.root / "log" / name
            if path.exists():
                parts.append(path.read_text(encoding="utf-8", errors="replace")[-4000:])
        return "\n".join(parts)

    def stop(self, timeout: float = 3.0) -> None:
        """SIGTERM, then SIGKILL after `timeout`: a test server's data is thrown away, and with clients still
        connected clickhouse-server waits ~10 s for them before it exits."""
        terminate(self.proc, timeout)

    def __enter__(self) -> ClickHouseServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
