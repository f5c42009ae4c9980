"""Sliding-window limits per key: WeCom's per-member send limits, the dashboard's
failed-login throttle."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence


class MemberRateLimiter:
    """At most `limit` sends per `seconds` for each member, for every (seconds, limit) pair.

    WeCom drops (silently) anything beyond 30 messages a minute or 1000 an
    hour to one member from one app, so the adapter refuses those sends itself
    and tells the outbox when to retry.
    """

    def __init__(
        self,
        windows: Sequence[tuple[float, int]] = ((60.0, 30), (3600.0, 1000)),
        *,
        clock: Callable[[], float] = time.time,
        max_keys: int = 100_000,
    ) -> None:
        self.windows = sorted(windows)
        self.clock = clock
        self.max_keys = max_keys
        self._longest = max(seconds for seconds, _ in self.windows)
        self._sent: dict[str, deque[float]] = {}

    def wait_time(self, member: str) -> float:
        """Seconds until `member` may receive one more message (0 when now)."""
        now = self.clock()
        stamps = self._prune(member, now)
        wait = 0.0
        for seconds, limit in self.windows:
            recent = [t for t in stamps if t > now - seconds] if len(stamps) >= limit else []
            if len(recent) >= limit:
                # The oldest send inside the window must age out first.
                wait = max(wait, recent[-limit] + seconds - now)
        return wait

    def acquire(self, members: Iterable[str]) -> float:
        """Record one send to each member if all are allowed; else the longest wait.

        All or nothing: when any member is over a limit nothing is recorded
        and the wait in seconds is returned, otherwise 0.
        """
        members = list(dict.fromkeys(members))
        wait = max((self.wait_time(m) for m in members), default=0.0)
        if wait > 0:
            return wait
        for m in members:
            self.record(m)
        return 0.0

    def record(self, member: str) -> None:
        """Count one event for `member` now, allowed or not (a failed login, say)."""
        if len(self._sent) >= self.max_keys and member not in self._sent:
            # A flood of distinct keys must not grow memory without bound: drop the stalest.
            stalest = min(self._sent, key=lambda k: self._sent[k][-1])
            del self._sent[stalest]
        self._sent.setdefault(member, deque()).append(self.clock())

    def forget(self, member: str) -> None:
        self._sent.pop(member, None)

    def _prune(self, member: str, now: float) -> deque[float]:
        stamps = self._sent.get(member)
        if stamps is None:
            return deque()
        while stamps and stamps[0] <= now - self._longest:
            stamps.popleft()
        if not stamps:
            del self._sent[member]
        return stamps
