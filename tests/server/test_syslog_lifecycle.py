"""The syslog listeners start and stop with the server, refuse what they must at start, and under overload stop
reading (TCP backpressure) or let the kernel drop and count (UDP), never buffering without bound."""

from __future__ import annotations

import os
import select
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.support.live import LiveServer
from tests.support.syslog import free_port_both, metric, wait_for
from tests.support.write_lock import write_lock

pytestmark = pytest.mark.server
SHUTDOWN_DEADLINE = 30  # loglens.serving.server.SHUTDOWN_DEADLINE
ACCEPTED = 'loglens_entries_accepted_total{endpoint="syslog"}'


def config(port: int, **server: object) -> dict[str, object]:
    return {"ingest": {"syslog": {"tcp": f"127.0.0.1:{port}", "udp": f"127.0.0.1:{port}"}}, "server": server}


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def bindable(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds (TIME_WAIT is fine)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


@pytest.mark.parametrize("http_server", ["granian", "gunicorn"])
def test_a_server_with_syslog_listeners_stops_cleanly_on_sigterm(tmp_path: Path, http_server: str) -> None:
    port = free_port_both()
    server = LiveServer(tmp_path, config(port, http_server=http_server, workers=2)).start()
    try:
        workers = server.worker_pids()
        idle = socket.create_connection(("127.0.0.1", port), timeout=10)  # a sender that keeps its connection
        idle.sendall(b"<14>1 - h stopper - - - before the stop\n")
        wait_for(server.url, "service:stopper", 1)
        assert server.stop(timeout=SHUTDOWN_DEADLINE + 5) == 0
        wait_until(lambda: not any(alive(pid) for pid in workers), 5, "a worker outlived the server")
        assert "ending now" not in server.output()
        assert idle.recv(10) == b""  # the server closed the connection
        idle.close()
        assert bindable(port)
        with LiveServer(tmp_path, config(port)) as again:  # what was committed is there after a restart
            assert [e["message"] for e in wait_for(again.url, "service:stopper", 1)] == ["before the stop"]
    finally:
        server.kill()


def test_a_non_loopback_listener_is_refused_unless_allowed(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, {"ingest": {"syslog": {"udp": "0.0.0.0:5514"}}})
    done = server.run_to_exit()
    assert done.returncode == 2
    assert "refusing to listen on '0.0.0.0'" in done.stderr and "allow_remote" in done.stderr


def test_a_syslog_port_in_use_stops_startup_with_one_line(tmp_path: Path) -> None:
    port = free_port_both()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        done = LiveServer(tmp_path, config(port)).run_to_exit()
    assert done.returncode == 2
    assert f"ingest.syslog.tcp: cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def lines(first: int, count: int, service: str) -> bytes:
    return b"".join(b"<14>1 - h %s - - - message %08d\n" % (service.encode(), i) for i in range(first, first + count))


def test_tcp_sender_is_held_back_while_the_store_is_stuck_and_nothing_is_lost(tmp_path: Path) -> None:
    port = free_port_both()
    with LiveServer(tmp_path, config(port)) as server:
        sender = socket.create_connection(("127.0.0.1", port), timeout=10)
        sender.setblocking(False)
        sent_messages, sent_bytes, pending = 0, 0, b""
        with write_lock(tmp_path / "loglens.db"):
            deadline = time.monotonic() + 60
            while True:
                assert time.monotonic() < deadline, f"the sender was never held back ({sent_bytes} bytes taken)"
                assert sent_bytes < 256 * 1024 * 1024, "the server took 256 MiB while its store was stuck"
                if not pending:
                    pending = lines(sent_messages, 1000, "held")
                    sent_messages += 1000
                try:
                    taken = sender.send(pending)
                except BlockingIOError:
                    if not select.select([], [sender], [], 2.0)[1]:
                        break  # not writable for 2 s: TCP flow control holds the sender back
                    continue
                sent_bytes += taken
                pending = pending[taken:]
            held_at = sent_bytes
        sender.setblocking(True)
        sender.sendall(pending)  # the store is free again: the rest goes through
        sender.close()
        assert held_at < 64 * 1024 * 1024  # kernel buffers and one chunk at most, not everything sent
        wait_until(lambda: metric(server.url, ACCEPTED) >= sent_messages, 60, "not every held message arrived")
        assert metric(server.url, ACCEPTED) == sent_messages


def test_udp_datagrams_the_stuck_listener_cannot_take_are_dropped_by_the_kernel_and_counted(tmp_path: Path) -> None:
    port = free_port_both()
    with LiveServer(tmp_path, config(port)) as server:
        total = 20_000
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, write_lock(tmp_path / "loglens.db"):
            for i in range(total):
                udp.sendto(b"<14>1 - h dropped - - - datagram %08d" % i, ("127.0.0.1", port))
        drops = "loglens_syslog_udp_receive_buffer_drops_total"

        def accounted() -> bool:
            return metric(server.url, ACCEPTED) + metric(server.url, drops) == total

        wait_until(accounted, 60, "stored plus dropped datagrams never added up to those sent")
        assert metric(server.url, drops) > 0  # the buffer overflowed: the listener did not read ahead into memory
        assert metric(server.url, ACCEPTED) > 0


def test_a_killed_worker_is_replaced_and_senders_reach_the_listeners_meanwhile(tmp_path: Path) -> None:
    """The sockets belong to the serving process: while Granian replaces a worker killed with -9, every new
    connection and datagram is taken by a worker, none refused."""
    port = free_port_both()
    with LiveServer(tmp_path, config(port, workers=2)) as server:
        first, second = server.worker_pids()
        os.kill(first, signal.SIGKILL)
        for i in range(20):  # at once, while the worker is being replaced, and after
            with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                conn.sendall(b"<14>1 - h respawn - - - tcp %02d\n" % i)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.sendto(b"<14>1 - h respawn - - - udp %02d" % i, ("127.0.0.1", port))
            time.sleep(0.05)
        messages = [e["message"] for e in wait_for(server.url, "service:respawn", 40)]
        assert messages == sorted([f"tcp {i:02d}" for i in range(20)] + [f"udp {i:02d}" for i in range(20)])
        wait_until(lambda: len(server.worker_pids()) == 2 and second in server.worker_pids(), 20, "not replaced")
