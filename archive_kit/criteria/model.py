"""The criteria model: a track's assessment scheme as a tree of dotted criterion codes.

Plain data with lookups (by code, by name, ancestors, descendants, default retention); it parses
nothing, so it imports neither YAML nor JSON Schema (``criteria.loader`` builds these objects).
"""
from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CADENCES", "METHODS", "Criterion", "Kind", "TrackSchema", "code_within", "natural_code_key", "normalize_code", "normalize_name",
           "one_line"]

# A criterion given as text: optional 第, a dotted code, an optional trailing dot, separators, a name.
_LEADING_CODE_RE = re.compile(r"第?([0-9]+(?:\.[0-9]+)*)\.?(?![0-9])[\s、,，:：;；\-_—–·)\]）】]*(.*)", re.S)
# A top-level criterion numbered the Chinese way: （二）名称 or 二、名称 (a delimiter is required,
# so names such as 三会一课 are never read as numbers).
_CN_NUMERAL_RE = re.compile(
    r"(?:[(（]([一二三四五六七八九十]{1,3})[)）]|第?([一二三四五六七八九十]{1,3})[、.,，:：])\s*(.*)", re.S
)
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


# How often a periodic criterion needs records, and the assessment methods (考评方法) schemes name.
CADENCES = ("monthly", "quarterly", "half-yearly", "yearly")
METHODS = ("材料审核", "实地考察", "问卷调查", "网上测评")


