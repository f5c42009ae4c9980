"""A real Synapse homeserver for tests, started on loopback in a temporary directory.

`start_synapse(workdir)` writes a minimal `homeserver.yaml` (SQLite, no TLS, no federation,
registration by shared secret, every `rc_*` rate limit raised), starts
`python -m synapse.app.homeserver` on a free loopback port and waits for `/health`.
`SynapseServer.register()` creates users through the admin API with the HMAC nonce dance;
`MatrixUserClient` is a small async client that plays a human contact in tests.

Nothing here reaches the network: `trusted_key_servers` is empty and every listener binds
127.0.0.1.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

SERVER_NAME = "localhost"

# Synapse's defaults refuse the 6th login and the 11th message in a burst; tests do more.
_UNLIMITED = {"per_second": 10_000, "burst_count": 100_000}
_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _UNLIMITED,
    "rc_registration": _UNLIMITED,
    "rc_registration_token_validity": _UNLIMITED,
    "rc_login": {"address": _UNLIMITED, "account": _UNLIMITED, "failed_attempts": _UNLIMITED},
    "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
    "rc_joins_per_room": _UNLIMITED,
    "rc_invites": {
        "per_room": _UNLIMITED,
        "per_user": _UNLIMITED,
        "per_issuer": _UNLIMITED,
    },
    "rc_room_creation": _UNLIMITED,
    "rc_3pid_validation": _UNLIMITED,
    "rc_key_requests": _UNLIMITED,
    "rc_admin_redaction": _UNLIMITED,
    "rc_presence": {"per_user": _UNLIMITED},
    "rc_delayed_event_mgmt": _UNLIMITED,
    "rc_reports": _UNLIMITED,
    "rc_user_directory": _UNLIMITED,
    "rc_profile": _UNLIMITED,
}


_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SynapseUnavailable(RuntimeError):
    """Synapse could not be started here; the message says why (for a loud skip)."""


@dataclass(frozen=True, slots=True)
class MatrixUser:
    """A registered account: its full id, password and a fresh access token."""

    user_id: str
    localpart: str
    password: str
    access_token: str


def free_port() -> int:
    """A port the OS just handed out on loopback (bind port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _http_json(
    url: str, body: dict[str, Any] | None = None, timeout: float = 10.0
) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # loopback only
        result: dict[str, Any] = json.loads(resp.read())
        return result


def _write_config(directory: Path, port: int, shared_secret: str) -> Path:
    # Imported here, not at module top, so that collecting tests works without Synapse
    # installed; the caller turns ImportError into a loud skip.
    from signedjson.key import generate_signing_key, write_signing_keys

    key_path = directory / "signing.key"
    with key_path.open("w") as fh:
        write_signing_keys(fh, [generate_signing_key("a_test")])
    log_config = directory / "log.yaml"
    log_config.write_text(
        json.dumps(
            {
                "version": 1,
                "formatters": {
                    "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
                },
                "handlers": {
                    "file": {
                        "class": "logging.FileHandler",
                        "formatter": "plain",
                        "filename": str(directory / "homeserver.log"),
                    }
                },
                "root": {"level": "WARNING", "handlers": ["file"]},
                "disable_existing_loggers": False,
            }
        )
    )
    config: dict[str, Any] = {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": str(directory / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {
            "name": "sqlite3",
            "args": {"database": str(directory / "homeserver.db")},
        },
        "log_config": str(log_config),
        "media_store_path": str(directory / "media"),
        "signing_key_path": str(key_path),
        "registration_shared_secret": shared_secret,
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "report_stats": False,
        "enable_metrics": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "url_preview_enabled": False,
        "presence": {"enabled": False},
        # Cheap password hashing: registration and login dominate the setup time otherwise.
        "bcrypt_rounds": 4,
        **_RATE_LIMITS,
    }
    path = directory / "homeserver.yaml"
    # JSON is valid YAML, and needs no extra dependency.
    path.write_text(json.dumps(config, indent=1))
    return path


@dataclass
class SynapseServer:
    """A running Synapse process and what tests need to talk to it."""

    base_url: str
    directory: Path
    shared_secret: str
    process: subprocess.Popen[bytes]
    cold_start_seconds: float
    server_name: str = SERVER_NAME
    _counter: int = field(default=0, repr=False)

    def unique_localpart(self, prefix: str) -> str:
        """A localpart no other test in this session has used (tests share one server)."""
        self._counter += 1
        return f"{prefix}{self._counter}"

    def register(self, localpart: str, password: str = "", admin: bool = False) -> MatrixUser:
        """Create an account via the shared-secret admin API; returns it with a token."""
        password = password or secrets.token_urlsafe(12)
        url = f"{self.base_url}/_synapse/admin/v1/register"
        nonce = _http_json(url)["nonce"]
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": _mac_hex(self.shared_secret, nonce, localpart, password, admin),
        }
        result = _http_json(url, body)
        return MatrixUser(
            user_id=result["user_id"],
            localpart=localpart,
            password=password,
            access_token=result["access_token"],
        )

    def log_tail(self, chars: int = 4000) -> str:
        """The end of Synapse's own log, for failure messages."""
        log = self.directory / "homeserver.log"
        return log.read_text(errors="replace")[-chars:] if log.exists() else ""

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if Synapse does not exit in time."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)


def _mac_hex(secret: str, nonce: str, user: str, password: str, admin: bool) -> str:
    mac = hmac.new(secret.encode(), digestmod=hashlib.sha1)
    mac.update(b"\x00".join(p.encode() for p in (nonce, user, password)))
    mac.update(b"\x00")
    mac.update(b"admin" if admin else b"notadmin")
    return mac.hexdigest()


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SynapseUnavailable(f"synapse exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/health", timeout=1.0) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        # Polling a child process's readiness: there is no event to wait on.
        time.sleep(0.05)
    raise SynapseUnavailable(f"synapse did not answer /health within {timeout:.0f} s")


