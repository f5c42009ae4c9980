"""The dashboard's revision upload takes every format the parser reads (issue 16): a
revised plan saved from the portal as GB2312 HTML gives the same diff as its text, a
file type the parser does not read is refused in Chinese, and the form says what it
takes and shows a status line while a long read runs."""

from __future__ import annotations

import html
from pathlib import Path

from dash_helpers import COORDINATOR, SEED_PLAN, Client, login, multipart, revised_plan


def _portal_page(text: str) -> bytes:
    paragraphs = "\n".join(
        f"<p>&nbsp;&nbsp;&nbsp;&nbsp;{html.escape(line)}</p>" for line in text.split("\n") if line
    )
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        f"<title>修订稿</title></head><body><div id=zoom>{paragraphs}</div></body></html>"
    )
    return page.encode("gb18030")


async def test_revision_uploaded_as_portal_html(dash: Client, tmp_path: Path) -> None:
    csrf = await login(dash, COORDINATOR)
    form = await (await dash.get("/versions")).text()
    assert 'accept=".docx,.doc,.wps,.pdf,.ofd,.html,.htm,.txt,.xlsx,.csv"' in form
    assert 'class="upload-status" role="status"' in form
    revised = revised_plan(SEED_PLAN, tmp_path / "revised.txt")
    as_text = await dash.post(
        "/versions/preview",
        data=multipart("plan", "revised.txt", revised.read_bytes(), csrf=csrf),
    )
    as_html = await dash.post(
        "/versions/preview",
        data=multipart("plan", "修订稿.htm", _portal_page(revised.read_text("utf-8")), csrf=csrf),
    )
    assert as_text.status == as_html.status == 200
    text_page, html_page = await as_text.text(), await as_html.text()
    assert 'data-count="changed">4<' in text_page.replace(" ", "")
    assert 'data-count="changed">4<' in html_page.replace(" ", "")


async def test_unknown_type_is_refused_in_chinese(dash: Client) -> None:
    csrf = await login(dash, COORDINATOR)
    resp = await dash.post(
        "/versions/preview", data=multipart("plan", "plan.pptx", b"PK\x03\x04", csrf=csrf)
    )
    assert resp.status == 400
    kinds = ".docx、.doc、.wps、.pdf、.ofd、.html、.txt 或任务分工表 .xlsx、.csv"
    assert f"请上传 {kinds} 文件" in await resp.text()
