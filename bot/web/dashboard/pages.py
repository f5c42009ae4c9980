"""Overview (红黄绿灯 per department), the task list with filters, a task's detail page, and
the report downloads."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlmodel import Session

from bot.reports import build_briefing, build_ledger, collect
from bot.reports.data import STATUS_ORDER
from bot.rules.completion import CLOSED_RATE_NAME, REPORTED_RATE_NAME, completion
from bot.rules.datebounds import MAX_YEAR, MIN_YEAR, in_bounds
from bot.store import repo
from bot.store.departments import match_department
from bot.store.errors import NotFound
from bot.store.models import STATUS_LABELS
from bot.store.repo import DepartmentOverview, TaskRow
from bot.web.dashboard.context import DashContext, row_id

# The task list shows this many rows; more are counted, and filters narrow them down.
PAGE_SIZE = 500  # rows per page of the task list
SOON_WORKDAYS = 7
SORTS = ("id", "due", "status", "lead", "overdue")
RATE_NAMES = {"closed": CLOSED_RATE_NAME, "reported": REPORTED_RATE_NAME}


@dataclass(frozen=True, slots=True)
class Light:
    """A department's 红黄绿灯 and why."""

    colour: str  # red | yellow | green
    label: str
    reason: str


@dataclass(frozen=True, slots=True)
class OverviewRow:
    d: DepartmentOverview
    light: Light
    completion: float
    url: str


def light(d: DepartmentOverview) -> Light:
    """Red: anything overdue. Yellow: due within 7 working days, or an extension pending."""
    if d.overdue:
        return Light("red", "红灯", f"逾期{d.overdue}项")
    reasons = []
    if d.due_soon:
        reasons.append(f"{SOON_WORKDAYS}个工作日内到期{d.due_soon}项")
    if d.extension_pending:
        reasons.append(f"延期申请中{d.extension_pending}项")
    if reasons:
        return Light("yellow", "黄灯", "；".join(reasons))
    return Light("green", "绿灯", "按期推进")


def _key_order(key: str) -> tuple[Any, ...]:
    # "3.10" after "3.9": compare the numbered parts as numbers.
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in key.split("."))


def sort_rows(rows: list[TaskRow], sort: str, desc: bool) -> list[TaskRow]:
    keys: dict[str, Any] = {
        "id": lambda r: _key_order(r.id),
        "due": lambda r: (r.due is None, r.due or date.max, _key_order(r.id)),
        "status": lambda r: (r.status, _key_order(r.id)),
        "lead": lambda r: (r.lead or "", _key_order(r.id)),
        "overdue": lambda r: (r.overdue_days, _key_order(r.id)),
    }
    return sorted(rows, key=keys.get(sort, keys["id"]), reverse=desc)


def _date_param(query: Any, name: str) -> date | None:
    raw = query.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} 应为日期，例如 2024-01-05") from None
    if not in_bounds(day):
        raise web.HTTPBadRequest(text=f"{name} 超出 {MIN_YEAR}–{MAX_YEAR} 年的范围")
    return day


