"""The platforms taskbot can talk to: the one list, one line per platform.

Everything else that names platforms is derived from `PLATFORMS`: the config sections and
their `TASKBOT_<PLATFORM>_<KEY>` variables (bot/config.py), the platform names a contacts
sheet accepts (bot/store/contacts_import.py), the dashboard's labels and choices, and the
adapters the service starts (bot/app.py).

A line holds only what those need without the platform's code (its display name and the
words a contacts sheet may use); the adapter class, with its settings model and how it is
built, is imported only when a section configures it or the service starts it. Importing
every platform SDK costs ~0.7 s, which `taskbot load` must not pay.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.adapters.base import ChatAdapter

# The built-in web chat: always there unless [webchat] enabled = false; login links and
# sessions are managed by the dashboard, so the core names it.
WEBCHAT = "webchat"


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """A platform as the rest of taskbot sees it before its code is loaded."""

    name: str  # in contacts, in the config ([name] section) and in environment variables
    title: str  # what people see (dashboard, messages)
    adapter: str  # "module:Class" of its ChatAdapter subclass
    words: tuple[str, ...] = ()  # other names a contacts sheet may give it

    def load(self) -> type[ChatAdapter]:
        """The adapter class (imports the platform's module)."""
        module, _, cls = self.adapter.partition(":")
        loaded: type[ChatAdapter] = getattr(importlib.import_module(module), cls)
        return loaded


PLATFORMS: tuple[PlatformSpec, ...] = (
    PlatformSpec(WEBCHAT, "网页对话", "bot.adapters.webchat.adapter:WebChatAdapter", ("网页",)),
    PlatformSpec("matrix", "Matrix", "bot.adapters.matrix:MatrixAdapter"),
    PlatformSpec("wecom", "企业微信", "bot.adapters.wecom:WeComAdapter", ("企微",)),
    PlatformSpec("dingtalk", "钉钉", "bot.adapters.dingtalk:DingTalkAdapter"),
    PlatformSpec("feishu", "飞书", "bot.adapters.feishu:FeishuAdapter"),
)


def platforms() -> tuple[PlatformSpec, ...]:
    """The registry as it stands now (read at call time, so a test can add a line)."""
    return PLATFORMS


def platform_names() -> tuple[str, ...]:
    return tuple(p.name for p in platforms())


def find_platform(name: str) -> PlatformSpec | None:
    return next((p for p in platforms() if p.name == name), None)


def platform_by_word(word: str) -> str | None:
    """The platform a person's word names: its id (any case), its title or one of its words."""
    folded = word.strip().lower()
    for p in platforms():
        if folded == p.name or word.strip() in (p.title, *p.words):
            return p.name
    return None
