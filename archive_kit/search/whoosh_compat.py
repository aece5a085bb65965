"""Every use of Whoosh internals, in one place, behind a check of the Whoosh version.

The index is faster and simpler than Whoosh's public API allows in four places, each of which
reaches into code Whoosh does not promise to keep:

- ``read_postings``: posting lists decoded block by block from the W3 codec's matcher (ranking and
  matching bypass Whoosh's scorers; deleted documents are subtracted by the caller);
- ``ArrayPostingWriter``: a ``SegmentWriter`` that keeps postings in per-term arrays and writes
  their blocks straight through the codec's posting writer;
- ``build_segment`` / ``write_toc``: segments written without a TOC by worker processes, then
  published together in one TOC;
- ``write_lock`` / ``adopt_index``: a finished index built in another folder switched in as the
  next generation of the live one, under Whoosh's own write lock.

They were written against, and tested with, the Whoosh releases in ``TESTED``; importing this
module with any other Whoosh is a ``RepositoryError`` naming the version found and the ones
wanted, rather than wrong results or an ``AttributeError`` deep inside a search.
"""
from __future__ import annotations

import os
from array import array
from pathlib import Path
from typing import Any, Iterable, Iterator

import whoosh

from archive_kit.errors import RepositoryError

#: Whoosh versions (a prefix of ``whoosh.__version__``) whose internals this module matches, and
#: the distribution each comes from. Widen only after the whole search suite passed with it.
TESTED: dict[tuple[int, ...], str] = {
    (3, 54): "whoosh3 3.54.x",
    (2, 7, 5): "whoosh-reloaded 2.7.5",
    (5, 4): "whoosh-ng 5.4.x",
}


def check_version(version: tuple[int, ...]) -> None:
    """Raise ``RepositoryError`` unless ``version`` is one of the TESTED Whoosh versions."""
    if any(tuple(version[:len(v)]) == v for v in TESTED):
        return
    found = ".".join(str(x) for x in version)
    raise RepositoryError(
        f"archive-kit cannot use the installed Whoosh {found}: its search index relies on Whoosh "
        f"internals tested only with {' or '.join(TESTED.values())}; reinstall archive-kit "
        "(`pip install archive-kit`) to get the Whoosh it pins")


check_version(tuple(whoosh.__version__))

# only now that the version is known: these names are what the check protects
from whoosh.codec.whoosh3 import W3LeafMatcher  # noqa: E402
from whoosh.filedb.filestore import FileStorage  # noqa: E402
from whoosh.index import TOC, clean_files  # noqa: E402
from whoosh.writing import SegmentWriter  # noqa: E402


# -- reading ---------------------------------------------------------------------------------

def _blocks(m: Any, weights: bool) -> Iterator[tuple[Any, Any]]:
    """(document numbers, weights) of each posting block of the raw matcher ``m``; the weights are
    empty unless asked for. A W3 matcher is decoded a block at a time, anything else a posting at
    a time."""
    if isinstance(m, W3LeafMatcher):
        while m.is_active():
            m._read_ids()
            if weights:
                m._read_weights()
            yield m._ids, (m._weights if weights else ())
            m._next_block()
    else:
        while m.is_active():
            yield (m.id(),), ((m.weight(),) if weights else ())
            m.next()


def read_postings(reader: Any, field: str, term: bytes, weights: bool) -> tuple[list[int], list[float]]:
    """The document numbers (and, if asked, weights) of ``term`` in ``field`` of one segment
    reader, deleted documents included."""
    if (field, term) not in reader:
        return [], []
    m = reader.postings(field, term)
    m = getattr(m, "child", m)          # unwrap the deleted-documents filter; the caller subtracts
    ids: list[int] = []
    wts: list[float] = []
    for bids, bwts in _blocks(m, weights):
        ids.extend(bids)
        wts.extend(bwts)
    return ids, wts


