"""Syslog into a live server from the real clients: util-linux `logger` (RFC 5424 and 3164, TCP and UDP) and
rsyslog's omfwd (RFC 5424 over TCP and UDP, with the snippet docs/syslog.md shows), on SQLite with two Granian
workers sharing the listeners, and on ClickHouse."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.clickhouse import ClickHouseServer
from tests.support.live import LiveServer
from tests.support.syslog import Rsyslogd, doc_snippet, free_port_both, logger, metric, search, wait_for

pytestmark = pytest.mark.server
HOST = socket.gethostname()
LEVELS = [("err", "ERROR"), ("warning", "WARNING"), ("debug", "DEBUG"), ("crit", "CRITICAL"), ("notice", "INFO")]


def syslog_config(port: int, **extra: Any) -> dict[str, Any]:
    return {"ingest": {"syslog": {"tcp": f"127.0.0.1:{port}", "udp": f"127.0.0.1:{port}", **extra}}}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, int]]:
    port = free_port_both()
    config = {**syslog_config(port), "server": {"workers": 2}}
    with LiveServer(tmp_path_factory.mktemp("syslog"), config) as server:
        yield server, port


def send_with_logger(port: int, rfc: str, transport: str, service: str) -> None:
    for severity, _ in LEVELS:
        args = ["-n", "127.0.0.1", "-P", str(port), transport, rfc, "-t", service, "--id=4242", "-p"]
        args += [f"local3.{severity}"]
        if rfc == "--rfc5424":
            args += ["--msgid", "M1", "--sd-id", "test@32473", "--sd-param", f'sev="{severity}"']
        logger(*args, f"{severity} from {service}")


@pytest.mark.parametrize("transport", ["-T", "-d"], ids=["tcp", "udp"])
@pytest.mark.parametrize("rfc", ["--rfc5424", "--rfc3164"])
def test_logger_messages_arrive_with_service_level_message_and_metadata(
    served: tuple[LiveServer, int], rfc: str, transport: str
) -> None:
    server, port = served
    service = f"logger-{rfc[5:]}-{'tcp' if transport == '-T' else 'udp'}"
    send_with_logger(port, rfc, transport, service)
    entries = wait_for(server.url, f"service:{service}", len(LEVELS))
    assert len(entries) == len(LEVELS)
    for entry, (severity, level) in zip(entries, sorted(LEVELS), strict=True):
        assert entry["service"] == service
        assert entry["message"] == f"{severity} from {service}"
        assert entry["level"] == level
        meta = entry["metadata"]
        assert meta["procid"] == "4242" and meta["facility"] == "local3"
        if rfc == "--rfc5424":
            assert meta["hostname"] == HOST and meta["msgid"] == "M1"
            assert meta["structured_data"]["test@32473"] == {"sev": severity}
        else:
            assert meta["hostname"] == HOST.split(".")[0] and "msgid" not in meta


def test_a_json_body_gives_message_level_user_and_metadata(served: tuple[LiveServer, int]) -> None:
    server, port = served
    body = '{"msg": "payment failed", "level": "fatal", "user_id": "u42", "order": 7}'
    logger("-n", "127.0.0.1", "-P", str(port), "-T", "--rfc5424", "-t", "checkout", "-p", "user.info", body)
    (entry,) = wait_for(server.url, "service:checkout", 1)
    assert (entry["message"], entry["level"], entry["user_id"]) == ("payment failed", "CRITICAL", "u42")
    assert entry["metadata"]["order"] == 7


def syslog_errors(url: str) -> int:
    with urllib.request.urlopen(url + "/api/validation-stats", timeout=10) as response:
        return int(json.loads(response.read())["error_types"].get("syslog", 0))


def test_invalid_messages_are_counted_not_stored(served: tuple[LiveServer, int]) -> None:
    server, port = served
    before = syslog_errors(server.url)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"not syslog at all\n<14>1 2026-13-01T00:00:00Z h bad - - - month 13\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"<999>nope", ("127.0.0.1", port))
    deadline = time.monotonic() + 20
    while syslog_errors(server.url) < before + 3:  # the validation stats are the store's: every worker's
        assert time.monotonic() < deadline, "the invalid messages were not counted in the validation stats"
        time.sleep(0.1)
    assert syslog_errors(server.url) == before + 3
    assert search(server.url, "service:bad") == []
    assert "rejected a message from 127.0.0.1" in server.output()
    rejected = 'loglens_entries_rejected_total{endpoint="syslog",kind="syslog"}'
    while metric(server.url, rejected) == 0:  # counted per worker: scrapes reach both in turn
        assert time.monotonic() < deadline + 20, f"{rejected} never showed in /metrics"
        time.sleep(0.1)


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_rsyslog_forwards_rfc5424_with_the_documented_action(
    served: tuple[LiveServer, int], tmp_path: Path, protocol: str
) -> None:
    server, port = served
    action = doc_snippet(f"rsyslog-{protocol}").replace('port="5514"', f'port="{port}"')
    rsyslogd = Rsyslogd(tmp_path, action).start()
    service = f"via-rsyslog-{protocol}"
    try:
        for severity, _ in LEVELS:
            logger(
                "-n", "127.0.0.1", "-P", str(rsyslogd.input_port), "-T", "--rfc5424", "-t", service, "--id=77",
                "--msgid", "RS", "-p", f"daemon.{severity}", f"{severity} through rsyslog",
            )  # fmt: skip
        entries = wait_for(server.url, f"service:{service}", len(LEVELS))
    finally:
        rsyslogd.stop()
    for entry, (severity, level) in zip(entries, sorted(LEVELS), strict=True):
        assert (entry["service"], entry["level"], entry["message"]) == (service, level, f"{severity} through rsyslog")
        meta = entry["metadata"]
        assert (meta["facility"], meta["procid"], meta["msgid"]) == ("daemon", "77", "RS")
        assert meta["hostname"]


def test_tls_listener_takes_octet_counted_messages(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    port = free_port_both()
    config = {"ingest": {"syslog": {"tcp": f"127.0.0.1:{port}", "tls_cert": str(cert), "tls_key": str(key)}}}
    with LiveServer(tmp_path / "data", config) as server:
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with context.wrap_socket(raw) as conn:
                for i in range(3):
                    msg = f"<11>1 - tls-host tls-app {i} - - secret {i}".encode()
                    conn.sendall(str(len(msg)).encode() + b" " + msg)
                # end TLS as a syslog client does (close_notify both ways). Closing with the server's TLS 1.3
                # session tickets unread makes the kernel send a reset, which discards what the server has not
                # yet read: the same bytes lost to a sender that crashes, which docs/syslog.md says TCP may lose.
                conn.unwrap()
        entries = wait_for(server.url, "service:tls-app", 3)
        assert [(e["message"], e["level"], e["metadata"]["procid"]) for e in entries] == [
            (f"secret {i}", "ERROR", str(i)) for i in range(3)
        ]


def test_clickhouse_nodes_take_syslog_too(tmp_path: Path, clickhouse_server: ClickHouseServer) -> None:
    port = free_port_both()
    config = {
        **syslog_config(port),
        "storage": {"backend": "clickhouse", "clickhouse": {"port": clickhouse_server.tcp_port, "database": "syslog"}},
    }
    with LiveServer(tmp_path, config) as server:
        send_with_logger(port, "--rfc5424", "-T", "ch-logger")
        logger("-n", "127.0.0.1", "-P", str(port), "-d", "--rfc3164", "-t", "ch-udp", "-p", "user.err", "over udp")
        entries = wait_for(server.url, "service:ch-logger", len(LEVELS))
        for entry, (severity, level) in zip(entries, sorted(LEVELS), strict=True):
            assert (entry["level"], entry["message"]) == (level, f"{severity} from ch-logger")
            assert entry["metadata"]["structured_data"]["test@32473"] == {"sev": severity}
        (udp,) = wait_for(server.url, "service:ch-udp", 1)
        assert (udp["level"], udp["message"], udp["metadata"]["facility"]) == ("ERROR", "over udp", "user")
