"""Extracted texts, one per document, each with the SHA-256 recorded when it was extracted (its
fixity: the search index is rebuilt from these texts, so a changed one must be noticed)."""
from __future__ import annotations

from typing import Iterator

from ..store import text_sha256
from .connection import CatalogueConnection, is_document_id


class Texts(CatalogueConnection):
    """The ``texts`` table."""

    def put_text(self, doc_id: int, text: str) -> None:
        """Store (or replace) a document's extracted text with its SHA-256 (inside a transaction)."""
        self.db.execute("INSERT OR REPLACE INTO texts (doc_id, text, sha256) VALUES (?, ?, ?)",
                        (doc_id, text, text_sha256(text)))

    def text(self, doc_id: int) -> str:
        """A document's extracted text ("" for an id no document can have, or a document without one)."""
        if not is_document_id(doc_id):
            return ""
        row = self.db.execute("SELECT text FROM texts WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else ""

    def ids_without_text(self) -> Iterator[int]:
        """Documents whose text row is missing, in id order."""
        for (doc_id,) in self.db.execute(
                "SELECT id FROM documents WHERE id NOT IN (SELECT doc_id FROM texts) ORDER BY id"):
            yield doc_id

    def texts_have_hashes(self) -> bool:
        """False for an older catalogue (opened read-only, so not upgraded) whose texts carry no hash column."""
        return "sha256" in {row[1] for row in self.db.execute("PRAGMA table_info(texts)")}

    def text_hashes(self) -> Iterator[tuple[int, str, str | None]]:
        """(doc_id, SHA-256 of the text as it is now, SHA-256 recorded at extraction) of every text, in id order."""
        for doc_id, text, recorded in self.db.execute("SELECT doc_id, text, sha256 FROM texts ORDER BY doc_id"):
            yield doc_id, text_sha256(text), recorded
