"""Admin-issued web chat login links on both backends: one live link per contact, one use,
an expiry; and `taskbot contacts link` (printed, a QR code PNG, bad input exit 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cli_helpers import invoke
from sqlalchemy import Engine

from bot.config import Settings, WebchatSettings
from bot.errors import UserError
from bot.store import repo
from bot.store.db import session_scope
from bot.store.repo import ContactSpec
from bot.store.repo.links import live_link_count
from bot.web.login_links import find_chat_contact, issue_chat_link

T0 = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)
SETTINGS = Settings(webchat=WebchatSettings(link_days=7))


def _contacts(engine: Engine) -> None:
    with session_scope(engine) as s:
        repo.upsert_contacts(
            s,
            [
                ContactSpec("市能源局", "张伟", "webchat", "zw", "contact"),
                ContactSpec("市能源局", "李娜", "matrix", "@lina:localhost", "contact"),
                ContactSpec("市能源局", "王芳", "webchat", "wf1", "contact"),
                ContactSpec("市财政局", "王芳", "webchat", "wf2", "contact"),
            ],
        )


def _issue(engine: Engine, who: str, now: datetime = T0) -> str:
    with session_scope(engine) as s:
        link = issue_chat_link(
            s, find_chat_contact(s, who), settings=SETTINGS, actor="test", now=now
        )
    assert link.expires == now + timedelta(days=7)
    return link.url.rsplit("/", 1)[1]


def _consume(engine: Engine, token: str, now: datetime) -> int | None:
    with session_scope(engine) as s:
        return repo.consume_login_token(s, token, now=now)


def test_new_link_revokes_the_old_and_works_once(engine: Engine) -> None:
    _contacts(engine)
    old = _issue(engine, "张伟")
    new = _issue(engine, "zw", T0 + timedelta(hours=1))  # by user id this time
    later = T0 + timedelta(hours=2)
    assert _consume(engine, old, later) is None, "the old link must be refused"
    cid = _consume(engine, new, later)
    assert cid is not None
    assert _consume(engine, new, later) is None, "a link works once"
    with session_scope(engine) as s:
        assert live_link_count(s, cid, now=later) == 0
        actions = [a for a in repo.list_audit(s) if a.action == "login_link"]
        assert [a.detail["revoked"] for a in actions] == [0, 1]
        assert all(old not in str(a.detail) and new not in str(a.detail) for a in actions)


def test_expired_link_is_refused(engine: Engine) -> None:
    _contacts(engine)
    token = _issue(engine, "张伟")
    assert _consume(engine, token, T0 + timedelta(days=7, seconds=1)) is None
    token = _issue(engine, "张伟", T0 + timedelta(days=8))
    assert _consume(engine, token, T0 + timedelta(days=14, hours=23)) is not None


def test_who_must_name_one_web_chat_contact(engine: Engine) -> None:
    _contacts(engine)
    with session_scope(engine) as s:
        for who, said in (
            ("王芳", "several web chat contacts are named 王芳"),
            ("李娜", "no web chat account (only matrix)"),
            ("nobody", "no contact named nobody"),
            ("  ", "say whose link"),
        ):
            try:
                find_chat_contact(s, who)
            except UserError as exc:
                assert said in str(exc), (who, exc)
            else:
                raise AssertionError(f"{who!r} accepted")
        assert find_chat_contact(s, "wf2").department == "市财政局"


def test_cli_prints_the_link_and_writes_a_qr_code(
    store_url: str, engine: Engine, tmp_path: Path
) -> None:
    _contacts(engine)
    qr = tmp_path / "zw.png"
    run = invoke(
        store_url, "--config", str(_config(tmp_path)), "contacts", "link", "张伟", "--qr", str(qr)
    )
    assert run.returncode == 0, run.stderr
    assert "https://bot.example.gov.cn/chat/login/" in run.stdout
    assert qr.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    token = run.stdout.split("/chat/login/")[1].split()[0]
    again = invoke(store_url, "contacts", "link", "张伟", "--no-qr")
    assert again.returncode == 0, again.stderr
    with session_scope(engine) as s:
        assert repo.consume_login_token(s, token) is None, "issuing again revoked it"
    bad = invoke(store_url, "contacts", "link", "李娜")
    assert bad.returncode == 2 and "no web chat account" in bad.stderr
    missing = invoke(store_url, "contacts", "link", "张伟", "--qr", str(tmp_path / "no/x.png"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "taskbot.toml"
    path.write_text('[server]\npublic_url = "https://bot.example.gov.cn/"\n', encoding="utf-8")
    return path


def test_chat_session_and_link_lifetimes_are_configured() -> None:
    from bot.app import chat_timeouts
    from bot.config import load_settings

    settings = load_settings(
        env={"TASKBOT_WEBCHAT_LINK_DAYS": "3", "TASKBOT_WEBCHAT_SESSION_DAYS": "2"}
    )
    assert settings.webchat.link_days == 3
    assert chat_timeouts(settings) == (timedelta(days=2), timedelta(days=2))
    assert chat_timeouts(Settings()) == (timedelta(days=7), timedelta(days=30))
