"""The criteria schemas registered in a repository, kept as their YAML source text."""
from __future__ import annotations

from .connection import CatalogueConnection, now_iso


class Schemas(CatalogueConnection):
    """The ``schemas`` table."""

    def schema_sources(self) -> list[tuple[str, str, str]]:
        """(track, yaml source, origin) of every registered schema."""
        return [tuple(r) for r in self.db.execute("SELECT track, source, origin FROM schemas ORDER BY track")]

    def put_schema(self, track: str, source: str, origin: str) -> None:
        """Register or replace a track's schema (inside a transaction, with its log entry)."""
        self.db.execute(
            "INSERT OR REPLACE INTO schemas (track, source, origin, added_at) VALUES (?, ?, ?, ?)",
            (track, source, origin, now_iso()),
        )
