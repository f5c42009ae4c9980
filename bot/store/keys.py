"""Task ids as people type them in chat: "3.4.2", "3.4-2", "３．４．２", "T3.4.2", "g1"."""

from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"\s*[-－—–_、·,，。]\s*|\s+")
_KEY = re.compile(r"^(?:\d+(?:\.\d+)*|G\d+)$")


def normalize_key(raw: str) -> str:
    """The canonical id ("3.4.2", "G1") for a typed one; unrecognised input is returned tidied."""
    s = unicodedata.normalize("NFKC", raw).strip().upper()
    if s.startswith("T") and len(s) > 1 and (s[1].isdigit() or s[1] == "."):
        s = s[1:]
    s = _SEPARATORS.sub(".", s).strip(".")
    return s


def looks_like_key(raw: str) -> bool:
    return bool(_KEY.match(normalize_key(raw)))
