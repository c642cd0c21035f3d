"""PDFs are rendered in worker processes at a lower priority, so a render does not hold the
serving process's interpreter lock (the /healthz figure is in bench/hardening.py, pdf)."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest

from serving import render_pool


def _where() -> tuple[int, int]:
    return os.getpid(), os.nice(0)


def test_work_runs_in_another_process_at_a_lower_priority() -> None:
    slots = threading.BoundedSemaphore(2)
    try:
        pid, niceness = asyncio.run(render_pool.render_in_process(slots, _where))
    finally:
        render_pool.shutdown()
    assert pid != os.getpid()
    assert niceness >= os.nice(0) + render_pool.RENDER_NICENESS
    # The slot is given back: both can be taken again.
    assert slots.acquire(blocking=False)
    assert slots.acquire(blocking=False)


def test_an_error_in_the_renderer_reaches_the_caller() -> None:
    slots = threading.BoundedSemaphore(1)
    try:
        with pytest.raises(ValueError, match="not a number"):
            asyncio.run(render_pool.render_in_process(slots, int, "not a number"))
    finally:
        render_pool.shutdown()
    assert slots.acquire(blocking=False)
