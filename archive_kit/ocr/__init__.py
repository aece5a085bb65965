"""OCR engines behind one small interface, plus helpers to OCR images and scanned PDF pages.

Each engine lives in its own module of this package and registers itself with
``@register_engine``; engine modules import their heavy libraries lazily, so discovering
them is cheap. Adding an engine is adding one module.
"""
from __future__ import annotations

import importlib
import pkgutil
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterable, Iterator

from PIL import Image

from ..errors import ArchiveKitError, InputFileError, UsageError
from ..textnorm import normalize_text

# Chosen by bench/ocr_accuracy.py: RapidOCR makes (almost) no character errors on clean, noisy
# and skewed scans, where tesseract chi_sim degrades badly with skew (see README table).
DEFAULT_ENGINE = "rapidocr"
# A page whose mean line confidence is below its engine's ``low_confidence`` (and which has text)
# is flagged for review; this is the default for engines that do not set their own.
LOW_CONFIDENCE_THRESHOLD = 0.6
# A line of one character with less confidence than this is treated as texture, not text.
LONE_GLYPH_CONFIDENCE = 0.8
# Images are scaled into this range (longest side, pixels) before OCR.
MAX_OCR_SIDE = 3000
MIN_OCR_SIDE = 1000
# PDF pages are rendered at no more than this many pixels (absurd MediaBoxes exist).
MAX_RENDER_PIXELS = 40_000_000
# A rendered page whose grey levels span less than this is one flat colour: blank, nothing to OCR.
BLANK_GREY_RANGE = 16


Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class OcrLine:
    """One recognised line of text, the engine's confidence in it (0..1) and where it is on the
    page image the engine read: ``box`` is (left, top, right, bottom) in that image's pixels."""

    text: str
    confidence: float
    box: Box | None = None


def bounding_box(points: Iterable[Iterable[float]]) -> Box | None:
    """The axis-aligned box (left, top, right, bottom) around ``points`` ((x, y) pairs), or None."""
    pts = [(float(p[0]), float(p[1])) for p in points]
    if not pts:
        return None
    xs, ys = [x for x, _ in pts], [y for _, y in pts]
    return (min(xs), min(ys), max(xs), max(ys))


@dataclass
class OcrResult:
    """What an engine read on one page: normalised text, its lines, mean confidence (None if empty),
    and the (width, height) of the page image the line boxes refer to."""

    text: str
    lines: list[OcrLine] = field(default_factory=list)
    confidence: float | None = None
    size: tuple[int, int] | None = None

    @classmethod
    def from_lines(cls, lines: list[OcrLine], size: tuple[int, int] | None = None) -> "OcrResult":
        """Normalise line texts, drop empty lines and lone unsure glyphs (in photos, round shapes
        read as 'O', '8', 'D'), join with newlines and average the confidences; ``size`` is the
        page image's (width, height), which the lines' boxes are in."""
        kept = []
        for line in lines:
            text = normalize_text(line.text).strip()
            if len(text) == 1 and line.confidence < LONE_GLYPH_CONFIDENCE:
                continue
            if text:
                conf = min(1.0, max(0.0, float(line.confidence)))
                kept.append(OcrLine(text, conf, line.box))
        conf = sum(l.confidence for l in kept) / len(kept) if kept else None
        return cls("\n".join(l.text for l in kept), kept, conf, size)

    def layout(self, page: int) -> dict[str, Any]:
        """This page's lines with their boxes, as the extraction cache keeps them (so the console can
        mark a search hit on the page image): ``{"page": n (1-based), "width", "height", "lines":
        [{"text", "confidence", "box": [left, top, right, bottom]}]}`` in page-image pixels."""
        width, height = self.size or (0, 0)
        return {"page": page, "width": width, "height": height,
                "lines": [{"text": l.text, "confidence": round(l.confidence, 4),
                           "box": [round(v, 1) for v in l.box] if l.box else None} for l in self.lines]}


class OcrEngine(ABC):
    """An OCR engine instance bound to a thread budget; ``recognize`` is safe to call from threads."""

    name: ClassVar[str] = ""
    install_hint: ClassVar[str] = ""
    low_confidence: ClassVar[float] = LOW_CONFIDENCE_THRESHOLD

    def __init__(self, threads: int = 1) -> None:
        self.threads = max(1, int(threads))

    @classmethod
    @abstractmethod
    def available(cls) -> bool:
        """True when the engine and its Chinese models are installed."""

    @abstractmethod
    def recognize(self, image: Image.Image) -> OcrResult:
        """Read the text on ``image`` (one page), top to bottom."""


