"""What the browser tests share: headless Chromium (the Debian package) and the whole
service on a loopback port.

Chromium missing or refusing to start skips the test loudly, and fails it when
TASKBOT_REQUIRE_BROWSER=1 (CI): a browser test never passes by not running.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from aiohttp import web
from sqlalchemy import Engine

from bot.app import build_app
from bot.clock import make_clock
from bot.config import Settings

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def unavailable(reason: str) -> NoReturn:
    message = f"!!! BROWSER TESTS NOT RUN: {reason} — run scripts/setup-system.sh !!!"
    if os.environ.get("TASKBOT_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@asynccontextmanager
async def chromium() -> AsyncIterator[object]:
    """A headless Chromium, closed afterwards."""
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 (one stat call before the launch)
        unavailable(f"{CHROMIUM} is missing")
    from playwright.async_api import Error, async_playwright

    async with async_playwright() as p:
        try:
            b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        except Error as exc:
            unavailable(f"Chromium would not start: {str(exc).splitlines()[0]}")
        try:
            yield b
        finally:
            await b.close()


@asynccontextmanager
async def service(engine: Engine, secret: str, as_of: str = "2024-01-05") -> AsyncIterator[str]:
    """The whole service (`build_app`) on 127.0.0.1:<free port>, its clock starting at
    `as_of` 09:00; yields its base URL."""
    settings = Settings(database_url=str(engine.url), secret_key=secret + "-" + "s" * 24)
    app = await build_app(settings, make_clock(as_of, settings.tz), engine, run_scheduler=False)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def screenshots(tmp_path: Path) -> Path:
    """Where a test leaves its screenshots: TASKBOT_SCREENSHOTS (docs/screenshots to refresh
    the README's), else the test's own temp folder."""
    where = os.environ.get("TASKBOT_SCREENSHOTS")
    path = Path(where) if where else tmp_path / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
