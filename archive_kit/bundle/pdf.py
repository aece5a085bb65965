"""The pypdf half of ``bundle.pdf``: each rendition page is scaled into the content box of an A4
page, the fpdf2 overlay (stamp, page number, caption) is laid on top, and the outline, page labels
and contents links are added.

Pages are combined at the content-stream level (``q cm … Q`` around the original, then the
overlay), without parsing the original's content, so assembly stays fast on big bundles.

Nothing that can act reaches the bundle: only a page's drawing (contents, resources, boxes,
rotation, transparency group) is copied, never its annotations, page actions (``/AA``),
thumbnails or associated files, nor anything of the document around it (open action, scripts,
embedded files); and whatever the copied drawing still reaches (a resource pointing at a script
or at the whole document) is neutralised: JavaScript, Launch, ``file:`` and other-file actions,
embedded files, RichMedia. The bundle's notes say what was left out of which item; the original
in the bag is untouched.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from ..errors import ArchiveKitError
from ..workers import Limits
from .front import (A4, CONTENT_BOX, CONTENT_BOX_LANDSCAPE, PHOTO_BOX, STAMP_MARGIN, STAMP_SIZE, BundleMeta,
                    FrontMatter)
from .plan import Entry, Plan

MM = 72 / 25.4
_DROP = ("/CropBox", "/TrimBox", "/BleedBox", "/ArtBox", "/Annots", "/Rotate", "/UserUnit")
_FONT_NAME = re.compile(rb"/F(\d+)\b")
# the only page keys copied into the bundle: what draws the page
_PAGE_KEEP = ("/Type", "/Contents", "/Resources", "/MediaBox", "/CropBox", "/Rotate", "/Group", "/UserUnit")
# action types that run code, open other files or play media; what the notes call them
_ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "Launch action", "/GoToR": "link to another file",
            "/GoToE": "link to another file", "/ImportData": "data import", "/SubmitForm": "form submission",
            "/RichMediaExecute": "RichMedia", "/Rendition": "media action", "/Movie": "media action",
            "/Sound": "media action"}
_KEYS = {"/JS": "JavaScript", "/JavaScript": "JavaScript", "/OpenAction": "document open action",
         "/AA": "automatic actions (/AA)", "/EmbeddedFiles": "embedded file", "/EF": "embedded file",
         "/AF": "embedded file", "/RichMediaContent": "RichMedia", "/RichMediaSettings": "RichMedia"}
_SUBTYPES = {"/FileAttachment": "embedded file", "/RichMedia": "RichMedia", "/Screen": "media action",
             "/Movie": "media action", "/Sound": "media action", "/3D": "3D content"}
_WEB_SCHEMES = ("http:", "https:", "mailto:")
# keys never copied, at any depth of what a page's drawing reaches (pypdf drops them while cloning):
# a resource pointing at the document catalog or at an annotation brings none of these along
_NEVER_COPIED = ("/Annots", "/AA", "/OpenAction", "/Names", "/AcroForm", "/Pages", "/Outlines", "/Dests",
                 "/StructTreeRoot", "/Threads", "/Thumb", "/AF", "/EmbeddedFiles", "/EF", "/JS", "/RichMediaContent")
_DRAWING = ("/Contents", "/Resources", "/Parent", "/MediaBox", "/CropBox", "/Group", "/Thumb", "/PieceInfo")
_WALK_LIMIT = 200_000  # objects looked at per document, so a hostile graph cannot stall the bundle


def _page_size(page) -> tuple[float, float]:
    """Visible size in points of a pypdf page, after its /Rotate."""
    box = page.cropbox
    w, h = abs(float(box.width)), abs(float(box.height))
    if int(page.get("/Rotate", 0) or 0) % 180 == 90:
        w, h = h, w
    return w, h


def _target(entry: Entry, page, shrink: bool) -> tuple[tuple[float, float], tuple[float, float, float, float], bool]:
    """(page size mm, content box mm, sit on the box bottom) for one evidence page: the whole page
    (scaled down only when larger than A4), or the content box under the stamp's band when ``shrink``."""
    if entry.is_photo and entry.rendition.path is not None:
        return A4, PHOTO_BOX, True
    if page is None:
        return A4, (0.0, 0.0, A4[0], A4[1]), False
    w, h = _page_size(page)
    size = (A4[1], A4[0]) if w > h * 1.05 else A4
    if shrink:
        return size, CONTENT_BOX_LANDSCAPE if size[0] > size[1] else CONTENT_BOX, False
    return size, (0.0, 0.0, size[0], size[1]), False


