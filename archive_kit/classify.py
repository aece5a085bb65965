"""The content classifier: which track and criterion a document's own words point at, if any.

Ingest asks it only when no flag, manifest or folder decided the criterion; what it returns is a
proposal (``review`` lists it until a person confirms it). It must file real evidence right and
leave alone the many documents that are nobody's evidence, so it is built to be conservative:

- Text is folded before matching: traditional characters to simplified, letters lower-cased, and
  every punctuation mark, quote and space removed, so “三·八” reads as 三八.
- A keyword matches by its meaning-bearing parts (rjieba words, long ones halved), in order, each
  within a few characters of the previous one, with a few interchangeable words (技能/技术,
  比赛/竞赛): 消防演练 finds 消防应急疏散演练, 技术比武 finds 技能比武, 职工生日 finds 集体生日会
  of 教职工, 三八妇女节 finds 三八国际劳动妇女节. A match of parts counts a little less than the
  keyword itself.
- Term frequency saturates and long documents need more evidence (BM25's tf and length
  normalisation): a phrase repeated through a set of rules does not make it evidence, nor do a
  few words scattered over a 30-page budget.
- A keyword several criteria share counts for each only by its share (党风廉政 is in two tracks).
- The title weighs three times the body; the track's name and aliases (职工之家, 文明单位) add to
  the criteria of that track that have evidence of their own.
- A parent's keywords count half for each child; the most specific criterion that clearly wins is
  proposed. When two criteria of one track are close, their common parent (or the track alone) is
  proposed; when two tracks are close and neither track as a whole clearly leads, nothing is.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

from .criteria.model import Criterion, TrackSchema

__all__ = ["ContentMatch", "classify", "score_criteria"]

TITLE_WEIGHT = 3.0
MIN_SCORE = 1.5          # a proposal needs this much evidence: one keyword in a short record's body
WIN_RATIO = 1.5          # ... and this many times its best rival outside its own line
PART_MATCH = 0.8         # a match of parts (or of a variant) counts this much of the keyword itself
PARENT_SHARE = 0.5       # a parent's evidence counts this much for each child
TRACK_NAME_SHARE = 1.0   # a track's name or alias counts this much for each criterion with evidence
MAX_GAP = 4              # characters allowed between two parts of a keyword
BODY_CHARS = 200_000
# BM25 term-frequency saturation and length normalisation (length in folded characters)
K1, B, AVG_CHARS = 1.2, 0.75, 1000.0
# interchangeable words inside keywords: a keyword part also matches its variants
VARIANTS: dict[str, tuple[str, ...]] = {
    "技术": ("技能",), "技能": ("技术",),
    "比武": ("比赛", "竞赛"), "竞赛": ("比赛", "比武"), "比赛": ("竞赛",),
    "演练": ("演习",), "演习": ("演练",),
    "慰问": ("看望",), "职工": ("员工", "教职工"),
}
_BARRIER = "|"   # what sentence-ending punctuation becomes: parts of one keyword never span it
_SENTENCE_END = re.compile(r"[。！？!?；;\n\f]+")
_NOT_WORD = re.compile(rf"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff{re.escape(_BARRIER)}]+")


@dataclass(frozen=True)
class ContentMatch:
    """A content proposal: the track, the most specific criterion that clearly fits (or None), and
    the evidence score behind it."""

    track: str
    criterion: str | None
    score: float


@lru_cache(maxsize=1)
def _variant_table() -> dict[int, str]:
    from .search.analysis import fold_table  # traditional -> simplified, the index's own table

    return fold_table()


def fold(text: str) -> str:
    """Text as the classifier matches it: NFKC, simplified characters, lower case, sentence ends as
    barriers, every other mark and space removed."""
    text = unicodedata.normalize("NFKC", text).translate(_variant_table())
    return _NOT_WORD.sub("", _SENTENCE_END.sub(_BARRIER, text))


@lru_cache(maxsize=4096)
def _parts(term: str) -> tuple[str, ...]:
    """The meaning-bearing parts of a folded keyword: rjieba words, words of four or more characters
    halved (三八妇女节 -> 三八 妇女节), single characters kept with their neighbour."""
    import rjieba

    parts: list[str] = []
    for word in rjieba.cut(term):
        if len(word) >= 4:
            parts += [word[:2], word[2:]]
        elif len(word) == 1 and parts:
            parts[-1] += word
        else:
            parts.append(word)
    if len(parts) > 1 and len(parts[0]) == 1:
        parts[:2] = [parts[0] + parts[1]]
    return tuple(parts)


@lru_cache(maxsize=4096)
def _pattern(term: str) -> re.Pattern[str]:
    """Parts in order, each at most ``MAX_GAP`` characters (no sentence end) after the previous one."""
    alts = ["(?:" + "|".join(map(re.escape, (p, *VARIANTS.get(p, ())))) + ")" for p in _parts(term)]
    return re.compile(f"[^{re.escape(_BARRIER)}]{{0,{MAX_GAP}}}?".join(alts))


def _matches(term: str, text: str) -> float:
    """How often ``term`` occurs in folded ``text``: exact occurrences count 1, part matches less."""
    parts = _parts(term)
    if not any(p in text for p in (parts[0], *VARIANTS.get(parts[0], ()))):
        return 0.0
    exact = text.count(term)
    loose = len(_pattern(term).findall(text)) if len(parts) > 1 or parts[0] in VARIANTS else 0
    return exact + PART_MATCH * max(0, loose - exact)


def _saturate(tf: float, length: int) -> float:
    if tf <= 0:
        return 0.0
    norm = 1 - B + B * max(length, 1) / AVG_CHARS
    return tf * (K1 + 1) / (tf + K1 * norm)


def _terms(crit: Criterion) -> set[str]:
    terms = {fold(k) for k in crit.keywords}
    if len(crit.name) >= 2:
        terms.add(fold(crit.name))
    return {t for t in terms if t}


@dataclass(frozen=True)
class _Node:
    track: str
    code: str
    terms: tuple[tuple[str, int], ...]   # (term, how many criteria share it)
    ancestors: tuple[str, ...]


@dataclass(frozen=True)
class _Model:
    """What scoring needs from a set of schemas, computed once per set."""

    nodes: tuple[_Node, ...]
    names: tuple[tuple[str, tuple[str, ...]], ...]   # (track, folded name and aliases of 3+ characters)
    terms: tuple[str, ...]                          # every term, once


@lru_cache(maxsize=8)
def _model(schemas: tuple[TrackSchema, ...]) -> _Model:
    """Criteria with their terms and, per term, how many criteria (of any track) have a term
    containing it or contained in it: a shared keyword counts for each only by its share."""
    by_crit = [(s, c, _terms(c)) for s in schemas for c in s.criteria]
    every = set().union(*(t for _s, _c, t in by_crit)) if by_crit else set()
    shares = {t: sum(1 for _s, _c, terms in by_crit if any(t in u or u in t for u in terms)) for t in every}
    nodes = tuple(_Node(s.id, c.code, tuple(sorted((t, shares[t]) for t in terms)), tuple(s.ancestors(c.code)))
                  for s, c, terms in by_crit)
    names = tuple((s.id, tuple(sorted({fold(n) for n in (s.name, *s.aliases) if len(n) >= 3}))) for s in schemas)
    return _Model(nodes, names, tuple(sorted(every | {n for _t, ns in names for n in ns})))


def _evidence(term: str, title: str, body: str) -> float:
    """A term's evidence: in the title (weighted, once is enough) and in the body (saturated)."""
    return TITLE_WEIGHT * min(_matches(term, title), 1.0) + _saturate(_matches(term, body), len(body))


