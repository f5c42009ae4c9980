"""A revision that withdraws or re-dates a task tells its lead department, once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from seeded import SHANGHAI, seeded_engine
from sqlmodel import select

from bot.conversation.decisions import notify_revision
from bot.render import Renderer
from bot.store.db import session_scope
from bot.store.loading import apply_revision
from bot.store.models import Outbox
from parser import parse_document

ROOT = Path(__file__).resolve().parents[2]
AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)


def test_withdrawn_and_redated_tasks_reach_the_lead_once(tmp_path: Path) -> None:
    engine = seeded_engine(f"sqlite:///{tmp_path / 'rev.db'}")
    text = (ROOT / "examples" / "taiyuan-energy-plan.txt").read_text(encoding="utf-8")
    revised = text.replace("2023 年力争再新推动 1 个绿色开采试点建设，", "").replace(
        "确保 2023 年全市 180 万吨", "确保 2024 年全市 180 万吨"
    )
    assert revised != text
    path = tmp_path / "revised.txt"
    path.write_text(revised, encoding="utf-8")
    with session_scope(engine) as s:
        rev = apply_revision(s, parse_document(path), actor="test", now=AS_OF)
        queued = notify_revision(s, Renderer().render, rev, now=AS_OF)
        again = notify_revision(s, Renderer().render, rev, now=AS_OF)
    assert again == 0
    with session_scope(engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.kind == "revision")).all()
    assert queued == len(rows) > 0
    energy = [r for r in rows if r.user_id == "nyj-zhangwei"]
    assert any("【任务撤销】" in r.text and "3.8.5" in r.text for r in energy)
    assert any(
        "【任务调整】" in r.text and "2023年12月31日调整为2024年12月31日" in r.text for r in energy
    )
