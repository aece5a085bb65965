"""Page images of documents, and where a query's terms are on them (for the console, issue 12).

Pages are rendered by pypdfium2 from the document's PDF (the original, or its rendition for Word,
office files and images) and cached as PNG by content hash and page under ``derived/pages/``:
derived, so deleting the folder loses nothing. Where the terms are:

- in a text layer: the positions of the matched characters on pdfium's text page, found with the
  search's own matcher (``term_pattern``: variants, case and line breaks as the search folds them),
  or, where the text page's characters do not line up with its text, with pdfium's text search;
- on scans and photos: the OCR line boxes the ingest kept in the cached extraction
  (``Extraction.ocr_pages``), narrowed to the matched characters of the line. On a scanned PDF the
  OCRed image is the whole page; a photo's rendition places the image on an A4 page, so its boxes
  are mapped into the image's place there.

Every document is hostile, so pdfium (a C library) only ever opens one in a worker process under
the repository's limits: a page that crashes or hangs the renderer fails that request alone.
Boxes are fractions of the page (left, top, right, bottom; 0..1 from the top left), so they fit
the page image at any size.
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .catalogue import Document
from .errors import InputFileError, NotFoundError
from .renditions import make_rendition
from .repo import Repo
from .store import ObjectStore
from .workers import Limits, WorkerPool

RENDER_VERSION = 1          # part of every cached page image's name: bump when the rendering changes
PAGE_WIDTH_PX = 1000        # page images are this wide (a tall or tiny page is scaled to it)
MAX_PAGE_PIXELS = 12_000_000
RENDER_TIMEOUT_S = 60.0     # without progress; a page that takes longer is given up
Box = tuple[float, float, float, float]


@dataclass
class PageView:
    """A document's pages as the console shows them: how many, each page's (width, height) in PDF
    points (for the aspect ratio), and the marks of the query's terms, page by page."""

    pages: int
    sizes: list[tuple[float, float]]
    hits: list[dict[str, Any]] = field(default_factory=list)
    query: str | None = None

    @property
    def marks(self) -> int:
        """How many places are marked over all pages."""
        return sum(len(h["marks"]) for h in self.hits)

    def to_json(self) -> dict[str, Any]:
        """``{"pages", "sizes": [[w, h]…], "query", "marks", "hits": [{"page": n, "marks":
        [{"box": [left, top, right, bottom], "term": k}]}]}`` (boxes as fractions of the page)."""
        return {"pages": self.pages, "sizes": [[round(w, 2), round(h, 2)] for w, h in self.sizes],
                "query": self.query, "marks": self.marks, "hits": self.hits}


def original_file(store: ObjectStore, doc: Document) -> Path:
    """Where ``doc``'s original is stored (read it, never change it); a missing one is an
    ``InputFileError`` naming the document."""
    path = store.path_for(doc.sha256)
    if not path.is_file():
        raise InputFileError(doc.original_name, "the original is missing from the object store "
                             "(`archive-kit verify` and `repair` say more)")
    return path


def page_source(repo: Repo, doc: Document) -> Path:
    """The PDF ``doc``'s pages are drawn from: the original PDF, else its rendition (made on first use)."""
    if doc.format == "pdf":
        return original_file(repo.store, doc)
    rendition = make_rendition(repo.catalogue, repo.store, repo.paths.renditions, doc).path
    if rendition is None:
        raise InputFileError(doc.original_name, "its pages cannot be shown: no PDF rendition could be made "
                             "(`archive-kit doctor` shows whether LibreOffice works)")
    return rendition


def document_page_png(repo: Repo, doc: Document, page: int) -> bytes:
    """Page ``page`` (1-based) of ``doc`` as PNG, cached under ``derived/pages/`` unless the
    repository is read-only (then rendered every time)."""
    cache = None if repo.read_only else repo.paths.pages
    return page_png(page_source(repo, doc), doc.sha256, page, cache, Limits.from_config(repo.config),
                    doc.original_name)


