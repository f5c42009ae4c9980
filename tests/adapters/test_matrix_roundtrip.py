"""Issue 5's round trip over a REAL Synapse, through the whole bot core, and the served
bot answering through the outbox.

A reminder pass queues the 市能源局 contact's merged reminder; the outbox
delivers it through the Matrix adapter; the contact answers 完成 3.8.3 in that
room; the task is reported in the store; and a coordinator's 逾期 (also over
Matrix) no longer lists it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestServer
from seeded import SHANGHAI, FixedClock, seeded_engine, task_status
from sqlmodel import select
from synapse_server import MatrixUser, MatrixUserClient, SynapseServer

from bot.adapters.matrix import MatrixSettings
from bot.app import build_app, make_adapters, make_core
from bot.config import Settings
from bot.delivery.outbox import OutboxSender
from bot.store.db import session_scope
from bot.store.models import Outbox

# A Friday, a working day, inside the send window; the seed's 2023 milestones are overdue.
AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)


def _settings(synapse: SynapseServer, bot: MatrixUser) -> Settings:
    return Settings(
        matrix=MatrixSettings(
            homeserver=synapse.base_url, user_id=bot.user_id, password=bot.password
        )
    )


def _body(event: dict[str, object]) -> str:
    content = event.get("content")
    return str(content.get("body", "")) if isinstance(content, dict) else ""


async def test_reminder_reply_and_overdue_query_over_synapse(
    synapse: SynapseServer,
    matrix_bot: MatrixUser,
    http_session: aiohttp.ClientSession,
    tmp_path: Path,
) -> None:
    energy = synapse.register(synapse.unique_localpart("nyj"))
    coord = synapse.register(synapse.unique_localpart("dcs"))
    extra = (
        f"市能源局,张伟M,matrix,{energy.user_id},contact\n"
        f"市政府办公室,郭敏M,matrix,{coord.user_id},coordinator\n"
    )
    engine = seeded_engine(f"sqlite:///{tmp_path / 'rt.db'}", extra_contacts=extra)
    settings = _settings(synapse, matrix_bot)
    clock = FixedClock(AS_OF)
    core = make_core(settings, clock, engine)
    adapters = make_adapters(settings, http_session, core, clock)
    assert set(adapters) == {"webchat", "matrix"}
    for adapter in adapters.values():
        await adapter.start()
    try:
        result = await core.reminders.run_pass(clock.now())
        mine = [m for m in result.planned if m.contact.user_id == energy.user_id]
        assert len(mine) == 1, "one merged reminder for the contact"
        stats = await OutboxSender(core.db, adapters, clock).drain()
        assert stats.dead == 0 and stats.failed == 0 and stats.sent >= 1

        contact = MatrixUserClient(http_session, synapse.base_url, energy)
        room = await contact.wait_for_invite(within=15)
        await contact.join(room)
        _, reminder = await contact.wait_for(
            lambda r, e: r == room and "3.8.3" in _body(e), within=15
        )
        assert reminder["sender"] == matrix_bot.user_id

        await contact.send_text(room, "完成 3.8.3 已全部开工建设")
        await contact.wait_for(
            lambda r, e: (
                r == room and e["sender"] == matrix_bot.user_id and "已报完成" in _body(e)
            ),
            within=15,
        )
        assert task_status(engine, "3.8.3") == "reported"

        officer = MatrixUserClient(http_session, synapse.base_url, coord)
        dm = await officer.create_direct_room(matrix_bot.user_id)
        await officer.send_text(dm, "逾期 市能源局")
        _, answer = await officer.wait_for(
            lambda r, e: r == dm and e["sender"] == matrix_bot.user_id and "逾期" in _body(e),
            within=20,
        )
        assert "3.8.3" not in _body(answer)
        assert "3.8.5" in _body(answer)  # still overdue, still listed
    finally:
        for adapter in adapters.values():
            await adapter.close()


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
    app = await build_app(
        _settings(synapse, matrix_bot), FixedClock(AS_OF), engine, remind_every=3600
    )
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
