"""The coordinator dashboard: overview, tasks, plan versions, task graph, contacts, reports.

`setup` is called once by the composition root (bot/app.py) with everything the pages need;
handlers close over that `DashContext` rather than reaching into the application.

Routes: GET / (overview), /login, /logout, /tasks, /tasks/{pk}, /versions, /graph,
/contacts, /accounts (admin), /reports/ledger.xlsx, /reports/briefing.docx; POST /login, /logout,
/versions/preview (admin: store a draft; coordinator: see the diff), /contacts/import (admin),
/contacts/{id}/link (admin: a web chat login link), /contacts/{id}/chat-off (admin: end a
contact's web chat), /outbox/{id}/resend, /accounts/new|role|password|disable (admin); GET,
POST /tasks/new and /tasks/{pk}/edit, POST /tasks/{pk}/withdraw (admin: a task from no plan);
GET /review/{id} (a draft's review) and POST /review/{id}/edit, /drop, /add, /decide,
/publish (admin).
"""

from __future__ import annotations

from aiohttp import web

from bot.clock import Clock
from bot.config import Settings
from bot.store.aio import Database
from bot.web.dashboard import accounts, auth, contacts, graph, manual, pages, review, versions
from bot.web.dashboard.context import DashContext, build_context
from bot.web.sessions import SessionCodec, SessionStore
from bot.worker import BoundedWorker

__all__ = ["DashContext", "setup"]


def setup(
    app: web.Application,
    *,
    db: Database,
    clock: Clock,
    settings: Settings,
    codec: SessionCodec,
    sessions: SessionStore | None = None,
    worker: BoundedWorker | None = None,
) -> DashContext:
    """Add the dashboard's routes to `app`. `codec` signs the login form's cookie;
    `sessions` holds logins (by default in `db`, timeouts as context.DASH_IDLE/ABSOLUTE)."""
    ctx = build_context(
        db=db, clock=clock, settings=settings, codec=codec, sessions=sessions, worker=worker
    )
    for module in (auth, pages, versions, review, graph, contacts, manual, accounts):
        app.router.add_routes(module.routes(ctx))
    return ctx
