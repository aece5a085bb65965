"""What reading an OFD yields: the document, its pages, and each page's display list.

Coordinates are the OFD's own: millimetres, origin at the page's top-left, y growing downwards.
Every drawn item carries the affine ``matrix`` that maps its own coordinate space onto the page
(the object's CTM, then its Boundary offset, then every enclosing composite or appearance).
"""
from __future__ import annotations

import datetime as _dt
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

# (a, b, c, d, e, f): (x, y) -> (a*x + c*y + e, b*x + d*y + f), as in OFD's CTM and PDF's cm
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
Color = tuple[float, float, float]  # RGB, each 0-255
# one path command: ("M", x, y), ("L", x, y), ("Q", x1, y1, x, y), ("B", x1, y1, x2, y2, x, y),
# ("A", rx, ry, angle, large_arc, sweep, x, y) or ("C",) to close the subpath
PathOp = tuple
# a clip region: the union of its areas, each a path (AbbreviatedData) with its matrix to the page;
# an object with several clip regions is drawn inside all of them
Clip = tuple[tuple[Matrix, str], ...]


def compose(first: Matrix, then: Matrix) -> Matrix:
    """The matrix that applies ``first`` and then ``then``."""
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = then
    return (a2 * a1 + c2 * b1, b2 * a1 + d2 * b1,
            a2 * c1 + c2 * d1, b2 * c1 + d2 * d1,
            a2 * e1 + c2 * f1 + e2, b2 * e1 + d2 * f1 + f2)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    """The point (x, y) mapped by ``m``."""
    return m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]


def translate(x: float, y: float) -> Matrix:
    """A pure translation."""
    return (1.0, 0.0, 0.0, 1.0, x, y)


def invert(m: Matrix) -> Matrix | None:
    """The matrix undoing ``m``, or None when ``m`` collapses the plane."""
    a, b, c, d, e, f = m
    det = a * d - b * c
    if abs(det) < 1e-12:
        return None
    return (d / det, -b / det, -c / det, a / det, (c * f - d * e) / det, (b * e - a * f) / det)


def determinant(m: Matrix) -> float:
    """The area scale of ``m``; near zero means the object collapses to a line (invisible)."""
    return m[0] * m[3] - m[1] * m[2]


@dataclass(frozen=True)
class FontRef:
    """A font resource: its names, style flags and, when the package embeds it, the member."""

    id: str
    name: str
    family: str = ""
    bold: bool = False
    italic: bool = False
    serif: bool = False
    fixed_width: bool = False
    member: str | None = None  # the embedded TrueType/OpenType file, if any
    package: str = ""          # "" for the document's package, else the key of a nested one (a seal's)


class Glyph(NamedTuple):
    """One character of a TextObject at its origin in the object's own space."""

    char: str
    x: float
    y: float
    gid: int | None = None  # its glyph in the embedded font, when the producer gave it (CGTransform)
    text: bool = True       # part of the page's text; False: only drawn (a duplicate, an annotation's
    #                         text, a private-use or control character that means nothing as text)
    advance: float = 0.0    # how far the next character of its TextCode starts along x (0: unknown)


@dataclass
class TextItem:
    """A TextObject: characters at origins in its own space, drawn through ``matrix``.

    After reading, ``glyphs`` are only those the page shows (off-page characters are gone), in
    the object's order; those whose ``text`` is False (overprinted duplicates, annotation text,
    private-use characters) are drawn but are not part of the page's text.
    """

    matrix: Matrix
    glyphs: list[Glyph]
    size: float
    font: FontRef | None = None
    hscale: float = 1.0
    fill: Color | None = (0.0, 0.0, 0.0)
    stroke: Color | None = None
    line_width: float = 0.353
    alpha: float = 1.0
    bold: bool = False
    italic: bool = False
    glyph_ids: bool = False  # the producer mapped characters to glyphs itself (CGTransform)
    direction: tuple[float, float] = (1.0, 0.0)  # (0, 1) for text set top to bottom
    annotation: bool = False  # part of an annotation's appearance: drawn, but not the page's text
    clips: tuple[Clip, ...] = ()  # applied to what is drawn as outlines (a pattern's cells)


