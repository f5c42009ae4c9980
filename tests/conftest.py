"""Shared fixtures: a real PostgreSQL for the session, and one database per test on each backend.

    db_url      a fresh, EMPTY database; parametrized: [sqlite] and [postgresql]
    store_url   a fresh database already migrated to the newest schema (same parameters)
    engine      a store engine on `store_url`
    postgres_url  the session's PostgreSQL server (maintenance database "postgres")

PostgreSQL tests skip with a loud reason only when the server cannot be started at all.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
from pgserver import PostgresUnavailable, TempPostgres
from sqlalchemy import Engine

from bot.conversation.matching import TaskMatcher
from bot.store.db import make_engine, migrate

_counter = itertools.count(1)
TEMPLATE = "taskbot_template"


def _unavailable(reason: str) -> NoReturn:
    """Skip loudly; in CI (TASKBOT_REQUIRE_POSTGRES=1) a missing server is a failure."""
    if os.environ.get("TASKBOT_REQUIRE_POSTGRES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TempPostgres]:
    try:
        pg = TempPostgres()
    except PostgresUnavailable as exc:
        _unavailable(f"!!! POSTGRESQL TESTS SKIPPED: {exc} !!!")
    try:
        pg.start()
    except PostgresUnavailable as exc:
        pg.stop()
        _unavailable(f"!!! POSTGRESQL TESTS SKIPPED: server would not start: {exc} !!!")
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: TempPostgres) -> str:
    return postgres_server.url


def _admin(pg: TempPostgres) -> psycopg.Connection:
    return psycopg.connect(f"postgresql://postgres@127.0.0.1:{pg.port}/postgres", autocommit=True)


@pytest.fixture(scope="session")
def _pg_template(postgres_server: TempPostgres) -> str:
    """A migrated database that per-test databases are cloned from (CREATE … TEMPLATE)."""
    with _admin(postgres_server) as conn:
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    engine = make_engine(postgres_server.url_for(TEMPLATE))
    migrate(engine)
    engine.dispose()
    return TEMPLATE


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _pg_database(request: pytest.FixtureRequest, template: str | None) -> Iterator[str]:
    pg: TempPostgres = request.getfixturevalue("postgres_server")
    name = f"t{next(_counter)}"
    with _admin(pg) as conn:
        conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    try:
        yield pg.url_for(name)
    finally:
        with _admin(pg) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database on each backend."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
    else:
        yield from _pg_database(request, None)


@pytest.fixture
def store_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the newest schema on each backend."""
    if db_backend == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "store.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
    else:
        yield from _pg_database(request, request.getfixturevalue("_pg_template"))


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    eng = make_engine(store_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture(scope="session")
def matcher() -> TaskMatcher:
    """One warmed matcher for the run: its tokenizer takes ~0.5 s to load."""
    m = TaskMatcher()
    m.warm()
    return m
