"""LoginThrottle: a sliding window of failures per key, with an injected clock."""

from __future__ import annotations

from bot.web.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_locks_after_the_limit_and_opens_when_the_window_passes() -> None:
    clock = Clock()
    th = LoginThrottle(max_failures=3, window=60, clock=clock)
    for _ in range(2):
        th.failed("a")
        clock.t += 1
    assert th.retry_after("a") == 0
    th.failed("a")
    assert 57 < th.retry_after("a") <= 60
    assert th.retry_after("b") == 0
    clock.t += 59
    assert th.retry_after("a") == 0, "the first failure left the window"


def test_success_clears_the_key() -> None:
    th = LoginThrottle(max_failures=2, window=60, clock=Clock())
    th.failed("a")
    th.succeeded("a")
    th.failed("a")
    assert th.retry_after("a") == 0


def test_memory_is_bounded_under_many_keys() -> None:
    clock = Clock()
    th = LoginThrottle(max_failures=2, window=60, clock=clock, max_keys=100)
    for i in range(1000):
        clock.t += 0.01
        th.failed(f"k{i}")
    assert len(th._failures._sent) <= 100
    th.failed("k999")
    assert th.retry_after("k999") > 0, "the newest keys are kept"
