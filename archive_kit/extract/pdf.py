"""PDF extractor: the text layer through pypdf; pages without one (scans) are OCRed.

pypdf raises many unrelated exception types on broken files; they are all turned into one
``InputFileError`` here, at the edge, so the rest of archive-kit sees one error family.
"""
from __future__ import annotations

import logging
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

from ..errors import ArchiveKitError, InputFileError
from ..textnorm import normalize_extracted
from ..workers import progress
from . import ExtractOptions, Extraction, register

# a page with fewer meaningful characters than this is treated as a scan and OCRed
MIN_TEXT_CHARS = 8
if TYPE_CHECKING:
    from pypdf import PdfReader

    from ..ocr import OcrResult

logging.getLogger("pypdf").setLevel(logging.ERROR)


def open_pdf(path: Path) -> "PdfReader":
    """Open a PDF, decrypting it with the empty password when needed; one clear error otherwise."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    name = str(path)
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except (NotImplementedError, ImportError) as e:
                raise InputFileError(name, f"encrypted PDF with an unsupported cipher ({e})") from None
            if not ok:
                raise InputFileError(name, "password-protected PDF: it cannot be opened without its password")
        n = len(reader.pages)
    except ArchiveKitError:
        raise
    except FileNotDecryptedError:
        raise InputFileError(name, "password-protected PDF: it cannot be opened without its password") from None
    except RecursionError:
        raise InputFileError(name, "damaged PDF: its object structure is nested too deeply or loops") from None
    except (PdfReadError, Exception) as e:  # noqa: BLE001 - pypdf raises anything on broken files
        raise InputFileError(name, f"damaged or unreadable PDF ({type(e).__name__}: {_short(e)})") from None
    if n == 0:
        raise InputFileError(name, "PDF has no pages")
    return reader


def _short(e: BaseException) -> str:
    """First line of an exception message, trimmed."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else "no detail"
    return text[:160]


def _page_text(reader, index: int) -> str:
    """Text of one page; a page pypdf cannot parse counts as having no text layer."""
    try:
        return normalize_extracted(reader.pages[index].extract_text() or "")
    except RecursionError:
        return ""
    except Exception:  # noqa: BLE001 - one broken page must not lose the others
        return ""


@dataclass
class PendingOcr:
    """A PDF read up to its OCR: every page's text layer, and the pages that still need OCR (those
    without a text layer that have something drawn on them). Whoever OCRs the pages, one after the
    other here or spread over many workers by ingest, hands the results to ``finish``."""

    path: str
    texts: list[str]
    pages: list[int]  # 0-based, ascending
    blank: int        # pages without a text layer that have nothing drawn on them
    title_hint: str | None
    engine: str
    threads: int

    def finish(self, results: Iterable[tuple[int, "OcrResult | None"]]) -> Extraction:
        """The document's Extraction, given each OCRed page's (page, result); a None result is a page
        that rendered blank. The text is assembled in page order whatever order the results come in."""
        from ..ocr import is_low_confidence

        texts = list(self.texts)
        blank = self.blank
        found = dict(results)
        confidences: list[float] = []
        low: list[int] = []
        layouts: list[dict] = []   # each OCRed page's lines and boxes (the console marks hits on scans)
        for i in sorted(found):
            res = found[i]
            if res is None:
                blank += 1
                continue
            if res.text.strip():
                texts[i] = res.text
                layouts.append(res.layout(i + 1))
            if res.confidence is not None:
                confidences.append(res.confidence)
                if is_low_confidence(res, self.engine):
                    low.append(i + 1)
        warnings = [f"{blank} blank page(s) with nothing to read were not OCRed"] if blank else []
        return _extraction(texts, self.title_hint, warnings,
                           ocr=any(r is not None and r.text.strip() for r in found.values()),
                           ocr_confidence=(sum(confidences) / len(confidences)) if confidences else None,
                           low_confidence_pages=low, ocr_pages=layouts)


