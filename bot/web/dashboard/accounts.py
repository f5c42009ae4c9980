"""Dashboard accounts, for admins (GET /accounts; POST /accounts/new, /accounts/role,
/accounts/password, /accounts/disable): the rules live in bot/web/accounts.py.

A password an admin leaves blank is generated and shown once, on the page the form's POST
answers (never in a URL, a redirect or a log). Hashing runs off the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from sqlmodel import Session

from bot.store import repo
from bot.store.departments import match_department
from bot.store.manual import EntryRefused, resolve_departments
from bot.store.repo.accounts import recent_audit
from bot.web import accounts
from bot.web.accounts import AccountRefused
from bot.web.dashboard.context import DashContext, User
from parser.units import canonicalize, is_known

NOTICES = {
    "role": "角色已修改。",
    "same": "角色未变。",
    "disabled": "账号已停用，其看板登录已结束。",
}
ACTION_LABELS = {
    "create_account": "新建账号",
    "set_role": "修改角色",
    "set_password": "设置密码",
    "disable_account": "停用账号",
}
FIELDS = ("name", "department", "role", "user_id")


def _field(form: Any, name: str, limit: int = 200) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


def routes(ctx: DashContext) -> list[web.RouteDef]:
    def data(s: Session) -> dict[str, Any]:
        tz = ctx.settings.tz
        log = [
            {"a": a, "at": a.at.astimezone(tz), "label": ACTION_LABELS.get(a.action, a.action)}
            for a in recent_audit(s, accounts.ACTIONS)
        ]
        return {
            "accounts": accounts.list_accounts(s),
            "log": log,
            "departments": [dep.name for dep in repo.list_departments(s)],
        }

    async def page(
        user: User,
        *,
        error: str = "",
        notice: str = "",
        shown: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status: int = 200,
    ) -> web.Response:
        d = await ctx.db.run(data)
        return ctx.render(
            "accounts.html",
            user=user,
            status=status,
            error=error,
            notice=notice,
            shown=shown,
            values=values or dict.fromkeys(FIELDS, ""),
            labels=ACTION_LABELS,
            **d,
        )

    async def admin_page(request: web.Request) -> User:
        user = await ctx.page_user(request)
        if not user.is_admin:
            raise web.HTTPForbidden(text="只有管理员可以管理账号 (admins only)")
        return user

    async def listing(request: web.Request) -> web.StreamResponse:
        user = await admin_page(request)
        return await page(user, notice=NOTICES.get(request.query.get("notice", ""), ""))

    async def digest_of(password: str) -> str:
        return await asyncio.to_thread(ctx.hasher.hash, password)

    def chosen_password(form: Any) -> tuple[str, bool]:
        """The password the admin typed (policy checked), or a generated one."""
        typed = form.get("password", "")
        typed = typed if isinstance(typed, str) else ""
        if not typed:
            return accounts.new_password(), True
        accounts.check_password(typed)
        return typed, False

    async def create(request: web.Request) -> web.StreamResponse:
        user = await ctx.form_user(request, admin=True)
        form = await request.post()
        values = {k: _field(form, k) for k in FIELDS}
        actor = f"{user.name} (dashboard)"
        now = ctx.clock.now()
        try:
            if not values["department"]:
                raise AccountRefused("department is required", "请填写单位")
            password, generated = chosen_password(form)
            digest = await digest_of(password)

            def work(s: Session) -> accounts.Account:
                (dept,) = resolve_departments(
                    s,
                    [values["department"]],
                    match=match_department,
                    canonicalize=canonicalize,
                    is_known=is_known,
                )
                return accounts.create_account(
                    s,
                    name=values["name"],
                    department=dept,
                    role=values["role"],
                    user_id=values["user_id"],
                    digest=digest,
                    actor=actor,
                    now=now,
                )

            account = await ctx.db.run(work)
        except (AccountRefused, EntryRefused) as exc:
            return await page(user, error=f"未创建：{exc.zh}", values=values, status=400)
        shown = {"name": account.name, "password": password} if generated else None
        return await page(user, notice=f"已创建账号：{account.name}", shown=shown)

    async def role(request: web.Request) -> web.StreamResponse:
        user = await ctx.form_user(request, admin=True)
        form = await request.post()
        name, new_role = _field(form, "name", 100), _field(form, "role", 20)
        actor, now = f"{user.name} (dashboard)", ctx.clock.now()
        try:
            changed = await ctx.db.run(
                lambda s: accounts.change_role(s, name, new_role, actor=actor, now=now)
            )
        except AccountRefused as exc:
            return await page(user, error=f"未修改：{exc.zh}", status=400)
        if name == user.name and new_role != "admin":
            raise web.HTTPSeeOther("/")  # no longer an admin: this page is not theirs
        raise web.HTTPSeeOther("/accounts?notice=" + ("role" if changed else "same"))

    async def password(request: web.Request) -> web.StreamResponse:
        user = await ctx.form_user(request, admin=True)
        form = await request.post()
        name = _field(form, "name", 100)
        actor, now = f"{user.name} (dashboard)", ctx.clock.now()
        try:
            await ctx.db.run(lambda s: accounts.get_account(s, name))
            chosen, generated = chosen_password(form)
            digest = await digest_of(chosen)
            await ctx.db.run(
                lambda s: accounts.reset_password(
                    s, name, digest, actor=actor, now=now, generated=generated
                )
            )
        except AccountRefused as exc:
            return await page(user, error=f"未设置：{exc.zh}", status=400)
        if name == user.name:
            raise web.HTTPSeeOther("/login")  # their own sessions ended with the change
        shown = {"name": name, "password": chosen} if generated else None
        notice = f"已为{name}设置新密码，其原有看板登录已结束。"
        return await page(user, notice=notice, shown=shown)

    async def disable(request: web.Request) -> web.StreamResponse:
        user = await ctx.form_user(request, admin=True)
        form = await request.post()
        name = _field(form, "name", 100)
        actor, now = f"{user.name} (dashboard)", ctx.clock.now()
        try:
            await ctx.db.run(lambda s: accounts.disable(s, name, actor=actor, now=now))
        except AccountRefused as exc:
            return await page(user, error=f"未停用：{exc.zh}", status=400)
        if name == user.name:
            raise web.HTTPSeeOther("/login")
        raise web.HTTPSeeOther("/accounts?notice=disabled")

    return [
        web.get("/accounts", listing),
        web.post("/accounts/new", create),
        web.post("/accounts/role", role),
        web.post("/accounts/password", password),
        web.post("/accounts/disable", disable),
    ]
