"""The Whoosh implementation of the search index (``SearchIndex`` in protocol.py).

Matching: a term of up to 2 folded characters is one gram posting list (exact). A longer term
intersects the posting lists of its 2-grams, rarest first, then each candidate is verified by a
substring test on the folded text kept in a column. Whoosh scoring is bypassed: posting blocks
are decoded directly and ranked by (terms matched as whole rjieba words, saturated tf x idf).
Everything that reaches into Whoosh internals for this is in whoosh_compat.py.
"""
from __future__ import annotations

import errno
import heapq
import math
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from whoosh import index as windex
from whoosh.index import LockError

from archive_kit.errors import (ArchiveKitError, DiskFullError, IndexMissingError, LockTimeout, ReadOnlyError,
                                RepositoryError)
from archive_kit.search.analysis import SEP, make_schema
from archive_kit.search.protocol import IndexDoc, SearchHit, SearchIndex, SearchResult
from archive_kit.search.query import Term, parse_query
from archive_kit.search.snippet import make_snippet
from archive_kit.search.whoosh_compat import (ArrayPostingWriter, adopt_index, build_segment, deleted_docs,
                                              read_postings, write_lock, write_toc)
from archive_kit.textnorm import normalize_text

INDEX_NAME = "MAIN"
CHUNK_DOCS = 3000            # rebuild writes one segment per chunk (~145 MB per worker; 33 segments at 100k)
BUILD_PROCS = max(1, min(2, os.cpu_count() or 1))   # rebuild worker processes
WORD_BONUS = 2.0


def _fields(doc: IndexDoc) -> dict[str, str]:
    value = normalize_text(doc.title) + SEP + normalize_text(doc.file_name) + SEP + normalize_text(doc.text)
    tags = ["t:" + t for t in (*doc.tracks, *([doc.track] if doc.track else []))]
    tags += ["c:" + c for c in doc.criteria]
    if doc.year is not None:
        tags.append(f"y:{doc.year}")
    return {"id": str(doc.id), "content": value, "words": value, "tags": SEP.join(tags)}


def _leaves(reader: Any) -> list[tuple[Any, int]]:
    """The non-empty segment readers with their document-number offsets."""
    return [(r, off) for r, off in reader.leaf_readers() if r.doc_count_all()]


