"""A repository's layout, and the context services work in.

``RepoPaths`` names every file and folder of a repository; ``Repo`` holds what one open repository
has (config, catalogue, object store, tracks, search index) for the services that use several of
them (ingest, indexing, verify, repair, bundles). A leaf: it imports no service (their types only
when type-checking), so a service may take a ``Repo`` without importing the facade that builds it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Generic, TypeVar

from .errors import ReadOnlyError

if TYPE_CHECKING:
    from .catalogue import Catalogue
    from .config import Config
    from .criteria.registry import TrackRegistry
    from .search import SearchIndex
    from .store import ObjectStore

T = TypeVar("T")


@dataclass(frozen=True)
class RepoPaths:
    """Where each part of the repository at ``root`` lives."""

    root: Path

    @property
    def config(self) -> Path:
        """``config.json``: written last by ``init``, so its presence marks a complete repository."""
        return self.root / "config.json"

    @property
    def catalogue(self) -> Path:
        """``catalogue.sqlite``, the source of truth."""
        return self.root / "catalogue.sqlite"

    @property
    def objects(self) -> Path:
        """The object store: every original once, by SHA-256."""
        return self.root / "objects"

    @property
    def derived(self) -> Path:
        """Everything made from the originals that can be made again (caches, renditions)."""
        return self.root / "derived"

    @property
    def extract_cache(self) -> Path:
        """Cached extractions, by content hash and OCR engine (no file is OCRed twice)."""
        return self.derived / "extract"

    @property
    def renditions(self) -> Path:
        """Cached PDF renditions, by content hash."""
        return self.derived / "renditions"

    @property
    def pages(self) -> Path:
        """Cached page images (the console's), by content hash and page."""
        return self.derived / "pages"

    @property
    def index(self) -> Path:
        """The full-text search index (derived: rebuilt from the catalogue when lost)."""
        return self.root / "index"

    @property
    def rebuild_lock(self) -> Path:
        """The lock held by the one index rebuild running."""
        return self.root / "index-rebuild.lock"

    @property
    def damaged(self) -> Path:
        """Where ``repair`` sets damaged originals aside (kept, never deleted)."""
        return self.root / "damaged"


def read_only_reason(paths: RepoPaths) -> str | None:
    """Why the repository cannot be written (a read-only file system, no write permission), or None
    when it can."""
    try:
        if os.statvfs(paths.root).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except OSError:
        pass
    effective = os.access in os.supports_effective_ids
    for path in (paths.root, paths.catalogue):
        if path.exists() and not os.access(path, os.W_OK, effective_ids=effective):
            return f"no permission to write {path}"
    return None


class Lazy(Generic[T]):
    """A value made on first use (the track registry, the search index) that its owner may drop:
    the next use makes it again (after a schema was added, or once an index folder was replaced)."""

    def __init__(self, make: Callable[[], T], close: Callable[[T], None] | None = None) -> None:
        self._make = make
        self._close = close
        self._value: T | None = None

    def get(self) -> T:
        """The value, made now if it is not made yet."""
        if self._value is None:
            self._value = self._make()
        return self._value

    def drop(self) -> None:
        """Forget the value (closing it first, if it was made and a ``close`` was given)."""
        value, self._value = self._value, None
        if value is not None and self._close is not None:
            self._close(value)


@dataclass(frozen=True)
class Repo:
    """One open repository's collaborators, for services that use several of them.

    ``read_only`` says why the repository cannot be written (None when it can)."""

    paths: RepoPaths
    config: Config
    catalogue: Catalogue
    store: ObjectStore
    registry_slot: Lazy[TrackRegistry]
    index_slot: Lazy[SearchIndex]
    read_only: str | None = None

    @property
    def root(self) -> Path:
        """The repository folder."""
        return self.paths.root

    @property
    def registry(self) -> TrackRegistry:
        """The tracks registered in the repository, read on first use."""
        return self.registry_slot.get()

    @property
    def index(self) -> SearchIndex:
        """The full-text index, opened on first use."""
        return self.index_slot.get()

    def require_writable(self, what: str) -> None:
        """Raise ReadOnlyError (exit 3) before ``what`` writes anything to a read-only repository."""
        if self.read_only:
            raise ReadOnlyError(f"the repository is read-only ({self.read_only}): {what} needs to write to {self.root}")
