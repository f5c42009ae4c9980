"""One middleware between every request and the handlers: bad input is a 4xx, never a 500.

A handler that trips over malformed input (a non-UTF-8 form, JSON nested ten thousand
deep, an integer past 64 bits, a lone surrogate) raises ValueError, UnicodeError,
OverflowError or RecursionError somewhere below it; here that becomes a 400 with a short
Chinese message and a log line with an id, so the person can quote the id and we can find
the request. A `UserError` is the user's own mistake said in words (400); a
`LimitExceeded` names the limit (413); `ServiceError` (a locked database) is a 503 to
retry. Anything else is a bug: a 500 with an id, the traceback in the log only.

It also puts the security headers on every answer that lacks them: pages may not be
framed or sniffed, and an HTML page without its own Content-Security-Policy runs no script.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.errors import ServiceError, UserError
from bot.worker import LimitExceeded

log = logging.getLogger("taskbot.web")

# What malformed input raises below a handler (UnicodeError is a ValueError).
BAD_INPUT: tuple[type[BaseException], ...] = (ValueError, OverflowError, RecursionError)

DEFAULT_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
DEFAULT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _text(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message, content_type="text/plain")


def _secure(resp: web.StreamResponse) -> None:
    if resp.prepared:  # a streamed answer has sent its headers already
        return
    for k, v in DEFAULT_HEADERS.items():
        resp.headers.setdefault(k, v)
    if resp.content_type == "text/html":
        resp.headers.setdefault("Content-Security-Policy", DEFAULT_CSP)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        resp = await handler(request)
    except web.HTTPException as exc:
        _secure(exc)
        raise
    except asyncio.CancelledError:
        raise
    except LimitExceeded as exc:
        resp = _text(413, str(exc))
    except UserError as exc:
        resp = _text(400, str(exc)[:500])
    except ServiceError as exc:
        error_id = secrets.token_hex(4)
        log.warning("%s %s: %s [%s]", request.method, request.rel_url.path, exc, error_id)
        resp = _text(503, f"服务暂时繁忙，请稍后重试（编号 {error_id}）")
        resp.headers["Retry-After"] = "5"
    except BAD_INPUT as exc:
        error_id = secrets.token_hex(4)
        log.warning(
            "bad input on %s %s: %s: %s [%s]",
            request.method,
            request.rel_url.path,
            type(exc).__name__,
            str(exc)[:200],
            error_id,
            exc_info=True,
        )
        resp = _text(400, f"请求格式不正确，无法处理（编号 {error_id}）")
    except Exception:
        error_id = secrets.token_hex(4)
        log.exception(
            "unexpected error on %s %s [%s]", request.method, request.rel_url.path, error_id
        )
        resp = _text(500, f"服务器内部错误（编号 {error_id}）")
    _secure(resp)
    return resp
