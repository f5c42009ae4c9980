"""The parser's pipeline: read -> normalize -> outline -> measures, milestones, goals."""

from __future__ import annotations

import hashlib
import os
import re
from datetime import date
from pathlib import Path

from parser.clauses import Clause, ClauseIndex
from parser.deadlines import find_times, five_year_end
from parser.errors import ParseError
from parser.goals import extract_goals
from parser.ids import IdRegistry
from parser.milestones import extract_milestones, reserve_ids
from parser.model import DocumentInfo, Goal, Measure, Milestone, ParseWarning, Plan, Span
from parser.normalize import Normalized, normalize
from parser.reading import Paragraph, read_blocks
from parser.structure import Node, Outline, build_outline
from parser.tables import table_measures
from parser.units import COUNTY_DECL, UnitParser, _default_names, looks_like_unit

# 主要目标, 总体目标, 建设目标, 目标任务 …: a goal section is one such heading without
# any responsibility clause (a "目标任务" chapter full of clauses holds measures).
# Lines after the plan's body: distribution list, attachments, issuing office.
_FURNITURE = re.compile(
    r"^(?:抄送[：:]|主送[：:]|附件\s*\d*[：:]|附表\s*\d*[：:]|（此件[^）]*）|.{0,30}\d{4}年\d{1,2}月\d{1,2}日印发)",
    re.M,
)
_GOAL_TITLE = re.compile(r"目标|指标")


def parse_document(path: str | os.PathLike[str]) -> Plan:
    """Read a .txt/.docx/.pdf plan and parse it."""
    blocks = read_blocks(path)
    return _build(normalize(blocks), Path(path).name)


def parse_text(text: str, source: str = "<text>") -> Plan:
    """Parse plan text that is already decoded."""
    blocks = [Paragraph(line) for line in text.replace("\r\n", "\n").split("\n")]
    return _build(normalize(blocks), source)


def _period_end(title: str, text: str, goal_ranges: list[tuple[int, int]]) -> date | None:
    m = re.search(r"(\d{4})\s*[—\-－~至到]\s*(\d{4})\s*年", title)
    if m and _plausible(m.group(2)):
        return date(int(m.group(2)), 12, 31)
    five = five_year_end(title) or five_year_end(text[:3000])
    if five:
        return five
    m = re.search(r"(\d{4})\s*年", title)
    if m and _plausible(m.group(1)):  # "2024年工作要点"
        return date(int(m.group(1)), 12, 31)
    years = [t.due for a, b in goal_ranges for t in find_times(text[a:b])]
    return max(years) if years else None


# The plan's own date: a line that is only a full date (where it is signed, "2022年11月
# 22日"), else its document number ("…发〔2022〕12号").
_SIGNED = re.compile(r"^[ \t]*((?:19|20|21)\d{2})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日[ \t]*$", re.M)
_DOC_NUMBER = re.compile(r"[〔（\[]((?:19|20|21)\d{2})[〕）\]]\s*\d{1,4}\s*号")


def _plan_year_end(text: str) -> date | None:
    """The end of the year the plan is dated: what a date with no year ("10月底前",
    "年底前") means in a plan that states no period of its own."""
    m = _SIGNED.search(text) or _DOC_NUMBER.search(text, 0, 2000)
    return date(int(m.group(1)), 12, 31) if m and _plausible(m.group(1)) else None


def _plausible(year: str) -> bool:
    """A plan's own year: "0000年" or "9999年" in a title is a typo, not a period."""
    return 1949 <= int(year) <= 2100


def _goal_ranges(outline: Outline, index: ClauseIndex) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for ch in outline.chapters:
        if _is_goal_section(ch, index):
            out.append((ch.start, ch.end))
            continue
        out.extend((it.start, it.end) for it in ch.children if _is_goal_section(it, index))
    return out


def _is_goal_section(node: Node, index: ClauseIndex) -> bool:
    return bool(_GOAL_TITLE.search(node.title)) and not index.within(node.start, node.end)


def repeated_from(text: str) -> int | None:
    """Where a file starts the same document over again, if it does.

    Portals and legal databases sometimes hold a plan twice (once under its cover notice,
    once alone). The copy is found as a run of at least four identical substantial lines
    that lasts to the end of the text or nearly so.
    """
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    first: dict[str, int] = {}
    for j, line in enumerate(lines):
        if len(line) < 6:
            continue
        i = first.setdefault(line, j)
        if i == j:
            continue
        run = 0
        while j + run < len(lines) and i + run < j and lines[i + run] == lines[j + run]:
            run += 1
        if run >= 4 and run >= 0.6 * (len(lines) - j):
            return starts[j]
    return None


