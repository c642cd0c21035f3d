"""Python's cyclic garbage collector around scoring.

An answer is built from tens of thousands of small objects (a batch of 200 factories: ~18,000
pydantic models and their dicts and lists), all freed by reference counting once the response is
written; none form cycles. While they are alive, the collector's generation-2 passes walk every
object of the process, the loaded model and the libraries included: in a process with the service's
imports, 4 such passes over 7 batches of 200 took 607 ms (bench/speed.py machine, 2 cores).

So the service (1) pauses automatic collection while a request scores and serialises, and
(2) after a model loads, collects once and moves what survives (the model, the libraries) to the
permanent generation (``gc.freeze``), so later passes skip it. A reload unfreezes first, so the old
model's own cycles are collected rather than kept.

The pause is counted: with scoring threads overlapping, collection resumes when the last one ends.
Garbage with cycles made during a request waits for the next pass after it; a request's size is
bounded (``DECARB_BATCH_MAX_FACTORIES``), so the delay is too.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic cyclic collection inside the block (while any thread is inside one)."""
    global _depth  # noqa: PLW0603 (one process-wide counter, like the collector it guards)
    with _lock:
        _depth += 1
        if _depth == 1:
            gc.disable()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.enable()


def settle_after_load() -> None:
    """Collect everything unreachable, then exclude the survivors (a freshly loaded model and the
    process's libraries) from later passes; earlier frozen objects are released first."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
