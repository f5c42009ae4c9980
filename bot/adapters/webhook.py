"""What the webhook adapters (WeCom, DingTalk, Feishu) share.

A platform wants its callback answered within seconds, so the adapter checks
and decodes the request, answers at once, and runs the core's handler (and
the reply) in a background task it owns: strong references, errors logged,
everything cancelled and awaited in `close()`. The base also owns the replay
guards and the platform API's token cache: a platform module sets its
timestamp window and supplies `_fetch_token`.
"""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, TypedDict
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from bot.adapters.base import AdapterError, ChatAdapter, MessageHandler
from bot.adapters.replay import WINDOW, ReplayGuard
from bot.adapters.tokens import TokenCache
from bot.events import IncomingMessage
from bot.safetext import scrub

log = logging.getLogger(__name__)

# Callbacks are small; anything bigger is refused before parsing.
MAX_BODY = 256 * 1024
SEEN_TTL = 24 * 3600.0
# One platform API call; a hung call would hold an outbox worker.
API_TIMEOUT = aiohttp.ClientTimeout(total=15)


class Rejected(Exception):
    """A callback is refused with `status` (4xx); the reason goes to the log only."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class WebhookOptions(TypedDict, total=False):
    """The keywords of `WebhookAdapter.__init__`, for subclasses that pass them on."""

    clock: Callable[[], float]
    replay: ReplayGuard | None
    seen: ReplayGuard | None


class WebhookAdapter(ChatAdapter):
    """A `ChatAdapter` that receives callbacks and answers them in the background."""

    # How far a callback timestamp may be from now (seconds), unless `replay` is given.
    replay_window: ClassVar[float] = WINDOW

    def __init__(
        self,
        settings: Any,
        http: aiohttp.ClientSession,
        handler: MessageHandler,
        *,
        clock: Callable[[], float] = time.time,
        replay: ReplayGuard | None = None,
        seen: ReplayGuard | None = None,
    ) -> None:
        super().__init__(settings, http, handler)
        self.clock = clock
        # `replay`: timestamp window and nonces, kept as long as the window needs.
        # `seen`: message/event ids, kept a day, since platforms retry for hours.
        self.replay = (
            replay if replay is not None else ReplayGuard(self.replay_window, clock=clock)
        )
        self.seen = seen if seen is not None else ReplayGuard(ttl=SEEN_TTL, clock=clock)
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.rejected = 0  # callbacks refused (for logs and tests)
        self.tokens = TokenCache(self._fetch_token, clock=clock)

    @abc.abstractmethod
    async def _fetch_token(self) -> tuple[str, float]:
        """A new access token for the platform API, and its lifetime in seconds."""

    def dispatch(self, incoming: IncomingMessage) -> bool:
        """Run the handler for `incoming` after the callback has been answered.

        False once the adapter is closing (then `accept` answers 503).
        """
        if self._closed:
            return False
        task = asyncio.create_task(
            self._answer(incoming), name=f"{self.name}:{incoming.message_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def accept(self, incoming: IncomingMessage | None, ack: web.Response) -> web.Response:
        """Dispatch `incoming` (if the callback carried a message) and answer `ack`.

        Once the adapter is closing the answer is 503 instead, so that the platform
        delivers the message again to the next process.
        """
        if incoming is not None and not self.dispatch(incoming):
            return web.Response(status=503, text="shutting down")
        return ack

    async def _answer(self, incoming: IncomingMessage) -> None:
        # A lone surrogate (a JSON "\ud800" escape) cannot be stored: show it as U+FFFD.
        incoming = replace(incoming, text=scrub(incoming.text), user_id=scrub(incoming.user_id))
        try:
            text = await self.handler(incoming)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The sender must never be left with no answer: the handler's transaction rolled
            # back, so nothing was recorded, and they are told to try again.
            error_id = secrets.token_hex(4)
            log.exception(
                "%s: handler failed on message %s [%s]", self.name, incoming.message_id, error_id
            )
            text = f"抱歉，这条消息未能处理，请稍后重试（编号 {error_id}）。"
        if not text:
            return
        try:
            await self.reply(incoming, text)
        except asyncio.CancelledError:
            raise
        except AdapterError as exc:
            log.warning("%s: reply to %s failed: %r", self.name, incoming.user_id, exc)
        except Exception:
            log.exception("%s: reply to message %s failed", self.name, incoming.message_id)

    async def drain(self) -> None:
        """Wait until every handler started so far has finished (tests, benchmarks)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def refuse(self, exc: Rejected, request: web.Request) -> web.Response:
        """Log and answer a refused callback; the body never says why."""
        self.rejected += 1
        log.warning("%s: refused callback from %s: %s", self.name, request.remote, exc.args[0])
        return web.Response(status=exc.status, text="refused")


@dataclass(frozen=True, slots=True)
class ApiReply:
    """A platform API's answer: its status, its JSON object (None if the body was not
    one) and the headers a caller may need (rate-limit resets)."""

    status: int
    body: dict[str, Any] | None
    headers: Mapping[str, str]


async def call_api(
    http: aiohttp.ClientSession, method: str, url: str, *, platform: str, **kwargs: Any
) -> ApiReply:
    """One request to a platform's API, bounded by API_TIMEOUT.

    A failure to get an answer at all (connection refused, reset, timeout) is an
    `AdapterError`, which the outbox retries with backoff; what an answer means (status,
    error codes) is the platform module's to say.
    """
    try:
        async with http.request(method, url, timeout=API_TIMEOUT, **kwargs) as resp:
            try:
                data = await resp.json(content_type=None)
            except ValueError:
                data = None
            # A copy that stays case-insensitive: a platform spells its own headers as it likes.
            headers = CIMultiDict(resp.headers)
            return ApiReply(resp.status, data if isinstance(data, dict) else None, headers)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise AdapterError(f"{platform}: {urlsplit(url).path} failed: {exc!r}") from exc


async def read_body(request: web.Request, limit: int = MAX_BODY) -> bytes:
    """The request body, or `Rejected(413)` when it is larger than `limit`."""
    if request.content_length is not None and request.content_length > limit:
        raise Rejected(413, "body too large")
    body = await request.read()
    if len(body) > limit:
        raise Rejected(413, "body too large")
    return body


def json_object(raw: bytes | str) -> dict[str, Any]:
    """A callback body (or decrypted payload) parsed as a JSON object, else `Rejected(400)`."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise Rejected(400, "body is not JSON") from None
    if not isinstance(data, dict):
        raise Rejected(400, "body is not a JSON object")
    return data


def split_utf8(text: str, limit: int) -> list[str]:
    """Cut `text` into pieces of at most `limit` UTF-8 bytes, never inside a character."""
    if len(text.encode("utf-8")) <= limit:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for ch in text:
        n = len(ch.encode("utf-8"))
        if size + n > limit and current:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += n
    if current or not pieces:
        pieces.append("".join(current))
    return pieces