def _build(norm: Normalized, source: str) -> Plan:
    full = norm.text
    if not full.strip():
        raise ParseError(f"{source}: the document has no text")
    warnings: list[ParseWarning] = []
    cut = repeated_from(full)
    text = full if cut is None else full[:cut]
    if cut is not None:
        warnings.append(
            ParseWarning(
                "repeated_document",
                "the file holds the document again from here; the copy is not parsed twice",
                (cut, len(full)),
            )
        )
    tables = tuple(t for t in norm.tables if t.end <= len(text))
    outline = build_outline(text, tables)
    index = ClauseIndex(text)
    goal_ranges = _goal_ranges(outline, index)
    period_end = _period_end(outline.title, text, goal_ranges)
    units = UnitParser(_default_names())
    county, county_at = _county_declaration(text, units, warnings)
    # Dates written without a year take the plan's last year, else the year it is dated.
    dating = period_end or _plan_year_end(text)

    measures: list[Measure] = []
    table_notes: list[ParseWarning] = []
    ids = IdRegistry()
    for table in tables:
        chapter = _chapter_before(outline, table.start) or "重点任务分工"
        cty = county if county_at is not None and county_at < table.start else ()
        measures += table_measures(text, table, chapter, units, cty, dating, table_notes, ids)
    # A plan may hold its tasks twice: in the body with clauses and again in a task table
    # (分工表). The table is the measure set when it lists about as many tasks as the body
    # (the same tasks, by the corpus convention); a short summary table (six categories
    # beside 28 measures) is not.
    body_notes: list[ParseWarning] = []
    body = _body_measures(text, outline, index, units, county, county_at, dating, body_notes)
    if len(measures) < _TABLE_SHARE * len(body):
        measures = body
        warnings += body_notes
    elif measures:
        warnings += table_notes + _clauses_without_item(index, measures, goal_ranges, text)
    warnings += _months_without_year(measures, dating)
    if not measures:
        raise ParseError(
            f"{source}: no measures found (expected numbered items such as （一） with "
            "responsible units, or a task table with 牵头单位/责任单位 columns)"
        )
    goals: list[Goal] = []
    for a, b in goal_ranges:
        for g in extract_goals(text, a, b, period_end):
            goals.append(Goal(f"G{len(goals) + 1}", g.text, g.due, g.value, g.span))
    if period_end is None:
        # No period in the title and no 目标 chapter with a year: the plan runs until its
        # last dated commitment.
        dues = [g.due for g in goals] + [ms.due for m in measures for ms in m.milestones]
        period_end = max((d for d in dues if d is not None), default=None)
    info = DocumentInfo(
        title=outline.title,
        source=source,
        sha256=hashlib.sha256(full.encode("utf-8")).hexdigest(),
        period_end=period_end,
    )
    return Plan(
        info, county, tuple(goals), tuple(measures), full, _fold_unit_warnings(warnings, text)
    )


_UNKNOWN = "unknown unit kept verbatim: "


def _fold_unit_warnings(warnings: list[ParseWarning], text: str) -> tuple[ParseWarning, ...]:
    """One warning per unknown name, at its first use, saying how often it occurs; its span
    is the name itself where the clause writes it, so a reviewer sees which name is meant.

    A name with a unit's ending (…厅, …部) is a department the alias table has not met:
    worth a note (`new_unit`). A name without one may be a misread (`unknown_unit`).
    """
    first: dict[str, int] = {}
    counts: dict[str, int] = {}
    out: list[ParseWarning] = []
    for w in warnings:
        if w.kind != "unknown_unit" or not w.message.startswith(_UNKNOWN):
            out.append(w)
            continue
        name = w.message.removeprefix(_UNKNOWN)
        counts[name] = counts.get(name, 0) + 1
        if name not in first:
            first[name] = len(out)
            out.append(w)
    for name, at in first.items():
        w = out[at]
        kind = "new_unit" if looks_like_unit(name) else "unknown_unit"
        times = f" ({counts[name]} times)" if counts[name] > 1 else ""
        message = (
            f"{'new' if kind == 'new_unit' else 'unknown'} unit kept as written: {name}{times}"
        )
        out[at] = ParseWarning(kind, message, _name_span(text, w.span, name), w.measure)
    return tuple(out)