def _extraction(texts: list[str], title: str | None, warnings: list[str], **ocr: object) -> Extraction:
    """The Extraction of a PDF whose pages read ``texts``."""
    return Extraction(text="\n\f\n".join(texts).strip("\n\f"), pages=len(texts), title_hint=title,
                      warnings=warnings, **ocr)  # type: ignore[arg-type]


@contextmanager
def _ocr_failures(path: Path | str) -> Iterator[None]:
    """Turn what a renderer raises on a page it cannot draw into one line naming the file."""
    try:
        yield
    except ArchiveKitError:
        raise
    except Exception as e:  # noqa: BLE001 - a page the renderer cannot draw
        raise InputFileError(str(path), f"scanned pages could not be rendered for OCR ({_short(e)})") from None


def read_pdf(path: Path, options: ExtractOptions) -> Extraction | PendingOcr:
    """The text layer of every page, and which pages need OCR: an Extraction when none does (or OCR
    is off), else a PendingOcr. Refuses a document with more pages to OCR than ``ocr_max_pages``."""
    reader = open_pdf(path)
    n = len(reader.pages)
    texts = []
    for i in range(n):
        texts.append(_page_text(reader, i))
        progress()
    title = _title(reader)
    scanned = [i for i, t in enumerate(texts) if sum(not c.isspace() for c in t) < MIN_TEXT_CHARS]
    if not (scanned and options.ocr):
        off = bool(scanned) and len(scanned) == n
        return _extraction(texts, title, ["no text layer and OCR was off: the text is empty"] if off else [])
    from ..ocr import engine_class, pages_with_content

    with _ocr_failures(path):
        drawn = pages_with_content(path, scanned)  # the others have nothing on them at all
    if len(drawn) > options.ocr_max_pages:
        raise InputFileError(str(path), f"{len(drawn)} pages need OCR, more than the limit of "
                             f"{options.ocr_max_pages} for one document (`ocr_max_pages` in the repository "
                             "config); raise the limit, or ingest it with --no-ocr")
    if drawn:
        engine_class(options.ocr_engine)  # fail now, not once per page, when the engine is missing
    pending = PendingOcr(str(path), texts, drawn, len(scanned) - len(drawn), title, options.ocr_engine,
                         options.threads)
    return pending if drawn else pending.finish([])


def ocr_page(path: str, index: int, engine: str, threads: int) -> "OcrResult | None":
    """OCR page ``index`` of a PendingOcr's PDF (None when it renders blank): one page as a task of its
    own, so the pages of one long scan can be OCRed by several workers at once."""
    from ..ocr import ocr_pdf_page

    with _ocr_failures(path):
        return ocr_pdf_page(Path(path), index, engine, threads)


def _title(reader: "PdfReader") -> str | None:
    """The document-info title, if there is a usable one."""
    try:
        meta = reader.metadata
        if meta and meta.title and str(meta.title).strip():
            return normalize_extracted(str(meta.title)).strip()[:200]
    except Exception:  # noqa: BLE001 - broken info dictionaries are common and harmless
        pass
    return None


@register("pdf")
def extract_pdf(path: Path, options: ExtractOptions) -> Extraction | PendingOcr:
    """Text of every page; scanned pages are OCRed when ``options.ocr`` is on, one after the other
    here, or left to the caller (a PendingOcr) with ``options.split_ocr``."""
    found = read_pdf(path, options)
    if isinstance(found, Extraction) or options.split_ocr:
        return found
    from ..ocr import iter_pdf_ocr

    def pages_done() -> Iterator[tuple[int, "OcrResult | None"]]:
        with closing(iter_pdf_ocr(path, found.pages, found.engine, found.threads)) as pages:
            for page in pages:  # progress per page: the worker's time limit counts from the last one
                progress()
                yield page

    with _ocr_failures(path):
        return found.finish(pages_done())
