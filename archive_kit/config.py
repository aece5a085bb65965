"""The repository's small config file (``config.json``): fonds, unit, numbering and limits."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .errors import RepositoryError
from .store import atomic_write_bytes

FORMAT = "archive-kit-repository"
FORMAT_VERSION = 1
CODE_PATTERNS = {
    # DA/T 22-2015: "-" joins levels, "·" joins parts within a level
    "DA/T 22-2015": "{fonds}-{category}·{year}-{retention}-{track_code}-{item:04d}",
    # DA/T 13-2022 writes year, retention and organisation/subject as parts of one level
    "DA/T 13-2022": "{fonds}-{category}·{year}·{retention}·{track_code}-{item:04d}",
}


@dataclass
class Config:
    """What an archivist sets once per repository; everything has a sensible default."""

    fonds: str = "J001"
    unit: str = ""
    category: str = "WS"
    code_pattern: str = CODE_PATTERNS["DA/T 22-2015"]
    box_pages: int = 200
    default_retention: str = "D30"
    ocr_engine: str | None = None
    worker_timeout_s: float = 600.0
    worker_memory_mb: int = 4096
    lock_timeout_s: float = 60.0

    @classmethod
    def load(cls, path: Path) -> "Config":
        """Read ``config.json``; a missing, foreign, newer or broken file is repository damage."""
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
        known = {f.name for f in fields(cls)}
        cfg = cls(**{k: v for k, v in raw.items() if k in known})
        if cfg.code_pattern in CODE_PATTERNS:
            cfg.code_pattern = CODE_PATTERNS[cfg.code_pattern]
        return cfg

    def save(self, path: Path) -> None:
        """Write atomically, with the format marker."""
        data = {"format": FORMAT, "version": FORMAT_VERSION, **asdict(self)}
        atomic_write_bytes(path, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
