"""PDF extractor: the text layer through pypdf; pages without one (scans) are OCRed.

pypdf raises many unrelated exception types on broken files; they are all turned into one
``InputFileError`` here, at the edge, so the rest of archive-kit sees one error family.
"""
from __future__ import annotations

import logging
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ArchiveKitError, InputFileError
from ..textnorm import normalize_extracted
from ..workers import progress
from . import ExtractOptions, Extraction, register

# a page with fewer meaningful characters than this is treated as a scan and OCRed
MIN_TEXT_CHARS = 8
if TYPE_CHECKING:
    from pypdf import PdfReader

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


@register("pdf")
def extract_pdf(path: Path, options: ExtractOptions) -> Extraction:
    """Text of every page; scanned pages are OCRed when ``options.ocr`` is on."""
    reader = open_pdf(path)
    n = len(reader.pages)
    texts = []
    for i in range(n):
        texts.append(_page_text(reader, i))
        progress()
    warnings: list[str] = []
    scanned = [i for i, t in enumerate(texts) if sum(not c.isspace() for c in t) < MIN_TEXT_CHARS]
    ocr_used = False
    confidences: list[float] = []
    low: list[int] = []
    layouts: list[dict] = []
    if scanned and options.ocr:
        from ..ocr import is_low_confidence, iter_pdf_ocr, pages_with_content

        try:
            drawn = pages_with_content(path, scanned)   # the others have nothing on them at all
            if len(drawn) > options.ocr_max_pages:
                raise InputFileError(str(path), f"{len(drawn)} pages need OCR, more than the limit of "
                                     f"{options.ocr_max_pages} for one document (`ocr_max_pages` in the repository "
                                     "config); raise the limit, or ingest it with --no-ocr")
            blank = len(scanned) - len(drawn)
            with closing(iter_pdf_ocr(path, drawn, options.ocr_engine, options.threads)) as pages:
                for i, res in pages:  # progress per page: the worker's time limit counts from the last one
                    progress()
                    if res is None:
                        blank += 1
                        continue
                    if res.text.strip():
                        texts[i] = res.text
                        ocr_used = True
                        layouts.append(res.layout(i + 1))
                    if res.confidence is not None:
                        confidences.append(res.confidence)
                        if is_low_confidence(res, options.ocr_engine):
                            low.append(i + 1)
        except ArchiveKitError:
            raise
        except Exception as e:  # noqa: BLE001 - a page the renderer cannot draw
            raise InputFileError(str(path), f"scanned pages could not be rendered for OCR ({_short(e)})") from None
        if blank:
            warnings.append(f"{blank} blank page(s) with nothing to read were not OCRed")
    elif scanned and len(scanned) == n:
        warnings.append("no text layer and OCR was off: the text is empty")
    title = None
    try:
        meta = reader.metadata
        if meta and meta.title and str(meta.title).strip():
            title = normalize_extracted(str(meta.title)).strip()[:200]
    except Exception:  # noqa: BLE001 - broken info dictionaries are common and harmless
        title = None
    return Extraction(
        text="\n\f\n".join(texts).strip("\n\f"),
        pages=n,
        title_hint=title,
        ocr=ocr_used,
        ocr_confidence=(sum(confidences) / len(confidences)) if confidences else None,
        low_confidence_pages=low,
        warnings=warnings,
        ocr_pages=layouts,
    )