def deleted_docs(reader: Any) -> set[int]:
    """The deleted document numbers of one segment reader (a set Whoosh caches on the reader)."""
    return reader.deleted_docs_set if reader.has_deletions() else set()


# -- writing -----------------------------------------------------------------------------------

class ArrayPostingWriter(SegmentWriter):
    """A ``SegmentWriter`` that keeps postings in per-term arrays instead of Whoosh's sorting pool.

    Whoosh's writer pushes every posting through a pool of tuples (size estimate, sort, maybe
    pickled sort runs), then looks up each posting's field length in a column and checks its
    types: about 12 µs per posting, and our grams make ~1,100 postings per document (4.5 vs 27 s
    for 2,000 documents in one process). Here each term owns two arrays (document numbers,
    weights) filled as documents are added (document numbers grow, so each list is already
    sorted), and the flush writes each term's blocks straight through Whoosh's own
    ``W3FieldWriter``/``W3PostingsWriter``: the same files, byte for byte (see the writer test in
    tests/test_search.py), so readers, merges, ``add`` and ``delete`` see an ordinary segment.
    Everything else (per-document columns and stored fields, deletions, merge policy, TOC, lock)
    is the inherited code. Supports the field types of our schema (no vectors, no spelling, no
    per-field boosts)."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        # field name -> term bytes -> (docnums, weights); field name -> docnum -> field length
        self._terms: dict[str, dict[bytes, tuple[array, array]]] = {}
        self._lengths: dict[str, dict[int, int]] = {}
        self._merged = False          # postings copied from other segments may be out of order

    def _field_terms(self, fieldname: str) -> dict[bytes, tuple[array, array]]:
        d = self._terms.get(fieldname)
        if d is None:
            d = self._terms[fieldname] = {}
            self._lengths[fieldname] = {}
            self.pool.fieldnames.add(fieldname)
        return d

    def add_document(self, **fields: Any) -> None:
        self._check_state()
        schema = self.schema
        names = sorted(n for n in fields if not n.startswith("_"))
        self._check_fields(schema, names)
        pdw = self.perdocwriter
        docnum = self.docnum
        pdw.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                if field.vector or field.separate_spelling():
                    raise ValueError(f"field {name!r}: vectors and spelling are not supported")
                length = 0
                if field.indexed and hasattr(field, "term_counts"):   # our fields: weight = tf
                    terms = self._field_terms(name)
                    get = terms.get
                    counts = field.term_counts(value)
                    for tbytes, freq in counts.items():
                        p = get(tbytes)
                        if p is None:
                            p = terms[tbytes] = (array("I"), array("f"))
                        p[0].append(docnum)
                        p[1].append(freq)
                    length = sum(counts.values()) if field.scorable else 0
                    self._lengths[name][docnum] = length
                elif field.indexed:
                    terms = self._field_terms(name)
                    for tbytes, freq, weight, _ in field.index(value):
                        p = terms.get(tbytes)
                        if p is None:
                            p = terms[tbytes] = (array("I"), array("f"))
                        p[0].append(docnum)
                        p[1].append(weight)
                        length += freq
                    if not field.scorable:
                        length = 0
                    self._lengths[name][docnum] = length
                pdw.add_field(name, field, value if field.stored else None, length)
                if field.column_type:
                    pdw.add_column_value(name, field.column_type, field.to_column_value(value))
        except Exception:
            pdw.cancel_doc()
            raise
        pdw.finish_doc()
        self._added = True
        self.docnum += 1

    def add_postings_to_pool(self, reader: Any, startdoc: int, docmap: Any) -> None:
        """Merge path (MERGE_SMALL, optimize): copy a segment's posting blocks, renumbered."""
        self._merged = True
        for fieldname in reader.indexed_field_names():
            if fieldname not in self.schema:
                continue
            terms = self._field_terms(fieldname)
            lengths = self._lengths[fieldname]
            fmt = self.schema[fieldname].format
            for btext in list(reader.lexicon(fieldname)):
                m = reader._terms.matcher(fieldname, btext, fmt)  # raw matcher, deleted docs included
                p = terms.get(btext)
                if p is None:
                    p = terms[btext] = (array("I"), array("f"))
                ids, wts = p
                for bids, bwts in _blocks(m, True):
                    for d, w in zip(bids, bwts):
                        nd = startdoc + d if docmap is None else docmap.get(d)
                        if nd is None:          # deleted in the source segment
                            continue
                        if nd not in lengths:
                            lengths[nd] = reader.doc_field_length(d, fieldname) or 0
                        ids.append(nd)
                        wts.append(w)
            for btext in [t for t, (ids, _) in terms.items() if not ids]:
                del terms[btext]

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        fw = self.fieldwriter
        schema = self.schema
        for fieldname in sorted(self._terms):
            terms = self._terms[fieldname]
            if not terms:
                continue
            lengths = self._lengths[fieldname]
            fw.start_field(fieldname, schema[fieldname])
            pw = fw._postwriter
            limit = pw._blocklimit
            for btext in sorted(terms):
                ids, wts = terms[btext]
                if self._merged and len(ids) > 1 and any(a >= b for a, b in zip(ids, ids[1:])):
                    order = sorted(range(len(ids)), key=ids.__getitem__)   # merged sources
                    ids = array("I", [ids[i] for i in order])
                    wts = array("f", [wts[i] for i in order])
                fw.start_term(btext)
                n = len(ids)
                for start in range(0, n, limit):
                    bids = ids[start:start + limit]
                    pw._ids = bids
                    pw._weights = wts[start:start + limit]
                    pw._values = []
                    pw._maxweight = max(pw._weights)
                    lens = [x for x in map(lengths.get, bids) if x]
                    pw._minlength = min(lens) if lens else None
                    pw._maxlength = max(lens) if lens else 0
                    if start + limit < n:
                        pw._write_block()   # a full block; the last one is written by finish_term
                fw.finish_term()
            fw.finish_field()
        fw.close()
        self._terms.clear()
        self._lengths.clear()


