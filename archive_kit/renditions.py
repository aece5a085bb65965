"""PDF renditions: every document as a PDF, made once and cached by content hash.

PDFs are used as they are (a decrypted copy when only an empty password protects them), images
go on A4 pages at their true size (shrunk to fit, upright by EXIF), and office documents are
converted by LibreOffice. Once a rendition exists, the document's page count is the rendition's
(``Catalogue.recount``: an estimated count is replaced, a numbered item's box total follows, and the
change is logged). Word documents are rendered at ingest already (``extract.docx.counted_pages``).
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

from .catalogue import Catalogue, Document
from .errors import ArchiveKitError, InputFileError
from .store import ObjectStore, atomic_write_bytes

log = logging.getLogger(__name__)

A4_PT = (595.28, 841.89)
OFFICE_FORMATS = {"docx", "doc", "wps", "rtf", "odt", "xls", "xlsx"}
# Part of every cached rendition's name. Version 1 (``<sha256>.pdf``) was made before office
# conversions were sealed off and may show local files a document linked to: never used again.
RENDITION_VERSION = 2


@dataclass
class Rendition:
    """A document's rendition (``path``, ``pages``) or, when none could be made, why (``note``)."""

    path: Path | None
    pages: int = 0
    note: str | None = None


def rendition_path(renditions_dir: Path, sha256: str) -> Path:
    """Where the rendition of the original with this hash is cached in ``renditions_dir``."""
    return renditions_dir / f"{sha256}.v{RENDITION_VERSION}.pdf"


def keep_rendition(pdf: bytes, sha256: str, renditions_dir: Path) -> Path:
    """Cache ``pdf`` as the rendition of the original with hash ``sha256`` (unless one is cached),
    removing what an earlier version cached for it."""
    dest = rendition_path(renditions_dir, sha256)
    if not dest.is_file():
        atomic_write_bytes(dest, pdf)
        (renditions_dir / f"{sha256}.pdf").unlink(missing_ok=True)
    return dest


def office_rendition(path: Path, fmt: str, renditions_dir: Path, *, timeout: float = 180) -> Path:
    """The cached rendition of the office file at ``path`` (format ``fmt``), converted by LibreOffice
    (office.py, sealed off, within ``timeout`` s) only when none is cached for its bytes yet. Raises
    ``OfficeError`` (``OfficeMissingError`` without LibreOffice) when it cannot be made."""
    from .office import pdf_bytes
    from .store import hash_file

    sha = hash_file(path)
    dest = rendition_path(renditions_dir, sha)
    if not dest.is_file():
        keep_rendition(pdf_bytes(path, f".{fmt}", timeout), sha, renditions_dir)
    return dest


def make_rendition(catalogue: Catalogue, store: ObjectStore, renditions_dir: Path, doc: Document) -> Rendition:
    """The document's rendition in ``renditions_dir``, made from its original in ``store`` if not
    cached; a failure becomes a ``note``, never an error. A page count that differs from the
    catalogue's is corrected there (and in ``doc``)."""
    from .extract.pdf import open_pdf

    dest = rendition_path(renditions_dir, doc.sha256)
    try:
        if not dest.is_file():
            keep_rendition(_render(store, doc), doc.sha256, renditions_dir)
        pages = len(open_pdf(dest).pages)
    except ArchiveKitError as e:
        reason = getattr(e, "reason", None) or str(e)
        return Rendition(None, 0, f"no rendition was made: {reason}")
    if doc.pages != pages or doc.pages_estimated:
        with catalogue.transaction():
            before = catalogue.recount(doc.id, pages)
        log.info("#%d %s: %s page(s) counted from its rendition (was %s%s)", doc.id, doc.original_name, pages,
                 before, ", estimated" if doc.pages_estimated else "")
        doc.pages, doc.pages_estimated = pages, None
    return Rendition(dest, pages)


def _render(store: ObjectStore, doc: Document) -> bytes:
    """The rendition's bytes, by the original's format."""
    original = store.path_for(doc.sha256)
    if not original.is_file():
        raise InputFileError(doc.original_name, "the original is missing from the object store")
    if doc.format == "pdf":
        return _pdf(original)
    if doc.format == "image":
        return image_to_pdf(original)
    if doc.format == "ofd":
        from .ofd import render_ofd_pdf

        return render_ofd_pdf(original)
    if doc.format in OFFICE_FORMATS:
        return _office(original, doc)
    raise InputFileError(doc.original_name, f"no rendition for format {doc.format!r}")


def _pdf(path: Path) -> bytes:
    """The PDF itself, or a decrypted copy when it was encrypted with an empty password."""
    from pypdf import PdfWriter

    from .extract.pdf import open_pdf

    reader = open_pdf(path)  # refuses password-protected and unreadable files with a reason
    if not reader.is_encrypted:
        return path.read_bytes()
    try:
        writer = PdfWriter(clone_from=reader)
        buf = io.BytesIO()
        writer.write(buf)
    except Exception as e:  # noqa: BLE001 - pypdf raises anything on broken files
        raise InputFileError(str(path), f"encrypted PDF could not be decrypted ({type(e).__name__})") from None
    return buf.getvalue()


def _office(path: Path, doc: Document) -> bytes:
    """Convert through LibreOffice (office.py works on a private copy, shown with the format's extension)."""
    from .office import pdf_bytes

    return pdf_bytes(path, f".{doc.format}")


def image_to_pdf(path: Path) -> bytes:
    """Every frame of an image on its own A4 page at true size (shrunk to fit), EXIF orientation applied."""
    import img2pdf
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

    layout = img2pdf.get_layout_fun(pagesize=A4_PT, fit=img2pdf.FitMode.shrink, auto_orient=True)
    try:
        with Image.open(path) as im:
            raw_ok = im.format == "JPEG" and im.getexif().get(0x0112, 1) in (0, 1) and im.mode in ("L", "RGB", "CMYK")
            if raw_ok:
                blobs = [path.read_bytes()]
            else:
                blobs = [_frame_bytes(ImageOps.exif_transpose(frame.copy()), im.format)
                         for frame in ImageSequence.Iterator(im)]
        return img2pdf.convert(blobs, layout_fun=layout, rotation=img2pdf.Rotation.none, nodate=True)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, img2pdf.ImageOpenError) as e:
        raise InputFileError(str(path), f"image could not be placed on a page ({type(e).__name__}: {e})") from None


def _frame_bytes(frame, source_format: str | None) -> bytes:
    """One frame re-encoded for img2pdf: JPEG for photos, PNG for everything else; alpha on white."""
    from PIL import Image

    dpi = frame.info.get("dpi")
    if frame.mode in ("RGBA", "LA", "P", "PA"):
        rgba = frame.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.split()[-1])
        frame = white
    elif frame.mode not in ("1", "L", "RGB"):
        frame = frame.convert("RGB")
    buf = io.BytesIO()
    extra = {"dpi": tuple(float(x) for x in dpi)} if dpi and all(dpi) else {}
    if source_format == "JPEG" and frame.mode in ("L", "RGB"):
        frame.save(buf, format="JPEG", quality=92, **extra)
    else:
        frame.save(buf, format="PNG", **extra)
    return buf.getvalue()