class WhooshIndex:
    """A ``SearchIndex`` in one directory; readers always see a complete commit.

    Opening never creates anything unless ``create`` is given: a missing index is an
    ``IndexMissingError``, so that nobody ever trusts an empty index made by accident."""

    def __init__(self, path: Path, *, lock_timeout: float = 30.0, create: bool = False) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self._ix = self._open(create)
        self._searcher: Any = None

    # -- opening ---------------------------------------------------------------
    def _open(self, create: bool) -> Any:
        files = list(self.path.iterdir()) if self.path.is_dir() else []
        if not any(p.name.endswith(".toc") for p in files):
            if any(p.name.endswith(".seg") for p in files):
                raise self._corrupt("segment files without a table of contents")
            if not create:
                raise IndexMissingError(f"the search index is missing ({self.path}); `archive-kit repair` "
                                        "(or the next search) rebuilds it from the catalogue")
            try:
                self.path.mkdir(parents=True, exist_ok=True)
                return windex.create_in(str(self.path), make_schema(), indexname=INDEX_NAME)
            except OSError as e:
                raise write_failed(self.path, e) from None
        try:
            ix = windex.open_dir(str(self.path), indexname=INDEX_NAME)
            if sorted(ix.schema.names()) != sorted(make_schema().names()):
                raise ValueError("index built by another version of archive-kit")
            with ix.reader() as r:
                r.doc_count()
                for sub, _ in _leaves(r):
                    sub.column_reader("content")
            return ix
        except RepositoryError:
            raise
        except Exception as exc:  # any failure to read back the index means it is damaged
            raise self._corrupt(f"{type(exc).__name__}: {exc}") from exc

    def _corrupt(self, why: str) -> RepositoryError:
        return RepositoryError(f"search index {self.path} is damaged ({why}); "
                               "run `archive-kit reindex` to rebuild it")

    def _writer(self) -> Any:
        """A writer, waiting with backoff for another process's lock up to ``lock_timeout``.
        ArrayPostingWriter (whoosh_compat.py) writes Whoosh's own segment files with 1/6 of the
        CPU of Whoosh's writer."""
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        while True:
            try:
                return ArrayPostingWriter(self._ix)
            except LockError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"search index {self.path} is being written by another "
                                      f"archive-kit process; gave up after {self.lock_timeout:g} s") from None
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 0.5)

    # -- writing -----------------------------------------------------------------
    @contextmanager
    def _writing(self) -> Iterator[Any]:
        """A writer committed at the end of the block, cancelled on any failure (a failed file
        write becomes one clear repository error). whoosh3 closes and unlocks a writer whose
        commit failed, and cancelling it then would raise over the real error."""
        w = self._writer()
        try:
            yield w
            w.commit()
        except BaseException as e:
            if not w.is_closed:
                w.cancel()
            if isinstance(e, OSError):
                raise write_failed(self.path, e) from None
            raise

    def add(self, docs: Iterable[IndexDoc]) -> None:
        """Add or replace documents by id in one commit."""
        batch = {d.id: d for d in docs}
        if not batch:
            return
        with self._writing() as w:
            with w.searcher() as s:
                for doc_id in batch:
                    for dn in list(s.document_numbers(id=str(doc_id))):
                        w.delete_document(dn)
            for doc in batch.values():
                w.add_document(**_fields(doc))

    def delete(self, ids: Iterable[int]) -> None:
        """Remove documents by id (unknown ids are ignored)."""
        with self._writing() as w:
            for doc_id in ids:
                w.delete_by_term("id", str(doc_id))

    def rebuild(self, docs: Iterable[IndexDoc], *,
                before_publish: Callable[[SearchIndex], None] | None = None) -> None:
        """Build a fresh index from ``docs`` in a sibling temp dir, then switch to it with one TOC
        write under the write lock. ``before_publish`` is called with the fresh index while that
        lock is held, to apply changes made meanwhile: writers wait, so none is lost in the swap."""
        _build_and_publish(self.path, docs, self.lock_timeout, lambda tmp: self._swap_in(tmp, before_publish))

    def _swap_in(self, tmp: Path, before_publish: Callable[[SearchIndex], None] | None) -> None:
        """Move the fresh segments in and publish them as the next generation, under the lock."""
        lock = write_lock(self._ix)
        deadline = time.monotonic() + self.lock_timeout
        while not lock.acquire(blocking=False):
            if time.monotonic() >= deadline:
                raise LockTimeout(f"search index {self.path} is being written by another "
                                  f"archive-kit process; gave up after {self.lock_timeout:g} s")
            time.sleep(0.1)
        try:
            if before_publish is not None:
                _apply(tmp, before_publish, self.lock_timeout)
            adopt_index(self._ix, self.path, tmp, INDEX_NAME)
        finally:
            lock.release()

    # -- reading -------------------------------------------------------------
    def _reader_view(self) -> Any:
        if self._searcher is None:
            self._searcher = self._ix.searcher()
        elif not self._searcher.up_to_date():
            # a fresh reader, not refresh(): refresh() reuses segment readers with stale deletions
            self._searcher.close()
            self._searcher = self._ix.searcher()
        return self._searcher

    def count(self) -> int:
        """How many documents the index holds (deleted ones not counted)."""
        return int(self._reader_view().doc_count())

    def ids(self) -> set[int]:
        """Every indexed document id."""
        return set(self._id_list())

    def _id_list(self) -> list[int]:
        """The id of each live document, segment by segment (an id twice if indexed twice)."""
        out: list[int] = []
        for r, _ in _leaves(self._reader_view().reader()):
            col = r.column_reader("id")
            out.extend(int(col[dn]) for dn in r.all_doc_ids())
        return out

    def check(self) -> set[int]:
        """Read every segment's id and content columns back; the ids held. A segment that cannot
        be read (a file gone or damaged after the index was opened) or an id held twice is a
        ``RepositoryError``."""
        try:
            found = self._id_list()
            for r, _ in _leaves(self._reader_view().reader()):
                col = r.column_reader("content", translate=False)
                for dn in r.all_doc_ids():
                    col[dn]  # noqa: B018 - read only to find damage
        except RepositoryError:
            raise
        except Exception as exc:  # any failure to read back the index means it is damaged
            raise self._corrupt(f"{type(exc).__name__}: {str(exc)[:160]}") from exc
        ids = set(found)
        if len(ids) != len(found):
            twice = sorted(i for i in ids if found.count(i) > 1)
            raise self._corrupt(f"document(s) {', '.join(map(str, twice[:5]))} indexed twice")
        return ids

    def search(self, query: str, *, track: str | None = None, criterion: str | None = None,
               year: int | None = None, limit: int = 20) -> SearchResult:
        """Documents containing every term (grep semantics), best ``limit`` first, exact total."""
        terms = parse_query(query)
        tags = [t for t in (track and "t:" + track, criterion and "c:" + criterion,
                            year is not None and f"y:{year}") if t]
        searcher = self._reader_view()
        total = 0
        best: list[tuple[tuple[int, float], int, Any, int]] = []
        n_docs = max(1, searcher.doc_count_all())
        for r, offset in _leaves(searcher.reader()):
            matched, keys = _search_leaf(r, terms, tags, n_docs, limit)
            total += matched
            for key, dn in keys:
                best.append((key, -(offset + dn), r, dn))
        best = heapq.nlargest(limit, best, key=lambda x: (x[0], x[1]))
        hits = []
        for (whole, score), _, r, dn in best:
            stored = r.stored_fields(dn)
            hits.append(SearchHit(int(stored["id"]), round(whole * WORD_BONUS * 10 + score, 4),
                                  make_snippet(stored["content"], terms)))
        return SearchResult(query, total, hits)

    def close(self) -> None:
        """Release the reader; the object is unusable afterwards."""
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        self._ix.close()