def build_segment(ix: Any, documents: Iterable[dict[str, Any]]) -> Any:
    """Write ``documents`` (field dicts) as one new segment of ``ix`` and return it, in no TOC yet:
    the caller publishes it with ``write_toc`` (and holds the lock, or owns the index)."""
    w = ArrayPostingWriter(ix, _lk=False)
    try:
        for fields in documents:
            w.add_document(**fields)
        return w._finalize_segment()
    except BaseException:
        w._close_segment()
        raise


def write_toc(folder: Path, indexname: str, segments: list[Any]) -> None:
    """Make ``segments`` (from ``build_segment``) the whole content of the fresh index in ``folder``."""
    storage = FileStorage(str(folder))
    TOC(TOC.read(storage, indexname).schema, segments, 1).write(storage, indexname)


def write_lock(ix: Any) -> Any:
    """The lock Whoosh's own writers take on ``ix`` (``acquire(blocking=False)``, ``release()``)."""
    return ix.lock("WRITELOCK")


def adopt_index(ix: Any, path: Path, folder: Path, indexname: str) -> None:
    """Move the segments of the finished index in ``folder`` into ``ix`` (whose folder is ``path``)
    and publish them as its next generation (one TOC write), then delete the files of the segments
    replaced. The caller holds ``write_lock(ix)``."""
    toc = TOC.read(FileStorage(str(folder)), indexname)
    for f in folder.iterdir():
        if f.name.startswith(indexname + "_") and not f.name.endswith((".toc", "LOCK")):
            os.replace(f, path / f.name)
    gen = ix.latest_generation() + 1
    TOC(toc.schema, toc.segments, gen).write(ix.storage, indexname)
    clean_files(ix.storage, indexname, gen, toc.segments)
