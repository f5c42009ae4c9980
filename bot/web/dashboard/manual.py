"""A task from no plan, entered by an admin (GET/POST /tasks/new): bot/store/manual.py.

Departments are typed as in the chat ("能源局"); a picker lists the stored ones. On success
the admin lands on the new task's page; bad input shows the form again with what was typed
and one message, nothing written.
"""

from __future__ import annotations

from datetime import date

from aiohttp import web

from bot.errors import UserError
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
from bot.web.dashboard.context import DashContext, User
from parser.units import canonicalize, is_known

FIELDS = ("title", "lead", "coop", "due", "text", "source")


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
            try:
                due = date.fromisoformat(values["due"].strip())
            except ValueError:
                raise UserError("完成时限应为日期，如 2024-09-30") from None
            if not in_bounds(due):
                raise UserError(f"完成时限应在{MIN_YEAR}年至{MAX_YEAR}年之间")
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

    return [web.get("/tasks/new", new_form), web.post("/tasks/new", create)]
