"""The review of a draft version (GET /review/{id}; forms admins only, coordinators may look).

Every measure and milestone beside its source sentence, the parser's warnings on top, the
corrections a revision put in doubt, and — for a revision of a published plan — what it
changes (the diff). An admin corrects lead, cooperating units, due date and title, drops a
false measure, adds a missed one by selecting its sentence in the source text, and
publishes (bot/store/review.py, bot/store/loading.py). Bad input re-shows the page with one
message and status 400, nothing written.

The page runs one small script (nonce in its own Content-Security-Policy): selecting text in
the source fills the add form's offsets. Without it the admin pastes the sentence instead;
the server finds it in the stored text either way.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlmodel import Session

from bot.conversation.decisions import notify_revision
from bot.errors import UserError
from bot.render import Renderer
from bot.store import repo
from bot.store.departments import match_department
from bot.store.loading import Published, Revision, publish
from bot.store.models import DraftTask, PlanVersion, VersionState
from bot.store.reapply import spec_of
from bot.store.regenerate import diff_tasks
from bot.store.repo import corrections as rc
from bot.store.review import (
    FIELD_ZH,
    DepartmentReader,
    Edit,
    NewMeasure,
    ReviewRefused,
    add_measure,
    decide_offered,
    department_choices,
    drop_task,
    edit_task,
)
from bot.web.dashboard.context import SECURITY_HEADERS, DashContext, User, row_id
from bot.web.dashboard.versions import changes_for_page
from parser.units import canonicalize, is_known

READER = DepartmentReader(match=match_department, canonicalize=canonicalize, is_known=is_known)

WARNING_LABELS = {
    "no_clause": "未找到责任单位",
    "clause_without_item": "责任单位无对应措施",
    "unknown_unit": "无法识别的单位",
    "new_unit": "别名表中没有的单位",
    "renumbered_id": "编号重排",
    "month_without_year": "月份缺少年份",
    "repeated_document": "文件重复",
}


EXCERPT = 80  # characters of the document a warning points at, shown beside it


def _excerpt(text: str, span: Any) -> str:
    """The words of the document a warning is about: what the admin checks, in Chinese
    whatever language the parser's message is in."""
    if not (isinstance(span, list | tuple) and len(span) == 2):
        return ""
    start, end = (int(x) for x in span)
    words = " ".join(text[max(start, 0) : max(end, 0)].split())
    return words if len(words) <= EXCERPT else words[: EXCERPT - 1] + "…"


@dataclass(frozen=True, slots=True)
class Row:
    task: DraftTask
    sentence: str
    warnings: list[str]


def _page_data(s: Session, version_id: int) -> dict[str, Any]:
    version = rc.draft_version(s, version_id)
    assert version.id is not None
    plan = repo.get_plan(s, version.plan_id)
    rows = rc.draft_tasks(s, version.id)
    warnings = list(version.warnings or [])
    by_measure: dict[str, list[str]] = {}
    for w in warnings:
        if w.get("measure"):
            kind = w.get("kind", "")
            by_measure.setdefault(w["measure"], []).append(WARNING_LABELS.get(kind, kind))
    listed = [
        Row(r, version.text[r.span_start : r.span_end], by_measure.get(r.key, [])) for r in rows
    ]
    changes: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    is_revision = False
    if version.state == VersionState.DRAFT:
        try:
            repo.current_version(s, version.plan_id)
            is_revision = True
        except UserError:
            is_revision = False
    if is_revision:
        specs = [spec_of(r) for r in rows if not r.dropped]
        diff = diff_tasks(repo.stored_tasks(s, version.plan_id), specs)
        rev = Revision(version.plan_id, diff, identical=False)
        counts = diff.counts()
        changes = changes_for_page(rev)
    offered = [
        {
            "c": c,
            "field": FIELD_ZH.get(c.field, c.field),
            "value": _shown(c.value),
            "parsed": _shown(c.parsed),
            "was": changed_part(c.sentence, c.offered_sentence or ""),
            "now": changed_part(c.offered_sentence or "", c.sentence),
        }
        for c in rc.offered_corrections(s, version.id)
    ]
    return {
        "version": version,
        "plan": plan,
        "rows": listed,
        "warnings": [
            {
                **w,
                "label": WARNING_LABELS.get(w.get("kind", ""), w.get("kind", "")),
                "excerpt": _excerpt(version.text, w.get("span")),
            }
            for w in warnings
        ],
        "offered": offered,
        "is_revision": is_revision,
        "counts": counts,
        "changes": changes,
        "departments": department_choices(s),
        "live": sum(1 for r in rows if not r.dropped),
    }


