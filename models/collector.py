"""Python's cyclic garbage collector around scoring.

An answer is built from tens of thousands of small objects (a batch of 200 factories: ~18,000
pydantic models and their dicts and lists), all freed by reference counting once they are no
longer used; none form cycles. While they are alive, the collector's generation-2 passes walk
every object of the process, the loaded model and the libraries included: in a process with the
service's imports, 4 such passes over 7 batches of 200 took 607 ms (2 cores).

So :meth:`RecommendationBundle.recommend` pauses automatic collection while it scores (the
service also while it serialises the answer), and a long-running process that loaded a model
collects once and moves what survives (the model, the libraries) to the permanent generation
(:func:`settle_after_load`, ``gc.freeze``), so later passes skip it. A reload unfreezes first,
so the old model's own cycles are collected rather than kept.

The pause is counted: with scoring threads overlapping, collection resumes when the last one
ends. Garbage with cycles made while paused waits for the next pass after it; a request's size
is bounded (the service's ``DECARB_BATCH_MAX_FACTORIES``, ``decarb-score``'s partitions), so the
delay is too.
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
