"""The typed records ingest passes along: one ``Item`` per file, the run's ``IngestReport`` and the
``CliTags`` given on the command line."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..catalogue import Document
from ..formats import readable_name


@dataclass
class Item:
    """One file on its way in."""

    path: Path
    source_path: str
    parts: list[str]
    manifest: dict[str, str] = field(default_factory=dict)
    sha256: str = ""
    format: str = ""
    display_name: str | None = None  # an upload's own name; ``path`` is where it was saved

    @property
    def name(self) -> str:
        """The file's name as people see it and the catalogue stores it (never a lone surrogate)."""
        return readable_name(self.display_name or self.path.name)

    @property
    def name_bytes(self) -> bytes:
        """The file's name as the bytes it came with (an upload's own name, else the file's)."""
        return os.fsencode(self.display_name or self.path.name)


@dataclass
class IngestReport:
    """What an ingest did: records added, duplicates seen, files that failed or were skipped."""

    added: list[Document] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def fail(self, path: object, error: str) -> None:
        """Record one failed input with a one-line reason."""
        self.failed.append({"path": readable_name(str(path)), "error": readable_name(error.replace("\n", " "))})

    def to_json(self) -> dict:
        """The contract's ``ingest --json`` shape."""
        return {
            "added": [d.to_json() for d in self.added],
            "duplicates": self.duplicates,
            "failed": self.failed,
            "skipped": self.skipped,
        }


@dataclass(frozen=True)
class CliTags:
    """Tags given on the command line; they win over every other source."""

    track: str | None = None
    criterion: str | None = None
    year: int | None = None
