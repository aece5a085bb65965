"""Find a font that has Chinese glyphs, for rendering PDFs, stamps and generated test scans.

reportlab and older fpdf2 need TrueType outlines (``glyf``), not the CFF outlines of the
Noto CJK ``.ttc`` files, so WenQuanYi Micro Hei is preferred and Noto CJK is the fallback.
"""
from __future__ import annotations

import functools
import os
import struct
from pathlib import Path
from typing import Literal

from .errors import ArchiveKitError

FontKind = Literal["truetype", "any"]

# Set this to a font file to override the search (e.g. a unit's licensed 仿宋 font).
FONT_ENV = "ARCHIVE_KIT_CJK_FONT"

_FONT_DIRS = [
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
    Path("/Library/Fonts"),
    Path("/System/Library/Fonts"),
    Path("C:/Windows/Fonts"),
]
# file names in order of preference; the first group is TrueType-outlined
_TRUETYPE_NAMES = [
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "msyh.ttc",
    "simhei.ttf",
    "simsun.ttc",
    "uming.ttc",
    "ukai.ttc",
    "DroidSansFallbackFull.ttf",
]
_CFF_NAMES = [
    "NotoSansCJK-Regular.ttc",
    "NotoSerifCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSansSC-Regular.otf",
    "SourceHanSansSC-Regular.otf",
]

INSTALL_HINT = "apt-get install fonts-wqy-microhei (or fonts-noto-cjk)"


def _has_truetype_outlines(path: Path) -> bool:
    """True when the (first) font in ``path`` has a ``glyf`` table, i.e. TrueType outlines."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            offset = 0
            if head[:4] == b"ttcf":
                f.seek(12)
                (offset,) = struct.unpack(">I", f.read(4))
                f.seek(offset)
                head = f.read(12)
            if len(head) < 12:
                return False
            (num_tables,) = struct.unpack(">H", head[4:6])
            tags = {f.read(16)[:4] for _ in range(min(num_tables, 200))}
            return b"glyf" in tags
    except (OSError, struct.error):
        return False


@functools.lru_cache(maxsize=1)
def _candidates() -> tuple[Path, ...]:
    """Known CJK font files found on this machine, best first (searched once per process)."""
    found: list[Path] = []
    for name in _TRUETYPE_NAMES + _CFF_NAMES:
        for root in _FONT_DIRS:
            if not root.is_dir():
                continue
            direct = root / name
            if direct.is_file():
                found.append(direct)
                continue
            for hit in root.rglob(name):
                found.append(hit)
                break
    return tuple(found)


def find_cjk_font(kind: FontKind = "truetype") -> Path | None:
    """A font file with Chinese glyphs, or None. ``truetype`` demands glyf outlines (reportlab,
    fpdf2); ``any`` also accepts CFF-outlined Noto CJK. ``$ARCHIVE_KIT_CJK_FONT`` wins if usable."""
    override = os.environ.get(FONT_ENV)
    if override:
        p = Path(override)
        if p.is_file() and (kind == "any" or _has_truetype_outlines(p)):
            return p
    for p in _candidates():
        if kind == "any" or _has_truetype_outlines(p):
            return p
    return None


def require_cjk_font(kind: FontKind = "truetype") -> Path:
    """Like ``find_cjk_font`` but raises ArchiveKitError naming the Debian package to install."""
    font = find_cjk_font(kind)
    if font is None:
        what = "TrueType " if kind == "truetype" else ""
        raise ArchiveKitError(
            f"no Chinese {what}font found; install one: {INSTALL_HINT}, "
            f"or set {FONT_ENV} to a .ttf/.ttc file"
        )
    return font
