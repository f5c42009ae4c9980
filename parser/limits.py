"""Bounds on what one document may cost to read.

Every reader checks these before the work they bound (declared zip sizes before
unzipping, a span before repeating a cell), so a crafted 1 KB file fails in
milliseconds with a `ParseError` naming the limit instead of taking the
process's memory or minutes of CPU. The numbers are far above any real plan:
the largest plans seen are ~200,000 characters with tables of a few hundred rows.
"""

from __future__ import annotations

from parser.errors import ParseError

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 2_000
MAX_ZIP_TOTAL = 200 * 1024 * 1024  # all members, uncompressed (images included)
MAX_ZIP_MEMBER = 64 * 1024 * 1024  # one member, uncompressed
MAX_XML_MEMBER = 32 * 1024 * 1024  # one XML part: lxml trees take ~10x its size
MAX_ZIP_RATIO = 200  # deflate reaches ~10x on XML; bombs are 1000x and more
MAX_TEXT_CHARS = 2_000_000
MAX_TABLE_ROWS = 10_000
MAX_TABLE_COLUMNS = 64
MAX_SPAN = 64  # gridSpan / colspan / rowspan / a vMerge run's width
MAX_CELL_CHARS = 100_000
MAX_NUMBER_START = 32_767  # Word's own upper bound for w:start
MAX_LIST_LEVEL = 8  # Word has levels 0..8
MAX_PAGES = 2_000
MAX_OCR_PAGES = 200


class LimitError(ParseError):
    """A document went past one of the limits above; the message names it."""


def exceeded(name: str, what: str, value: int | str, limit: int) -> LimitError:
    """The one wording of every limit hit: `x.docx: limit exceeded — table span 400000000 > 64`."""
    return LimitError(f"{name}: limit exceeded — {what} {value} > {limit}")


def check(name: str, what: str, value: int, limit: int) -> None:
    if value > limit:
        raise exceeded(name, what, value, limit)


def parse_int(name: str, what: str, raw: str | None, default: int, limit: int) -> int:
    """A small non-negative integer attribute; malformed is an error, too large a limit hit.

    The digit count is checked before `int()`: a 5,000-digit value must neither
    hit Python's int-string limit (ValueError) nor cost quadratic time.
    """
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit():
        raise ParseError(f"{name}: malformed {what} {raw[:20]!r}")
    if len(raw) > 18:
        raise exceeded(name, what, raw[:12] + "…", limit)
    value = int(raw)
    check(name, what, value, limit)
    return value
