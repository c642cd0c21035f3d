"""Rendering PDFs in worker processes, not threads of the serving process.

A PDF is pure Python work (ReportLab): run in a thread it holds the interpreter lock, and four
renders at once kept ``/healthz`` waiting 55 times its idle time (bench/hardening.py, pdf).
In separate processes the event loop keeps its core time. The processes start from a fork
server that has imported the renderers once, so each starts in milliseconds and shares their
memory; they run at a lower priority than the service (``os.nice``), and at most as many
render at once as the caller's semaphore allows.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")

#: Modules the fork server imports once, before any worker forks from it.
PRELOAD = ["serving.pages.pdf", "serving.pages.verify_pdf"]
#: How much lower than the service the renderers run (0-19; the service keeps its slot times).
RENDER_NICENESS = 5


def _lower_priority() -> None:
    os.nice(RENDER_NICENESS)


class _Renderers:
    """The process pool, started on first use (importing this module starts nothing)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def executor(self, workers: int) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                self._pool = ProcessPoolExecutor(
                    max_workers=workers, mp_context=context, initializer=_lower_priority
                )
            return self._pool

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


_RENDERERS = _Renderers()


def shutdown() -> None:
    """Stop the renderers (the app's shutdown); a later render starts them again."""
    _RENDERERS.shutdown()


async def render_in_process(
    slots: threading.BoundedSemaphore, work: Callable[..., T], *args: object
) -> T:
    """``work(*args)`` in a renderer process once one of ``slots`` is free; ``work`` and its
    arguments must pickle (a module-level function and plain data)."""
    loop = asyncio.get_running_loop()
    workers = max(2, os.cpu_count() or 1)  # two at least: one long render never holds up all
    await loop.run_in_executor(None, slots.acquire)
    try:
        return await loop.run_in_executor(_RENDERERS.executor(workers), work, *args)
    finally:
        slots.release()
