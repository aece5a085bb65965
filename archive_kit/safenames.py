"""File names safe on every OS (Windows, macOS, Linux, zip tools) for bundle contents.

>>> safe_name("../../x", "pdf")
'x.pdf'
>>> safe_name("CON", "docx")
'_CON.docx'
>>> safe_name("a/b\\nc", "pdf")
'a_b c.pdf'
>>> safe_name("满意度95%调查", "pdf")
'满意度95％调查.pdf'

A name never holds ``%``: BagIt (RFC 8493) percent-encodes it in manifests as ``%25`` but
bagit-python, which ``verify --bundle`` and inspectors' tools use, decodes only ``%0A``/``%0D``, so
a ``%`` in a payload name would make one of the two readers call the bag damaged. It becomes the
full-width ``％``, which reads the same in a Chinese title.
"""
from __future__ import annotations

import re
import unicodedata

MAX_BYTES = 150
# Windows refuses these as names, with or without an extension (CON.txt is CON)
RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
            *(f"COM{i}" for i in "0123456789¹²³"), *(f"LPT{i}" for i in "0123456789¹²³")}
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_SPACES = re.compile(r"\s+")
PERCENT, FULLWIDTH_PERCENT = "%", "\uff05"


def clean_part(text: str) -> str:
    """One name part: no separators, control or reserved characters, no ``%`` (see above), no
    leading/trailing dots or spaces."""
    text = unicodedata.normalize("NFC", text or "")
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cs", "Co", "Cn"))
    text = _FORBIDDEN.sub("_", text).replace(PERCENT, FULLWIDTH_PERCENT)
    text = _SPACES.sub(" ", text).strip(" ._")
    return text


def _truncate(text: str, max_bytes: int) -> str:
    """Cut to at most ``max_bytes`` UTF-8 bytes without splitting a character."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", "ignore").rstrip(" .")


def safe_name(stem: str, ext: str = "", *, max_bytes: int = MAX_BYTES, fallback: str = "file") -> str:
    """``stem.ext`` made safe: no path parts, reserved names, control characters or trailing dots,
    at most ``max_bytes`` UTF-8 bytes."""
    ext = clean_part(ext).lstrip(".")[:10]
    suffix = f".{ext}" if ext else ""
    stem = clean_part(stem) or fallback
    stem = _truncate(stem, max_bytes - len(suffix.encode("utf-8"))).rstrip(" .") or fallback
    if stem.split(".")[0].upper().rstrip(" ") in RESERVED:
        stem = "_" + stem
        stem = _truncate(stem, max_bytes - len(suffix.encode("utf-8")))
    return stem + suffix


class NameAllocator:
    """Hands out safe names that never collide, comparing case-insensitively (Windows, macOS)."""

    def __init__(self, *, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.taken: set[str] = set()

    def name(self, stem: str, ext: str = "") -> str:
        """A safe, unused name for ``stem.ext``; repeats get ``_2``, ``_3`` … before the extension."""
        base = safe_name(stem, ext, max_bytes=self.max_bytes)
        clean_ext = clean_part(ext).lstrip(".")[:10]
        ext_part = f".{clean_ext}" if clean_ext else ""
        stem_part = base[: len(base) - len(ext_part)]
        candidate, n = base, 1
        while _key(candidate) in self.taken:
            n += 1
            tag = f"_{n}"
            room = self.max_bytes - len((tag + ext_part).encode("utf-8"))
            candidate = _truncate(stem_part, room) + tag + ext_part
        self.taken.add(_key(candidate))
        return candidate


def _key(name: str) -> str:
    """The comparison key of a name on case-insensitive, normalising file systems."""
    return unicodedata.normalize("NFC", name).casefold()
