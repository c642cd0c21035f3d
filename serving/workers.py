"""Several service processes on one port, each with its own listening socket.

uvicorn's own ``--workers`` shares one listening socket among the processes, and whichever
process wakes first accepts every connection waiting: with keep-alive clients, all of them can
end on one worker while the others idle (measured: 8 clients, 2 workers, every request on one
process, throughput 1.08x one worker's). Here each worker binds the port itself with
``SO_REUSEPORT``, and the kernel spreads new connections over the workers' sockets (Linux:
by a hash of the connection's addresses).

The parent only supervises: it starts the workers (spawned, so each builds its app from the
``DECARB_*`` environment), replaces a worker that dies, forwards SIGTERM/SIGINT and waits for
them to finish their requests. A worker that keeps dying right after its start stops the
service instead of being restarted forever.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

logger = logging.getLogger("decarb.serving")

#: A worker that exits sooner than this after its start counts as a failed start.
QUICK_EXIT_SECONDS = 10.0
#: Failed starts in a row after which the service stops.
MAX_FAILED_STARTS = 3
#: How long workers get to finish their requests after SIGTERM before they are killed.
SHUTDOWN_SECONDS = 30.0


@dataclass(frozen=True)
class WorkerConfig:
    """What each worker runs (picklable: it crosses into spawned processes)."""

    app: str
    host: str
    port: int
    loop: str
    http: str


def reuse_port_supported() -> bool:
    """Whether this platform lets several sockets listen on one port (``SO_REUSEPORT``)."""
    return hasattr(socket, "SO_REUSEPORT") and sys.platform.startswith("linux")


def port_is_free(host: str, port: int) -> bool:
    """Whether nothing listens on (``host``, ``port``): probed with a plain bind, so another
    service's reuse-port sockets are found too (they would otherwise share our traffic)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR: connections of a previous run still in TIME_WAIT do not count; a
        # listening socket still does (Linux)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to (``host``, ``port``) beside the other workers' (``SO_REUSEPORT``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def run_worker(config: WorkerConfig) -> None:
    """One worker: its own socket, the app from its import string, uvicorn's server (with the
    header deadline of :mod:`serving.http_protocol` when the protocol is httptools)."""
    # imported here: the supervisor itself holds uvicorn and little else
    from serving.http_protocol import protocol_class  # noqa: PLC0415
    from serving.settings import get_settings  # noqa: PLC0415

    http: str | type[asyncio.Protocol] = config.http
    if config.http == "httptools":
        http = protocol_class(get_settings().header_read_timeout_s)
    sock = listening_socket(config.host, config.port)
    server = uvicorn.Server(
        uvicorn.Config(
            config.app,
            host=config.host,
            port=config.port,
            log_config=None,
            access_log=False,
            loop=config.loop,
            http=http,
        )
    )
    server.run(sockets=[sock])


def supervise(config: WorkerConfig, workers: int) -> int:
    """Run ``workers`` processes until SIGTERM or SIGINT; the exit code for the service."""
    if not port_is_free(config.host, config.port):
        logger.error("port in use", extra={"host": config.host, "port": config.port})
        print(f"error: {config.host}:{config.port} is in use", file=sys.stderr)
        return 1
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}

    def start() -> tuple[BaseProcess, float]:
        process = context.Process(target=run_worker, args=(config,), name="decarb-worker")
        process.start()
        return process, time.monotonic()

    running = [start() for _ in range(workers)]
    failed_starts = 0
    code = 0
    try:
        while not stop.is_set():
            wait([p.sentinel for p, _ in running], timeout=0.5)
            for i, (process, started) in enumerate(running):
                if process.is_alive() or stop.is_set():
                    continue
                quick = time.monotonic() - started < QUICK_EXIT_SECONDS
                failed_starts = failed_starts + 1 if quick else 0
                giving_up = failed_starts >= MAX_FAILED_STARTS
                logger.warning(
                    "worker exited; " + ("stopping" if giving_up else "starting another"),
                    extra={"pid": process.pid, "exit_code": process.exitcode,
                           "failed_starts_in_a_row": failed_starts},
                )  # fmt: skip
                if giving_up:
                    print(f"error: workers exited right after starting {failed_starts} times in "
                          "a row (see the log above); stopping", file=sys.stderr)  # fmt: skip
                    stop.set()
                    code = 1
                    break
                running[i] = start()
    finally:
        for process, _ in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in flight
        deadline = time.monotonic() + SHUTDOWN_SECONDS
        for process, _ in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return code


def main(argv: list[str] | None = None) -> None:
    """``python -m serving.workers APP HOST PORT WORKERS LOOP HTTP LOG_LEVEL``: ``decarb-serve``
    execs into this when it starts several workers, so the supervising process holds uvicorn
    and little else (not the model libraries the command imports: 27 MB instead of 446 MB)."""
    from serving.logs import configure_logging  # noqa: PLC0415 (the process's only setup)

    app, host, port, workers, loop, http, level = argv if argv is not None else sys.argv[1:]
    configure_logging(level)
    sys.exit(supervise(WorkerConfig(app, host, int(port), loop, http), int(workers)))


if __name__ == "__main__":
    main()
