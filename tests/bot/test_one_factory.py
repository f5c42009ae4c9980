"""One of each: one Jinja environment factory, one working-calendar factory.

A second `Environment(...)` drifts (the chat pages once had other escaping rules than
the dashboard); a second calendar factory forgets the admin's overrides. The source
of `bot/` is read for constructor calls: any new one outside its factory fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"

# class name -> the one module allowed to construct it
FACTORIES = {"Environment": "render.py", "WorkCalendar": "rules/workcalendar.py"}


def _constructions() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {name: set() for name in FACTORIES}
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if name in found:
                found[name].add(path.relative_to(BOT).as_posix())
    return found


def test_each_class_is_built_by_its_one_factory() -> None:
    assert _constructions() == {name: {module} for name, module in FACTORIES.items()}
