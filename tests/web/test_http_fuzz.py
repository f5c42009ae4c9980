"""Property test (hypothesis): random and malformed requests at every route of the whole
app, logged in and not, never get a 5xx. Bounded: a fixed number of examples, no shrinking
database, well under a minute.

Requests go through a raw socket-level client (http.client) so that headers, cookies and
bodies can hold any bytes a real attacker could send.
"""

from __future__ import annotations

import asyncio
import http.client
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote

import pytest
from aiohttp import web
from dash_helpers import ADMIN, PASSWORD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from seeded import SHANGHAI, FixedClock
from sqlalchemy import Engine

from bot.adapters.dingtalk import DingtalkSettings
from bot.adapters.feishu import FeishuSettings
from bot.adapters.wecom import WecomSettings
from bot.app import build_app
from bot.config import ServerSettings, Settings

AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)


class Running:
    """The app served by its own event loop in a thread, on a free loopback port."""

    def __init__(self, engine: Engine) -> None:
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.routes: list[tuple[str, str]] = []
        ready = threading.Event()

        async def start() -> web.AppRunner:
            nowhere = "http://127.0.0.1:9"  # the platform APIs: replies fail, and are logged
            settings = Settings(
                server=ServerSettings(),
                secret_key="f" * 32,
                wecom=WecomSettings(
                    corp_id="wx1", agent_id=1, secret="s", token="t",
                    encoding_aes_key="a" * 43, api_base=nowhere,
                ),
                dingtalk=DingtalkSettings(
                    app_key="k", app_secret="s", robot_code="r", api_base=nowhere,
                    oapi_base=nowhere,
                ),
                feishu=FeishuSettings(
                    app_id="cli_1", app_secret="s", verification_token="v", encrypt_key="e",
                    api_base=nowhere,
                ),
            )  # fmt: skip
            app = await build_app(settings, FixedClock(AS_OF), engine, run_scheduler=False)
            for r in app.router.routes():
                info = r.resource.get_info() if r.resource is not None else {}
                path = info.get("path") or info.get("formatter") or ""
                if path and r.method != "HEAD":
                    self.routes.append((r.method, path))
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = runner.addresses[0][1]
            return runner

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.runner = self.loop.run_until_complete(start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(60)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def request(
        self, method: str, path: str, headers: list[tuple[str, bytes]], body: bytes
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in headers:
                conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, _seed_template: object) -> Iterator[Running]:
    import shutil

    from bot.store.db import make_engine

    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copyfile(str(_seed_template), path)
    engine = make_engine(f"sqlite:///{path}")
    server = Running(engine)
    try:
        yield server
    finally:
        server.stop()
        engine.dispose()


def _login(server: Running) -> tuple[str, str]:
    """Log in as the admin (every form is open to them); (cookie, CSRF token)."""
    # The login form's cookie is needed with its token: read both from a real GET.
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", "/login")
    resp = conn.getresponse()
    html = resp.read().decode()
    pre = resp.getheader("Set-Cookie", "").split(";")[0]
    csrf = re.search(r'name="csrf" value="([^"]+)"', html)
    assert csrf is not None
    body = f"csrf={quote(csrf.group(1))}&name={quote(ADMIN)}&password={quote(PASSWORD)}"
    conn.request(
        "POST",
        "/login",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": pre},
    )
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 302, resp.status
    cookie = resp.getheader("Set-Cookie", "").split(";")[0]
    conn.request("GET", "/contacts", headers={"Cookie": cookie})
    resp = conn.getresponse()
    token = re.search(r'name="csrf" value="([^"]+)"', resp.read().decode())
    assert token is not None
    conn.close()
    return cookie, token.group(1)


# -- strategies ---------------------------------------------------------------------------

_segment = st.one_of(
    st.from_regex(r"[0-9]{1,40}", fullmatch=True),
    st.text(min_size=0, max_size=30),
    st.sampled_from(["..", "%00", "%ff%fe", "%ED%A0%80", "-1", "1e999", "ledger.xlsx", "x" * 300]),
)
_bytes = st.binary(max_size=300)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda kids: (
        st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=20,
)
_body = st.one_of(
    _bytes,
    _json.map(lambda v: __import__("json").dumps(v).encode()),
    st.sampled_from(
        [
            b"[" * 50_000 + b"]" * 50_000,
            b'{"text": "\\ud800", "client_id": "' + b"9" * 40 + b'"}',
            b'{"text": "\xe5\xbb\xb6\xe6\x9c\x9f 3.8.3 0000-01-01 \xe5\x8e\x9f\xe5\x9b\xa0"}',
            b"csrf=%ff&name=%00&password=" + b"x" * 200,
            b"--b\r\nContent-Disposition: form-data; "
            b'name="plan"; filename="../../etc/p.docx"\r\n\r\nPK\x03\x04\r\n--b--\r\n',
        ]
    ),
)
_content_type = st.sampled_from(
    [
        b"application/json",
        b"application/x-www-form-urlencoded",
        b"multipart/form-data; boundary=b",
        b"multipart/form-data",
        b"text/plain; charset=\xff",
        "application/json; charset=\u4e2d".encode(),
    ]
)
_header_value = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
_cookie = st.one_of(
    _header_value,
    st.sampled_from([b'taskbot_dash="\\x00"', b"taskbot_chat=" + b"%" * 300, b"=;=;;", b"a=\xff"]),
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(
    data=st.data(),
    body=_body,
    ctype=_content_type,
    cookie=_cookie,
    csrf=_header_value,
    logged_in=st.booleans(),
    extra=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "timestamp",
                    "sign",
                    "X-Lark-Signature",
                    "X-Lark-Request-Timestamp",
                    "X-Forwarded-For",
                    "Origin",
                ]
            ),
            _header_value,
        ),
        max_size=3,
    ),
)
def test_no_request_gets_a_5xx(
    running: Running,
    session_cookie: tuple[str, str],
    data: st.DataObject,
    body: bytes,
    ctype: bytes,
    cookie: bytes,
    csrf: bytes,
    logged_in: bool,
    extra: list[tuple[str, bytes]],
) -> None:
    method, template = data.draw(st.sampled_from(running.routes))
    path = re.sub(r"\{[^}]+\}", lambda _m: quote(data.draw(_segment), safe=""), template)
    query = data.draw(
        st.sampled_from(
            [
                "",
                "?next=/%09/evil.example",
                "?page=" + "9" * 40,
                "?after=-" + "9" * 30,
                "?notice=%3Cscript%3E",
                "?due_from=0000-01-01&due_to=9999-99-99",
                "?as_of=%ff",
                "?msg_signature=%E7%AD%BE&timestamp=1&nonce=1&echostr=%00",
                "?status=%00&dept=%ff",
            ]
        )
    )
    session, token = session_cookie
    cookies = cookie + (b"; " + session.encode() if logged_in else b"")
    # With the real token half the time, so that forms get past CSRF to the code behind.
    sent_csrf = token.encode() if logged_in and data.draw(st.booleans()) else csrf
    headers = [("Content-Type", ctype), ("Cookie", cookies), ("X-CSRF-Token", sent_csrf), *extra]
    status, answer = running.request(method, path + query, headers, body)
    assert status < 500, (method, path + query, status, answer[:300])


@pytest.fixture(scope="module")
def session_cookie(running: Running) -> tuple[str, str]:
    return _login(running)
