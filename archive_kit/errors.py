"""One error family for archive-kit: every error carries a message for people and an exit code.

The CLI maps these to exit codes in one place; library callers catch ``ArchiveKitError``.
"""
from __future__ import annotations


class ArchiveKitError(Exception):
    """Root of all archive-kit errors; ``str(err)`` is one line a person understands."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputFileError(ArchiveKitError):
    """A user's input file cannot be read, is broken, or is of a refused kind."""

    exit_code = 1

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class UnsupportedFormatError(InputFileError):
    """The file is of a format archive-kit does not ingest."""


class ExtractionTimeout(InputFileError):
    """A worker took longer than the per-file time limit."""


class UsageError(ArchiveKitError):
    """A command was asked for something that makes no sense (unknown track, bad code...)."""

    exit_code = 2


class NotFoundError(UsageError):
    """What was asked for does not exist: no document with that id, no such page (exit 2, 404 in the console)."""


class SchemaError(ArchiveKitError):
    """A criteria schema file breaks the format; the message names file, line and problem."""

    exit_code = 1


class ManifestError(ArchiveKitError):
    """A manifest CSV cannot be read at all (single bad rows are reported per row)."""

    exit_code = 1


class RepositoryError(ArchiveKitError):
    """The repository is missing, newer than this version, damaged or locked beyond the wait."""

    exit_code = 3


class LockTimeout(RepositoryError):
    """Another archive-kit process held a lock for longer than the bounded wait."""


class NumberingError(ArchiveKitError):
    """A numbering rule would be broken (frozen unit, retagging a numbered document...)."""

    exit_code = 1


class ReadOnlyError(RepositoryError):
    """A write was asked of a repository that is read-only (a read-only mount, or no write permission)."""


class DiskFullError(RepositoryError):
    """The disk filled up while the repository was being written; what was written is rolled back."""


class CatalogueDamagedError(RepositoryError):
    """SQLite found the catalogue file damaged (a corrupt or foreign page)."""


class IndexMissingError(RepositoryError):
    """The search index folder holds no index (deleted, or a repository copied without it)."""
