"""Documents: the catalogue's records of the originals (what they are, how they are filed and
numbered), and the queries over them.

A document row goes in with its text and tag hints and is queued for the index, all in one
transaction; every change to it queues it again.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

from .connection import is_document_id, now_iso
from .index_queue import IndexQueue
from .tags import Tags
from .texts import Texts

# title sources whose title is not the document's own: a listing prints it in [ ] (DA/T 22-2015)
BRACKETED_TITLE_SOURCES = ("composed", "file_name")
PROPOSABLE = ("track", "criterion")  # the tags content may propose (its year is the signing date's)
IDS_PER_QUERY = 900  # ids bound in one ``IN (…)`` (below SQLite's oldest variable limit, 999)


@dataclass
class Document:
    """One catalogued document (an item), as the contract's JSON record describes it."""

    id: int
    sha256: str
    original_name: str
    source_path: str
    format: str
    original_name_bytes: bytes | None = None  # the name as found on disk; original_name is its readable form
    title: str | None = None
    doc_number: str | None = None
    author: str | None = None
    date: str | None = None
    track: str | None = None
    criterion: str | None = None
    year: int | None = None
    track_source: str | None = None
    criterion_source: str | None = None
    year_source: str | None = None
    retention: str | None = None
    remarks: str | None = None
    pages: int | None = None
    text_chars: int = 0
    ocr: bool = False
    ocr_confidence: float | None = None
    low_confidence_pages: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    item_number: int | None = None
    archival_code: str | None = None
    box: int | None = None
    secrecy: str | None = None  # 密级; None where the unit does not mark it
    tags_confirmed: bool = False  # a person confirmed (or set) the tags, so none is a mere proposal
    # where the title came from: content, hint (document info), file_name, manifest, manual (edit), composed
    # (自拟题名, the archivist's own); None in a catalogue older than format 6 whose title was not a file name
    title_source: str | None = None
    kind: str = "document"  # "photo": a photo archive item (DA/T 50-2014), numbered in its own sequence
    place: str | None = None  # the photo's 地点
    people: str | None = None  # 人物
    photographer: str | None = None  # 摄影者
    background: str | None = None  # 背景/事由
    gps: str | None = None  # EXIF GPS position "lat,lon" (decimal degrees): a hint for the place
    pages_estimated: str | None = None  # why ``pages`` is only an estimate; None when a rendition counted them
    added_at: str = ""
    updated_at: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], links: list[tuple[str, str]] | None = None) -> "Document":
        """Build from a ``documents`` row (a ``sqlite3.Row`` or a dict of its columns)."""
        d = dict(row)
        d["ocr"] = bool(d["ocr"])
        d["tags_confirmed"] = bool(d.get("tags_confirmed"))
        for name in ("low_confidence_pages", "warnings"):  # JSON lists, mostly empty
            d[name] = json.loads(d[name]) if d[name] and d[name] != "[]" else []
        return cls(**d, links=links or [])

    @property
    def is_photo(self) -> bool:
        """True for a photo archive item (its own category, numbering and catalogue)."""
        return self.kind == "photo"

    @property
    def proposed_tags(self) -> list[str]:
        """The filing tags (``track``, ``criterion``) that came from content alone and no person
        has confirmed yet: proposals, which coverage, numbering and bundles leave out."""
        if self.tags_confirmed:
            return []
        return [name for name in PROPOSABLE if getattr(self, f"{name}_source") == "content"
                and getattr(self, name) is not None]

    @property
    def title_composed(self) -> bool:
        """The title is not the document's own (the archivist composed it, or it is the file name):
        listed in [ ], and not to be looked for on the document's first page."""
        return self.title_source in BRACKETED_TITLE_SOURCES

    @property
    def listed_title(self) -> str:
        """The title as a catalogue prints it (DA/T 22-2015 §5.5 e): a composed or file-name title in
        [ ]; a composed title the archivist already bracketed, whole or in part, as it is."""
        title = self.title or self.original_name
        if not (self.title_composed or not self.title):
            return title
        if (title.startswith("[") and title.endswith("]")) or (self.title_source == "composed" and "[" in title):
            return title
        return f"[{title}]"

    def to_json(self) -> dict[str, Any]:
        """The contract's document record (plus a few extra fields)."""
        return {
            "id": self.id,
            "sha256": self.sha256,
            "original_name": self.original_name,
            "source_path": self.source_path,
            "format": self.format,
            "title": self.title,
            "doc_number": self.doc_number,
            "author": self.author,
            "date": self.date,
            "track": self.track,
            "criterion": self.criterion,
            "year": self.year,
            "tag_sources": {
                "track": self.track_source,
                "criterion": self.criterion_source,
                "year": self.year_source,
            },
            "retention": self.retention,
            "remarks": self.remarks,
            "pages": self.pages,
            "pages_estimated": self.pages_estimated,
            "text_chars": self.text_chars,
            "ocr": self.ocr,
            "ocr_confidence": self.ocr_confidence,
            "low_confidence_pages": self.low_confidence_pages,
            "warnings": self.warnings,
            "links": [{"track": t, "criterion": c} for t, c in self.links],
            "item_number": self.item_number,
            "archival_code": self.archival_code,
            "box": self.box,
            "secrecy": self.secrecy,
            "title_source": self.title_source,
            "kind": self.kind,
            "place": self.place,
            "people": self.people,
            "photographer": self.photographer,
            "background": self.background,
            "gps": self.gps,
            "proposed": {name: True for name in self.proposed_tags},
        }


