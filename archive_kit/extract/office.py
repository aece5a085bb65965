"""Legacy office formats (.doc, .wps, .rtf, .odt, .xls, .xlsx) through LibreOffice.

The file is converted to PDF once (by office.py, sealed off from links and the network); the
text comes from that PDF, and the PDF is kept as the document's rendition (in
``options.renditions_dir``) so it is never converted twice.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from ..office import convert_to_pdf
from ..renditions import keep_rendition
from ..store import hash_file
from . import ExtractOptions, Extraction, register
from .pdf import _page_text, open_pdf

OFFICE_FORMATS = ("doc", "wps", "rtf", "odt", "xls", "xlsx")


def extract_office(path: Path, options: ExtractOptions) -> Extraction:
    """Convert with LibreOffice, read the PDF's text, and keep the PDF as the rendition."""
    with tempfile.TemporaryDirectory(prefix="archive-kit-extract-") as tmp:
        pdf = convert_to_pdf(path, Path(tmp), options.convert_timeout_s)
        reader = open_pdf(pdf)
        texts = [_page_text(reader, i) for i in range(len(reader.pages))]
        if options.renditions_dir:
            keep_rendition(pdf.read_bytes(), hash_file(path), Path(options.renditions_dir))
        warnings = [] if any(t.strip() for t in texts) else ["the converted document has no text"]
        return Extraction(text="\n\f\n".join(texts).strip("\n\f"), pages=len(texts), warnings=warnings)


for _fmt in OFFICE_FORMATS:
    register(_fmt)(extract_office)
del _fmt
