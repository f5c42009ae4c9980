"""The bot's send queue, reminder records and one-time login links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.store import repo
from bot.store.db import session_scope
from bot.store.models import OutboxState

T0 = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)


def _enqueue(engine: Engine, n: int) -> None:
    with session_scope(engine) as s:
        for i in range(n):
            assert repo.enqueue_outbox(
                s, key=f"k{i}", platform="wecom", user_id=f"u{i}", text=f"提醒{i}", now=T0
            )


def test_enqueue_is_idempotent_on_key(engine: Engine) -> None:
    _enqueue(engine, 1)
    with session_scope(engine) as s:
        assert not repo.enqueue_outbox(s, key="k0", platform="wecom", user_id="u0", text="again")
        assert [o.text for o in repo.list_outbox(s)] == ["提醒0"]


def test_claim_send_and_no_double_claim(engine: Engine) -> None:
    _enqueue(engine, 3)
    with session_scope(engine) as s:
        first = repo.claim_outbox(s, worker="w1", now=T0, limit=2)
        assert [o.key for o in first] == ["k0", "k1"]
        assert all(o.state == OutboxState.SENDING and o.claimed_by == "w1" for o in first)
    with session_scope(engine) as s:
        second = repo.claim_outbox(s, worker="w2", now=T0, limit=10)
        assert [o.key for o in second] == ["k2"]
        assert repo.mark_sent(s, first[0].id or 0, worker="w1", now=T0)
        assert not repo.mark_sent(s, first[1].id or 0, worker="w2", now=T0)  # not w2's claim
    with session_scope(engine) as s:
        assert repo.claim_outbox(s, worker="w3", now=T0) == []
        states = {o.key: o.state for o in repo.list_outbox(s)}
        assert states == {"k0": "sent", "k1": "sending", "k2": "sending"}


# PostgreSQL only: SQLite runs one writer at a time, so nothing to skip past.
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
def test_concurrent_claims_skip_locked_rows(engine: Engine) -> None:
    _enqueue(engine, 4)
    with session_scope(engine) as a, session_scope(engine) as b:
        got_a = repo.claim_outbox(a, worker="a", now=T0, limit=2)
        got_b = repo.claim_outbox(b, worker="b", now=T0, limit=4)  # does not wait for a
        assert {o.key for o in got_a} == {"k0", "k1"}
        assert {o.key for o in got_b} == {"k2", "k3"}


def test_failures_back_off_then_die_and_can_be_resent(engine: Engine) -> None:
    _enqueue(engine, 1)
    now = T0
    for attempt in range(1, 4):
        with session_scope(engine) as s:
            (row,) = repo.claim_outbox(s, worker="w", now=now)
            state = repo.mark_failed(
                s, row.id or 0, worker="w", error="503", now=now, max_attempts=3
            )
        with session_scope(engine) as s:
            (row,) = repo.list_outbox(s)
            if attempt < 3:
                assert state == "queued" and row.attempts == attempt
                assert row.next_attempt_at == now + repo.backoff(attempt)
                assert repo.claim_outbox(s, worker="w", now=now) == []  # not due yet
                now = row.next_attempt_at
            else:
                assert state == "dead" and row.last_error == "503"
    with session_scope(engine) as s:
        dead = repo.list_dead(s)
        assert len(dead) == 1
        assert repo.resend(s, dead[0].id or 0, now=now)
    with session_scope(engine) as s:
        assert [o.attempts for o in repo.claim_outbox(s, worker="w", now=now)] == [0]


def test_stale_claims_are_requeued(engine: Engine) -> None:
    _enqueue(engine, 1)
    with session_scope(engine) as s:
        repo.claim_outbox(s, worker="dead-worker", now=T0)
    with session_scope(engine) as s:
        assert (
            repo.requeue_stale(s, older_than=timedelta(minutes=5), now=T0 + timedelta(minutes=1))
            == 0
        )
        assert (
            repo.requeue_stale(s, older_than=timedelta(minutes=5), now=T0 + timedelta(minutes=6))
            == 1
        )
    with session_scope(engine) as s:
        assert [
            o.key for o in repo.claim_outbox(s, worker="w2", now=T0 + timedelta(minutes=6))
        ] == ["k0"]


def test_login_tokens_work_once_and_expire(engine: Engine) -> None:
    with session_scope(engine) as s:
        repo.upsert_contacts(
            s, [repo.ContactSpec("市能源局", "李娜", "webchat", "lina", "contact")]
        )
        cid = repo.list_contacts(s)[0].id
        token = repo.create_login_token(s, cid, ttl=timedelta(hours=1), now=T0)
        late = repo.create_login_token(s, cid, ttl=timedelta(hours=1), now=T0)
    with session_scope(engine) as s:
        assert repo.consume_login_token(s, "wrong", now=T0) is None
        assert repo.consume_login_token(s, token, now=T0 + timedelta(minutes=5)) == cid
        assert repo.consume_login_token(s, token, now=T0 + timedelta(minutes=6)) is None
        assert repo.consume_login_token(s, late, now=T0 + timedelta(hours=2)) is None


def test_reminders_are_recorded_once_per_day(engine: Engine) -> None:
    from store_factory import BASE, make_plan

    from bot.store.loading import load_plan

    with session_scope(engine) as s:
        load_plan(s, make_plan(BASE))
        repo.upsert_contacts(s, [repo.ContactSpec("市交通局", "张伟", "wecom", "zw", "contact")])
    with session_scope(engine) as s:
        task = repo.find_task(s, "1.3.1").id or 0
        cid = repo.list_contacts(s)[0].id
        day = T0.date()
        assert repo.record_reminder(s, task_id=task, contact_id=cid, kind="overdue", sent_on=day)
        assert not repo.record_reminder(
            s, task_id=task, contact_id=cid, kind="overdue", sent_on=day
        )
        assert repo.last_reminder_on(s, task_id=task, contact_id=cid) == day