def document_page_view(repo: Repo, doc: Document, terms: list[str], query: str | None = None) -> PageView:
    """``doc``'s pages and where the folded ``terms`` are on them: text-layer positions, or the OCR
    line boxes the ingest kept in the extraction cache for scans and photos."""
    ocr_pages = read_ocr_pages(repo.paths.extract_cache, doc.sha256) if terms and doc.ocr else []
    return page_view(page_source(repo, doc), terms, ocr_pages, image_document=doc.format == "image",
                     limits=Limits.from_config(repo.config), name=doc.original_name, query=query)


def page_cache_file(cache_dir: Path, sha256: str, page: int) -> Path:
    """Where page ``page`` (1-based) of the document with this content hash is cached."""
    return cache_dir / sha256[:2] / f"{sha256}.p{page}.v{RENDER_VERSION}.png"


def page_png(source: Path, sha256: str, page: int, cache_dir: Path | None, limits: Limits, name: str) -> bytes:
    """PNG bytes of page ``page`` (1-based) of the PDF ``source``, from the cache when it is there.

    ``cache_dir`` None (a read-only repository) renders without caching. A page the PDF does not
    have is a ``NotFoundError``; a PDF pdfium cannot draw is an ``InputFileError`` naming ``name``."""
    if page < 1:
        raise NotFoundError(f"{name}: no page {page} (pages count from 1)")
    cached = page_cache_file(cache_dir, sha256, page) if cache_dir is not None else None
    if cached is not None and cached.is_file():
        return cached.read_bytes()
    scratch = None
    if cached is None:
        scratch = Path(tempfile.mkdtemp(prefix="archive-kit-page-"))
        target = scratch / "page.png"
    else:
        target = cached
    try:
        pages = _in_worker(_render_page, (str(source), page - 1, str(target)), limits, name)
        if pages < page:
            raise NotFoundError(f"{name}: no page {page}; the document has {pages}")
        return target.read_bytes()
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def page_view(source: Path, terms: list[str], ocr_pages: list[dict[str, Any]], *, image_document: bool,
              limits: Limits, name: str, query: str | None = None) -> PageView:
    """The pages of the PDF ``source`` and where the folded query ``terms`` are on them.

    ``ocr_pages`` are the OCR layouts the ingest kept (``Extraction.ocr_pages``); for an
    ``image_document`` (a photo or scan file, shown through its rendition) their boxes are placed
    where the image sits on the rendition's page."""
    layout = _in_worker(_locate, (str(source), terms, image_document), limits, name)
    by_page: dict[int, list[dict[str, Any]]] = {}
    for number, info in enumerate(layout, 1):
        if info["marks"]:
            by_page.setdefault(number, []).extend(info["marks"])
    if terms:
        for ocr in ocr_pages:
            number = int(ocr.get("page") or 0)
            if not 1 <= number <= len(layout):
                continue
            frame = layout[number - 1]["image"] if image_document else (0.0, 0.0, 1.0, 1.0)
            if frame is None:
                continue
            by_page.setdefault(number, []).extend(ocr_marks(ocr, terms, frame))
    hits = [{"page": n, "marks": marks} for n, marks in sorted(by_page.items()) if marks]
    return PageView(len(layout), [tuple(info["size"]) for info in layout], hits, query)


def _cells(text: str) -> list[float]:
    """Where each character of an OCR line starts, and where the last one's ink ends, as shares of
    the line box: half a cell for Latin letters, digits and spaces, a whole one for everything
    else (Chinese, and punctuation, which OCR normalisation turns half-width but the page prints
    full-width), and a trailing punctuation mark only the left part of its cell that it inks."""
    import unicodedata

    widths = [0.5 if c.isascii() and (c.isalnum() or c == " ") else 1.0 for c in text]
    if text and unicodedata.category(text[-1]).startswith("P"):
        widths[-1] = 0.4
    total = sum(widths) or 1.0
    starts, at = [], 0.0
    for w in widths:
        starts.append(at / total)
        at += w
    return starts + [1.0]