# --------------------------------------------------------------------------- the stamp's place

STAMP_CLEARANCE = 2.0  # mm of blank kept around the stamp, so it touches nothing on the page
TOP_RENDERED = 0.2     # share of the first page's height rendered to look for the blank top
INK_PX_PER_MM = 4.0    # resolution the first page is rendered at to find blank space (about 100 dpi)
INK_LEVEL = 180        # grey below this is ink (a scan's paper tone and speckle stay above it)
INK_SHARE = 0.03       # a 1 mm cell is inked when more than this share of its pixels is ink


def page_top_ink(path: str) -> tuple[float, float, int, int, bytes]:
    """In a worker: render the first page of the PDF ``path`` at low resolution and return (width pt,
    height pt, columns, rows, cells) for its top ``TOP_RENDERED``: one byte per 1 × 1 mm cell of
    the page, 1 where it carries ink, row by row from the top left."""
    from PIL import Image

    from ..pages import render_page

    image, _, (w, h) = render_page(path, 0, lambda w, h: INK_PX_PER_MM / MM, grayscale=True)
    if image is None:
        raise ValueError("the document has no page")
    cols = max(1, round(w / MM))
    rows = max(1, round(h / MM * TOP_RENDERED))
    top = image.crop((0, 0, image.width, max(1, round(image.height * TOP_RENDERED))))
    ink = top.point(lambda v: 255 if v < INK_LEVEL else 0).resize((cols, rows), Image.Resampling.BOX)
    limit = 255 * INK_SHARE
    return w, h, cols, rows, bytes(1 if v > limit else 0 for v in ink.getdata())


def blank_stamp_place(ink: tuple[float, float, int, int, bytes],
                      size: tuple[float, float]) -> tuple[float, float] | None:
    """Where on a bundle page of ``size`` (mm) the stamp fits in the blank top of the page whose
    ``page_top_ink`` is ``ink``, placed whole (as ``_compose`` does with the full-page box).

    The stamp sits ``STAMP_MARGIN`` under the top edge, in the blank space above the page's content
    (DA/T 22-2015: 首页上端的空白处): nothing inked from the top edge down to ``STAMP_CLEARANCE``
    under it, nor within ``STAMP_CLEARANCE`` beside it. Places are tried right-hand side first
    (where the 版头 of a 公文 leaves room), then centred, then further left; None when none is blank.
    """
    w, h, cols, rows, cells = ink
    W, H = size
    s = min(W * MM / w, H * MM / h, 1.0)  # bundle mm per page mm
    ox = (W - w / MM * s) / 2
    sw, sh, c0 = STAMP_SIZE[0], STAMP_SIZE[1], STAMP_CLEARANCE
    bottom = int((STAMP_MARGIN + sh + c0) / s) + 1  # rows of cells from the top edge that must be blank
    if bottom > rows:
        return None  # a page so wide and low that its blank top is not in the rendered part
    inked = [sum(cells[r * cols + c] for r in range(bottom)) for c in range(cols)]  # per column, from the top
    prefix = [0]
    for n in inked:
        prefix.append(prefix[-1] + n)

    def blank(x: float) -> bool:
        left, right = max(0, int((x - c0 - ox) / s)), min(cols, int((x + sw + c0 - ox) / s) + 1)
        return right <= left or prefix[right] == prefix[left]

    right = W - STAMP_MARGIN - sw
    for x in [right, (W - sw) / 2] + [right - k for k in range(1, int(right - STAMP_MARGIN) + 1)]:
        if blank(x):
            return round(x, 2), STAMP_MARGIN
    return None


NO_BLANK_TOP = "no blank area for the 归档章 at the top of its first page"


def find_stamp_places(pages: list[tuple[Any, str, tuple[float, float]]],
                      limits: Limits) -> dict[Any, tuple[float, float] | str]:
    """For each (key, PDF path, bundle page size mm): where the stamp goes on the PDF's first page
    (``blank_stamp_place``), or why it cannot go in a blank top (the page is shrunk to make room).

    Each first page is rendered once, at low resolution, by pdfium in worker processes (every
    document is hostile: a page that crashes or hangs the renderer is only shrunk)."""
    from ..pages import render_limits
    from ..workers import WorkerPool

    found: dict[Any, tuple[float, float] | str] = {}
    if not pages:
        return found
    sizes = {key: size for key, _, size in pages}
    with WorkerPool(min(2, len(pages)), render_limits(limits)) as pool:
        for outcome in pool.run(page_top_ink, [(key, (path,)) for key, path, _ in pages]):
            if outcome.error is not None:
                found[outcome.key] = f"its first page could not be examined for a blank top ({outcome.error})"
            else:
                found[outcome.key] = blank_stamp_place(outcome.value, sizes[outcome.key]) or NO_BLANK_TOP
    return found


