"""Dashboard accounts (bot/web/accounts.py) on both backends: create, re-role, reset and
disable; always one enabled admin; a reset or disable ends the person's dashboard sessions
and leaves their web chat alone; audited without the password; `taskbot users add | role |
list`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import typer
from argon2 import PasswordHasher
from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import dashboard as cli_dashboard
from bot.cli.state import global_options
from bot.errors import UserError
from bot.store import repo
from bot.store.db import session_scope
from bot.store.repo import ContactSpec
from bot.store.repo.sessions import create_session, live_session
from bot.web import accounts

T0 = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)
HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
ACTOR = "何军 (dashboard)"


def _seed(engine: Engine) -> None:
    with session_scope(engine) as s:
        repo.upsert_contacts(
            s,
            [
                ContactSpec("市政府办公室", "何军", "webchat", "hj", "admin"),
                ContactSpec("市政府办公室", "郭敏", "webchat", "gm", "coordinator"),
                ContactSpec("市能源局", "张伟", "webchat", "zw", "contact"),
            ],
        )
        for c in repo.list_contacts(s):
            if c.is_coordinator:
                repo.set_password_hash(s, c.id, HASHER.hash("old password"))


def _live(engine: Engine, sid: str, kind: str) -> bool:
    with session_scope(engine) as s:
        row = live_session(
            s, sid, kind=kind, now=T0, idle=timedelta(days=1), absolute=timedelta(days=1)
        )
        return row is not None


def test_create_reset_and_disable(engine: Engine) -> None:
    _seed(engine)
    with session_scope(engine) as s:
        made = accounts.create_account(
            s,
            name="韩梅梅",
            department="市发展改革委",
            role="coordinator",
            digest=HASHER.hash("first password"),
            actor=ACTOR,
            now=T0,
        )
        assert (made.role, made.departments, made.enabled) == (
            "coordinator",
            ("市发展改革委",),
            True,
        )
        (cid,) = made.contact_ids
        create_session(s, id="d1", contact_id=cid, kind="dash", csrf="x", address="", now=T0)
        create_session(s, id="c1", contact_id=cid, kind="chat", csrf="x", address="", now=T0)
    with session_scope(engine) as s, pytest.raises(UserError, match="already has"):
        accounts.create_account(
            s, name="韩梅梅", department="市能源局", role="admin", digest="x", actor=ACTOR, now=T0
        )
    with session_scope(engine) as s, pytest.raises(UserError, match="coordinator or admin"):
        accounts.create_account(
            s, name="李雷", department="市能源局", role="leader", digest="x", actor=ACTOR, now=T0
        )
    with session_scope(engine) as s:
        accounts.reset_password(
            s, "韩梅梅", HASHER.hash("second password"), actor=ACTOR, now=T0, generated=True
        )
    assert not _live(engine, "d1", "dash") and _live(engine, "c1", "chat")
    with session_scope(engine) as s:
        digest = repo.password_hash(s, cid)
        assert digest is not None and HASHER.verify(digest, "second password")
        create_session(s, id="d2", contact_id=cid, kind="dash", csrf="x", address="", now=T0)
    with session_scope(engine) as s:
        assert accounts.disable(s, "韩梅梅", actor=ACTOR, now=T0) == 1
    assert not _live(engine, "d2", "dash") and _live(engine, "c1", "chat")
    with session_scope(engine) as s:
        assert repo.password_hash(s, cid) is None
        assert not accounts.get_account(s, "韩梅梅").enabled
        log = [a for a in repo.list_audit(s) if a.action in accounts.ACTIONS]
    assert [(a.action, a.actor) for a in log] == [
        ("create_account", ACTOR),
        ("set_password", ACTOR),
        ("disable_account", ACTOR),
    ]
    assert all("password" not in str(a.detail).replace("set_password", "") for a in log)


def test_there_is_always_an_enabled_admin(engine: Engine) -> None:
    _seed(engine)
    for act in (
        lambda s: accounts.change_role(s, "何军", "coordinator", actor=ACTOR, now=T0),
        lambda s: accounts.disable(s, "何军", actor=ACTOR, now=T0),
    ):
        with session_scope(engine) as s, pytest.raises(UserError, match="only enabled admin"):
            act(s)
    with session_scope(engine) as s:
        assert accounts.get_account(s, "何军").is_admin
        assert accounts.change_role(s, "郭敏", "admin", actor=ACTOR, now=T0)
        assert not accounts.change_role(s, "郭敏", "admin", actor=ACTOR, now=T0)
    with session_scope(engine) as s:
        assert accounts.change_role(s, "何军", "coordinator", actor=ACTOR, now=T0)
    # 郭敏 is now the only admin: disabling them is refused, a disabled admin does not count.
    with session_scope(engine) as s, pytest.raises(UserError, match="only enabled admin"):
        accounts.disable(s, "郭敏", actor=ACTOR, now=T0)
    with session_scope(engine) as s, pytest.raises(UserError, match="no dashboard account"):
        accounts.change_role(s, "张伟", "admin", actor=ACTOR, now=T0)


def _run(db: str, *args: str, stdin: str | None = None) -> tuple[int, str, BaseException | None]:
    app = typer.Typer(pretty_exceptions_enable=False)
    app.callback()(global_options)
    cli_dashboard.register(app)
    result = CliRunner().invoke(app, ["--db", db, *args], input=stdin, env={"TASKBOT_DB": None})
    return result.exit_code, result.stdout, result.exception


def test_cli_users_add_role_list(store_url: str, engine: Engine) -> None:
    _seed(engine)
    code, out, exc = _run(
        store_url, "users", "add", "韩梅梅", "--dept", "发改委", "--password-stdin",
        stdin="a good password\n",
    )  # fmt: skip
    assert code == 0, exc
    assert "created coordinator 韩梅梅 (市发展改革委)" in out
    code, out, exc = _run(store_url, "users", "role", "韩梅梅", "admin")
    assert code == 0 and "now admin" in out, exc
    code, out, _ = _run(store_url, "users", "list")
    assert "韩梅梅\tadmin\t市发展改革委\tenabled" in out.splitlines()
    _c, _o, exc = _run(
        store_url, "users", "add", "李雷", "--dept", "火星局", "--password-stdin", stdin="x" * 9
    )
    assert isinstance(exc, UserError) and "unknown department" in str(exc)
    _c, _o, exc = _run(
        store_url,
        "users",
        "add",
        "李雷",
        "--dept",
        "市能源局",
        "--password-stdin",
        stdin="short\n",
    )
    assert isinstance(exc, UserError) and "too short" in str(exc)
    _c, _o, exc = _run(store_url, "users", "role", "韩梅梅", "leader")
    assert isinstance(exc, UserError)
    with session_scope(engine) as s:
        assert [a.name for a in accounts.list_accounts(s)] == ["何军", "郭敏", "韩梅梅"]
