"""Task ids as people type them: the store reads them with the parser's one id grammar."""

from __future__ import annotations

import unicodedata

from parser.ids import is_task_id, read_task_id


def normalize_key(raw: str) -> str:
    """The stored id ("3.4.2", "G1") for a typed one; unrecognised input is returned tidied."""
    return read_task_id(raw) or unicodedata.normalize("NFKC", raw).strip().upper()


def looks_like_key(raw: str) -> bool:
    return is_task_id(normalize_key(raw))