def stamp_pages(plan: Plan, readers: dict) -> list[tuple[Any, str, tuple[float, float]]]:
    """The first pages to examine for the stamp: (``id`` of the entry, rendition path, bundle page
    size) of each entry whose first page is a rendition page other than a photo's."""
    pages = []
    for entry in plan.entries:
        reader = readers.get(id(entry))
        if entry.is_photo or reader is None or not entry.pages:
            continue
        try:
            size, _, _ = _target(entry, reader.pages[0], False)
        except Exception:  # noqa: BLE001 - a broken first page: it gets the note page, stamped in its corner
            continue
        pages.append((id(entry), str(entry.rendition.path), size))
    return pages


def build_pdf(plan: Plan, meta: BundleMeta, out: Path, doc_id: bytes, limits: Limits | None = None) -> list[str]:
    """Write ``bundle.pdf``; returns notes about pages that had to be replaced, first pages shrunk to
    make room for the stamp, and active content left out."""
    from pypdf import PdfReader, PdfWriter

    from ..extract.pdf import open_pdf

    notes: list[str] = []
    front = FrontMatter(meta)
    front.cover(plan)
    front.contents(plan)
    front.unreadable()
    readers = {}
    for entry in plan.entries:
        if entry.rendition.path is not None:
            try:
                readers[id(entry)] = open_pdf(entry.rendition.path)
            except ArchiveKitError as e:
                notes.append(f"{entry.code}: rendition cannot be read ({getattr(e, 'reason', e)}); pages left blank")
        else:
            front.placeholder(entry)
    places = find_stamp_places(stamp_pages(plan, readers), limits or Limits())
    # first pass: overlays, one per evidence page, in page order
    layout: list[tuple[Entry, int, tuple, tuple, bool]] = []
    number = 1
    for entry in plan.entries:
        reader = readers.get(id(entry))
        place = places.get(id(entry))
        stamp_at = place if isinstance(place, tuple) else None  # None: the top-right corner (see overlay)
        shrunk = place if isinstance(place, str) else None
        for k in range(entry.pages):
            page = None
            if reader is not None and k < len(reader.pages):
                try:
                    page = reader.pages[k]
                    _page_size(page)
                except Exception:  # noqa: BLE001 - a broken page tree entry
                    page = None
            shrink = k == 0 and shrunk is not None
            size, box, centre = _target(entry, page, shrink)
            if shrink:
                notes.append(f"{entry.code}: {shrunk}; that page is shrunk to make room for the 归档章 above it")
            front.overlay(entry, k, size, number, stamp_at)
            layout.append((entry, k, size, box, centre))
            number += 1
    fr = PdfReader(_bytes_io(front.output()))
    writer = PdfWriter()
    lay = front.layout
    for i in range(lay.front_pages):
        writer.add_page(fr.pages[i])
    fonts = _overlay_fonts(fr, lay.overlays, writer)
    checked: dict[int, _Checked] = {}
    for n, (entry, k, size, box, centre) in enumerate(layout):
        if k == 0:
            entry.index = len(writer.pages)
        overlay = fr.pages[lay.overlays[n] - 1]
        if id(entry) in lay.placeholders:
            src = fr.pages[lay.placeholders[id(entry)] - 1]
        else:
            reader = readers.get(id(entry))
            src = reader.pages[k] if reader is not None and k < len(reader.pages) else None
        try:
            if src is None:
                raise ValueError("page missing")
            if id(entry) in lay.placeholders:
                wpage = writer.add_page(src)
            else:
                wpage = _copy_page(writer, src, readers[id(entry)], checked.setdefault(id(entry), _Checked()))
        except Exception:  # noqa: BLE001 - pypdf raises anything on broken pages
            notes.append(f"{entry.code}: page {k + 1} of its rendition cannot be read; a note page stands in")
            wpage = writer.add_page(fr.pages[lay.unreadable_page - 1])
            box = (0.0, 0.0, A4[0], A4[1])
        _compose(writer, wpage, size, box, centre, _overlay_content(overlay), fonts)
    for entry in plan.entries:
        found = checked[id(entry)].found if id(entry) in checked else set()
        if found:
            notes.append(f"{entry.doc.archival_code or entry.title}: active content removed from its pages in "
                         f"bundle.pdf (the original in the bag is unchanged): {', '.join(sorted(found))}")
    _outline(writer, plan, lay)
    _links(writer, lay)
    total = len(writer.pages)
    writer.set_page_label(0, lay.front_pages - 1, style="/r")
    if total > lay.front_pages:
        writer.set_page_label(lay.front_pages, total - 1, style="/D", start=1)
    made = meta.made.strftime("D:%Y%m%d000000Z")
    writer.add_metadata({"/Title": f"{meta.track_name} {meta.year} 迎检资料汇编", "/Author": meta.unit or meta.fonds,
                         "/Creator": "archive-kit", "/Producer": "archive-kit", "/CreationDate": made, "/ModDate": made})
    _fixed_id(writer, doc_id)
    with open(out, "wb") as f:
        writer.write(f)
    return notes


