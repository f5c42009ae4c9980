"""Access-token caching shared by the adapters that call a platform API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

# A fetch returns the token and its lifetime in seconds.
TokenFetch = Callable[[], Awaitable[tuple[str, float]]]


class TokenCache:
    """One access token, fetched on demand and reused until shortly before it expires.

    Concurrent callers share one fetch. `hits` and `fetches` count how often a
    token was served from the cache and how often it had to be fetched; the
    benchmark reports their ratio.
    """

    def __init__(
        self,
        fetch: TokenFetch,
        *,
        clock: Callable[[], float] = time.time,
        margin: float = 300.0,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._margin = margin
        self._token: str | None = None
        self._valid_until = 0.0
        self._lock = asyncio.Lock()
        self.hits = 0
        self.fetches = 0

    @property
    def hit_rate(self) -> float:
        total = self.hits + self.fetches
        return self.hits / total if total else 0.0

    async def get(self) -> str:
        """A token valid for at least the safety margin (capped at half its lifetime)."""
        if self._token is not None and self._clock() < self._valid_until:
            self.hits += 1
            return self._token
        async with self._lock:
            # Another caller may have refreshed while we waited for the lock.
            if self._token is not None and self._clock() < self._valid_until:
                self.hits += 1
                return self._token
            token, lifetime = await self._fetch()
            self.fetches += 1
            margin = min(self._margin, lifetime / 2)
            self._token = token
            self._valid_until = self._clock() + lifetime - margin
            return token

    def invalidate(self, token: str) -> None:
        """Forget `token` after the platform refused it (a newer one is kept)."""
        if self._token == token:
            self._token = None
            self._valid_until = 0.0
