"""DOCX extractor: paragraphs, tables, content controls, headers and footers, in document order.

The zip is checked for bombs before python-docx touches it; python-docx parses XML without
resolving entities, so entity-expansion attacks do not expand.
"""
from __future__ import annotations

import math
import re
import zipfile
import zlib
from pathlib import Path

from ..errors import ArchiveKitError, InputFileError
from ..formats import check_zip_size, read_member_head
from ..textnorm import normalize_extracted
from . import ExtractOptions, Extraction, register

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TITLE_STYLES = ("title", "标题")
# characters on a full A4 page of an official document (GB/T 9704: 22 lines of 28 characters), for
# estimating the pages of a document that states none when LibreOffice cannot count them
CHARS_PER_PAGE = 22 * 28


def check_zip(path: Path) -> None:
    """Refuse zip bombs: too much uncompressed data, or an absurd compression ratio."""
    name = str(path)
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as e:
        raise InputFileError(name, f"damaged Word document: {e}") from None
    check_zip_size(path, infos)


def _is_strict(path: Path) -> bool:
    """True for ISO 29500 Strict packages, which python-docx cannot read."""
    try:
        with zipfile.ZipFile(path) as z:
            return b"purl.oclc.org/ooxml" in read_member_head(z, "_rels/.rels", 20_000)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, zlib.error):
        return False


def _page_count(path: Path) -> int | None:
    """Pages as Word last counted them (docProps/app.xml), when present."""
    try:
        with zipfile.ZipFile(path) as z:
            data = read_member_head(z, "docProps/app.xml", 100_000).decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, zlib.error):
        return None
    m = re.search(r"<(?:\w+:)?Pages>(\d+)</", data)
    return int(m.group(1)) if m and int(m.group(1)) > 0 else None


def counted_pages(path: Path, text: str, options: ExtractOptions) -> tuple[int, str | None]:
    """The document's page count and, when it is only an estimate, why (else None).

    The count is that of its PDF rendition: LibreOffice lays the document out as the bundle will
    print it, so the listing, the stamp and the bundle agree. The rendition is made here (in the
    ingest worker) and cached by content hash in ``options.renditions_dir`` for the bundle. Where
    LibreOffice is missing or fails, the estimate is the pages Word last counted (docProps/app.xml),
    else the text's length over a full page."""
    from ..renditions import office_rendition
    from .pdf import open_pdf

    if options.renditions_dir:
        try:
            pdf = office_rendition(path, "docx", Path(options.renditions_dir), timeout=options.convert_timeout_s)
            return len(open_pdf(pdf).pages), None
        except InputFileError as e:
            why = getattr(e, "reason", None) or str(e)
    else:
        why = "no rendition was made"
    own = _page_count(path)
    if own:
        return own, f"{why}; counted from the document's own properties"
    return max(1, math.ceil(len(text) / CHARS_PER_PAGE)), f"{why}; estimated from its text length"


def _paragraph_texts(element) -> list[str]:
    """Text of every w:p under an XML element, in order (covers tables and content controls)."""
    out = []
    for p in element.iter(f"{{{W_NS}}}p"):
        parts = []
        for node in p.iter():
            tag = node.tag
            if tag == f"{{{W_NS}}}t" and node.text:
                parts.append(node.text)
            elif tag in (f"{{{W_NS}}}tab",):
                parts.append("\t")
            elif tag in (f"{{{W_NS}}}br", f"{{{W_NS}}}cr"):
                parts.append("\n")
        line = "".join(parts).strip()
        if line:
            out.append(line)
    return out


def _title_from_styles(document) -> str | None:
    """The first paragraph styled Title (or 标题), which Word users mean as the title."""
    for para in document.paragraphs[:30]:
        style = (para.style.name if para.style is not None else "") or ""
        if style.lower().startswith(TITLE_STYLES) and para.text.strip():
            return normalize_extracted(para.text).strip()
    return None


@register("docx")
def extract_docx(path: Path, options: ExtractOptions) -> Extraction:
    """Body text (paragraphs, tables, content controls), then headers and footers."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    name = str(path)
    check_zip(path)
    try:
        document = docx.Document(str(path))
        lines = _paragraph_texts(document.element.body)
        extra: list[str] = []
        for section in document.sections:
            for part in (section.header, section.footer, section.first_page_header, section.first_page_footer):
                try:
                    if part is not None and not part.is_linked_to_previous:
                        extra.extend(_paragraph_texts(part._element))
                except (KeyError, ValueError, AttributeError):
                    continue
        title = _title_from_styles(document)
    except ArchiveKitError:
        raise
    except PackageNotFoundError:
        raise InputFileError(name, "not a Word document: the package has no main document part") from None
    except Exception as e:  # noqa: BLE001 - python-docx raises many types on broken packages
        if _is_strict(path):
            raise InputFileError(name, "Strict Open XML Word documents are not supported; save it as a normal .docx") from None
        msg = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
        raise InputFileError(name, f"damaged Word document ({msg})") from None
    seen: set[str] = set()
    footer_lines = [x for x in extra if not (x in seen or seen.add(x))]
    text = normalize_extracted("\n".join(lines + footer_lines))
    pages, estimated = counted_pages(path, text, options)
    return Extraction(text=text, pages=pages, pages_estimated=estimated, title_hint=title)