class _Checked:
    """What was found in one document's pages so far, and the objects already looked at."""

    def __init__(self) -> None:
        self.found: set[str] = set()
        self.seen_source: set = set()
        self.seen_copy: set = set()
        self.document_done = False


def _copy_page(writer, page, reader, checked: _Checked):
    """Add the drawing of a rendition page to the writer, and nothing of it that can act.

    What stays behind (the page's annotations and actions, the document's scripts, open action
    and embedded files) and whatever the copied drawing still reaches that could act (made
    harmless in the copy) are added to ``checked.found``.
    """
    from pypdf import PageObject
    from pypdf.generic import DictionaryObject, NameObject

    if not checked.document_done:
        checked.document_done = True
        checked.found |= _walk(_document_parts(reader), checked.seen_source, fix=False)
    checked.found |= _walk(DictionaryObject({k: v for k, v in dict.items(page) if k not in (*_PAGE_KEEP, "/Parent")}),
                           checked.seen_source, fix=False)
    drawing = PageObject()
    for key in _PAGE_KEEP:
        if key in page:
            drawing[NameObject(key)] = page.raw_get(key)
    drawing[NameObject("/Type")] = NameObject("/Page")
    before = len(writer._objects)
    try:
        wpage = writer.add_page(drawing, excluded_keys=_NEVER_COPIED)
    except Exception:
        _forget(writer, before)  # nothing half-copied stays in the file
        raise
    found = _walk(wpage, checked.seen_copy, fix=True)
    if found is None:  # too much to check: nothing of what was copied is kept
        _forget(writer, before, keep=wpage)
        for key in ("/Resources", "/Contents", "/Group"):
            if key in wpage:
                del wpage[key]
        found = {"content too complex to check (page left blank)"}
    checked.found |= found
    return wpage


def _forget(writer, start: int, keep=None) -> None:
    """Leave out of the file every object the writer gained from index ``start`` on (but ``keep``)."""
    for i in range(start, len(writer._objects)):
        if writer._objects[i] is not keep:
            writer._objects[i] = None


def _document_parts(reader):
    """The parts of a document around its pages that can act: open action, /AA, scripts, embedded files."""
    from pypdf.generic import DictionaryObject, NameObject

    parts = DictionaryObject()
    try:
        root = reader.trailer["/Root"].get_object()
        names = root.get("/Names")
        names = names.get_object() if names is not None else DictionaryObject()
        for key, holder in (("/AA", root), ("/JavaScript", names), ("/EmbeddedFiles", names)):
            if key in holder:
                parts[NameObject(key)] = holder.raw_get(key)
        action = root.get("/OpenAction")
        action = action.get_object() if action is not None else None
        if isinstance(action, DictionaryObject) and action.get("/S") != "/GoTo":  # not just "open at page 1"
            parts[NameObject("/OpenAction")] = root.raw_get("/OpenAction")
    except Exception:  # noqa: BLE001 - a broken catalog: nothing of it is copied anyway
        pass
    return parts


