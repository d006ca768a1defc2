"""Production serving: Granian or Gunicorn (server.http_server), with the app built inside each worker process.

Either way each worker builds its own app (store, writer thread, jobs) after the fork, and closes it when the
worker stops, so a SIGTERM drains in-flight requests, then commits pending writes and delivers queued alerts.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import logging
import os
import sys
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from ..app import FAST_INGEST, create_app
from ..auth.hosts import bind_address
from ..config import Settings
from ..state import LogLens
from .shutdown import ShutdownDeadline, SignalSafeEvent

log = logging.getLogger(__name__)

GRACEFUL_TIMEOUT = 20  # seconds a stopping worker has to finish its requests before it is killed
# Seconds the whole server has to exit after SIGTERM (or SIGINT) before it is ended: its workers' GRACEFUL_TIMEOUT
# and time to close; a second SIGTERM ends it at once (serving/shutdown.py).
SHUTDOWN_DEADLINE = GRACEFUL_TIMEOUT + 10
# How long a thread may hold the GIL while another waits for it (CPython's default is 5 ms). SQLite's writer
# thread gives the GIL up for every SQLite statement and must win it back from request threads busy parsing and
# validating; at 5 ms it waits most of the time. Measured with bench/load.py (bulk, 4 connections, Granian):
# 78k entries/s at 5 ms, 86k at 1 ms, 92k at 0.2 ms, 96k at 0.1 ms (single POSTs peak at 0.2-1 ms).
SQLITE_SWITCH_INTERVAL = 0.0002
# A ClickHouse node's writer gives the GIL up only around its socket I/O, a few times per INSERT, so there the
# short interval only makes the busy request threads hand the GIL to each other every 0.2 ms. Keeping CPython's
# default, measured against 0.2 ms on one ClickHouse (alternating rounds, README "Running on ClickHouse"): two
# nodes 1.09x, one node 1.10x while using less of the machine's CPU.
CLICKHOUSE_SWITCH_INTERVAL = 0.005
# CPython's cyclic garbage collector walks its youngest generation every 700 net allocations of container objects,
# and from time to time every object the process holds. A bulk request allocates several per entry (the parsed
# entry, its metadata, its rows) that live until its commit, and a worker holds a large heap from start-up on
# (Flask, the store's driver, the schema). perf during bulk load found 30% of a ClickHouse node's CPU in the
# collector (8% of a SQLite worker's). So a worker freezes what it built at start-up out of the collector's reach
# (gc.freeze) and collects its youngest generation every 100,000 allocations, by when a request's objects are
# mostly freed by reference counting: the collector's share fell to 14% at 10,000 and to under 0.1% at 100,000.
# Cycles are rare here; a young collection walks at most 100,000 objects (a few ms).
GC_THRESHOLDS = (100_000, 10, 10)


def serving_threads(config: Settings) -> int:
    """Threads per worker: server.threads for requests, plus one per allowed live-tail stream. An open stream
    keeps its thread, but sleeps on a condition while idle (search/tail.py), so the extra threads cost memory,
    not CPU, and 50 tails cannot starve ingest or the dashboard of the server.threads request threads."""
    return config.server.threads + config.search.max_streams


def switch_interval(config: Settings) -> float:
    """The GIL switch interval for a serving worker of this store backend."""
    return SQLITE_SWITCH_INTERVAL if config.storage.backend == "sqlite" else CLICKHOUSE_SWITCH_INTERVAL


def worker_app(config: Settings) -> Flask:
    """The app of one serving worker, in a process tuned for serving (tests that build apps in-process keep
    CPython's settings): the GIL switch interval for its backend, glibc's malloc (below), and the garbage
    collector's settings above."""
    sys.setswitchinterval(switch_interval(config))
    _tune_malloc()
    app = create_app(config)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return app


# glibc gives each new thread that allocates its own malloc arena, up to 8 per core, and an arena keeps what was
# freed in it: a worker's 70 serving threads (one per live tail) each leave their high-water mark. Measured with 60
# tails that never read and 20 MB ingested (Granian): the worker grew 135 MB with the default, 75 MB with 2
# arenas. MALLOC_ARENA_MAX in the environment, if set, wins.
MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # mallopt's parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
# Blocks this large or larger get their own mapping, returned to the system when freed. glibc starts at 128 KiB
# but raises the threshold to the size of each mapped block freed (up to 32 MiB), so after the first bulk request
# every request body (up to server.max_body_bytes) and export page came from the arenas, whose freed space stays
# in the process, scattered between live blocks. Fixing it at 128 KiB kept a worker's peak 10-15 MB lower with
# 60 live tails and 4 exports that never read while 100 MB was ingested. MALLOC_MMAP_THRESHOLD_, if set, wins.
MMAP_THRESHOLD = 128 * 1024


def _tune_malloc() -> None:
    try:
        libc = ctypes.CDLL(None)
        if "MALLOC_ARENA_MAX" not in os.environ:
            libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS)
        if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
            libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):  # not glibc: its own allocator's settings apply
        pass


class GunicornServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: Settings) -> None:
        self.loglens_config = config
        super().__init__()

    def load_config(self) -> None:
        server = self.loglens_config.server
        settings = {
            "bind": f"{server.host}:{server.port}",
            "workers": server.workers,
            "threads": serving_threads(self.loglens_config),
            # gthread that buffers each request in its poller before a thread takes it (serving/gthread.py)
            "worker_class": "loglens.serving.gthread.BufferingThreadWorker",
            "graceful_timeout": GRACEFUL_TIMEOUT,
            "timeout": 60,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "info",
            "worker_exit": _worker_exit,
        }
        for key, value in settings.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return worker_app(self.loglens_config)


def _worker_exit(server: Any, worker: Any) -> None:
    app = getattr(worker, "wsgi", None)
    state = getattr(app, "extensions", {}).get("loglens") if app is not None else None
    if state is not None:
        state.close()


# -- Granian ------------------------------------------------------------------------------------------------------


def granian_app(config: Settings) -> Any:
    """The RSGI app Granian loads inside each worker process (its `target_loader`): the WSGI app behind a
    request buffer. Once the worker has drained (SIGTERM), Granian calls the buffer's `__rsgi_del__`, which
    closes the app: Granian workers are multiprocessing children, which leave through os._exit, so atexit
    handlers never run there."""
    from .rsgi import BufferedWSGI

    app = worker_app(config)
    state: LogLens = app.extensions["loglens"]
    return BufferedWSGI(
        app.wsgi_app,
        threads=serving_threads(config),
        max_body_bytes=config.server.max_body_bytes,
        client_timeout=config.server.client_timeout_seconds,
        max_unsent_bytes=config.server.max_unsent_bytes,
        fast=fast.respond_async if (fast := app.extensions.get(FAST_INGEST)) is not None else None,
        on_close=state.close,
    )


def granian_server(config: Settings) -> Any:
    """Granian's multi-process server for `config`, ready to serve (it binds nothing before that)."""
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings
    from granian.server import MPServer

    server = config.server
    granian = MPServer(
        "loglens.serving.server:granian_app",
        address=bind_address(server.host),  # Granian binds addresses only (`localhost` ended in a traceback)
        port=server.port,
        # RSGI, not Granian's WSGI: the request body is read on the event loop with a deadline, and only a
        # complete request takes one of the server.threads request threads (serving/rsgi.py).
        interface=Interfaces.RSGI,
        workers=server.workers,
        loop=Loops.uvloop,  # measured: CPU per single POST 0.49 ms with uvloop vs 0.74-0.84 ms with asyncio's loop
        http=HTTPModes.auto if server.http2 else HTTPModes.http1,
        http1_settings=HTTP1Settings(header_read_timeout=max(1, int(server.client_timeout_seconds * 1000))),
        websockets=False,
        log_access=False,
        respawn_failed_workers=True,  # as Gunicorn does: a crashed worker is replaced
        workers_kill_timeout=GRACEFUL_TIMEOUT,  # in-flight requests get this long to finish on SIGTERM
    )
    # Granian's SIGTERM handler sets this event; with threading.Event's lock it can deadlock (serving/shutdown.py)
    granian.main_loop_interrupt = SignalSafeEvent()
    return granian


def serve_granian(config: Settings) -> None:
    # the app's settings reach each worker through Granian's public target_loader: a fork keeps them as they are
    granian_server(config).serve(target_loader=functools.partial(granian_app, config), wrap_loader=False)


def serve(config: Settings) -> None:
    ShutdownDeadline(SHUTDOWN_DEADLINE).install()
    if config.server.http_server == "granian":
        serve_granian(config)
    else:
        GunicornServer(config).run()
