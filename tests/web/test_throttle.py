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


# -- Backoff and client_address (issue 12) ------------------------------------------------

from collections.abc import Mapping  # noqa: E402

from aiohttp.test_utils import make_mocked_request  # noqa: E402

from bot.web.throttle import Backoff, client_address, parse_networks  # noqa: E402


def test_backoff_is_free_then_doubles_up_to_the_cap() -> None:
    clock = Clock()
    b = Backoff(free=3, base=1.0, cap=8.0, window=60.0, clock=clock)
    for _ in range(3):
        assert b.retry_after("a") == 0
        b.failed("a")
    waits = []
    for _ in range(6):
        waits.append(b.retry_after("a"))
        clock.t += waits[-1]
        b.failed("a")
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert b.retry_after("other") == 0


def test_backoff_forgets_a_quiet_key() -> None:
    clock = Clock()
    b = Backoff(free=1, base=1.0, cap=30.0, window=60.0, clock=clock)
    b.failed("a")
    b.failed("a")
    assert b.retry_after("a") > 0
    clock.t += 61
    assert b.retry_after("a") == 0 and len(b) == 0


def _request(remote: str, headers: Mapping[str, str]) -> object:
    class Transport:
        def get_extra_info(self, name: str, default: object = None) -> object:
            return (remote, 40000) if name == "peername" else default

    return make_mocked_request("GET", "/", headers=dict(headers), transport=Transport())


def test_client_address_believes_only_trusted_proxies() -> None:
    trusted = parse_networks(["10.0.0.1", "192.168.0.0/16"])
    spoofed = {"X-Forwarded-For": "1.2.3.4, 203.0.113.7"}
    # From the proxy: the rightmost address it added, not what the client claimed.
    assert client_address(_request("10.0.0.1", spoofed), trusted) == "203.0.113.7"  # type: ignore[arg-type]
    # Through two trusted hops.
    two = {"X-Forwarded-For": "203.0.113.7, 192.168.1.5"}
    assert client_address(_request("10.0.0.1", two), trusted) == "203.0.113.7"  # type: ignore[arg-type]
    # Straight from a client: the header is ignored.
    assert client_address(_request("203.0.113.9", spoofed), trusted) == "203.0.113.9"  # type: ignore[arg-type]
    # Garbage in the chain stops the walk.
    junk = {"X-Forwarded-For": "nonsense, 192.168.1.5"}
    assert client_address(_request("10.0.0.1", junk), trusted) == "10.0.0.1"  # type: ignore[arg-type]
    assert client_address(_request("10.0.0.1", spoofed), []) == "10.0.0.1"  # type: ignore[arg-type]
