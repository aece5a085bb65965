"""Read an OFD package into an ``OfdDocument``: metadata, pages in order, each page's display
list (templates, layers, page blocks, composite objects, annotation appearances) and its text.

The structure followed (GB/T 33190-2016): ``OFD.xml`` → ``DocBody`` (``DocInfo``, ``DocRoot``)
→ ``Document.xml`` (``CommonData``: page area, resources, template pages; ``Pages``;
``Annotations``) → each page's ``Content.xml`` (``Template``, ``PageRes``, ``Area``,
``Content``/``Layer``). Resources (fonts, images, draw parameters, colour spaces, composite
units) are referenced by ID; their files by paths relative to the resource file's ``BaseLoc``.

What is wrong but survivable (a missing image, font or template, an undefined resource, a
bad number) becomes a warning; what makes the document unreadable (no OFD.xml or Document.xml,
a missing page, hostile XML, a reference leaving the package, too much of anything) raises
``InputFileError`` with a one-line reason.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element

from ..errors import InputFileError
from .layout import read_lines
from .model import (IDENTITY, Clip, Color, FontRef, Glyph, ImageItem, Item, Matrix, OfdDocument, OfdPage, PathItem,
                    PathOp, TextItem, apply, compose, invert, translate)
from .package import OfdPackage, folder, local_name
from .seal import seal_picture

MAX_PAGES = 10_000
MAX_DEPTH = 24                  # page blocks, composite units and templates inside one another
MAX_PAGE_ITEMS = 300_000        # objects drawn on one page, composite expansions included
MAX_GLYPHS_PER_CODE = 100_000
MAX_PATTERN_TILES = 2_000
MAX_SEAL_BYTES = 16 * 1024 * 1024   # a signature's data, where its seal picture is
A4: tuple[float, float, float, float] = (0.0, 0.0, 210.0, 297.0)
DEFAULT_LINE_WIDTH = 0.353      # mm, the standard's default
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PATH_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_PATH_ARITY = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}
_IMAGE_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "bmp": "BMP", "tif": "TIFF", "tiff": "TIFF",
                  "gif": "GIF", "jb2": "JB2", "jbig2": "JB2", "gbig2": "JB2"}


def children(el: Element, name: str) -> list[Element]:
    """Direct children called ``name`` (any namespace)."""
    return [c for c in el if local_name(c.tag) == name]


def child(el: Element | None, name: str) -> Element | None:
    """The first direct child called ``name`` (any namespace), or None."""
    if el is None:
        return None
    for c in el:
        if local_name(c.tag) == name:
            return c
    return None


def child_text(el: Element | None, name: str) -> str:
    """The stripped text of the first child called ``name``, or ''."""
    c = child(el, name)
    return (c.text or "").strip() if c is not None else ""


def numbers(text: str | None) -> list[float]:
    """Every number in an OFD number list ("0 0 210 297", tolerant of commas and stray text)."""
    return [float(n) for n in _NUMBER.findall(text or "")]


def deltas(text: str | None, count: int) -> list[float]:
    """A DeltaX/DeltaY list expanded ("g 3 1.5" is three times 1.5) to ``count`` values; missing
    values repeat the last one given, none at all means no offset."""
    out: list[float] = []
    tokens = (text or "").replace(",", " ").split()
    i = 0
    while i < len(tokens) and len(out) < count:
        if tokens[i] == "g" and i + 2 < len(tokens):
            try:
                n, v = int(float(tokens[i + 1])), float(tokens[i + 2])
            except ValueError:
                break
            out.extend([v] * max(0, min(n, count - len(out))))
            i += 3
            continue
        try:
            out.append(float(tokens[i]))
        except ValueError:
            break
        i += 1
    fill = out[-1] if out else 0.0
    return out + [fill] * (count - len(out))


def parse_path(data: str) -> list[PathOp]:
    """AbbreviatedData as path commands; ``S`` (start) reads as ``M``; stops at the first bad command."""
    ops: list[PathOp] = []
    tokens = _PATH_TOKEN.findall(data or "")
    i = 0
    while i < len(tokens):
        op = tokens[i].upper()
        arity = _PATH_ARITY.get(op)
        if arity is None:
            break
        args = tokens[i + 1:i + 1 + arity]
        if len(args) < arity or any(a.isalpha() for a in args):
            break
        values = [float(a) for a in args]
        if op == "A":
            values[3], values[4] = bool(values[3]), bool(values[4])
        ops.append(("M" if op == "S" else op, *values))
        i += 1 + arity
    return ops


def _clusters(text_el: Element) -> tuple[dict[int, tuple[int, int]], dict[int, int]]:
    """A TextObject's CGTransforms: the clusters (first character -> (characters, glyphs)) of the
    ligatures and split characters, whose positions count glyphs, not characters; and the glyph
    index each one-to-one mapped character is drawn with."""
    clusters: dict[int, tuple[int, int]] = {}
    gids: dict[int, int] = {}
    for cg in children(text_el, "CGTransform"):
        pos, chars, count = (int(_float(cg, n, d)) for n, d in (("CodePosition", -1), ("CodeCount", 1), ("GlyphCount", 1)))
        if pos < 0 or chars < 1 or count < 1:
            continue
        if chars != count:
            clusters[pos] = (chars, count)
        else:
            for k, gid in enumerate(numbers(child_text(cg, "Glyphs"))[:chars]):
                gids[pos + k] = int(gid)
    return clusters, gids


def _glyph_count(chars: int, clusters: dict[int, tuple[int, int]]) -> int:
    """How many glyphs ``chars`` characters are drawn with, given the CGTransform clusters."""
    count = i = 0
    while i < chars:
        cluster_chars, glyphs = clusters.get(i, (1, 1))
        count += glyphs
        i += cluster_chars
    return count


def _flag(el: Element, name: str, default: bool) -> bool:
    value = el.get(name)
    return default if value is None else value.strip().lower() in ("true", "1")


def _float(el: Element, name: str, default: float) -> float:
    values = numbers(el.get(name))
    return values[0] if values else default


@dataclass
class _Media:
    id: str
    loc: str                 # the path as written (resolved), for messages
    member: str | None       # the package member, None when missing
    format: str


@dataclass
class _Unit:
    content: Element | None


@dataclass
class _Style:
    """Stroke and fill settings a DrawParam or a Layer hands down to the objects inside it."""

    line_width: float | None = None
    join: str | None = None
    cap: str | None = None
    miter_limit: float | None = None
    dash: tuple[float, tuple[float, ...]] | None = None
    fill: Color | None = None
    stroke: Color | None = None


@dataclass
class _PageState:
    number: int
    items: list[Item] = field(default_factory=list)
    count: int = 0


class _Reader:
    """One read of one package; collects resources and warnings as it goes."""

    def __init__(self, pkg: OfdPackage, package_key: str = "") -> None:
        self.pkg = pkg
        self.package_key = package_key  # "" for the document, else a nested package (a seal)
        self.parts: dict[str, bytes] = {}
        self.name = pkg.name
        self.warnings: list[str] = []
        self.fonts: dict[str, FontRef] = {}
        self.media: dict[str, _Media] = {}
        self.units: dict[str, _Unit] = {}
        self.draw_params: dict[str, Element] = {}
        self.color_spaces: dict[str, tuple[str, int]] = {}
        self.templates: dict[str, tuple[str | None, str]] = {}
        self.annotations: dict[str, list[tuple[str, str]]] = {}
        self._res_loaded: set[str] = set()
        self._xml_cache: dict[str, Element] = {}
        self.doc_dir = ""
        self.default_box = A4

    # --- helpers -------------------------------------------------------------------------------

    def warn(self, message: str) -> None:
        """Record a tolerated problem once."""
        if message not in self.warnings:
            self.warnings.append(message)

    def damaged(self, reason: str) -> InputFileError:
        return InputFileError(self.name, f"damaged OFD: {reason}")

    def xml(self, member: str) -> Element:
        """A member's parsed XML, cached (templates and resources are shared between pages)."""
        root = self._xml_cache.get(member)
        if root is None:
            root = self._xml_cache[member] = self.pkg.xml(member)
        return root

    def part(self, base_dir: str, loc: str, what: str) -> str | None:
        """The member an optional reference names; None when there is no reference, or (warned)
        when the part it names is missing."""
        if not loc:
            return None
        member = self.pkg.locate(base_dir, loc)
        if member is None:
            self.warn(f"{what} ({self.pkg.resolve(base_dir, loc)}) is missing from the package")
        return member

    def locate(self, base_dir: str, loc: str, *fallback_dirs: str) -> str | None:
        """The member ``loc`` names from ``base_dir``, else from each fallback folder."""
        for d in (base_dir, *fallback_dirs):
            member = self.pkg.locate(d, loc)
            if member is not None:
                return member
        return None

    # --- the document --------------------------------------------------------------------------

    def read(self) -> OfdDocument:
        ofd_member = self.pkg.find("OFD.xml")
        if ofd_member is None:
            raise self.damaged("OFD.xml is missing (not an OFD package)")
        root = self.xml(ofd_member)
        if local_name(root.tag) != "OFD":
            raise self.damaged(f"OFD.xml's root element is <{local_name(root.tag)}>, not <OFD>")
        bodies = children(root, "DocBody")
        if not bodies:
            raise self.damaged("OFD.xml has no DocBody")
        if len(bodies) > 1:
            self.warn(f"the package holds {len(bodies)} documents; only the first is read")
        body = bodies[0]
        metadata, custom = self._doc_info(child(body, "DocInfo"))
        doc_root = child_text(body, "DocRoot")
        if not doc_root:
            raise self.damaged("OFD.xml names no DocRoot (Document.xml)")
        doc_member = self.pkg.locate(folder(ofd_member), doc_root)
        if doc_member is None:
            raise self.damaged(f"Document.xml is missing ({self.pkg.resolve('', doc_root)})")
        doc = self.xml(doc_member)
        self.doc_dir = folder(doc_member)
        common = child(doc, "CommonData")
        self._common_data(common)
        pages = [p for ps in children(doc, "Pages") for p in children(ps, "Page")]
        if not pages:
            raise self.damaged("Document.xml lists no pages")
        if len(pages) > MAX_PAGES:
            raise InputFileError(self.name, f"refused: OFD has {len(pages):,} pages (limit {MAX_PAGES:,})")
        self._annotation_index(child_text(doc, "Annotations"))
        out = [self._page(i, p) for i, p in enumerate(pages)]
        if not self.package_key:  # a seal's own signatures are not drawn
            self._signatures(folder(ofd_member), child_text(body, "Signatures"), out)
        return OfdDocument(Path(self.name), out, metadata, custom, self.warnings, self.parts)

    def _doc_info(self, info: Element | None) -> tuple[dict[str, str], dict[str, str]]:
        """DocInfo's simple fields, its keywords (joined by '; ') and its CustomData pairs."""
        metadata: dict[str, str] = {}
        custom: dict[str, str] = {}
        if info is None:
            return metadata, custom
        for el in info:
            name = local_name(el.tag)
            if name == "Keywords":
                words = [(k.text or "").strip() for k in children(el, "Keyword")]
                if any(words):
                    metadata["Keywords"] = "; ".join(w for w in words if w)
            elif name == "CustomDatas":
                for c in children(el, "CustomData"):
                    key = (c.get("Name") or "").strip()
                    if key:
                        custom[key] = (c.text or "").strip()
            elif len(el) == 0 and (el.text or "").strip():
                metadata[name] = (el.text or "").strip()
        return metadata, custom

    def _common_data(self, common: Element | None) -> None:
        """Default page area, document-wide resources and template pages."""
        if common is None:
            self.warn("Document.xml has no CommonData; pages are taken as A4")
            return
        box = self._box(child(child(common, "PageArea"), "PhysicalBox"), None)
        if box is not None:
            self.default_box = box
        for name in ("PublicRes", "DocumentRes"):
            for el in children(common, name):
                self._load_res(self.doc_dir, (el.text or "").strip())
        for tpl in children(common, "TemplatePage"):
            tid, loc = tpl.get("ID", ""), tpl.get("BaseLoc", "")
            member = self.pkg.locate(self.doc_dir, loc) if loc else None
            if member is None:
                self.warn(f"template page {tid} ({loc or 'no BaseLoc'}) is missing from the package")
            self.templates[tid] = (member, tpl.get("ZOrder") or "Background")

    def _annotation_index(self, loc: str) -> None:
        """Which annotation files (folder, FileLoc) belong to which page ID."""
        member = self.part(self.doc_dir, loc, "the annotation list")
        if member is None:
            return
        for page in children(self.xml(member), "Page"):
            for file_loc in children(page, "FileLoc"):
                self.annotations.setdefault(page.get("PageID", ""), []).append((folder(member), (file_loc.text or "").strip()))

    def _box(self, el: Element | None, where: str | None) -> tuple[float, float, float, float] | None:
        """A PhysicalBox as (x, y, width, height); None when absent or unusable (then warned)."""
        if el is None:
            return None
        values = numbers(el.text)
        if len(values) == 4 and values[2] > 0 and values[3] > 0:
            return (values[0], values[1], values[2], values[3])
        if where:
            self.warn(f"{where}: unusable PhysicalBox {(el.text or '').strip()!r}; the document's page size is used")
        return None

    # --- resources -----------------------------------------------------------------------------

    def _load_res(self, base_dir: str, loc: str) -> None:
        """Load one resource file (fonts, images, draw parameters, colour spaces, composite units)."""
        member = self.part(base_dir, loc, "a resource file")
        if member is None or member in self._res_loaded:
            return
        self._res_loaded.add(member)
        root = self.xml(member)
        res_file_dir = folder(member)
        base_loc = root.get("BaseLoc")
        res_dir = self.pkg.resolve(res_file_dir, base_loc) if base_loc else res_file_dir
        for group in root:
            kind = local_name(group.tag)
            for el in group:
                rid = el.get("ID")
                if not rid:
                    continue
                if kind == "ColorSpaces":
                    bits = int(_float(el, "BitsPerComponent", 8)) or 8
                    self.color_spaces[rid] = ((el.get("Type") or "RGB").upper(), bits)
                elif kind == "DrawParams":
                    self.draw_params[rid] = el
                elif kind == "Fonts":
                    self.fonts[rid] = self._font(el, rid, res_dir, res_file_dir)
                elif kind == "MultiMedias":
                    self.media[rid] = self._media(el, rid, res_dir, res_file_dir)
                elif kind == "CompositeGraphicUnits":
                    self.units[rid] = _Unit(child(el, "Content"))

    def _font(self, el: Element, rid: str, res_dir: str, res_file_dir: str) -> FontRef:
        loc = child_text(el, "FontFile")
        member = self.locate(res_dir, loc, res_file_dir, self.doc_dir) if loc else None
        if loc and member is None:
            self.warn(f"embedded font {el.get('FontName', rid)} ({self.pkg.resolve(res_dir, loc)}) is missing; "
                      "a substitute is used")
        return FontRef(rid, el.get("FontName", ""), el.get("FamilyName", ""), _flag(el, "Bold", False),
                       _flag(el, "Italic", False), _flag(el, "Serif", False), _flag(el, "FixedWidth", False), member,
                       self.package_key)

    def _media(self, el: Element, rid: str, res_dir: str, res_file_dir: str) -> _Media:
        loc = child_text(el, "MediaFile")
        member = self.locate(res_dir, loc, res_file_dir, self.doc_dir) if loc else None
        declared = (el.get("Format") or "").strip().lower()
        ext = loc.rsplit(".", 1)[-1].lower() if "." in loc else ""
        fmt = _IMAGE_FORMATS.get(declared) or _IMAGE_FORMATS.get(ext) or (declared or ext).upper() or "?"
        return _Media(rid, self.pkg.resolve(res_dir, loc) if loc else f"resource {rid}", member, fmt)

    # --- colours and draw parameters ----------------------------------------------------------

    def color(self, el: Element | None) -> Color | None:
        """An OFD colour as RGB 0-255 (gray and CMYK converted; shadings and patterns approximated
        by their first colour); None when absent."""
        if el is None:
            return None
        value = el.get("Value")
        if value is None:
            for shading in el:
                for seg in shading.iter():
                    if local_name(seg.tag) == "Color" and seg.get("Value"):
                        return self.color(seg)
            return (128.0, 128.0, 128.0) if len(el) else None
        space, bits = self.color_spaces.get(el.get("ColorSpace", ""), ("RGB", 8))
        top = float((1 << bits) - 1) if 0 < bits <= 16 else 255.0
        parts: list[float] = []
        for token in value.replace(",", " ").split():
            try:
                parts.append(int(token[1:], 16) if token.startswith("#") else float(token))
            except ValueError:
                return (0.0, 0.0, 0.0)
        parts = [max(0.0, min(top, p)) * 255.0 / top for p in parts]
        if space == "GRAY" or len(parts) in (1, 2):
            g = parts[0] if parts else 0.0
            return (g, g, g)
        if space == "CMYK" or len(parts) == 4:
            c, m, y, k = (parts + [0.0] * 4)[:4]
            return tuple(255.0 * (1 - v / 255.0) * (1 - k / 255.0) for v in (c, m, y))  # type: ignore[return-value]
        return (parts[0], parts[1], parts[2]) if len(parts) >= 3 else (0.0, 0.0, 0.0)

    def style(self, param_id: str | None, inherited: _Style, depth: int = 0) -> _Style:
        """The settings of DrawParam ``param_id`` over ``inherited`` (following its Relative chain)."""
        el = self.draw_params.get(param_id or "")
        if el is None:
            if param_id:
                self.warn(f"draw parameter {param_id} is not defined; defaults are used")
            return inherited
        if depth < 8 and el.get("Relative"):
            inherited = self.style(el.get("Relative"), inherited, depth + 1)
        return self._own_style(el, inherited)

    def _own_style(self, el: Element, base: _Style) -> _Style:
        """``base`` overridden by the stroke/fill settings written on ``el`` itself."""
        dash = base.dash
        if el.get("DashPattern"):
            pattern = tuple(v for v in numbers(el.get("DashPattern")) if v >= 0)
            if pattern and any(pattern):
                dash = (_float(el, "DashOffset", 0.0), pattern)
        return _Style(
            line_width=_float(el, "LineWidth", base.line_width) if el.get("LineWidth") else base.line_width,
            join=el.get("Join") or base.join,
            cap=el.get("Cap") or base.cap,
            miter_limit=_float(el, "MiterLimit", base.miter_limit) if el.get("MiterLimit") else base.miter_limit,
            dash=dash,
            fill=self.color(child(el, "FillColor")) or base.fill,
            stroke=self.color(child(el, "StrokeColor")) or base.stroke,
        )

    # --- pages ---------------------------------------------------------------------------------

    def _page(self, index: int, page_el: Element) -> OfdPage:
        page_id, loc = page_el.get("ID", str(index + 1)), page_el.get("BaseLoc", "")
        if not loc:
            raise self.damaged(f"page {index + 1} has no BaseLoc")
        member = self.pkg.locate(self.doc_dir, loc)
        if member is None:
            raise self.damaged(f"page {index + 1} ({self.pkg.resolve(self.doc_dir, loc)}) is missing from the package")
        root = self.xml(member)
        where = f"page {index + 1}"
        box = self._box(child(child(root, "Area"), "PhysicalBox"), where) or self.default_box
        state = _PageState(index + 1)
        self._draw_page_file(root, member, state, 0, with_templates=True)
        for base_dir, annot_loc in self.annotations.get(page_id, []):
            annot_member = self.pkg.locate(base_dir, annot_loc)
            if annot_member is None:
                self.warn(f"{where}: its annotations ({self.pkg.resolve(base_dir, annot_loc)}) are missing from the package")
            else:
                self._annotations(annot_member, state)
        lines = read_lines([item for item in state.items if isinstance(item, TextItem)], box)
        return OfdPage(index, page_id, box, state.items, lines)

    def _draw_page_file(self, root: Element, member: str, state: _PageState, depth: int, with_templates: bool) -> None:
        """A page or template file: its resources, background templates, layers, foreground templates."""
        if depth > MAX_DEPTH:
            raise InputFileError(self.name, "refused: OFD templates are nested too deeply (or refer to themselves)")
        for res in children(root, "PageRes"):
            self._load_res(folder(member), (res.text or "").strip())
        refs = [(t.get("TemplateID", ""), t.get("ZOrder")) for t in children(root, "Template")] if with_templates else []
        order = {tid: (z or self.templates.get(tid, (None, "Background"))[1]) for tid, z in refs}
        for tid, _ in refs:
            if order[tid] != "Foreground":
                self._template(tid, state, depth)
        layers = [layer for content in children(root, "Content") for layer in children(content, "Layer")]
        rank = {"Background": 0, "Foreground": 2}
        for layer in sorted(layers, key=lambda layer: rank.get(layer.get("Type", "Body"), 1)):
            style = self.style(layer.get("DrawParam"), _Style()) if layer.get("DrawParam") else _Style()
            self._objects(layer, IDENTITY, style, state, depth)
        for tid, _ in refs:
            if order[tid] == "Foreground":
                self._template(tid, state, depth)

    def _template(self, tid: str, state: _PageState, depth: int) -> None:
        member, _ = self.templates.get(tid, (None, ""))
        if tid not in self.templates:
            self.warn(f"page {state.number}: template {tid} is not defined")
        if member is not None:
            self._draw_page_file(self.xml(member), member, state, depth + 1, with_templates=True)

    def _annotations(self, member: str, state: _PageState) -> None:
        """The appearances of a page's visible annotations, drawn over the page."""
        for annot in children(self.xml(member), "Annot"):
            if not _flag(annot, "Visible", True) or _flag(annot, "NoView", False):
                continue
            for appearance in children(annot, "Appearance"):
                box = numbers(appearance.get("Boundary"))
                origin = translate(box[0], box[1]) if len(box) >= 2 else IDENTITY
                self._objects(appearance, origin, _Style(), state, 1, annotation=True)

    # --- graphic objects -----------------------------------------------------------------------

    def _objects(self, parent_el: Element, parent: Matrix, style: _Style, state: _PageState, depth: int,
                 annotation: bool = False) -> None:
        """Every graphic object inside a layer, page block, composite unit or appearance."""
        if depth > MAX_DEPTH:
            raise InputFileError(self.name, "refused: OFD page blocks or composite objects are nested too deeply")
        for el in parent_el:
            kind = local_name(el.tag)
            if kind not in ("TextObject", "PathObject", "ImageObject", "CompositeObject", "PageBlock"):
                continue
            state.count += 1
            if state.count > MAX_PAGE_ITEMS:
                raise InputFileError(self.name, f"refused: OFD page {state.number} draws more than "
                                                f"{MAX_PAGE_ITEMS:,} objects")
            if kind == "PageBlock":
                self._objects(el, parent, style, state, depth + 1, annotation)
                continue
            if not _flag(el, "Visible", True):
                continue
            matrix = self._matrix(el, parent, image=kind == "ImageObject")
            own = self.style(el.get("DrawParam"), style) if el.get("DrawParam") else style
            own = self._own_style(el, own)
            alpha = max(0.0, min(255.0, _float(el, "Alpha", 255.0))) / 255.0
            if kind == "TextObject":
                self._text(el, matrix, own, alpha, state, annotation)
            elif kind == "PathObject":
                self._path(el, matrix, own, alpha, state, self._clips(el, parent, matrix), depth)
            elif kind == "ImageObject":
                self._image(el, matrix, alpha, state, self._clips(el, parent, matrix))
            else:
                unit = self.units.get(el.get("ResourceID", ""))
                if unit is None:
                    self.warn(f"page {state.number}: composite unit {el.get('ResourceID')} is not defined")
                elif unit.content is not None:
                    self._objects(unit.content, matrix, style, state, depth + 1, annotation)

    def _matrix(self, el: Element, parent: Matrix, image: bool) -> Matrix:
        """The object's own space mapped onto the page: CTM, then the Boundary's origin, then the parent's.
        An image without CTM fills its Boundary."""
        box = numbers(el.get("Boundary"))
        x, y = (box[0], box[1]) if len(box) >= 2 else (0.0, 0.0)
        ctm = numbers(el.get("CTM"))
        if len(ctm) != 6:
            ctm = [abs(box[2]), 0.0, 0.0, abs(box[3]), 0.0, 0.0] if image and len(box) == 4 else list(IDENTITY)
        return compose(compose(tuple(ctm), translate(x, y)), parent)  # type: ignore[arg-type]

    def _clips(self, el: Element, parent: Matrix, matrix: Matrix) -> tuple[Clip, ...]:
        """An object's clip regions as paths mapped to the page. Each Area holds a Path placed by its
        own Boundary and CTM, then the Area's CTM, then the object's Boundary origin, and the
        object's CTM too when TransFlag is true. (Text areas are not used.)"""
        clips_el = child(el, "Clips")
        if clips_el is None:
            return ()
        if _flag(clips_el, "TransFlag", False):
            base = matrix
        else:
            box = numbers(el.get("Boundary"))
            base = compose(translate(box[0], box[1]), parent) if len(box) >= 2 else parent
        out: list[Clip] = []
        for clip in children(clips_el, "Clip"):
            areas: list[tuple[Matrix, str]] = []
            for area in children(clip, "Area"):
                ctm = numbers(area.get("CTM"))
                area_matrix = compose(tuple(ctm), base) if len(ctm) == 6 else base  # type: ignore[arg-type]
                for shape in children(area, "Path"):
                    data = child_text(shape, "AbbreviatedData")
                    if data:
                        areas.append((self._matrix(shape, area_matrix, image=False), data))
            if areas:
                out.append(tuple(areas))
        return tuple(out)

    def _text(self, el: Element, matrix: Matrix, style: _Style, alpha: float, state: _PageState,
              annotation: bool) -> None:
        font = self.fonts.get(el.get("Font", ""))
        if font is None and el.get("Font"):
            self.warn(f"page {state.number}: font {el.get('Font')} is not defined; a substitute is used")
        codes = children(el, "TextCode")
        clusters, gids = _clusters(el) if len(codes) == 1 else ({}, {})
        glyphs: list[Glyph] = []
        x = y = 0.0
        vertical = False
        for code in codes:
            # line breaks and tabs around the text are the producer's pretty-printing, not characters
            text = "".join(ch for ch in code.text or "" if ch not in "\r\n\t")
            if len(text) > MAX_GLYPHS_PER_CODE:
                raise InputFileError(self.name, f"refused: OFD page {state.number} has a TextCode of "
                                                f"{len(text):,} characters")
            x = _float(code, "X", x)
            y = _float(code, "Y", y)
            steps = _glyph_count(len(text), clusters) - 1  # the offsets between the glyphs drawn
            dxs = deltas(code.get("DeltaX"), max(0, steps))
            dys = deltas(code.get("DeltaY"), max(0, steps))
            vertical = vertical or (not any(dxs) and any(dys))
            gx, gy, g, i = x, y, 0, 0
            while i < len(text):
                chars, glyph_count = clusters.get(i, (1, 1))  # a cluster: its characters share one place
                start_x, start_y = gx, gy
                for _ in range(glyph_count):
                    if g < len(dxs):
                        gx += dxs[g]
                        gy += dys[g]
                    g += 1
                advance = gx - start_x if g <= len(dxs) else 0.0  # the last character's is unknown
                glyphs.extend(Glyph(ch, start_x, start_y, gids.get(i), True, advance) for ch in text[i:i + chars])
                i += chars
        if not glyphs:
            return
        fill = (style.fill or (0.0, 0.0, 0.0)) if _flag(el, "Fill", True) else None
        stroke = (style.stroke or (0.0, 0.0, 0.0)) if _flag(el, "Stroke", False) else None
        weight = _float(el, "Weight", 400.0)
        state.items.append(TextItem(
            matrix, glyphs, _float(el, "Size", 0.0), font, _float(el, "HScale", 1.0) or 1.0, fill, stroke,
            style.line_width if style.line_width is not None else DEFAULT_LINE_WIDTH, alpha,
            bool(font and font.bold) or weight >= 700, bool(font and font.italic) or _flag(el, "Italic", False),
            bool(children(el, "CGTransform")), (0.0, 1.0) if vertical else (1.0, 0.0), annotation))

    def _path(self, el: Element, matrix: Matrix, style: _Style, alpha: float, state: _PageState,
              clips: tuple[Clip, ...], depth: int) -> None:
        data = child_text(el, "AbbreviatedData")
        if not data:
            return
        fill = (style.fill or (0.0, 0.0, 0.0)) if _flag(el, "Fill", False) else None
        stroke = (style.stroke or (0.0, 0.0, 0.0)) if _flag(el, "Stroke", True) else None
        pattern = child(child(el, "FillColor"), "Pattern")
        if fill is not None and pattern is not None:
            self._pattern(pattern, data, matrix, clips, state, depth)
            fill = None
        if fill is None and stroke is None:
            return
        state.items.append(PathItem(
            matrix, data, fill, stroke,
            style.line_width if style.line_width is not None else DEFAULT_LINE_WIDTH,
            style.cap or "Butt", style.join or "Miter", style.miter_limit or 4.234, style.dash,
            (el.get("Rule") or "").replace("-", "").lower() == "evenodd", alpha, clips))

    def _pattern(self, pattern: Element, data: str, matrix: Matrix, clips: tuple[Clip, ...], state: _PageState,
                 depth: int) -> None:
        """Fill a path with a tiling pattern: its cell's objects repeated every XStep, YStep (in the
        pattern's space, placed by its CTM in the object's or the page's space), clipped to the path.
        What the cells hold is drawn, never read as the page's text (these are watermarks)."""
        cell = child(pattern, "CellContent")
        points = [(op[-2], op[-1]) for op in parse_path(data) if op[0] != "C"]
        step_x = _float(pattern, "XStep", _float(pattern, "Width", 0.0))
        step_y = _float(pattern, "YStep", _float(pattern, "Height", 0.0))
        ctm = numbers(pattern.get("CTM"))
        base = IDENTITY if pattern.get("RelativeTo") == "Page" else matrix
        space = compose(tuple(ctm), base) if len(ctm) == 6 else base  # type: ignore[arg-type]
        inverse = invert(space)
        if cell is None or not points or step_x <= 0 or step_y <= 0 or inverse is None:
            return
        corners = [apply(inverse, *apply(matrix, x, y)) for x, y in points]  # the path in pattern space
        cols = range(math.floor(min(x for x, _ in corners) / step_x) - 1, math.ceil(max(x for x, _ in corners) / step_x) + 1)
        rows = range(math.floor(min(y for _, y in corners) / step_y) - 1, math.ceil(max(y for _, y in corners) / step_y) + 1)
        if len(cols) * len(rows) > MAX_PATTERN_TILES:
            self.warn(f"page {state.number}: a pattern of {len(cols) * len(rows):,} tiles is not drawn")
            return
        inside = clips + (((matrix, data),),)
        first = len(state.items)
        for i in cols:
            for j in rows:
                self._objects(cell, compose(translate(i * step_x, j * step_y), space), _Style(), state, depth + 1,
                              annotation=True)
        for item in state.items[first:]:
            item.clips = item.clips + inside

    def _image(self, el: Element, matrix: Matrix, alpha: float, state: _PageState, clips: tuple[Clip, ...]) -> None:
        rid = el.get("ResourceID", "")
        media = self.media.get(rid)
        if not rid:
            self.warn(f"page {state.number}: image object {el.get('ID', '')} names no image resource")
        elif media is None:
            self.warn(f"page {state.number}: image resource {rid} is not defined")
        elif media.member is None:
            self.warn(f"page {state.number}: image {rid} ({media.loc}) is missing from the package")
        else:
            state.items.append(ImageItem(matrix, media.member, media.format, alpha, clips, self.package_key))


    # --- signatures ----------------------------------------------------------------------------

    def _signatures(self, base_dir: str, loc: str, pages: list[OfdPage]) -> None:
        """Draw each signature's seal picture where its StampAnnot puts it: an image as it is, a
        seal that is itself an OFD drawing as that drawing's first page (its text drawn, not read).
        The signatures are not verified."""
        member = self.part(base_dir, loc, "the signature list")
        if member is None:
            return
        by_id = {p.page_id: p for p in pages}
        for n, sig in enumerate(children(self.xml(member), "Signature"), 1):
            sig_member = self.pkg.locate(folder(member), sig.get("BaseLoc", ""))
            stamps = []
            if sig_member is not None:
                signed = self.xml(sig_member)
                stamps = children(child(signed, "SignedInfo"), "StampAnnot") if child(signed, "SignedInfo") is not None else []
            if not stamps:
                continue  # missing, or a signature without a visible seal
            value = self.pkg.locate(folder(sig_member), child_text(signed, "SignedValue"))  # type: ignore[arg-type]
            picture = seal_picture(self.pkg.read(value, MAX_SEAL_BYTES)) if value else None
            if picture is None:
                self.warn(f"signature {n}: no seal picture found; its seal is not drawn")
                continue
            kind, data = picture
            for stamp in stamps:
                page, box = by_id.get(stamp.get("PageRef", "")), numbers(stamp.get("Boundary"))
                if page is None or len(box) < 4 or box[2] <= 0 or box[3] <= 0:
                    continue
                if kind == "ofd":
                    page.items.extend(self._nested_seal(f"seal{n}", data, box, n))
                elif _IMAGE_FORMATS.get(kind) in ("JPEG", "PNG", "BMP", "TIFF", "GIF"):
                    page.items.append(ImageItem((box[2], 0.0, 0.0, box[3], box[0], box[1]), value or "",
                                                _IMAGE_FORMATS[kind], data=data))

    def _nested_seal(self, key: str, data: bytes, box: list[float], n: int) -> list[Item]:
        """The items of a seal drawn as an OFD, scaled from its page onto the stamp's Boundary."""
        try:
            with OfdPackage(data, f"{self.name} (seal of signature {n})") as pkg:
                seal = _Reader(pkg, key).read()
        except InputFileError as e:
            self.warn(f"signature {n}: its seal cannot be drawn ({e.reason})")
            return []
        self.parts[key] = data
        page = seal.pages[0]
        x0, y0, w, h = page.box
        place = compose(translate(-x0, -y0), (box[2] / w, 0.0, 0.0, box[3] / h, box[0], box[1]))
        for item in page.items:
            item.matrix = compose(item.matrix, place)
            if isinstance(item, (PathItem, ImageItem)):
                item.clips = tuple(tuple((compose(m, place), d) for m, d in clip) for clip in item.clips)
            else:  # a seal's words are drawn, not read as the page's text
                item.annotation = True
                item.glyphs = [g._replace(text=False) for g in item.glyphs]
        return page.items


def read_package(pkg: OfdPackage) -> OfdDocument:
    """Read an already opened package."""
    return _Reader(pkg).read()
