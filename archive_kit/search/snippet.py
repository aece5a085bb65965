"""Snippets: the best passage of a document with each match wrapped in 【】, and terminal colouring.

>>> t = parse("職工之家")
>>> make_snippet("标题\\x00a.pdf\\x00第一段。创建职工之\\n家的工作。", t)
'创建【职工之 家】的工作。'
"""
from __future__ import annotations

import re

from archive_kit.search.analysis import SEP, _CJK_AND_PUNCT, unfold_table
from archive_kit.search.query import Term, parse_query as parse

_CJKISH = re.compile(f"[{_CJK_AND_PUNCT}]")
_STOP = "。！？；!?;\n"
MAX_CHARS = 120


def term_pattern(folded: str) -> re.Pattern[str]:
    """A regex finding ``folded`` in unfolded stored text (variants, case, joined line breaks)."""
    table = unfold_table()
    parts: list[str] = []
    for i, ch in enumerate(folded):
        if ch == " ":
            parts.append(r"\s+")
            continue
        if i and _CJKISH.match(ch) and _CJKISH.match(folded[i - 1]):
            parts.append(r"\s*")
        parts.append("[" + "".join(re.escape(c) for c in table.get(ch, ch)) + "]")
    return re.compile("".join(parts))


def _spans(text: str, pats: list[re.Pattern[str]]) -> list[tuple[int, int, int]]:
    return sorted((m.start(), m.end(), k) for k, p in enumerate(pats) for m in p.finditer(text)
                  if m.end() > m.start())


def _mark(text: str, spans: list[tuple[int, int, int]], lo: int, hi: int) -> str:
    out, pos = [], lo
    for s, e, _ in spans:
        if s < pos or e > hi:
            continue
        out += [text[pos:s], "【", text[s:e], "】"]
        pos = e
    out.append(text[pos:hi])
    return re.sub(r"\s+", " ", "".join(out)).strip()


def make_snippet(stored: str, terms: list[Term]) -> str:
    """Best passage (most distinct terms, then earliest) of text, else title or file name."""
    pats = [term_pattern(t.folded) for t in terms]
    title, _, rest = stored.partition(SEP)
    file_name, _, text = rest.partition(SEP)
    spans = _spans(text, pats)
    if not spans:
        for field in (title, file_name):
            fs = _spans(field, pats)
            if fs:
                return _mark(field, fs, 0, len(field))
        return re.sub(r"\s+", " ", text[:MAX_CHARS]).strip()
    best: tuple[int, int, int] | None = None
    best_score = -1
    for s, e, _ in spans:
        lo = max(text.rfind(c, 0, s) for c in _STOP) + 1
        his = [i for i in (text.find(c, e) for c in _STOP) if i >= 0]
        hi = min(his) + 1 if his else len(text)
        found = {k for ss, ee, k in spans if ss >= lo and ee <= hi}
        if len(found) > best_score:
            best, best_score = (lo, hi, s), len(found)
    assert best is not None
    lo, hi, first = best
    if hi - lo > MAX_CHARS:
        lo = max(lo, first - MAX_CHARS // 3)
        hi = min(hi, lo + MAX_CHARS)
    return ("…" if lo > 0 and text[lo - 1] not in _STOP else "") + _mark(text, spans, lo, hi)


_MARKED = re.compile("【([^【】]*)】")


def split_marks(snippet: str, terms: list[Term]) -> list[tuple[str, bool]]:
    """``snippet`` as (text, is_match) parts. The innermost 【…】 pairs whose text a term matches
    whole are matches; any other 【】 is the document's own text (渝工发【2023】35号).

    >>> split_marks("渝工发【【2023】】35号，【通知】", parse("2023"))
    [('渝工发【', False), ('2023', True), ('】35号，【通知】', False)]
    """
    pats = [term_pattern(t.folded) for t in terms]
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in _MARKED.finditer(snippet):
        if m.group(1) and any(p.fullmatch(m.group(1)) for p in pats):
            parts += [(snippet[pos:m.start()], False), (m.group(1), True)]
            pos = m.end()
    parts.append((snippet[pos:], False))
    return [(text, hit) for text, hit in parts if text]


def highlight_terminal(snippet: str) -> str:
    """Turn 【…】 into ANSI bold yellow for a terminal."""
    return snippet.replace("【", "\x1b[1;33m").replace("】", "\x1b[0m")
