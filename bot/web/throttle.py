"""Failed-login throttling: too many wrong passwords for one name or from one address
within a window, and that key is refused until the window has passed.

Per process and in memory: a restart forgets it, which only gives an attacker one
fresh window. The state belongs to the object the dashboard builds, not to the module.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    def __init__(
        self,
        *,
        max_failures: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 50_000,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may try again; 0 when it may try now."""
        now = self.clock()
        times = self._recent(key, now)
        if len(times) < self.max_failures:
            return 0.0
        return max(0.0, times[0] + self.window - now)

    def failed(self, key: str) -> None:
        now = self.clock()
        if len(self._failures) >= self.max_keys and key not in self._failures:
            # Under a flood of distinct keys, drop the stalest rather than grow without bound.
            oldest = min(self._failures, key=lambda k: self._failures[k][-1])
            del self._failures[oldest]
        self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
