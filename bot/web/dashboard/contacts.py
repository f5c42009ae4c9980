"""Contacts: who is reachable on which platform, importing a sheet, and dead letters.

Importing is for admins: a sheet sets roles, so a coordinator could otherwise make
themselves an admin. Resending a dead letter is any coordinator's job.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlmodel import Session

from bot.errors import UserError
from bot.store import repo
from bot.store.contacts_import import import_contacts
from bot.store.errors import ImportRejected
from bot.store.models import Platform
from bot.web.dashboard.context import DashContext, User
from parser.units import canonicalize, is_known

SHEET_SUFFIXES = (".csv", ".xlsx", ".xlsm")
PLATFORMS = tuple(p.value for p in Platform)


def _import(session: Session, filename: str, content: bytes, actor: str) -> tuple[int, int, int]:
    suffix = Path(filename).suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        raise UserError(f"请上传 .csv 或 .xlsx 文件（不是 {Path(filename).name or '空文件名'}）")
    with tempfile.TemporaryDirectory(prefix="taskbot-contacts-") as tmp:
        # The importer reads by path and reports the file's name in its audit record.
        path = Path(tmp) / ("contacts" + suffix)
        path.write_bytes(content)
        return import_contacts(
            session, path, canonicalize=canonicalize, is_known=is_known, actor=actor
        )


def routes(ctx: DashContext) -> list[web.RouteDef]:
    def data(s: Session) -> dict[str, Any]:
        people: dict[tuple[str, str], dict[str, Any]] = {}
        for c in repo.list_contacts(s):
            p = people.setdefault(
                (c.department, c.name),
                {
                    "department": c.department,
                    "name": c.name,
                    "role": c.role,
                    "on": defaultdict(list),
                },
            )
            p["on"][c.platform].append(c.user_id)
        dead = repo.list_dead(s)
        return {"people": list(people.values()), "dead": dead}

    async def page(
        user: User,
        *,
        error: str = "",
        problems: list[str] | None = None,
        notice: str = "",
        status: int = 200,
    ) -> web.Response:
        d = await ctx.db.run(data)
        return ctx.render(
            "contacts.html",
            user=user,
            status=status,
            error=error,
            problems=problems or [],
            notice=notice,
            platforms=PLATFORMS,
            **d,
        )

    async def contacts(request: web.Request) -> web.StreamResponse:
        user = await ctx.page_user(request)
        return await page(user, notice=request.query.get("notice", "")[:200])

    async def import_sheet(request: web.Request) -> web.StreamResponse:
        user = await ctx.form_user(request, admin=True)
        form = await request.post()
        upload = form.get("sheet")
        if not isinstance(upload, web.FileField):
            return await page(user, error="请选择通讯录文件。", status=400)
        content = upload.file.read()
        actor = f"{user.name} (dashboard)"
        try:
            n, created, updated = await ctx.db.run(
                lambda s: _import(s, upload.filename, content, actor)
            )
        except ImportRejected as exc:
            return await page(
                user, error="导入被拒绝，未导入任何记录：", problems=exc.problems, status=400
            )
        except UserError as exc:
            return await page(user, error=str(exc), status=400)
        return await page(user, notice=f"已导入{n}条（新增{created}，更新{updated}）")

    async def resend(request: web.Request) -> web.StreamResponse:
        await ctx.form_user(request)
        outbox_id = int(request.match_info["id"])
        ok = await ctx.db.run(lambda s: repo.resend(s, outbox_id, now=ctx.clock.now()))
        notice = "已重新排队发送。" if ok else "该消息已不在失败列表中。"
        raise web.HTTPSeeOther("/contacts?notice=" + _quote(notice))

    return [
        web.get("/contacts", contacts),
        web.post("/contacts/import", import_sheet),
        web.post(r"/outbox/{id:\d+}/resend", resend),
    ]


def _quote(text: str) -> str:
    return quote(text, safe="")
