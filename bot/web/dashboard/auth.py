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
from bot.web.passwords import accounts_named, fingerprint
from bot.web.sessions import csrf_ok
from bot.web.throttle import LoginThrottle


def safe_next(value: str | None) -> str:
    """Only a local path: an open redirect to another site after login would be phishing."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


# A person gets 5 tries per name; one address 20 tries over all names; per 15 minutes.
NAME_LIMIT, ADDRESS_LIMIT, WINDOW = 5, 20, 15 * 60.0


def routes(ctx: DashContext) -> list[web.RouteDef]:
    by_name = LoginThrottle(max_failures=NAME_LIMIT, window=WINDOW)
    by_address = LoginThrottle(max_failures=ADDRESS_LIMIT, window=WINDOW)

    def login_page(
        request: web.Request,
        *,
        error: str = "",
        status: int = 200,
        name: str = "",
        minutes: int = 0,
    ) -> web.Response:
        """The form; `error` is a code the template words: expired | wrong | throttled."""
        cookie, session = ctx.codec.encode(0, LOGIN)
        resp = ctx.render(
            "login.html",
            user=None,
            status=status,
            csrf=session.csrf,
            error=error,
            minutes=minutes,
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
            return login_page(request, error="expired", status=403)
        form = await request.post()
        name = str(form.get("name", "")).strip()
        password = str(form.get("password", ""))
        target = safe_next(str(form.get("next", "/")))
        address = request.remote or "?"
        wait = max(by_name.retry_after(name), by_address.retry_after(address))
        if wait > 0:
            resp = login_page(
                request, error="throttled", status=429, name=name, minutes=max(1, round(wait / 60))
            )
            resp.headers["Retry-After"] = str(int(wait) + 1)
            return resp

        def q(s: Session) -> list[tuple[int, str]]:
            return [
                (c.id, h)
                for c in accounts_named(s, name)
                if (h := repo.password_hash(s, c.id)) is not None
            ]

        candidates = await ctx.db.run(q) if name and password else []
        hit = await to_thread_verify(ctx, [h for _, h in candidates], password)
        if hit is None:
            by_name.failed(name)
            by_address.failed(address)
            return login_page(request, error="wrong", status=401, name=name)
        by_name.succeeded(name)
        contact_id, digest = candidates[hit]
        cookie, _session = ctx.codec.encode(contact_id, DASH, stamp=fingerprint(digest))
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
