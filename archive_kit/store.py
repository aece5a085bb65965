"""Content-addressed object store: every original kept once, by SHA-256, written atomically, read-only."""
from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from .errors import DiskFullError, InputFileError, RepositoryError

CHUNK = 1 << 20


def hash_stream(stream: BinaryIO) -> str:
    """SHA-256 of a stream, read in blocks (never the whole file in memory)."""
    h = hashlib.sha256()
    for block in iter(lambda: stream.read(CHUNK), b""):
        h.update(block)
    return h.hexdigest()


def text_sha256(text: str) -> str:
    """SHA-256 of an extracted text as the catalogue stores it (UTF-8, lone surrogates kept): its fixity value."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def hash_file(path: Path) -> str:
    """SHA-256 of a file's bytes; unreadable files become InputFileError."""
    try:
        with open(path, "rb") as f:
            return hash_stream(f)
    except OSError as e:
        raise InputFileError(str(path), f"cannot read file: {e.strerror or e}") from None


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def full_disk(dest: Path, error: OSError) -> DiskFullError | None:
    """The DiskFullError for a write to ``dest`` that failed because the disk is full, else None."""
    if error.errno not in (errno.ENOSPC, errno.EDQUOT):
        return None
    return DiskFullError(f"disk full: could not write {dest}; nothing was half-written; free some space and "
                         "run the command again")


@contextmanager
def _temp_beside(dest: Path) -> Iterator[tuple[int, str]]:
    """A temp file (fd, path) in ``dest``'s folder for an atomic write: removed when the block
    fails, and a full disk raised as one DiskFullError naming ``dest``."""
    tmp = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        yield fd, tmp
    except BaseException as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        full = full_disk(dest, e) if isinstance(e, OSError) else None
        if full:
            raise full from None
        raise


def atomic_write_bytes(dest: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``dest`` via a temp file in the same folder, fsync and rename."""
    with _temp_beside(dest) as (fd, tmp):
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, dest)
    fsync_dir(dest.parent)


class ObjectStore:
    """Originals under ``objects/ab/cdef…``; an object is never rewritten once present."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        """Where the object with this hash lives (whether or not it exists)."""
        return self.root / sha256[:2] / sha256[2:]

    def has(self, sha256: str) -> bool:
        """True when the object is stored."""
        return self.path_for(sha256).is_file()

    def put(self, source: Path, sha256: str) -> Path:
        """Copy ``source`` in as object ``sha256`` unless present; verifies the copy's hash.

        The copy goes to a temp file, is fsynced, re-hashed and renamed into place, then made
        read-only, so a crash leaves either no object or a complete one.
        """
        dest = self.path_for(sha256)
        if dest.is_file():
            return dest
        with _temp_beside(dest) as (fd, tmp):
            h = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                try:
                    with open(source, "rb") as src:
                        for block in iter(lambda: src.read(CHUNK), b""):
                            h.update(block)
                            out.write(block)
                except OSError as e:  # reading the source, or writing the copy onto a full disk
                    raise full_disk(dest, e) or InputFileError(str(source), f"cannot read file: {e.strerror or e}") from None
                out.flush()
                os.fsync(out.fileno())
            if h.hexdigest() != sha256:
                raise InputFileError(str(source), "file changed while it was being ingested; try again")
            os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            os.replace(tmp, dest)
        fsync_dir(dest.parent)
        return dest

    def open(self, sha256: str) -> BinaryIO:
        """Open an object for reading; a missing object is repository damage."""
        try:
            return open(self.path_for(sha256), "rb")
        except FileNotFoundError:
            raise RepositoryError(f"object {sha256} is missing from the store; run `archive-kit verify`") from None

    def copy_to(self, sha256: str, dest: Path) -> None:
        """Copy an object out (bundles), leaving the store untouched."""
        with self.open(sha256) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out, CHUNK)

    def iter_hashes(self) -> Iterator[str]:
        """Every stored object's hash, from the file names (temp files skipped)."""
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if sub.is_dir() and len(sub.name) == 2:
                for f in sorted(sub.iterdir()):
                    if not f.name.startswith(".tmp-"):
                        yield sub.name + f.name

    def remove_temp_files(self) -> int:
        """Delete temp files a killed writer left behind; returns how many."""
        n = 0
        if self.root.is_dir():
            for f in self.root.glob("*/.tmp-*"):
                f.unlink(missing_ok=True)
                n += 1
        return n
