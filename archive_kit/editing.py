"""Correcting a document's metadata after ingest (题名, 文号, 责任者, 日期, 密级, 保管期限, 备注), and
a photo's (whether it is a photo at all, 地点, 人物, 摄影者, 背景/事由: DA/T 50-2014).

Extraction gets titles, numbers and signers wrong on real official documents, and a manifest can
only set them at first ingest, so a person must be able to correct them. Every value is checked
before anything is written (a bad one is a usage error naming the field and the value, and
changes nothing); the changes to all documents are made in one transaction, each changed field
appended to the catalogue's edit log (who, when, before, after) and the document queued for the
search index. A numbered document is only edited with ``force``: its stamp and listings were
made from the old values. Its retention period and its kind (photo or document: the 门类 of its
code) are part of its archival code and are never edited.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Iterable

from .catalogue import Catalogue, Document
from .config import RETENTIONS, Config
from .errors import NumberingError, UsageError

EDITABLE = ("title", "doc_number", "author", "date", "secrecy", "retention", "remarks",
            "kind", "place", "people", "photographer", "background")
PHOTO_FIELDS = ("place", "people", "photographer", "background")  # DA/T 50-2014: 地点, 人物, 摄影者, 背景/事由
# how a person may write a document's kind (edit --kind, the manifest's kind column)
KIND_NAMES = {"photo": "photo", "照片": "photo", "document": "document", "文书": "document", "文件": "document"}


def parse_kind(value: str) -> str | None:
    """``photo`` or ``document`` for one of ``KIND_NAMES`` (any case), else None."""
    return KIND_NAMES.get(value.strip().lower())
# the longest sensible value per field, as the manifest allows
MAX_CHARS = {"title": 1000, "remarks": 5000}
MAX_OTHER_CHARS = 1000
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def check_edits(config: Config, changes: dict[str, str | None], *,
                title_composed: bool | None = None) -> dict[str, str | None]:
    """The catalogue values for the given changes (a field left at None is not changed; an empty
    text clears the field, except the title). UsageError naming the field and the value when one
    is not acceptable: a date that is not a real YYYY-MM-DD day, a 密级 outside the config's
    ``secrecy_levels``, a retention code the config does not know; or when nothing would change
    (no field and no ``title_composed``)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise UsageError(f"cannot edit {', '.join(unknown)}; editable fields: {', '.join(EDITABLE)}")
    values: dict[str, str | None] = {}
    for name, raw in changes.items():
        if raw is None:
            continue
        if not isinstance(raw, str):
            raise UsageError(f"{name} must be text, not {raw!r}")
        values[name] = _checked(config, name, raw.strip())
    if not values and title_composed is None:
        raise UsageError("nothing to change: give at least one of " + ", ".join(f"--{n.replace('_', '-')}"
                                                                              for n in EDITABLE)
                         + ", --title-composed or --no-title-composed")
    return values


def title_source_after(doc: Document, values: dict[str, str | None], title_composed: bool | None) -> str | None:
    """The document's ``title_source`` after an edit: ``composed`` or ``manual`` when the person says
    whether the title is their own (``title_composed``); a new title typed without saying so is
    ``manual`` (transcribed from the document), except that a composed title stays composed."""
    if title_composed is not None:
        return "composed" if title_composed else "manual"
    if "title" in values and values["title"] != doc.title:
        return "composed" if doc.title_source == "composed" else "manual"
    return doc.title_source


def _checked(config: Config, name: str, value: str) -> str | None:
    """One field's new value as the catalogue keeps it (None: cleared)."""
    limit = MAX_CHARS.get(name, MAX_OTHER_CHARS)
    if len(value) > limit:
        raise UsageError(f"{name} has {len(value)} characters (at most {limit})")
    if (_CONTROL_BUT_LINES if name == "remarks" else _CONTROL).search(value):
        raise UsageError(f"{name} {value!r} contains a control character")
    if not value:
        if name in ("title", "kind"):
            raise UsageError(f"{name} cannot be empty")
        return None
    if name == "date":
        try:
            if not _ISO_DATE.fullmatch(value):
                raise ValueError
            dt.date.fromisoformat(value)
        except ValueError:
            raise UsageError(f"date {value!r} is not a real day written YYYY-MM-DD (e.g. 2023-03-05)") from None
    elif name == "secrecy" and value not in config.secrecy_levels:
        raise UsageError(f"secrecy (密级) {value!r} is not one of {', '.join(config.secrecy_levels)} "
                         "(config secrecy_levels); leave it empty where the unit does not mark 密级")
    elif name == "retention" and value not in RETENTIONS:
        raise UsageError(f"retention {value!r} is not one of {', '.join(RETENTIONS)}")
    elif name == "kind":
        kind = parse_kind(value)
        if kind is None:
            raise UsageError(f"kind {value!r} is not one of photo (照片) or document (文书)")
        return kind
    return value


def edit_documents(cat: Catalogue, config: Config, docs: Iterable[Document], changes: dict[str, str | None], *,
                   force: bool = False, title_composed: bool | None = None) -> list[int]:
    """Apply checked metadata ``changes`` to ``docs`` in one transaction, logging every changed
    field (``title_source`` too: ``title_composed`` says whether the title is the archivist's own,
    printed in [ ]); returns the ids of the documents that changed. Nothing is changed when a
    value is bad, or a document is numbered and ``force`` is not given, or a numbered document's
    retention would change."""
    values = check_edits(config, changes, title_composed=title_composed)
    docs = list(docs)
    changed: list[int] = []
    with cat.transaction():
        for doc in docs:
            diff = {name: value for name, value in values.items() if getattr(doc, name) != value}
            source = title_source_after(doc, values, title_composed)
            if source != doc.title_source:
                diff["title_source"] = source
            if not diff:
                continue
            if doc.item_number is not None:
                fixed = next((name for name in ("retention", "kind") if name in diff), None)
                if fixed:
                    raise NumberingError(
                        f"document {doc.id} is numbered ({doc.archival_code}): its {fixed} {getattr(doc, fixed)} is "
                        "part of its archival code and cannot be edited")
                if not force:
                    raise NumberingError(
                        f"document {doc.id} is numbered ({doc.archival_code}); edit it with --force (its number "
                        "stays; later listings and bundles show the new values)")
            cat.update_document(doc.id, diff)
            cat.log_edits(doc.id, [(name, getattr(doc, name), value) for name, value in diff.items()])
            changed.append(doc.id)
    return changed
