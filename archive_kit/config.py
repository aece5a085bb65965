"""The repository's small config file (``config.json``): fonds, unit, numbering and limits.

Every value is checked when the file is loaded, so a mistake is one line naming the key and the
value (exit 3), not a traceback when some command first uses it.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

from .errors import RepositoryError
from .extract import OCR_MAX_PAGES
from .store import atomic_write_bytes

FORMAT = "archive-kit-repository"
FORMAT_VERSION = 1
CODE_PATTERNS = {
    # DA/T 22-2015: "-" joins levels, "·" joins parts within a level
    "DA/T 22-2015": "{fonds}-{category}·{year}-{retention}-{track_code}-{item:04d}",
    # DA/T 13-2022 writes year, retention and organisation/subject as parts of one level
    "DA/T 13-2022": "{fonds}-{category}·{year}·{retention}·{track_code}-{item:04d}",
}
RETENTIONS = ("Y", "D30", "D10")
BOX_NUMBERING = ("class", "year")
SPINE_WIDTHS = (20, 30, 40, 50)  # mm: the spines 档案盒 are sold with
SECRECY_LEVELS = ("无", "内部", "秘密", "机密")  # 密级 in use in Chinese units (绝密 never reaches such files)


@dataclass
class Config:
    """What an archivist sets once per repository; everything has a sensible default.

    Limits: ``worker_timeout_s`` is how long one file may go without progress;
    ``worker_ceiling_s`` how long it may take in all, however it progresses; ``ocr_max_pages``
    how many pages of one PDF may need OCR; ``worker_memory_mb`` its memory (0 = no limit)."""

    fonds: str = "J001"
    unit: str = ""
    category: str = "WS"
    photo_category: str = "ZP"  # 门类 of photo archives (DA/T 50-2014), numbered apart from the documents
    code_pattern: str = CODE_PATTERNS["DA/T 22-2015"]
    box_pages: int = 200
    box_numbering: str = "class"  # "class": box numbers restart in each class; "year": run on across a year's classes
    spine_width_mm: int = 0  # 0: each box's spine chosen from SPINE_WIDTHS by its pages; else this width for all
    default_retention: str = "D30"
    secrecy_levels: list[str] = field(default_factory=lambda: list(SECRECY_LEVELS))
    default_secrecy: str = ""  # "" where the unit does not mark 密级: the listing leaves it blank
    ocr_engine: str | None = None
    worker_timeout_s: float = 600.0
    worker_ceiling_s: float = 3600.0
    worker_memory_mb: int = 4096
    ocr_max_pages: int = OCR_MAX_PAGES
    lock_timeout_s: float = 60.0

    @classmethod
    def load(cls, path: Path) -> "Config":
        """Read ``config.json``; a missing, foreign, newer, broken or wrongly valued file is repository damage."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RepositoryError(f"{path.parent}: not an archive-kit repository (run `archive-kit init`)") from None
        except (OSError, ValueError) as e:
            raise RepositoryError(f"{path}: repository config is unreadable ({e})") from None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise RepositoryError(f"{path.parent}: not an archive-kit repository")
        if not isinstance(raw.get("version"), int) or raw["version"] > FORMAT_VERSION:
            raise RepositoryError(
                f"{path.parent}: repository format {raw.get('version')} is newer than this archive-kit "
                f"supports ({FORMAT_VERSION}); upgrade archive-kit"
            )
        values = {}
        for f in fields(cls):
            if f.name in raw:
                values[f.name] = _checked(path, f.name, raw[f.name])
        cfg = cls(**values)
        if cfg.default_secrecy and cfg.default_secrecy not in cfg.secrecy_levels:
            raise RepositoryError(f"repository config {path}: `default_secrecy` {cfg.default_secrecy!r} is not one "
                                  f"of secrecy_levels ({', '.join(cfg.secrecy_levels)})")
        if cfg.photo_category == cfg.category:
            raise RepositoryError(f"repository config {path}: `photo_category` {cfg.photo_category!r} must differ from "
                                  "`category` (photos are numbered apart from the documents)")
        if cfg.code_pattern in CODE_PATTERNS:
            cfg.code_pattern = CODE_PATTERNS[cfg.code_pattern]
        return cfg

    def save(self, path: Path) -> None:
        """Write atomically, with the format marker."""
        data = {"format": FORMAT, "version": FORMAT_VERSION, **asdict(self)}
        atomic_write_bytes(path, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


# --- checks: each returns the value to use, or raises ValueError ----------------------------------

def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError
    return value


def _whole(value: Any) -> int:
    if _number(value) != int(value):
        raise ValueError
    return int(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


def _names(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(x, str) and x.strip() for x in value):
        raise ValueError
    return list(value)


def _where(convert: Callable[[Any], Any], ok: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The check: ``convert`` the value, then require ``ok`` of it."""

    def check(value: Any) -> Any:
        converted = convert(value)
        if not ok(converted):
            raise ValueError
        return converted

    return check


def _fills(pattern: str) -> bool:
    """True when a code pattern (or preset name) can be filled with the archival code's fields."""
    try:
        CODE_PATTERNS.get(pattern, pattern).format(fonds="J001", category="WS", year=2023, retention="D30",
                                                   track_code="WM", item=1)
    except (KeyError, IndexError, ValueError, AttributeError):
        return False
    return True


def _known_engine(name: str | None) -> bool:
    """True for no engine (the default) or a known one (discovering engines imports them, so only
    when one is named)."""
    if name is None:
        return True
    from .ocr import engine_names

    return isinstance(name, str) and name in engine_names()


RULES: dict[str, tuple[Callable[[Any], Any], str]] = {
    "fonds": (_where(_text, lambda v: len(v) == 4), "must be a 4-character fonds code such as J001"),
    "unit": (_text, "must be text"),
    "category": (_where(_text, str.strip), "must be a category code such as WS"),
    "photo_category": (_where(_text, re.compile(r"[A-Z][A-Z0-9]{1,3}").fullmatch),
                       "must be a 门类 code of 2 to 4 capital letters or digits, such as ZP"),
    "code_pattern": (_where(_text, _fills), "must be " + " or ".join(CODE_PATTERNS) + " or a pattern using only "
                     "{fonds} {category} {year} {retention} {track_code} {item}"),
    "box_pages": (_where(_whole, lambda v: v >= 1), "must be a positive integer"),
    "box_numbering": (_where(_text, BOX_NUMBERING.__contains__), "must be \"class\" (box numbers per class) or "
                      "\"year\" (box numbers run on across a year's classes)"),
    "spine_width_mm": (_where(_whole, lambda v: v == 0 or v in SPINE_WIDTHS),
                       "must be 0 (each spine chosen by its box's pages) or one of 20, 30, 40, 50"),
    "default_retention": (_where(_text, RETENTIONS.__contains__), "must be one of " + ", ".join(RETENTIONS)),
    "secrecy_levels": (_names, "must be a list of 密级 names such as [\"无\", \"内部\", \"秘密\", \"机密\"]"),
    "default_secrecy": (_text, "must be text: one of secrecy_levels, or \"\" where the unit does not mark 密级"),
    "ocr_engine": (_where(lambda v: v, _known_engine),
                   "must be null or an installed OCR engine's name (see `archive-kit doctor`)"),
    "worker_timeout_s": (_where(_number, lambda v: v > 0), "must be a positive number of seconds"),
    "worker_ceiling_s": (_where(_number, lambda v: v > 0), "must be a positive number of seconds"),
    "worker_memory_mb": (_where(_whole, lambda v: v >= 0), "must be a whole number of megabytes (0 for no limit)"),
    "ocr_max_pages": (_where(_whole, lambda v: v >= 1), "must be a positive integer"),
    "lock_timeout_s": (_where(_number, lambda v: v >= 0), "must be a number of seconds, 0 or more"),
}


def _checked(path: Path, key: str, value: Any) -> Any:
    """``value`` as the config key ``key`` needs it; RepositoryError naming the key and value if not.
    Every field of ``Config`` has its rule in ``RULES``."""
    check, rule = RULES[key]
    try:
        return check(value)
    except ValueError:
        raise RepositoryError(f"repository config {path}: `{key}` {rule}, got {value!r}") from None