def _name_span(text: str, span: Span | None, name: str) -> Span | None:
    """Where `name` is written inside `span` (the clause); the clause if it is not, as a
    name may have been joined from a chain or read from an alias."""
    if span is None:
        return None
    at = text.find(name, span[0], span[1])
    return (at, at + len(name)) if at >= 0 else span


def _clauses_without_item(
    index: ClauseIndex,
    measures: list[Measure],
    goal_ranges: list[tuple[int, int]],
    text: str,
) -> list[ParseWarning]:
    """Responsibility clauses that no measure holds: a task the outline may have missed."""
    spans = sorted(m.span for m in measures) + goal_ranges
    out: list[ParseWarning] = []
    for c in index.clauses:
        if COUNTY_DECL.search(c.content) or any(a <= c.start < b for a, b in spans):
            continue
        out.append(
            ParseWarning(
                "clause_without_item",
                f"a responsibility clause outside every measure: {text[c.start : c.end][:40]}",
                (c.start, c.end),
            )
        )
    return out


def _months_without_year(measures: list[Measure], period_end: date | None) -> list[ParseWarning]:
    """Milestones whose date had no year written: the year was taken from the plan."""
    out: list[ParseWarning] = []
    for m in measures:
        for ms in m.milestones:
            if ms.due and any(t.yearless for t in find_times(ms.text, period_end)):
                out.append(
                    ParseWarning(
                        "month_without_year",
                        f"no year written; {ms.due.isoformat()} assumed: {ms.text[:30]}",
                        ms.span,
                        ms.id,
                    )
                )
    return out


def _chapter_before(outline: Outline, pos: int) -> str | None:
    title = None
    for ch in outline.chapters:
        if ch.start <= pos:
            title = ch.title
    return title


def _county_declaration(
    text: str, units: UnitParser, warnings: list[ParseWarning]
) -> tuple[tuple[str, ...], int | None]:
    """Units that "以下均需…配合落实，名单不再一一列出" adds to every later measure.

    The declaration is the bracket group (or else the sentence) holding the marker.
    """
    m = COUNTY_DECL.search(text)
    if not m:
        return (), None
    a, depth = m.start(), 0
    while a > 0 and text[a - 1] not in "。；\n":
        ch = text[a - 1]
        if ch == "）":
            depth += 1
        elif ch == "（":
            if depth == 0:
                break
            depth -= 1
        a -= 1
    b, depth = m.end(), 0
    while b < len(text) and text[b] not in "。；\n":
        if text[b] == "（":
            depth += 1
        elif text[b] == "）":
            if depth == 0:
                break
            depth -= 1
        b += 1
    found: list[str] = []
    county = units.county_units(text[a:b], found)
    warnings.extend(
        ParseWarning("unknown_unit", f"cooperators of every measure: {w}", (a, b)) for w in found
    )
    return county, a


def _line_end(text: str, node: Node) -> int:
    end = text.find("\n", node.start, node.end)
    return node.end if end < 0 else end


_TABLE_SHARE = 0.8
_ANNEX = re.compile(r"^附件\s*\d*\s*[：:]?", re.M)


def _plan_chapters(text: str, outline: Outline) -> list[Node]:
    """The plan's own chapters: an attachment that starts its numbering again at 一、
    ("附件2 奉贤区农村公路路长制实施方案 一、指导思想…") is another document, not more of
    this plan's measures (its task tables are still read as tables)."""
    chapters = outline.chapters
    for k in range(1, len(chapters)):
        prev, cur = chapters[k - 1], chapters[k]
        restarted = cur.number and cur.number <= prev.number and not cur.part
        if restarted and "." not in cur.label and _ANNEX.search(text, prev.start, cur.start):
            return chapters[:k]
    return chapters


def _deep(outline: Outline, index: ClauseIndex) -> bool:
    """Whether the plan's measures are its numbered sub-items (一、 → （一） → 1.).

    Decided once for the document: where any item has two sub-items with clauses of their
    own, a lone sub-item with a clause elsewhere is a measure too ("（七）…" holding "46.").
    """
    return any(
        sum(1 for s in item.children if index.within(s.start, s.end)) >= 2
        for ch in outline.chapters
        for item in ch.children
    )


