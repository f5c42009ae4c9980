"""The web chat's view of the store (`adapter.ChatStore`), over repo functions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.adapters.webchat.adapter import ChatLine, ChatUser
from bot.clock import Clock
from bot.events import IncomingMessage
from bot.store import repo
from bot.store.aio import Database
from bot.store.errors import NotFound
from bot.store.models import ChatMessage
from bot.store.repo.chat_log import append_chat, chat_history


def transcribe(s: Session, msg: IncomingMessage, answer: str, now: datetime) -> None:
    """The web chat's log lines for a message and its answer, in the transaction that acts
    on the message (bot.conversation.handler.Transcript); other platforms keep no log here."""
    if msg.platform != "webchat":
        return
    for direction, text, key in (
        ("in", msg.text, f"in:{msg.message_id}"),
        ("out", answer, f"reply:{msg.message_id}"),
    ):
        append_chat(s, key=key, user_id=msg.user_id, direction=direction, text=text, now=now)


class DbChatStore:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    @staticmethod
    def _user(s: Session, contact_id: int) -> ChatUser | None:
        try:
            c = repo.get_contact(s, contact_id)
        except NotFound:
            return None
        if c.platform != "webchat":
            return None
        return ChatUser(c.id, c.user_id, c.name, c.department)

    async def consume_token(self, token: str, now: datetime) -> ChatUser | None:
        def work(s: Session) -> ChatUser | None:
            cid = repo.consume_login_token(s, token, now=now)
            return None if cid is None else self._user(s, cid)

        return await self.db.run(work)

    async def user(self, contact_id: int) -> ChatUser | None:
        return await self.db.run(lambda s: self._user(s, contact_id))

    async def append(self, user_id: str, direction: str, text: str, key: str) -> None:
        now = self.clock.now()
        await self.db.run(
            lambda s: append_chat(
                s, key=key, user_id=user_id, direction=direction, text=text, now=now
            )
        )

    async def append_many(self, user_id: str, lines: list[tuple[str, str, str]]) -> None:
        now = self.clock.now()

        def work(s: Session) -> None:
            for direction, text, key in lines:
                append_chat(s, key=key, user_id=user_id, direction=direction, text=text, now=now)

        await self.db.run(work)

    async def line(self, key: str) -> str | None:
        """The text of the log line written under `key`, if any."""

        def work(s: Session) -> str | None:
            row = s.exec(select(ChatMessage.text).where(ChatMessage.key == key)).first()
            return None if row is None else str(row)

        return await self.db.run(work)

    async def history(self, user_id: str, after: int, limit: int) -> list[ChatLine]:
        def work(s: Session) -> list[ChatLine]:
            rows = chat_history(s, user_id, after=after, limit=limit)
            return [ChatLine(r.id or 0, r.direction, r.text, r.at) for r in rows]

        return await self.db.run(work)
