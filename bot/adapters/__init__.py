"""The platforms taskbot can talk to: an explicit registry, one line per adapter.

The composition root looks a platform's adapter up here by its name (the `platform` column of
contacts and the config section); nothing else imports platform modules.
"""

from __future__ import annotations

from bot.adapters.base import ChatAdapter
from bot.adapters.dingtalk import DingTalkAdapter
from bot.adapters.feishu import FeishuAdapter
from bot.adapters.matrix import MatrixAdapter
from bot.adapters.webchat.adapter import WebChatAdapter
from bot.adapters.wecom import WeComAdapter

ADAPTERS: dict[str, type[ChatAdapter]] = {
    WebChatAdapter.name: WebChatAdapter,
    MatrixAdapter.name: MatrixAdapter,
    WeComAdapter.name: WeComAdapter,
    DingTalkAdapter.name: DingTalkAdapter,
    FeishuAdapter.name: FeishuAdapter,
}

__all__ = ["ADAPTERS", "ChatAdapter"]