@dataclass(frozen=True)
class Kind:
    """One kind of recurring record under a criterion (e.g. 支委会 under 三会一课): how often it is
    due (``cadence``, one of ``CADENCES``), how many records each period needs, and the words
    (its name always among them) that make a document's title one of this kind."""

    name: str
    cadence: str
    per_period: int = 1
    keywords: tuple[str, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        """The name and the keywords, without repeats."""
        return tuple(dict.fromkeys((self.name,) + self.keywords))


@dataclass(frozen=True)
class Criterion:
    """One node of a track's assessment scheme; ``depth`` is 1 for a top-level criterion.

    ``cadence``/``per_period``/``kinds`` make it periodic (records due every month, quarter,
    half-year or year); ``standard`` (评分标准), ``basis`` (考评依据) and ``method`` (考评方法)
    describe how it is judged; ``veto`` (一票否决) marks a condition to confirm, not evidence to file.
    """

    code: str
    name: str
    keywords: tuple[str, ...] = ()
    retention: str | None = None
    points: float | None = None
    required: bool = False
    parent: str | None = None
    depth: int = 1
    line: int = field(default=0, compare=False)
    cadence: str | None = None
    per_period: int = 1
    kinds: tuple[Kind, ...] = ()
    standard: str | None = None
    basis: str | None = None
    method: tuple[str, ...] = ()
    veto: bool = False

    @property
    def periodic(self) -> bool:
        """Records are due per period (a cadence of its own, or kinds with theirs)."""
        return self.cadence is not None or bool(self.kinds)

    @property
    def label(self) -> str:
        """Code and name as people write them, e.g. ``2.3 志愿服务活动``."""
        return f"{self.code} {self.name}"


@dataclass(frozen=True)
class TrackSchema:
    """A track (campaign) and its criteria, flattened in tree order; ``source`` is the YAML text."""

    id: str
    name: str
    aliases: tuple[str, ...]
    code: str | None
    criteria: tuple[Criterion, ...]
    source: str
    source_name: str = ""
    description: str = ""
    class_name: str | None = None  # 机构（问题）name printed in the 归档章's sixth cell
    # (normalised id/name/alias, line) pairs, so a registry can name the line of a clash.
    key_lines: tuple[tuple[str, int], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        by_code: dict[str, Criterion] = {}
        kids: dict[str | None, list[Criterion]] = {}
        by_name: dict[str, list[Criterion]] = {}
        for crit in self.criteria:
            by_code.setdefault(crit.code, crit)
            kids.setdefault(crit.parent, []).append(crit)
            by_name.setdefault(normalize_name(crit.name), []).append(crit)
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_kids", kids)
        object.__setattr__(self, "_by_name", by_name)

    def criterion(self, code: str) -> Criterion | None:
        """The criterion with exactly this code (full-width digits and dots allowed), or None."""
        return self._by_code.get(normalize_code(code))  # type: ignore[attr-defined]

    def children(self, code: str) -> list[Criterion]:
        """The direct children of a criterion, in scheme order ([] for a leaf or unknown code)."""
        return list(self._kids.get(normalize_code(code), ()))  # type: ignore[attr-defined]

    def top_level(self) -> list[Criterion]:
        """The top-level criteria, in scheme order."""
        return list(self._kids.get(None, ()))  # type: ignore[attr-defined]

    def ancestors(self, code: str) -> list[str]:
        """Codes of a criterion's ancestors from the root down, not including itself."""
        crit = self.criterion(code)
        chain: list[str] = []
        while crit is not None and crit.parent is not None:
            chain.append(crit.parent)
            crit = self.criterion(crit.parent)
        return chain[::-1]

    def descendants(self, code: str) -> list[Criterion]:
        """All criteria below a criterion, in tree order, not including itself."""
        out: list[Criterion] = []
        stack = list(reversed(self.children(code)))
        while stack:
            crit = stack.pop()
            out.append(crit)
            stack.extend(reversed(self.children(crit.code)))
        return out

    def under_veto(self, code: str) -> bool:
        """The criterion or one of its ancestors is a veto condition (一票否决)."""
        crit = self.criterion(code)
        return crit is not None and any(c.veto for c in [crit, *map(self.criterion, self.ancestors(code))] if c)

    def default_retention(self, code: str) -> str | None:
        """A criterion's retention period, else its nearest ancestor's, else None."""
        crit = self.criterion(code)
        while crit is not None:
            if crit.retention:
                return crit.retention
            crit = self.criterion(crit.parent) if crit.parent is not None else None
        return None

    def resolve_criterion(self, text: str) -> Criterion | None:
        """Find a criterion from a folder part or an argument: ``2.3``, ``2.3 名称``, ``2.3、名称``,
        ``（二）名称`` (top level) or an exact criterion name; None when nothing matches clearly."""
        if not isinstance(text, str):
            return None
        value = unicodedata.normalize("NFKC", text).strip()
        if not value:
            return None
        by_name = self._by_name  # type: ignore[attr-defined]

        def named(candidate: str) -> Criterion | None:
            hits = by_name.get(normalize_name(candidate), []) if candidate else []
            return hits[0] if len(hits) == 1 else None

        found = named(value)
        if found is not None:
            return found
        match = _LEADING_CODE_RE.fullmatch(value.replace("。", "."))
        if match:
            code, rest = match.group(1), match.group(2).strip()
            if rest[:1].isdigit():  # "2-3", "2 3": not a code we can read with confidence
                return None
            return self.criterion(code) or named(rest)
        cn = _CN_NUMERAL_RE.fullmatch(value)
        if cn:
            number = _cn_number(cn.group(1) or cn.group(2))
            found = self.criterion(str(number)) if number is not None else None
            if found is not None and found.parent is None:
                return found
            return named(cn.group(3).strip())
        return None

    def keyword_index(self) -> dict[str, list[str]]:
        """Each keyword mapped to the codes of the criteria that list it (for auto-tagging)."""
        index: dict[str, list[str]] = {}
        for crit in self.criteria:
            for word in crit.keywords:
                index.setdefault(word, []).append(crit.code)
        return index


def natural_code_key(code: str) -> tuple[int, ...]:
    """Sort key for dotted codes: ``2`` < ``10`` and ``1.2`` < ``1.10``; a non-numeric part sorts
    after every number at its level (by its characters), so odd codes never raise."""
    text = unicodedata.normalize("NFKC", str(code)).strip()
    if not text:
        return ()
    key: list[int] = []
    parts = text.split(".")
    for i, part in enumerate(parts):
        if part.isascii() and part.isdigit():
            key.append(int(part))
            continue
        key.append(sys.maxsize)
        key.extend(ord(ch) for ch in ".".join(parts[i:]))
        break
    return tuple(key)


def code_within(code: str, ancestor: str) -> bool:
    """True when ``code`` is ``ancestor`` or below it (``2.3.1`` is within ``2``, ``20`` is not)."""
    code, ancestor = normalize_code(code), normalize_code(ancestor)
    return code == ancestor or code.startswith(ancestor + ".")


# --------------------------------------------------------------------------- normal forms


def normalize_name(value: str) -> str:
    """Comparison form of a name: NFKC, no whitespace, case-folded."""
    return "".join(unicodedata.normalize("NFKC", value).split()).casefold()


def normalize_code(code: Any) -> str:
    """Comparison form of a criterion code: NFKC (full-width digits), no whitespace, 。 as a dot."""
    if code is None:
        return ""
    return "".join(unicodedata.normalize("NFKC", str(code)).split()).replace("。", ".")


def _cn_number(text: str) -> int | None:
    """一..九十九 as an int, or None."""
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = _CN_DIGITS.get(tens, None) if tens else 1
        o = _CN_DIGITS.get(ones, None) if ones else 0
        return None if t is None or o is None else t * 10 + o
    return _CN_DIGITS.get(text) if len(text) == 1 else None


def one_line(text: str) -> str:
    """``text`` with its line breaks shown as ``\\r`` and ``\\n``, so an error stays one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")
