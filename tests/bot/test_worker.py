"""BoundedWorker: a job past its memory or CPU limit dies alone and is reported by limit;
a reader's own error comes back as one line; the caller's process never grows."""

from __future__ import annotations

import asyncio
import resource
import time

import pytest

from bot.errors import UserError
from bot.worker import BoundedWorker, JobFailed, LimitExceeded


def allocate(mb: int) -> int:
    block = bytearray(mb * 1024 * 1024)
    return len(block)


def spin() -> None:
    while True:
        pass


def wrapped_memory_error() -> None:
    # What python-docx and friends do: catch everything and raise their own error.
    try:
        bytearray(1 << 40)
    except Exception:
        raise ValueError("corrupt or unsupported .docx (MemoryError)") from None


def refuse() -> None:
    raise UserError("not a plan")


def boom() -> None:
    raise KeyError("w:val")


@pytest.fixture
def worker() -> BoundedWorker:
    return BoundedWorker(memory_mb=256, seconds=2, preload=())


async def test_results_come_back(worker: BoundedWorker) -> None:
    assert await worker.run(allocate, 10) == 10 * 1024 * 1024


async def test_memory_limit(worker: BoundedWorker) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for fn, args in ((allocate, (2048,)), (wrapped_memory_error, ())):
        with pytest.raises(LimitExceeded, match="内存上限（256 MB）") as err:
            await worker.run(fn, *args)
        assert err.value.limit == "memory"
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 50


async def test_time_limit_kills_a_spinning_job(worker: BoundedWorker) -> None:
    t0 = time.monotonic()
    with pytest.raises(LimitExceeded, match="时间上限（2 秒）") as err:
        await worker.run(spin)
    assert err.value.limit == "time"
    assert time.monotonic() - t0 < 6


async def test_errors_are_one_line(worker: BoundedWorker) -> None:
    with pytest.raises(JobFailed, match="not a plan"):
        await worker.run(refuse)
    with pytest.raises(JobFailed, match="KeyError"):
        await worker.run(boom)


async def test_at_most_concurrency_jobs_at_once() -> None:
    w = BoundedWorker(memory_mb=256, seconds=3, concurrency=1, preload=())
    t0 = time.monotonic()
    results = await asyncio.gather(
        *(w.run(time.sleep, 0.5) for _ in range(3)), return_exceptions=True
    )
    assert results == [None, None, None]
    assert time.monotonic() - t0 >= 1.5