def _search_leaf(r: Any, terms: list[Term], tags: list[str], n_docs: int,
                 limit: int) -> tuple[int, list[tuple[tuple[int, float], int]]]:
    """Match and rank in one segment: (number of matches, best ``limit`` (key, docnum))."""
    sets: list[set[int]] = []
    tfs: list[dict[int, float] | None] = []
    for tag in tags:
        ids, _ = read_postings(r, "tags", tag.encode("utf-8"), False)
        sets.append(set(ids))
    if any(not s for s in sets):
        return 0, []
    for t in terms:
        if t.exact:
            ids, wts = read_postings(r, "content", t.folded.encode("utf-8"), True)
            tfs.append(dict(zip(ids, wts)))
            sets.append(set(ids))
        else:
            tfs.append(None)
            sets.append(_candidates(r, t))
        if not sets[-1]:
            return 0, []
    sets.sort(key=len)
    matched = sets[0].intersection(*sets[1:])
    matched -= deleted_docs(r)
    long_terms = [(i, t.folded.encode("utf-8")) for i, t in enumerate(terms) if not t.exact]
    if long_terms and matched:
        col = r.column_reader("content", translate=False)
        verified: set[int] = set()
        counts = [dict() for _ in long_terms]  # type: list[dict[int, float]]
        for dn in matched:
            text = col[dn]
            ns = [text.count(q) for _, q in long_terms]
            if all(ns):
                verified.add(dn)
                for c, n in zip(counts, ns):
                    c[dn] = n
        matched = verified
        for (i, _), c in zip(long_terms, counts):
            tfs[i] = c
    if not matched:
        return 0, []
    # ranking: whole-word matches first, then saturated tf x idf summed over terms
    weights = []
    for t, tf in zip(terms, tfs):
        assert tf is not None
        idf = math.log(1.0 + n_docs / (1.0 + len(tf)))
        wids, _ = read_postings(r, "words", t.folded.encode("utf-8"), False)
        weights.append((tf, idf, set(wids)))

    def key(dn: int) -> tuple[int, float]:
        whole = 0
        score = 0.0
        for tf, idf, wset in weights:
            f = tf.get(dn, 1.0)
            score += idf * f / (f + 1.2)
            if dn in wset:
                whole += 1
        return whole, score

    top = heapq.nlargest(limit, matched, key=lambda dn: (key(dn), -dn))
    return len(matched), [(key(dn), dn) for dn in top]