def score_criteria(text: str, title: str, schemas: Iterable[TrackSchema]) -> list[tuple[float, str, str]]:
    """Every criterion with evidence: (score, track id, code), best first.

    A criterion's score is its own terms' evidence (each divided by how many criteria share it),
    half its ancestors' own evidence, and, when it has evidence, its track's name evidence.
    """
    model = _model(tuple(schemas))
    body, head = fold(text[:BODY_CHARS]), fold(title or "")
    evidence = {t: _evidence(t, head, body) for t in model.terms}
    bonus = {track: TRACK_NAME_SHARE * sum(evidence[n] for n in names) for track, names in model.names}
    own = {(n.track, n.code): sum(evidence[t] / share for t, share in n.terms) for n in model.nodes}
    out = []
    for n in model.nodes:
        score = own[(n.track, n.code)] + PARENT_SHARE * sum(own[(n.track, a)] for a in n.ancestors)
        if score > 0:
            out.append((round(score + bonus[n.track], 4), n.track, n.code))
    out.sort(key=lambda s: -s[0])
    return out


def _same_line(a: str, b: str) -> bool:
    """True when one code is the other or its ancestor."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _common_parent(a: str, b: str) -> str | None:
    """The deepest code both codes descend from, or None (different top-level criteria)."""
    pa, pb = a.split("."), b.split(".")
    n = 0
    while n < min(len(pa), len(pb)) and pa[n] == pb[n]:
        n += 1
    return ".".join(pa[:n]) or None


def classify(text: str, title: str, schemas: Iterable[TrackSchema]) -> ContentMatch | None:
    """The track and criterion the content clearly points at, or None.

    The best leaf needs ``MIN_SCORE`` and ``WIN_RATIO`` times its best rival outside its own line.
    A close rival of the same track gives their common parent (or the track alone); a close rival
    of another track gives nothing unless the best track's total evidence is ``WIN_RATIO`` times
    every other track's.
    """
    schemas = list(schemas)
    leaves = {(s.id, c.code) for s in schemas for c in s.criteria if not s.children(c.code)}
    scores = [(sc, t, c) for sc, t, c in score_criteria(text, title, schemas) if (t, c) in leaves]
    if not scores or scores[0][0] < MIN_SCORE:
        return None
    best, track, code = scores[0]
    rivals = [(s, t, c) for s, t, c in scores[1:] if not (t == track and _same_line(c, code))]
    if not rivals or best >= WIN_RATIO * rivals[0][0]:
        return ContentMatch(track, code, best)
    totals: dict[str, float] = {}
    for s, t, _c in scores:
        totals[t] = totals.get(t, 0.0) + s
    other_tracks = [v for t, v in totals.items() if t != track]
    if other_tracks and totals[track] < WIN_RATIO * max(other_tracks):
        return None
    same = [c for s, t, c in rivals if t == track and s * WIN_RATIO > best]
    parent = code
    for c in same:
        parent = _common_parent(parent, c) if parent else None
    return ContentMatch(track, parent, best)
