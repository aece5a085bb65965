"""Reading order for a page's characters.

OFD places every character at an exact position and says nothing about reading order: the
order of TextCode elements is whatever the producer wrote (a seal's characters on a circle come
last-to-first, a form's fields come in any order). So the text is rebuilt from geometry:

1. each character's origin, direction and size are mapped onto the page; characters that
   are invisible (a collapsed CTM), whose middle lies off the page, or that repeat the same
   character at (nearly) the same spot ("fake bold" overprinting, templates drawn twice) are
   dropped, and the text items keep only what is left, so the renderer draws the same text;
2. each character is linked to the character that follows it along its own baseline (the one
   found about one advance further along its direction): these chains are runs of text, and
   they follow curves, so characters set on a circle read in order;
3. straight runs of the same direction are grouped into lines by baseline, runs on one line
   ordered along it with a space where a gap separates them; a curved run is a line of its own;
4. lines are ordered top to bottom, then left to right.
"""
from __future__ import annotations

import bisect
import math
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from .model import Glyph, TextItem, apply, determinant, unit_vector

DUPLICATE_DISTANCE = 0.2  # same character closer than this many ems: an overprinted duplicate
MAX_LINK = 2.6            # a following character at most this many advances further along
MAX_DRIFT = 0.35          # ... and at most this many ems off the baseline
BASELINE_TOLERANCE = 0.35  # runs whose baselines differ by less (in ems) share a line
VERTICAL_GAP = 3.0        # runs of a non-horizontal direction further apart than this (ems) are separate lines
RUN_GAP = 0.5             # a run of text is cut where its next character starts more than this (ems) on
SPACE_GAP = 0.45          # a gap wider than this many ems between runs reads as a space
STRAIGHT = math.cos(math.radians(3))   # directions this close are the same direction
LINKABLE = math.cos(math.radians(40))  # a curve may turn this much from one character to the next


@dataclass
class _Glyph:
    char: str
    x: float          # origin on the page, mm
    y: float
    ux: float         # unit vector along the baseline
    uy: float
    size: float       # em size on the page, mm
    advance: float    # estimated advance along the baseline, mm
    item: int
    index: int


