"""Text a client sent, handled without tripping over it.

Anything from outside may hold characters that break naive code: non-ASCII where a token
is expected (`hmac.compare_digest` raises TypeError on non-ASCII str) or a lone UTF-16
surrogate from a JSON "\\ud800" escape (UTF-8 encoding raises, so the database cannot store
it). These two helpers are the one place that deals with both.
"""

from __future__ import annotations

import hmac


def same_text(given: str, expected: str) -> bool:
    """Constant-time comparison of a value a client sent with the one we expect."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def scrub(text: str) -> str:
    """`text` with any lone surrogate replaced by U+FFFD, so it can be stored and shown."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    return text
