"""Tag hints (what each source proposed for a document's track, criterion and year) and links
(a document filed under one criterion that also serves as evidence for others)."""
from __future__ import annotations

from typing import Iterable

from .connection import CatalogueConnection


class Tags(CatalogueConnection):
    """The ``tag_hints`` and ``links`` tables."""

    def put_hints(self, doc_id: int, hints: Iterable[tuple[str, str, str]]) -> None:
        """Record (field, source, value) proposals for a document, replacing a source's earlier one
        (inside a transaction)."""
        self.db.executemany(
            "INSERT OR REPLACE INTO tag_hints (doc_id, field, source, value) VALUES (?, ?, ?, ?)",
            [(doc_id, f, s, v) for f, s, v in hints],
        )

    def hints_of(self, doc_id: int) -> dict[str, dict[str, str]]:
        """{field: {source: value}} of every tag value any source proposed for a document."""
        out: dict[str, dict[str, str]] = {}
        for r in self.db.execute("SELECT field, source, value FROM tag_hints WHERE doc_id = ?", (doc_id,)):
            out.setdefault(r[0], {})[r[1]] = r[2]
        return out

    def add_link(self, doc_id: int, track: str, criterion: str) -> None:
        """Link a document to a criterion (inside a transaction; linking twice is linking once)."""
        self.db.execute("INSERT OR IGNORE INTO links (doc_id, track, criterion) VALUES (?, ?, ?)",
                        (doc_id, track, criterion))

    def remove_link(self, doc_id: int, track: str, criterion: str) -> None:
        """Remove a document's link to a criterion, if it has one (inside a transaction)."""
        self.db.execute("DELETE FROM links WHERE doc_id = ? AND track = ? AND criterion = ?", (doc_id, track, criterion))

    def links_of(self, ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
        """Links (track, criterion) for the given documents."""
        out: dict[int, list[tuple[str, str]]] = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for r in self.db.execute(
                f"SELECT doc_id, track, criterion FROM links WHERE doc_id IN ({marks}) ORDER BY track, criterion",
                chunk,
            ):
                out.setdefault(r[0], []).append((r[1], r[2]))
        return out

    def linked_under(self, track: str, year: int) -> list[tuple[int, str, int | None]]:
        """(doc_id, criterion, pages) of every link into ``track`` from a document of ``year``."""
        return [tuple(r) for r in self.db.execute(
            "SELECT l.doc_id, l.criterion, d.pages FROM links l JOIN documents d ON d.id = l.doc_id "
            "WHERE l.track = ? AND d.year = ?", (track, year))]