def active_content(reader) -> set[str]:
    """What in a whole PDF can act (JavaScript, launch actions, embedded files…), by name, without
    changing it: the document's catalog parts and every page with what it reaches (四性 security)."""
    from pypdf.generic import DictionaryObject

    seen: set = set()
    found = _walk(_document_parts(reader), seen, fix=False) or set()
    try:
        pages = list(reader.pages)
    except Exception:  # noqa: BLE001 - a broken page tree: what was found so far stands
        return found
    for page in pages:
        # what a viewer acts on in a page: its actions and its annotations (links, attachments,
        # widgets, media); its drawing (contents, resources) is not opened, which keeps this fast
        acting = DictionaryObject({k: v for k, v in dict.items(page) if k not in _DRAWING})
        found |= _walk(acting, seen, fix=False) or set()
    return found


def _walk(root, seen: set, fix: bool) -> set[str] | None:
    """Everything that can act in the object graph under ``root``, by name (see ``_judge``).

    With ``fix``, each such thing is made harmless where it is (the graph is the bundle's copy);
    without, the graph is only read, and pages are not entered (they are checked one by one).
    Objects in ``seen`` are skipped and those visited are added, so pages sharing resources
    are looked at once. Returns None when ``fix`` and the graph exceeds ``_WALK_LIMIT``.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    found: set[str] = set()
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        obj, judge = stack.pop()
        if judge:
            _judge(obj, found, fix)
            continue
        if isinstance(obj, IndirectObject):
            key = (id(obj.pdf), obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            try:
                obj = obj.get_object()
            except Exception:  # noqa: BLE001 - a dangling or broken reference reaches nothing
                continue
        if not isinstance(obj, (DictionaryObject, ArrayObject)):
            continue
        if len(seen) > _WALK_LIMIT:
            return None if fix else found
        seen.add(id(obj))
        if isinstance(obj, ArrayObject):
            stack.extend((v, False) for v in obj)
            continue
        if not fix and obj is not root and _value(obj, "/Type") in ("/Page", "/Pages"):
            continue
        stack.append((obj, True))
        stack.extend((v, False) for k, v in dict.items(obj) if k != "/Parent" and (fix or k != "/P"))
    return found


def _value(d, key: str):
    """``d[key]`` resolved (a hostile file may hide a name behind an indirect reference), or None."""
    value = d.get(key)
    try:
        return value.get_object() if hasattr(value, "get_object") else value
    except Exception:  # noqa: BLE001 - a broken reference
        return None


def _judge(d, found: set[str], fix: bool) -> None:
    """Name what in dictionary ``d`` can act; with ``fix``, empty it (an action, an embedded file,
    a media annotation) or drop its acting keys (/JS, /AA, /OpenAction, /EF, /EmbeddedFiles…)."""
    from pypdf.generic import StreamObject

    labels = set()
    kind = _value(d, "/S")
    if kind in _ACTIONS:
        labels.add(_ACTIONS[kind])
    elif kind == "/URI":
        uri = _value(d, "/URI")
        uri = (uri.decode("latin-1") if isinstance(uri, bytes) else str(uri or "")).strip().lower()
        if uri and not uri.startswith(_WEB_SCHEMES):
            labels.add("file: link" if uri.startswith("file:") else "link to a local resource")
    subtype = _value(d, "/Subtype")
    if subtype in _SUBTYPES:
        labels.add(_SUBTYPES[subtype])
    if _value(d, "/Type") == "/EmbeddedFile":
        labels.add("embedded file")
    keys = [k for k in _KEYS if k in d]
    found |= labels | {_KEYS[k] for k in keys}
    if not fix:
        return
    if labels:
        d.clear()
        if isinstance(d, StreamObject):
            d._data = b""
    for k in keys:
        if k in d:
            del d[k]


def _bytes_io(data: bytes):
    """A seekable stream over bytes."""
    import io

    return io.BytesIO(data)


def _overlay_fonts(fr, overlays: list[int], writer) -> dict:
    """The overlay pages' fonts, copied into the writer once, under names no rendition uses."""
    from pypdf.generic import NameObject

    out = {}
    for p in overlays[:1]:
        res = fr.pages[p - 1].get("/Resources")
        fonts = res.get_object().get("/Font") if res is not None else None
        if fonts is None:
            continue
        for name, ref in dict.items(fonts.get_object()):
            out[NameObject("/AK" + name[1:])] = ref.clone(writer) if hasattr(ref, "clone") else ref
    return out


def _overlay_content(page) -> bytes:
    """An overlay page's drawing, with its font names renamed to the writer's ``/AKF…``."""
    data = page.get_contents().get_data() if page.get("/Contents") is not None else b""
    return _FONT_NAME.sub(rb"/AKF\1", data)


