"""Failed-login throttling: too many wrong passwords for one name or from one address
within a window, and that key is refused until the window has passed.

Per process and in memory: a restart forgets it, which only gives an attacker one
fresh window. The state belongs to the object the dashboard builds, not to the module.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.ratelimit import MemberRateLimiter


class LoginThrottle:
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
