"""Keeps the derived full-text index in step with the catalogue, which is the source of truth.

Every catalogue change queues the document in the same transaction; ``sync_index`` drains that
queue into the index, so a crash between the two is caught up by the next command.

A rebuild (``reindex``, ``repair``, a lost index) holds the repository's rebuild lock, builds a
fresh index from the catalogue and, just before it swaps the fresh index in, applies every change
queued meanwhile, holding the index write lock so that no writer slips in between. A sync that
runs during a rebuild still updates the live index (searches stay current) but keeps its queue
entries, marked held, for the rebuild to apply. So a ``reindex`` and an ``ingest`` at the same time
both finish with every document searchable, and neither waits for the other.
"""
from __future__ import annotations

import fcntl
import logging
import os
import shutil
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterable, Iterator

from .catalogue import Catalogue, Document
from .criteria.registry import TrackRegistry
from .errors import ArchiveKitError, CatalogueDamagedError, LockTimeout, ReadOnlyError, RepositoryError
from .repo import Repo

if TYPE_CHECKING:
    from .search import IndexDoc, SearchIndex

BATCH = 2000  # documents per index commit: each commit costs a segment and a merge check

log = logging.getLogger(__name__)


def criteria_keys(doc: Document, registry: TrackRegistry) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(tracks, criteria filter keys) of a document: its filing and its links, with ancestors."""
    tracks: list[str] = []
    keys: list[str] = []
    pairs = ([(doc.track, doc.criterion)] if doc.track else []) + list(doc.links)
    for track, code in pairs:
        if track not in tracks:
            tracks.append(track)
        if not code:
            continue
        schema = registry.get(track)
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


def index_doc(doc: Document, text: str, registry: TrackRegistry) -> "IndexDoc":
    """The index's view of a catalogued document."""
    from .search import IndexDoc

    tracks, keys = criteria_keys(doc, registry)
    return IndexDoc(
        id=doc.id, sha256=doc.sha256, title=doc.title or "", file_name=doc.original_name, text=text,
        track=doc.track, criterion=doc.criterion, year=doc.year, format=doc.format, date=doc.date,
        doc_number=doc.doc_number, author=doc.author, tracks=tracks, criteria=keys,
    )


def _batches(catalogue: Catalogue, ids: list[int]) -> Iterator[tuple[list[int], list[Document]]]:
    """(ids, the catalogued documents among them) in batches of BATCH."""
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        yield chunk, catalogue.by_ids(chunk)


def _index_docs(repo: Repo, docs: Iterable[Document]) -> Iterator["IndexDoc"]:
    """The index's view of each document, with its text from the catalogue."""
    for doc in docs:
        yield index_doc(doc, repo.catalogue.text(doc.id), repo.registry)


def _apply(repo: Repo, index: "SearchIndex", ids: Iterable[int]) -> None:
    """Make ``index`` hold the catalogue's current version of each document in ``ids``: added or
    replaced where catalogued, removed where not."""
    for chunk, docs in _batches(repo.catalogue, sorted(set(ids))):
        if docs:
            index.add(_index_docs(repo, docs))
        gone = set(chunk) - {d.id for d in docs}
        if gone:
            index.delete(gone)


@contextmanager
def rebuild_lock(repo: Repo, *, exclusive: bool) -> Iterator[bool]:
    """The repository's rebuild lock (an ``flock``, released by the kernel when its holder dies).

    Exclusive: held by the one rebuild running, waiting for another up to the lock timeout.
    Shared: never waits; yields False while a rebuild holds the lock, True otherwise."""
    path = repo.paths.rebuild_lock
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as e:
        raise RepositoryError(f"{path}: the index rebuild lock cannot be opened ({e.strerror or e})") from None
    try:
        deadline = time.monotonic() + repo.config.lock_timeout_s
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                if not exclusive:
                    held = False
                    break
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"another archive-kit process has been rebuilding the search index of "
                                      f"{repo.root} for more than {repo.config.lock_timeout_s:.0f} s; "
                                      "try again when it has finished") from None
                time.sleep(0.1)
        yield held
    finally:
        os.close(fd)


def sync_index(repo: Repo, *, strict: bool = False) -> int:
    """Bring the index up to the catalogue; returns how many documents it updated.

    A missing index is rebuilt, and one that lost documents without a trace in the queue gets
    them back. With ``strict`` (a search, which must never answer from an index that is missing
    or behind the catalogue) a failure is raised; otherwise it is logged and the queue kept for
    the next command. A read-only repository is only checked."""
    if repo.read_only:
        if strict:
            _check_current(repo)
        return 0
    try:
        return _catch_up(repo)
    except CatalogueDamagedError:
        raise
    except ArchiveKitError as e:
        if strict:
            raise
        log.warning("the search index was not updated (%s); the next command will catch up", e)
        return 0


