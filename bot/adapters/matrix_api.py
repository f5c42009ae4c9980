"""The few Matrix client-server API (v3) calls the Matrix adapter needs.

Login, one request helper that maps HTTP errors onto the adapter error family, account data,
and sending text with an idempotent transaction id. No sync logic here: that is the adapter's.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.adapters.base import (
    AdapterAuthError,
    AdapterError,
    AdapterPermanentError,
    AdapterRateLimited,
)

log = logging.getLogger(__name__)

API = "/_matrix/client/v3"
# One device for every login of the bot, so that Synapse's per-device transaction ids
# deduplicate a send retried by a restarted (or a second) process.
DEVICE_ID = "TASKBOT"
REQUEST_TIMEOUT = 30.0


def q(part: str) -> str:
    """One path segment, escaped (room ids hold '!' and ':', user ids '@')."""
    return quote(part, safe="")


def txn_id_for(key: str) -> str:
    """A transaction id stable for one message key; random when the key is empty."""
    if not key:
        return "tb-" + uuid.uuid4().hex
    return "tb-" + hashlib.sha256(key.encode()).hexdigest()[:40]


class MatrixApi:
    """An authenticated client for one account over a shared `ClientSession`.

    Logs in lazily on the first call (unless given an access token) and once more when the
    server says the token expired. Neither the password nor the token is ever logged.
    """

    def __init__(
        self,
        http: aiohttp.ClientSession,
        homeserver: str,
        user_id: str,
        password: str = "",
        access_token: str = "",
    ) -> None:
        self.http = http
        self.base_url = homeserver.rstrip("/")
        # Replaced by the server's canonical id on login ("@TaskBot:hs" is "@taskbot:hs").
        self.user_id = user_id
        self._password = password
        self._token = access_token
        self._login_lock = asyncio.Lock()

    async def ensure_login(self) -> None:
        """Log in now unless a token is at hand; raises `AdapterAuthError` when refused."""
        await self._ensure_token()

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, str] | None = None,
        auth: bool = True,
        request_timeout: float = REQUEST_TIMEOUT,
    ) -> dict[str, Any]:
        """One request to `path` (below the homeserver URL); errors become `AdapterError`s."""
        for attempt in (1, 2):
            headers = {}
            if auth:
                headers["Authorization"] = f"Bearer {await self._ensure_token()}"
            try:
                async with self.http.request(
                    method,
                    self.base_url + path,
                    json=body,
                    params=params,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=request_timeout),
                ) as resp:
                    data = await _json(resp)
                    status = resp.status
                    retry_header = resp.headers.get("Retry-After")
            except (aiohttp.ClientError, TimeoutError) as exc:
                # The exception text can hold the URL but never the token (it is a header).
                raise AdapterError(f"matrix: {method} {path}: {exc!r}") from None
            if status < 300:
                return data
            errcode = str(data.get("errcode", ""))
            expired = status == 401 and errcode == "M_UNKNOWN_TOKEN"
            if expired and auth and attempt == 1 and self._password:
                log.info("matrix: access token expired; logging in again")
                async with self._login_lock:
                    self._token = ""
                continue
            raise http_error(status, data, retry_header, path)
        raise AssertionError("unreachable")  # pragma: no cover

    async def account_data(self, kind: str) -> dict[str, Any]:
        """The account's global account data of type `kind`; {} when never set."""
        try:
            return await self.call("GET", f"{API}/user/{q(self.user_id)}/account_data/{kind}")
        except AdapterPermanentError:
            return {}  # M_NOT_FOUND

    async def put_account_data(self, kind: str, content: dict[str, Any]) -> None:
        await self.call("PUT", f"{API}/user/{q(self.user_id)}/account_data/{kind}", content)

    async def send_text(self, room_id: str, text: str, key: str = "") -> str:
        """Post m.text to a room; returns the event id (the original one on a retry)."""
        path = f"{API}/rooms/{q(room_id)}/send/m.room.message/{txn_id_for(key)}"
        data = await self.call("PUT", path, {"msgtype": "m.text", "body": text})
        return str(data.get("event_id", ""))

    async def _ensure_token(self) -> str:
        async with self._login_lock:
            if not self._token:
                self._token = await self._login()
            return self._token

    async def _login(self) -> str:
        if not self._password:
            raise AdapterAuthError("matrix: neither access_token nor password is configured")
        body = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": self.user_id},
            "password": self._password,
            "device_id": DEVICE_ID,
            "initial_device_display_name": "taskbot",
        }
        data = await self.call("POST", f"{API}/login", body, auth=False)
        self.user_id = str(data["user_id"])
        log.info("matrix: logged in as %s", self.user_id)
        return str(data["access_token"])


async def _json(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        data = await resp.json(content_type=None)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def http_error(
    status: int, data: dict[str, Any], retry_header: str | None, path: str
) -> AdapterError:
    """The adapter error for a failed response: what the outbox should do next."""
    errcode = str(data.get("errcode", ""))
    what = f"matrix: {path} -> {status} {errcode} {data.get('error', '')}".rstrip()
    if status == 429 or errcode == "M_LIMIT_EXCEEDED":
        retry_ms = data.get("retry_after_ms")
        if isinstance(retry_ms, int | float):
            return AdapterRateLimited(what, retry_after=retry_ms / 1000)
        if retry_header and retry_header.isdigit():
            return AdapterRateLimited(what, retry_after=float(retry_header))
        return AdapterRateLimited(what)
    if status in (401, 403):
        return AdapterAuthError(what)
    if 400 <= status < 500:
        return AdapterPermanentError(what)
    return AdapterError(what)
