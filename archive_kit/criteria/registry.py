"""The track registry: the tracks a repository knows, found by id, Chinese name or alias.

Reads no file itself (the facade hands it the schemas ``criteria.loader`` parsed), so tagging,
numbering and ingest use it without importing YAML or JSON Schema.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from ..errors import SchemaError, UsageError
from .model import TrackSchema, normalize_name, one_line

__all__ = ["TrackRegistry"]


class TrackRegistry:
    """The known tracks; a later schema with the same id replaces an earlier one in its place."""

    def __init__(self, schemas: Iterable[TrackSchema]) -> None:
        tracks: dict[str, TrackSchema] = {}
        last_given: dict[str, int] = {}
        for i, schema in enumerate(schemas):
            tracks[schema.id] = schema
            last_given[schema.id] = i
        self._tracks = tracks
        self._index: dict[str, TrackSchema] = {}
        # Index in the order schemas were given, so a clash is blamed on the later file.
        for schema in sorted(tracks.values(), key=lambda s: last_given[s.id]):
            lines = dict(schema.key_lines)
            for key in _track_keys(schema):
                norm = normalize_name(key)
                other = self._index.get(norm)
                if other is not None and other.id != schema.id:
                    where = schema.source_name or schema.id
                    raise SchemaError(
                        f"{where}:{lines.get(norm, 1)}: '{one_line(key)}' of track '{schema.id}' "
                        f"already names track '{other.id}' ({other.name})"
                    )
                self._index[norm] = schema

    @classmethod
    def builtin(cls) -> "TrackRegistry":
        """A registry of the built-in tracks only (read from the package's schema files)."""
        from .loader import builtin_schemas

        return cls(builtin_schemas())

    def resolve(self, value: str) -> TrackSchema | None:
        """The track named by an id, Chinese name or alias (NFKC, case and spaces ignored)."""
        if not isinstance(value, str):
            return None
        return self._index.get(normalize_name(value))

    def require(self, value: str) -> TrackSchema:
        """Like ``resolve`` but an unknown value is a usage error that lists the known tracks."""
        found = self.resolve(value)
        if found is None:
            known = ", ".join(f"{s.id} {s.name}" for s in self.all())
            raise UsageError(f"unknown track '{one_line(str(value))}' (known: {known})")
        return found

    def get(self, track_id: str) -> TrackSchema | None:
        """The track with exactly this id, or None."""
        return self._tracks.get(track_id)

    def all(self) -> list[TrackSchema]:
        """All tracks: built-ins in their fixed order, then others in the order first given."""
        return list(self._tracks.values())

    def ids(self) -> list[str]:
        """The track ids, in the order of ``all()``."""
        return list(self._tracks)

    def __iter__(self) -> Iterator[TrackSchema]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self._tracks)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.resolve(value) is not None


def _track_keys(schema: TrackSchema) -> list[str]:
    """Every name a track answers to: its id, its name and its aliases."""
    return [schema.id, schema.name, *schema.aliases]
