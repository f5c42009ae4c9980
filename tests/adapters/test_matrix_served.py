"""The served bot (build_app, scheduler running) over a real Synapse: answers to chat
messages go through the outbox, are sent at once, and are recorded as sent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from seeded import SHANGHAI, FixedClock, seeded_engine, task_status
from sqlmodel import select
from synapse_server import MatrixUser, MatrixUserClient, SynapseServer

from bot.app import build_app
from bot.config import MatrixSettings, Settings
from bot.store.db import session_scope
from bot.store.models import Outbox

AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)


def _body(event: dict[str, object]) -> str:
    content = event.get("content")
    return str(content.get("body", "")) if isinstance(content, dict) else ""


async def test_answers_go_through_the_outbox_when_served(
    synapse: SynapseServer,
    matrix_bot: MatrixUser,
    http_session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    energy = synapse.register(synapse.unique_localpart("nyj"))
    engine = seeded_engine(
        f"sqlite:///{tmp_path / 's.db'}",
        extra_contacts=f"市能源局,张伟M,matrix,{energy.user_id},contact\n",
    )
    settings = Settings(
        matrix=MatrixSettings(
            homeserver=synapse.base_url, user_id=matrix_bot.user_id, password=matrix_bot.password
        )
    )
    app = await build_app(settings, FixedClock(AS_OF), engine, remind_every=3600)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        contact = MatrixUserClient(http_session, synapse.base_url, energy)
        # The first reminder pass runs at start-up and opens a direct room.
        room = await contact.wait_for_invite(within=20)
        await contact.join(room)
        await contact.wait_for(lambda r, e: r == room and "3.8.3" in _body(e), within=20)
        event_id = await contact.send_text(room, "完成 3.8.3")
        await contact.wait_for(
            lambda r, e: (
                r == room and e["sender"] == matrix_bot.user_id and "已报完成" in _body(e)
            ),
            within=20,
        )
    finally:
        await server.close()
    assert task_status(engine, "3.8.3") == "reported"
    with session_scope(engine) as s:
        replies = s.exec(select(Outbox).where(Outbox.kind == "reply")).all()
    assert [(r.key, r.state, r.reply_context.get("room_id")) for r in replies] == [
        (f"reply:matrix:{event_id}", "sent", room)
    ]