def ocr_marks(ocr: dict[str, Any], terms: list[str], frame: Box) -> list[dict[str, Any]]:
    """Marks for the ``terms`` on one OCRed page: each match narrowed to its characters' cells of
    the line box (lines read left to right, or top to bottom when taller than wide), as fractions
    of the page, the OCRed image filling ``frame`` of it."""
    from .search.snippet import term_pattern

    width, height = float(ocr.get("width") or 0), float(ocr.get("height") or 0)
    if width <= 0 or height <= 0:
        return []
    patterns = [term_pattern(t) for t in terms]
    fx0, fy0, fx1, fy1 = frame
    marks = []
    for line in ocr.get("lines") or []:
        text, box = line.get("text") or "", line.get("box")
        if not text or not box:
            continue
        left, top, right, bottom = (float(v) for v in box)
        cells = _cells(text)
        for k, pattern in enumerate(patterns):
            for m in pattern.finditer(text):
                a, b = cells[m.start()], cells[m.end()]
                if right - left >= bottom - top:
                    x0, x1, y0, y1 = left + a * (right - left), left + b * (right - left), top, bottom
                else:
                    x0, x1, y0, y1 = left, right, top + a * (bottom - top), top + b * (bottom - top)
                marks.append({"box": _rounded((fx0 + x0 / width * (fx1 - fx0), fy0 + y0 / height * (fy1 - fy0),
                                               fx0 + x1 / width * (fx1 - fx0), fy0 + y1 / height * (fy1 - fy0))),
                              "term": k})
    return marks


def read_ocr_pages(extract_dir: Path, sha256: str) -> list[dict[str, Any]]:
    """The OCR layouts kept in the cached extraction of the original with this hash ([] when none
    is cached or it was cached before boxes were kept)."""
    for path in sorted((extract_dir / sha256[:2]).glob(f"{sha256}.*.json")):
        try:
            pages = json.loads(path.read_text(encoding="utf-8")).get("ocr_pages")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(pages, list) and pages:
            return [p for p in pages if isinstance(p, dict)]
    return []


def render_limits(limits: Limits) -> Limits:
    """The repository's per-file limits, with the time cut to what one page may take."""
    return dataclasses.replace(limits, timeout_s=min(limits.timeout_s, RENDER_TIMEOUT_S),
                               ceiling_s=min(limits.ceiling_s, 2 * RENDER_TIMEOUT_S))


# --------------------------------------------------------------------------- in the worker


def _in_worker(func: Any, args: tuple, limits: Limits, name: str) -> Any:
    """Run ``func(*args)`` in a fresh worker process under ``limits``; its failure names ``name``."""
    with WorkerPool(1, render_limits(limits)) as pool:
        outcome = next(pool.run(func, [(0, args)]))
    if outcome.error:
        raise InputFileError(name, f"its pages cannot be shown: {outcome.error}")
    return outcome.value


def _open(path: str) -> Any:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as e:
        raise InputFileError(path, f"cannot open the PDF ({e})") from None


def render_page(source: str, index: int, scale_of: Callable[[float, float], float], *,
                grayscale: bool = False) -> tuple[Any, int, tuple[float, float]]:
    """Render 0-based page ``index`` of the PDF ``source`` at ``scale_of(width pt, height pt)``
    pixels per point (fewer where the page would exceed MAX_PAGE_PIXELS); returns (PIL image, RGB or
    greyscale ``L``, or None when the document has fewer pages; the page count; the page's size in
    points). Call it in a worker process only: pdfium is C, and every document is hostile."""
    pdf = _open(source)
    try:
        count = len(pdf)
        if index >= count:
            return None, count, (0.0, 0.0)
        page = pdf[index]
        try:
            w, h = page.get_size()
            if not (w > 0 and h > 0):
                raise InputFileError(source, f"page {index + 1} has no size")
            scale = scale_of(w, h)
            if w * h * scale * scale > MAX_PAGE_PIXELS:
                scale = (MAX_PAGE_PIXELS / (w * h)) ** 0.5
            bitmap = page.render(scale=scale, grayscale=grayscale, may_draw_forms=False)
            try:
                return bitmap.to_pil().convert("L" if grayscale else "RGB"), count, (w, h)
            finally:
                bitmap.close()
        finally:
            page.close()
    finally:
        pdf.close()


