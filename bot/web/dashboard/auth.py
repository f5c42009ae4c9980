"""Login and logout. Accounts are coordinator/admin contacts with a password set by
`taskbot users set-password`.

The login form itself is CSRF-protected: GET /login issues a short "login" cookie carrying
a token the form must send back, so another site cannot log a browser into its account.
"""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session

from bot.store import repo
from bot.web.dashboard.context import DASH, LOGIN, DashContext, to_thread_verify
from bot.web.passwords import accounts_named
from bot.web.sessions import csrf_ok


def safe_next(value: str | None) -> str:
    """Only a local path: an open redirect to another site after login would be phishing."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def routes(ctx: DashContext) -> list[web.RouteDef]:
    def login_page(
        request: web.Request, *, error: str = "", status: int = 200, name: str = ""
    ) -> web.Response:
        cookie, session = ctx.codec.encode(0, LOGIN)
        resp = ctx.render(
            "login.html",
            user=None,
            status=status,
            csrf=session.csrf,
            error=error,
            name=name,
            next=safe_next(request.query.get("next")),
        )
        ctx.codec.set_cookie(resp, cookie)
        return resp

    async def get_login(request: web.Request) -> web.StreamResponse:
        if await ctx.load_user(request) is not None:
            raise web.HTTPFound(safe_next(request.query.get("next")))
        return login_page(request)

    async def post_login(request: web.Request) -> web.StreamResponse:
        pre = ctx.codec.from_request(request, LOGIN) or ctx.codec.from_request(request, DASH)
        if pre is None or not await csrf_ok(request, pre):
            return login_page(request, error="页面已过期，请重新登录。", status=403)
        form = await request.post()
        name = str(form.get("name", "")).strip()
        password = str(form.get("password", ""))
        target = safe_next(str(form.get("next", "/")))

        def q(s: Session) -> list[tuple[int, str]]:
            return [
                (c.id, h)
                for c in accounts_named(s, name)
                if (h := repo.password_hash(s, c.id)) is not None
            ]

        candidates = await ctx.db.run(q) if name and password else []
        hit = await to_thread_verify(ctx, [h for _, h in candidates], password)
        if hit is None:
            return login_page(request, error="姓名或密码不正确。", status=401, name=name)
        cookie, _session = ctx.codec.encode(candidates[hit][0], DASH)
        resp = web.HTTPFound(target)
        ctx.codec.set_cookie(resp, cookie)
        raise resp

    async def get_logout(request: web.Request) -> web.StreamResponse:
        user = await ctx.load_user(request)
        if user is None:
            raise web.HTTPFound("/login")
        return ctx.render("logout.html", user=user)

    async def post_logout(request: web.Request) -> web.StreamResponse:
        await ctx.form_user(request)
        resp = web.HTTPFound("/login")
        ctx.codec.clear_cookie(resp)
        raise resp

    return [
        web.get("/login", get_login),
        web.post("/login", post_login),
        web.get("/logout", get_logout),
        web.post("/logout", post_logout),
    ]
