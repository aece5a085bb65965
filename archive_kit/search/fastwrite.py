"""A Whoosh segment writer that keeps postings in per-term arrays instead of Whoosh's sorting pool.

Whoosh's ``SegmentWriter`` pushes every posting through a pool of tuples (size estimate, sort,
maybe pickled sort runs), then ``add_postings`` looks up each posting's field length in a column
and ``add_posting`` checks its types: about 12 µs per posting, and our grams make ~1,100 postings
per document. Here each term owns two arrays (document numbers, weights) filled while documents
are added (document numbers grow, so each list is already sorted), and the flush writes each term's
blocks straight through Whoosh's own ``W3FieldWriter``/``W3PostingsWriter``: same files, same block
format and statistics, so ``open_dir``, readers, merges, ``add`` and ``delete`` see an ordinary
Whoosh segment. Everything else (per-document columns and stored fields, deletions, merge policy,
TOC, lock) is the inherited ``SegmentWriter`` code.
"""
from __future__ import annotations

from array import array
from typing import Any

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.writing import SegmentWriter


class ArrayPostingWriter(SegmentWriter):
    """``SegmentWriter`` with array postings; supports the field types of our schema (no vectors,
    no spelling, no per-field boosts)."""

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
                while m.is_active():
                    if isinstance(m, W3LeafMatcher):
                        m._read_ids()
                        m._read_weights()
                        block = zip(m._ids, m._weights)
                        m._next_block()
                    else:
                        block = [(m.id(), m.weight())]
                        m.next()
                    for d, w in block:
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
