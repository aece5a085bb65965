"""The SQLite catalogue: the repository's source of truth (documents, texts, tags, links, numbering).

Everything derived (the search index, renditions) can be rebuilt from it. WAL mode lets searches
read while an ingest writes; writers take ``BEGIN IMMEDIATE`` and wait up to the lock timeout.

This is the catalogue's edge: every SQLite failure met through its connection (disk full, a
damaged page, a read-only file, a lock held too long) arrives as archive-kit's own
``RepositoryError`` family with one line for people; a write transaction that fails is rolled back.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, NoReturn
from urllib.parse import quote

from .errors import (ArchiveKitError, CatalogueDamagedError, DiskFullError, LockTimeout, ReadOnlyError,
                     RepositoryError)

SCHEMA_VERSION = 4  # 4: documents.original_name_bytes and texts.sha256 (the fixity of each extracted text)
MAX_ID = 2**63 - 1  # SQLite's largest integer: a bigger "id" names no document (and must not overflow)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    original_name_bytes BLOB,
    source_path TEXT NOT NULL,
    format TEXT NOT NULL,
    title TEXT,
    doc_number TEXT,
    author TEXT,
    date TEXT,
    track TEXT,
    criterion TEXT,
    year INTEGER,
    track_source TEXT,
    criterion_source TEXT,
    year_source TEXT,
    retention TEXT,
    remarks TEXT,
    pages INTEGER,
    text_chars INTEGER NOT NULL DEFAULT 0,
    ocr INTEGER NOT NULL DEFAULT 0,
    ocr_confidence REAL,
    low_confidence_pages TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]',
    item_number INTEGER,
    archival_code TEXT UNIQUE,
    box INTEGER,
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_filing ON documents (track, year, criterion);
CREATE TABLE IF NOT EXISTS texts (
    doc_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    sha256 TEXT
);
CREATE TABLE IF NOT EXISTS tag_hints (
    doc_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    source TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (doc_id, field, source)
);
CREATE TABLE IF NOT EXISTS links (
    doc_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    track TEXT NOT NULL,
    criterion TEXT NOT NULL,
    PRIMARY KEY (doc_id, track, criterion)
);
CREATE TABLE IF NOT EXISTS sources (
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (sha256, path)
);
CREATE TABLE IF NOT EXISTS schemas (
    track TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS index_queue (
    doc_id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS index_queue_seq ON index_queue (seq);
CREATE TABLE IF NOT EXISTS number_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    doc_id INTEGER,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS number_log_no_update BEFORE UPDATE ON number_log
BEGIN SELECT RAISE(ABORT, 'number_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS number_log_no_delete BEFORE DELETE ON number_log
BEGIN SELECT RAISE(ABORT, 'number_log is append-only'); END;
CREATE TABLE IF NOT EXISTS frozen_units (
    track TEXT NOT NULL,
    year INTEGER NOT NULL,
    retention TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (track, year, retention)
);
CREATE TABLE IF NOT EXISTS numbered_items (
    doc_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    track TEXT NOT NULL,
    year INTEGER NOT NULL,
    retention TEXT NOT NULL,
    item_number INTEGER NOT NULL,
    box INTEGER NOT NULL,
    pages INTEGER NOT NULL,
    frozen_at TEXT,
    UNIQUE (track, year, retention, item_number)
);
"""
# columns added to tables that an older catalogue already has: (table, column, declaration)
_ADDED_COLUMNS = (
    ("documents", "original_name_bytes", "BLOB"),  # version 4: the name's bytes as found on disk
    ("texts", "sha256", "TEXT"),                    # version 4: the fixity of each extracted text
)


def is_document_id(value: int) -> bool:
    """True when ``value`` can be a document id: a positive SQLite integer."""
    return 1 <= value <= MAX_ID


