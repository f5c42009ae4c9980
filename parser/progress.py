"""Progress of long reads (OCR of a 20-page scan, a LibreOffice conversion).

The caller that shows progress — the CLI's rich bar, the dashboard's status
line — installs a callback with `reporting(callback)`; readers call `step()`.
A context variable, not a module global, so two uploads parsed on two threads
(or two tasks) each report to their own caller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# (what is being done, units done, units in all); total 0 means "unknown length".
Callback = Callable[[str, int, int], None]

_callback: ContextVar[Callback | None] = ContextVar("taskbot_parse_progress", default=None)


@contextmanager
def reporting(callback: Callback) -> Iterator[None]:
    token = _callback.set(callback)
    try:
        yield
    finally:
        _callback.reset(token)


def step(what: str, done: int, total: int) -> None:
    callback = _callback.get()
    if callback is not None:
        callback(what, done, total)