def routes(ctx: DashContext) -> list[web.RouteDef]:
    async def overview(request: web.Request) -> web.StreamResponse:
        user = await ctx.page_user(request)
        today = ctx.today()

        def q(s: Session) -> tuple[list[DepartmentOverview], date]:
            # The stored calendar (the admin's overrides count here as in reminders).
            cal = repo.load_calendar(s, ctx.settings.reminders.calendar)
            soon_until = cal.add_workdays(today, SOON_WORKDAYS)
            rows = repo.department_overview(s, as_of=today, soon_until=soon_until, calendar=cal)
            return rows, soon_until

        depts, soon_until = await ctx.db.run(q)
        rows = [
            OverviewRow(
                d=d,
                light=light(d),
                completion=d.completion.closed_rate,
                url="/tasks?role=lead&dept=" + quote(d.department),
            )
            for d in depts
        ]
        by_status: dict[str, int] = {}
        for d in depts:
            for k, v in d.by_status.items():
                by_status[k] = by_status.get(k, 0) + v
        done = completion(by_status)
        totals = {
            "tasks": done.total,
            "overdue": sum(d.overdue for d in depts),
            "closed": done.closed,
            "reported": done.reported,
        }
        return ctx.render(
            "overview.html",
            user=user,
            rows=rows,
            totals=totals,
            statuses=STATUS_ORDER,
            soon_until=soon_until,
            done=done,
            names=RATE_NAMES,
        )

    async def task_list(request: web.Request) -> web.StreamResponse:
        user = await ctx.page_user(request)
        qs = request.query
        today = ctx.today()
        dept = qs.get("dept", "").strip() or None
        status = qs.get("status", "").strip() or None
        if status is not None and status not in STATUS_LABELS:
            raise web.HTTPBadRequest(text=f"unknown status {status}")
        overdue = qs.get("overdue") in ("1", "on", "true")
        lead_only = qs.get("role") == "lead"
        due_from, due_to = _date_param(qs, "due_from"), _date_param(qs, "due_to")
        sort = qs.get("sort", "id") if qs.get("sort") in SORTS else "id"
        desc = qs.get("order") == "desc"
        raw_page = qs.get("page", "1").strip()
        if not (raw_page.isascii() and raw_page.isdigit() and len(raw_page) <= 9):
            raise web.HTTPBadRequest(text="page 应为不超过 9 位的数字")
        page = max(1, int(raw_page))

        def q(s: Session) -> tuple[list[TaskRow], list[str]]:
            stored = repo.list_departments(s)
            names = [d.name for d in stored]
            # A typed short name ("能源局", "发改委") filters as the chat reads it.
            typed = match_department(dept, stored) if dept else None
            try:
                found = repo.list_tasks(
                    s,
                    as_of=today,
                    department=typed.name if typed is not None else dept,
                    status=status,
                    overdue=overdue,
                    lead_only=lead_only,
                    calendar=repo.load_calendar(s, ctx.settings.reminders.calendar),
                )
            except NotFound:
                found = []
            return found, names

        rows, departments = await ctx.db.run(q)
        if due_from is not None:
            rows = [r for r in rows if r.due is not None and r.due >= due_from]
        if due_to is not None:
            rows = [r for r in rows if r.due is not None and r.due <= due_to]
        rows = sort_rows(rows, sort, desc)
        params = {
            "dept": dept or "",
            "status": status or "",
            "overdue": "1" if overdue else "",
            "role": "lead" if lead_only else "",
            "due_from": due_from.isoformat() if due_from else "",
            "due_to": due_to.isoformat() if due_to else "",
        }
        pages = max(1, -(-len(rows) // PAGE_SIZE))
        page = min(page, pages)
        return ctx.render(
            "tasks.html",
            user=user,
            rows=rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
            total=len(rows),
            page_no=page,
            page_count=pages,
            departments=departments,
            params=params,
            sort=sort,
            desc=desc,
            sorts=SORTS,
        )

    async def task_detail(request: web.Request) -> web.StreamResponse:
        user = await ctx.page_user(request)
        pk = row_id(request, "pk", "没有这项任务")
        today = ctx.today()
        tz = ctx.settings.tz

        def q(s: Session) -> dict[str, Any]:
            cal = repo.load_calendar(s, ctx.settings.reminders.calendar)
            row = repo.task_row(s, pk, as_of=today, calendar=cal)
            version = repo.get_version(s, row.version_id)
            contacts = repo.contacts_for_task(s, pk)
            names = {c.id: f"{c.name}（{c.department}）" for c, _ in contacts}
            reminders = [
                {
                    "kind": r.kind,
                    "sent_on": r.sent_on,
                    "at": r.at.astimezone(tz) if r.at else None,
                    "to": names.get(r.contact_id) or _contact_name(s, r.contact_id),
                }
                for r in repo.reminders_for_task(s, pk)
            ]
            events = [
                {"e": e, "at": e.at.astimezone(tz) if e.at else None}
                for e in repo.status_events(s, pk)
            ]
            return {
                "row": row,
                "version": version,
                "contacts": contacts,
                "events": events,
                "reminders": reminders,
                "source": highlight(version.text, row.span),
            }

        try:
            data = await ctx.db.run(q)
        except NotFound:
            raise web.HTTPNotFound(text="no such task") from None
        return ctx.render("task.html", user=user, **data)

    async def download(request: web.Request) -> web.StreamResponse:
        await ctx.page_user(request)
        as_of = _date_param(request.query, "as_of") or ctx.today()
        kind = request.match_info["name"]
        data = await ctx.db.run(lambda s: collect(s, as_of=as_of, tz_name=ctx.settings.timezone))
        if kind == "ledger.xlsx":
            body = await _off_loop(build_ledger, data)
            ctype, filename = (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                f"台账-{as_of.isoformat()}.xlsx",
            )
        else:
            body = await _off_loop(build_briefing, data)
            ctype, filename = (
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                f"督办通报-{as_of.isoformat()}.docx",
            )
        disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
        return web.Response(
            body=body,
            content_type=ctype,
            headers={"Content-Disposition": disposition, "Cache-Control": "no-store"},
        )

    return [
        web.get("/", overview),
        web.get("/tasks", task_list),
        web.get(r"/tasks/{pk:\d+}", task_detail),
        web.get(r"/reports/{name:(ledger\.xlsx|briefing\.docx)}", download),
    ]


async def _off_loop(fn: Any, data: Any) -> bytes:
    # Building a .docx with a chart takes a few hundred ms of CPU: not on the event loop.
    result: bytes = await asyncio.to_thread(fn, data)
    return result


def _contact_name(session: Session, contact_id: int) -> str:
    try:
        c = repo.get_contact(session, contact_id)
    except NotFound:
        return f"#{contact_id}"
    return f"{c.name}（{c.department}）"


def highlight(text: str, span: tuple[int, int]) -> dict[str, str]:
    """The version text cut around the task's sentence: the paragraph it sits in (before,
    sentence, after) and the whole text (before, sentence, after), for <mark>."""
    start, end = max(0, span[0]), min(len(text), span[1])
    if end <= start:
        return {"p_before": "", "mark": "", "p_after": "", "before": text, "after": ""}
    p_start = text.rfind("\n", 0, start) + 1
    p_end = text.find("\n", end)
    p_end = len(text) if p_end < 0 else p_end
    return {
        "p_before": text[p_start:start],
        "mark": text[start:end],
        "p_after": text[end:p_end],
        "before": text[:start],
        "after": text[end:],
    }
