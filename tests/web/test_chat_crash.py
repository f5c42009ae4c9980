"""Item 11 of issue 12: kill -9 `taskbot serve` while contacts chat; afterwards every status
change has its chat-log line and every logged message its answer (one transaction each)."""

from __future__ import annotations

import asyncio
import re
import signal
from pathlib import Path

import aiohttp
from served import serving
from sqlalchemy import text
from yarl import URL

from bot.store import repo
from bot.store.db import make_engine, session_scope

AS_OF = "2024-01-05"


async def _sender(url: str, cookie: str, csrf: str, first: int, sent: list[int]) -> None:
    async with aiohttp.ClientSession(url, cookies={"taskbot_chat": cookie}) as chat:
        n = first
        while True:
            try:
                resp = await chat.post(
                    "/chat/messages",
                    json={"text": f"进度 3.8.3 {n % 100}% 标记{n}", "client_id": f"crash-{n:06d}"},
                    headers={"X-CSRF-Token": csrf},
                )
                await resp.read()
            except (aiohttp.ClientError, OSError):
                return  # the server is gone
            sent.append(n)
            n += 4


async def test_no_status_change_without_its_chat_line_after_kill_9(
    seeded_url: str, tmp_path: Path
) -> None:
    engine = make_engine(seeded_url)
    with session_scope(engine) as s:
        contact = next(c for c in repo.list_contacts(s) if c.user_id == "nyj-zhangwei")
        token = repo.create_login_token(s, contact.id)
    with serving(seeded_url, tmp_path) as server:
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(server.url, cookie_jar=jar) as s:
            assert (await s.get(f"/chat/login/{token}")).status == 200
            page = await (await s.get("/chat")).text()
            cookie = jar.filter_cookies(URL(server.url))["taskbot_chat"].value
        m = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert m is not None
        sent: list[int] = []
        senders = [
            asyncio.create_task(_sender(server.url, cookie, m.group(1), i, sent)) for i in range(4)
        ]
        await asyncio.sleep(3.0)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        await asyncio.gather(*senders)
    assert len(sent) > 20, "the senders got going before the kill"
    with engine.connect() as conn:
        events = {
            int(x)
            for (raw,) in conn.execute(text("SELECT raw_message FROM status_event"))
            for x in re.findall(r"标记(\d+)", raw or "")
        }
        lines = list(conn.execute(text("SELECT key, text FROM chat_message")))
    engine.dispose()
    logged_in = {
        int(x) for key, t in lines if key.startswith("in:") for x in re.findall(r"标记(\d+)", t)
    }
    answered = {key.removeprefix("reply:") for key, _ in lines if key.startswith("reply:")}
    asked = {key.removeprefix("in:") for key, _ in lines if key.startswith("in:")}
    print(f"\n{len(sent)} messages answered before the kill; {len(events)} status events")
    assert events, "some messages changed the task"
    assert events <= logged_in, f"status changes without a chat line: {sorted(events - logged_in)}"
    assert asked == answered, "every logged message has its logged answer"
    assert set(sent) <= logged_in, "every answered message is in the log"