def text_sha256(text: str) -> str:
    """SHA-256 of an extracted text as stored (UTF-8, lone surrogates kept): its fixity value."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _fill_text_hashes(db: sqlite3.Connection) -> None:
    """Migration to version 4: fill ``texts.sha256`` for every text that has none yet
    (safe to run again after a kill between steps)."""
    db.create_function("archive_kit_text_sha256", 1, text_sha256, deterministic=True)
    db.execute("UPDATE texts SET sha256 = archive_kit_text_sha256(text) WHERE sha256 IS NULL")


def catalogue_error(path: Path, error: sqlite3.Error, lock_timeout: float = 0.0) -> ArchiveKitError | None:
    """The repository error a SQLite failure stands for, or None for a programming error
    (constraint violations, misuse), which callers may expect and catch as they are."""
    if isinstance(error, (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)):
        return None
    name = getattr(error, "sqlite_errorname", "") or ""
    msg = str(error)
    if name in ("SQLITE_FULL", "SQLITE_IOERR_SHMSIZE") or "database or disk is full" in msg:
        return DiskFullError(f"disk full: could not write the catalogue ({path}); the change was rolled back and "
                             "nothing is half-written; free some space and run the command again")
    if name.startswith("SQLITE_READONLY") or "readonly database" in msg:
        return ReadOnlyError(f"the repository is read-only: the catalogue ({path}) cannot be written")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in msg:
        return LockTimeout(f"{path}: another archive-kit process kept the catalogue locked for more "
                           f"than {lock_timeout:.0f} s; try again when it has finished")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in msg or "not a database" in msg:
        return CatalogueDamagedError(f"catalogue is damaged: {path} ({msg}); run `archive-kit verify` to see "
                                     "the damage and restore catalogue.sqlite from a backup")
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in msg:
        return RepositoryError(f"the catalogue ({path}) could not be read or written (disk I/O error); "
                               "check the disk, then run `archive-kit verify`")
    if name.startswith("SQLITE_CANTOPEN"):
        return RepositoryError(f"{path}: catalogue cannot be opened ({msg})")
    return None


class _Cursor(sqlite3.Cursor):
    """A cursor whose SQLite failures are raised as ``catalogue_error`` says (statements step lazily,
    so reading rows can meet a damaged page as much as executing can)."""

    def _fail(self, error: sqlite3.Error) -> NoReturn:
        conn = self.connection
        translated = catalogue_error(conn.path, error, conn.lock_timeout) if conn.translate else None
        if translated is None:
            raise error
        raise translated from None

    def execute(self, sql: str, parameters: Any = ()) -> "_Cursor":
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as e:
            self._fail(e)

    def executemany(self, sql: str, seq_of_parameters: Any) -> "_Cursor":
        try:
            return super().executemany(sql, seq_of_parameters)
        except sqlite3.Error as e:
            self._fail(e)

    def executescript(self, sql_script: str) -> "_Cursor":
        try:
            return super().executescript(sql_script)
        except sqlite3.Error as e:
            self._fail(e)

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.Error as e:
            self._fail(e)

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.Error as e:
            self._fail(e)

    def fetchmany(self, size: int | None = None) -> list[Any]:
        try:
            return super().fetchmany(self.arraysize if size is None else size)
        except sqlite3.Error as e:
            self._fail(e)

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.Error as e:
            self._fail(e)


class _Connection(sqlite3.Connection):
    """The catalogue's connection: every statement runs through a ``_Cursor``."""

    path: Path = Path()
    lock_timeout: float = 0.0
    translate: bool = False   # off while opening, where busy and locked are retried instead

    def cursor(self, factory: Any = _Cursor) -> Any:  # noqa: D102 - sqlite3's own
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = ()) -> Any:  # noqa: D102
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any) -> Any:  # noqa: D102
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, sql_script: str) -> Any:  # noqa: D102
        return self.cursor().executescript(sql_script)