def _candidates(r: Any, term: Term) -> set[int]:
    """Docs holding every gram of a longer term (rarest first; stop when lists get too long)."""
    grams = sorted(term.grams(), key=lambda g: r.doc_frequency("content", g))
    found: set[int] | None = None
    for g in grams:
        if found is not None and len(found) * 30 < r.doc_frequency("content", g):
            break
        ids, _ = read_postings(r, "content", g, False)
        found = set(ids) if found is None else found.intersection(ids)
        if not found:
            break
    return found or set()


def _build_segment(path: str, docs: list[IndexDoc]) -> Any:
    """Write ``docs`` as one new segment of the index at ``path`` and return it (not yet in any
    TOC; the caller holds the lock or owns the index). Runs in a worker process."""
    return build_segment(windex.open_dir(path, indexname=INDEX_NAME), map(_fields, docs))


class _SegmentBuilder:
    """Runs ``_build_segment`` on chunks: in this process for a single chunk, else in a pool of
    BUILD_PROCS worker processes with at most BUILD_PROCS + 1 chunks in flight (bounded memory)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.submitted = 0
        self._held: list[IndexDoc] | None = None
        self._pool: Any = None
        self._futures: list[Any] = []
        self._done: list[Any] = []

    def submit(self, chunk: list[IndexDoc]) -> None:
        self.submitted += 1
        if self._pool is None and self._held is None and self.submitted == 1:
            self._held = chunk                      # maybe the only chunk: no pool needed
            return
        if self._pool is None:
            import multiprocessing
            import threading
            from concurrent.futures import ProcessPoolExecutor
            # fork (as Whoosh's MpWriter did): no re-import of __main__, workers start at once;
            # spawn when other threads run, as forking them is unsafe
            method = ("fork" if threading.active_count() == 1
                      and "fork" in multiprocessing.get_all_start_methods() else "spawn")
            self._pool = ProcessPoolExecutor(BUILD_PROCS, mp_context=multiprocessing.get_context(method),
                                             initializer=_start_pool_worker, initargs=(os.getpid(),))
            if self._held is not None:
                self._futures.append(self._pool.submit(_build_segment, self.path, self._held))
                self._held = None
        self._futures.append(self._pool.submit(_build_segment, self.path, chunk))
        while len(self._futures) - len(self._done) > BUILD_PROCS:
            self._done.append(self._futures[len(self._done)].result())

    def results(self) -> list[Any]:
        """The segments in submission order."""
        if self._held is not None:
            self._done.append(_build_segment(self.path, self._held))
            self._held = None
        for f in self._futures[len(self._done):]:
            self._done.append(f.result())
        return self._done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _start_pool_worker(parent: int) -> None:
    """First thing in each rebuild worker process: die when the process that started it dies (a
    killed ``reindex`` or ``repair`` must not leave idle workers behind)."""
    from archive_kit.workers import die_with_parent

    die_with_parent(parent, whole_group=False)


def _build_segments(tmp: Path, docs: Iterable[IndexDoc], lock_timeout: float) -> None:
    """Write ``docs`` as a complete index in the new folder ``tmp``.

    Documents go in chunks of CHUNK_DOCS, each written as one segment by a pool of BUILD_PROCS
    worker processes (in this process when there is only one chunk); a document id seen again
    replaces the earlier document (which is marked deleted in its segment)."""
    WhooshIndex(tmp, lock_timeout=lock_timeout, create=True).close()
    where: dict[int, tuple[int, int]] = {}      # id -> (chunk number, position in chunk)
    replaced: list[tuple[int, int]] = []
    builder = _SegmentBuilder(tmp)
    try:
        chunk: list[IndexDoc] = []
        for doc in docs:
            prev = where.get(doc.id)
            if prev is not None and prev[0] == builder.submitted:
                chunk[prev[1]] = doc            # repeated within this chunk: last one wins
                continue
            if prev is not None:
                replaced.append(prev)
            where[doc.id] = (builder.submitted, len(chunk))
            chunk.append(doc)
            if len(chunk) >= CHUNK_DOCS:
                builder.submit(chunk)
                chunk = []
        if chunk:
            builder.submit(chunk)
        segments = builder.results()
    finally:
        builder.close()
    for ci, dn in replaced:
        segments[ci].delete_document(dn)
    write_toc(tmp, INDEX_NAME, segments)


def _build_and_publish(path: Path, docs: Iterable[IndexDoc], lock_timeout: float,
                       publish: Callable[[Path], None]) -> None:
    """Build an index from ``docs`` in a temp folder beside ``path``, hand it to ``publish``, and
    remove whatever is left of the temp folder; a failed write is one clear error."""
    tmp = path.parent / f".{path.name}.rebuild-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        _build_segments(tmp, docs, lock_timeout)
        publish(tmp)
    except OSError as e:
        raise write_failed(path, e) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _apply(tmp: Path, change: Callable[[SearchIndex], None], lock_timeout: float) -> None:
    """Let ``change`` add to or delete from the finished index in ``tmp`` before it is published."""
    fresh = WhooshIndex(tmp, lock_timeout=lock_timeout)
    try:
        change(fresh)
    finally:
        fresh.close()


def build_index(path: Path, docs: Iterable[IndexDoc], *, lock_timeout: float = 30.0,
                before_publish: Callable[[SearchIndex], None] | None = None) -> None:
    """Build the index at ``path`` where there is none (lost, or never made): it is built aside and
    renamed into place finished, so nobody ever sees it half-built. ``before_publish`` as in
    ``WhooshIndex.rebuild``; the caller keeps other builders out (see ``archive_kit.indexing``)."""
    path = Path(path)

    def publish(tmp: Path) -> None:
        if before_publish is not None:
            _apply(tmp, before_publish, lock_timeout)
        aside = None
        if path.exists():   # an empty folder, or one holding only lock files: no index in it
            aside = path.with_name(f".{path.name}.damaged-{os.getpid()}-{uuid.uuid4().hex[:8]}")
            os.replace(path, aside)
        os.replace(tmp, path)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)

    _build_and_publish(path, docs, lock_timeout, publish)


def write_failed(path: Path, error: OSError) -> ArchiveKitError:
    """The repository error for a failed write to the index at ``path``."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(f"disk full: could not write the search index ({path}); nothing was half-written "
                             "and the catalogue is unchanged; free some space and run the command again")
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ReadOnlyError(f"the repository is read-only: the search index ({path}) cannot be written")
    return RepositoryError(f"the search index ({path}) could not be written ({error.strerror or error})")


def index_exists(path: Path) -> bool:
    """True when ``path`` holds an index (damaged or not); False for a missing or empty folder."""
    return Path(path).is_dir() and any(p.name.endswith(".toc") for p in Path(path).iterdir())


def open_index(path: Path, lock_timeout: float = 30.0, *, create: bool = True) -> SearchIndex:
    """Open the index at ``path``; RepositoryError when it is damaged. With ``create`` (the default,
    for a standalone index) an empty one is made where there is none; a repository opens its index
    with ``create=False``, so reading never makes an empty index that later searches would trust."""
    return WhooshIndex(path, lock_timeout=lock_timeout, create=create)
