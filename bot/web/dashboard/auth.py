"""Login and logout. Accounts are coordinator/admin contacts with a password set by
`taskbot users set-password`.

The login form itself is CSRF-protected: GET /login issues a short "login" cookie carrying
a token the form must send back, so another site cannot log a browser into its account.
A successful login creates a server-side session (bot/web/sessions.py); logout revokes it.

Throttling slows guessing without locking the owner out: failures back off per name and
per client address, but from an address the account has logged in from within the last 30
days only that address's own failures for the name count, so the owner's correct password
passes while someone elsewhere hammers the name.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from aiohttp import web
from sqlmodel import Session

from bot.store import repo
from bot.store.repo.sessions import known_address
from bot.web.dashboard.context import LOGIN, DashContext, to_thread_verify
from bot.web.passwords import accounts_named
from bot.web.sessions import csrf_ok
from bot.web.throttle import Backoff, client_address

# What browsers silently drop from a URL (WHATWG: tab, CR, LF anywhere; C0 controls and
# space at the ends) — removed here first so that "/\t/evil.example" is seen as the
# "//evil.example" a browser would follow.
_DROPPED = re.compile(r"[\t\r\n]")
_MAX_NEXT = 2000


def safe_next(value: str | None) -> str:
    """A same-origin path to go to after login, else "/" (an open redirect is phishing)."""
    if not value or len(value) > _MAX_NEXT:
        return "/"
    v = _DROPPED.sub("", value).strip(
        "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
        "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c"
        "\x1d\x1e\x1f "
    )
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in v) or "\\" in v:
        return "/"
    parts = urlsplit(v)
    path = parts.path
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
        return "/"
    # A path that only becomes "//host" or "/\host" once decoded is refused too.
    decoded = unquote(path)
    if decoded.startswith("//") or "\\" in decoded:
        return "/"
    # Percent-encode what a Location header cannot carry raw (non-ASCII, spaces).
    safe = "/?&=%:@!$'()*+,;~-._"
    return urlunsplit(("", "", quote(path, safe=safe), quote(parts.query, safe=safe), ""))


# Five free tries per name and twenty per address, then waits of 1, 2, 4 … seconds, at
# most 15 minutes; a key quiet for 15 minutes starts over.
NAME_FREE, ADDRESS_FREE, CAP = 5, 20, 15 * 60.0
KNOWN_FOR = timedelta(days=30)


def routes(ctx: DashContext) -> list[web.RouteDef]:
    by_name = Backoff(free=NAME_FREE, cap=CAP, window=CAP)
    by_address = Backoff(free=ADDRESS_FREE, cap=CAP, window=CAP)
    # From a known address only that address's own failures for the name count: someone
    # guessing elsewhere cannot lock the owner out, and someone guessing from the owner's
    # own address (a shared office NAT) is still slowed.
    by_pair = Backoff(free=NAME_FREE, cap=CAP, window=CAP)

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
        # The form's token comes from the login cookie, or from the session of someone
        # already logged in (the form on a page they had open).
        pre = ctx.codec.from_request(request, LOGIN)
        ok = pre is not None and await csrf_ok(request, pre)
        if not ok:
            found = await ctx.load_session(request)
            ok = found is not None and await csrf_ok(request, found[1])
        if not ok:
            return login_page(request, error="expired", status=403)
        form = await request.post()
        name = str(form.get("name", "")).strip()[:100]
        password = str(form.get("password", ""))[:1000]
        target = safe_next(str(form.get("next", "/")))
        address = client_address(request, ctx.proxies)
        now = ctx.clock.now()

        def q(s: Session) -> tuple[list[tuple[int, str]], bool]:
            rows = accounts_named(s, name)
            known = known_address(s, [c.id for c in rows], address, since=now - KNOWN_FOR)
            hashes = [(c.id, h) for c in rows if (h := repo.password_hash(s, c.id)) is not None]
            return hashes, known

        candidates, known = await ctx.db.run(q) if name and password else ([], False)
        pair = f"{name}\n{address}"
        attacked = max(by_name.retry_after(name), by_address.retry_after(address))
        wait = by_pair.retry_after(pair) if known else attacked
        if wait > 0:
            resp = login_page(
                request, error="throttled", status=429, name=name, minutes=max(1, round(wait / 60))
            )
            resp.headers["Retry-After"] = str(int(wait) + 1)
            return resp
        hit = await to_thread_verify(ctx, [h for _, h in candidates], password)
        if hit is None:
            by_name.failed(name)
            by_address.failed(address)
            by_pair.failed(pair)
            return login_page(request, error="wrong", status=401, name=name)
        by_pair.succeeded(pair)
        if attacked == 0:
            # A few typos forgiven; while the name is under attack its count stays.
            by_name.succeeded(name)
        contact_id, _digest = candidates[hit]
        cookie, _session = await ctx.sessions.create(contact_id, address=address)
        resp = web.HTTPFound(target)
        ctx.sessions.set_cookie(resp, cookie)
        ctx.codec.clear_cookie(resp)
        raise resp

    async def get_logout(request: web.Request) -> web.StreamResponse:
        user = await ctx.load_user(request)
        if user is None:
            raise web.HTTPFound("/login")
        return ctx.render("logout.html", user=user)

    async def post_logout(request: web.Request) -> web.StreamResponse:
        await ctx.form_user(request)
        found = await ctx.load_session(request)
        if found is not None:
            await ctx.sessions.revoke(found[1])
        resp = web.HTTPFound("/login")
        ctx.sessions.clear_cookie(resp)
        raise resp

    return [
        web.get("/login", get_login),
        web.post("/login", post_login),
        web.get("/logout", get_logout),
        web.post("/logout", post_logout),
    ]