def now_iso() -> str:
    """UTC timestamp for catalogue rows and logs."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


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
    added_at: str = ""
    updated_at: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: sqlite3.Row, links: list[tuple[str, str]] | None = None) -> "Document":
        """Build from a ``documents`` row."""
        d = dict(row)
        d["ocr"] = bool(d["ocr"])
        d["low_confidence_pages"] = json.loads(d["low_confidence_pages"] or "[]")
        d["warnings"] = json.loads(d["warnings"] or "[]")
        return cls(**d, links=links or [])

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
            "text_chars": self.text_chars,
            "ocr": self.ocr,
            "ocr_confidence": self.ocr_confidence,
            "low_confidence_pages": self.low_confidence_pages,
            "warnings": self.warnings,
            "links": [{"track": t, "criterion": c} for t, c in self.links],
            "item_number": self.item_number,
            "archival_code": self.archival_code,
            "box": self.box,
        }




class Catalogue:
    """A connection to ``catalogue.sqlite`` with the queries the rest of archive-kit needs."""

    def __init__(self, path: Path, *, lock_timeout: float = 30.0, create: bool = False,
                 read_only: bool = False) -> None:
        self.path = path
        self.lock_timeout = lock_timeout
        self.read_only = read_only
        if not create and not path.is_file():
            raise RepositoryError(f"{path}: catalogue is missing")
        version = self._connect()
        if version > SCHEMA_VERSION:
            raise RepositoryError(
                f"{path}: catalogue format {version} is newer than this archive-kit supports "
                f"({SCHEMA_VERSION}); upgrade archive-kit"
            )
        if version < SCHEMA_VERSION and not read_only:  # a read-only catalogue is read as it is
            try:
                self.db.executescript("BEGIN IMMEDIATE;" + _SCHEMA + "COMMIT;")
                self._add_columns()
            except (LockTimeout, DiskFullError, ReadOnlyError, CatalogueDamagedError):
                raise
            except (ArchiveKitError, sqlite3.DatabaseError) as e:
                raise RepositoryError(f"{path}: catalogue cannot be set up: {e}") from None

    def _add_columns(self) -> None:
        """Upgrade an older catalogue in place: add the columns it lacks, fill the text hashes, then mark it current.

        Checked under the write lock, so two processes upgrading at once add each column once.
        """
        with self.transaction():
            for table, column, declaration in _ADDED_COLUMNS:
                if column not in {r[1] for r in self.db.execute(f"PRAGMA table_info({table})")}:
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            _fill_text_hashes(self.db)
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _connect(self) -> int:
        """Open the connection (retrying while another process holds SQLite's locks); returns user_version."""
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                db = self._open()
                self.db = db
                db.row_factory = sqlite3.Row
                db.execute("PRAGMA busy_timeout = %d" % int(self.lock_timeout * 1000))
                if not self.read_only:
                    db.execute("PRAGMA journal_mode = WAL")
                    db.execute("PRAGMA synchronous = NORMAL")
                db.execute("PRAGMA foreign_keys = ON")
                version = db.execute("PRAGMA user_version").fetchone()[0]
                db.translate = True
                return version
            except sqlite3.OperationalError as e:
                # SQLITE_BUSY / SQLITE_PROTOCOL: another process is opening, recovering or writing
                if not any(w in str(e) for w in ("locked", "busy", "locking protocol")):
                    translated = catalogue_error(self.path, e, self.lock_timeout)
                    if isinstance(translated, (DiskFullError, ReadOnlyError, CatalogueDamagedError)):
                        raise translated from None
                    raise RepositoryError(f"{self.path}: catalogue cannot be opened: {e}") from None
                if getattr(self, "db", None) is not None:
                    self.db.close()
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"{self.path}: another archive-kit process kept the catalogue locked for more "
                        f"than {self.lock_timeout:.0f} s; try again when it has finished") from None
                time.sleep(0.1)
            except sqlite3.DatabaseError as e:
                raise RepositoryError(f"{self.path}: catalogue cannot be opened: {e}") from None

    def _open(self) -> _Connection:
        """A connection: read-write, or for a read-only repository ``mode=ro`` (which still needs the
        WAL index file ``-shm``), else ``immutable=1`` where that file cannot be created. Never
        creates a file in a read-only repository."""
        if not self.read_only:
            db = sqlite3.connect(str(self.path), timeout=self.lock_timeout, isolation_level=None,
                                 check_same_thread=False, factory=_Connection)
        else:
            uri = "file:" + quote(str(self.path.absolute()))
            db = sqlite3.connect(uri + "?mode=ro", uri=True, timeout=self.lock_timeout, isolation_level=None,
                                 check_same_thread=False, factory=_Connection)
            try:
                db.execute("PRAGMA user_version").fetchone()
            except sqlite3.OperationalError:
                db.close()
                wal = self.path.with_name(self.path.name + "-wal")
                if wal.is_file() and wal.stat().st_size:
                    raise RepositoryError(
                        f"{self.path}: the catalogue holds changes not yet merged ({wal.name}) and the repository "
                        "is read-only; open it once with write access (any archive-kit command) first") from None
                db = sqlite3.connect(uri + "?immutable=1", uri=True, isolation_level=None, check_same_thread=False,
                                     factory=_Connection)
        db.path = self.path
        db.lock_timeout = self.lock_timeout
        return db

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE), waiting for other writers up to the lock timeout.

        Any failure inside rolls everything back (SQLite may already have done so itself, as it
        does when the disk is full)."""
        if self.read_only:
            raise ReadOnlyError(f"the repository is read-only: the catalogue ({self.path}) cannot be written")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        """Roll back the open transaction, if SQLite has not already."""
        if self.db.in_transaction:
            try:
                self.db.execute("ROLLBACK")
            except (ArchiveKitError, sqlite3.Error):
                pass

    # --- documents -------------------------------------------------------------------------

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
        self.db.executemany(
            "INSERT OR REPLACE INTO tag_hints (doc_id, field, source, value) VALUES (?, ?, ?, ?)",
            [(doc_id, f, s, v) for f, s, v in hints],
        )
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

    def put_text(self, doc_id: int, text: str) -> None:
        """Store (or replace) a document's extracted text with its SHA-256 (inside a transaction)."""
        self.db.execute("INSERT OR REPLACE INTO texts (doc_id, text, sha256) VALUES (?, ?, ?)",
                        (doc_id, text, text_sha256(text)))

    # --- the index queue -------------------------------------------------------------------
    # Every change queues its document (doc_id, seq) in the change's own transaction. A positive
    # seq is not yet in the live index; a sync that applies entries while an index rebuild runs
    # keeps them, negated ("held"), so the rebuild can apply them to its fresh index before the
    # swap. Entries are only ever removed by exact (doc_id, seq), so a document queued again
    # meanwhile stays queued.

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

    def get(self, doc_id: int) -> Document | None:
        """One document with its links (None for an id no document can have)."""
        if not is_document_id(doc_id):
            return None
        row = self.db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        return Document.from_row(row, self.links_of([doc_id]).get(doc_id, []))

    def text(self, doc_id: int) -> str:
        """A document's extracted text ("" for an id no document can have)."""
        if not is_document_id(doc_id):
            return ""
        row = self.db.execute("SELECT text FROM texts WHERE doc_id = ?", (doc_id,)).fetchone()
        return row[0] if row else ""

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

    def hints_of(self, doc_id: int) -> dict[str, dict[str, str]]:
        """{field: {source: value}} of every tag value any source proposed for a document."""
        out: dict[str, dict[str, str]] = {}
        for r in self.db.execute("SELECT field, source, value FROM tag_hints WHERE doc_id = ?", (doc_id,)):
            out.setdefault(r[0], {})[r[1]] = r[2]
        return out

    def query(self, where: str = "", params: Iterable[Any] = (), order: str = "id") -> list[Document]:
        """Documents matching a SQL condition, with links, in ``order``."""
        sql = "SELECT * FROM documents" + (f" WHERE {where}" if where else "") + f" ORDER BY {order}"
        rows = self.db.execute(sql, tuple(params)).fetchall()
        links = self.links_of(r["id"] for r in rows)
        return [Document.from_row(r, links.get(r["id"], [])) for r in rows]

    def all_ids(self) -> set[int]:
        """Every catalogued document id."""
        return {r[0] for r in self.db.execute("SELECT id FROM documents")}

    def count(self) -> int:
        """How many documents are catalogued."""
        return int(self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    # --- schemas and meta ------------------------------------------------------------------

    def schema_sources(self) -> list[tuple[str, str, str]]:
        """(track, yaml source, origin) of every registered schema."""
        return [tuple(r) for r in self.db.execute("SELECT track, source, origin FROM schemas ORDER BY track")]

    def put_schema(self, track: str, source: str, origin: str) -> None:
        """Register or replace a track's schema."""
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO schemas (track, source, origin, added_at) VALUES (?, ?, ?, ?)",
                (track, source, origin, now_iso()),
            )

    def log(self, action: str, detail: dict[str, Any], doc_id: int | None = None) -> None:
        """Append to the numbering/tagging log (inside a transaction)."""
        actor = os.environ.get("ARCHIVE_KIT_USER") or os.environ.get("USER") or "unknown"
        self.db.execute(
            "INSERT INTO number_log (at, actor, doc_id, action, detail) VALUES (?, ?, ?, ?, ?)",
            (now_iso(), actor, doc_id, action, json.dumps(detail, ensure_ascii=False, sort_keys=True)),
        )
