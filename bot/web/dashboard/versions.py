"""Plan versions: the list, and uploading a plan or a revised one.

An admin's upload is stored as a draft (bot/store/loading.py `load_draft`: a new plan, or a
revision of the chosen one) and opens its review page (bot/web/dashboard/review.py), where
the diff is shown and the draft published — publishing a revision applies it exactly as
`taskbot regenerate --apply` does. A coordinator's upload of a revision shows the diff
only (`preview_revision`), nothing stored.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlmodel import Session

from bot.errors import UserError
from bot.store import repo
from bot.store.loading import (
    LoadResult,
    Revision,
    choose_plan,
    load_draft,
    preview_revision,
)
from bot.web.dashboard.context import DashContext, User
from bot.worker import LimitExceeded
from parser import parse_document
from parser.errors import ParseError
from parser.model import Plan

SUFFIXES = (
    *(".docx", ".txt", ".pdf", ".doc", ".wps", ".rtf", ".ofd", ".html", ".htm"),
    *(".xlsx", ".csv"),  # a task list kept in Excel (parser/read_sheet.py)
)
_SAFE_NAME = re.compile(r"^[\w\u4e00-\u9fff（）()《》“”\-. ]{1,120}$")


def _parse_upload(filename: str, content: bytes) -> Plan:
    """Parse uploaded bytes as the parser parses a file (it reads by suffix).

    Runs in the bounded worker (bot/worker.py). Messages name the uploaded file, never the
    server's temporary path.
    """
    name = Path(filename.replace("\\", "/")).name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        shown = name[:100] or "空文件名"
        kinds = ".docx、.doc、.wps、.pdf、.ofd、.html、.txt 或任务分工表 .xlsx、.csv"
        raise UserError(f"请上传 {kinds} 文件（不是 {shown}）")
    if not _SAFE_NAME.match(name):
        name = "upload" + suffix
    with tempfile.TemporaryDirectory(prefix="taskbot-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            return parse_document(path)
        except ParseError as exc:
            # Same kind (a reader's limit stays a LimitError), without the server's temp path.
            raise type(exc)(str(exc).replace(str(path), name).replace(tmp, "")) from None


FIELD_LABELS = {
    "key": "编号",
    "title": "标题",
    "due": "截止日期",
    "lead": "牵头单位",
    "cooperating": "配合单位",
    "value": "指标",
}


def _plain(v: Any) -> str:
    if v is None or v == []:
        return "—"
    return "、".join(v) if isinstance(v, list) else str(v)


def changes_for_page(rev: Revision) -> list[dict[str, Any]]:
    """The diff's changes as the page shows them: what changed, in words."""
    out = []
    for c in rev.diff.changes:
        j = c.to_json()
        what = ["文字修改"] if "text" in j["fields"] else []
        what += [
            f"{FIELD_LABELS.get(k, k)}：{_plain(a)} → {_plain(b)}"
            for k, (a, b) in j["fields"].items()
            if k != "text"
        ]
        if j.get("decided_due"):
            kept = "应用时可选择采用方案新日期" if c.due_conflict else "不受本次修订影响"
            what.append(f"已批准延期至{j['decided_due']}（{kept}）")
        out.append({**j, "what": "；".join(what), "due_conflict": c.due_conflict})
    return out


def routes(ctx: DashContext) -> list[web.RouteDef]:
    def list_data(s: Session) -> list[dict[str, Any]]:
        plans = []
        for p in repo.list_plans(s):
            assert p.id is not None
            plans.append({"plan": p, "versions": repo.list_versions(s, p.id)})
        return plans

    async def page(
        user: User, *, error: str = "", notice: str = "", status: int = 200
    ) -> web.Response:
        plans = await ctx.db.run(list_data)
        return ctx.render(
            "versions.html", user=user, plans=plans, error=error, notice=notice, status=status
        )

    async def versions(request: web.Request) -> web.StreamResponse:
        user = await ctx.page_user(request)
        return await page(user, notice=_notice(request.query))

    async def preview(request: web.Request) -> web.StreamResponse:
        user = await ctx.form_user(request)
        form = await request.post()
        upload = form.get("plan")
        if not isinstance(upload, web.FileField):
            return await page(user, error="请选择方案文件。", status=400)
        content = upload.file.read()
        try:
            new_plan = str(form.get("plan_id", "")).strip() == "new"
            plan_id = None if new_plan else _plan_id(form.get("plan_id"))
            if new_plan and not user.is_admin:
                raise web.HTTPForbidden(text="只有管理员可以载入方案 (admins only)")
            parsed = await ctx.worker.run(_parse_upload, upload.filename, content)
            if user.is_admin:
                actor = f"{user.name} (dashboard)"
                now = ctx.clock.now()

                def draft(s: Session) -> LoadResult:
                    pid = None if new_plan else choose_plan(s, parsed, plan_id)
                    return load_draft(s, parsed, plan_id=pid, actor=actor, now=now)

                loaded = await ctx.db.run(draft)
                if loaded.draft:
                    raise web.HTTPSeeOther(f"/review/{loaded.version.id}?notice=loaded")
                raise web.HTTPSeeOther("/versions?notice=same")
            rev = await ctx.db.run(lambda s: preview_revision(s, parsed, plan_id=plan_id))
        except LimitExceeded as exc:
            return await page(user, error=str(exc), status=413)
        except (UserError, ParseError) as exc:
            return await page(user, error=str(exc), status=400)
        return ctx.render(
            "diff.html",
            user=user,
            rev=rev,
            counts=rev.diff.counts(),
            changes=changes_for_page(rev),
            filename=upload.filename,
            draft=None,
        )

    return [
        web.get("/versions", versions),
        web.post("/versions/preview", preview),
    ]


def _plan_id(raw: Any) -> int | None:
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise UserError("方案编号不正确")
    return int(text)


def _notice(query: Any) -> str:
    """The notice a redirect asked for, worded here: the query only picks the wording and
    fills in numbers, so a crafted link cannot put its own text on the page."""
    kind = query.get("notice", "")
    if kind == "same":
        return "内容与当前版本相同，未生成新版本。"
    if kind == "published":
        plan, v = query.get("plan", ""), query.get("v", "")
        if plan.isascii() and plan.isdigit() and v.isascii() and v.isdigit():
            return f"已发布：方案{int(plan)}现为第{int(v)}版，开始督办提醒。"
        return ""
    if kind != "applied":
        return ""
    n: dict[str, int] = {}
    for key in ("plan", "v", "a", "c", "w"):
        raw = query.get(key, "")
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
            return ""
        n[key] = int(raw)
    return f"已应用：方案{n['plan']}现为第{n['v']}版（新增{n['a']}、修改{n['c']}、撤销{n['w']}）"
