"""Parse -> review -> publish on both backends: a draft reminds nobody, an admin's corrections
reach the departments once published, and survive revisions (or are offered for review when
the revision rewrote their sentence). Bad input changes nothing."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cli_helpers import invoke
from sqlalchemy import Engine, select
from sqlmodel import SQLModel
from sqlmodel import select as sqlmodel_select

from bot.config import Settings
from bot.errors import UserError
from bot.reminders.service import ReminderService
from bot.render import Renderer
from bot.store import repo
from bot.store.aio import Database
from bot.store.contacts_import import import_contacts
from bot.store.db import session_scope
from bot.store.departments import match_department
from bot.store.loading import LoadResult, load_draft, load_plan, publish
from bot.store.models import Outbox
from bot.store.repo import corrections as rc
from bot.store.review import (
    DepartmentReader,
    Edit,
    NewMeasure,
    ReviewRefused,
    add_measure,
    decide_offered,
    drop_task,
    edit_task,
)
from parser import parse_document
from parser.model import Plan
from parser.units import canonicalize, is_known

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "taiyuan-energy-plan.txt"
CONTACTS = ROOT / "examples" / "contacts.csv"
FRIDAY = datetime(2024, 1, 5, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
READER = DepartmentReader(match_department, canonicalize, is_known)
ADMIN = "何军 (test)"
# In measure 3.8's sentence (its milestone 3.8.5) and in 3.4's (3.4.2): a revision that
# edits one leaves the other measure's sentence alone.
IN_38 = "2023 年力争再新推动 1 个绿色开采试点建设"
IN_34 = "2023年力争全市新建充电桩1万台"


def _parse(
    tmp_path: Path, name: str = "plan.txt", edits: tuple[tuple[str, str], ...] = ()
) -> Plan:
    text = SEED.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return parse_document(path)


def _draft(engine: Engine, parsed: Plan, plan_id: int | None = None) -> LoadResult:
    with session_scope(engine) as s:
        if not repo.list_contacts(s):
            import_contacts(s, CONTACTS, canonicalize=canonicalize, is_known=is_known)
        return load_draft(s, parsed, plan_id=plan_id, actor=ADMIN, now=FRIDAY)


def _vid(result: LoadResult) -> int:
    assert result.version.id is not None
    return result.version.id


async def _pass(engine: Engine) -> dict[str, str]:
    service = ReminderService(Database(engine), Renderer(), Settings())
    await service.run_pass(FRIDAY)
    with session_scope(engine) as s:
        rows = list(s.exec(sqlmodel_select(Outbox)))
        return {r.user_id: r.text for r in rows if r.kind == "reminder"}


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in SQLModel.metadata.sorted_tables
        }


def _lead(engine: Engine, key: str) -> str | None:
    with session_scope(engine) as s:
        return repo.task_row(s, repo.find_task(s, key).id or 0, as_of=FRIDAY.date()).lead


async def test_a_draft_reminds_nobody_until_it_is_published(
    engine: Engine, tmp_path: Path
) -> None:
    loaded = _draft(engine, _parse(tmp_path))
    assert loaded.draft and loaded.created and loaded.tasks == 45
    with session_scope(engine) as s:
        assert repo.list_tasks(s, as_of=FRIDAY.date()) == []
        assert repo.department_stats(s, as_of=FRIDAY.date()) == []
    assert await _pass(engine) == {}
    with session_scope(engine) as s:
        done = publish(s, _vid(loaded), actor=ADMIN, now=FRIDAY)
        assert done.tasks == 45 and done.revision is None
        assert len(repo.list_tasks(s, as_of=FRIDAY.date())) == 45
    sent = await _pass(engine)
    assert "3.8.3" in sent["nyj-zhangwei"]  # overdue since 2023-12-31, now reminded
    with session_scope(engine) as s, pytest.raises(UserError, match="not a draft"):
        publish(s, _vid(loaded), actor=ADMIN, now=FRIDAY)


async def test_a_corrected_lead_is_reminded_and_survives_an_untouched_revision(
    engine: Engine, tmp_path: Path
) -> None:
    loaded = _draft(engine, _parse(tmp_path))
    vid = _vid(loaded)
    with session_scope(engine) as s:
        changed = edit_task(
            s, vid, "3.8", Edit(lead="发改委"), reader=READER, actor=ADMIN, now=FRIDAY
        )
        assert changed == ["lead"]
        publish(s, vid, actor=ADMIN, now=FRIDAY)
    assert _lead(engine, "3.8.3") == "市发展改革委"  # milestones follow their measure
    sent = await _pass(engine)
    assert "3.8.3" in sent["fgw-wangfang"]
    assert "3.8.3" not in sent.get("nyj-zhangwei", "")

    # A revision that edits another measure's sentence: the correction is re-applied.
    rev = _draft(
        engine, _parse(tmp_path, "v2.txt", ((IN_34, "2024年力争全市新建充电桩1万台"),)), 1
    )
    assert (rev.reapplied, rev.offered) == (1, 0)
    with session_scope(engine) as s:
        assert rc.draft_task(s, _vid(rev), "3.8").lead == "市发展改革委"
        done = publish(s, _vid(rev), actor=ADMIN, now=FRIDAY)
        assert done.revision is not None
        changed_keys = {c.key for c in done.revision.diff.of("changed")}
        assert "3.8" not in changed_keys and "3.4.2" in changed_keys
        actions = [a.action for a in repo.list_audit(s)]
        assert "review_edit" in actions and "correction_reapplied" in actions
    assert _lead(engine, "3.8") == "市发展改革委"
    parsed_34 = next(m for m in _parse(tmp_path).measures if m.id == "3.4")
    assert _lead(engine, "3.4") == parsed_34.lead  # as parsed: nobody corrected it


async def test_a_rewritten_sentence_offers_the_correction_for_review(
    engine: Engine, tmp_path: Path
) -> None:
    loaded = _draft(engine, _parse(tmp_path))
    with session_scope(engine) as s:
        edit_task(s, _vid(loaded), "3.8", Edit(lead="发改委"), reader=READER, actor=ADMIN)
        publish(s, _vid(loaded), actor=ADMIN, now=FRIDAY)
    rewritten = _parse(tmp_path, "v2.txt", ((IN_38, "2024 年力争再新推动 3 个绿色开采试点建设"),))
    rev = _draft(engine, rewritten, 1)
    assert (rev.reapplied, rev.offered) == (0, 1)
    vid = _vid(rev)
    with session_scope(engine) as s:
        assert rc.draft_task(s, vid, "3.8").lead == "市能源局"  # as parsed, not applied blindly
        (offer,) = rc.offered_corrections(s, vid)
        assert offer.offered_key == "3.8"
        assert "3个绿色开采试点" in "".join((offer.offered_sentence or "").split())
    with session_scope(engine) as s, pytest.raises(UserError, match="wait for review"):
        publish(s, vid, actor=ADMIN, now=FRIDAY)
    with session_scope(engine) as s:
        decide_offered(s, offer.id or 0, accept=True, actor=ADMIN, now=FRIDAY)
        assert rc.draft_task(s, vid, "3.8").lead == "市发展改革委"
        publish(s, vid, actor=ADMIN, now=FRIDAY)
        assert "correction_accepted" in [a.action for a in repo.list_audit(s)]
    assert _lead(engine, "3.8.5") == "市发展改革委"
    # Anchored to the new sentence: a third version that keeps it re-applies it.
    third = _parse(
        tmp_path,
        "v3.txt",
        (
            (IN_38, "2024 年力争再新推动 3 个绿色开采试点建设"),
            (IN_34, "2024年力争全市新建充电桩1万台"),
        ),
    )
    again = _draft(engine, third, 1)
    assert (again.reapplied, again.offered) == (1, 0)


async def test_dismissed_correction_lets_the_revision_stand(
    engine: Engine, tmp_path: Path
) -> None:
    loaded = _draft(engine, _parse(tmp_path))
    with session_scope(engine) as s:
        edit_task(s, _vid(loaded), "3.8", Edit(lead="发改委"), reader=READER, actor=ADMIN)
        publish(s, _vid(loaded), actor=ADMIN, now=FRIDAY)
    rewritten = _parse(tmp_path, "v2.txt", ((IN_38, "2024 年力争再新推动 3 个绿色开采试点建设"),))
    rev = _draft(engine, rewritten, 1)
    with session_scope(engine) as s:
        (offer,) = rc.offered_corrections(s, _vid(rev))
        decide_offered(s, offer.id or 0, accept=False, actor=ADMIN, now=FRIDAY)
        publish(s, _vid(rev), actor=ADMIN, now=FRIDAY)
    assert _lead(engine, "3.8") == "市能源局"


async def test_drop_and_add_are_published_and_reapplied(engine: Engine, tmp_path: Path) -> None:
    parsed = _parse(tmp_path)
    sentence = "严格执行重点用能单位能源审计和能源利用状况报告制度"
    start = parsed.text.index(sentence)
    loaded = _draft(engine, parsed)
    vid = _vid(loaded)
    with session_scope(engine) as s:
        drop_task(s, vid, "3.9", actor=ADMIN, now=FRIDAY)
        key = add_measure(
            s,
            vid,
            NewMeasure(
                start, start + len(sentence), sentence, "3.23", "", "能源局", due="2024-06-30"
            ),
            reader=READER,
            actor=ADMIN,
            now=FRIDAY,
        )
        assert key == "3.23"
        publish(s, vid, actor=ADMIN, now=FRIDAY)
        keys = {t.id for t in repo.list_tasks(s, as_of=FRIDAY.date())}
        assert "3.9" not in keys and "3.9.1" not in keys and "3.23" in keys
        added = repo.find_task(s, "3.23")
        assert repo.source_sentence(s, added.id or 0) == sentence
        assert added.due == date(2024, 6, 30)
    rev = _draft(
        engine, _parse(tmp_path, "v2.txt", ((IN_34, "2024年力争全市新建充电桩1万台"),)), 1
    )
    assert (rev.reapplied, rev.offered) == (2, 0)
    with session_scope(engine) as s:
        done = publish(s, _vid(rev), actor=ADMIN, now=FRIDAY)
        assert done.revision is not None
        assert not done.revision.diff.of("withdrawn") and not done.revision.diff.of("added")
        keys = {t.id for t in repo.list_tasks(s, as_of=FRIDAY.date())}
        assert "3.23" in keys and "3.9" not in keys


BAD_EDITS = [
    (Edit(due="2024-13-45"), "截止日期格式不正确"),
    (Edit(due="0001-01-01"), "超出"),
    (Edit(lead="火星局"), "未知单位"),
    (Edit(title="  "), "标题不能为空"),
    (Edit(lead=""), "请填写牵头单位"),
]


@pytest.mark.parametrize(("edit", "zh"), BAD_EDITS)
def test_bad_edits_are_refused_and_write_nothing(
    engine: Engine, tmp_path: Path, edit: Edit, zh: str
) -> None:
    vid = _vid(_draft(engine, _parse(tmp_path)))
    before = _rows(engine)
    with session_scope(engine) as s, pytest.raises(ReviewRefused) as info:
        edit_task(s, vid, "3.8", edit, reader=READER, actor=ADMIN, now=FRIDAY)
    assert zh in info.value.zh
    assert _rows(engine) == before


def test_a_whole_edit_is_refused_for_one_bad_field(engine: Engine, tmp_path: Path) -> None:
    vid = _vid(_draft(engine, _parse(tmp_path)))
    before = _rows(engine)
    with session_scope(engine) as s, pytest.raises(ReviewRefused):
        edit_task(
            s,
            vid,
            "3.8",
            Edit(title="新标题", lead="发改委", due="明年"),
            reader=READER,
            actor=ADMIN,
        )
    assert _rows(engine) == before


def test_unknown_department_is_created_only_when_asked(engine: Engine, tmp_path: Path) -> None:
    vid = _vid(_draft(engine, _parse(tmp_path)))
    new = Edit(lead="市低空经济专班")
    with session_scope(engine) as s, pytest.raises(ReviewRefused, match="unknown department"):
        edit_task(s, vid, "3.8", new, reader=READER, actor=ADMIN)
    with session_scope(engine) as s:
        assert repo.find_department(s, "市低空经济专班") is None
        new = Edit(lead="市低空经济专班", create_departments=True)
        edit_task(s, vid, "3.8", new, reader=READER, actor=ADMIN)
        assert rc.draft_task(s, vid, "3.8").lead == "市低空经济专班"
        assert repo.find_department(s, "市低空经济专班") is not None
        (audit,) = [a for a in repo.list_audit(s) if a.action == "review_edit"]
        assert audit.actor == ADMIN and audit.detail["created_departments"] == ["市低空经济专班"]


BAD_ADDS = [
    (dict(selected="这句话不在原文里"), "不在该版本原文中"),
    (dict(selected=""), "请先在原文中选中"),
    (dict(key="3.8"), "已被占用"),
    (dict(key="abc"), "不是措施编号"),
    (dict(lead="火星局"), "未知单位"),
    (dict(due="2024/6/30"), "截止日期格式不正确"),
]


@pytest.mark.parametrize(("change", "zh"), BAD_ADDS)
def test_bad_additions_are_refused_and_write_nothing(
    engine: Engine, tmp_path: Path, change: dict[str, str], zh: str
) -> None:
    parsed = _parse(tmp_path)
    sentence = "严格执行重点用能单位能源审计和能源利用状况报告制度"
    start = parsed.text.index(sentence)
    vid = _vid(_draft(engine, parsed))
    fields: dict[str, Any] = {
        "start": start,
        "end": start + len(sentence),
        "selected": sentence,
        "key": "3.23",
        "title": "",
        "lead": "能源局",
        **change,
    }
    before = _rows(engine)
    with session_scope(engine) as s, pytest.raises(ReviewRefused) as info:
        add_measure(s, vid, NewMeasure(**fields), reader=READER, actor=ADMIN)
    assert zh in info.value.zh
    assert _rows(engine) == before


def test_a_published_version_cannot_be_edited(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as s:
        loaded = load_plan(s, _parse(tmp_path), actor=ADMIN, now=FRIDAY)
    assert not loaded.draft
    before = _rows(engine)
    with session_scope(engine) as s, pytest.raises(ReviewRefused, match="not a draft"):
        edit_task(s, _vid(loaded), "3.8", Edit(lead="发改委"), reader=READER, actor=ADMIN)
    assert _rows(engine) == before


def test_a_new_draft_replaces_the_open_one_and_same_text_is_a_no_op(
    engine: Engine, tmp_path: Path
) -> None:
    first = _draft(engine, _parse(tmp_path))
    assert not _draft(engine, _parse(tmp_path, "again.txt")).created
    with session_scope(engine) as s:
        edit_task(s, _vid(first), "3.8", Edit(lead="发改委"), reader=READER, actor=ADMIN)
    second = _draft(
        engine, _parse(tmp_path, "v2.txt", ((IN_34, "2024年力争全市新建充电桩1万台"),)), 1
    )
    assert second.reapplied == 1  # the correction made on the first draft carries over
    with session_scope(engine) as s:
        assert rc.draft_version(s, _vid(first)).state == "discarded"
        assert rc.draft_task(s, _vid(second), "3.8").lead == "市发展改革委"


def test_cli_load_draft_revision_and_publish(store_url: str, tmp_path: Path) -> None:
    """`taskbot load` makes drafts (also of a revision, with --plan); `taskbot publish` by
    version or by plan; misuse is one line and exit 2."""
    assert invoke(store_url, "load", str(SEED), "--publish").returncode == 0
    _parse(tmp_path, "v2.txt", ((IN_34, "2024年力争全市新建充电桩1万台"),))
    run = invoke(store_url, "load", str(tmp_path / "v2.txt"), "--plan", "1")
    assert run.returncode == 0 and "as a draft" in run.stdout and "/review/2" in run.stdout
    tasks = json.loads(invoke(store_url, "tasks", "--format", "json").stdout)
    assert next(t for t in tasks if t["id"] == "3.4.2")["due"] == "2023-12-31"  # not yet
    for args, message in [
        (("publish",), "name the draft"),
        (("publish", "1", "--plan", "1"), "name the draft"),
        (("publish", "1"), "not a draft"),
        (("publish", "--plan", "7"), "no draft"),
    ]:
        bad = invoke(store_url, *args)
        assert bad.returncode == 2 and message in bad.stderr, (args, bad.stderr)
    done = invoke(store_url, "publish", "--plan", "1")
    assert done.returncode == 0 and "published plan 1 version 2" in done.stdout
    tasks = json.loads(invoke(store_url, "tasks", "--format", "json").stdout)
    assert next(t for t in tasks if t["id"] == "3.4.2")["due"] == "2024-12-31"


def test_a_live_measure_dropped_in_a_revision_stays_dropped(
    engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as s:
        load_plan(s, _parse(tmp_path), actor=ADMIN, now=FRIDAY)
    first = _draft(
        engine, _parse(tmp_path, "v2.txt", ((IN_34, "2024年力争全市新建充电桩1万台"),)), 1
    )
    with session_scope(engine) as s:
        drop_task(s, _vid(first), "3.9", actor=ADMIN, now=FRIDAY)
        done = publish(s, _vid(first), actor=ADMIN, now=FRIDAY)
        assert done.revision is not None
        assert {c.key for c in done.revision.diff.of("withdrawn")} >= {"3.9"}
    again = _draft(
        engine,
        _parse(
            tmp_path,
            "v3.txt",
            (
                (IN_34, "2024年力争全市新建充电桩1万台"),
                (IN_38, "2024 年力争再新推动 1 个绿色开采试点建设"),
            ),
        ),
        1,
    )
    assert (again.reapplied, again.offered) == (1, 0)
    with session_scope(engine) as s:
        done = publish(s, _vid(again), actor=ADMIN, now=FRIDAY)
        assert done.revision is not None and not done.revision.diff.of("added")
        assert repo.find_task(s, "3.9").status == "withdrawn"


def test_dropping_an_added_measure_retires_the_addition(engine: Engine, tmp_path: Path) -> None:
    parsed = _parse(tmp_path)
    sentence = "严格执行重点用能单位能源审计和能源利用状况报告制度"
    start = parsed.text.index(sentence)
    vid = _vid(_draft(engine, parsed))
    new = NewMeasure(start, start + len(sentence), sentence, "3.23", "", "能源局")
    with session_scope(engine) as s:
        add_measure(s, vid, new, reader=READER, actor=ADMIN)
        drop_task(s, vid, "3.23", actor=ADMIN)
        drop_task(s, vid, "3.23", restore=True, actor=ADMIN)
        assert not rc.draft_task(s, vid, "3.23").dropped
        drop_task(s, vid, "3.23", actor=ADMIN)
        publish(s, vid, actor=ADMIN, now=FRIDAY)
        assert "3.23" not in {t.id for t in repo.list_tasks(s, as_of=FRIDAY.date())}
    rev = _draft(
        engine, _parse(tmp_path, "v2.txt", ((IN_34, "2024年力争全市新建充电桩1万台"),)), 1
    )
    assert (rev.reapplied, rev.offered) == (0, 0)


def test_an_offer_left_open_is_judged_again_on_the_next_upload(
    engine: Engine, tmp_path: Path
) -> None:
    loaded = _draft(engine, _parse(tmp_path))
    with session_scope(engine) as s:
        edit_task(s, _vid(loaded), "3.8", Edit(lead="发改委"), reader=READER, actor=ADMIN)
        publish(s, _vid(loaded), actor=ADMIN, now=FRIDAY)
    rewrite = (IN_38, "2024 年力争再新推动 3 个绿色开采试点建设")
    assert _draft(engine, _parse(tmp_path, "v2.txt", (rewrite,)), 1).offered == 1
    # Before deciding, the office uploads a corrected revision that restores the sentence.
    fixed = _draft(
        engine, _parse(tmp_path, "v3.txt", ((IN_34, "2024年力争全市新建充电桩1万台"),)), 1
    )
    assert (fixed.reapplied, fixed.offered) == (1, 0)
    with session_scope(engine) as s:
        assert rc.draft_task(s, _vid(fixed), "3.8").lead == "市发展改革委"
        publish(s, _vid(fixed), actor=ADMIN, now=FRIDAY)