def _measure_nodes(
    chapter: Node, index: ClauseIndex, deep: bool = False
) -> list[tuple[str, Node, list[Clause] | None]]:
    """(id, node, inherited clauses) of the nodes that are measures in one chapter.

    Items are measures; their numbered sub-items are, instead, when at least two of
    them carry a clause of their own. A node without a clause inherits the clause
    its parent states before its first child ("五、保障措施（市委办牵头，各部门配合）").
    None for inherited clauses marks a sub-item that is no measure (see `_split`).
    """
    out: list[tuple[str, Node, list[Clause] | None]] = []
    chapter_intro = _intro_clauses(chapter, index)
    # Chapter 0 holds items written before any chapter: their ids are "1", "2" ….
    prefix = f"{chapter.label}." if chapter.number else ""
    if not chapter.children:  # "一、加快产业转型。…（市发改委负责）": the chapter is the task
        return [(chapter.label, chapter, [])] if chapter.number else []
    if all(c.level == 3 for c in chapter.children):
        return [(f"{prefix}{c.number}", c, chapter_intro) for c in chapter.children]
    for item in chapter.children:
        out += _split(item, f"{prefix}{item.number}", chapter_intro, index, deep)
    return out


def _split(
    node: Node, nid: str, inherited: list[Clause], index: ClauseIndex, deep: bool
) -> list[tuple[str, Node, list[Clause] | None]]:
    """A node is one measure, or its sub-items are, when they carry clauses of their own."""
    subs_with_clause = [s for s in node.children if index.within(s.start, s.end)]
    # A lone sub-item is a measure only with a clause in its own paragraph; a clause on
    # a line of its own after the last sub-item belongs to the item.
    lone = deep and any(index.within(s.start, _line_end(index.text, s)) for s in node.children)
    if len(subs_with_clause) < 2 and not lone:
        return [(nid, node, inherited)]
    out: list[tuple[str, Node, list[Clause] | None]] = []
    intro = _intro_clauses(node, index)
    if intro:  # the node's own text, before its sub-items, is a measure too
        head = Node(node.level, node.number, node.title, node.start, node.children[0].start - 1)
        out.append((nid, head, inherited))
    for s in node.children:
        if not (intro or inherited) and not index.within(s.start, s.end):
            # Its siblings name who is responsible and it does not: not a measure, but
            # the admin hears of it (a `no_clause` warning), never silently dropped.
            out.append((f"{nid}.{s.number}", s, None))
            continue
        out += _split(s, f"{nid}.{s.number}", intro or inherited, index, deep)
    return out


def _intro_clauses(node: Node, index: ClauseIndex) -> list[Clause]:
    """Clauses in a node's own text before its first child (county declarations aside)."""
    end = node.children[0].start if node.children else node.end
    return [c for c in index.within(node.start, end) if not COUNTY_DECL.search(c.content)]


def _body_measures(
    text: str,
    outline: Outline,
    index: ClauseIndex,
    units: UnitParser,
    county: tuple[str, ...],
    county_at: int | None,
    period_end: date | None,
    warnings: list[ParseWarning],
) -> list[Measure]:
    measures: list[Measure] = []
    deep = _deep(outline, index)
    nodes = [
        (chapter, written, node, inherited)
        for chapter in _plan_chapters(text, outline)
        # Chapters without any responsible unit hold no measures.
        if index.within(chapter.start, chapter.end)
        for written, node, inherited in _measure_nodes(chapter, index, deep)
        if not _is_goal_section(node, index)
    ]
    ids = IdRegistry.expecting(written for _, written, _, _ in nodes)
    for chapter, written, node, inherited in nodes:
        if inherited is None:
            warnings.append(
                ParseWarning(
                    "no_clause",
                    f"item {written} names no responsible unit; it is not a task",
                    (node.start, node.end),
                )
            )
            continue
        chapter_title, _ = _title(text, chapter, _intro_clauses(chapter, index))
        mid, renumbered = ids.claim(written)
        clauses = index.within(node.start, node.end)
        title, title_span = _title(text, node, clauses)
        if renumbered:
            warnings.append(
                ParseWarning(
                    "renumbered_id",
                    f"the number {written} is printed twice; this item is {mid}",
                    (node.start, max(title_span[1], node.start)),
                    mid,
                )
            )
        end = _trim_end(text, node, clauses, title)
        lead, coop = _responsibility(clauses or inherited, units, mid, warnings, (node.start, end))
        if county_at is not None and county_at < end:
            coop += [u for u in county if u not in coop and u != lead]
        masked = [(c.start, c.end) for c in clauses]
        milestones = extract_milestones(
            text, node.start, end, masked, mid, period_end, bare_date_text=title_span
        )
        milestones += _clause_deadlines(text, clauses, milestones, mid, title_span, period_end)
        measures.append(
            Measure(
                id=mid,
                chapter=chapter_title,
                title=title,
                lead=lead,
                cooperating=tuple(coop),
                milestones=tuple(reserve_ids(milestones, mid, ids)),
                span=(node.start, end),
                text=text[node.start : end],
            )
        )
    return measures