def _wide(ch: str) -> bool:
    """True for characters set on a full em (CJK, full-width forms)."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _page_glyphs(items: list[TextItem], box: tuple[float, float, float, float]) -> list[_Glyph]:
    """The characters that take part in the page's text, in painting order.

    Prunes every item's text characters to those on the page (an item whose CTM collapses draws
    nothing) and marks as drawn-only (``text`` False) the annotations' characters and the control
    and private-use characters, which mean nothing as text.
    """
    x0, y0, w, h = box
    out: list[_Glyph] = []
    for i, item in enumerate(items):
        m = item.matrix
        if abs(determinant(m)) < 1e-9 or item.size <= 0:
            item.glyphs = []
            continue
        dx, dy = item.direction
        ax, ay = m[0] * dx + m[2] * dy, m[1] * dx + m[3] * dy   # the direction on the page
        ux, uy = unit_vector(ax, ay)
        along = math.hypot(ax, ay)
        size = item.size * math.sqrt(abs(determinant(m)))
        kept: list[Glyph] = []
        for gl in item.glyphs:
            em = 1.0 if _wide(gl.char) else 0.55
            # the middle of the character's box, in its own space: half an advance on, a third of an em up
            cx, cy = apply(m, gl.x + dx * item.size * item.hscale * em / 2, gl.y + dy * item.size * em / 2 - 0.35 * item.size)
            is_text = not item.annotation and unicodedata.category(gl.char)[0] != "C"
            if is_text and not (x0 <= cx <= x0 + w and y0 <= cy <= y0 + h):
                continue  # text off the page is not the page's text (what is only drawn, the page edge cuts)
            kept.append(gl._replace(text=is_text))
            if is_text:
                px, py = apply(m, gl.x, gl.y)
                out.append(_Glyph(gl.char, px, py, ux, uy, size, item.size * item.hscale * along * em, i, len(kept) - 1))
        item.glyphs = kept
    return out


def _drop_duplicates(glyphs: list[_Glyph], items: list[TextItem]) -> list[_Glyph]:
    """Glyphs without the later copies of a character drawn again at (nearly) the same spot;
    the copies stay in their items, drawn only."""
    seen: dict[tuple[str, int, int], list[_Glyph]] = defaultdict(list)
    kept: list[_Glyph] = []
    for g in glyphs:
        if not g.char.isspace():
            cx, cy = math.floor(g.x / 2), math.floor(g.y / 2)  # 2 mm cells
            limit = min(DUPLICATE_DISTANCE * g.size, 2.0)
            if any(math.hypot(o.x - g.x, o.y - g.y) < limit
                   for ix in (cx - 1, cx, cx + 1) for iy in (cy - 1, cy, cy + 1)
                   for o in seen.get((g.char, ix, iy), ())):
                item = items[g.item]
                item.glyphs[g.index] = item.glyphs[g.index]._replace(text=False)
                continue
            seen[(g.char, cx, cy)].append(g)
        kept.append(g)
    return kept


def _follower(g: _Glyph, h: _Glyph, best: float) -> float | None:
    """How well ``h`` fits as the character after ``g`` (lower is better), or None.

    The next character of the same TextCode wins whenever it fits at all (the producer's own
    order), so two texts printed over each other are not woven together; otherwise the nearest
    character ahead on the baseline, of a similar size, does.
    """
    if g.ux * h.ux + g.uy * h.uy < LINKABLE or not 0.6 < h.size / g.size < 1.67:
        return None
    vx, vy = h.x - g.x, h.y - g.y
    t = vx * g.ux + vy * g.uy
    own = h.item == g.item and h.index == g.index + 1
    if t <= 0.1 * g.advance or (t >= best and not own):
        return None
    drift = abs(vx * g.uy - vy * g.ux)
    if drift > MAX_DRIFT * g.size:
        return None
    return -1.0 if own else t + 2 * drift


def _link(glyphs: list[_Glyph]) -> list[list[_Glyph]]:
    """Chains of glyphs, each glyph followed by the next one along its baseline.

    Horizontal glyphs (nearly all of them) search rows of glyphs sorted by x; the others
    search a grid around the stretch of page their follower may be on.
    """
    row_h, cell = 1.0, 3.0
    rows: dict[int, list[tuple[float, int]]] = defaultdict(list)
    grid: dict[tuple[int, int], list[int]] = defaultdict(list)
    for k, g in enumerate(glyphs):
        rows[math.floor(g.y / row_h)].append((g.x, k))
        grid[(math.floor(g.x / cell), math.floor(g.y / cell))].append(k)
    for row in rows.values():
        row.sort()
    row_x = {r: [x for x, _ in row] for r, row in rows.items()}
    best: dict[int, tuple[float, int]] = {}  # successor -> (score, predecessor)
    for k, g in enumerate(glyphs):
        reach = MAX_LINK * max(g.advance, 0.3 * g.size)
        band = MAX_DRIFT * g.size
        choice: tuple[float, int] | None = None
        limit = reach + 2 * band
        if g.ux > 0.9994:  # horizontal: the rows within the band, from just after g to the reach
            for r in range(math.floor((g.y - band) / row_h), math.floor((g.y + band) / row_h) + 1):
                row = rows.get(r)
                if not row:
                    continue
                i = bisect.bisect_right(row_x[r], g.x)
                while i < len(row) and row[i][0] <= g.x + reach:
                    n = row[i][1]
                    score = _follower(g, glyphs[n], limit if choice is None else choice[0])
                    if score is not None and n != k:
                        choice = (score, n)
                    i += 1
        else:  # the cells around the segment from g to where its follower may be
            ex, ey = g.x + g.ux * reach, g.y + g.uy * reach
            for ix in range(math.floor((min(g.x, ex) - band) / cell), math.floor((max(g.x, ex) + band) / cell) + 1):
                for iy in range(math.floor((min(g.y, ey) - band) / cell), math.floor((max(g.y, ey) + band) / cell) + 1):
                    for n in grid.get((ix, iy), ()):
                        score = _follower(g, glyphs[n], limit if choice is None else choice[0])
                        if score is not None and n != k:
                            choice = (score, n)
        if choice is not None:
            score, n = choice
            if n not in best or score < best[n][0]:
                best[n] = (score, k)
    successor = {k: n for n, (_, k) in best.items()}
    has_predecessor = set(successor.values())
    chains: list[list[_Glyph]] = []
    used: set[int] = set()
    starts = [k for k in range(len(glyphs)) if k not in has_predecessor] + list(range(len(glyphs)))
    for start in starts:
        chain: list[_Glyph] = []
        k: int | None = start
        while k is not None and k not in used:
            used.add(k)
            chain.append(glyphs[k])
            k = successor.get(k)
        if chain:
            chains.append(chain)
    return chains


@dataclass
class _Run:
    glyphs: list[_Glyph]
    ux: float
    uy: float
    straight: bool

    def along(self) -> float:
        """Where the run starts, measured along its direction."""
        g = self.glyphs[0]
        return g.x * self.ux + g.y * self.uy

    def across(self) -> float:
        """Its baseline's offset, measured across its direction."""
        g = self.glyphs[0]
        return g.y * self.ux - g.x * self.uy

    def end(self) -> float:
        """Where its last character ends, measured along its direction."""
        g = self.glyphs[-1]
        return g.x * self.ux + g.y * self.uy + g.advance

    def size(self) -> float:
        return max(g.size for g in self.glyphs)

    def text(self) -> str:
        out = [self.glyphs[0].char]
        for a, b in zip(self.glyphs, self.glyphs[1:]):
            if _gap(a, b) > SPACE_GAP * a.size and not a.char.isspace() and not b.char.isspace():
                out.append(" ")
            out.append(b.char)
        return "".join(out)


