"""The one seam between the core and a chat platform.

An adapter is built by the composition root (`bot/app.py`) with everything it
needs injected: its own settings section, the process-wide `ClientSession`, and
the core's message handler. The core only ever sees `IncomingMessage` and
`Outgoing`; it never imports a platform module.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import aiohttp
from aiohttp import web

from bot.clock import Clock
from bot.config import Section
from bot.events import IncomingMessage, Outgoing

if TYPE_CHECKING:
    from bot.store.aio import Database
    from bot.web.sessions import SessionStore

# The core's answer to one message: the reply text, or None to stay silent.
MessageHandler = Callable[[IncomingMessage], Awaitable[str | None]]


class AdapterError(Exception):
    """A send failed; the outbox retries it with backoff."""


class AdapterAuthError(AdapterError):
    """Credentials were refused (bad secret, expired token that cannot be refreshed)."""


class AdapterRateLimited(AdapterError):
    """The platform asked us to slow down; retry no sooner than `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float = 60.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AdapterPermanentError(AdapterError):
    """Retrying cannot help (unknown user, message rejected): goes to dead letters at once."""


@dataclass(frozen=True, slots=True)
class ErrorCodes:
    """A platform's numeric API error codes, by the `AdapterError` each one means."""

    rate_limited: frozenset[int]
    auth: frozenset[int]
    permanent: frozenset[int]

    def check(self, code: int, what: str, retry_after: float = 60.0) -> None:
        """Nothing for code 0 (success); else raise the error `code` maps to, saying `what`.

        A code in none of the sets is a plain `AdapterError`, which the outbox retries.
        """
        if code == 0:
            return
        if code in self.rate_limited:
            raise AdapterRateLimited(what, retry_after=retry_after)
        if code in self.auth:
            raise AdapterAuthError(what)
        if code in self.permanent:
            raise AdapterPermanentError(what)
        raise AdapterError(what)


@dataclass(frozen=True, slots=True)
class AdapterDeps:
    """What the composition root shares with every adapter it builds."""

    http: aiohttp.ClientSession
    handler: MessageHandler  # the core's answer to a message
    db: Database
    clock: Clock
    chat_sessions: SessionStore  # logins of the built-in web chat
    transcribed: bool = False  # the handler writes the chat log itself


class ChatAdapter(abc.ABC):
    """Base class of every platform adapter.

    Subclasses set `name` (the platform id used in contacts and config) and
    `settings_model` (its config section), implement `send`, and override `build` when
    they need more of `AdapterDeps`; webhook platforms add `routes`, long-polling ones
    `start`/`close`.
    """

    name: ClassVar[str]
    settings_model: ClassVar[type[Section]]  # its config section ([name] in taskbot.toml)

    @classmethod
    def build(cls, settings: Any, deps: AdapterDeps) -> ChatAdapter:
        """The adapter for its configured section; most need only HTTP and the handler."""
        return cls(settings, deps.http, deps.handler)

    def __init__(
        self, settings: Any, http: aiohttp.ClientSession, handler: MessageHandler
    ) -> None:
        self.settings = settings
        self.http = http
        self.handler = handler

    def routes(self) -> list[web.AbstractRouteDef]:
        """HTTP routes this adapter serves (webhooks); none by default."""
        return []

    async def start(self) -> None:  # noqa: B027 (optional hook, deliberately empty)
        """Begin background work (a sync loop); called once the app is up."""

    async def close(self) -> None:  # noqa: B027 (optional hook, deliberately empty)
        """Stop background work and release resources; called on shutdown."""

    @abc.abstractmethod
    async def send(self, msg: Outgoing) -> None:
        """Deliver one message or raise an `AdapterError` subclass."""

    async def reply(self, incoming: IncomingMessage, text: str) -> None:
        """Answer a message in place; by default a plain send to its sender."""
        await self.send(
            Outgoing(
                platform=self.name,
                user_id=incoming.user_id,
                text=text,
                key=f"reply:{incoming.message_id}",
                reply_context=incoming.reply_context,
            )
        )
