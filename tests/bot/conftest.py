"""Shared fixtures for bot-level tests."""

from __future__ import annotations

import pytest

from bot.conversation.matching import TaskMatcher


@pytest.fixture(scope="session")
def matcher() -> TaskMatcher:
    """One warmed matcher for the run: its tokenizer takes ~0.5 s to load."""
    m = TaskMatcher()
    m.warm()
    return m
