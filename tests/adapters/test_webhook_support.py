"""The pieces the webhook adapters share: replay guard, token cache, limiter, text split,
the one API call."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from standins import FakeClock

from bot.adapters.base import AdapterError
from bot.adapters.replay import ReplayGuard
from bot.adapters.tokens import TokenCache
from bot.adapters.webhook import call_api, split_utf8
from bot.ratelimit import MemberRateLimiter


def test_replay_guard_window_and_keys() -> None:
    clock = FakeClock()
    guard = ReplayGuard(300, clock=clock)
    assert guard.fresh(clock() - 300) and guard.fresh(clock() + 300)
    assert not guard.fresh(clock() - 301) and not guard.fresh(clock() + 301)
    assert guard.first_time("a")
    assert not guard.first_time("a")
    clock.advance(guard.ttl - 1)
    assert not guard.first_time("a")
    clock.advance(2)
    assert guard.first_time("a")  # expired, so new again


def test_replay_guard_is_bounded() -> None:
    clock = FakeClock()
    guard = ReplayGuard(300, max_keys=100, clock=clock)
    for i in range(1000):
        assert guard.first_time(str(i))
    assert len(guard) == 100
    assert not guard.first_time("999")
    assert guard.first_time("0")  # the oldest were forgotten first


def test_replay_guard_purges_expired_keys() -> None:
    clock = FakeClock()
    guard = ReplayGuard(10, clock=clock)
    for i in range(50):
        guard.first_time(str(i))
    clock.advance(guard.ttl + 1)
    guard.first_time("new")
    assert len(guard) == 1


async def test_token_cache_shares_one_fetch_between_concurrent_callers() -> None:
    clock = FakeClock()
    started = 0

    async def fetch() -> tuple[str, float]:
        nonlocal started
        started += 1
        await asyncio.sleep(0)
        return f"tok{started}", 7200

    cache = TokenCache(fetch, clock=clock)
    tokens = await asyncio.gather(*(cache.get() for _ in range(10)))
    assert set(tokens) == {"tok1"} and started == 1
    assert (cache.hits, cache.fetches) == (9, 1)
    cache.invalidate("stale-token")  # not the current one: kept
    assert await cache.get() == "tok1"
    cache.invalidate("tok1")
    assert await cache.get() == "tok2"
    assert cache.hit_rate == pytest.approx(10 / 12)


async def test_token_cache_margin_is_capped_for_short_lifetimes() -> None:
    clock = FakeClock()

    async def fetch() -> tuple[str, float]:
        return "t", 100

    cache = TokenCache(fetch, clock=clock, margin=300)
    await cache.get()
    clock.advance(49)
    await cache.get()
    assert cache.fetches == 1
    clock.advance(2)
    await cache.get()
    assert cache.fetches == 2


def test_limiter_is_all_or_nothing() -> None:
    clock = FakeClock()
    limiter = MemberRateLimiter([(60, 2)], clock=clock)
    assert limiter.acquire(["a"]) == 0
    assert limiter.acquire(["a", "b"]) == 0
    assert limiter.acquire(["a", "b"]) == pytest.approx(60)
    assert limiter.acquire(["b"]) == 0  # b was not charged by the refused batch
    clock.advance(60)
    assert limiter.acquire(["a"]) == 0


@pytest.mark.parametrize("text", ["", "abc", "督办" * 700, "a督" * 1000, "🙂" * 600])
def test_split_utf8_keeps_characters_whole(text: str) -> None:
    parts = split_utf8(text, 2048)
    assert "".join(parts) == text
    assert all(len(p.encode()) <= 2048 for p in parts)
    assert all(len(p.encode()) > 2048 - 4 for p in parts[:-1])  # packed, not just cut


async def test_call_api_keeps_headers_case_insensitive_and_maps_transport_failures() -> None:
    # A raw server, so the header goes out spelled exactly as some platforms spell it.
    body = b'{"code": 0}'
    head = (
        b"HTTP/1.1 429 Too Many Requests\r\nX-Ogw-Ratelimit-Reset: 7\r\n"
        b"content-type: application/json\r\nconnection: close\r\n"
        b"content-length: %d\r\n\r\n" % len(body)
    )

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(head + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/api"
    async with server, aiohttp.ClientSession() as http:
        reply = await call_api(http, "POST", url, platform="test")
    assert reply.status == 429 and reply.body == {"code": 0}
    # Feishu's own header, looked up as its docs spell it, whatever case the server sent.
    assert reply.headers.get("x-ogw-ratelimit-reset") == "7"
    with pytest.raises(AdapterError, match="test: /api failed"):
        async with aiohttp.ClientSession() as http:
            await call_api(http, "POST", url, platform="test")  # the server is gone
