"""Text normalisation shared by extraction, OCR and search: NFKC and no spaces inside Chinese runs."""
from __future__ import annotations

import re
import unicodedata

CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_CJK_PUNCT = "\u3000-\u303f\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(
    rf"(?<=[{CJK_CLASS}{_CJK_PUNCT}])[ \t\u00a0\u3000]+(?=[{CJK_CLASS}{_CJK_PUNCT}])"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_cjk(ch: str) -> bool:
    """True for a Han character (BMP blocks and the supplementary ideograph planes)."""
    return bool(re.match(f"[{CJK_CLASS}]", ch))


def normalize_text(text: str) -> str:
    """NFKC (full-width letters/digits to half-width), drop control characters, and remove
    spaces between Chinese characters, which extraction and OCR insert but Chinese never has."""
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _SPACE_BETWEEN_CJK.sub("", text)
