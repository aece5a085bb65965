"""Keeps the derived full-text index in step with the catalogue, which is the source of truth.

Every catalogue change queues the document in the same transaction; ``sync_index`` drains that
queue into the index, so a crash between the two is caught up by the next command.
"""
from __future__ import annotations

import os
import shutil
import sys
from typing import TYPE_CHECKING, Iterable, Iterator

from .catalogue import Document
from .errors import ArchiveKitError, RepositoryError

if TYPE_CHECKING:
    from .archive import Archive
    from .search import IndexDoc

BATCH = 2000  # documents per index commit: each commit costs a segment and a merge check


def criteria_keys(doc: Document, archive: "Archive") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(tracks, criteria filter keys) of a document: its filing and its links, with ancestors."""
    tracks: list[str] = []
    keys: list[str] = []
    pairs = ([(doc.track, doc.criterion)] if doc.track else []) + list(doc.links)
    for track, code in pairs:
        if track not in tracks:
            tracks.append(track)
        if not code:
            continue
        schema = archive.registry.get(track)
        chain = (schema.ancestors(code) if schema and schema.criterion(code) else _prefixes(code)) + [code]
        for c in chain:
            for k in (f"{track}:{c}", c):
                if k not in keys:
                    keys.append(k)
    return tuple(tracks), tuple(keys)


def _prefixes(code: str) -> list[str]:
    """Ancestor codes of a dotted code that its schema no longer knows (2.3.1 → 2, 2.3)."""
    parts = code.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def index_doc(doc: Document, text: str, archive: "Archive") -> "IndexDoc":
    """The index's view of a catalogued document."""
    from .search import IndexDoc

    tracks, keys = criteria_keys(doc, archive)
    return IndexDoc(
        id=doc.id, sha256=doc.sha256, title=doc.title or "", file_name=doc.original_name, text=text,
        track=doc.track, criterion=doc.criterion, year=doc.year, format=doc.format, date=doc.date,
        doc_number=doc.doc_number, author=doc.author, tracks=tracks, criteria=keys,
    )


def _index_docs(archive: "Archive", docs: Iterable[Document]) -> Iterator["IndexDoc"]:
    for doc in docs:
        yield index_doc(doc, archive.catalogue.text(doc.id), archive)


def sync_index(archive: "Archive") -> int:
    """Drain the catalogue's index queue; a failed index write leaves the queue for next time.

    An index that is missing altogether (deleted, or a repository copied without it) while the
    catalogue holds documents is rebuilt, so a search never silently finds nothing.
    """
    from .search import index_exists

    cat = archive.catalogue
    if archive._index is None and not index_exists(archive.index_dir) and cat.count():
        print("archive-kit: the search index is missing; rebuilding it from the catalogue", file=sys.stderr)
        return rebuild_index(archive)
    count = 0
    while True:
        pending = cat.pending_index(BATCH)
        if not pending:
            return count
        ids = [doc_id for doc_id, _ in pending]
        docs = cat.query("id IN (%s)" % ",".join("?" * len(ids)), ids)
        present = {d.id for d in docs}
        try:
            if docs:
                archive.index.add(_index_docs(archive, docs))
            gone = set(ids) - present
            if gone:
                archive.index.delete(gone)
        except ArchiveKitError as e:
            print(f"archive-kit: warning: the search index was not updated ({e}); "
                  "the next command will catch up", file=sys.stderr)
            return count
        cat.done_index(pending)
        count += len(pending)


def rebuild_index(archive: "Archive") -> int:
    """Rebuild the index from the catalogue alone and clear the queue.

    A damaged index is moved aside first (it is derived data) and dropped once the new one is in.
    """
    cat = archive.catalogue
    damaged = None
    try:
        archive.index
    except RepositoryError:
        damaged = archive.index_dir.with_name(f".{archive.index_dir.name}.damaged-{os.getpid()}")
        os.replace(archive.index_dir, damaged)
        archive.index_dir.mkdir()
    pending = cat.pending_index(10**9)
    ids = sorted(cat.all_ids())

    def docs() -> Iterator["IndexDoc"]:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            yield from _index_docs(archive, cat.query("id IN (%s)" % ",".join("?" * len(chunk)), chunk))

    archive.index.rebuild(docs())
    cat.done_index(pending)
    if damaged is not None:
        shutil.rmtree(damaged, ignore_errors=True)
    return len(ids)