_ENGINES: dict[str, type[OcrEngine]] = {}
_INSTANCES: dict[tuple[str, int], OcrEngine] = {}
_LOCK = threading.Lock()
_DISCOVERED = False


def register_engine(cls: type[OcrEngine]) -> type[OcrEngine]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    _ENGINES[cls.name] = cls
    return cls


def _discover() -> None:
    """Import every engine module of this package once, so they register themselves."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    _DISCOVERED = True


def engine_names() -> list[str]:
    """Names of all known engines (installed or not), sorted."""
    _discover()
    return sorted(_ENGINES)


def engine_status() -> dict[str, tuple[bool, str]]:
    """{engine name: (installed, install hint)} for ``doctor``."""
    _discover()
    return {name: (cls.available(), cls.install_hint) for name, cls in sorted(_ENGINES.items())}


def engine_class(name: str) -> type[OcrEngine]:
    """The engine class ``name``, checked to be installed (without loading it: that costs seconds
    and, for RapidOCR, a gigabyte); raises ArchiveKitError when it is unknown or missing."""
    _discover()
    cls = _ENGINES.get(name)
    if cls is None:
        raise UsageError(f"unknown OCR engine {name!r}; known: {', '.join(engine_names())}")
    if not cls.available():
        raise ArchiveKitError(f"{name} is not installed ({cls.install_hint})")
    return cls


def get_engine(name: str, threads: int = 1) -> OcrEngine:
    """The process-wide engine ``name`` using ``threads`` threads (loaded once per process, then kept
    warm for every later page); raises ArchiveKitError if missing."""
    cls = engine_class(name)
    key = (name, max(1, int(threads)))
    with _LOCK:
        engine = _INSTANCES.get(key)
        if engine is None:
            engine = cls(key[1])
            _INSTANCES[key] = engine
    return engine


def low_confidence_threshold(name: str) -> float:
    """Mean page confidence below which engine ``name``'s result should be reviewed by a person."""
    _discover()
    cls = _ENGINES.get(name)
    return cls.low_confidence if cls else LOW_CONFIDENCE_THRESHOLD


def is_low_confidence(result: OcrResult, engine: str) -> bool:
    """True when ``result`` has text whose mean confidence is below the engine's threshold."""
    return result.confidence is not None and result.confidence < low_confidence_threshold(engine)


