"""Fixtures for the dashboard: the seed plan and contacts in a SQLite store, with passwords.

    seeded_url    a fresh copy (per test) of a store holding examples/taiyuan-energy-plan.txt
                  and examples/contacts.csv; 郭敏 is a coordinator, 何军 an admin
    dash          an aiohttp TestClient on the dashboard alone (dashboard.setup on a bare
                  app, as the composition root calls it), clock at 2024-01-05 09:00

The seed is parsed and loaded once per session (jieba takes a second), then copied.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher
from browser import chromium, screenshots
from dash_helpers import (
    ADMIN,
    COORDINATOR,
    PASSWORD,
    SEED_CONTACTS,
    SEED_PLAN,
    dashboard_app,
)
from sqlalchemy import Engine

from bot.store.contacts_import import import_contacts
from bot.store.db import make_engine, open_store, session_scope
from bot.store.loading import load_plan
from bot.web.passwords import set_password
from parser import parse_document
from parser.units import canonicalize, is_known


@pytest.fixture(scope="session")
def _seed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dash-seed") / "seed.db"
    engine = open_store(f"sqlite:///{path}")
    # Cheap argon2 parameters: the tests check the flow, not the cost.
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with session_scope(engine) as s:
        load_plan(s, parse_document(SEED_PLAN), actor="test")
        import_contacts(s, SEED_CONTACTS, canonicalize=canonicalize, is_known=is_known)
        set_password(s, COORDINATOR, PASSWORD, hasher)
        set_password(s, ADMIN, PASSWORD, hasher)
    engine.dispose()
    return path


@pytest.fixture
def seeded_url(_seed_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "dash.db"
    shutil.copyfile(_seed_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def seeded_engine(seeded_url: str) -> Iterator[Engine]:
    engine = make_engine(seeded_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
async def dash(seeded_engine: Engine) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(dashboard_app(seeded_engine))) as client:
        yield client


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    """Headless Chromium for the browser tests (tests/browser.py)."""
    async with chromium() as b:
        yield b


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return screenshots(tmp_path)