def _catch_up(repo: Repo) -> int:
    """Rebuild a missing index, drain the queue, then mend any difference left in the documents held."""
    from .search import index_exists

    cat = repo.catalogue
    count = 0
    if not index_exists(repo.paths.index):
        log.warning("the search index is missing; rebuilding it from the catalogue")
        count += rebuild_index(repo, only_if_missing=True) or 0
    while True:
        pending = cat.pending_index(BATCH)
        if not pending:
            break
        _apply(repo, repo.index, [doc_id for doc_id, _ in pending])
        with rebuild_lock(repo, exclusive=False) as no_rebuild:
            cat.done_index(pending, hold=not no_rebuild)
        count += len(pending)
    if cat.has_held_index():   # a rebuild was killed before it could take them over: the live index has them
        with rebuild_lock(repo, exclusive=False) as no_rebuild:
            if no_rebuild:
                cat.done_index([])
    index = repo.index
    if index.count() != cat.count():
        indexed, catalogued = index.ids(), cat.all_ids()
        differ = (catalogued - indexed) | (indexed - catalogued)
        if differ:
            log.warning("the search index differed from the catalogue in %d document(s); brought into step",
                        len(differ))
            _apply(repo, index, differ)
            count += len(differ)
    return count


def _check_current(repo: Repo) -> None:
    """For a read-only repository: raise unless the index exists and is level with the catalogue."""
    from .search import index_exists

    cat = repo.catalogue
    if not index_exists(repo.paths.index):
        behind = "is missing"
    elif cat.pending_index(1):
        behind = f"is behind the catalogue ({len(cat.pending_index(10**9))} change(s) not yet indexed)"
    elif repo.index.count() != cat.count():
        behind = "does not hold the same documents as the catalogue"
    else:
        return
    raise ReadOnlyError(f"the search index {behind} and the repository is read-only ({repo.read_only}), so a "
                        "search would miss documents; run any archive-kit command once with write access")


def rebuild_index(repo: Repo, *, only_if_missing: bool = False) -> int | None:
    """Rebuild the index from the catalogue alone and clear the queue; returns the number of
    documents (None when ``only_if_missing`` and another process made the index meanwhile).

    A damaged index is moved aside first (it is derived data) and dropped once the new one is in;
    a missing one is built aside and renamed into place, finished."""
    from .search import build_index, index_exists

    repo.require_writable("rebuilding the search index")
    cat = repo.catalogue
    index_dir = repo.paths.index
    with rebuild_lock(repo, exclusive=True):
        if only_if_missing and index_exists(index_dir):
            return None
        damaged = None
        live = None
        if index_exists(index_dir):
            try:
                live = repo.index
            except RepositoryError:
                damaged = index_dir.with_name(f".{index_dir.name}.damaged-{os.getpid()}-{time.time_ns()}")
                os.replace(index_dir, damaged)
        ids = sorted(cat.all_ids())
        applied: list[tuple[int, int]] = []

        def catch_up(fresh: "SearchIndex") -> None:
            """Under the index write lock, just before the swap: every change queued since the
            catalogue was read (held entries of concurrent syncs included)."""
            applied.extend(cat.queued_index())
            _apply(repo, fresh, [doc_id for doc_id, _ in applied])

        everything = (d for _, docs in _batches(cat, ids) for d in _index_docs(repo, docs))
        if live is not None:
            live.rebuild(everything, before_publish=catch_up)
        else:
            repo.index_slot.drop()   # one opened before its folder went is stale
            build_index(index_dir, everything, lock_timeout=repo.config.lock_timeout_s, before_publish=catch_up)
        cat.done_index(applied)
        if damaged is not None:
            shutil.rmtree(damaged, ignore_errors=True)
        return len(ids)


def remove_rebuild_leftovers(repo: Repo) -> int:
    """Delete the temp folders of index rebuilds that were killed; returns how many. Holds the
    rebuild lock, so a rebuild running in another process is never touched."""
    name = repo.paths.index.name
    n = 0
    with rebuild_lock(repo, exclusive=True):
        for d in list(repo.root.glob(f".{name}.rebuild-*")) + list(repo.root.glob(f".{name}.damaged-*")):
            shutil.rmtree(d, ignore_errors=True)
            n += 1
    return n
