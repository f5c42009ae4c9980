"""The parser's one error type: a document it cannot turn into a plan."""

from __future__ import annotations


class ParseError(ValueError):
    """The document is unreadable or holds no plan; the message is one line for the user."""