class Documents(Texts, Tags, IndexQueue):
    """The ``documents`` and ``sources`` tables."""

    def by_sha(self, sha256: str) -> int | None:
        """The id of the document with these bytes, if catalogued."""
        row = self.db.execute("SELECT id FROM documents WHERE sha256 = ?", (sha256,)).fetchone()
        return row[0] if row else None

    def insert_document(self, values: dict[str, Any], text: str, hints: Iterable[tuple[str, str, str]]) -> int:
        """Insert a document row with its text and tag hints, and queue it for indexing.

        Must run inside ``transaction()``.
        """
        values = dict(values)
        stamp = now_iso()
        values.setdefault("added_at", stamp)
        values.setdefault("updated_at", stamp)
        for key in ("low_confidence_pages", "warnings"):
            if key in values and not isinstance(values[key], str):
                values[key] = json.dumps(values[key], ensure_ascii=False)
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cur = self.db.execute(f"INSERT INTO documents ({cols}) VALUES ({marks})", tuple(values.values()))
        doc_id = int(cur.lastrowid)
        self.put_text(doc_id, text)
        self.put_hints(doc_id, hints)
        self.queue_index(doc_id)
        return doc_id

    def update_document(self, doc_id: int, values: dict[str, Any]) -> None:
        """Update some columns of a document and queue it for re-indexing (inside a transaction)."""
        values = dict(values, updated_at=now_iso())
        sets = ", ".join(f"{k} = ?" for k in values)
        self.db.execute(f"UPDATE documents SET {sets} WHERE id = ?", (*values.values(), doc_id))
        self.queue_index(doc_id)

    def add_source(self, sha256: str, path: str) -> None:
        """Remember that ``path`` held these bytes (duplicates show where copies were seen)."""
        self.db.execute(
            "INSERT OR IGNORE INTO sources (sha256, path, seen_at) VALUES (?, ?, ?)", (sha256, path, now_iso())
        )

    def get(self, doc_id: int) -> Document | None:
        """One document with its links (None for an id no document can have)."""
        if not is_document_id(doc_id):
            return None
        row = self.db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        return Document.from_row(row, self.links_of([doc_id]).get(doc_id, []))

    def _query(self, where: str = "", params: Iterable[Any] = ()) -> list[Document]:
        """Documents matching a SQL condition, with links, in id order."""
        sql = "SELECT * FROM documents" + (f" WHERE {where}" if where else "") + " ORDER BY id"
        cursor = self.db.execute(sql, tuple(params))
        names = [c[0] for c in cursor.description]
        # zipping the column names once is three times faster than dict(sqlite3.Row) per row
        records = [dict(zip(names, r)) for r in cursor.fetchall()]
        links = self.links_of(r["id"] for r in records)
        return [Document.from_row(r, links.get(r["id"], [])) for r in records]

    def by_ids(self, ids: Iterable[int]) -> list[Document]:
        """The catalogued documents among ``ids`` (unknown ids are left out), in id order within
        each run of ``IDS_PER_QUERY`` ids: sorted ids give documents in id order."""
        ids = list(ids)
        out: list[Document] = []
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[start:start + IDS_PER_QUERY]
            out += self._query(f"id IN ({','.join('?' * len(chunk))})", chunk)
        return out

    def documents(self, *, track: str | None = None, criterion: str | None = None, year: int | None = None,
                  untagged: bool = False) -> list[Document]:
        """Documents filed under the filters, in id order. ``track`` is a track id; a ``criterion``
        (with or without a track) matches its descendants too, and documents linked to any of them;
        a track alone matches documents filed or linked there; ``untagged`` keeps those whose
        track, criterion or year is missing."""
        where: list[str] = []
        params: list[Any] = []
        if criterion:
            crit_match = "(criterion = ? OR criterion LIKE ?)"
            link_cond = "EXISTS (SELECT 1 FROM links l WHERE l.doc_id = documents.id AND (l.criterion = ? OR l.criterion LIKE ?)"
            cp = [criterion, criterion + ".%"]
            if track:
                where.append(f"((track = ? AND {crit_match}) OR {link_cond} AND l.track = ?))")
                params += [track, *cp, *cp, track]
            else:
                where.append(f"({crit_match} OR {link_cond}))")
                params += [*cp, *cp]
        elif track:
            where.append("(track = ? OR EXISTS (SELECT 1 FROM links l WHERE l.doc_id = documents.id AND l.track = ?))")
            params += [track, track]
        if year is not None:
            where.append("year = ?")
            params.append(year)
        if untagged:
            where.append("(track IS NULL OR criterion IS NULL OR year IS NULL)")
        return self._query(" AND ".join(where), params)

    def filed_under(self, track: str, year: int) -> list[tuple[int, str | None, int | None]]:
        """(id, criterion, pages) of every document filed under ``track`` for ``year``, in id order."""
        return [tuple(r) for r in self.db.execute(
            "SELECT id, criterion, pages FROM documents WHERE track = ? AND year = ? ORDER BY id", (track, year))]

    def unconfirmed_under(self, track: str, year: int) -> list[int]:
        """Ids of the documents filed under ``track`` for ``year`` whose track or criterion is a
        content proposal no person confirmed (``Document.proposed_tags``), in id order."""
        proposed = " OR ".join(f"({name}_source = 'content' AND {name} IS NOT NULL)" for name in PROPOSABLE)
        return [r[0] for r in self.db.execute(
            f"SELECT id FROM documents WHERE track = ? AND year = ? AND tags_confirmed = 0 AND ({proposed}) "
            "ORDER BY id", (track, year))]

    def estimated_pages(self) -> list[Document]:
        """Documents whose page count is only an estimate (``pages_estimated``), in id order."""
        return self._query("pages_estimated IS NOT NULL")

    def originals(self) -> Iterator[tuple[int, str, str]]:
        """(id, sha256, source path) of every document, in id order: what the object store must hold."""
        for doc_id, sha, source in self.db.execute("SELECT id, sha256, source_path FROM documents ORDER BY id"):
            yield doc_id, sha, source

    def all_ids(self) -> set[int]:
        """Every catalogued document id."""
        return {r[0] for r in self.db.execute("SELECT id FROM documents")}

    def count(self) -> int:
        """How many documents are catalogued."""
        return int(self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])
