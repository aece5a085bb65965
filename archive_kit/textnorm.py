"""Text normalisation shared by extraction, OCR and search (NFKC, no spaces inside Chinese runs),
and ``clean_text``: the one place that makes any text safe to write into a file we produce."""
from __future__ import annotations

import re
import unicodedata

CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_CJK_PUNCT = "\u3000-\u303f\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(
    rf"(?<=[{CJK_CLASS}{_CJK_PUNCT}])[ \t\u00a0\u3000]+(?=[{CJK_CLASS}{_CJK_PUNCT}])"
)
# Chinese full-width punctuation that NFKC would turn into ASCII; extracted text keeps it as written
_AS_WRITTEN = "！（），：；？［］｛｝～"
_AS_WRITTEN_SPLIT = re.compile(f"([{_AS_WRITTEN}]+)")
# C0 controls (ESC included) and DEL; tab, line feed and carriage return are handled apart
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# lone surrogates (undecodable bytes of a file name) and the two non-characters XML refuses
_NOT_TEXT = re.compile("[\ud800-\udfff\ufffe\uffff]")


def is_cjk(ch: str) -> bool:
    """True for a Han character (BMP blocks and the supplementary ideograph planes)."""
    return bool(re.match(f"[{CJK_CLASS}]", ch))


def clean_text(text: str) -> str:
    """``text`` safe to write into DOCX, XLSX and PDF files, and bag files.

    XML 1.0 (inside every DOCX and XLSX) cannot hold C0 control characters, python-docx and
    openpyxl raise on them, fonts have no glyphs for them and ESC drives terminals: they are
    dropped (a vertical tab from a manifest cell, ``\\x01`` from a file name). CR and CRLF become
    LF; tab and LF stay, where a format shows them. Lone surrogates and U+FFFE/U+FFFF, which no
    UTF-8 file can hold, become U+FFFD.
    """
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _NOT_TEXT.search(text):
        text = _NOT_TEXT.sub("\ufffd", text)
    return text


def normalize_text(text: str) -> str:
    """NFKC (full-width letters/digits to half-width), ``clean_text``, and remove spaces between
    Chinese characters, which extraction and OCR insert but Chinese never has."""
    return _SPACE_BETWEEN_CJK.sub("", clean_text(unicodedata.normalize("NFKC", text)))


def normalize_extracted(text: str) -> str:
    """``normalize_text`` for a document's extracted text, except that Chinese full-width punctuation
    (（）：，；！？［］｛｝～) stays as the document writes it.

    Catalogue fields are copied from the text (a title's （2018—2035年） must not turn into ASCII
    brackets); search folds the text again with ``normalize_text``, so matching is unchanged.
    """
    parts = _AS_WRITTEN_SPLIT.split(text)
    parts[::2] = [unicodedata.normalize("NFKC", p) for p in parts[::2]]
    return _SPACE_BETWEEN_CJK.sub("", clean_text("".join(parts)))
