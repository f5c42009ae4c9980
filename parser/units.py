"""Responsibility clauses -> lead and cooperating units, with canonical names.

Clause styles handled (all seen in real plans):
  （A、B、C等按职责分工负责）      first unit leads
  （A牵头，B、C配合）              marked lead, marked cooperators
  牵头单位：A；配合单位：B、C      labelled lists (also 责任单位/主责单位/参与单位)
  责任单位：A（牵头）、B           lead marked inside the list
  （A负责）                         a single responsible unit
  A牵头，B、C配合。                 a sentence of its own
  A（B）                            a unit and another name it answers to
  各县（市、区）政府配合落实        trailing cooperators
  以下均需…配合落实，名单不再一一列出   cooperators of every later measure

Names go through the alias table in `data/bureaus.txt` (also a jieba user
dictionary, used to split lists written without separators). Unknown units are
kept verbatim and reported as warnings, never dropped.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

# Next to this module, not via importlib.resources("parser"): a tests/parser folder on
# sys.path can make the name `parser` a namespace package during test runs.
_DATA = Path(__file__).resolve().parent / "data" / "bureaus.txt"
_LEVELS = "省市县区州盟旗"
_UNIT_SUFFIX = re.compile(
    r"(局|委|办|厅|部|院|会|府|中心|公司|集团|室|处|队|站|所|行|社|馆|台|团|联|署|"
    r"委员会|管委会|办公室|部门|单位|法院|检察院|银行|大学|学校|党校|医院|协会|街道|乡镇|街镇|政府|党委|支队|分局|机关|机构)$"
)
_ROLE_SUFFIX = re.compile(
    r"(?:等(?:有关|相关|其他)?(?:部门|单位|部门和单位)?)?"
    r"(?:按照?职责分工|按照?职责|按职能|分工|分别|共同|等单位|等部门)?"
    r"(?:牵头负责|牵头抓总|牵头落实|牵头|具体负责|负责落实|负总责|负责|配合落实|配合|参与|协助|协办"
    r"|组织落实|组织实施|组织配合|抓好落实|督促落实|落实)$"
)
# The labels of labelled lists: 牵头单位：, 配合部门：, 责任主体：, 主要责任单位：, 协办处室： …
LABEL_NAME = (
    r"(?:主要)?(?:牵头|配合|责任|主责|主办|协办|参与|协同|推进|实施|落实|督办|支撑|支持|协作)"
    r"(?:考核|推进|落实|实施|责任|督办)?(?:单位|部门|主体|处室)"
)
LABEL = LABEL_NAME + "[：:]"
_LABEL = re.compile(rf"^({LABEL_NAME})[：:]")
# A second label run into the first once spaces are gone: "牵头单位：A配合单位：B".
_LABEL_INSIDE = re.compile(rf"(?<=[局委办厅部院会府心司队站所处室组行社馆团校）])(?={LABEL})")
_TIME_WORDS = re.compile(r"\d{4}\s*年|\d{1,2}月|年底|年内|季度|长期")
# "市政府办公室（市金融办）": a unit and, in brackets, another name it answers to.
_ALSO_NAMED = re.compile(r"^(.+?)（(.+)）$")
_LEAD_MARK = re.compile(r"（(?:牵头|主责|牵头单位)）$")
# "以下均需…配合落实，名单不再一一列出", "以下各项任务均由…配合", "…配合落实，以下不再一一列出".
COUNTY_DECL = re.compile(
    r"以下[^，。；（）\n]{0,10}?均(?:需|由|要|请)|不再(?:一一|逐一|逐项)列[出明举]"
)
# Characters that end unit names and never occur in a place name ("太原", "呼和浩特").
_NOT_PLACE = re.compile(r"[局委办厅部院会府心司队站所处室组关行社馆团校]|^[市省县区]")
# Where one unit's name ends and the next begins with no separator ("市发改委市工信局"):
# only then is the tokenizer worth building (it costs ~0.2 s the first time).
_JOINED = re.compile(r"[局委办厅部院会府心司队站所处室组行社馆团校）][省市县区各]")
_SEPARATORS = "、，,；;/ \t"


@dataclass(frozen=True, slots=True)
class Responsibility:
    lead: str | None
    cooperating: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass
class UnitNames:
    """The alias table and a private jieba tokenizer over it (built lazily, once)."""

    aliases: dict[str, str] = field(default_factory=dict)
    # One shared table serves parses running in upload worker threads. cached_property
    # has no lock from Python 3.12 on, so two threads could each build a tokenizer
    # (~0.2 s each); the build happens once, under this lock.
    _tokenizer_lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @classmethod
    def load(cls) -> UnitNames:
        table: dict[str, str] = {}
        text = _DATA.read_text(encoding="utf-8")
        for line in text.splitlines():
            if not line.strip():
                continue
            word, _freq, canonical = line.split(" ", 2)
            table[word] = canonical.strip()
        return cls(table)

    @cached_property
    def tokenizer(self) -> Any:
        """A jieba Tokenizer whose main dictionary is only our bureau names.

        Loading jieba's 20 MB general dictionary costs ~0.5 s and adds nothing
        here: unit lists are runs of bureau names, so a bureau-only DAG splits
        "市发改委市工信局" exactly and leaves anything else as single characters.
        """
        with self._tokenizer_lock:
            # Another thread may have built it while this one waited: cached_property
            # stores its result in the instance dict, where a second lookup finds it.
            built = self.__dict__.get("tokenizer")
            if built is not None:
                return built
            return self._build_tokenizer()

    def _build_tokenizer(self) -> Any:
        import jieba

        logging.getLogger("jieba").setLevel(logging.WARNING)
        tk = jieba.Tokenizer(dictionary=str(_DATA))
        tk.initialize()
        # Derived level spellings (县发改委…) so concatenations at any level split too.
        for word in list(self.aliases):
            if word.startswith("市"):
                for level in "省县区":
                    tk.add_word(level + word[1:], 1000)
        return tk

    def canonical(self, name: str) -> str | None:
        """Canonical spelling of a known unit, else None."""
        if name in self.aliases:
            return self.aliases[name]
        if name and name[0] in _LEVELS and "市" + name[1:] in self.aliases:
            return name[0] + self.aliases["市" + name[1:]][1:]
        # "太原市生态环境局", "山西省能源局" -> strip the place name.
        # The place name itself must not look like a unit: "市发改委市工信局" is two units.
        m = re.match(r"^([\u4e00-\u9fff]{2,4}?)([市省县区])(.+)$", name)
        if (
            m
            # "嘉定区政府", "浦东新区政府": the place is what names a government.
            and not _SHARED_SUFFIX.search(name)
            and not _NOT_PLACE.search(m.group(1))
            and "市" + m.group(3) in self.aliases
            and len(m.group(3)) >= 2
        ):
            return m.group(2) + self.aliases["市" + m.group(3)][1:]
        return None

    def split_unknown(self, piece: str) -> list[tuple[str, bool]]:
        """Split a run like "市发改委和市工信局" with the tokenizer; (name, known) pairs."""
        out: list[tuple[str, bool]] = []
        buf = ""
        for tok in self.tokenizer.lcut(piece, HMM=False):
            canon = self.canonical(tok)
            if canon is not None and len(tok) > 1:
                rest = buf.strip("和及与、等")
                # "太原" + "市生态环境局": a place name in front of a known unit.
                placed = self.canonical(rest + tok) if rest else None
                if placed is not None:
                    canon = placed
                elif rest:
                    out.append((rest, False))
                buf = ""
                out.append((canon, True))
            else:
                buf += tok
        if buf.strip("和及与、等"):
            out.append((buf.strip("和及与、等"), False))
        return out


def is_unit_list(content: str) -> bool:
    """Whether text is nothing but unit names ("省农业农村厅", "市商务局、市财政局")."""
    items = [clean_unit(u) for u in split_units(content, "、，, ")]
    return bool(items) and all(
        u and len(u) <= 20 and _UNIT_SUFFIX.search(_LEAD_MARK.sub("", u)) for u in items
    )


def looks_like_unit(name: str) -> bool:
    """Whether a name ends the way department names end (…局, …厅, …委员会, …政府)."""
    return bool(_UNIT_SUFFIX.search(name))


# "省交通运输厅等省直有关部门", "住房城乡建设部等国务院相关部门": X等… names X (and others
# the clause does not list). Not the 等 inside a word (高等学校).
_AND_OTHERS = re.compile(
    r"(?<=[^高平同中初上下优])等[^、，,；;]{0,16}(?:部门|单位|机构|机关|企业|地区)$"
)


def clean_unit(raw: str) -> str:
    """Strip list noise around a unit name: 各 prefix, trailing 等, quotes, spaces."""
    s = raw.strip(" \t\n“”\"'。：:")
    s = re.sub(r"^(?:由|请|各|以及|及|和|与)", "", s)
    s = re.sub(r"(?:等)+$", "", s)
    s = _AND_OTHERS.sub("", s)
    if s.startswith("各") and len(s) > 2:
        s = s[1:]
    return s.strip()


def split_top(s: str, seps: str = _SEPARATORS) -> list[str]:
    """Split at separators outside brackets, so "县（市、区）政府" stays whole."""
    parts: list[str] = []
    depth = 0
    cur = ""
    for ch in s:
        if ch in "（(【〔":
            depth += 1
        elif ch in "）)】〕":
            depth = max(0, depth - 1)
        if ch in seps and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


_ONE_LEVEL = r"(?:县级市|地级市|[省市州盟县区旗乡镇]|县（市）|区（市）|市（县）|乡镇|街道|街镇)"
_BARE_LEVEL = re.compile(rf"^各?(?:有关|相关)?{_ONE_LEVEL}(?:、{_ONE_LEVEL})*$")
# Statements of a convention inside a clause, not units: "排在第一位的部门为牵头部门，下同".
_CONVENTION = re.compile(r"第一位|列第一|列首位|为牵头|^下同$|^以下同$|^同上$")
_BARE_KIND = re.compile(r"^[委办局厅处室]$")
_SHARED_SUFFIX = re.compile(r"(?:人民政府|党委和政府|党委|政府|管委会)$")
_LOCAL_GOV = re.compile(
    r"^(?:有关|相关)?[省市州盟县区旗乡镇街道（）〔〕、]+(?:人民政府|政府|党委和政府|党委|管委会)$"
)
_AND = re.compile(r"(?<=[\u4e00-\u9fff）〕])(?:以及|和|及|与)(?=各?[\u4e00-\u9fff])")


def split_units(s: str, seps: str = "、 /") -> list[str]:
    """Split a unit list the way it is written.

    "各市、县〔区〕人民政府" is ONE unit, written as one phrase: bare levels before a
    government share its name. "省财政厅和各市、县〔区〕人民政府" is two: 和 splits when
    both sides are units, but not inside a name (中央和国家机关工委, 有关部门和单位).
    """
    items: list[str] = []
    for item in split_top(s, seps):
        items.extend(_split_and(item))
    out: list[str] = []
    for item in items:
        if out and _BARE_LEVEL.match(out[-1].strip()) and _joins_level(item):
            out[-1] = out[-1].strip() + "、" + item.strip()
        else:
            out.append(item)
    # "各委、办、局", "相关委、办、局": the kinds of department after the first name no
    # unit on their own; one collective phrase, like the levels before a government.
    kinds: list[str] = []
    for item in out:
        if kinds and _BARE_KIND.match(item.strip()):
            kinds[-1] = kinds[-1].strip() + "、" + item.strip()
        else:
            kinds.append(item)
    out = kinds
    # "各市、县" ... "政府" came as separate items: fold the bare levels into the next.
    merged: list[str] = []
    for item in reversed(out):
        if merged and _BARE_LEVEL.match(item.strip()) and _SHARED_SUFFIX.search(merged[-1]):
            merged[-1] = item.strip() + "、" + merged[-1].strip()
        else:
            merged.append(item)
    return list(reversed(merged))


def _joins_level(item: str) -> bool:
    s = item.strip()
    return bool(_BARE_LEVEL.match(s)) or (
        bool(_SHARED_SUFFIX.search(s)) and s[0] in _LEVELS and len(s) <= 14
    )


_GENERIC = re.compile(r"^(?:单位|部门|机构|企业|组织|机关|社会组织)$")


def _split_and(item: str) -> list[str]:
    parts: list[str] = []
    rest = item
    for m in reversed(list(_AND.finditer(item))):
        left, right = rest[: m.start()], rest[m.end() :]
        r = right.strip().lstrip("各")
        if _GENERIC.match(r):
            continue  # "有关部门和单位": one phrase; a bare "单位" names nobody
        if _UNIT_SUFFIX.search(left.strip()) and (
            _UNIT_SUFFIX.search(r) or _BARE_LEVEL.match(right.strip())
        ):
            parts.append(right)
            rest = left
    parts.append(rest)
    return list(reversed(parts))


# "A牵头负责、B组织落实": a role word ends its list even when a 、 follows it.
_ROLE_THEN_LIST = re.compile(r"(牵头负责|牵头|负责落实|负责|组织落实|组织实施|配合落实|配合)、")
# "A会同B负责", "A牵头会同B": A leads and B cooperates.
_TOGETHER = re.compile(r"(?<=[\u4e00-\u9fff）〕])(?:牵头)?(?:会同|联合|协同)(?=[\u4e00-\u9fff])")


def together(content: str) -> str:
    """Regularize a clause so one grammar reads every style.

    "A会同B负责" -> "A牵头，B负责"; "A牵头负责、B组织落实" -> "A牵头负责，B组织落实".
    """
    return _ROLE_THEN_LIST.sub(r"\1，", _TOGETHER.sub("牵头，", content))


_TIME_SEGMENT = re.compile(
    r"^(?:\d{4}\s*年|\d{1,2}\s*月|年底|年内|年中|长期|持续|常态化|\d{4}[-—~至到])"
)


def _is_time_segment(seg: str) -> bool:
    """ "6月底完成", "2024年底前完成", "长期坚持": when, not who."""
    return bool(_TIME_SEGMENT.match(seg)) and not _UNIT_SUFFIX.search(seg)


def looks_like_clause(content: str) -> bool:
    """Whether bracket content is a responsibility clause and not an aside like （含炼焦工序）."""
    content = together(content)
    if COUNTY_DECL.search(content):
        return True
    # A deadline may come first: "（6月底完成，牵头考核单位：A、B）".
    segments = [s.strip() for s in split_top(content, "，,；;。")]
    if any(_LABEL.match(s) for s in segments):
        return True
    first = [s for s in segments if s and not _is_time_segment(s)]
    if not first:
        return False
    head = _ROLE_SUFFIX.sub("", first[0].strip())
    if head == first[0].strip() and not re.search(r"牵头|配合|负责", content):
        return False
    units = [clean_unit(u) for u in split_units(head, "、 ")]
    return bool(units) and all(_UNIT_SUFFIX.search(_LEAD_MARK.sub("", u)) for u in units if u)


def is_clause_sentence(sentence: str) -> bool:
    """Whether a whole sentence is a responsibility clause: "市卫健委牵头，市医保局配合".

    Every part must be a list of units, and at least one part must name a role, so
    body text such as "市发展改革委加强统筹协调" is never taken for a clause.
    """
    if not _ROLE_SUFFIX.search(sentence):
        return False  # a clause sentence ends with its role: "…配合", "…负责"
    verbs = 0
    for seg in split_top(sentence, "，,；;"):
        seg = seg.strip()
        m = _ROLE_SUFFIX.search(seg)
        if m:
            verbs += 1
            seg = seg[: m.start()]
        units = [clean_unit(_LEAD_MARK.sub("", u)) for u in split_units(seg, "、 ")]
        if not units or not all(u and _UNIT_SUFFIX.search(u) for u in units):
            return False
    return verbs > 0


class UnitParser:
    """Parses responsibility clauses against one `UnitNames` table."""

    def __init__(self, names: UnitNames | None = None) -> None:
        self.names = names or UnitNames.load()

    def normalize_name(self, raw: str, warnings: list[str]) -> list[str]:
        """One raw list item -> canonical unit names (several if it was a concatenation).

        "市政府办公室（市金融办）" names two units; "市发改委市工信局" is split by the
        tokenizer; "市公安局交警支队" (a known unit and a sub-unit) stays one name.
        """
        name = clean_unit(raw)
        if not name:
            return []
        canon = self.names.canonical(name)
        if canon is not None:
            return [canon]
        if _LOCAL_GOV.match(name):
            return [name]  # "县（市）、区政府": local governments are kept as written
        inner = _ALSO_NAMED.match(name)
        if inner and self.names.canonical(clean_unit(inner.group(2))) is not None:
            return self.normalize_name(inner.group(1), warnings) + self.normalize_name(
                inner.group(2), warnings
            )
        if len(name) >= 6 and _JOINED.search(name):
            parts = self.names.split_unknown(name)
            separate = all(known or part[0] in "省市县区各" for part, known in parts)
            if any(known for _, known in parts) and len(parts) > 1 and separate:
                for part, known in parts:
                    if not known:
                        warnings.append(f"unknown unit kept verbatim: {part}")
                return [p for p, _ in parts]
        warnings.append(f"unknown unit kept verbatim: {name}")
        return [name]

    def county_units(self, content: str, warnings: list[str] | None = None) -> tuple[str, ...]:
        """Units of an "以下均需…配合落实，名单不再一一列出" declaration."""
        m = re.search(r"均(?:需|由|要|请)(.+?)(?:配合落实|配合|参与|落实)", content) or re.search(
            r"^(?:由)?([^，,；;]+?)(?:配合落实|配合|参与|落实)", content
        )
        if not m:
            return ()
        out: list[str] = []
        for item in split_units(m.group(1), "、，,"):
            out.extend(self.normalize_name(item, warnings if warnings is not None else []))
        return tuple(dict.fromkeys(out))

    def parse(self, content: str) -> Responsibility:
        """Parse one clause's content (without its outer brackets)."""
        warnings: list[str] = []
        leads: list[str] = []
        listed: list[str] = []  # 负责/责任单位 lists: first one leads
        coop: list[str] = []
        label_role: str | None = None
        for seg in split_top(_LABEL_INSIDE.sub("；", together(content)), "，,；;。"):
            seg = seg.strip()
            if not seg or COUNTY_DECL.search(seg) or _TIME_WORDS.search(seg):
                continue  # "…，2024年底前完成" inside a clause names no unit
            if _CONVENTION.search(seg):
                continue  # "…，2024年底前完成" inside a clause names no unit
            role = "list"
            label = _LABEL.match(seg)
            if label:
                tag = label.group(1)
                seg = seg[label.end() :]
                if re.search("牵头|主责|主办", tag):
                    role = "lead"
                elif re.search("责任|推进|实施|落实|督办", tag):
                    role = "list"
                else:
                    role = "coop"
                label_role = role
            m = _ROLE_SUFFIX.search(seg)
            if m:
                # A verb outranks a label: "责任单位：A牵头，B、C按职责分工负责".
                verb = m.group(0)
                seg = seg[: m.start()]
                if "牵头" in verb:
                    role = "lead"
                elif re.search(r"配合|参与|协助|协办", verb) or verb in ("落实", "抓好落实"):
                    role = "coop"
            elif not label and label_role is not None:
                # "配合单位：A、B，各区人民政府": the label governs the whole list.
                role = label_role
            for item in split_units(seg):
                marked = _LEAD_MARK.search(item.strip())
                names = self.normalize_name(_LEAD_MARK.sub("", item.strip()), warnings)
                if marked or role == "lead":
                    leads.extend(names)
                elif role == "coop":
                    coop.extend(names)
                else:
                    listed.extend(names)
        ordered = leads + listed + coop
        if not ordered:
            return Responsibility(None, (), tuple(warnings))
        lead = ordered[0]
        rest = [u for u in dict.fromkeys(ordered) if u != lead]
        return Responsibility(lead, tuple(rest), tuple(warnings))


def canonicalize(name: str, names: UnitNames | None = None) -> str:
    """Canonical spelling of a department name; unknown names come back cleaned, verbatim."""
    table = names or _default_names()
    cleaned = clean_unit(name)
    return table.canonical(cleaned) or cleaned


def is_known(name: str, names: UnitNames | None = None) -> bool:
    """Whether `name` is in the alias table (at any level)."""
    table = names or _default_names()
    return table.canonical(clean_unit(name)) is not None


@functools.cache
def _default_names() -> UnitNames:
    """The bundled table, loaded once; it is never mutated after loading."""
    return UnitNames.load()
