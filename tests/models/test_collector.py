"""The collector pause around scoring: counted across threads, always undone."""

from __future__ import annotations

import gc
import threading

import pytest

from models.collector import collection_paused, settle_after_load


def test_collection_resumes_only_when_the_last_scoring_thread_is_done() -> None:
    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with collection_paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    with collection_paused():
        assert not gc.isenabled()
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the other request is still scoring
    release.set()
    thread.join(10)
    assert gc.isenabled()


def test_an_error_while_scoring_still_resumes_collection() -> None:
    with pytest.raises(ValueError, match="bad"), collection_paused():
        raise ValueError("bad")
    assert gc.isenabled()


def test_after_a_load_the_survivors_are_frozen_and_garbage_is_collected() -> None:
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a  # type: ignore[attr-defined]  # a cycle, unreachable below
    witness = len(gc.get_referrers(Node))
    del a, b
    try:
        settle_after_load()
        assert gc.get_freeze_count() > 0
        assert len(gc.get_referrers(Node)) < witness  # the cycle's instances are gone
    finally:
        gc.unfreeze()
