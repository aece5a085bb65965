"""Format detection by content (magic bytes), not by extension: an extension may lie."""
from __future__ import annotations

import os
import re
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


# characters never stored or shown raw: they move the cursor, rewrite the screen or reorder text
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def is_unsafe_char(c: str) -> bool:
    """True for a character that must never reach a name, a terminal or a log raw: C0 and C1
    controls and DEL, line and paragraph separators, bidirectional controls, lone surrogates."""
    return unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") or c in _BIDI_CONTROLS


def escape_char(c: str) -> str:
    """A visible stand-in for one unsafe character: ``\\xNN`` for an ASCII control or an
    undecodable byte (Python's surrogate escape), ``\\uNNNN`` for anything else (so the C1
    control U+0085 and the byte 0x85 do not look alike)."""
    o = ord(c)
    if 0xDC80 <= o <= 0xDCFF:
        return f"\\x{o - 0xDC00:02x}"
    return f"\\x{o:02x}" if o < 0x80 else f"\\u{o:04x}"


def escape_unsafe(text: str, keep: str = "") -> str:
    """``text`` with every unsafe character (except those in ``keep``) replaced by its escape."""
    return "".join(escape_char(c) if c not in keep and is_unsafe_char(c) else c for c in text)


def _script(c: str) -> str | None:
    """The alphabet of a non-ASCII letter (the first word of its Unicode name), else None."""
    if ord(c) < 0x80 or unicodedata.category(c)[0] != "L":
        return None
    return unicodedata.name(c, "?").split()[0]


def _rare(c: str) -> bool:
    """Characters real names do not use but misread GBK bytes often give: unassigned and private
    code points, IPA letters and spacing modifiers (but the ʻokina and apostrophe letters), and the
    medieval combining Latin letters."""
    o = ord(c)
    return (unicodedata.category(c) in ("Cn", "Co") or (0x250 <= o <= 0x2FF and o not in (0x2BB, 0x2BC))
            or 0x363 <= o <= 0x36F)


def _misread_gbk(text: str) -> bool:
    """True when valid UTF-8 reads as no real name does, so its bytes are GBK after all.

    GBK bytes that happen to be valid UTF-8 land in the two-byte range (Latin-1 to NKo), one
    character per Chinese character, jumbling alphabets: ``通知`` reads ``֪ͨ`` (a combining mark
    with no letter to sit on), ``学习`` reads ``ѧϰ`` (Cyrillic next to Greek). Real names keep one
    alphabet per word, so Cyrillic, Greek, Hebrew, decomposed (NFD) Latin and zero-width
    characters all pass as what they are; the rare GBK name these rules miss keeps its bytes in
    the catalogue.
    """
    prev = ""
    for c in text:
        if _rare(c):
            return True
        if unicodedata.category(c)[0] == "M":
            if not prev or unicodedata.category(prev)[0] != "L":
                return True
            own = unicodedata.name(c, "?").split()[0]
            if own != "COMBINING" and own != _script(prev):
                return True
            continue
        if prev and 0x80 <= ord(prev) < 0x800 and 0x80 <= ord(c) < 0x800:
            a, b = _script(prev), _script(c)
            if a != b and {a, b} != {"LATIN", None}:   # two alphabets, or a non-Latin letter against a symbol
                return True
        prev = c
    return False


_TWO_HIGH_BYTES = re.compile(rb"[\x80-\xff]{2}")


def _plausible_chinese(text: str, raw: bytes) -> bool:
    """True when ``text``, the GB18030 reading of ``raw``, looks like a Chinese file name: only
    ASCII, GBK's two-byte characters and Chinese characters, and at least two high bytes in a row
    (GBK writes a common character as two high bytes; a Latin-1 name such as ``caf\\xe9s``, which
    may read as GB18030 too, has one accented letter at a time between ASCII letters)."""
    return bool(_TWO_HIGH_BYTES.search(raw)) and all(
        c.isascii() or 0x3400 <= ord(c) <= 0x9FFF or len(c.encode("gb18030")) == 2 for c in text)


def _decode_part(raw: bytes) -> str:
    """One path component's bytes as text: UTF-8 as it is, GB18030 when UTF-8 cannot read the
    bytes (or reads them as GBK misread) and they read as a Chinese name; else UTF-8 with the
    undecodable bytes kept as surrogate escapes."""
    try:
        u: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        u = None
    if u is not None and not _misread_gbk(u):
        return u
    try:
        g = raw.decode("gb18030")
    except UnicodeDecodeError:
        g = None
    if g is not None and _plausible_chinese(g, raw):
        return g
    return u if u is not None else raw.decode("utf-8", "surrogateescape")


def readable_name(text: str) -> str:
    """A file name or path as people see it and the catalogue stores it (always valid UTF-8, one line).

    Valid UTF-8 is kept as it is (Cyrillic, decomposed Latin, zero-width characters). Names that
    are not UTF-8 on disk (GBK names from Windows zip files; Python hands them over
    surrogate-escaped) are decoded as GB18030, part by part; bytes that are neither are shown as
    ``\\xNN``, and unsafe characters (controls, bidirectional overrides) are escaped the same way.
    The escapes make the name readable, not reversible on their own: the catalogue also keeps the
    name's original bytes.
    """
    return escape_unsafe("/".join(_decode_part(raw) for raw in os.fsencode(text).split(b"/")))


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
    """The format archive-kit will ingest this file as: ``pdf``, ``docx``, ``image``, ``ofd`` or an
    office format (``doc``, ``wps``, ``rtf``, ``odt``, ``xls``, ``xlsx``); refuses anything else with a reason."""
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
        from .ofd import is_ofd  # OFD (GB/T 33190) is a zip with OFD.xml at its root

        if is_ofd(path):
            return "ofd"
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
    raise UnsupportedFormatError(name, f"unsupported format ({label}, content is {looks}); archive-kit takes PDF, OFD, Word, other office files and images")
