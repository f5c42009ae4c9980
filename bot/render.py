"""Every word the bot says comes from a Jinja2 template in the top-level `templates/`.

Code passes data (dates, items, counts); templates choose the wording, so a
coordinator's office can reword messages without touching Python. `StrictUndefined`
turns a misspelt variable into an error in tests rather than a blank in a message to
a city bureau. Autoescaping is on for .html only: chat text is plain text.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.reminders.policy import PlannedMessage

# Runs of 3+ newlines from optional sections collapse to one blank line.
_BLANK_RUNS = re.compile(r"\n{3,}")


def find_templates_dir() -> Path:
    """The `templates/` directory: next to the `bot` package in a checkout or editable
    install, else under `<prefix>/share/taskbot/templates` for an installed wheel."""
    candidates = (
        Path(__file__).resolve().parent.parent / "templates",
        Path(sys.prefix) / "share" / "taskbot" / "templates",
    )
    for c in candidates:
        if (c / "reminder.j2").is_file():
            return c
    raise FileNotFoundError(
        "templates/ not found; looked in " + ", ".join(str(c) for c in candidates)
    )


def make_environment(
    templates_dir: Path | None = None, *, html: bool = False, trim: bool = True
) -> Environment:
    """The one Jinja2 environment factory: chat texts, the dashboard and the web chat pages.

    Over `templates_dir` (default: `find_templates_dir()`), always with StrictUndefined.
    `html=False` (chat text): autoescaped for .html/.htm templates only, since escaping
    would put `&amp;` into a WeCom message. `html=True` (web pages): always autoescaped.
    `trim` strips the newline after a block tag and the indentation before it.
    """
    autoescape: Any = (
        True
        if html
        else select_autoescape(
            enabled_extensions=("html", "htm"), default_for_string=False, default=False
        )
    )
    return Environment(
        loader=FileSystemLoader(templates_dir or find_templates_dir()),
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=trim,
        lstrip_blocks=trim,
        keep_trailing_newline=False,
    )


class Renderer:
    """Renders chat texts by template name; one instance per process, built by the app."""

    def __init__(self, templates_dir: Path | None = None, *, max_items: int = 30) -> None:
        self.env = make_environment(templates_dir)
        # Long lists are cut with "……另有N项": WeCom text messages stop at 2048 bytes.
        self.max_items = max_items

    def render(self, name: str, /, **context: Any) -> str:
        """Render `templates/<name>.j2` (".j2" optional) with `context`; tidy blank lines.

        `max_items` (how many lines a list shows before "……另有N项") defaults to the
        renderer's.
        """
        if "." not in name:
            name += ".j2"
        context.setdefault("max_items", self.max_items)
        text = self.env.get_template(name).render(**context)
        lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
        return _BLANK_RUNS.sub("\n\n", lines)

    def message(self, msg: PlannedMessage) -> str:
        """The text of a planned reminder or coordinator digest."""
        if msg.kind == "digest":
            return self.render("digest", contact=msg.contact, day=msg.day, digest=msg.digest)
        return self.render(
            "reminder",
            contact=msg.contact,
            day=msg.day,
            escalations=[i for i in msg.items if i.kind == "escalation"],
            actions=[i for i in msg.items if i.role == "lead" and i.kind != "escalation"],
            information=list(msg.information),
        )
