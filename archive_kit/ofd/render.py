"""Draw a read OFD into a PDF with fpdf2: one PDF page per OFD page, at its PhysicalBox size.

Everything is drawn in the OFD's painting order (templates, layers, annotations, seals), so what
covers what stays as in the document:
- paths: lines, rectangles, quadratic and cubic Béziers, elliptical arcs; stroke and fill with
  their colours (RGB, gray, CMYK), widths, caps, joins, dashes, fill rules and alpha; clip paths;
- images (JPEG, PNG, BMP, TIFF, GIF) placed by CTM and Boundary, with rectangular clips;
- text as real, selectable and searchable text: exactly the reader's text. A character is drawn
  in the document's embedded font when fpdf2 can embed it and it shows the glyph the OFD means
  (glyph indices given by CGTransform are written into the font's character map first); when the
  OFD names a glyph of an embedded font fpdf2 cannot use, that glyph's outline is drawn and the
  text laid over it invisibly; otherwise the CJK fallback font (``fonts.require_cjk_font``) draws
  it, squeezed to end where the next character starts;
- what is drawn but is not the page's text (overprinted duplicates, annotation, pattern and
  seal text, private-use characters) as glyph outlines, so the text layer stays the reader's;
- annotation appearances, tiling patterns (watermarks), and the seal pictures of signatures.

What is not drawn is listed in ``RENDER_LIMITS``.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import math
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ArchiveKitError, InputFileError
from ..fonts import require_cjk_font
from .model import (Clip, FontRef, Glyph, ImageItem, Matrix, OfdDocument, OfdPage, PathItem, PathOp, TextItem,
                    apply, compose, determinant, translate)
from .package import OfdPackage
from .reader import parse_path

if TYPE_CHECKING:
    from fpdf import FPDF

log = logging.getLogger(__name__)
logging.getLogger("fontTools").setLevel(logging.ERROR)  # it reports every odd table of a subset font

PT_PER_MM = 72 / 25.4
FALLBACK = "cjk"
RENDER_LIMITS = (
    "JBIG2 images (the QR codes of some e-invoices), and any image Pillow cannot decode, are skipped "
    "with a warning",
    "shadings (axial, radial, Gouraud) are filled with their first colour; blend modes are ignored",
    "text is never clipped; an image whose clip is not a rectangle is drawn unclipped (with a warning)",
    "characters no available font has (e.g. Thai or Tamil with only CJK fonts installed) are neither drawn "
    "nor in the text layer",
    "a seal is drawn only from a picture (PNG, JPEG, GIF, BMP, TIFF) or an OFD drawing in its signature; "
    "signatures are not verified",
    "ReadDirection/CharDirection rotation of single characters, ImageMask, outlines, bookmarks and actions "
    "are not carried into the PDF",
)
_PIL_FORMATS = {"JPEG", "PNG", "BMP", "TIFF", "GIF", "MPO"}


def _open_font(path: str) -> Any:
    """A fontTools font opened lazily: its glyphs are read only as they are drawn."""
    from fontTools.ttLib import TTFont

    return TTFont(path, fontNumber=0, lazy=True)  # the first face of a collection (.ttc)


@functools.lru_cache(maxsize=2)
def _fallback_font(path: str) -> Any:
    """The fallback font for outlines and widths, opened once per process."""
    return _open_font(path)


@functools.cache
def _pen_class() -> type:
    """A fontTools pen that records a glyph's outline as path commands (font units, y up); its
    base class splits TrueType quadratic splines into single quadratic segments."""
    from fontTools.pens.basePen import BasePen

    class RecordingPen(BasePen):
        def __init__(self, glyph_set: Any) -> None:
            super().__init__(glyph_set)
            self.ops: list[PathOp] = []

        def _moveTo(self, p: tuple[float, float]) -> None:
            self.ops.append(("M", *p))

        def _lineTo(self, p: tuple[float, float]) -> None:
            self.ops.append(("L", *p))

        def _curveToOne(self, p1: Any, p2: Any, p3: Any) -> None:
            self.ops.append(("B", *p1, *p2, *p3))

        def _qCurveToOne(self, p1: Any, p2: Any) -> None:
            self.ops.append(("Q", *p1, *p2))

        def _closePath(self) -> None:
            self.ops.append(("C",))

    return RecordingPen


class _Font:
    """A font the renderer draws with: a fontTools font (character map, widths, outlines) and, when
    text is drawn with it, an fpdf2 family.

    An embedded OFD font often has no usable character map: the producer names each character's
    glyph by index (CGTransform). Those pairings are learnt first (``learn``) and written into a
    copy of the font's character map before fpdf2 embeds it, so the text is real text drawn with
    the document's own glyphs. A character paired with two different glyphs is drawn as outlines.
    """

    def __init__(self, path: str, tt: Any, family: str | None = None) -> None:
        self.path = path
        self.tt = tt
        self.family = family       # the fpdf2 family, once registered (None: not usable as text)
        self.registered = family is not None
        self.cmap: dict[int, str] = dict(tt.getBestCmap() or {})
        self.added: dict[int, str] = {}
        self.conflicts: set[int] = set()
        self.upem = tt["head"].unitsPerEm or 1000
        self._names: list[str] | None = None
        self._outlines: dict[str, list[PathOp]] = {}

    def has(self, ch: str) -> bool:
        """True when the font maps ``ch`` to a glyph."""
        return ord(ch) in self.cmap

    def name_of(self, gid: int | None) -> str | None:
        """The name of the glyph with index ``gid``, or None."""
        if gid is None:
            return None
        if self._names is None:
            self._names = list(self.tt.getGlyphOrder())
        return self._names[gid] if 0 <= gid < len(self._names) else None

    def learn(self, glyphs: list[Glyph]) -> None:
        """Take the producer's character-to-glyph pairings into the character map."""
        for g in glyphs:
            name = self.name_of(g.gid) if g.text and not g.char.isspace() else None
            if name is None:
                continue
            code = ord(g.char)
            have = self.cmap.get(code)
            if have is None:
                self.cmap[code] = self.added[code] = name
            elif have != name:
                self.conflicts.add(code)

    def maps(self, glyph: Glyph) -> bool:
        """True when drawing ``glyph.char`` as text in this font shows the glyph the OFD means."""
        code = ord(glyph.char)
        if code not in self.cmap or code in self.conflicts:
            return False
        return glyph.gid is None or self.cmap[code] == self.name_of(glyph.gid)

    def register(self, pdf: FPDF, family: str, tmp: Path) -> str | None:
        """The fpdf2 family for drawing text with this font (its character map completed with what
        was learnt); None when fpdf2 cannot embed it."""
        if self.registered:
            return self.family
        self.registered = True
        path = self.path
        try:
            if self.added:  # a copy with the completed character map (and the tables fpdf2 needs)
                from fontTools.fontBuilder import FontBuilder
                from fontTools.ttLib import TTFont

                full = TTFont(self.path)
                builder = FontBuilder(font=full)
                builder.setupCharacterMap(dict(self.cmap))
                if "OS/2" not in full:
                    builder.setupOS2()
                if "post" not in full:
                    builder.setupPost()
                full["post"].formatType = 3.0  # no glyph names: they cost seconds to write and fpdf2 needs none
                if "name" not in full:
                    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
                path = str(tmp / f"{family}{Path(self.path).suffix}")
                full.save(path)
            pdf.add_font(family, "", path)
        except Exception:  # noqa: BLE001 - fpdf2 and fontTools refuse some subset fonts
            return None
        self.family = family
        return family

    def width(self, ch: str) -> float:
        """The character's advance in ems (0 when unmapped)."""
        name = self.cmap.get(ord(ch))
        try:
            return self.tt["hmtx"][name][0] / self.upem if name else 0.0
        except (KeyError, TypeError):
            return 0.0

    def outline(self, name: str) -> list[PathOp]:
        """A glyph's outline in font units (y up); empty when it cannot be read."""
        if name not in self._outlines:
            try:
                glyph_set = self.tt.getGlyphSet()
                pen = _pen_class()(glyph_set)
                glyph_set[name].draw(pen)
                self._outlines[name] = pen.ops
            except Exception:  # noqa: BLE001 - a broken glyph in an embedded font is not drawn
                self._outlines[name] = []
        return self._outlines[name]


