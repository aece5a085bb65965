"""An OFD document as an ``Extraction`` (text, page count, title and date hints, warnings), for
the extractor registry: ``extract_ofd`` has the signature of every registered extractor.

Text comes from the reader (pages' text in reading order). Image-only pages (scans saved as
OFD) have no text; when OCR is on, the document is drawn as PDF and that PDF goes through the
PDF extractor, which keeps the text layer of the pages that have one and OCRs the others, so
OFD scans are OCRed exactly as PDF scans are.
"""
from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

from ..extract import ExtractOptions, Extraction
from ..textnorm import normalize_text
from . import read_ofd, render_ofd_pdf


def extract_ofd(path: Path, options: ExtractOptions) -> Extraction:
    """Extract an OFD file; raises ``InputFileError`` (one line) when it cannot be read."""
    from ..extract.pdf import MIN_TEXT_CHARS, extract_pdf

    doc = read_ofd(path)
    texts = [normalize_text(page.text) for page in doc.pages]
    title = normalize_text(doc.title).strip()[:200] if doc.title else None
    warnings = list(doc.warnings)
    scanned = [i for i, t in enumerate(texts) if sum(not c.isspace() for c in t) < MIN_TEXT_CHARS]
    if scanned and options.ocr:
        with tempfile.TemporaryDirectory(prefix="archive-kit-ofd-") as tmp:
            pdf = Path(tmp) / "rendition.pdf"
            pdf.write_bytes(render_ofd_pdf(doc))
            found = extract_pdf(pdf, replace(options, split_ocr=False))  # the drawing lives only here
        return Extraction(text=found.text, pages=doc.page_count, title_hint=title, date_hint=doc.creation_date,
                          ocr=found.ocr, ocr_confidence=found.ocr_confidence,
                          low_confidence_pages=found.low_confidence_pages, warnings=warnings + found.warnings)
    if scanned and len(scanned) == len(texts):
        warnings.append("no text (the pages are images) and OCR was off: the text is empty")
    return Extraction(text="\n\f\n".join(texts).strip("\n\f"), pages=doc.page_count, title_hint=title,
                      date_hint=doc.creation_date, warnings=warnings)
