"""Contacts: who is reachable on which platform, importing a sheet, web chat login links
(admins: bot/web/login_links.py) and disabling a contact's web chat, and dead letters.

Importing is for admins: a sheet sets roles, so a coordinator could otherwise make
themselves an admin. Resending a dead letter is any coordinator's job.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlmodel import Session

from bot.adapters import WEBCHAT, platform_names
from bot.errors import UserError
from bot.store import repo
from bot.store.contacts_import import (
    batches,
    read_upload,
    record_import,
    store_batch,
    validate_against_store,
)
from bot.store.departments import match_department
from bot.store.errors import ImportRejected, NotFound
from bot.store.repo.links import end_chat_access
from bot.web.dashboard.context import DashContext, User, row_id
from bot.web.login_links import ChatLink, issue_chat_link, public_base, qr_data_uri
from bot.worker import LimitExceeded
from parser.units import canonicalize, is_known

SHEET_SUFFIXES = (".csv", ".xlsx", ".xlsm")
# What a redirect may ask the page to say: the query picks a wording, never supplies it.
BATCH_PAUSE = 0.15  # seconds between import batches
NOTICES = {
    "requeued": "已重新排队发送。",
    "gone": "该消息已不在失败列表中。",
    "chat-off": "已停用该联络人的网页聊天：登录链接已作废，会话已结束。",
    "disabled": "已停用该联络人：不再提醒，聊天中不再识别；网页聊天已结束，记录保留。",
    "enabled": "已重新启用该联络人；网页聊天需重新生成登录链接。",
}


async def _import(
    ctx: DashContext, filename: str, content: bytes, actor: str
) -> tuple[int, int, int]:
    """Read the sheet in the bounded worker, validate every row, then write in batches.

    Batches keep each write transaction short, so chat messages are not locked out of a
    SQLite database for the length of a 100,000-row import; nothing is written unless every
    row is valid.
    """
    name = Path(filename.replace("\\", "/")).name[:100]
    suffix = Path(name).suffix.lower()
    if suffix not in SHEET_SUFFIXES:
        raise UserError(f"请上传 .csv 或 .xlsx 文件（不是 {name or '空文件名'}）")
    rows = await ctx.worker.run(read_upload, name, content)
    specs = await ctx.db.run(
        lambda s: validate_against_store(
            s, rows, canonicalize=canonicalize, is_known=is_known, match=match_department
        )
    )
    created = updated = 0
    for spec_part, row_part in batches(specs, rows):
        c, u = await ctx.db.run(
            lambda s, sp=spec_part, rp=row_part: store_batch(s, sp, rp)  # type: ignore[misc]
        )
        created, updated = created + c, updated + u
        # A breath between batches: SQLite's busy handler polls about every 100 ms, and a
        # chat message waiting for the lock must find it free at least once.
        await asyncio.sleep(BATCH_PAUSE)
    await ctx.db.run(lambda s: record_import(s, name, len(specs), created, updated, actor=actor))
    return len(specs), created, updated


def routes(ctx: DashContext) -> list[web.RouteDef]:
    def data(s: Session) -> dict[str, Any]:
        people: dict[tuple[str, str], dict[str, Any]] = {}
        for c in repo.list_contacts(s, with_disabled=True):
            p = people.setdefault(
                (c.department, c.name),
                {
                    "department": c.department,
                    "name": c.name,
                    "role": c.role,
                    "on": defaultdict(list),
                    "chat": [],
                    "id": c.id,  # any of the person's rows names the person
                    "disabled": True,
                },
            )
            p["on"][c.platform].append(c.user_id)
            p["disabled"] = p["disabled"] and c.disabled
            if c.platform == WEBCHAT and not c.disabled:
                p["chat"].append((c.id, c.user_id))  # an admin may issue a login link
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
            platforms=platform_names(),
            **d,
        )

    async def contacts(request: web.Request) -> web.StreamResponse:
        user = await ctx.page_user(request)
        return await page(user, notice=NOTICES.get(request.query.get("notice", ""), ""))

    async def import_sheet(request: web.Request) -> web.StreamResponse:
        user = await ctx.form_user(request, admin=True)
        form = await request.post()
        upload = form.get("sheet")
        if not isinstance(upload, web.FileField):
            return await page(user, error="请选择通讯录文件。", status=400)
        content = upload.file.read()
        actor = f"{user.name} (dashboard)"
        try:
            n, created, updated = await _import(ctx, upload.filename, content, actor)
        except LimitExceeded as exc:
            return await page(user, error=str(exc), status=413)
        except ImportRejected as exc:
            return await page(
                user, error="导入被拒绝，未导入任何记录：", problems=exc.problems, status=400
            )
        except UserError as exc:
            return await page(user, error=str(exc), status=400)
        return await page(user, notice=f"已导入{n}条（新增{created}，更新{updated}）")

    async def resend(request: web.Request) -> web.StreamResponse:
        await ctx.form_user(request)
        outbox_id = row_id(request, "id", "没有这条消息")
        ok = await ctx.db.run(lambda s: repo.resend(s, outbox_id, now=ctx.clock.now()))
        raise web.HTTPSeeOther("/contacts?notice=" + ("requeued" if ok else "gone"))

    async def issue_link(request: web.Request) -> web.StreamResponse:
        """A new web chat login link for one contact, shown once with its QR code; the
        link is never put in a URL or a log, only in this page."""
        user = await ctx.form_user(request, admin=True)
        contact_id = row_id(request, "id", "没有这个联络人")
        now = ctx.clock.now()
        # [server] public_url when configured (production: the address contacts reach);
        # else the address the admin reached this page at, which --port may have changed.
        configured = "public_url" in ctx.settings.server.model_fields_set
        base = public_base(ctx.settings) if configured else str(request.url.origin())

        def work(s: Session) -> ChatLink | None:
            try:
                contact = repo.get_contact(s, contact_id)
            except NotFound:
                return None
            if contact.platform != WEBCHAT:
                return None
            actor = f"{user.name} (dashboard)"
            return issue_chat_link(
                s, contact, settings=ctx.settings, actor=actor, now=now, base=base
            )

        link = await ctx.db.run(work)
        if link is None:
            return await page(
                user, error="该联络人没有网页聊天账号，无法生成登录链接。", status=404
            )
        return ctx.render(
            "chat_link.html",
            user=user,
            link=link,
            expires=link.expires.astimezone(ctx.settings.tz),
            qr=qr_data_uri(link.url),
            link_days=ctx.settings.webchat.link_days,
        )

    async def chat_off(request: web.Request) -> web.StreamResponse:
        """Disable a contact's web chat: links revoked, sessions ended (a new link undoes it)."""
        user = await ctx.form_user(request, admin=True)
        contact_id = row_id(request, "id", "没有这个联络人")
        now = ctx.clock.now()
        actor = f"{user.name} (dashboard)"

        def work(s: Session) -> bool:
            try:
                contact = repo.get_contact(s, contact_id)
            except NotFound:
                return False
            if contact.platform != WEBCHAT:
                return False
            end_chat_access(s, contact_id, actor=actor, now=now)
            return True

        if not await ctx.db.run(work):
            return await page(user, error="该联络人没有网页聊天账号。", status=404)
        raise web.HTTPSeeOther("/contacts?notice=chat-off")

    async def set_enabled(request: web.Request) -> web.StreamResponse:
        """Disable a person's contact rows (someone left the department: no reminders, not
        recognised in chat, web chat ended) or enable them again; audited."""
        user = await ctx.form_user(request, admin=True)
        enabled = request.match_info["what"] == "enable"
        contact_id = row_id(request, "id", "没有这个联络人")
        now = ctx.clock.now()
        actor = f"{user.name} (dashboard)"

        def work(s: Session) -> bool:
            try:
                one = repo.get_contact(s, contact_id)
            except NotFound:
                return False
            rows = [c.id for c in repo.person_contacts(s, one)]
            repo.set_contacts_enabled(s, rows, enabled=enabled, actor=actor, now=now)
            return True

        if not await ctx.db.run(work):
            return await page(user, error="没有这个联络人。", status=404)
        raise web.HTTPSeeOther(f"/contacts?notice={'enabled' if enabled else 'disabled'}")

    return [
        web.get("/contacts", contacts),
        web.post(r"/contacts/{id:\d+}/{what:disable|enable}", set_enabled),
        web.post(r"/contacts/{id:\d+}/chat-off", chat_off),
        web.post(r"/contacts/{id:\d+}/link", issue_link),
        web.post("/contacts/import", import_sheet),
        web.post(r"/outbox/{id:\d+}/resend", resend),
    ]
