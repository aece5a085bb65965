"""What changes between two versions of a track's criteria schema: criteria added, removed, renamed,
and those whose other rules changed (keywords, points, 必备, retention, veto, cadence…).

Used when a repository takes up a newer built-in schema (``schema update``): the archivist sees what
the assessment scheme now asks before it is applied, and the change is logged with these lists.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from .model import Criterion, TrackSchema, natural_code_key

# what a criterion compares on besides its code and name (``line`` is where it sat in the file)
_RULES = [f.name for f in fields(Criterion) if f.name not in ("code", "name", "line", "depth")]


@dataclass
class SchemaChange:
    """The differences from one version of a track's schema to another, criteria in code order."""

    track: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # (code, name before, name after)
    changed: list[str] = field(default_factory=list)  # same code and name, other rules changed
    track_fields: list[str] = field(default_factory=list)  # name, code, aliases, class name… that changed

    @property
    def empty(self) -> bool:
        """Nothing a person would notice changed (only the text's layout or comments)."""
        return not (self.added or self.removed or self.renamed or self.changed or self.track_fields)

    def to_json(self) -> dict[str, Any]:
        """``{"added": [code…], "removed": [...], "renamed": [{"code", "before", "after"}], "changed": [...],
        "track_fields": [...]}``."""
        return {"added": self.added, "removed": self.removed,
                "renamed": [{"code": c, "before": b, "after": a} for c, b, a in self.renamed],
                "changed": self.changed, "track_fields": self.track_fields}


def diff_schemas(old: TrackSchema, new: TrackSchema) -> SchemaChange:
    """How ``new`` differs from ``old`` (the same track, e.g. a repository's copy of a built-in
    schema and the one this version of archive-kit ships)."""
    before = {c.code: c for c in old.criteria}
    after = {c.code: c for c in new.criteria}
    change = SchemaChange(new.id)
    change.added = sorted(after.keys() - before.keys(), key=natural_code_key)
    change.removed = sorted(before.keys() - after.keys(), key=natural_code_key)
    for code in sorted(before.keys() & after.keys(), key=natural_code_key):
        a, b = before[code], after[code]
        if a.name != b.name:
            change.renamed.append((code, a.name, b.name))
        elif any(getattr(a, rule) != getattr(b, rule) for rule in _RULES):
            change.changed.append(code)
    change.track_fields = [name for name in ("name", "aliases", "code", "class_name", "description")
                           if getattr(old, name) != getattr(new, name)]
    return change