def changed_part(text: str, other: str, context: int = 40) -> dict[str, str]:
    """Where `text` differs from `other`: the differing middle with some words around it
    (a long measure's sentence rewritten in one clause shows that clause)."""
    p = 0
    while p < min(len(text), len(other)) and text[p] == other[p]:
        p += 1
    q = 0
    while q < min(len(text), len(other)) - p and text[-1 - q] == other[-1 - q]:
        q += 1
    end = len(text) - q
    return {
        "before": ("…" if p > context else "") + text[max(0, p - context) : p],
        "mark": text[p:end],
        "after": text[end : end + context] + ("…" if end + context < len(text) else ""),
    }


def _shown(v: Any) -> str:
    if v is None or v == [] or v is True:
        return "—" if v is not True else ""
    if isinstance(v, dict):
        return f"{v.get('key', '')} {v.get('title', '')}（{v.get('lead', '')}牵头）"
    return "、".join(v) if isinstance(v, list) else str(v)


def _text(form: Any, name: str) -> str:
    v = form.get(name, "")
    return v if isinstance(v, str) else ""


def _int(form: Any, name: str) -> int:
    raw = _text(form, name).strip()
    if not raw.isascii() or not raw.lstrip("-").isdigit() or len(raw) > 9:
        return -1
    return int(raw)


