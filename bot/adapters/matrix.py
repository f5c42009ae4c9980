"""Matrix adapter: the plain client-server API (v3) over the process's `ClientSession`.

The bot is an ordinary Matrix account. `start()` logs in (unless an access token is
configured) and runs a `/sync` long-poll loop that auto-joins rooms the bot is invited to and
hands every text message from someone else to the core; the answer goes back to the same room.
`send()` finds or creates a direct room with the contact (recorded in the bot's `m.direct`
account data, as Matrix clients do) and puts the message there.

Exactly once: the transaction id of a send is derived from `Outgoing.key`, and the bot always
logs in as the same device, so Synapse answers a retried send (even after a restart, within
its transaction-cache lifetime) with the original event instead of posting it twice.

End-to-end encryption is not supported: a message the bot cannot read is logged and answered
with one plain notice per room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import aiohttp

from bot.adapters.base import (
    AdapterAuthError,
    AdapterError,
    AdapterPermanentError,
    AdapterRateLimited,
    ChatAdapter,
    MessageHandler,
)
from bot.adapters.matrix_api import API, REQUEST_TIMEOUT, MatrixApi, q
from bot.config import Section
from bot.events import IncomingMessage, Outgoing

log = logging.getLogger(__name__)
T = TypeVar("T")

# Account data event where the bot keeps its sync position across restarts.
SYNC_STATE = "net.taskbot.sync"
# The first sync only learns where "now" is: a tiny timeline, no presence. Synapse caches a
# sync response for minutes under its parameters, so a restarted bot would get its previous
# run's stale token (and replay the backlog); a never-matching event type makes each unique.
_INITIAL_FILTER = (
    '{"room":{"timeline":{"limit":1,"not_types":["taskbot.start.%s"]}},'
    '"presence":{"not_types":["*"]}}'
)
_ENCRYPTED_NOTICE = "本机器人暂不支持加密会话，请在未加密的私聊中发送消息。"
# A rich reply's body starts with "> <@user> quoted text" lines and a blank line.
_REPLY_FALLBACK = re.compile(r"\A(?:>[^\n]*\n)+\n")
# An answer that fails to go out is retried this often before it is given up (and logged).
_REPLY_ATTEMPTS = 3


class _Stopped(Exception):
    """close() was called: the sync loop ends at its next waiting point."""


class MatrixSettings(Section):
    homeserver: str = "http://127.0.0.1:8008"
    user_id: str = "@taskbot:localhost"
    password: str = ""
    access_token: str = ""


class MatrixAdapter(ChatAdapter):
    """A Matrix account that reminds contacts in direct rooms and answers their messages."""

    name: ClassVar[str] = "matrix"
    settings_model: ClassVar[type[Section]] = MatrixSettings
    settings: MatrixSettings

    def __init__(
        self,
        settings: MatrixSettings,
        http: aiohttp.ClientSession,
        handler: MessageHandler,
        *,
        sync_timeout_ms: int = 30_000,
        retry_delay: float = 2.0,
        close_grace: float = 10.0,
    ) -> None:
        super().__init__(settings, http, handler)
        self.api = MatrixApi(
            http, settings.homeserver, settings.user_id, settings.password, settings.access_token
        )
        self._sync_timeout_ms = sync_timeout_ms
        self._retry_delay = retry_delay
        self._room_lock = asyncio.Lock()
        self._direct_rooms: dict[str, str] = {}
        self._warned_rooms: set[str] = set()
        self._since: str | None = None
        self._sync_task: asyncio.Task[None] | None = None
        self._close_grace = close_grace
        # close() cancels the loop only while it waits (long poll, back-off), never while a
        # message is being answered.
        self._stopping = False
        self._waiting = False

    @property
    def user_id(self) -> str:
        """The bot's own Matrix id (canonical once logged in)."""
        return self.api.user_id

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Log in, find where to resume, then keep syncing in the background.

        A restart resumes after the last batch handled (saved in the bot's account data), so
        messages sent while the bot was down are answered; the very first start skips the
        rooms' history instead. Raises `AdapterAuthError` at once when the credentials are
        refused, so a wrong password stops `serve` at startup instead of looping.
        """
        await self.api.ensure_login()
        saved = await self.api.account_data(SYNC_STATE)
        since = saved.get("next_batch")
        if isinstance(since, str) and since:
            self._since = since
        else:
            await self._initial_sync()
        self._stopping = False
        self._sync_task = asyncio.create_task(self._sync_loop(), name="matrix-sync")

    async def close(self) -> None:
        """Stop the sync loop: at once when it is waiting, else after the batch in hand.

        A message being answered is finished (up to `close_grace` seconds), so a shutdown
        never cuts a reply off between the core's write and the send.
        """
        task, self._sync_task = self._sync_task, None
        if task is None:
            return
        self._stopping = True
        if self._waiting:
            task.cancel()
        done, _ = await asyncio.wait({task}, timeout=self._close_grace)
        if not done:
            log.warning("matrix: still handling after %.0f s; abandoning it", self._close_grace)
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    # --- sending -------------------------------------------------------------------------

    async def send(self, msg: Outgoing) -> None:
        """Deliver `msg` to its contact: in `reply_context["room_id"]` or their direct room."""
        room_id = msg.reply_context.get("room_id") or await self.direct_room(msg.user_id)
        await self.api.send_text(room_id, msg.text, msg.key)

    async def direct_room(self, user_id: str) -> str:
        """The direct room with `user_id`: a known one they are still in, else a new one."""
        async with self._room_lock:
            cached = self._direct_rooms.get(user_id)
            if cached is not None:
                return cached
            direct = _direct_map(await self.api.account_data("m.direct"))
            for room_id in reversed(direct.get(user_id, [])):
                if await self._is_member(room_id, user_id):
                    self._direct_rooms[user_id] = room_id
                    return room_id
            room_id = await self._create_direct_room(user_id)
            # Cached first: should recording it fail, a retried send still reuses the room.
            self._direct_rooms[user_id] = room_id
            direct.setdefault(user_id, []).append(room_id)
            await self.api.put_account_data("m.direct", direct)
            return room_id

    async def _create_direct_room(self, user_id: str) -> str:
        # Synapse happily invites an account that does not exist; ask first, so that a typo in
        # the contacts table becomes a dead letter instead of a room nobody reads.
        try:
            await self.api.call("GET", f"{API}/profile/{q(user_id)}")
        except AdapterPermanentError as exc:
            raise AdapterPermanentError(f"matrix: no such user {user_id}: {exc}") from None
        except AdapterAuthError:
            pass  # profile lookups restricted on this server: invite regardless
        body = {"is_direct": True, "invite": [user_id], "preset": "trusted_private_chat"}
        data = await self.api.call("POST", f"{API}/createRoom", body)
        log.info("matrix: created direct room %s with %s", data["room_id"], user_id)
        return str(data["room_id"])

    async def _is_member(self, room_id: str, user_id: str) -> bool:
        path = f"{API}/rooms/{q(room_id)}/state/m.room.member/{q(user_id)}"
        try:
            data = await self.api.call("GET", path)
        except AdapterPermanentError:
            return False  # no membership event: they were never in it
        except AdapterAuthError:
            return False  # the bot itself left or was kicked
        return data.get("membership") in ("join", "invite")

    # --- receiving -----------------------------------------------------------------------

    async def _initial_sync(self) -> None:
        data = await self.api.call(
            "GET",
            f"{API}/sync",
            params={"timeout": "0", "filter": _INITIAL_FILTER % uuid.uuid4().hex},
        )
        self._since = data["next_batch"]
        # Invites that arrived while the bot was away are still worth accepting.
        await self._join_invites(data)

    async def _sync_loop(self) -> None:
        delay = self._retry_delay
        with contextlib.suppress(_Stopped):
            while True:
                try:
                    await self._sync_once()
                    delay = self._retry_delay
                except (asyncio.CancelledError, _Stopped):
                    raise
                except AdapterRateLimited as exc:
                    log.warning("matrix: sync rate limited; retry in %.1f s", exc.retry_after)
                    await self._idle(asyncio.sleep(exc.retry_after))
                except Exception:
                    log.exception("matrix: sync failed; retrying in %.1f s", delay)
                    await self._idle(asyncio.sleep(delay))
                    delay = min(delay * 2, 60.0)

    async def _sync_once(self) -> None:
        params = {"timeout": str(self._sync_timeout_ms)}
        if self._since:
            params["since"] = self._since
        timeout = self._sync_timeout_ms / 1000 + REQUEST_TIMEOUT
        data = await self._idle(
            self.api.call("GET", f"{API}/sync", params=params, request_timeout=timeout)
        )
        # From here on the batch is finished even when close() is called meanwhile, so that
        # no answer is cut off halfway.
        await self._join_invites(data)
        handled = await self._dispatch(data)
        # Advance only after handling, so a crash mid-batch does not skip it silently.
        self._since = data["next_batch"]
        if handled:
            # Saved only after real messages: the save itself comes back as an account-data
            # change, and saving on that too would spin forever.
            await self.api.put_account_data(SYNC_STATE, {"next_batch": self._since})

    async def _idle(self, wait: Coroutine[Any, Any, T]) -> T:
        """Await a long poll or a back-off: the only points where `close()` cancels the loop."""
        if self._stopping:
            wait.close()
            raise _Stopped
        self._waiting = True
        try:
            return await wait
        finally:
            self._waiting = False

    async def _join_invites(self, data: dict[str, Any]) -> None:
        for room_id, room in data.get("rooms", {}).get("invite", {}).items():
            try:
                await self.api.call("POST", f"{API}/join/{q(room_id)}", {})
            except AdapterError as exc:
                log.warning("matrix: could not join %s: %s", room_id, exc)
                continue
            inviter = self._direct_inviter(room)
            if inviter is not None:
                # A contact opened a chat with the bot: reminders should go there too.
                self._direct_rooms[inviter] = room_id
                await self._remember_direct(inviter, room_id)
            log.info("matrix: joined %s", room_id)

    def _direct_inviter(self, room: dict[str, Any]) -> str | None:
        for event in room.get("invite_state", {}).get("events", []):
            if (
                event.get("type") == "m.room.member"
                and event.get("state_key") == self.user_id
                and event.get("content", {}).get("is_direct")
            ):
                sender = event.get("sender")
                return str(sender) if sender else None
        return None

    async def _remember_direct(self, user_id: str, room_id: str) -> None:
        async with self._room_lock:
            try:
                direct = _direct_map(await self.api.account_data("m.direct"))
                if room_id not in direct.get(user_id, []):
                    direct.setdefault(user_id, []).append(room_id)
                    await self.api.put_account_data("m.direct", direct)
            except AdapterError as exc:
                log.warning("matrix: could not record direct room %s: %s", room_id, exc)

    async def _dispatch(self, data: dict[str, Any]) -> bool:
        """Hand each new text message to the core; True when there were any."""
        handled = False
        for room_id, room in data.get("rooms", {}).get("join", {}).items():
            for event in room.get("timeline", {}).get("events", []):
                if event.get("type") == "m.room.member":
                    self._forget_if_left(room_id, event)
                    continue
                if event.get("sender") == self.user_id:
                    continue
                if event.get("type") == "m.room.encrypted":
                    await self._refuse_encrypted(room_id)
                    continue
                incoming = self._incoming(room_id, event)
                if incoming is not None:
                    await self._handle(incoming)
                    handled = True
        return handled

    def _forget_if_left(self, room_id: str, event: dict[str, Any]) -> None:
        # A contact who left their direct room gets a new one with the next reminder.
        if event.get("content", {}).get("membership") not in ("leave", "ban"):
            return
        who = event.get("state_key")
        for user_id, cached in list(self._direct_rooms.items()):
            if cached == room_id and who in (user_id, self.user_id):
                del self._direct_rooms[user_id]

    def _incoming(self, room_id: str, event: dict[str, Any]) -> IncomingMessage | None:
        content = event.get("content", {})
        if event.get("type") != "m.room.message" or content.get("msgtype") != "m.text":
            return None
        if content.get("m.relates_to", {}).get("rel_type") == "m.replace":
            return None  # an edit of an earlier message, which was handled already
        body = content.get("body")
        if not isinstance(body, str):
            return None
        if "m.in_reply_to" in content.get("m.relates_to", {}):
            body = _REPLY_FALLBACK.sub("", body)
        ts = event.get("origin_server_ts")
        received = (
            datetime.fromtimestamp(ts / 1000, tz=UTC)
            if isinstance(ts, int)
            else datetime.now(tz=UTC)
        )
        return IncomingMessage(
            platform=self.name,
            user_id=str(event["sender"]),
            text=body,
            message_id=str(event["event_id"]),
            received_at=received,
            reply_context={"room_id": room_id},
        )

    async def _handle(self, incoming: IncomingMessage) -> None:
        # One bad message must not stop the loop: log it and go on with the next.
        try:
            answer = await self.handler(incoming)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("matrix: handling %s failed", incoming.message_id)
            return
        if answer:
            await self._answer(incoming, answer)

    async def _answer(self, incoming: IncomingMessage, text: str) -> None:
        # The core has already acted on the message, so its answer is worth a few retries;
        # the transaction id is the same each time, so none of them can post it twice.
        for attempt in range(1, _REPLY_ATTEMPTS + 1):
            try:
                await self.reply(incoming, text)
                return
            except AdapterPermanentError as exc:
                log.error("matrix: answer to %s refused: %s", incoming.message_id, exc)
                return
            except AdapterError as exc:
                if attempt == _REPLY_ATTEMPTS:
                    log.error("matrix: answer to %s not sent: %s", incoming.message_id, exc)
                    return
                wait = exc.retry_after if isinstance(exc, AdapterRateLimited) else attempt
                log.warning("matrix: answer failed (%s); retry in %.1f s", exc, wait)
                await asyncio.sleep(wait)

    async def _refuse_encrypted(self, room_id: str) -> None:
        if room_id in self._warned_rooms:
            return
        self._warned_rooms.add(room_id)
        log.warning("matrix: encrypted message in %s cannot be read", room_id)
        try:
            await self.api.send_text(room_id, _ENCRYPTED_NOTICE, f"e2ee-notice:{room_id}")
        except AdapterError as exc:
            log.warning("matrix: could not post the encryption notice: %s", exc)


def _direct_map(content: dict[str, Any]) -> dict[str, list[str]]:
    """`m.direct` content (user id -> room ids), ignoring malformed entries."""
    return {k: [str(r) for r in v] for k, v in content.items() if isinstance(v, list)}