def start_synapse(
    directory: Path, python: str = sys.executable, timeout: float = 60.0, attempts: int = 3
) -> SynapseServer:
    """Start Synapse in `directory` on a free loopback port; raise `SynapseUnavailable`.

    The port is found by binding port 0 and released before Synapse binds it, so another
    process can take it in between; a failed start is retried on a new port.
    """
    try:
        import signedjson.key  # noqa: F401  (probe: Synapse brings it)
        import synapse  # noqa: F401
    except ImportError as exc:
        raise SynapseUnavailable(f"matrix-synapse is not installed: {exc}") from None
    last_error = ""
    for attempt in range(attempts):
        workdir = directory / f"hs{attempt}"
        workdir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        shared_secret = secrets.token_hex(16)
        config = _write_config(workdir, port, shared_secret)
        base_url = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        stderr = (workdir / "stderr.log").open("wb")
        try:
            process = subprocess.Popen(
                [python, "-m", "synapse.app.homeserver", "--config-path", str(config)],
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
            )
        except OSError as exc:
            raise SynapseUnavailable(f"cannot run {python}: {exc}") from None
        finally:
            stderr.close()
        server = SynapseServer(
            base_url=base_url,
            directory=workdir,
            shared_secret=shared_secret,
            process=process,
            cold_start_seconds=0.0,
        )
        try:
            _wait_healthy(base_url, process, timeout)
        except SynapseUnavailable as exc:
            server.stop()
            output = (workdir / "stderr.log").read_text(errors="replace")[-2000:]
            last_error = f"{exc}\n{output}\n{server.log_tail(2000)}"
            continue
        server.cold_start_seconds = time.monotonic() - started
        return server
    raise SynapseUnavailable(f"synapse failed to start {attempts} times; last: {last_error}")


class MatrixUserClient:
    """A human contact on the homeserver, driven by a test through the C-S API."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, user: MatrixUser) -> None:
        self.http = http
        self.base_url = base_url
        self.user = user
        self.since: str | None = None
        # Every m.room.message seen so far, oldest first: (room_id, event).
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.invites: list[str] = []
        self._txn = 0

    async def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.user.access_token}"}
        async with self.http.request(
            method, self.base_url + path, json=body, params=params or None, headers=headers
        ) as resp:
            data: dict[str, Any] = await resp.json()
            if resp.status != 200:
                raise AssertionError(f"{method} {path} -> {resp.status} {data}")
            return data

    async def sync_once(self, timeout_ms: int = 0) -> None:
        """One /sync: records new messages and pending invites."""
        params = {"timeout": str(timeout_ms)}
        if self.since:
            params["since"] = self.since
        data = await self.call("GET", "/_matrix/client/v3/sync", params=params)
        self.since = data["next_batch"]
        rooms = data.get("rooms", {})
        for room_id in rooms.get("invite", {}):
            if room_id not in self.invites:
                self.invites.append(room_id)
        for room_id, room in rooms.get("join", {}).items():
            for event in room.get("timeline", {}).get("events", []):
                if event.get("type") == "m.room.message":
                    self.messages.append((room_id, event))

    async def wait_for(
        self,
        predicate: Callable[[str, dict[str, Any]], bool],
        within: float = 10.0,
    ) -> tuple[str, dict[str, Any]]:
        """Long-poll /sync until a message matching `predicate` arrives, or fail."""
        deadline = time.monotonic() + within
        while True:
            for room_id, event in self.messages:
                if predicate(room_id, event):
                    return room_id, event
            left = deadline - time.monotonic()
            if left <= 0:
                seen = [(r, e.get("sender"), e["content"].get("body")) for r, e in self.messages]
                raise AssertionError(f"no matching message within {within} s; seen {seen}")
            await self.sync_once(timeout_ms=int(min(left, 5.0) * 1000))

    async def wait_for_invite(self, within: float = 10.0) -> str:
        """Long-poll /sync until some room invites this user; returns its id."""
        deadline = time.monotonic() + within
        while not self.invites:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no invite within {within} s")
            await self.sync_once(timeout_ms=int(min(left, 5.0) * 1000))
        return self.invites[0]

    async def join(self, room_id: str) -> None:
        await self.call("POST", f"/_matrix/client/v3/join/{urllib.parse.quote(room_id)}", {})

    async def send_text(self, room_id: str, text: str) -> str:
        """Send m.text; returns the event id."""
        self._txn += 1
        path = (
            f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id)}"
            f"/send/m.room.message/t{self._txn}-{time.monotonic_ns()}"
        )
        data = await self.call("PUT", path, {"msgtype": "m.text", "body": text})
        event_id: str = data["event_id"]
        return event_id

    async def create_direct_room(self, invite: str) -> str:
        """What a Matrix client does for "start chat": a private room flagged direct."""
        data = await self.call(
            "POST",
            "/_matrix/client/v3/createRoom",
            {"is_direct": True, "invite": [invite], "preset": "trusted_private_chat"},
        )
        room_id: str = data["room_id"]
        return room_id

    async def room_messages(self, room_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The room's m.room.message events, newest first (GET /messages backwards)."""
        data = await self.call(
            "GET",
            f"/_matrix/client/v3/rooms/{urllib.parse.quote(room_id)}/messages",
            params={"dir": "b", "limit": str(limit)},
        )
        return [e for e in data.get("chunk", []) if e.get("type") == "m.room.message"]
