"""The catalogue's SQLite connection: opening it (waiting out other processes' locks), creating and
upgrading its tables, write transactions, and the translation of SQLite failures.

This is the catalogue's edge: every SQLite failure met through its connection (disk full, a
damaged page, a read-only file, a lock held too long) arrives as archive-kit's own
``RepositoryError`` family with one line for people; a write transaction that fails is rolled back.
WAL mode lets searches read while an ingest writes; writers take ``BEGIN IMMEDIATE`` and wait up
to the lock timeout.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, NoReturn
from urllib.parse import quote

from ..errors import (ArchiveKitError, CatalogueDamagedError, DiskFullError, LockTimeout, ReadOnlyError,
                      RepositoryError)
from ..metadata import file_stem
from ..store import text_sha256

SCHEMA_VERSION = 6  # 4: documents.original_name_bytes and texts.sha256 (the fixity of each extracted text);
# 5: the assignments table (owner and due date of a criterion), documents.secrecy and tags_confirmed, the
# append-only edit_log; 6: documents.title_source (where the title came from: a listing brackets a composed
# or file-name title), documents.pages_estimated (why a page count is only an estimate) and photo
# archives (documents.kind and the DA/T 50 photo fields; numbered_items.kind, so a class's photos have
# their own item-number sequence)
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
    secrecy TEXT,
    tags_confirmed INTEGER NOT NULL DEFAULT 0,
    title_source TEXT,
    kind TEXT NOT NULL DEFAULT 'document',
    place TEXT,
    people TEXT,
    photographer TEXT,
    background TEXT,
    gps TEXT,
    pages_estimated TEXT,
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
CREATE TABLE IF NOT EXISTS edit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    field TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX IF NOT EXISTS edit_log_doc ON edit_log (doc_id, id);
CREATE TRIGGER IF NOT EXISTS edit_log_no_update BEFORE UPDATE ON edit_log
BEGIN SELECT RAISE(ABORT, 'edit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS edit_log_no_delete BEFORE DELETE ON edit_log
BEGIN SELECT RAISE(ABORT, 'edit_log is append-only'); END;
CREATE TABLE IF NOT EXISTS frozen_units (
    track TEXT NOT NULL,
    year INTEGER NOT NULL,
    retention TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (track, year, retention)
);
CREATE TABLE IF NOT EXISTS assignments (
    track TEXT NOT NULL,
    criterion TEXT NOT NULL,
    owner TEXT NOT NULL,
    due TEXT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    PRIMARY KEY (track, criterion)
);
"""
# each unit's register; version 6 added ``kind`` ('' for documents, 'photo') inside its uniqueness, which
# SQLite can only change by copying the table (``_add_numbered_kind``)
_NUMBERED_ITEMS = """
CREATE TABLE {name} (
    doc_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
    track TEXT NOT NULL,
    year INTEGER NOT NULL,
    retention TEXT NOT NULL,
    item_number INTEGER NOT NULL,
    box INTEGER NOT NULL,
    pages INTEGER NOT NULL,
    frozen_at TEXT,
    kind TEXT NOT NULL DEFAULT '',
    UNIQUE (track, year, retention, kind, item_number)
);
"""
_SCHEMA += _NUMBERED_ITEMS.format(name="IF NOT EXISTS numbered_items")
# columns added to tables that an older catalogue already has: (table, column, declaration)
_ADDED_COLUMNS = (
    ("documents", "original_name_bytes", "BLOB"),  # version 4: the name's bytes as found on disk
    ("texts", "sha256", "TEXT"),                    # version 4: the fixity of each extracted text
    ("documents", "secrecy", "TEXT"),               # version 5: 密级
    # version 5: a person confirmed the tags content proposed (numbered documents count as confirmed)
    ("documents", "tags_confirmed", "INTEGER NOT NULL DEFAULT 0"),
    # version 6: where the title came from (content, hint, file_name, manifest, manual, composed)
    ("documents", "title_source", "TEXT"),
    # version 6: photo archives (DA/T 50-2014): 'document' or 'photo', and the photo's 地点, 人物, 摄影者,
    # 背景/事由 and its EXIF GPS position ("lat,lon", a place hint)
    ("documents", "kind", "TEXT NOT NULL DEFAULT 'document'"),
    ("documents", "place", "TEXT"),
    ("documents", "people", "TEXT"),
    ("documents", "photographer", "TEXT"),
    ("documents", "background", "TEXT"),
    ("documents", "gps", "TEXT"),
    # version 6: why ``pages`` is only an estimate (no LibreOffice rendition counted it); NULL when counted
    ("documents", "pages_estimated", "TEXT"),
)
# what version 6 says of Word documents catalogued before it: their pages came from their own properties
EARLIER_WORD_PAGES = "counted before archive-kit read page counts from renditions, from the document's own properties"


