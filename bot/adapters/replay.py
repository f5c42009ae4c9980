"""Replay protection shared by the webhook adapters.

A platform callback is accepted once: its timestamp must be recent, and its
nonce or message id must not have been seen within the window. `ReplayGuard`
is a bounded cache of such keys with a time to live; it never grows past
`max_keys`, so a flood of valid callbacks costs memory in proportion to the
bound, not to the flood.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

# How far a callback timestamp may be from now, in seconds, unless a platform says otherwise.
WINDOW = 300.0


class ReplayGuard:
    """Timestamp window plus a bounded TTL set of keys already seen.

    `clock` returns seconds since the epoch (injected so tests and benchmarks
    control time). Keys expire `ttl` seconds after they were first seen; when
    more than `max_keys` are live, the oldest are forgotten first.
    """

    def __init__(
        self,
        window: float = WINDOW,
        *,
        ttl: float | None = None,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if window <= 0 or max_keys <= 0:
            raise ValueError("window and max_keys must be positive")
        self.window = window
        # A nonce must outlive the timestamp window on both sides, or a replay
        # arriving late inside the window would find it forgotten.
        self.ttl = ttl if ttl is not None else 2 * window + 60
        self.max_keys = max_keys
        self.clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()

    def fresh(self, timestamp: float) -> bool:
        """Whether a callback timestamp (seconds) lies within the window of now."""
        return abs(self.clock() - timestamp) <= self.window

    def first_time(self, key: str) -> bool:
        """Record `key`; True if it was not seen within its time to live.

        Call it only after the request's signature has been checked, so that
        forged requests cannot fill the cache or shadow real ones.
        """
        now = self.clock()
        self._purge(now)
        if key in self._expiry:
            return False
        self._expiry[key] = now + self.ttl
        while len(self._expiry) > self.max_keys:
            self._expiry.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._expiry)

    def _purge(self, now: float) -> None:
        # Insertion order is expiry order (the ttl is constant), so expired
        # keys sit at the front.
        while self._expiry:
            key, expires = next(iter(self._expiry.items()))
            if expires > now:
                break
            del self._expiry[key]
