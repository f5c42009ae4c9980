"""The task queries pause the cyclic collector; overlapping queries in worker threads
must leave it as the process had it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.store.repo.tasks import _gc_paused


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_overlapping_pauses_end_with_the_last_query() -> None:
    gc.enable()
    first, second = _gc_paused(), _gc_paused()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # one query ends while the other still builds rows
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_the_process_switched_off_stays_off() -> None:
    gc.disable()
    first, second = _gc_paused(), _gc_paused()
    first.__enter__()
    second.__enter__()
    second.__exit__(None, None, None)
    first.__exit__(None, None, None)
    assert not gc.isenabled()
