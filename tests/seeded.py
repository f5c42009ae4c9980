"""A store with the bundled seed plan and sample contacts, for bot-level tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.store import repo
from bot.store.contacts_import import import_contacts
from bot.store.db import open_store, session_scope
from bot.store.loading import load_plan
from parser import parse_document
from parser.units import canonicalize, is_known

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "taiyuan-energy-plan.txt"
CONTACTS = ROOT / "examples" / "contacts.csv"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class FixedClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def seeded_engine(url: str, extra_contacts: str = "") -> Engine:
    """Open `url`, load the seed plan and examples/contacts.csv (plus `extra_contacts` rows)."""
    engine = open_store(url)
    contacts = CONTACTS
    if extra_contacts:
        target = Path(url.removeprefix("sqlite:///")).with_suffix(".contacts.csv")
        target.write_text(
            CONTACTS.read_text(encoding="utf-8").rstrip("\n") + "\n" + extra_contacts,
            encoding="utf-8",
        )
        contacts = target
    with session_scope(engine) as s:
        load_plan(s, parse_document(SEED), actor="test")
        import_contacts(s, contacts, canonicalize=canonicalize, is_known=is_known, actor="test")
    return engine


def task_status(engine: Engine, key: str) -> str:
    with session_scope(engine) as s:
        return repo.find_task(s, key).status
