"""Helpers for dashboard tests: log in through the real form, read CSRF tokens from pages."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import Engine

from bot.clock import make_clock
from bot.config import Settings
from bot.store.aio import Database
from bot.web import dashboard
from bot.web.sessions import SessionCodec

COORDINATOR = "郭敏"
ADMIN = "何军"
PASSWORD = "correct horse battery"
AS_OF = "2024-01-05"
ROOT = Path(__file__).resolve().parents[1]
SEED_PLAN = ROOT / "examples" / "taiyuan-energy-plan.txt"
SEED_CONTACTS = ROOT / "examples" / "contacts.csv"

Client = TestClient[web.Request, web.Application]

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_in(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "page has no CSRF field"
    return m.group(1)


async def login(client: Client, name: str, password: str = PASSWORD) -> str:
    """Log in through GET/POST /login; returns the CSRF token of the logged-in session."""
    page = await (await client.get("/login")).text()
    resp = await client.post(
        "/login",
        data={"csrf": csrf_in(page), "name": name, "password": password, "next": "/"},
        allow_redirects=False,
    )
    assert resp.status == 302, await resp.text()
    home = await (await client.get("/")).text()
    return csrf_in(home)


def revised_plan(seed: Path, out: Path) -> Path:
    """The seed plan with milestones 3.4.2 and 3.8.5 moved to 2024 (and so their measures' texts:
    four `changed` in the diff)."""
    text = seed.read_text(encoding="utf-8")
    for old, new in (
        ("2023年力争全市新建充电桩1万台", "2024年力争全市新建充电桩1.5万台"),
        ("2023 年力争再新推动 1 个绿色开采试点建设", "2024 年力争再新推动 2 个绿色开采试点建设"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    out.write_text(text, encoding="utf-8")
    return out


def multipart(field: str, filename: str, content: bytes, **fields: str) -> aiohttp.FormData:
    """A multipart form: text `fields` plus one file in `field`."""
    data = aiohttp.FormData()
    for k, v in fields.items():
        data.add_field(k, v)
    data.add_field(field, content, filename=filename)
    return data


def dashboard_app(engine: Engine, as_of: str = AS_OF) -> web.Application:
    settings = Settings(database_url=str(engine.url), secret_key="test-secret-" + "x" * 20)
    app = web.Application(client_max_size=20 * 1024 * 1024)
    codec = SessionCodec(b"k" * 32, "taskbot_login", max_age=3600)
    dashboard.setup(
        app,
        db=Database(engine),
        clock=make_clock(as_of, settings.tz),
        settings=settings,
        codec=codec,
    )
    return app
