"""The index queue: which documents changed since the search index last took them in.

Every change queues its document (doc_id, seq) in the change's own transaction. A positive seq is
not yet in the live index; a sync that applies entries while an index rebuild runs keeps them,
negated ("held"), so the rebuild can apply them to its fresh index before the swap. Entries are
only ever removed by exact (doc_id, seq), so a document queued again meanwhile stays queued.
"""
from __future__ import annotations

from typing import Iterable

from .connection import CatalogueConnection


class IndexQueue(CatalogueConnection):
    """The ``index_queue`` table."""

    def queue_index(self, doc_id: int) -> None:
        """Mark a document as changed for the index (inside the same transaction as the change)."""
        self.db.execute(
            "INSERT OR REPLACE INTO index_queue (doc_id, seq) VALUES (?, MAX("
            "COALESCE((SELECT MAX(seq) FROM index_queue), 0), -COALESCE((SELECT MIN(seq) FROM index_queue), 0)) + 1)",
            (doc_id,),
        )

    def pending_index(self, limit: int = 1000) -> list[tuple[int, int]]:
        """(doc_id, seq) pairs the live index has not caught up with yet, oldest first."""
        return [tuple(r) for r in self.db.execute(
            "SELECT doc_id, seq FROM index_queue WHERE seq > 0 ORDER BY seq LIMIT ?", (limit,))]

    def queued_index(self) -> list[tuple[int, int]]:
        """Every queue entry, held ones included (what an index rebuild must apply before its swap)."""
        return [tuple(r) for r in self.db.execute("SELECT doc_id, seq FROM index_queue ORDER BY ABS(seq)")]

    def has_held_index(self) -> bool:
        """True when held entries remain (left by syncs during a rebuild, until the next sync after it)."""
        return self.db.execute("SELECT 1 FROM index_queue WHERE seq < 0 LIMIT 1").fetchone() is not None

    def done_index(self, pairs: Iterable[tuple[int, int]], *, hold: bool = False) -> None:
        """Drop queue entries that were indexed, unless they were re-queued meanwhile; with ``hold``
        (an index rebuild is running) keep them as held entries instead. Without ``hold`` the held
        entries of rebuilds that have ended go too: the live index has them."""
        pairs = list(pairs)
        with self.transaction():
            if hold:
                self.db.executemany("UPDATE index_queue SET seq = -seq WHERE doc_id = ? AND seq = ? AND seq > 0", pairs)
            else:
                self.db.executemany("DELETE FROM index_queue WHERE doc_id = ? AND seq = ?", pairs)
                self.db.execute("DELETE FROM index_queue WHERE seq < 0")

