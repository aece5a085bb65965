"""Query parsing: whitespace separates AND-ed terms, ``"…"`` quotes a phrase.

>>> [t.folded for t in parse_query('職工之家  "Annual  Report" 35号')]
['职工之家', 'annual report', '35号']
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from archive_kit.errors import UsageError
from archive_kit.search.analysis import MAX_GRAM, fold
from archive_kit.textnorm import normalize_text

_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Term:
    """One query term: the normalised text as typed and its folded form used for matching."""

    text: str
    folded: str
    phrase: bool = False

    @property
    def exact(self) -> bool:
        """True when the term is itself an indexed gram (looked up directly, no verification)."""
        return len(self.folded) <= MAX_GRAM

    def grams(self) -> list[bytes]:
        """The distinct MAX_GRAM-grams of a longer term (candidates before verification)."""
        f = self.folded
        found = {f[i:i + MAX_GRAM] for i in range(len(f) - MAX_GRAM + 1)}
        return [g.encode("utf-8") for g in sorted(found)]


def parse_query(q: str) -> list[Term]:
    """Split ``q`` into AND-ed terms; raise UsageError when nothing is left to search for."""
    terms: list[Term] = []
    for m in _TOKEN.finditer(q):
        phrase = m.group(1) is not None
        raw = normalize_text(m.group(1) if phrase else m.group(2)).strip()
        folded = fold(raw).strip()
        if folded:
            terms.append(Term(raw, folded, phrase))
    if not terms:
        raise UsageError("empty search query: give at least one word or \"phrase\"")
    return terms