def _gap(a: _Glyph, b: _Glyph) -> float:
    """The empty space between glyph ``a``'s estimated end and ``b``'s start, along ``a``'s baseline."""
    return (b.x - a.x) * a.ux + (b.y - a.y) * a.uy - a.advance


def _runs(chains: list[list[_Glyph]]) -> list[_Run]:
    """Chains as runs, straight when all their characters share one direction. A straight chain
    is cut where it leaps (a TextCode spaced over other text, as in "2024 年 11 月"), so the line
    can set the pieces in between in order."""
    runs = []
    for chain in chains:
        first = chain[0]
        if not all(g.ux * first.ux + g.uy * first.uy >= STRAIGHT for g in chain):
            ux, uy = unit_vector(chain[-1].x - first.x, chain[-1].y - first.y)  # a curve reads along its chord
            runs.append(_Run(chain, ux, uy, False))
            continue
        pieces: list[list[_Glyph]] = [[first]]
        for a, b in zip(chain, chain[1:]):
            if _gap(a, b) > RUN_GAP * a.size:
                pieces.append([])
            pieces[-1].append(b)
        for piece in pieces:
            runs.extend(_Run(part, first.ux, first.uy, True) for part in _split_padding(piece))
    return runs


def _split_padding(glyphs: list[_Glyph]) -> list[list[_Glyph]]:
    """A run cut where two or more spaces pad out places for other text ("2024      11"), the
    padding dropped; single spaces between words stay."""
    parts: list[list[_Glyph]] = [[]]
    i = 0
    while i < len(glyphs):
        j = i
        while j < len(glyphs) and glyphs[j].char.isspace():
            j += 1
        if j - i >= 2:
            parts.append([])
            i = j
            continue
        parts[-1].extend(glyphs[i:max(j, i + 1)])
        i = max(j, i + 1)
    return [p for p in parts if any(not g.char.isspace() for g in p)]


Line = tuple[float, float, str]  # top, left, text


def _lines(runs: list[_Run]) -> list[Line]:
    """Every line: straight runs grouped by direction and baseline; curved runs alone."""
    out: list[Line] = []
    groups: list[list[_Run]] = []
    for run in runs:
        if not run.straight:
            out.append(_line_text([run]))
            continue
        for group in groups:
            if group[0].ux * run.ux + group[0].uy * run.uy >= STRAIGHT:
                group.append(run)
                break
        else:
            groups.append([run])
    for group in groups:
        # horizontal runs on one baseline form a line however far apart (a form's row); runs
        # of any other direction only when close (two vertical labels in one column stay apart)
        horizontal = group[0].ux > STRAIGHT
        group.sort(key=lambda r: (r.across(), r.along()))
        line: list[_Run] = []
        for run in group:
            if line and (run.across() - line[0].across() > BASELINE_TOLERANCE * min(run.size(), line[0].size())
                         or not horizontal and run.along() - line[-1].end() > VERTICAL_GAP * run.size()):
                out.append(_line_text(line))
                line = []
            line.append(run)
        if line:
            out.append(_line_text(line))
    out.sort(key=lambda t: (round(t[0], 1), t[1]))
    return out


def _line_text(line: list[_Run]) -> Line:
    """One line: its runs in order along it, a space across wide gaps."""
    line.sort(key=lambda r: r.along())
    parts = [line[0].text()]
    for a, b in zip(line, line[1:]):
        if b.along() - a.end() > SPACE_GAP * min(a.size(), b.size()):
            parts.append(" ")
        parts.append(b.text())
    text = " ".join("".join(parts).split())
    glyphs = [g for r in line for g in r.glyphs]
    return (min(g.y for g in glyphs), min(g.x for g in glyphs), text)


def read_lines(items: list[TextItem], box: tuple[float, float, float, float]) -> list[str]:
    """The page's text lines in reading order.

    Also settles what each item draws: off-page characters are removed, and characters that are
    not part of the text (duplicates, annotations, private-use) are marked ``text=False``.
    """
    glyphs = _drop_duplicates(_page_glyphs(items, box), items)
    return [line[2] for line in _lines(_runs(_link(glyphs))) if line[2]]