@dataclass
class PathItem:
    """A PathObject: its AbbreviatedData (``data``, parsed on demand as ``ops``) in its own space,
    drawn through ``matrix``."""

    matrix: Matrix
    data: str
    fill: Color | None = None
    stroke: Color | None = (0.0, 0.0, 0.0)
    line_width: float = 0.353
    cap: str = "Butt"
    join: str = "Miter"
    miter_limit: float = 4.234
    dash: tuple[float, tuple[float, ...]] | None = None
    even_odd: bool = False
    alpha: float = 1.0
    clips: tuple[Clip, ...] = ()

    @functools.cached_property
    def ops(self) -> list[PathOp]:
        """The path's commands (reading does not need them, so they are parsed only for drawing)."""
        from .reader import parse_path

        return parse_path(self.data)


@dataclass
class ImageItem:
    """An ImageObject: the image fills the unit square of its own space, drawn through ``matrix``.
    Its bytes are ``member`` of the package ``package`` (see FontRef), or ``data`` itself (a seal's
    picture taken out of its signature)."""

    matrix: Matrix
    member: str  # the image's package member
    format: str  # JPEG, PNG, BMP, TIFF, GIF, JB2 or what the resource declares
    alpha: float = 1.0
    clips: tuple[Clip, ...] = ()
    package: str = ""
    data: bytes | None = field(default=None, repr=False)


Item = TextItem | PathItem | ImageItem


@dataclass
class OfdPage:
    """One page: its index (0-based), the PhysicalBox (x, y, width, height) in mm, what it draws
    (``items``, in painting order: templates, layers, annotations) and its text in reading order."""

    index: int
    page_id: str
    box: tuple[float, float, float, float]
    items: list[Item] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    @property
    def width(self) -> float:
        """Page width in mm."""
        return self.box[2]

    @property
    def height(self) -> float:
        """Page height in mm."""
        return self.box[3]

    @property
    def text(self) -> str:
        """The page's text: one line per baseline, top to bottom."""
        return "\n".join(self.lines)

    @property
    def images(self) -> list[ImageItem]:
        """The images the page places."""
        return [i for i in self.items if isinstance(i, ImageItem)]


@dataclass
class OfdDocument:
    """A read OFD: pages in order, DocInfo metadata, and what was wrong but tolerated (``warnings``)."""

    path: Path
    pages: list[OfdPage]
    metadata: dict[str, str] = field(default_factory=dict)
    custom_data: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # packages nested in this one (seals drawn as OFD inside signatures), by the key items name them with
    parts: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def page_count(self) -> int:
        """Number of pages."""
        return len(self.pages)

    @property
    def text(self) -> str:
        """All pages' text, pages separated by a form feed line (as the PDF extractor does)."""
        return "\n\f\n".join(p.text for p in self.pages).strip("\n\f")

    @property
    def title(self) -> str | None:
        """DocInfo's Title, when the producer wrote one."""
        return self.metadata.get("Title") or None

    @property
    def creation_date(self) -> _dt.date | None:
        """DocInfo's CreationDate as a date (``2020-07-23``, ``D:20220708…``, ``2020年07月23日``)."""
        return parse_ofd_date(self.metadata.get("CreationDate", ""))


def parse_ofd_date(value: str) -> _dt.date | None:
    """A DocInfo date in any of the forms producers write; None when it is not a real date."""
    import re

    from ..dates import parse_date

    s = value.strip()
    if s.upper().startswith("D:"):
        s = s[2:]
    m = re.match(r"(\d{4})-?(\d{2})-?(\d{2})", s)
    if m:
        return parse_date("-".join(m.groups()))
    return parse_date(s)


def unit_vector(x: float, y: float) -> tuple[float, float]:
    """(x, y) scaled to length 1 ((1, 0) for a zero vector)."""
    n = math.hypot(x, y)
    return (x / n, y / n) if n > 1e-12 else (1.0, 0.0)
