"""Fixtures for adapter tests: a real Synapse homeserver and users on it.

`synapse` (session) starts one homeserver for the whole run; `matrix_bot` and
`matrix_contact` (per test) register fresh accounts on it, so tests never share users.
Set TASKBOT_REQUIRE_SYNAPSE=1 (CI does) to fail instead of skipping when Synapse
cannot start.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from synapse_server import MatrixUser, SynapseServer, SynapseUnavailable, start_synapse

_COLD_START = pytest.StashKey[float]()


@pytest.fixture(scope="session")
def synapse(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Iterator[SynapseServer]:
    """A Synapse on 127.0.0.1:<free port>, registration by shared secret, rate limits off."""
    try:
        server = start_synapse(tmp_path_factory.mktemp("synapse"))
    except SynapseUnavailable as exc:
        reason = f"!!! REAL SYNAPSE UNAVAILABLE — Matrix tests NOT RUN !!! {exc}"
        if os.environ.get("TASKBOT_REQUIRE_SYNAPSE"):
            pytest.fail(reason)
        warnings.warn(reason, stacklevel=1)
        pytest.skip(reason)
    pytestconfig.stash[_COLD_START] = server.cold_start_seconds
    try:
        yield server
    finally:
        server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    cold = terminalreporter.config.stash.get(_COLD_START, None)
    if cold is not None:
        terminalreporter.write_line(f"synapse cold start: {cold:.2f} s")


@pytest.fixture
def matrix_bot(synapse: SynapseServer) -> MatrixUser:
    """A fresh account for the bot (its password is what taskbot.toml would hold)."""
    return synapse.register(synapse.unique_localpart("taskbot"))


@pytest.fixture
def matrix_contact(synapse: SynapseServer) -> MatrixUser:
    """A fresh account for a human contact."""
    return synapse.register(synapse.unique_localpart("contact"))


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    """The one `ClientSession` a process would hand its adapters."""
    async with aiohttp.ClientSession() as session:
        yield session