class _Renderer:
    """One rendering of one document."""

    def __init__(self, doc: OfdDocument, packages: contextlib.ExitStack, tmp: Path, embedded: bool) -> None:
        from fpdf import FPDF

        self.doc = doc
        self.stack = packages
        self.packages: dict[str, OfdPackage] = {}
        self.tmp = tmp
        self.use_embedded = embedded
        self.warnings: list[str] = []
        self.pdf: FPDF = FPDF(unit="mm")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(0, 0, 0)
        self.pdf.c_margin = 0
        self.pdf.set_creator("archive-kit (OFD rendition)")
        if doc.title:
            self.pdf.set_title(doc.title)
        fallback = require_cjk_font("truetype")
        self.pdf.add_font(FALLBACK, "", str(fallback))
        self.fallback = _Font(str(fallback), _fallback_font(str(fallback)), FALLBACK)
        self.fonts: dict[str, _Font | None] = {}
        self.by_digest: dict[str, _Font | None] = {}
        self.images: dict[tuple[str, str, int], Any] = {}
        self.missing: set[str] = set()  # characters no font at hand can draw
        self.offset: Matrix = translate(0, 0)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def package(self, key: str) -> OfdPackage:
        """The document's package ("") or a package nested in it (a seal's), opened once."""
        if key not in self.packages:
            source = self.doc.parts[key] if key else self.doc.path
            self.packages[key] = self.stack.enter_context(OfdPackage(source, str(self.doc.path)))
        return self.packages[key]

    # --- fonts ---------------------------------------------------------------------------------

    def embedded(self, ref: FontRef | None) -> _Font | None:
        """The package's font file for ``ref``, opened with fontTools; None when there is none or
        it cannot be read (a TrueType or OpenType font is needed; bare CFF and Type 1 are not)."""
        if ref is None or ref.member is None or not self.use_embedded:
            return None
        key = f"{ref.package}:{ref.id}"
        if key in self.fonts:
            return self.fonts[key]
        font: _Font | None = None
        data = self.package(ref.package).read(ref.member)
        digest = hashlib.sha256(data).hexdigest()
        suffix = ".otf" if data[:4] == b"OTTO" else ".ttf" if data[:4] in (b"\x00\x01\x00\x00", b"true") else None
        if digest in self.by_digest:  # producers embed one font file under many IDs (one per page)
            font = self.by_digest[digest]
        elif suffix is not None:
            path = self.tmp / f"font_{len(self.fonts)}{suffix}"
            path.write_bytes(data)
            try:
                font = _Font(str(path), _open_font(str(path)))
            except Exception:  # noqa: BLE001 - fontTools raises anything on a broken font
                font = None
        if font is None:
            self.warn(f"embedded font {ref.name or ref.id} cannot be read; a substitute font is drawn")
        self.fonts[key] = self.by_digest[digest] = font
        return font

    # --- pages ---------------------------------------------------------------------------------

    def render(self) -> bytes:
        for page in self.doc.pages:  # first learn which glyph each embedded font's characters mean
            for item in page.items:
                if isinstance(item, TextItem):
                    font = self.embedded(item.font)
                    if font is not None:
                        font.learn(item.glyphs)
        for page in self.doc.pages:
            self.page(page)
        if self.missing:
            sample = "".join(sorted(self.missing)[:10])
            self.warn(f"{len(self.missing)} characters no installed font has are left out of the PDF ({sample})")
        return bytes(self.pdf.output())

    def page(self, page: OfdPage) -> None:
        x0, y0, w, h = page.box
        self.pdf.add_page(format=(w, h))
        self.offset = translate(-x0, -y0)
        for item in page.items:  # in painting order, so what covers what stays as in the OFD
            if isinstance(item, PathItem):
                self.path(item.ops, item, self.place(item.matrix))
            elif isinstance(item, ImageItem):
                self.image(item, page.index)
            elif isinstance(item, TextItem) and item.glyphs:
                self.text(item)

    def place(self, matrix: Matrix) -> Matrix:
        """A page matrix moved so the PhysicalBox's corner is the PDF page's corner."""
        return compose(matrix, self.offset)

    # --- paths ---------------------------------------------------------------------------------

    def path(self, ops: list[PathOp], item: PathItem, matrix: Matrix) -> None:
        """Draw path commands through ``matrix``, styled and clipped as ``item``."""
        from fpdf.drawing import DeviceRGB, GraphicsContext, PaintedPath
        from fpdf.drawing_primitives import Transform
        from fpdf.enums import PathPaintRule, StrokeCapStyle, StrokeJoinStyle

        if not ops or abs(determinant(matrix)) < 1e-12:
            return
        path = _build(ops, PaintedPath())
        path.transform = Transform(*matrix)
        style = path.style
        fill_color, stroke_color, alpha = item.fill, item.stroke, item.alpha
        style.stroke_width = max(item.line_width, 0.0)
        style.stroke_cap_style = {"Round": StrokeCapStyle.ROUND, "Square": StrokeCapStyle.SQUARE}.get(
            item.cap, StrokeCapStyle.BUTT)
        style.stroke_join_style = {"Round": StrokeJoinStyle.ROUND, "Bevel": StrokeJoinStyle.BEVEL}.get(
            item.join, StrokeJoinStyle.MITER)
        style.stroke_miter_limit = max(item.miter_limit, 1.0)
        if item.dash is not None:
            style.stroke_dash_phase = item.dash[0]
            style.stroke_dash_pattern = list(item.dash[1])
        even_odd = item.even_odd
        if fill_color is not None:
            style.fill_color = DeviceRGB(*(c / 255 for c in fill_color))
        if stroke_color is not None:
            style.stroke_color = DeviceRGB(*(c / 255 for c in stroke_color))
        if fill_color is not None and stroke_color is not None:
            style.paint_rule = PathPaintRule.STROKE_FILL_EVENODD if even_odd else PathPaintRule.STROKE_FILL_NONZERO
        elif fill_color is not None:
            style.paint_rule = PathPaintRule.FILL_EVENODD if even_odd else PathPaintRule.FILL_NONZERO
        elif stroke_color is not None:
            style.paint_rule = PathPaintRule.STROKE
        else:
            return
        if alpha < 1.0:
            style.fill_opacity = alpha
            style.stroke_opacity = alpha
        style.auto_close = False
        if not item.clips:
            self.pdf.draw_path(path, copy=False)
            return
        outer = GraphicsContext()
        inner = outer
        for clip in item.clips:  # nested clips: the path shows where all of them overlap
            clipping = self.clip_path(clip)
            if clipping is None:
                return
            context = GraphicsContext()
            context.clipping_path = clipping
            inner.add_item(context, clone=False)
            inner = context
        inner.add_item(path, clone=False)
        self.pdf.draw_path(outer, copy=False)

    def clip_path(self, clip: Clip) -> Any:
        """A clip region as an fpdf2 clipping path; None when it is empty. Its outlines are mapped
        to the page point by point (fpdf2 would leave a clipping path's own transform in force for
        the clipped path); affine maps keep lines and Béziers exact, an arc becomes its chord."""
        from fpdf.drawing import ClippingPath

        points: list[PathOp] = []
        for matrix, data in clip:
            m = self.place(matrix)
            if abs(determinant(m)) < 1e-12:
                continue
            for op in parse_path(data):
                if op[0] == "C":
                    points.append(op)
                    continue
                kind, coords = ("L", op[6:8]) if op[0] == "A" else (op[0], op[1:])
                mapped = [apply(m, coords[k], coords[k + 1]) for k in range(0, len(coords), 2)]
                points.append((kind, *[v for xy in mapped for v in xy]))
        return _build(points, ClippingPath()) if points else None

    def rect_clips(self, clips: tuple[Clip, ...]) -> list[tuple[float, float, float, float]] | None:
        """The clips as page rectangles (x, y, w, h) when each is one axis-aligned rectangle, else None."""
        rects = []
        for clip in clips:
            if len(clip) != 1:
                return None
            matrix, data = clip[0]
            m = self.place(matrix)
            pts = [apply(m, op[-2], op[-1]) for op in parse_path(data) if op[0] in ("M", "L")]
            xs = sorted({round(x, 3) for x, _ in pts})
            ys = sorted({round(y, 3) for _, y in pts})
            if len(pts) < 4 or len(xs) != 2 or len(ys) != 2:
                return None
            rects.append((xs[0], ys[0], xs[1] - xs[0], ys[1] - ys[0]))
        return rects

    # --- images --------------------------------------------------------------------------------

    def image(self, item: ImageItem, page_index: int) -> None:
        """Place an image in the unit square of its matrix; undecodable formats are skipped."""
        from fpdf.drawing_primitives import Transform

        where = f"page {page_index + 1}: image {item.member}"
        source = self.image_source(item, where)
        if source is None:
            return
        m = self.place(item.matrix)
        a, b, c, d, e, f = m
        rects = self.rect_clips(item.clips)
        if rects is None:
            rects = []
            self.warn(f"{where}: its clip path is not a rectangle; the image is drawn unclipped")
        with contextlib.ExitStack() as stack:
            for x, y, w, h in rects:
                stack.enter_context(self.pdf.rect_clip(x, y, w, h))
            if item.alpha < 1.0:
                stack.enter_context(self.pdf.local_context(fill_opacity=item.alpha))
            if abs(b) < 1e-9 and abs(c) < 1e-9 and a > 0 and d > 0:
                self.pdf.image(source, x=e, y=f, w=a, h=d)
            elif abs(determinant(m)) > 1e-12:
                # drawn as a 100 mm square (fpdf2 rounds positions), scaled back by the matrix
                with self.pdf.transform(Transform(a / 100, b / 100, c / 100, d / 100, e, f)):
                    self.pdf.image(source, x=0, y=0, w=100, h=100)

    def image_source(self, item: ImageItem, where: str) -> Any:
        """The image ready for fpdf2 (JPEG bytes as they are, anything else decoded by Pillow), or
        None (warned) when it cannot be drawn."""
        key = (item.package, item.member, id(item.data))
        if key in self.images:
            return self.images[key]
        from PIL import Image, UnidentifiedImageError

        source: Any = None
        if item.format == "JB2":
            self.warn(f"{where}: JBIG2 images are not drawn")
        else:
            try:
                data = item.data if item.data is not None else self.package(item.package).read(item.member)
                with Image.open(io.BytesIO(data)) as im:
                    if im.format not in _PIL_FORMATS:
                        raise UnidentifiedImageError(im.format)
                    if im.format == "JPEG" and im.mode in ("L", "RGB", "CMYK"):
                        source = io.BytesIO(data)
                    else:
                        im.seek(0)
                        frame = im.convert("RGBA") if im.mode in ("P", "PA", "LA", "RGBA", "I;16", "I", "F") else im.convert("RGB")
                        frame.load()
                        source = frame
            except ArchiveKitError:
                raise
            except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
                self.warn(f"{where} ({item.format}) cannot be decoded and is not drawn ({type(e).__name__})")
        self.images[key] = source
        return source

    # --- text ----------------------------------------------------------------------------------

    def text(self, item: TextItem) -> None:
        """A text object, character by character.

        A text character is drawn as real text: in the embedded font when that shows the glyph the
        OFD means and fpdf2 can embed it; else, when the OFD names a glyph of an embedded font
        fontTools can read, as that glyph's outline with the text laid over it invisibly; else in
        the fallback font, squeezed to end where the next character starts. Characters that are
        only drawn (duplicates, annotation text, private-use characters) become outlines.
        """
        embedded = self.embedded(item.font)
        family = (embedded.register(self.pdf, f"ofd-{item.font.package}-{item.font.id}", self.tmp)
                  if embedded and item.font else None)
        outline: list[PathOp] = []
        for glyph in item.glyphs:
            if glyph.char.isspace():
                if glyph.text:
                    self.glyph(item, glyph, self.fallback, 1.0, invisible=False)
                continue
            by_index = embedded is not None and embedded.name_of(glyph.gid) is not None
            if glyph.text and embedded is not None and family is not None and embedded.maps(glyph):
                self.glyph(item, glyph, embedded, 1.0, invisible=False)
                continue
            if by_index:
                source, name, squeeze = embedded, embedded.name_of(glyph.gid), 1.0  # type: ignore[union-attr]
            else:
                source = embedded if embedded is not None and embedded.has(glyph.char) and not glyph.text else self.fallback
                name, squeeze = source.cmap.get(ord(glyph.char)), self.squeeze(item, glyph, source)
            if glyph.text:
                self.glyph(item, glyph, self.fallback, squeeze, invisible=by_index)
                if not by_index:
                    continue
            if source is not None and name is not None:
                outline.extend(self.placed(source, name, glyph, item, squeeze))
        if outline and (item.fill is not None or item.stroke is not None):
            style = PathItem(item.matrix, "", item.fill, item.stroke, item.line_width, alpha=item.alpha, clips=item.clips)
            self.path(outline, style, self.place(item.matrix))

    @staticmethod
    def placed(font: _Font, name: str, glyph: Glyph, item: TextItem, squeeze: float) -> list[PathOp]:
        """A glyph's outline moved from font units (y up) to its place in the item's own space."""
        sx = item.size * item.hscale * squeeze / font.upem
        sy = item.size / font.upem
        return [(op[0], *[glyph.x + v * sx if k % 2 == 0 else glyph.y - v * sy for k, v in enumerate(op[1:])])
                for op in font.outline(name)]

    def squeeze(self, item: TextItem, glyph: Glyph, font: _Font) -> float:
        """How much narrower than the font draws it a character must be to end where the next
        character of its TextCode starts (1 when it fits or the next position is unknown)."""
        if glyph.advance <= 0 or item.direction != (1.0, 0.0):
            return 1.0
        width = font.width(glyph.char) * item.size * item.hscale
        return max(0.3, glyph.advance / width) if width > glyph.advance * 1.02 else 1.0

    def glyph(self, item: TextItem, glyph: Glyph, font: _Font, squeeze: float, invisible: bool) -> None:
        """One character of the text layer, at its place, in its font, size, colour and mode."""
        from fpdf.drawing_primitives import Transform
        from fpdf.enums import TextMode

        if not font.has(glyph.char):
            font = self.fallback
            if not font.has(glyph.char):
                self.missing.add(glyph.char)
                return
        pdf = self.pdf
        m = self.place(item.matrix)
        a, b, c, d, e, f = m
        if invisible or (item.fill is None and item.stroke is None):
            mode = TextMode.INVISIBLE
        elif item.fill is not None and item.stroke is not None:
            mode = TextMode.FILL_STROKE
        elif item.stroke is not None:
            mode = TextMode.STROKE
        else:
            mode = TextMode.FILL_STROKE if item.bold and font is self.fallback else TextMode.FILL
        colour = item.fill or item.stroke or (0.0, 0.0, 0.0)
        settings: dict[str, Any] = {"text_mode": mode, "text_color": tuple(int(round(v)) for v in colour)}
        if mode in (TextMode.STROKE, TextMode.FILL_STROKE):
            settings["draw_color"] = tuple(int(round(v)) for v in (item.stroke or colour))
            settings["line_width"] = item.line_width if item.stroke is not None else item.size * 0.025
        if item.alpha < 1.0:
            settings["fill_opacity"] = item.alpha
            settings["stroke_opacity"] = item.alpha
        axis_aligned = abs(b) < 1e-9 and abs(c) < 1e-9 and a > 0 and d > 0
        if axis_aligned:
            x, y = apply(m, glyph.x, glyph.y)
            size, stretch = item.size * d, item.hscale * a / d
        else:
            s = math.sqrt(abs(determinant(m)))
            x, y = glyph.x * s, glyph.y * s
            size, stretch = item.size * s, item.hscale
        if size <= 0:
            return
        settings["font_stretching"] = 100 * stretch * squeeze
        with pdf.local_context(**settings):
            pdf.set_font(font.family or FALLBACK, size=size * PT_PER_MM)
            if axis_aligned:
                pdf.text(x, y, glyph.char)
            else:
                with pdf.transform(Transform(a / s, b / s, c / s, d / s, e, f)):
                    pdf.text(x, y, glyph.char)


