"""Text folding and the Whoosh field types of the search index.

Matching works on *folded* text: ``normalize_text`` output, traditional characters mapped one by
one to simplified, letters lower-cased (all length-preserving), whitespace between Chinese characters
removed and other whitespace runs collapsed to one space. Folding a substring of a text gives a
substring of the folded text, which is what makes n-gram search as complete as ``grep``.

>>> fold("職工 之\\n家 PDCA  Cycle")
'职工之家 pdca cycle'
>>> sorted(grams("abca"))[:4]
[b'a', b'ab', b'b', b'bc']

The field classes are module-level because Whoosh pickles the schema into the index.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from importlib import resources
from typing import Iterator

from whoosh import columns, fields, formats

from archive_kit.textnorm import CJK_CLASS

SEP = "\x00"          # joins title, file name and text in one field value; never in a query
MAX_GRAM = 2          # grams of 1..MAX_GRAM characters are indexed (exact lookup up to 2 characters)
_CJK_AND_PUNCT = CJK_CLASS + "\u3000-\u303f\uff00-\uffef"
_JOIN = re.compile(rf"(?<=[{_CJK_AND_PUNCT}])\s+(?=[{_CJK_AND_PUNCT}])")
_WS = re.compile(r"[^\S\x00]+")
_WORDLESS = re.compile(r"^[\W_]+$")


@lru_cache(maxsize=1)
def fold_table() -> dict[int, str]:
    """Character map: traditional -> simplified (OpenCC TSCharacters, first choice) and lower case."""
    table: dict[int, str] = {}
    text = resources.files("opencc").joinpath("dictionary/TSCharacters.txt").read_text("utf-8")
    for line in text.splitlines():
        trad, _, simp = line.partition("\t")
        simp = simp.split(" ")[0]
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            table[ord(trad)] = simp
    for code in range(0x10000):
        ch = chr(code)
        low = ch.lower()
        if low != ch and len(low) == 1 and code not in table:
            table[code] = low
    return table


@lru_cache(maxsize=1)
def unfold_table() -> dict[str, str]:
    """Folded character -> every character that folds to it (itself included), for highlighting."""
    rev: dict[str, set[str]] = {}
    for code, target in fold_table().items():
        rev.setdefault(target, {target}).add(chr(code))
    return {k: "".join(sorted(v)) for k, v in rev.items()}


def fold(text: str) -> str:
    """Fold already-normalised text for matching (see module docstring)."""
    text = text.translate(fold_table())
    return _WS.sub(" ", _JOIN.sub("", text))


def grams(folded: str) -> dict[bytes, int]:
    """Count every 1..MAX_GRAM character gram of ``folded`` that does not cross a SEP."""
    counts: Counter[str] = Counter()
    for part in folded.split(SEP):
        counts.update(part)
        if len(part) > 1:   # MAX_GRAM == 2: each character joined to the next
            counts.update(map(str.__add__, part, part[1:]))
    counts.pop(" ", None)
    return {k.encode("utf-8"): v for k, v in counts.items()}


def words(folded: str) -> dict[bytes, int]:
    """Count the words of ``folded`` as rjieba's search mode cuts them (ranking only)."""
    import rjieba

    counts: Counter[str] = Counter()
    for part in folded.split(SEP):
        counts.update(rjieba.cut_for_search(part))
    out: dict[bytes, int] = {}
    for w, n in counts.items():     # filter the distinct words, not every occurrence
        if w.strip() and not _WORDLESS.match(w):
            key = w.strip().encode("utf-8")
            out[key] = out.get(key, 0) + n
    return out


_last_fold: tuple[str, str] = ("", "")


def _cached_fold(value: str) -> str:
    """Fold with a one-entry cache: the writer asks for postings and column of one value in a row."""
    global _last_fold
    if _last_fold[0] is not value:
        _last_fold = (value, fold(value))
    return _last_fold[1]


def _postings(counts: dict[bytes, int]) -> Iterator[tuple[bytes, int, float, bytes]]:
    return ((term, n, float(n), b"") for term, n in counts.items())   # tf kept as block weight


class GramField(fields.FieldType):
    """Indexes 1..MAX_GRAM-character grams of the folded value; keeps the folded text as a column
    (exact substring verification) and the value itself as the stored field (snippets)."""

    def __init__(self) -> None:
        super().__init__(formats.Existence(), analyzer=None, stored=True, scorable=True)
        self.column_type = columns.VarBytesColumn()

    def index(self, value: str, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        return _postings(self.term_counts(value))

    def term_counts(self, value: str) -> dict[bytes, int]:
        """Term -> frequency (the weight); what ``index`` yields, for ArrayPostingWriter."""
        return grams(_cached_fold(value))

    def to_column_value(self, value: str) -> bytes:
        return _cached_fold(value).encode("utf-8")

    def process_text(self, qstring: str, mode: str = "", **kwargs: object) -> Iterator[str]:
        return iter([fold(qstring)])


class WordField(fields.FieldType):
    """Indexes rjieba search-mode words of the folded value (not stored; used for ranking)."""

    def __init__(self) -> None:
        super().__init__(formats.Existence(), analyzer=None, scorable=True)

    def index(self, value: str, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        return _postings(self.term_counts(value))

    def term_counts(self, value: str) -> dict[bytes, int]:
        """Term -> frequency (the weight); what ``index`` yields, for ArrayPostingWriter."""
        return words(_cached_fold(value))

    def process_text(self, qstring: str, mode: str = "", **kwargs: object) -> Iterator[str]:
        return iter([fold(qstring)])


class TagsField(fields.FieldType):
    """Indexes each element of a SEP-joined list of exact keys (tracks, criteria, year)."""

    def __init__(self) -> None:
        super().__init__(formats.Existence(), analyzer=None, scorable=True)

    def index(self, value: str, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        keys = {k for k in value.split(SEP) if k}
        return ((k.encode("utf-8"), 1, 1.0, b"") for k in keys)

    def process_text(self, qstring: str, mode: str = "", **kwargs: object) -> Iterator[str]:
        return iter([qstring])


def make_schema() -> fields.Schema:
    """The index schema: id, grams (+stored value, +folded column), words, filter keys."""
    return fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        content=GramField(),
        words=WordField(),
        tags=TagsField(),
    )
