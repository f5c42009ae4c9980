"""Open a zip package (.docx, .ofd) only after its declared sizes pass the limits.

Python's zipfile never yields more than a member's declared size (it stops and
fails the CRC check), so checking the central directory before reading bounds
memory: a 1 MB bomb that unzips to gigabytes is refused without inflating a byte.
"""

from __future__ import annotations

import io
import zipfile

from parser.errors import ParseError
from parser.limits import (
    MAX_XML_MEMBER,
    MAX_ZIP_MEMBER,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_RATIO,
    MAX_ZIP_TOTAL,
    check,
)

_EOCD = b"PK\x05\x06"
_MAX_DIRECTORY = 4 * 1024 * 1024  # the central directory of MAX_ZIP_MEMBERS entries fits


def open_zip(data: bytes, name: str, kind: str) -> zipfile.ZipFile:
    """A ZipFile over `data` whose members are within the limits, or ParseError."""
    _check_directory(data, name)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ParseError(f"{name}: not a valid {kind} file (broken ZIP package)") from None
    check_members(infos, name)
    return archive


def _check_directory(data: bytes, name: str) -> None:
    """Entry count and directory size from the end record, before zipfile builds a
    ZipInfo (hundreds of bytes) for each of up to a million declared entries."""
    at = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return  # no end record: zipfile will refuse the file itself
    entries = int.from_bytes(data[at + 10 : at + 12], "little")
    directory = int.from_bytes(data[at + 12 : at + 16], "little")
    # 0xFFFF / 0xFFFFFFFF mean "see the Zip64 record": no real plan package needs that.
    check(name, "zip member count", entries, MAX_ZIP_MEMBERS)
    check(name, "zip directory size", directory, _MAX_DIRECTORY)


def check_members(infos: list[zipfile.ZipInfo], name: str) -> None:
    check(name, "zip member count", len(infos), MAX_ZIP_MEMBERS)
    total = 0
    for info in infos:
        size = info.file_size
        member_limit = (
            MAX_XML_MEMBER
            if info.filename.lower().endswith((".xml", ".rels"))
            else (MAX_ZIP_MEMBER)
        )
        check(name, f"unzipped size of {info.filename[:60]}", size, member_limit)
        # A ratio test catches bombs below the size caps that would still cost
        # ten times their size once lxml builds a tree of them.
        if size > 1024 * 1024:
            ratio = size // max(info.compress_size, 1)
            check(name, f"compression ratio of {info.filename[:60]}", ratio, MAX_ZIP_RATIO)
        total += size
    check(name, "total unzipped size", total, MAX_ZIP_TOTAL)


def read_member(archive: zipfile.ZipFile, member: str, name: str) -> bytes:
    try:
        return archive.read(member)
    except KeyError:
        raise ParseError(f"{name}: the package has no {member}") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
        raise ParseError(f"{name}: broken ZIP member {member} ({type(exc).__name__})") from None
