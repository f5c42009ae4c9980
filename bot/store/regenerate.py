"""Match a revised plan's tasks to the stored ones and describe the difference (pure, no SQL).

Revisions insert measures and renumber the rest, reword sentences, move deadlines and change
leads. A task is recognised by its id AND its words (rapidfuzz similarity), so a renumbered
measure is the same task and keeps its history; what matches nothing is added or withdrawn.

Dates are compared plan to plan (the stored task's `plan_due`), never against a decision: a
revision that leaves a task's date alone leaves its approved extension alone too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from bot.store.specs import StoredTask, TaskSpec, strip_label

# Similarity (0-100) above which two tasks are the same whatever their ids.
SAME_TEXT = 75.0
# With the same id (or the same ordinal under matched measures) a weaker likeness suffices:
# a reworded sentence that kept its place.
SAME_PLACE = 60.0
# How much being at the same id counts, in similarity points.
PLACE_BONUS = 10.0
# A milestone that changes measure together with an added/withdrawn measure: near-identical.
MOVED = 95.0

COMPARED = ("key", "title", "text", "due", "lead", "cooperating", "value")


@dataclass(slots=True)
class Change:
    """One task's fate: added, withdrawn, changed (with the fields) or unchanged."""

    kind: str
    old: StoredTask | None = None
    new: TaskSpec | None = None
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    similarity: float = 100.0

    @property
    def key(self) -> str:
        spec = self.new or (self.old.spec if self.old else None)
        return spec.key if spec else ""

    def to_json(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            if isinstance(v, tuple):
                return list(v)
            return v.isoformat() if hasattr(v, "isoformat") else v

        decided = self.old.extra.get("decided_due") if self.old else None
        return {
            "change": self.kind,
            "id": self.key,
            "old_id": self.old.spec.key if self.old else None,
            "kind": (self.new or self.old.spec).kind if (self.new or self.old) else None,  # type: ignore[union-attr]
            "text": (self.new.text if self.new else self.old.spec.text if self.old else ""),
            "task_pk": self.old.pk if self.old else None,
            "similarity": round(self.similarity, 1),
            "fields": {k: [plain(a), plain(b)] for k, (a, b) in self.fields.items()},
            # A coordinator's decision (an approved extension) in force: the diff's "due" is
            # the plan's own date, shown beside this one; applying keeps it unless the admin
            # chooses the plan's new date.
            "decided_due": plain(decided) if decided is not None else None,
        }

    @property
    def due_conflict(self) -> bool:
        """The plan's own date changed while a decided date is in force: the admin chooses."""
        return "due" in self.fields and bool(self.old and "decided_due" in self.old.extra)


@dataclass(slots=True)
class PlanDiff:
    changes: list[Change]

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.changes if c.kind == kind]

    def counts(self) -> dict[str, int]:
        out = {"added": 0, "withdrawn": 0, "changed": 0, "unchanged": 0}
        for c in self.changes:
            out[c.kind] += 1
        return out

    @property
    def is_empty(self) -> bool:
        return all(c.kind == "unchanged" for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        return {"summary": self.counts(), "changes": [c.to_json() for c in self.changes]}


def _ordinal(key: str) -> str:
    return key.rsplit(".", 1)[-1]


Scorer = Callable[[TaskSpec, StoredTask, float], float | None]


def _greedy(
    new: Sequence[TaskSpec], old: Sequence[StoredTask], score: Scorer
) -> dict[int, tuple[int, float]]:
    """Pair new[i] with old[j], best score first; returns {i: (j, similarity)}.
    `score` returns None for pairs that must not match."""
    if not new or not old:
        return {}
    sims = process.cdist(
        [s.match_text for s in new],
        [o.spec.match_text for o in old],
        scorer=fuzz.ratio,
        # Pairs below this can never match; rapidfuzz stops early on them (reported as 0).
        score_cutoff=min(SAME_PLACE, SAME_TEXT),
        workers=1,
    )
    scored: list[tuple[float, int, int, float]] = []
    for i, spec in enumerate(new):
        for j, stored in enumerate(old):
            sim = float(sims[i][j])
            value = score(spec, stored, sim)
            if value is not None:
                scored.append((value, i, j, sim))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    taken_new: dict[int, tuple[int, float]] = {}
    taken_old: set[int] = set()
    for _score, i, j, sim in scored:
        if i in taken_new or j in taken_old:
            continue
        taken_new[i] = (j, sim)
        taken_old.add(j)
    return taken_new


def _place_score(sim: float, same_place: bool) -> float | None:
    # Words first, place second: a renumbered task whose words are intact must beat a weak
    # likeness that merely sits at the same id.
    if sim < SAME_TEXT and not (same_place and sim >= SAME_PLACE):
        return None
    return sim + (PLACE_BONUS if same_place else 0.0)


def match(old: Sequence[StoredTask], new: Sequence[TaskSpec]) -> dict[int, tuple[int, float]]:
    """{index in new: (index in old, similarity)} for tasks that are the same task.

    Measures first; then milestones, which prefer the same ordinal under matched measures.
    A milestone under an added measure, or one whose measure was withdrawn, matches only
    when its words are all but identical (a milestone moved to another measure).
    """
    new_m = [i for i, s in enumerate(new) if s.kind == "measure"]
    old_m = [j for j, o in enumerate(old) if o.spec.kind == "measure"]
    got = _greedy(
        [new[i] for i in new_m],
        [old[j] for j in old_m],
        lambda s, o, sim: _place_score(sim, s.key == o.spec.key),
    )
    result = {new_m[i]: (old_m[j], sim) for i, (j, sim) in got.items()}
    # New measure key -> old measure key, so milestones can ask "are our parents the same?".
    parent_map = {new[i].key: old[j].spec.key for i, (j, _sim) in result.items()}
    kept_old_parents = set(parent_map.values())

    def milestone_score(s: TaskSpec, o: StoredTask, sim: float) -> float | None:
        parents_same = (
            s.parent_key is not None and parent_map.get(s.parent_key) == o.spec.parent_key
        )
        orphaned = s.parent_key not in parent_map or o.spec.parent_key not in kept_old_parents
        if orphaned and sim < MOVED:
            return None
        return _place_score(sim, parents_same and _ordinal(s.key) == _ordinal(o.spec.key))

    new_s = [i for i, s in enumerate(new) if s.kind != "measure"]
    old_s = [j for j, o in enumerate(old) if o.spec.kind != "measure"]
    got = _greedy([new[i] for i in new_s], [old[j] for j in old_s], milestone_score)
    result.update({new_s[i]: (old_s[j], sim) for i, (j, sim) in got.items()})
    return result


def diff_tasks(old: Sequence[StoredTask], new: Sequence[TaskSpec]) -> PlanDiff:
    """Every new task as added/changed/unchanged (in new order), then the withdrawn ones."""
    pairs = match(old, new)
    changes: list[Change] = []
    used: set[int] = set()
    for i, spec in enumerate(new):
        if i not in pairs:
            changes.append(Change(kind="added", new=spec))
            continue
        j, sim = pairs[i]
        used.add(j)
        before = old[j]
        fields = {
            name: (getattr(before.spec, name), getattr(spec, name))
            for name in COMPARED
            if getattr(before.spec, name) != getattr(spec, name)
        }
        if "text" in fields and strip_label(before.spec.text) == strip_label(spec.text):
            del fields["text"]  # only the item label moved with the renumbering
        kind = "changed" if fields else "unchanged"
        changes.append(Change(kind=kind, old=before, new=spec, fields=fields, similarity=sim))
    for j, stored in enumerate(old):
        if j not in used:
            changes.append(Change(kind="withdrawn", old=stored, similarity=0.0))
    return PlanDiff(changes)
