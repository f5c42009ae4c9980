"""Item 1 and 12 of issue 12: attack uploads against a running `taskbot serve` (a subprocess
on a free loopback port). Each is refused with a 4xx naming the limit, the server's RSS
stays flat and it keeps answering while the attack runs.

Run with `-s` to see the figures (RSS before/after, /healthz latency under attack).
"""

from __future__ import annotations

import asyncio
import io
import os
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import docx
import pytest
from dash_helpers import COORDINATOR, PASSWORD, csrf_in, multipart

ROOT = Path(__file__).resolve().parents[2]
TASKBOT = Path(sys.executable).with_name("taskbot")
MEMORY_MB = 512


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]


@pytest.fixture
def server(seeded_url: str, tmp_path: Path) -> Iterator[Server]:
    port = _free_port()
    env = os.environ | {
        "TASKBOT_SECRET_KEY": "k" * 32,
        "TASKBOT_SERVER_UPLOAD_MEMORY_MB": str(MEMORY_MB),
        "TASKBOT_SERVER_UPLOAD_SECONDS": "15",
    }
    proc = subprocess.Popen(
        [str(TASKBOT), "--db", seeded_url, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "serve.log", "wb"),  # noqa: SIM115 (closed with the process)
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError((tmp_path / "serve.log").read_text())
    try:
        yield Server(url, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
async def http(server: Server) -> AsyncIterator[aiohttp.ClientSession]:
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    async with aiohttp.ClientSession(server.url, cookie_jar=jar) as s:
        page = await (await s.get("/login")).text()
        resp = await s.post(
            "/login",
            data={"csrf": csrf_in(page), "name": COORDINATOR, "password": PASSWORD},
            allow_redirects=False,
        )
        assert resp.status == 302
        yield s


# -- the attack files -------------------------------------------------------------------


def _docx(build: object = None) -> bytes:
    d = docx.Document()
    d.add_paragraph("一、重点任务")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _replace_part(data: bytes, name: str, edit: object) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == name:
                content = edit(content)  # type: ignore[operator]
            dst.writestr(item, content)
    return out.getvalue()


def grid_span_bomb() -> bytes:
    """A one-cell table whose cell spans 400,000,000 columns (1 KB compressed)."""
    d = docx.Document()
    d.add_table(rows=1, cols=1).cell(0, 0).text = "市能源局"
    buf = io.BytesIO()
    d.save(buf)

    def edit(xml: bytes) -> bytes:
        return xml.replace(b"<w:tc>", b'<w:tc><w:tcPr><w:gridSpan w:val="400000000"/></w:tcPr>')

    return _replace_part(buf.getvalue(), "word/document.xml", edit)


def zip_bomb() -> bytes:
    """A .docx whose document.xml inflates to 600 MB of paragraphs (1 MB on the wire)."""
    base = zipfile.ZipFile(io.BytesIO(_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for item in base.infolist():
            if item.filename != "word/document.xml":
                dst.writestr(item.filename, base.read(item.filename))
        with dst.open("word/document.xml", "w", force_zip64=True) as f:
            f.write(
                b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            )
            f.write(b'wordprocessingml/2006/main"><w:body>')
            chunk = b"<w:p><w:r><w:t>\xe8\x8a\x82</w:t></w:r></w:p>" * (1 << 15)
            for _ in range(600 * (1 << 20) // len(chunk)):
                f.write(chunk)
            f.write(b"</w:body></w:document>")
    return out.getvalue()


ATTACKS = {"gridspan.docx": grid_span_bomb, "bomb.docx": zip_bomb}


async def test_attack_uploads_are_refused_and_the_server_stays_small(
    server: Server, http: aiohttp.ClientSession
) -> None:
    home = await (await http.get("/versions")).text()
    csrf = csrf_in(home)
    await http.get("/healthz")
    before = _rss_mb(server.proc.pid)
    worst_health = 0.0
    for name, make in ATTACKS.items():
        content = make()
        upload = asyncio.create_task(
            http.post("/versions/preview", data=multipart("plan", name, content, csrf=csrf))
        )
        # The server answers others while a child chews on the upload.
        while not upload.done():
            t0 = time.perf_counter()
            assert (await http.get("/healthz")).status == 200
            worst_health = max(worst_health, time.perf_counter() - t0)
            await asyncio.sleep(0.2)
        resp = await upload
        text = await resp.text()
        assert resp.status == 413, (name, resp.status, text[:500])
        assert "上限" in text, text[:500]
        assert "/tmp" not in text and "taskbot-upload-" not in text
        print(f"\n{name}: {len(content) / 1024:.0f} KB -> {resp.status}")
    after = _rss_mb(server.proc.pid)
    print(
        f"server RSS before {before:.0f} MB, after {after:.0f} MB; "
        f"worst /healthz during the attacks {worst_health * 1000:.0f} ms"
    )
    assert after - before < 100, (before, after)
    assert worst_health < 2.0


async def test_a_parse_error_names_the_upload_not_a_server_path(
    server: Server, http: aiohttp.ClientSession
) -> None:
    csrf = csrf_in(await (await http.get("/versions")).text())
    resp = await http.post(
        "/versions/preview",
        data=multipart("plan", "方案.docx", b"PK\x03\x04 not a zip", csrf=csrf),
    )
    text = await resp.text()
    assert resp.status == 400
    assert "not a valid .docx" in text, text
    assert "taskbot-upload-" not in text and "/tmp/" not in text