def _stream(writer, data: bytes):
    """A new compressed content stream in the writer; returns its reference."""
    from pypdf.generic import DecodedStreamObject

    s = DecodedStreamObject()
    s.set_data(data)
    return writer._add_object(s.flate_encode())


def _compose(writer, wpage, size, box, centre: bool, overlay: bytes, fonts: dict) -> None:
    """Scale ``wpage``'s content into ``box`` on a page of ``size`` (mm) and lay ``overlay`` on top."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, RectangleObject

    if int(wpage.get("/Rotate", 0) or 0) % 360:
        try:
            wpage.transfer_rotation_to_content()
        except Exception:  # noqa: BLE001 - keep the page unrotated rather than lose it
            pass
    cb = wpage.cropbox
    x0, y0 = min(float(cb.left), float(cb.right)), min(float(cb.bottom), float(cb.top))
    w, h = abs(float(cb.width)) or 1.0, abs(float(cb.height)) or 1.0
    W, H = size[0] * MM, size[1] * MM
    bx, bw, bh = box[0] * MM, box[2] * MM, box[3] * MM
    by = H - (box[1] + box[3]) * MM
    s = min(bw / w, bh / h, 1.0)
    tx = bx + (bw - w * s) / 2 - x0 * s
    ty = (by if centre else by + (bh - h * s)) - y0 * s  # photos sit on their caption, pages hang from the top
    prefix = f"q {s:.6f} 0 0 {s:.6f} {tx:.4f} {ty:.4f} cm {x0:.4f} {y0:.4f} {w:.4f} {h:.4f} re W n\n".encode()
    refs: list = []
    raw = wpage.raw_get("/Contents") if "/Contents" in wpage else None
    if isinstance(raw, IndirectObject):
        obj = raw.get_object()
        refs = list(obj) if isinstance(obj, ArrayObject) else [raw]
    elif isinstance(raw, ArrayObject):
        refs = list(raw)
    elif raw is not None:
        refs = [writer._add_object(raw)]
    contents = ArrayObject([_stream(writer, prefix), *refs, _stream(writer, b"\nQ\nq\n" + overlay + b"\nQ\n")])
    wpage[NameObject("/Contents")] = contents
    res = wpage.get("/Resources")
    res = res.get_object() if res is not None else DictionaryObject()
    new_res = DictionaryObject(dict.items(res))
    old_fonts = res.get("/Font")
    new_fonts = DictionaryObject(dict.items(old_fonts.get_object())) if old_fonts is not None else DictionaryObject()
    new_fonts.update(fonts)
    new_res[NameObject("/Font")] = new_fonts
    wpage[NameObject("/Resources")] = new_res
    for key in _DROP:
        if key in wpage:
            del wpage[key]
    wpage[NameObject("/MediaBox")] = RectangleObject([0, 0, round(W, 2), round(H, 2)])


def _outline(writer, plan: Plan, lay) -> None:
    """One bookmark per criterion (nested as the scheme), one child per document listed under it."""
    stack: list[tuple[int, object]] = []
    for sec in plan.sections:
        while stack and stack[-1][0] >= sec.depth:
            stack.pop()
        parent = stack[-1][1] if stack else None
        target = sec.rows[0][0].index if sec.rows else lay.section_pages.get(id(sec), 1) - 1
        title = sec.heading + ("（缺少佐证材料）" if sec.missing else "")
        item = writer.add_outline_item(title=title, page_number=target, parent=parent)
        stack.append((sec.depth, item))
        for entry, _linked in sec.rows:
            writer.add_outline_item(title=f"{entry.code} {entry.title}"[:200], page_number=entry.index, parent=item)


def _links(writer, lay) -> None:
    """Each contents row links to its document's first page."""
    from pypdf.annotations import Link

    for fpage, (x, y, w, h), entry in lay.links:
        rect = (x * MM, (A4[1] - y - h) * MM, (x + w) * MM, (A4[1] - y) * MM)
        writer.add_annotation(fpage - 1, Link(rect=rect, target_page_index=entry.index, border=[0, 0, 0]))


def _fixed_id(writer, seed: bytes) -> None:
    """A file identifier derived from the bundle's content, so rebuilding gives the same bytes."""
    from pypdf.generic import ArrayObject, ByteStringObject

    ident = ByteStringObject(hashlib.sha256(seed).digest()[:16])
    writer._ID = ArrayObject([ident, ident])
