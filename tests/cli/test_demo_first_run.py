"""`make run` as a newcomer meets it (issue 16): a busy port is named with a free
alternative before anything happens, the port chosen by environment is the one
linked, the README's round trip shows on the default clock, and a second run
starts clean unless asked to keep."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

TASKBOT = [sys.executable, "-c", "from bot.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKBOT_")}
    env.pop("DATABASE_URL", None)
    return {**env, **extra}


@contextmanager
def _demo(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, dict[str, str], list[str]]]:
    """A running `taskbot demo`: (the served base URL, links by name, stdout lines)."""
    proc = subprocess.Popen(
        [*TASKBOT, "demo", *args],
        cwd=cwd,
        env=env or _env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    links: dict[str, str] = {}
    lines: list[str] = []
    base = ""
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            m = re.match(r"\s+(\S+) (\S+) \((\w+)\): (http://\S+)", line)
            if m:
                links[f"{m.group(1)} {m.group(2)}"] = m.group(4)
            m = re.match(r"taskbot serving on (http://\S+?)/", line)
            if m:
                base = m.group(1)
                break
        assert base, (
            f"demo did not start: {''.join(lines)} {proc.stderr.read() if proc.stderr else ''}"
        )
        yield base, links, lines
    finally:
        proc.terminate()
        proc.wait(20)


async def _say(base: str, link: str, text: str) -> str:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for _ in range(100):
            try:
                async with http.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        async with http.get(link) as r:
            page = await r.text()
        m = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert m, page[:500]
        async with http.post(
            f"{base}/chat/messages", json={"text": text}, headers={"X-CSRF-Token": m.group(1)}
        ) as r:
            return str((await r.json())["reply"])


def test_busy_port_is_named_before_anything_happens(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = subprocess.run(
            [*TASKBOT, "demo", "--port", str(port)],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in lines[0]
    assert re.search(
        r"make run PORT=\d+, taskbot demo --port \d+, TASKBOT_SERVER_PORT=\d+", lines[0]
    )
    assert "http://" not in run.stdout  # no links printed, nothing seeded, no reminder pass
    assert not (tmp_path / "taskbot-demo.db").exists()


async def test_port_from_environment_and_toml_is_the_one_linked(tmp_path: Path) -> None:
    port = _free_port()
    with _demo(tmp_path, env=_env(TASKBOT_SERVER_PORT=str(port))) as (base, links, _lines):
        assert base == f"http://127.0.0.1:{port}"
        assert links and all(link.startswith(f"{base}/chat/login/") for link in links.values())
    port = _free_port()
    (tmp_path / "taskbot.toml").write_text(f"[server]\nport = {port}\n", encoding="utf-8")
    with _demo(tmp_path) as (base, links, lines):
        assert base == f"http://127.0.0.1:{port}"
        assert f"Dashboard: http://127.0.0.1:{port}/\n" in lines


async def test_round_trip_on_the_default_clock_and_a_clean_second_run(tmp_path: Path) -> None:
    """The README's walk-through, word for word, on `make run`'s defaults; then a second
    run that forgets it and a third (--keep) that remembers."""
    env = _env(TASKBOT_DB=f"sqlite:///{tmp_path / 'production.db'}")  # must stay untouched
    port = _free_port()
    with _demo(tmp_path, "--port", str(port), env=env) as (base, links, lines):
        assert "clock starts 2024-01-05 09:00" in "".join(lines)
        coordinator, contact = links["市政府办公室 郭敏"], links["市能源局 张伟"]
        assert "已报完成" in await _say(base, contact, "完成 3.8.3")
        overdue = await _say(base, coordinator, "逾期 市能源局")
        assert "3.8.5" in overdue and "3.8.3" not in overdue
    assert not (tmp_path / "production.db").exists()
    with _demo(tmp_path, "--port", str(port), env=env) as (base, links, lines):
        assert "a fresh ./taskbot-demo.db" in "".join(lines)
        assert "3.8.3" in await _say(base, links["市政府办公室 郭敏"], "逾期 市能源局")
        await _say(base, links["市能源局 张伟"], "完成 3.8.3")
    with _demo(tmp_path, "--port", str(port), "--keep", env=env) as (base, links, lines):
        assert "earlier replies are kept" in "".join(lines)
        overdue = await _say(base, links["市政府办公室 郭敏"], "逾期 市能源局")
        assert "3.8.5" in overdue and "3.8.3" not in overdue
