"""Neutral events that cross the adapter seam.

Adapters turn a platform's callback into an `IncomingMessage` and an
`Outgoing` into the platform's send call; nothing else in the core knows a
platform's wire format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A text message a person sent the bot on some platform."""

    platform: str
    user_id: str
    text: str
    message_id: str
    received_at: datetime
    # Platform data needed to answer in place (a Matrix room id, a DingTalk
    # sessionWebhook, a Feishu chat_id); opaque to the core.
    reply_context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A text message for one person on one platform."""

    platform: str
    user_id: str
    text: str
    # Stable key of this message (outbox row id, or the incoming message id it
    # answers); adapters pass it to platforms that deduplicate on their side.
    key: str = ""
    reply_context: dict[str, Any] = field(default_factory=dict)
