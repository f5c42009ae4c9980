"""The Matrix adapter against a real Synapse: real accounts, direct rooms, real /sync."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from synapse_server import MatrixUser, MatrixUserClient, SynapseServer

from bot.adapters import find_platform
from bot.adapters.base import (
    AdapterAuthError,
    AdapterError,
    AdapterPermanentError,
    AdapterRateLimited,
    MessageHandler,
)
from bot.adapters.matrix import MatrixAdapter, MatrixSettings
from bot.events import IncomingMessage, Outgoing

pytestmark = [pytest.mark.synapse, pytest.mark.timeout(60)]


class RecordingHandler:
    """A stand-in for the conversation core: records each message and answers it."""

    def __init__(self, fail_on: str = "") -> None:
        self.received: list[IncomingMessage] = []
        self.fail_on = fail_on
        self.arrived = asyncio.Event()

    async def __call__(self, msg: IncomingMessage) -> str | None:
        self.received.append(msg)
        self.arrived.set()
        if self.fail_on and self.fail_on in msg.text:
            raise RuntimeError("the core broke on this one")
        if msg.text.startswith("完成"):
            return f"已记录：{msg.text.removeprefix('完成').strip()} 已报完成"
        return None

    async def wait_for(self, count: int, within: float = 10.0) -> list[IncomingMessage]:
        async with asyncio.timeout(within):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.received


def settings_for(synapse: SynapseServer, user: MatrixUser, **extra: Any) -> MatrixSettings:
    values = {
        "homeserver": synapse.base_url,
        "user_id": user.user_id,
        "password": user.password,
        **extra,
    }
    return MatrixSettings(**values)


AdapterFactory = Callable[..., Awaitable[MatrixAdapter]]


@pytest.fixture
async def make_adapter(
    synapse: SynapseServer, matrix_bot: MatrixUser, http_session: aiohttp.ClientSession
) -> AsyncIterator[AdapterFactory]:
    """Builds (and optionally starts) adapters for the bot account; closes them all after."""
    made: list[MatrixAdapter] = []

    async def make(
        handler: MessageHandler | None = None, start: bool = True, **settings: Any
    ) -> MatrixAdapter:
        adapter = MatrixAdapter(
            settings_for(synapse, matrix_bot, **settings),
            http_session,
            handler or RecordingHandler(),
            sync_timeout_ms=5_000,
            retry_delay=0.1,
        )
        made.append(adapter)
        if start:
            await adapter.start()
        return adapter

    yield make
    for adapter in made:
        await adapter.close()


@pytest.fixture
def contact(
    synapse: SynapseServer, matrix_contact: MatrixUser, http_session: aiohttp.ClientSession
) -> MatrixUserClient:
    return MatrixUserClient(http_session, synapse.base_url, matrix_contact)


def body_is(text: str) -> Callable[[str, dict[str, Any]], bool]:
    return lambda _room, event: event["content"].get("body") == text


def test_registered_under_its_platform_name() -> None:
    spec = find_platform("matrix")
    assert spec is not None and spec.load() is MatrixAdapter


async def test_reminder_arrives_in_a_direct_room(
    make_adapter: AdapterFactory, contact: MatrixUserClient, matrix_bot: MatrixUser
) -> None:
    bot = await make_adapter()
    text = "【督办提醒】3.8.3 建成充电桩 200 个，截止 2023-06-30，还有 7 个工作日。"
    await bot.send(Outgoing("matrix", contact.user.user_id, text, key="outbox:1"))

    room_id = await contact.wait_for_invite()
    await contact.join(room_id)
    seen_room, event = await contact.wait_for(body_is(text))

    assert seen_room == room_id
    assert event["sender"] == matrix_bot.user_id
    assert event["content"]["msgtype"] == "m.text"
    # The bot recorded the room as direct, as Matrix clients do, so the next one reuses it.
    as_bot = MatrixUserClient(contact.http, contact.base_url, matrix_bot)
    path = f"/_matrix/client/v3/user/{matrix_bot.user_id}/account_data/m.direct"
    direct = await as_bot.call("GET", path)
    assert direct == {contact.user.user_id: [room_id]}
    await bot.send(Outgoing("matrix", contact.user.user_id, "第二条", key="outbox:2"))
    second_room, _ = await contact.wait_for(body_is("第二条"))
    assert second_room == room_id


async def test_reply_reaches_the_handler_and_the_answer_comes_back(
    make_adapter: AdapterFactory, contact: MatrixUserClient, matrix_bot: MatrixUser
) -> None:
    handler = RecordingHandler()
    bot = await make_adapter(handler)
    # The contact starts the chat, as from a client's "new direct message" button; the bot
    # auto-joins and sees the message even though it was sent before the join.
    room_id = await contact.create_direct_room(matrix_bot.user_id)
    event_id = await contact.send_text(room_id, "完成 3.8.3")

    [msg] = await handler.wait_for(1)
    assert msg.platform == "matrix"
    assert msg.user_id == contact.user.user_id
    assert msg.text == "完成 3.8.3"
    assert msg.message_id == event_id
    assert msg.reply_context == {"room_id": room_id}
    assert msg.received_at.tzinfo is not None

    _, answer = await contact.wait_for(body_is("已记录：3.8.3 已报完成"))
    assert answer["sender"] == matrix_bot.user_id
    # Reminders now go to the room the contact opened, not to a new one.
    await bot.send(Outgoing("matrix", contact.user.user_id, "提醒", key="outbox:9"))
    reminder_room, _ = await contact.wait_for(body_is("提醒"))
    assert reminder_room == room_id
    assert contact.invites == []


async def test_first_start_ignores_history_and_own_messages(
    make_adapter: AdapterFactory, contact: MatrixUserClient
) -> None:
    # The bot has only ever sent (like `taskbot remind`); the contact answered meanwhile.
    sender = await make_adapter(start=False)
    await sender.send(Outgoing("matrix", contact.user.user_id, "你好", key="hello"))
    room_id = await contact.wait_for_invite()
    await contact.join(room_id)
    await contact.send_text(room_id, "完成 1.1.1")

    handler = RecordingHandler()
    await make_adapter(handler)
    await contact.send_text(room_id, "完成 2.2.2")
    await contact.wait_for(body_is("已记录：2.2.2 已报完成"))
    # Neither the history nor the bot's own messages reached the handler.
    assert [m.text for m in handler.received] == ["完成 2.2.2"]


async def test_restart_answers_what_arrived_while_down(
    make_adapter: AdapterFactory, contact: MatrixUserClient, matrix_bot: MatrixUser
) -> None:
    first_handler = RecordingHandler()
    first = await make_adapter(first_handler)
    room_id = await contact.create_direct_room(matrix_bot.user_id)
    await contact.send_text(room_id, "完成 1.1.1")
    await contact.wait_for(body_is("已记录：1.1.1 已报完成"))
    await first.close()
    await contact.send_text(room_id, "完成 2.2.2")  # sent while the bot is down

    handler = RecordingHandler()
    await make_adapter(handler)
    await contact.wait_for(body_is("已记录：2.2.2 已报完成"))
    assert [m.text for m in first_handler.received] == ["完成 1.1.1"]
    assert [m.text for m in handler.received] == ["完成 2.2.2"]


async def test_retried_send_with_the_same_key_posts_once(
    make_adapter: AdapterFactory, contact: MatrixUserClient
) -> None:
    bot = await make_adapter(start=False)
    msg = Outgoing("matrix", contact.user.user_id, "只发一次", key="outbox:42")
    await bot.send(msg)
    await bot.send(msg)
    # A restarted process logs in again (same device): still deduplicated by Synapse.
    restarted = await make_adapter(start=False)
    await restarted.send(msg)
    await restarted.send(Outgoing("matrix", contact.user.user_id, "结束", key="outbox:43"))

    room_id = await contact.wait_for_invite()
    await contact.join(room_id)
    await contact.wait_for(body_is("结束"))
    bodies = [e["content"]["body"] for e in await contact.room_messages(room_id)]
    assert bodies.count("只发一次") == 1


async def test_bad_password_is_an_auth_error(make_adapter: AdapterFactory) -> None:
    with pytest.raises(AdapterAuthError):
        await make_adapter(password="not-the-password")
    bot = await make_adapter(start=False, password="not-the-password")
    with pytest.raises(AdapterAuthError):
        await bot.send(Outgoing("matrix", "@someone:localhost", "x", key="k"))


async def test_access_token_instead_of_password(
    make_adapter: AdapterFactory, contact: MatrixUserClient, matrix_bot: MatrixUser
) -> None:
    bot = await make_adapter(start=False, password="", access_token=matrix_bot.access_token)
    await bot.send(Outgoing("matrix", contact.user.user_id, "凭令牌", key="tok"))
    await contact.join(await contact.wait_for_invite())
    await contact.wait_for(body_is("凭令牌"))


async def test_unknown_recipient_is_permanent(make_adapter: AdapterFactory) -> None:
    bot = await make_adapter(start=False)
    with pytest.raises(AdapterPermanentError):
        await bot.send(Outgoing("matrix", "@nobody:localhost", "x", key="k"))


async def test_handler_failure_does_not_stop_the_loop(
    make_adapter: AdapterFactory, contact: MatrixUserClient, matrix_bot: MatrixUser
) -> None:
    handler = RecordingHandler(fail_on="坏")
    await make_adapter(handler)
    room_id = await contact.create_direct_room(matrix_bot.user_id)
    await contact.send_text(room_id, "坏消息")
    await handler.wait_for(1)
    await contact.send_text(room_id, "完成 3.4.2")
    await contact.wait_for(body_is("已记录：3.4.2 已报完成"))


async def test_encrypted_message_gets_one_plain_notice(
    make_adapter: AdapterFactory, contact: MatrixUserClient, matrix_bot: MatrixUser
) -> None:
    handler = RecordingHandler()
    await make_adapter(handler)
    room_id = await contact.create_direct_room(matrix_bot.user_id)
    ciphertext = {"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "AwgA", "device_id": "X"}
    for n in range(2):
        await contact.call(
            "PUT",
            f"/_matrix/client/v3/rooms/{room_id}/send/m.room.encrypted/enc{n}",
            ciphertext,
        )
    await contact.send_text(room_id, "完成 5.5.5")
    await contact.wait_for(body_is("已记录：5.5.5 已报完成"))
    bodies = [e["content"]["body"] for e in await contact.room_messages(room_id)]
    assert sum("加密" in b for b in bodies) == 1
    assert [m.text for m in handler.received] == ["完成 5.5.5"]


async def test_close_stops_the_sync_loop_promptly(make_adapter: AdapterFactory) -> None:
    bot = await make_adapter()
    task = bot._sync_task
    assert task is not None and not task.done()
    await asyncio.sleep(0)  # one step: the loop runs up to its first await, the long poll
    assert bot._waiting
    started = time.monotonic()
    await bot.close()
    # close must not wait for the long poll to end.
    assert time.monotonic() - started < 1.0
    assert task.cancelled()
    assert bot._sync_task is None
    await bot.close()  # twice is harmless


async def test_close_finishes_the_answer_in_hand(
    make_adapter: AdapterFactory, contact: MatrixUserClient, matrix_bot: MatrixUser
) -> None:
    gate = asyncio.Event()
    handler = RecordingHandler()

    async def slow(msg: IncomingMessage) -> str | None:
        answer = await handler(msg)
        await gate.wait()  # the core is still writing when shutdown begins
        return answer

    bot = await make_adapter(slow)
    room_id = await contact.create_direct_room(matrix_bot.user_id)
    await contact.send_text(room_id, "完成 6.6.6")
    await handler.wait_for(1)

    closing = asyncio.create_task(bot.close())
    done, _ = await asyncio.wait({closing}, timeout=0.3)
    assert not done  # close() waits for the answer in hand
    gate.set()
    await asyncio.wait_for(closing, 10)
    await contact.wait_for(body_is("已记录：6.6.6 已报完成"))


# --- error mapping, against a stand-in homeserver that answers with chosen errors --------


IN_ROOM = {"room_id": "!room:localhost"}


async def stand_in(status: int, body: dict[str, Any]) -> TestServer:
    async def answer(_request: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    return server


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 2500}, AdapterRateLimited),
        (401, {"errcode": "M_UNKNOWN_TOKEN"}, AdapterAuthError),
        (403, {"errcode": "M_FORBIDDEN"}, AdapterAuthError),
        (400, {"errcode": "M_BAD_JSON"}, AdapterPermanentError),
        (502, {}, AdapterError),
    ],
)
async def test_http_errors_map_to_adapter_errors(
    http_session: aiohttp.ClientSession,
    status: int,
    body: dict[str, Any],
    error: type[AdapterError],
) -> None:
    server = await stand_in(status, body)
    try:
        settings = MatrixSettings(
            homeserver=str(server.make_url("")), user_id="@bot:localhost", access_token="t0ken"
        )
        bot = MatrixAdapter(settings, http_session, RecordingHandler())
        with pytest.raises(error) as caught:
            await bot.send(Outgoing("matrix", "@a:localhost", "x", "k", IN_ROOM))
        assert type(caught.value) is error
        assert "t0ken" not in str(caught.value)
        if isinstance(caught.value, AdapterRateLimited):
            assert caught.value.retry_after == 2.5
    finally:
        await server.close()


async def test_unreachable_homeserver_is_a_retryable_error(
    http_session: aiohttp.ClientSession,
) -> None:
    server = await stand_in(200, {})
    url = str(server.make_url(""))
    await server.close()  # nothing listens there any more
    settings = MatrixSettings(homeserver=url, user_id="@bot:localhost", access_token="t")
    bot = MatrixAdapter(settings, http_session, RecordingHandler())
    with pytest.raises(AdapterError) as caught:
        await bot.send(Outgoing("matrix", "@a:localhost", "x", "k", IN_ROOM))
    assert type(caught.value) is AdapterError
