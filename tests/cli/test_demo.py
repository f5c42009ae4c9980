"""`taskbot demo` as a newcomer runs it: a real process, the printed links, SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

TASKBOT = [sys.executable, "-c", "from bot.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def demo(
    tmp_path: Path,
) -> Iterator[tuple[subprocess.Popen[str], str, dict[str, str], str]]:
    port = _free_port()
    env = {**os.environ, "TASKBOT_DB": f"sqlite:///{tmp_path / 'tasks.db'}"}
    # The demo keeps to its own database unless one is named with --db (never TASKBOT_DB).
    proc = subprocess.Popen(
        [
            *TASKBOT,
            "--db",
            env["TASKBOT_DB"],
            "demo",
            "--as-of",
            "2024-01-05",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    links: dict[str, str] = {}
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        m = re.match(r"\s+(\S+) (\S+) \((\w+)\): (http://\S+)", line)
        if m:
            links[f"{m.group(1)} {m.group(2)}"] = m.group(4)
        if "serving on" in line:
            break
    try:
        yield proc, f"http://127.0.0.1:{port}", links, env["TASKBOT_DB"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


async def _chat(http: aiohttp.ClientSession, base: str, link: str) -> str:
    async with http.get(link) as r:
        page = await r.text()
    assert r.status == 200, page
    m = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert m, "login link did not open the chat"
    return m.group(1)


async def test_demo_round_trip_and_graceful_stop(
    demo: tuple[subprocess.Popen[str], str, dict[str, str], str],
) -> None:
    proc, base, links, db = demo
    if not links and proc.poll() is not None:
        assert proc.stderr is not None
        pytest.fail(f"taskbot demo exited {proc.returncode}: {proc.stderr.read()[-2000:]}")
    assert "市能源局 张伟" in links and "市政府办公室 郭敏" in links, links
    for _ in range(100):
        try:
            async with aiohttp.ClientSession() as http, http.get(f"{base}/healthz") as r:
                if r.status == 200:
                    break
        except aiohttp.ClientError:
            await asyncio.sleep(0.1)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as contact:
        csrf = await _chat(contact, base, links["市能源局 张伟"])
        async with contact.post(
            f"{base}/chat/messages", json={"text": "完成 3.8.3"}, headers={"X-CSRF-Token": csrf}
        ) as r:
            assert "已报完成" in (await r.json())["reply"]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as coord:
        csrf = await _chat(coord, base, links["市政府办公室 郭敏"])
        async with coord.post(
            f"{base}/chat/messages",
            json={"text": "逾期 市能源局"},
            headers={"X-CSRF-Token": csrf},
        ) as r:
            overdue = (await r.json())["reply"]
    assert "3.8.5" in overdue and "3.8.3" not in overdue

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    assert proc.stderr is not None
    assert "Traceback" not in proc.stderr.read()

    # One clock: `taskbot tasks` against the demo's database answers for the demo's day (the
    # real date would make every 2023 and 2025 deadline overdue) and says whose clock it used.
    env = {**os.environ, "TASKBOT_DB": db}
    cli = await asyncio.create_subprocess_exec(
        *TASKBOT,
        "tasks",
        "--overdue",
        "--format",
        "json",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = (b.decode() for b in await asyncio.wait_for(cli.communicate(), 60))
    assert cli.returncode == 0, err
    assert "demo clock" in err and "2024-01-05" in err
    late = {r["id"]: r["overdue_days"] for r in json.loads(out)}
    assert late.get("3.8.5") == 4 and "3.8.3" not in late  # reported in the chat above
    assert all(not k.startswith("3.1") for k in late)  # 2025 deadlines are not overdue
