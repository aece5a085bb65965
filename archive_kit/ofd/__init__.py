"""OFD documents (GB/T 33190-2016, 版式文档): detect, read, render to PDF.

- ``is_ofd(path)``: a ZIP package with ``OFD.xml`` at its root, judged from the bytes;
- ``read_ofd(path)``: an ``OfdDocument`` (pages in order, each page's text in reading order and
  display list, its PhysicalBox, DocInfo metadata, warnings); hostile or broken packages raise
  ``InputFileError`` with a one-line reason;
- ``render_ofd_pdf(doc_or_path)``: the document as PDF bytes, one page per OFD page at its size,
  text drawn as real (selectable, searchable) text with an embedded CJK font.
"""
from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from ..errors import ArchiveKitError, InputFileError
from ..formats import read_member_head
from .model import FontRef, ImageItem, OfdDocument, OfdPage, PathItem, TextItem, parse_ofd_date
from .package import OfdPackage
from .reader import read_package
from .render import RENDER_LIMITS

__all__ = ["is_ofd", "read_ofd", "render_ofd_pdf", "OfdDocument", "OfdPage", "TextItem", "PathItem",
           "ImageItem", "FontRef", "parse_ofd_date", "RENDER_LIMITS"]


def is_ofd(path: Path | str) -> bool:
    """True when ``path`` is a ZIP package with ``OFD.xml`` (any letter case) at its root.

    Only the zip's central directory is read, and at most the first bytes of ``OFD.xml``
    (``read_member_head``): nothing big is unpacked, so a zip bomb is recognised as an OFD here
    and then refused, with the reason, by ``read_ofd`` (``check_zip_size``).
    """
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"PK\x03\x04":
                return False
        with zipfile.ZipFile(path) as z:
            root = next((i.filename for i in z.infolist() if i.filename.replace("\\", "/").lower() == "ofd.xml"), None)
            return root is not None and b"OFD" in read_member_head(z, root, 4096)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError, zlib.error):
        return False


def read_ofd(path: Path | str) -> OfdDocument:
    """Read an OFD file: pages, text in reading order, metadata and warnings.

    Raises ``InputFileError`` (one line) for anything that is not a readable OFD.
    """
    name = str(path)
    try:
        with OfdPackage(Path(path)) as pkg:
            return read_package(pkg)
    except ArchiveKitError:
        raise
    except RecursionError:
        raise InputFileError(name, "damaged OFD: its structure is nested too deeply") from None
    except MemoryError:
        raise InputFileError(name, "refused: OFD needs more memory than is available") from None
    except Exception as e:  # noqa: BLE001 - the last guard: any other surprise is one clear line, not a traceback
        raise InputFileError(name, f"damaged OFD: it could not be read ({type(e).__name__}: {str(e)[:120]})") from None


def render_ofd_pdf(doc_or_path: OfdDocument | Path | str, warnings: list[str] | None = None) -> bytes:
    """The document as PDF bytes: one page per OFD page at its PhysicalBox size, its text real text.

    What could not be drawn is appended to ``warnings`` when given (and logged); ``RENDER_LIMITS``
    lists what is never drawn. Raises ``InputFileError`` like ``read_ofd``.
    """
    from .render import render_pdf

    doc = doc_or_path if isinstance(doc_or_path, OfdDocument) else read_ofd(doc_or_path)
    return render_pdf(doc, warnings)
