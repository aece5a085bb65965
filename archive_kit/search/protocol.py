"""The engine-neutral search interface: what the rest of archive-kit may rely on.

``SearchIndex`` is the protocol every index engine implements (today ``WhooshIndex``; a second
engine for multi-unit deployments plugs in here). ``IndexDoc`` is a document as the catalogue
hands it to the index; ``SearchHit`` and ``SearchResult`` are what a search returns, first from
the index (id, score, snippet) and then, filled in from the catalogue by ``Archive.search``, in
the contract's ``search --json`` shape. Nothing here imports an engine.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Protocol, runtime_checkable


@dataclass(frozen=True)
class IndexDoc:
    """One document as the catalogue hands it to the index."""

    id: int
    sha256: str
    title: str
    file_name: str
    text: str
    track: str | None
    criterion: str | None
    year: int | None
    format: str
    date: str | None
    doc_number: str | None
    author: str | None
    tracks: tuple[str, ...] = ()
    criteria: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchHit:
    """One ranked match; ``snippet`` wraps each match in 【】.

    An index knows only ``id``, ``score`` and ``snippet``; the catalogue fields a person needs to
    recognise the document (``sha256`` … ``year``) are filled in by ``described``."""

    id: int
    score: float
    snippet: str
    sha256: str | None = None
    title: str | None = None
    track: str | None = None
    criterion: str | None = None
    year: int | None = None

    def described(self, *, sha256: str, title: str | None, track: str | None, criterion: str | None,
                  year: int | None) -> "SearchHit":
        """This hit with the catalogue's fields of its document."""
        return replace(self, sha256=sha256, title=title, track=track, criterion=criterion, year=year)

    def to_json(self) -> dict[str, Any]:
        """The contract's hit shape (keys in the contract's order)."""
        return {"id": self.id, "sha256": self.sha256, "title": self.title, "track": self.track,
                "criterion": self.criterion, "year": self.year, "score": self.score, "snippet": self.snippet}


@dataclass(frozen=True)
class SearchResult:
    """The query, how many documents match in all (``total``), and the best ones (``hits``)."""

    query: str
    total: int
    hits: list[SearchHit]

    def to_json(self) -> dict[str, Any]:
        """The contract's ``search --json`` shape."""
        return {"query": self.query, "total": self.total, "hits": [h.to_json() for h in self.hits]}


@runtime_checkable
class SearchIndex(Protocol):
    """A full-text index of catalogued documents, kept in step with the catalogue by
    ``archive_kit.indexing``. Readers always see a complete commit; writers wait for one another
    up to a lock timeout (``LockTimeout`` after it); a failed write is one ``RepositoryError``."""

    def add(self, docs: Iterable[IndexDoc]) -> None:
        """Add or replace documents by id, all in one commit."""

    def delete(self, ids: Iterable[int]) -> None:
        """Remove documents by id (unknown ids are ignored)."""

    def search(self, query: str, *, track: str | None = None, criterion: str | None = None,
               year: int | None = None, limit: int = 20) -> SearchResult:
        """The documents containing every term of ``query`` as ``grep`` would find it (the
        contract's search semantics), filtered by track id, criterion key and year: the exact
        number of matches and the best ``limit`` hits, without catalogue fields."""

    def count(self) -> int:
        """How many documents the index holds."""

    def ids(self) -> set[int]:
        """The id of every document the index holds."""

    def check(self) -> set[int]:
        """Read the whole index back and return the ids it holds; ``RepositoryError`` when any
        part of it cannot be read or it holds a document twice (for ``verify``)."""

    def rebuild(self, docs: Iterable[IndexDoc], *,
                before_publish: Callable[["SearchIndex"], None] | None = None) -> None:
        """Replace the whole content by ``docs``, built aside and switched to at once; readers see
        the old index until then. ``before_publish`` gets the fresh index just before the switch,
        with other writers held off, to apply the changes made meanwhile."""

    def close(self) -> None:
        """Release files and readers; the index is unusable afterwards."""
