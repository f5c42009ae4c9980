"""Templates render with the context the code documents, in Chinese, with no blanks left."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import UndefinedError

from bot.config import ReminderSettings
from bot.reminders.policy import ContactFact, PlannedMessage, TaskFact, plan_reminders
from bot.render import Renderer, find_templates_dir, make_environment
from bot.rules.workcalendar import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
ENERGY, DRC = "市能源局", "市发展改革委"
CONTACTS = [
    ContactFact("1", ENERGY, "contact", "webchat", "energy", name="王芳"),
    ContactFact("2", DRC, "contact", "webchat", "drc"),
    ContactFact("3", ENERGY, "leader", "webchat", "boss"),
    ContactFact("9", "市政府督查室", "coordinator", "webchat", "coord"),
]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def row(**kw: Any) -> SimpleNamespace:
    base: dict[str, Any] = {
        "id": "3.4.2",
        "text": "2023年力争全市新建充电桩1万台",
        "due": date(2023, 12, 31),
        "status": "pending",
        "overdue_days": 0,
        "role": "lead",
        "lead": DRC,
        "last_progress": None,
        "percent": None,
        "note": "",
    }
    return SimpleNamespace(**(base | kw))


def plan_on(day: date, tasks: list[TaskFact]) -> list[PlannedMessage]:
    now = datetime.combine(day, time(10), tzinfo=SH)
    return plan_reminders(tasks, CONTACTS, now, WorkCalendar(), ReminderSettings())


def clean(text: str) -> None:
    assert text and "None" not in text and "Undefined" not in text
    assert "\n\n\n" not in text
    assert all(line == line.rstrip() for line in text.splitlines())


# -- environment ---------------------------------------------------------------------------------


def test_templates_dir_is_the_repositorys() -> None:
    found = find_templates_dir()
    assert found == Path(__file__).resolve().parents[2] / "templates"


def test_every_template_compiles(renderer: Renderer) -> None:
    names = renderer.env.list_templates(extensions=["j2"])
    assert {"reminder.j2", "digest.j2", "help.j2", "overdue_list.j2", "stats.j2"} <= set(names)
    for name in names:
        renderer.env.get_template(name)


def test_strict_undefined(renderer: Renderer) -> None:
    with pytest.raises(UndefinedError):
        renderer.render("reply_done", task_id="3.4.2", text="x")  # no `note`


def test_autoescape_only_for_html(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text("{{ v }}", encoding="utf-8")
    (tmp_path / "a.j2").write_text("{{ v }}", encoding="utf-8")
    env = make_environment(tmp_path)
    assert env.get_template("a.html").render(v="<b>&") == "&lt;b&gt;&amp;"
    assert env.get_template("a.j2").render(v="<b>&") == "<b>&"


# -- reminders and digests -----------------------------------------------------------------------


def test_merged_reminder(renderer: Renderer) -> None:
    tasks = [
        TaskFact("3.8.3", "milestone", "2023年力争再新推动1个绿色开采试点建设",
                 date(2023, 12, 29), "pending", ENERGY, (), "3.8"),
        TaskFact("3.8.1", "milestone", "煤电机组节能改造", date(2023, 12, 19), "returned",
                 ENERGY, (), "3.8"),
        TaskFact("3.4.2", "milestone", "新建充电桩1万台", date(2023, 12, 29), "pending", DRC,
                 (ENERGY,), "3.4"),
    ]  # fmt: skip
    msgs = plan_on(date(2023, 12, 28), tasks)
    energy = next(m for m in msgs if m.contact.id == "1")
    text = renderer.message(energy)
    clean(text)
    assert text.startswith("王芳您好！2023年12月28日")
    assert "【需办理】" in text and "【请配合】" in text and "【逾期督办】" not in text
    act, info = text.split("【请配合】")
    assert "3.8.3" in act and "3.8.1" in act and "3.4.2" not in act
    assert "3.4.2" in info and f"（{DRC}牵头）" in info
    assert "还有1个工作日" in act
    assert "已逾期7个工作日（截止2023年12月19日）" in act
    assert "已被退回" in act


def test_reminder_without_information_section(renderer: Renderer) -> None:
    t = TaskFact("3.4.2", "milestone", "新建充电桩", date(2023, 12, 29), "pending", DRC)
    drc = next(m for m in plan_on(date(2023, 12, 29), [t]) if m.contact.id == "2")
    text = renderer.message(drc)
    clean(text)
    assert "今天截止" in text
    assert "【请配合】" not in text
    assert text.startswith(f"{DRC}您好")  # no name registered: the department


def test_escalation_section_for_leaders(renderer: Renderer) -> None:
    t = TaskFact("3.8.3", "milestone", "绿色开采试点", date(2023, 12, 21), "pending", ENERGY)
    boss = next(m for m in plan_on(date(2023, 12, 28), [t]) if m.contact.id == "3")
    text = renderer.message(boss)
    clean(text)
    assert "【逾期督办】" in text and "已逾期5个工作日" in text
    assert "【需办理】" not in text


def test_long_lists_are_cut(tmp_path: Path) -> None:
    tasks = [
        TaskFact(f"3.8.{i}", "milestone", f"节点{i}", date(2023, 12, 29), "pending", ENERGY)
        for i in range(1, 13)
    ]
    msg = next(m for m in plan_on(date(2023, 12, 28), tasks) if m.contact.id == "1")
    text = Renderer(max_items=5).message(msg)
    assert text.count("还有1个工作日") == 5
    assert "……另有7项" in text
    assert "……另有" not in Renderer(max_items=30).message(msg)


def test_digest(renderer: Renderer) -> None:
    tasks = [
        TaskFact("3.8.3", "milestone", "绿色开采试点", date(2023, 12, 27), "pending", ENERGY),
        TaskFact("3.4.2", "milestone", "充电桩", date(2023, 12, 1), "pending", "市水务局"),
        TaskFact("3.4.3", "milestone", "充电站", date(2023, 12, 1), "extension_requested", DRC,
                 requested_due=date(2024, 3, 31)),
        TaskFact("3.4.4", "milestone", "换电站", date(2023, 12, 1), "reported", DRC),
    ]  # fmt: skip
    digest = next(m for m in plan_on(date(2023, 12, 28), tasks) if m.kind == "digest")
    text = renderer.message(digest)
    clean(text)
    assert text.startswith("【督办日报】2023年12月28日")
    assert "新增逾期1项" in text and "3.8.3 绿色开采试点" in text
    assert "目前逾期共3项（按牵头单位）" in text  # the extension request is still owed
    assert "申请延至2024年3月31日" in text and "批准延期" in text
    assert "待销号1项" in text and "3.4.4" in text
    assert "市水务局" in text.split("尚未登记联系人")[1]


# -- replies -------------------------------------------------------------------------------------


def test_confirmation_question(renderer: Renderer) -> None:
    text = renderer.render(
        "confirm_question", task_id="3.8.3", text="绿色开采", status="reported", percent=None
    )
    assert text.splitlines()[0] == "是否报送 3.8.3 已完成？回复 是/否"
    progress = renderer.render(
        "confirm_question", task_id="3.8.3", text="绿色开采", status="in_progress", percent=60
    )
    assert progress.splitlines()[0] == "是否报送 3.8.3 进度60%？回复 是/否"


def test_help_shows_coordinator_commands_only_to_coordinators(renderer: Renderer) -> None:
    contact = renderer.render("help", is_coordinator=False)
    coordinator = renderer.render("help", is_coordinator=True)
    for word in ("完成", "进度", "延期", "任务"):
        assert word in contact
    for word in ("销号", "退回", "批准延期", "催办", "统计"):
        assert word not in contact and word in coordinator


PROBLEMS = [
    "bad_date",
    "missing_date",
    "date_without_year",
    "missing_reason",
    "missing_id",
    "bad_id",
    "bad_percent",
    "missing_department",
    "something_new",
]


def test_each_malformed_problem_has_its_own_wording(renderer: Renderer) -> None:
    texts = {
        p: renderer.render("refuse_malformed", command="延期", problem=p, value="2024-02-30")
        for p in PROBLEMS
    }
    assert len(set(texts.values())) == len(PROBLEMS)
    assert "2024-02-30" in texts["bad_date"] and "有误" in texts["bad_date"]


@pytest.mark.parametrize(
    ("name", "context", "expected"),
    [
        ("reply_done", {"task_id": "3.8.3", "text": "试点", "note": "已验收"},
         ["3.8.3", "已验收"]),
        ("reply_progress", {"task_id": "3.8.3", "text": "试点", "percent": 60, "note": ""},
         ["3.8.3", "60%"]),
        ("reply_progress", {"task_id": "3.8.3", "text": "试点", "percent": None, "note": "签约"},
         ["签约"]),
        ("reply_extension", {"task_id": "3.8.3", "text": "试点", "old_due": date(2023, 12, 31),
                             "new_due": date(2024, 6, 30), "reason": "资金"},
         ["2023年12月31日", "2024年6月30日", "资金"]),
        ("reply_closed", {"task_id": "3.8.3", "text": "试点", "department": ENERGY},
         ["已销号", ENERGY]),
        ("reply_returned", {"task_id": "3.8.3", "department": ENERGY, "reason": "材料不全"},
         ["退回", "材料不全"]),
        ("reply_extension_decided", {"task_id": "3.8.3", "department": ENERGY, "approved": True,
                                     "new_due": date(2024, 6, 30), "reason": ""},
         ["已批准", "2024年6月30日"]),
        ("reply_extension_decided", {"task_id": "3.8.3", "department": ENERGY,
                                     "approved": False, "new_due": None, "reason": "理由不足"},
         ["已驳回", "理由不足"]),
        (
            "reply_urged",
            {"department": ENERGY, "contacts": 2, "led": 5, "cooperating": 3},
            ["2位", "牵头任务5项", "配合任务3项"],
        ),
        (
            "reply_urged",
            {"department": ENERGY, "contacts": 0, "led": 5, "cooperating": 0},
            ["尚未登记"],
        ),
        ("refuse_unknown_sender", {}, ["尚未登记"]),
        ("refuse_not_your_task", {"task_id": "3.4.2", "lead": DRC, "department": ENERGY},
         ["3.4.2", DRC, ENERGY]),
        ("refuse_unknown_task", {"task_id": "9.9.9"}, ["9.9.9"]),
        ("refuse_not_coordinator", {"command": "销号"}, ["销号", "协调员"]),
        ("refuse_not_lead", {"task_id": "3.4.2", "lead": DRC}, [DRC, "进度 3.4.2"]),
        ("refuse_status", {"task_id": "3.4.2", "status": "closed", "command": "完成"},
         ["已销号", "完成"]),
        ("confirm_cancelled", {"pending": True}, ["已取消"]),
        ("confirm_cancelled", {"pending": False}, ["没有需要确认"]),
        ("choose_task", {"candidates": [row(), row(id="3.4.3")]}, ["3.4.2", "3.4.3"]),
        ("choose_task", {"candidates": []}, ["帮助"]),
    ],
)  # fmt: skip
def test_replies(
    renderer: Renderer, name: str, context: dict[str, Any], expected: list[str]
) -> None:
    text = renderer.render(name, **context)
    clean(text)
    for part in expected:
        assert part in text


def test_task_list(renderer: Renderer) -> None:
    tasks = [row(), row(id="3.4.3", role="cooperating", overdue_days=4, due=None)]
    text = renderer.render("task_list", department=ENERGY, day=date(2024, 1, 2), tasks=tasks)
    clean(text)
    assert "共2项" in text and "已逾期4个工作日" in text and "无明确期限" in text
    assert "没有待办" in renderer.render("task_list", department=ENERGY, day=date(2024, 1, 2),
                                         tasks=[])  # fmt: skip


def test_overdue_list_groups_by_lead_worst_first(renderer: Renderer) -> None:
    tasks = [
        row(id="1.1", lead=DRC, overdue_days=3),
        row(id="1.2", lead=ENERGY, overdue_days=2),
        row(id="1.3", lead=DRC, overdue_days=9),
    ]
    text = renderer.render("overdue_list", day=date(2024, 1, 2), department=None, tasks=tasks)
    clean(text)
    assert "全市逾期任务共3项" in text
    drc_part = text[text.index(f"{DRC}：") :]
    assert drc_part.index("1.3") < drc_part.index("1.1")
    none = renderer.render("overdue_list", day=date(2024, 1, 2), department=ENERGY, tasks=[])
    assert f"{ENERGY}没有逾期任务" in none


def test_stats(renderer: Renderer) -> None:
    depts = [
        SimpleNamespace(
            department=ENERGY, total=4, closed=1, reported=1, overdue=2, cooperating=3,
            cooperating_overdue=1,
        )
    ]  # fmt: skip
    text = renderer.render(
        "stats", day=date(2024, 1, 2), total=10, by_status=[("pending", 6), ("closed", 4)],
        overdue=3, departments=depts, rates="已销号率40.0%，已报完成率40.0%", unit="个工作日",
    )  # fmt: skip
    clean(text)
    assert "共10项任务：未开始6项，已销号4项" in text
    assert "已销号率40.0%，已报完成率40.0%" in text
    assert "逾期3项" in text and f"{ENERGY}：1/4，已报完成待销号1项，逾期2项；配合3项" in text


def test_progress_query(renderer: Renderer) -> None:
    task = row(id="3.4", last_progress=date(2024, 1, 1), percent=50, note="顺利")
    text = renderer.render("progress_query", task=task, children=[row(overdue_days=2)])
    clean(text)
    assert "最近进展（2024年1月1日）：完成50%，顺利" in text
    assert "3.4.2 未开始" in text and "已逾期2个工作日" in text
    bare = renderer.render("progress_query", task=row(id="3.4"), children=[])
    assert "尚未报送进展" in bare and "下属节点" not in bare


def test_urge(renderer: Renderer) -> None:
    text = renderer.render("urge", department=ENERGY, day=date(2024, 1, 2),
                           tasks=[row(overdue_days=4)])  # fmt: skip
    clean(text)
    assert text.startswith(f"【催办】{ENERGY}") and "已逾期4个工作日" in text


def test_urge_shows_led_and_cooperating_apart_by_counting_unit(renderer: Renderer) -> None:
    tasks = [
        row(id="3.8.5", role="lead", tracked=True, overdue_days=4),
        row(id="3.3", role="cooperating", lead="市城乡管理局", tracked=False, overdue_days=4),
        row(id="3.3.1", role="cooperating", lead="市城乡管理局", tracked=True, overdue_days=4),
    ]
    text = renderer.render("urge", department=ENERGY, day=date(2024, 1, 5), tasks=tasks)
    clean(text)
    led, coop = text.split("配合任务")
    assert "牵头任务1项" in led and "3.8.5" in led
    assert coop.startswith("1项") and "3.3.1" in coop and "牵头：市城乡管理局" in coop
    assert "3.3 " not in text  # the measure is reminded through its milestone