def routes(ctx: DashContext) -> list[web.RouteDef]:
    async def page(
        user: User,
        version_id: int,
        *,
        error: str = "",
        notice: str = "",
        status: int = 200,
        values: dict[str, str] | None = None,
    ) -> web.Response:
        try:
            data = await ctx.db.run(lambda s: _page_data(s, version_id))
        except UserError:
            raise web.HTTPNotFound(text="没有这个方案版本") from None
        nonce = secrets.token_urlsafe(16)
        resp = ctx.render(
            "review.html",
            user=user,
            error=error,
            notice=notice,
            status=status,
            nonce=nonce,
            values=values or {},
            **data,
        )
        csp = SECURITY_HEADERS["Content-Security-Policy"]
        resp.headers["Content-Security-Policy"] = csp.replace(
            "default-src 'none';", f"default-src 'none'; script-src 'nonce-{nonce}';"
        )
        return resp

    def version_of(request: web.Request) -> int:
        return row_id(request, "vid", "没有这个方案版本")

    async def show(request: web.Request) -> web.StreamResponse:
        user = await ctx.page_user(request)
        return await page(user, version_of(request), notice=_notice(request.query))

    async def act(
        request: web.Request,
        run: Callable[[Session, Any, str], object],
        done: str,
    ) -> web.StreamResponse:
        """One admin action: run it in one transaction; a refusal re-shows the page."""
        user = await ctx.form_user(request, admin=True)
        form = await request.post()
        vid = version_of(request)
        actor = f"{user.name} (dashboard)"
        try:
            await ctx.db.run(lambda s: run(s, form, actor))
        except ReviewRefused as exc:
            values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
            return await page(user, vid, error=f"未保存：{exc.zh}", status=400, values=values)
        except UserError as exc:
            return await page(user, vid, error=f"未保存：{exc}", status=400)
        raise web.HTTPSeeOther(f"/review/{vid}?" + urlencode({"notice": done}))

    async def edit(request: web.Request) -> web.StreamResponse:
        vid, now = version_of(request), ctx.clock.now()

        def run(s: Session, form: Any, actor: str) -> object:
            def given(name: str) -> str | None:
                return _text(form, name) if name in form else None

            e = Edit(
                title=given("title"),
                lead=given("lead"),
                cooperating=given("cooperating"),
                due=given("due"),
                create_departments=_text(form, "create_departments") == "1",
            )
            return edit_task(s, vid, _text(form, "key"), e, reader=READER, actor=actor, now=now)

        return await act(request, run, "edited")

    async def drop(request: web.Request) -> web.StreamResponse:
        vid, now = version_of(request), ctx.clock.now()

        def run(s: Session, form: Any, actor: str) -> object:
            restore = _text(form, "restore") == "1"
            drop_task(s, vid, _text(form, "key"), restore=restore, actor=actor, now=now)
            return None

        return await act(request, run, "dropped")

    async def add(request: web.Request) -> web.StreamResponse:
        vid, now = version_of(request), ctx.clock.now()

        def run(s: Session, form: Any, actor: str) -> object:
            new = NewMeasure(
                start=_int(form, "start"),
                end=_int(form, "end"),
                selected=_text(form, "selected"),
                key=_text(form, "key"),
                title=_text(form, "title"),
                lead=_text(form, "lead"),
                cooperating=_text(form, "cooperating"),
                due=_text(form, "due"),
                create_departments=_text(form, "create_departments") == "1",
            )
            return add_measure(s, vid, new, reader=READER, actor=actor, now=now)

        return await act(request, run, "added")

    async def decide(request: web.Request) -> web.StreamResponse:
        now = ctx.clock.now()

        def run(s: Session, form: Any, actor: str) -> object:
            accept = _text(form, "decision") == "accept"
            cid = _int(form, "correction")
            try:
                c = rc.get_correction(s, cid) if cid > 0 else None
            except UserError:
                c = None
            if c is None or c.offered_version_id != version_of(request):
                raise ReviewRefused("no such correction on this draft", "该草稿上没有这条更正")
            return decide_offered(s, cid, accept=accept, actor=actor, now=now)

        return await act(request, run, "decided")

    async def publish_draft(request: web.Request) -> web.StreamResponse:
        user = await ctx.form_user(request, admin=True)
        form = await request.post()
        vid = version_of(request)
        take = [str(v) for v in form.getall("take_plan_due", [])]
        actor = f"{user.name} (dashboard)"
        now = ctx.clock.now()

        def run(s: Session) -> tuple[Published, PlanVersion]:
            waiting = rc.offered_corrections(s, vid)
            if waiting:
                raise ReviewRefused(
                    "corrections wait for review",
                    f"还有{len(waiting)}条更正等待确认（采用或作废）后才能发布",
                )
            done = publish(s, vid, actor=actor, now=now, take_plan_due=take)
            if done.revision is not None:
                # The departments whose tasks it withdrew or re-dated hear it (outbox).
                notify_revision(s, Renderer().render, done.revision, now=now)
            return done, done.version

        try:
            done, version = await ctx.db.run(run)
        except ReviewRefused as exc:
            return await page(user, vid, error=f"未发布：{exc.zh}", status=400)
        except UserError as exc:
            return await page(user, vid, error=f"未发布：{exc}", status=400)
        numbers = {"notice": "published", "plan": done.plan_id, "v": version.number}
        raise web.HTTPSeeOther("/versions?" + urlencode(numbers))

    vid = r"/review/{vid:\d{1,9}}"
    return [
        web.get(vid, show),
        web.post(vid + "/edit", edit),
        web.post(vid + "/drop", drop),
        web.post(vid + "/add", add),
        web.post(vid + "/decide", decide),
        web.post(vid + "/publish", publish_draft),
    ]


def _notice(query: Any) -> str:
    return {
        "edited": "已保存更正。",
        "dropped": "已更新。",
        "added": "已补充措施。",
        "decided": "已处理该更正。",
        "loaded": "已载入为草稿：核对后发布，发布前不会督办提醒。",
    }.get(query.get("notice", ""), "")