def _render_page(source: str, index: int, dest: str) -> int:
    """Render 0-based page ``index`` of ``source`` PAGE_WIDTH_PX wide into the PNG ``dest``
    (atomically); returns the page count (smaller than ``index + 1``: nothing was rendered)."""
    from .store import atomic_write_bytes

    image, count, _ = render_page(source, index, lambda w, h: PAGE_WIDTH_PX / w)
    if image is None:
        return count
    import io

    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=3)
    atomic_write_bytes(Path(dest), buf.getvalue())
    return count


def _device(page: Any, size: tuple[float, float]) -> Any:
    """A function from page coordinates to fractions of the page as displayed (rotation included)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    dw, dh = 10000, max(1, round(10000 * size[1] / size[0]))

    def to_fraction(x: float, y: float) -> tuple[float, float]:
        dx, dy = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDF_PageToDevice(page.raw, 0, 0, dw, dh, 0, x, y, ctypes.byref(dx), ctypes.byref(dy))
        return dx.value / dw, dy.value / dh

    return to_fraction


def _rect(to_fraction: Any, left: float, bottom: float, right: float, top: float) -> Box:
    """A page-coordinate rectangle as a fraction box (left, top, right, bottom)."""
    xa, ya = to_fraction(left, top)
    xb, yb = to_fraction(right, bottom)
    return _rounded((min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb)))


def _rounded(box: Box) -> Box:
    return tuple(round(min(1.0, max(0.0, v)), 5) for v in box)  # type: ignore[return-value]


def _locate(source: str, terms: list[str], image_document: bool) -> list[dict[str, Any]]:
    """Per page of ``source``: its size in points, the marks of ``terms`` in its text layer and, for
    an image document, where its image sits (a fraction box, or None)."""
    import pypdfium2.raw as pdfium_c

    from .search.snippet import term_pattern

    patterns = [term_pattern(t) for t in terms]
    pdf = _open(source)
    out = []
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                size = page.get_size()
                info: dict[str, Any] = {"size": size, "marks": [], "image": None}
                if size[0] > 0 and size[1] > 0:
                    to_fraction = _device(page, size)
                    if patterns:
                        info["marks"] = _text_marks(page, terms, patterns, to_fraction)
                    if image_document:
                        images = list(page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=1))
                        if len(images) == 1:
                            info["image"] = _rect(to_fraction, *images[0].get_bounds())
                out.append(info)
            finally:
                page.close()
    finally:
        pdf.close()
    return out


def _text_marks(page: Any, terms: list[str], patterns: list[Any], to_fraction: Any) -> list[dict[str, Any]]:
    """Marks of the terms on one page's text layer (empty for a page without one)."""
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count <= 0:
            return []
        text = textpage.get_text_range(0, count)
        spans: list[tuple[int, int, int]] = []
        if len(text) == count:  # one text character per text-page character: the search's own matcher
            spans = [(m.start(), m.end() - m.start(), k) for k, p in enumerate(patterns)
                     for m in p.finditer(text) if m.end() > m.start()]
        else:
            for k, term in enumerate(terms):
                searcher = textpage.search(term, match_case=False)
                while (found := searcher.get_next()) is not None:
                    spans.append((found[0], found[1], k))
        marks = []
        for start, length, k in spans:
            for i in range(textpage.count_rects(start, length)):
                marks.append({"box": _rect(to_fraction, *textpage.get_rect(i)), "term": k})
        return marks
    finally:
        textpage.close()