def is_document_id(value: int) -> bool:
    """True when ``value`` can be a document id: a positive SQLite integer."""
    return 1 <= value <= MAX_ID


def _fill_text_hashes(db: sqlite3.Connection) -> None:
    """Migration to version 4: fill ``texts.sha256`` for every text that has none yet
    (safe to run again after a kill between steps)."""
    db.create_function("archive_kit_text_sha256", 1, text_sha256, deterministic=True)
    db.execute("UPDATE texts SET sha256 = archive_kit_text_sha256(text) WHERE sha256 IS NULL")


def _mark_file_name_titles(db: sqlite3.Connection) -> None:
    """Migration to version 6: a title equal to its file name without the extension was taken from
    the file name (the extractor's last resort), so its listing prints it in [ ]; every other title's
    source is unknown (NULL) and is printed as it is."""
    db.create_function("archive_kit_name_stem", 1, file_stem, deterministic=True)
    db.execute("UPDATE documents SET title_source = 'file_name' "
               "WHERE title_source IS NULL AND title = archive_kit_name_stem(original_name)")
def _add_numbered_kind(db: sqlite3.Connection) -> None:
    """Migration to version 6: copy ``numbered_items`` into a table whose uniqueness includes ``kind``
    (every existing item is a document, kind ''), inside the caller's transaction."""
    db.execute(_NUMBERED_ITEMS.format(name="numbered_items_v6"))
    db.execute("INSERT INTO numbered_items_v6 (doc_id, track, year, retention, item_number, box, pages, frozen_at) "
               "SELECT doc_id, track, year, retention, item_number, box, pages, frozen_at FROM numbered_items")
    db.execute("DROP TABLE numbered_items")
    db.execute("ALTER TABLE numbered_items_v6 RENAME TO numbered_items")


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


class CatalogueConnection:
    """An open ``catalogue.sqlite``: created or upgraded to the current tables on opening (unless
    read-only), with write transactions. The table groups (documents, texts, tags, numbering, the
    index queue, schemas) add their named queries on top of it; nothing outside this package runs SQL."""

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
                    if column == "tags_confirmed":  # stamped and boxed before proposals existed: kept as decided
                        self.db.execute("UPDATE documents SET tags_confirmed = 1 WHERE item_number IS NOT NULL")
                    if column == "title_source":
                        _mark_file_name_titles(self.db)
                    if column == "pages_estimated":  # `repair` recounts them from their renditions
                        self.db.execute("UPDATE documents SET pages_estimated = ? WHERE format = 'docx'",
                                        (EARLIER_WORD_PAGES,))
            if "kind" not in {r[1] for r in self.db.execute("PRAGMA table_info(numbered_items)")}:
                _add_numbered_kind(self.db)
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

    def integrity_problems(self, *, full: bool) -> list[str]:
        """What SQLite's own check of the file finds wrong (pages, indexes, constraints); empty when
        sound. ``full`` runs ``integrity_check``, else the faster ``quick_check``."""
        rows = self.db.execute("PRAGMA integrity_check" if full else "PRAGMA quick_check").fetchall()
        return [msg for (msg,) in rows if msg != "ok"]