def prepare_image(image: Image.Image) -> Image.Image:
    """An 8-bit RGB or grey copy of ``image`` sized for OCR: big photos shrunk, tiny scans enlarged."""
    im = image
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        bg = Image.new("RGB", rgba.size, (255, 255, 255))
        bg.paste(rgba, mask=rgba.getchannel("A"))
        im = bg
    elif im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        im = im.convert("F")
        lo, hi = im.getextrema()
        scale = 255.0 / (hi - lo) if hi > lo else 1.0
        im = im.point(lambda v: (v - lo) * scale).convert("L")
    elif im.mode not in ("RGB", "L"):
        im = im.convert("RGB")
    w, h = im.size
    longest = max(w, h)
    if longest > MAX_OCR_SIDE:
        f = MAX_OCR_SIDE / longest
        im = im.resize((max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.LANCZOS)
    elif 0 < longest < MIN_OCR_SIDE:
        f = min(4.0, MIN_OCR_SIDE / longest)
        im = im.resize((max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.BICUBIC)
    return im


def ocr_image(image: Image.Image, engine: str = DEFAULT_ENGINE, threads: int = 1) -> OcrResult:
    """OCR one page image with ``engine`` after ``prepare_image``."""
    return get_engine(engine, threads).recognize(prepare_image(image))


def _render(pdf: "object", path: Path, index: int, dpi: int) -> Image.Image:
    """Render page ``index`` of an open pypdfium2 document, lowering dpi for huge pages."""
    import pypdfium2 as pdfium

    try:
        page = pdf[index]  # type: ignore[index]
    except (IndexError, pdfium.PdfiumError) as e:
        raise InputFileError(str(path), f"cannot read page {index + 1}: {e}") from None
    try:
        w_pt, h_pt = page.get_size()
        if not (w_pt > 0 and h_pt > 0):
            raise InputFileError(str(path), f"page {index + 1} has no size")
        scale = dpi / 72.0
        if w_pt * h_pt * scale * scale > MAX_RENDER_PIXELS:
            scale = (MAX_RENDER_PIXELS / (w_pt * h_pt)) ** 0.5
        bitmap = page.render(scale=scale, grayscale=False)
        try:
            return bitmap.to_pil().convert("RGB")
        finally:
            bitmap.close()
    except pdfium.PdfiumError as e:
        raise InputFileError(str(path), f"cannot render page {index + 1}: {e}") from None
    finally:
        page.close()


def _open_pdf(path: Path) -> "object":
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        raise InputFileError(str(path), f"cannot open PDF: {e}") from None


def render_pdf_page(path: Path, index: int, dpi: int = 200) -> Image.Image:
    """Render 0-based page ``index`` of the PDF at ``dpi`` (lowered so the bitmap stays <= 40 MP)."""
    pdf = _open_pdf(path)
    try:
        return _render(pdf, path, index, dpi)
    finally:
        pdf.close()  # type: ignore[attr-defined]


def pages_with_content(path: Path, pages: list[int]) -> list[int]:
    """Those of the 0-based ``pages`` that have anything drawn on them (text, image or path objects).

    A page without a single object is blank: it is neither rendered nor OCRed, which costs
    nothing even for 10,000 of them. A page that cannot be loaded is kept (rendering reports it)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = _open_pdf(path)
    kept = []
    try:
        for i in pages:
            try:
                page = pdf[i]  # type: ignore[index]
            except (IndexError, pdfium.PdfiumError):
                kept.append(i)
                continue
            try:
                if pdfium_c.FPDFPage_CountObjects(page.raw) > 0:
                    kept.append(i)
            finally:
                page.close()
    finally:
        pdf.close()  # type: ignore[attr-defined]
    return kept


def is_blank(image: Image.Image) -> bool:
    """True when a rendered page is (almost) one flat colour, so there is nothing on it to read."""
    low, high = image.convert("L").getextrema()
    return high - low < BLANK_GREY_RANGE


def _ocr_page(pdf: "object", path: Path, index: int, engine: OcrEngine, dpi: int) -> OcrResult | None:
    """Render page ``index`` of an open PDF and OCR it; None when it renders blank."""
    image = _render(pdf, path, index, dpi)
    return None if is_blank(image) else engine.recognize(prepare_image(image))


def iter_pdf_ocr(path: Path, pages: list[int], engine: str = DEFAULT_ENGINE, threads: int = 1,
                 dpi: int = 200) -> Iterator[tuple[int, OcrResult | None]]:
    """OCR the given 0-based pages of a (scanned) PDF one at a time, yielding (page, result) after
    each (so a caller can report progress); the result is None for a page that renders blank."""
    if not pages:
        return
    eng = get_engine(engine, threads)  # fail early when the engine is missing
    pdf = _open_pdf(path)
    try:
        for i in pages:
            yield i, _ocr_page(pdf, path, i, eng, dpi)
    finally:
        pdf.close()  # type: ignore[attr-defined]


def ocr_pdf_page(path: Path, index: int, engine: str = DEFAULT_ENGINE, threads: int = 1,
                 dpi: int = 200) -> OcrResult | None:
    """OCR one 0-based page of a (scanned) PDF, None when it renders blank: one page as a task of
    its own, for a worker that keeps its engine loaded from page to page."""
    eng = get_engine(engine, threads)
    pdf = _open_pdf(path)
    try:
        return _ocr_page(pdf, path, index, eng, dpi)
    finally:
        pdf.close()  # type: ignore[attr-defined]


def ocr_pdf_pages(
    path: Path, pages: list[int], engine: str = DEFAULT_ENGINE, threads: int = 1, dpi: int = 200
) -> list[OcrResult]:
    """OCR the given 0-based pages of a (scanned) PDF, one OcrResult per requested page."""
    return [result or OcrResult("") for _, result in iter_pdf_ocr(path, pages, engine, threads, dpi)]
