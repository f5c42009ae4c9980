"""Failed-login throttling that slows attackers, not users.

`Backoff` counts failures per key (a login name, a client address). The first few are free;
after that each further attempt must wait twice as long as the last, up to a cap, and a
quiet window forgets the key. The dashboard lets a correct password from an address the
account has logged in from before through regardless (see bot/web/dashboard/auth.py), so
an attacker hammering a name cannot lock its owner out.

`client_address` is who is asking: the peer, or — only when the peer is one of the
configured `[server] trusted_proxies` — the address that proxy forwarded.

Per process and in memory: a restart forgets it, which only gives an attacker one
fresh window. The state belongs to the object the dashboard builds, not to the module.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiohttp import web

from bot.ratelimit import MemberRateLimiter

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class LoginThrottle:
    """A hard limit: `max_failures` within `window`, then refused until the window passes."""

    def __init__(
        self,
        *,
        max_failures: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 50_000,
    ) -> None:
        self._failures = MemberRateLimiter(
            [(window, max_failures)], clock=clock, max_keys=max_keys
        )

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may try again; 0 when it may try now."""
        return self._failures.wait_time(key)

    def failed(self, key: str) -> None:
        self._failures.record(key)

    def succeeded(self, key: str) -> None:
        self._failures.forget(key)


@dataclass(slots=True)
class _Count:
    failures: int
    last: float


class Backoff:
    """Exponential back-off per key: after `free` failures, wait base·2^(n−free) seconds
    (at most `cap`) since the last failure. A key quiet for `window` starts over."""

    def __init__(
        self,
        *,
        free: int,
        base: float = 1.0,
        cap: float = 15 * 60.0,
        window: float = 15 * 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 50_000,
    ) -> None:
        self.free, self.base, self.cap, self.window = free, base, cap, window
        self.clock = clock
        self.max_keys = max_keys
        self._keys: dict[str, _Count] = {}

    def _current(self, key: str) -> _Count | None:
        c = self._keys.get(key)
        if c is not None and self.clock() - c.last > max(self.window, self.cap):
            del self._keys[key]
            return None
        return c

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may try again; 0 when it may try now."""
        c = self._current(key)
        if c is None or c.failures < self.free:
            return 0.0
        delay = min(self.cap, self.base * 2.0 ** min(c.failures - self.free, 60))
        return max(0.0, c.last + delay - self.clock())

    def failed(self, key: str) -> None:
        c = self._current(key)
        if c is None:
            if len(self._keys) >= self.max_keys:
                # A flood of distinct keys must not grow memory without bound.
                stalest = min(self._keys, key=lambda k: self._keys[k].last)
                del self._keys[stalest]
            self._keys[key] = _Count(1, self.clock())
        else:
            c.failures += 1
            c.last = self.clock()

    def succeeded(self, key: str) -> None:
        self._keys.pop(key, None)

    def __len__(self) -> int:
        return len(self._keys)


def parse_networks(values: Sequence[str]) -> list[Network]:
    """`[server] trusted_proxies` entries ("10.0.0.1", "10.0.0.0/8", "::1") as networks."""
    return [ipaddress.ip_network(v.strip(), strict=False) for v in values]


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, nets: Sequence[Network]) -> bool:
    return any(ip.version == n.version and ip in n for n in nets)


def client_address(request: web.Request, trusted: Sequence[Network]) -> str:
    """The address a request comes from.

    X-Forwarded-For is believed only when the peer is a trusted proxy; it is read from the
    right (the hop our proxy added) past any further trusted proxies, so a client cannot
    pick its own address by sending the header itself.
    """
    remote = request.remote or ""
    peer = _ip(remote)
    if peer is None or not trusted or not _trusted(peer, trusted):
        return remote
    hops = [h for v in request.headers.getall("X-Forwarded-For", []) for h in v.split(",")]
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            break  # garbage in the chain: do not trust anything to its left
        if not _trusted(ip, trusted):
            return str(ip)
    return remote
