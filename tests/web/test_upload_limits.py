"""Item 1 and 12 of issue 12: attack uploads against a running `taskbot serve` (a subprocess
on a free loopback port). Each is refused with a 4xx naming the limit, the server's RSS
stays flat and it keeps answering while the attack runs.

Run with `-s` to see the figures (RSS before/after, /healthz latency under attack).
"""

from __future__ import annotations

import asyncio
import io
import re
import time
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import docx
import pytest
from dash_helpers import COORDINATOR, PASSWORD, csrf_in, multipart
from served import Server, rss_mb, serving

MEMORY_MB = 512


@pytest.fixture
def server(seeded_url: str, tmp_path: Path) -> Iterator[Server]:
    env = {
        "TASKBOT_SERVER_UPLOAD_MEMORY_MB": str(MEMORY_MB),
        "TASKBOT_SERVER_UPLOAD_SECONDS": "8",
    }
    with serving(seeded_url, tmp_path, env) as server:
        yield server


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


def numbering_bomb() -> bytes:
    """A numbered paragraph whose list starts at 3,000,000,000 in upper-case Roman numerals."""
    d = docx.Document()
    d.add_paragraph("一、重点任务")
    d.add_paragraph("第一项", style="List Number")
    buf = io.BytesIO()
    d.save(buf)

    def edit(xml: bytes) -> bytes:
        xml = re.sub(rb'<w:start w:val="\d+"/>', b'<w:start w:val="3000000000"/>', xml)
        return re.sub(rb'<w:numFmt w:val="[a-zA-Z]+"/>', b'<w:numFmt w:val="upperRoman"/>', xml)

    return _replace_part(buf.getvalue(), "word/numbering.xml", edit)


ATTACKS = {"gridspan.docx": grid_span_bomb, "bomb.docx": zip_bomb, "roman.docx": numbering_bomb}


async def test_attack_uploads_are_refused_and_the_server_stays_small(
    server: Server, http: aiohttp.ClientSession
) -> None:
    home = await (await http.get("/versions")).text()
    csrf = csrf_in(home)
    await http.get("/healthz")
    before = peak = rss_mb(server.proc.pid)
    worst_health = 0.0
    files = {name: make() for name, make in ATTACKS.items()}
    # Six hostile uploads at once (each file twice), as in the report that stalled chat
    # for 85 s: the server keeps answering while the children chew on them.
    uploads = {
        (name, k): asyncio.create_task(
            http.post("/versions/preview", data=multipart("plan", name, content, csrf=csrf))
        )
        for name, content in files.items()
        for k in range(2)
    }
    started = time.perf_counter()
    while not all(u.done() for u in uploads.values()):
        t0 = time.perf_counter()
        assert (await http.get("/healthz")).status == 200
        worst_health = max(worst_health, time.perf_counter() - t0)
        peak = max(peak, rss_mb(server.proc.pid))
        await asyncio.sleep(0.2)
    for (name, _k), upload in uploads.items():
        resp = await upload
        text = await resp.text()
        assert resp.status == 413, (name, resp.status, text[:500])
        assert "上限" in text, text[:500]
        assert "/tmp" not in text and "taskbot-upload-" not in text
        limit = "memory" if "内存上限" in text else "time"
        print(f"\n{name}: {len(files[name]) / 1024:.0f} KB -> {resp.status} ({limit} limit)")
    print(f"six uploads refused in {time.perf_counter() - started:.1f} s")
    after = rss_mb(server.proc.pid)
    print(
        f"server RSS before {before:.0f} MB, peak {peak:.0f} MB, after {after:.0f} MB; "
        f"worst /healthz during the attacks {worst_health * 1000:.0f} ms"
    )
    assert peak - before < 100 and after - before < 100, (before, peak, after)
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