def _clause_deadlines(
    text: str,
    clauses: list[Clause],
    found: list[Milestone],
    mid: str,
    title_span: tuple[int, int],
    period_end: date | None,
) -> list[Milestone]:
    """ "（责任单位：A；完成时限：2024年底前）": a deadline inside the clause dates the task.

    The milestone reads from the title through the deadline ("完善考核机制。…（6月底完成"),
    so it names both what is due and when; a long item keeps just its title.
    """
    if title_span[1] <= title_span[0]:
        return []
    known = {m.due for m in found}
    out: list[Milestone] = []
    for c in clauses:
        at = text.find(c.content, c.start, c.end)
        for t in find_times(c.content, period_end):
            if t.due in known:
                continue
            known.add(t.due)
            n = len(found) + len(out) + 1
            end = at + t.end if at >= 0 else -1
            while 0 <= end < c.end and text[end] not in "，,；;）。\n":
                end += 1  # through "完成" / "前": the whole time segment
            span = (
                (title_span[0], end) if 0 <= end - title_span[0] <= _DEADLINE_REACH else title_span
            )
            out.append(Milestone(f"{mid}.{n}", text[span[0] : span[1]], t.due, None, span))
    return out


# How far after a title a clause's deadline may be and still be read with it.
_DEADLINE_REACH = 240


def _title(text: str, node: Node, clauses: list[Clause]) -> tuple[str, tuple[int, int]]:
    """The heading's title without a clause written into it, and its span in `text`.

    "（一）做强产业链（市工信局牵头，市发改委配合）" has the title "做强产业链".
    """
    title = node.title
    for c in clauses:
        cut = title.find(text[c.start : c.end])
        if cut > 0:
            title = title[:cut].rstrip(" ：:，,。")
    at = text.find(title, node.start, node.end) if title else -1
    return title, ((at, at + len(title)) if at >= 0 else (node.start, node.start))


def _trim_end(text: str, node: Node, clauses: list[Clause], title: str) -> int:
    """A measure ends with its last clause when only new paragraphs follow it."""
    end = node.end
    furniture = _FURNITURE.search(text, node.start, end)
    if furniture:
        end = furniture.start()  # "抄送：…", "附件：…" end the plan's body
    while end > node.start and text[end - 1] in "\n ":
        end -= 1
    if clauses and "\n" in text[clauses[-1].end : end]:
        first_line = text[node.start : end].split("\n", 1)[0]
        for c in clauses:
            first_line = first_line.replace(text[c.start : c.end], "")
        bare_heading = len(first_line) <= len(title) + 6
        if bare_heading and text[node.start : clauses[-1].start].count("\n") <= 1:
            return end  # "（二）标题\n责任单位：A\n正文…": the text follows the clause
        return clauses[-1].end
    return end


def _responsibility(
    clauses: list[Clause],
    units: UnitParser,
    mid: str,
    warnings: list[ParseWarning],
    span: tuple[int, int],
) -> tuple[str | None, list[str]]:
    lead: str | None = None
    coop: list[str] = []
    for clause in clauses:
        r = units.parse(clause.content)
        warnings.extend(
            ParseWarning("unknown_unit", w, (clause.start, clause.end), mid) for w in r.warnings
        )
        if r.lead is None:
            continue
        if lead is None:
            lead = r.lead
        elif r.lead != lead and r.lead not in coop:
            coop.append(r.lead)
        coop += [u for u in r.cooperating if u not in coop and u != lead]
    if lead is None:
        warnings.append(ParseWarning("no_clause", "no responsible unit found", span, mid))
    return lead, coop
