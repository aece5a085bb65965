"""Registering criteria schemas, and bringing a repository's built-in tracks up to the schemas this
version of archive-kit ships.

A repository keeps the YAML text of every track it registered (``init`` stores the built-ins of the
version that created it), so an upgrade of archive-kit never changes an archive's criteria behind
the archivist's back. ``update_builtin_schemas`` shows what a newer built-in scheme changes
(criteria added, removed, renamed, other rules), applies it when asked, and logs it. Documents
keep their codes: a document filed under a criterion the new scheme no longer has is named in
the report and then listed by ``review`` (as ``schema add`` has always done).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from .catalogue import Catalogue
from .criteria.changes import SchemaChange, diff_schemas
from .criteria.model import TrackSchema
from .criteria.registry import TrackRegistry
from .errors import UsageError

BUILT_IN = "built-in"  # the origin recorded for a schema that came with archive-kit

UPDATED, WOULD_UPDATE, UP_TO_DATE, KEPT_OWN = "updated", "would-update", "up-to-date", "kept-own"


@dataclass
class SchemaUpdate:
    """What updating one built-in track does (or did): ``status`` is ``updated``, ``would-update``
    (a dry run), ``up-to-date``, or ``kept-own`` (the archivist registered a file of their own for
    this track; named explicitly, it is replaced all the same)."""

    track: str
    name: str
    status: str
    origin: str  # where the repository's copy came from before: built-in, or the file registered
    change: SchemaChange | None
    documents: list[int]  # filed or linked under a removed criterion: they keep their codes, review lists them

    def to_json(self) -> dict[str, Any]:
        """``{"track", "name", "status", "origin", "added", "removed", "renamed", "changed",
        "track_fields", "documents_under_removed"}``."""
        change = self.change.to_json() if self.change else SchemaChange(self.track).to_json()
        return {"track": self.track, "name": self.name, "status": self.status, "origin": self.origin,
                **change, "documents_under_removed": self.documents}


def register_schema(cat: Catalogue, registry: TrackRegistry, schema: TrackSchema, origin: str) -> SchemaChange | None:
    """Register or replace ``schema`` (from ``origin``: a file, or ``built-in``) and log it with what
    changed against the track's schema so far (None for a new track)."""
    old = registry.get(schema.id)
    change = diff_schemas(old, schema) if old is not None else None
    detail: dict[str, Any] = {"track": schema.id, "origin": origin, "new_track": old is None}
    if change is not None:
        detail.update(change.to_json())
    with cat.transaction():
        cat.put_schema(schema.id, schema.source, origin)
        cat.log("schema-add" if origin != BUILT_IN else "schema-update", detail)
    return change


def pending_updates(cat: Catalogue, registry: TrackRegistry) -> dict[str, SchemaUpdate]:
    """Per track whose built-in copy differs from the built-in schema shipped now in something a
    person would notice, what the update would change (comment-only differences are not listed)."""
    out = {}
    for update in _plan(cat, registry, ()):
        if update.status == WOULD_UPDATE and update.change is not None and not update.change.empty:
            out[update.track] = update
    return out


def update_builtin_schemas(cat: Catalogue, registry: TrackRegistry, tracks: Sequence[str] = (), *,
                           dry_run: bool = False) -> list[SchemaUpdate]:
    """Replace the repository's copies of the built-in tracks (all, or those ``tracks`` names: ids,
    names or aliases) by the schemas shipped now, each logged (``schema-update``) with what changed.
    A track registered from the archivist's own file is kept unless named. ``dry_run`` writes
    nothing and reports ``would-update``."""
    from .criteria.loader import builtin_schemas

    plan = _plan(cat, registry, tracks)
    if dry_run:
        return plan
    shipped = {s.id: s for s in builtin_schemas()}
    for update in plan:
        if update.status == WOULD_UPDATE:
            register_schema(cat, registry, shipped[update.track], BUILT_IN)
            update.status = UPDATED
    return plan


def _plan(cat: Catalogue, registry: TrackRegistry, tracks: Sequence[str]) -> list[SchemaUpdate]:
    """What updating each built-in track would do, without writing anything."""
    from .criteria.loader import builtin_schemas

    shipped = builtin_schemas()
    known = [registry, TrackRegistry(shipped)]  # the repository's names first, then the shipped ones
    named = {next((found.id for r in known if (found := r.resolve(t))), t) for t in tracks}
    unknown = named - {s.id for s in shipped}
    if unknown:
        raise UsageError(f"not a built-in track: {', '.join(sorted(unknown))} "
                         f"(built-in: {', '.join(s.id for s in shipped)})")
    stored = {track: (source, origin) for track, source, origin in cat.schema_sources()}
    plan = []
    for new in shipped:
        if named and new.id not in named:
            continue
        source, origin = stored.get(new.id, (None, ""))
        old = registry.get(new.id)
        if source == new.source:
            plan.append(SchemaUpdate(new.id, new.name, UP_TO_DATE, origin, None, []))
            continue
        change = diff_schemas(old, new) if old is not None else None
        if origin not in (BUILT_IN, "") and new.id not in named:
            plan.append(SchemaUpdate(new.id, new.name, KEPT_OWN, origin, change, []))
            continue
        plan.append(SchemaUpdate(new.id, new.name, WOULD_UPDATE, origin, change,
                                 _filed_under(cat, new.id, change.removed) if change else []))
    return plan


def _filed_under(cat: Catalogue, track: str, codes: Sequence[str]) -> list[int]:
    """Ids of the documents filed or linked under one of ``codes`` (exactly) in ``track``."""
    gone = set(codes)
    ids: set[int] = set()
    for code in codes:
        for doc in cat.documents(track=track, criterion=code):
            if (doc.track == track and doc.criterion in gone) or any(t == track and c in gone for t, c in doc.links):
                ids.add(doc.id)
    return sorted(ids)