def _build(ops: list[PathOp], path: Any) -> Any:
    """Add path commands to an fpdf2 PaintedPath (or ClippingPath) and return it."""
    for op in ops:
        kind = op[0]
        if kind == "M":
            path.move_to(op[1], op[2])
        elif kind == "L":
            path.line_to(op[1], op[2])
        elif kind == "Q":
            path.quadratic_curve_to(op[1], op[2], op[3], op[4])
        elif kind == "B":
            path.curve_to(op[1], op[2], op[3], op[4], op[5], op[6])
        elif kind == "A":
            if op[1] > 0 and op[2] > 0:
                path.arc_to(op[1], op[2], op[3], op[4], op[5], op[6], op[7])
            else:
                path.line_to(op[6], op[7])
        elif kind == "C":
            path.close()
    return path


def render_pdf(doc: OfdDocument, warnings: list[str] | None = None) -> bytes:
    """The PDF of a read document. Embedded fonts are tried first; if fpdf2 fails on one of them
    while writing, the document is drawn again with the fallback font only. What could not be
    drawn is appended to ``warnings`` (and logged)."""
    name = str(doc.path)
    for embedded in (True, False):
        try:
            with contextlib.ExitStack() as packages, tempfile.TemporaryDirectory(prefix="archive-kit-ofd-") as tmp:
                renderer = _Renderer(doc, packages, Path(tmp), embedded)
                data = renderer.render()
        except ArchiveKitError:
            raise
        except Exception as e:  # noqa: BLE001 - fpdf2/fontTools raise anything on odd fonts and images
            if embedded:
                log.info("%s: drawing with embedded fonts failed (%s); retrying with the fallback font", name, e)
                continue
            raise InputFileError(name, f"OFD could not be drawn as PDF ({type(e).__name__}: {str(e)[:120]})") from None
        for message in renderer.warnings:
            log.info("%s: %s", name, message)
        if warnings is not None:
            warnings.extend(renderer.warnings)
        return data
    raise AssertionError("unreachable")

