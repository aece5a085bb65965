"""Format detection by content (magic bytes), not by extension: an extension may lie."""
from __future__ import annotations

import os
import unicodedata
import zipfile
import zlib
from pathlib import Path

from .errors import InputFileError, UnsupportedFormatError

IMAGE_MAGIC = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
    b"BM": "BMP",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXTENSIONS = {
    "pdf": {".pdf"},
    "docx": {".docx", ".docm", ".dotx"},
    "image": {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif"},
}
MAX_UNPACKED = 512 * 1024 * 1024   # a zip package (docx, xlsx, odt) may unpack to at most this
MAX_RATIO = 200                     # ... and, above 50 MB, may not be compressed more than this
# legacy office formats, converted by LibreOffice when it is installed
OFFICE_EXTENSIONS = {".doc": "doc", ".wps": "wps", ".rtf": "rtf", ".odt": "odt", ".xls": "xls", ".xlsx": "xlsx", ".et": "xls"}


def _suspicious(text: str) -> bool:
    """True when a UTF-8 reading looks like GBK bytes misread: combining marks, controls, or the
    Greek-to-Indic blocks that GBK two-byte names land in (``通知`` in GBK reads as ``֪ͨ``)."""
    return any(unicodedata.category(c)[0] in "MC" or 0x0370 <= ord(c) <= 0x1FFF for c in text)


def _chinese(text: str) -> bool:
    """True when every character is ASCII or what Chinese file names are made of."""
    return all(c.isascii() or 0x3000 <= ord(c) <= 0x303F or 0x3400 <= ord(c) <= 0x9FFF
               or 0xFF00 <= ord(c) <= 0xFFEF or 0x2000 <= ord(c) <= 0x206F for c in text)


def _decode_part(raw: bytes) -> str:
    """One path component's bytes as text: UTF-8, or GB18030 when that reads as Chinese and UTF-8 does not."""
    try:
        u: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        u = None
    if u is not None and (u.isascii() or not _suspicious(u)):
        return u
    try:
        g: str | None = raw.decode("gb18030")
    except UnicodeDecodeError:
        g = None
    if g is not None and (u is None or _chinese(g)):
        return g
    return u if u is not None else raw.decode("utf-8", "backslashreplace")


def readable_name(text: str) -> str:
    """A file name or path as people see it and the catalogue stores it (always valid UTF-8, one line).

    Names that are not UTF-8 on disk (GBK names from Windows zip files; Python hands them over
    surrogate-escaped, or misread when the bytes happen to be valid UTF-8) are decoded as GB18030,
    part by part; bytes that are neither, and control characters, are shown as ``\\xNN``.
    """
    parts = [_decode_part(raw) for raw in os.fsencode(text).split(b"/")]
    return "".join(f"\\x{ord(c):02x}" if unicodedata.category(c) == "Cc" else c for c in "/".join(parts))


def read_member_head(z: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """The first ``limit`` bytes of a zip member, never unpacking more (a bomb stays packed)."""
    with z.open(name) as f:
        return f.read(limit)


def check_zip_size(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse zip bombs: too much unpacked data, or an absurd compression ratio."""
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNPACKED or (total > 50 * 1024 * 1024 and total / packed > MAX_RATIO):
        raise InputFileError(str(path), f"refused: unpacks to {total // (1024 * 1024)} MB (possible zip bomb)")


# (member, bytes to read, (marker, kind)…): ODF names its type in "mimetype", OOXML in its content types
_PACKAGE_MARKERS = (
    ("mimetype", 100, ((b"opendocument.text", "odt"), (b"opendocument.spreadsheet", "ods"))),
    ("[Content_Types].xml", 200_000,
     ((b"wordprocessingml", "docx"), (b"spreadsheetml", "xlsx"), (b"presentationml", "pptx"))),
)


def _zip_kind(path: Path) -> str | None:
    """Which OOXML/ODF package a zip file is, from its member names; refuses zip bombs."""
    try:
        with zipfile.ZipFile(path) as z:
            check_zip_size(path, z.infolist())
            names = set(z.namelist())
            for member, limit, markers in _PACKAGE_MARKERS:
                if member in names:
                    head = read_member_head(z, member, limit)
                    kind = next((k for marker, k in markers if marker in head), None)
                    if kind:
                        return kind
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, RuntimeError, EOFError, NotImplementedError, zlib.error):
        return None
    return "zip"


def detect(path: Path) -> str:
    """The format archive-kit will ingest this file as: ``pdf``, ``docx``, ``image`` or an office
    format (``doc``, ``wps``, ``rtf``, ``odt``, ``xls``, ``xlsx``); refuses anything else with a reason."""
    name = str(path)
    try:
        with open(path, "rb") as f:
            head = f.read(2048)
    except OSError as e:
        raise InputFileError(name, f"cannot read file: {e.strerror or e}") from None
    ext = path.suffix.lower()
    if not head:
        raise InputFileError(name, "file is empty (0 bytes)")
    if b"%PDF-" in head[:1024]:
        return "pdf"
    for magic, _kind in IMAGE_MAGIC.items():
        if head.startswith(magic):
            return "image"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1", b"ftyphevc"):
        raise UnsupportedFormatError(name, "HEIC photos are not supported; export them as JPEG first")
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(path)
        if kind == "docx":
            return "docx"
        if kind in ("xlsx", "odt"):
            return kind
        if kind is None:
            what = "Word document" if ext in EXTENSIONS["docx"] else "zip package"
            raise InputFileError(name, f"damaged {what}: the zip structure cannot be read")
        raise UnsupportedFormatError(name, f"unsupported format: a {kind} package")
    if head.startswith(OLE_MAGIC):
        if ext in (".doc", ".wps", ".xls", ".et"):
            return OFFICE_EXTENSIONS[ext]
        raise UnsupportedFormatError(name, "unsupported format: an old Office (OLE) file; save it as .doc or .docx")
    if head.startswith(b"{\\rtf"):
        return "rtf"
    expected = next((k for k, exts in EXTENSIONS.items() if ext in exts), None)
    if expected == "pdf":
        raise InputFileError(name, "not a PDF: no %PDF header (damaged or not a PDF at all)")
    if expected == "docx":
        if head.startswith(b"\x00") or len(head) < 200:
            raise InputFileError(name, "not a Word document (perhaps a Word lock file ~$…): no zip package")
        raise InputFileError(name, "not a Word document: the content is not a .docx package")
    if expected == "image":
        raise InputFileError(name, f"not a {ext.lstrip('.').upper()} image: the content does not match")
    return _refuse_unknown(name, ext, head)


def _refuse_unknown(name: str, ext: str, head: bytes) -> str:
    """Refuse a file of no supported kind, saying what it looks like."""
    try:
        head.decode("utf-8")
        looks = "plain text"
    except UnicodeDecodeError:
        looks = "unknown binary data"
    label = ext or "no extension"
    raise UnsupportedFormatError(name, f"unsupported format ({label}, content is {looks}); archive-kit takes PDF, Word and images")
