"""Fixtures for the parser tests: the seed plan, parsed once per session.

NOTE: tests/ is on sys.path (pytest puts the rootdir conftest's folder there), so the
name `parser` resolves to this folder as a namespace package; import the real
package's submodules (`parser.pipeline`, `parser.model`), never `from parser import …`.
"""

from __future__ import annotations

import pytest
from plan_files import SEED

from parser.model import Plan
from parser.pipeline import parse_document


@pytest.fixture(scope="session")
def seed_plan() -> Plan:
    return parse_document(SEED)
