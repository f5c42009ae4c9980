"""The bot's speed: chat replies end to end, and a full reminder pass.

1. Reply handling on SQLite: POST /chat/messages (message in -> store -> reply out)
   against a bare aiohttp handler in the same server process, same run, same
   client; requests/s of each and their ratio; then an open-loop 200 req/s run
   for latency percentiles. The server runs in its own process; the load
   generator here, on the other core.
2. Reminder pass: 10,000 due items for 2,000 contacts in 1,000 departments,
   planned, merged, rendered, queued and delivered through the WeCom adapter to
   a local stand-in of WeCom's API.

Run: .venv/bin/python bench/bench_bot.py  (everything on 127.0.0.1, bounded loops)
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import re
import socket
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_wecom import AGENT, CORP, SECRET, WeComAPI

from bot.adapters.wecom import WecomSettings
from bot.app import build_app, make_adapters, make_core
from bot.config import Settings
from bot.delivery.outbox import OutboxSender
from bot.rules.workcalendar import WorkCalendar
from bot.store import repo
from bot.store.contacts_import import import_contacts
from bot.store.db import open_store, session_scope
from bot.store.loading import load_plan
from bot.store.repo import ContactSpec
from bot.web.sessions import SessionCodec
from parser import parse_document
from parser.model import DocumentInfo, Measure, Milestone, Plan
from parser.units import canonicalize, is_known

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2024, 1, 5, 10, 0, tzinfo=SHANGHAI)


class Fixed:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- 1. replies -----------------------------------------------------------------------------


def _serve(url: str, port: int) -> None:
    async def bare(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"reply": str(body.get("text", ""))})

    async def main() -> None:
        app = await build_app(Settings(), Fixed(AS_OF), open_store(url), run_scheduler=False)
        app.router.add_post("/bare", bare)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.sleep(3600)

    asyncio.run(main())


async def _login(http: aiohttp.ClientSession, base: str, url: str) -> str:
    engine = open_store(url)
    with session_scope(engine) as s:
        c = next(c for c in repo.list_contacts(s) if c.user_id == "nyj-zhangwei")
        token = repo.create_login_token(s, c.id, now=AS_OF)
    async with http.get(f"{base}/chat/login/{token}") as r:
        page = await r.text()
    m = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert m, "login failed"
    return m.group(1)


async def _closed_loop(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], n: int, conc: int
) -> float:
    texts = ["进度 3.8.3 50% 推进中", "任务"]
    left = iter(range(n))

    async def worker() -> None:
        for i in left:
            async with http.post(url, json={"text": texts[i % 2]}, headers=headers) as r:
                assert r.status == 200, await r.text()
                await r.read()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    return n / (time.perf_counter() - t0)


async def _open_loop(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str], rate: float, seconds: float
) -> list[float]:
    lat: list[float] = []

    async def one(i: int) -> None:
        t0 = time.perf_counter()
        text = "进度 3.8.3 50% 推进中" if i % 2 else "任务"
        async with http.post(url, json={"text": text}, headers=headers) as r:
            await r.read()
        lat.append((time.perf_counter() - t0) * 1000)

    tasks = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return lat


async def bench_replies(workdir: Path) -> None:
    url = f"sqlite:///{workdir / 'replies.db'}"
    engine = open_store(url)
    with session_scope(engine) as s:
        load_plan(s, parse_document(ROOT / "examples" / "taiyuan-energy-plan.txt"))
        import_contacts(
            s, ROOT / "examples" / "contacts.csv", canonicalize=canonicalize, is_known=is_known
        )
    engine.dispose()
    port = free_port()
    proc = mp.get_context("spawn").Process(target=_serve, args=(url, port), daemon=True)
    proc.start()
    base = f"http://127.0.0.1:{port}"
    try:
        # unsafe=True: the jar must keep cookies from a bare IP address (127.0.0.1).
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            for _ in range(200):
                try:
                    async with http.get(f"{base}/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            csrf = await _login(http, base, url)
            h = {"X-CSRF-Token": csrf}
            await _closed_loop(http, f"{base}/chat/messages", h, 200, 8)  # warm-up
            await _closed_loop(http, f"{base}/bare", h, 200, 8)
            bot_rates, bare_rates = [], []
            for _ in range(3):
                bare_rates.append(await _closed_loop(http, f"{base}/bare", h, 2000, 16))
                bot_rates.append(await _closed_loop(http, f"{base}/chat/messages", h, 1000, 16))
            bot, bare = max(bot_rates), max(bare_rates)
            print("1. chat replies (SQLite; half 进度 writes, half 任务 reads; 16 in flight)")
            print(f"   bare aiohttp handler: {bare:7.0f} req/s")
            print(f"   /chat/messages      : {bot:7.0f} req/s  -> ratio {bot / bare:.2f}x")
            lat = sorted(await _open_loop(http, f"{base}/chat/messages", h, 200, 5))
            p50 = lat[len(lat) // 2]
            p99 = lat[int(len(lat) * 0.99) - 1]
            print(
                f"   open loop at 200 req/s for 5 s: p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                f"max {lat[-1]:.1f} ms ({len(lat)} requests)"
            )
    finally:
        proc.terminate()
        proc.join(5)


# -- 2. reminder pass ------------------------------------------------------------------------


def _big_plan(due: date, departments: int, per_dept: int) -> Plan:
    measures = []
    pos = 0
    for d in range(departments):
        stones = tuple(
            Milestone(
                f"{d + 1}.{k + 1}", f"第{d + 1}项措施的第{k + 1}个节点", due, None, (pos, pos + 1)
            )
            for k in range(per_dept)
        )
        measures.append(
            Measure(
                f"{d + 1}",
                "重点任务",
                f"措施{d + 1}",
                f"测试局{d:04d}",
                (),
                stones,
                (pos, pos + 1),
            )
        )
    info = DocumentInfo("基准测试方案", "bench", "x" * 64, date(2025, 12, 31))
    return Plan(info, (), (), tuple(measures), "基准测试方案" + "。" * departments)


async def bench_reminders(workdir: Path) -> None:
    departments, per_dept = 1000, 10
    cal = WorkCalendar({}, kind="cn")
    due = cal.add_workdays(AS_OF.date(), 7)
    url = f"sqlite:///{workdir / 'remind.db'}"
    engine = open_store(url)
    with session_scope(engine) as s:
        load_plan(s, _big_plan(due, departments, per_dept), now=AS_OF)
        repo.upsert_contacts(
            s,
            [
                ContactSpec(f"测试局{d:04d}", f"联系人{d}-{k}", "wecom", f"u{d:04d}{k}", "contact")
                for d in range(departments)
                for k in range(2)
            ],
        )
    api = WeComAPI()
    runner = web.AppRunner(api.app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    settings = Settings(
        wecom=WecomSettings(
            corp_id=CORP,
            agent_id=AGENT,
            secret=SECRET,
            token="t",
            encoding_aes_key="a" * 43,
            api_base=f"http://127.0.0.1:{port}",
        )
    )
    clock = Fixed(AS_OF)
    core = make_core(settings, clock, engine)
    try:
        async with aiohttp.ClientSession() as http:
            adapters = make_adapters(settings, http, core, clock, SessionCodec(b"k" * 32, "c", 60))
            t0 = time.perf_counter()
            result = await core.reminders.run_pass(clock.now())
            t1 = time.perf_counter()
            stats = await OutboxSender(core.db, adapters, clock).drain()
            t2 = time.perf_counter()
            for a in adapters.values():
                await a.close()
    finally:
        await runner.cleanup()
    items = sum(len(m.items) for m in result.planned)
    print(
        f"2. reminder pass: {items} due items for {len(result.planned)} contacts "
        f"({departments} departments)"
    )
    print(f"   plan + merge + render + queue: {(t1 - t0):.2f} s")
    print(
        f"   deliver to WeCom stand-in     : {(t2 - t1):.2f} s "
        f"(sent {stats.sent}, failed {stats.failed}, stand-in received {api.sent})"
    )
    print(f"   total                         : {(t2 - t0):.2f} s")


async def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        await bench_replies(Path(d))
        await bench_reminders(Path(d))


if __name__ == "__main__":
    asyncio.run(main())
