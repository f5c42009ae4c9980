"""A task from no plan, entered by an admin (GET/POST /tasks/new): bot/store/manual.py;
corrected or withdrawn (GET/POST /tasks/{pk}/edit, POST /tasks/{pk}/withdraw):
bot/store/manual_changes.py. A plan's task is not edited here (404: the plan's review).

Departments are typed as in the chat ("能源局"); a picker lists the stored ones. On success
the admin lands on the task's page; bad input shows the form again with what was typed
and one message, nothing written.
"""

from __future__ import annotations

from datetime import date

from aiohttp import web
from sqlmodel import Session

from bot.errors import UserError
from bot.render import Renderer
from bot.rules.datebounds import MAX_YEAR, MIN_YEAR, in_bounds
from bot.store import repo
from bot.store.departments import match_department
from bot.store.manual import (
    DEFAULT_SOURCE,
    EntryRefused,
    ManualTask,
    add_manual_task,
    split_departments,
)
from bot.store.manual_changes import (
    ManualEdit,
    current_entry,
    edit_manual_task,
    manual_task,
    withdraw_manual_task,
)
from bot.web.dashboard.context import DashContext, User, row_id
from parser.units import canonicalize, is_known

FIELDS = ("title", "lead", "coop", "due", "text", "source")


def _due(raw: str) -> date:
    try:
        due = date.fromisoformat(raw.strip())
    except ValueError:
        raise UserError("完成时限应为日期，如 2024-09-30") from None
    if not in_bounds(due):
        raise UserError(f"完成时限应在{MIN_YEAR}年至{MAX_YEAR}年之间")
    return due


def routes(ctx: DashContext) -> list[web.RouteDef]:
    async def form_page(
        user: User, values: dict[str, str], *, error: str = "", status: int = 200
    ) -> web.Response:
        names = await ctx.db.run(lambda s: [d.name for d in repo.list_departments(s)])
        return ctx.render(
            "task_new.html",
            user=user,
            values=values,
            departments=names,
            error=error,
            default_source=DEFAULT_SOURCE,
            status=status,
        )

    async def new_form(request: web.Request) -> web.StreamResponse:
        user = await ctx.page_user(request)
        if not user.is_admin:
            raise web.HTTPForbidden(text="只有管理员可以添加任务 (admins only)")
        return await form_page(user, dict.fromkeys(FIELDS, ""))

    async def create(request: web.Request) -> web.StreamResponse:
        user = await ctx.form_user(request, admin=True)
        form = await request.post()
        values = {k: v if isinstance(v := form.get(k, ""), str) else "" for k in FIELDS}
        try:
            due = _due(values["due"])
            entry = ManualTask(
                title=values["title"],
                lead=values["lead"],
                due=due,
                cooperating=split_departments(values["coop"]),
                text=values["text"],
                source=values["source"],
            )
            now = ctx.clock.now()
            actor = f"{user.name} (dashboard)"
            added = await ctx.db.run(
                lambda s: add_manual_task(
                    s,
                    entry,
                    match=match_department,
                    canonicalize=canonicalize,
                    is_known=is_known,
                    actor=actor,
                    now=now,
                )
            )
        except EntryRefused as exc:
            return await form_page(user, values, error=f"未添加：{exc.zh}", status=400)
        except UserError as exc:  # the date's own words (already Chinese, above)
            return await form_page(user, values, error=f"未添加：{exc}", status=400)
        raise web.HTTPSeeOther(f"/tasks/{added.pk}")

    render = Renderer().render

    async def edit_page(
        user: User, pk: int, values: dict[str, str] | None, *, error: str = "", status: int = 200
    ) -> web.Response:
        def q(s: Session) -> tuple[dict[str, str], str, str, list[str]]:
            try:
                task = manual_task(s, pk)
            except EntryRefused:
                raise web.HTTPNotFound(
                    text="没有这项手工任务（方案任务请在方案审核中修改）"
                ) from None
            e = current_entry(s, task)
            now = {
                "title": e.title,
                "lead": e.lead,
                "coop": "、".join(e.cooperating),
                "due": e.due.isoformat(),
                "text": e.text,
                "source": e.source,
            }
            return now, task.key, task.status, [d.name for d in repo.list_departments(s)]

        current, key, task_status, names = await ctx.db.run(q)
        return ctx.render(
            "task_edit.html",
            user=user,
            pk=pk,
            key=key,
            task_status=task_status,
            values=values or current,
            departments=names,
            error=error,
            status=status,
        )

    async def edit_form(request: web.Request) -> web.StreamResponse:
        user = await ctx.page_user(request)
        if not user.is_admin:
            raise web.HTTPForbidden(text="只有管理员可以修改任务 (admins only)")
        return await edit_page(user, row_id(request, "pk", "没有这项任务"), None)

    async def edit(request: web.Request) -> web.StreamResponse:
        user = await ctx.form_user(request, admin=True)
        pk = row_id(request, "pk", "没有这项任务")
        form = await request.post()
        values = {k: v if isinstance(v := form.get(k, ""), str) else "" for k in FIELDS}
        actor, now = f"{user.name} (dashboard)", ctx.clock.now()
        try:
            change = ManualEdit(
                title=values["title"],
                text=values["text"],
                lead=values["lead"],
                cooperating=split_departments(values["coop"]),
                due=_due(values["due"]),
                source=values["source"],
            )
            await ctx.db.run(
                lambda s: edit_manual_task(
                    s,
                    pk,
                    change,
                    match=match_department,
                    canonicalize=canonicalize,
                    is_known=is_known,
                    render=render,
                    actor=actor,
                    now=now,
                )
            )
        except EntryRefused as exc:
            return await edit_page(user, pk, values, error=f"未修改：{exc.zh}", status=400)
        except UserError as exc:
            return await edit_page(user, pk, values, error=f"未修改：{exc}", status=400)
        raise web.HTTPSeeOther(f"/tasks/{pk}")

    async def withdraw(request: web.Request) -> web.StreamResponse:
        user = await ctx.form_user(request, admin=True)
        pk = row_id(request, "pk", "没有这项任务")
        form = await request.post()
        raw = form.get("reason", "")
        reason = raw if isinstance(raw, str) else ""
        actor, now = f"{user.name} (dashboard)", ctx.clock.now()
        try:
            await ctx.db.run(
                lambda s: withdraw_manual_task(
                    s, pk, reason=reason, render=render, actor=actor, now=now
                )
            )
        except EntryRefused as exc:
            return await edit_page(user, pk, None, error=f"未撤销：{exc.zh}", status=400)
        raise web.HTTPSeeOther(f"/tasks/{pk}")

    return [
        web.get("/tasks/new", new_form),
        web.post("/tasks/new", create),
        web.get(r"/tasks/{pk:\d+}/edit", edit_form),
        web.post(r"/tasks/{pk:\d+}/edit", edit),
        web.post(r"/tasks/{pk:\d+}/withdraw", withdraw),
    ]
