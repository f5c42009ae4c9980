"""Hostile documents, made byte by byte: each is small on disk and, read naively,
costs the reader gigabytes or minutes (issue 12). Shared by the limit tests and
the RSS measurement script."""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.numbering+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
DOC_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/numbering" Target="numbering.xml"/></Relationships>'
)


def minimal_docx(body: str, numbering: str | None = None) -> bytes:
    """The smallest package python-docx opens: content types, rels, document (and numbering)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr(
            "word/document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><w:document {W} {R}><w:body>{body}'
            "</w:body></w:document>",
        )
        if numbering is not None:
            z.writestr("word/_rels/document.xml.rels", DOC_RELS)
            z.writestr(
                "word/numbering.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><w:numbering {W}>{numbering}'
                "</w:numbering>",
            )
    return buf.getvalue()


def para(text: str, num: str = "") -> str:
    return f"<w:p><w:pPr>{num}</w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"


def grid_span_docx(span: str = "400000000") -> bytes:
    """A 1 KB .docx whose one table cell claims to span 400 million columns."""
    cell = f'<w:tc><w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>{para("市能源局")}</w:tc>'
    return minimal_docx(f"{para('一、任务')}<w:tbl><w:tr>{cell}</w:tr></w:tbl>")


def numbering_docx(ilvl: str = "0", start: str = "1", fmt: str = "decimal") -> bytes:
    numbering = (
        f'<w:abstractNum w:abstractNumId="1"><w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/>'
        f'<w:numFmt w:val="{fmt}"/><w:lvlText w:val="%1、"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="1"/></w:num>'
    )
    num = f'<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="1"/></w:numPr>'
    return minimal_docx(para("加强组织领导", num) * 3, numbering)


def zip_bomb(uncompressed: int = 2 * 1024**3) -> bytes:
    """~2 MB on disk, `uncompressed` bytes of zeros inside word/document.xml when inflated.

    The deflate stream is built from one compressed megabyte repeated (a run of
    zeros compresses to the same bytes every time), so making it takes a second.
    """
    chunk = 1024 * 1024
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(b"\0" * chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    body = block * (uncompressed // chunk) + comp.flush()
    crc = 0
    zero = b"\0" * chunk
    for _ in range(uncompressed // chunk):
        crc = zlib.crc32(zero, crc)
    name = b"word/document.xml"
    local = (
        b"PK\x03\x04" + (20).to_bytes(2, "little") + b"\0\0" + (8).to_bytes(2, "little")
        + b"\0\0\0\0" + crc.to_bytes(4, "little") + len(body).to_bytes(4, "little")
        + (uncompressed & 0xFFFFFFFF).to_bytes(4, "little") + len(name).to_bytes(2, "little")
        + b"\0\0" + name
    )  # fmt: skip
    central = (
        b"PK\x01\x02" + (20).to_bytes(2, "little") * 2 + b"\0\0" + (8).to_bytes(2, "little")
        + b"\0\0\0\0" + crc.to_bytes(4, "little") + len(body).to_bytes(4, "little")
        + (uncompressed & 0xFFFFFFFF).to_bytes(4, "little") + len(name).to_bytes(2, "little")
        + b"\0" * 12 + (0).to_bytes(4, "little") + name
    )  # fmt: skip
    offset = len(local) + len(body)
    end = (
        b"PK\x05\x06" + b"\0\0\0\0" + (1).to_bytes(2, "little") * 2
        + len(central).to_bytes(4, "little") + offset.to_bytes(4, "little") + b"\0\0"
    )  # fmt: skip
    return local + body + central + end


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
