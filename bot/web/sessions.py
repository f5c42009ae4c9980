"""Signed session cookies and CSRF tokens, shared by the web chat and the dashboard.

A session is a small JSON payload signed with HMAC-SHA256 under the server's
secret; nothing is stored server-side, so every worker process accepts the
same cookie. The CSRF token lives in the session and must come back with every
state-changing request (form field `csrf` or header `X-CSRF-Token`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


@dataclass(frozen=True, slots=True)
class Session:
    contact_id: int
    kind: str  # "chat" or "dash"
    csrf: str
    expires: float
    # What the session was granted against (the dashboard: a fingerprint of the password
    # hash), so changing that ends the session; "" when nothing needs it.
    stamp: str = ""


class SessionCodec:
    """Issues and verifies session cookies for one cookie name."""

    def __init__(self, secret: bytes, cookie: str, max_age: int, secure: bool = False) -> None:
        if len(secret) < 16:
            raise ValueError("session secret too short")
        self._secret = secret
        self.cookie = cookie
        self.max_age = max_age
        self.secure = secure

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode("ascii"), hashlib.sha256).digest())

    def encode(
        self, contact_id: int, kind: str, now: float | None = None, *, stamp: str = ""
    ) -> tuple[str, Session]:
        expires = (now if now is not None else time.time()) + self.max_age
        session = Session(contact_id, kind, secrets.token_urlsafe(24), expires, stamp)
        body = _b64(
            json.dumps(
                {"c": contact_id, "k": kind, "x": session.csrf, "e": int(expires), "s": stamp},
                separators=(",", ":"),
            ).encode()
        )
        return f"{body}.{self._sign(body)}", session

    def decode(self, value: str | None, now: float | None = None) -> Session | None:
        """The session in a cookie value, or None if missing, forged or expired."""
        if not value or "." not in value:
            return None
        body, sig = value.rsplit(".", 1)
        if not hmac.compare_digest(sig, self._sign(body)):
            return None
        try:
            data: dict[str, Any] = json.loads(_unb64(body))
            session = Session(
                int(data["c"]),
                str(data["k"]),
                str(data["x"]),
                float(data["e"]),
                str(data.get("s", "")),
            )
        except (ValueError, KeyError, TypeError):
            return None
        if session.expires < (now if now is not None else time.time()):
            return None
        return session

    def from_request(self, request: web.Request, kind: str) -> Session | None:
        session = self.decode(request.cookies.get(self.cookie))
        return session if session is not None and session.kind == kind else None

    def set_cookie(self, response: web.StreamResponse, value: str) -> None:
        response.set_cookie(
            self.cookie,
            value,
            max_age=self.max_age,
            httponly=True,
            samesite="Strict",
            secure=self.secure,
            path="/",
        )

    def clear_cookie(self, response: web.StreamResponse) -> None:
        response.del_cookie(self.cookie, path="/")


async def csrf_ok(request: web.Request, session: Session) -> bool:
    """Whether the request carries this session's CSRF token (header or form field)."""
    token = request.headers.get("X-CSRF-Token")
    if token is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        raw = form.get("csrf")
        token = raw if isinstance(raw, str) else None
    return token is not None and hmac.compare_digest(token, session.csrf)
