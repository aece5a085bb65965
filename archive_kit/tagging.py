"""Tagging by track, criterion and year, each value with its source.

Priority: command-line flags > manifest > folder convention > content. Every source's proposal is
kept (as hints), so ``review`` can show where sources disagree and a person must decide.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from .catalogue import Catalogue, Document
from .classify import classify
from .criteria.model import TrackSchema
from .criteria.registry import TrackRegistry
from .dates import parse_date, parse_year
from .errors import NumberingError, UsageError
from .metadata import DocMetadata, metadata_concerns
from .stages import mark

PRIORITY = ("manual", "cli", "manifest", "path", "content")


@dataclass
class Proposal:
    """What one source says about a document: raw track/criterion/year values (any may be None)."""

    source: str
    track: str | None = None
    criterion: str | None = None
    year: int | None = None


@dataclass
class TagDecision:
    """The chosen tags with their sources, and every (field, source, value) hint behind them."""

    track: str | None = None
    criterion: str | None = None
    year: int | None = None
    sources: dict[str, str | None] = field(default_factory=lambda: {"track": None, "criterion": None, "year": None})
    hints: list[tuple[str, str, str]] = field(default_factory=list)


def path_proposal(parts: Iterable[str], registry: TrackRegistry) -> tuple[Proposal, list[str]]:
    """Read ``<track>/<year>/<criterion>`` from folder names; the deepest track and year win.

    Returns the proposal and the folder parts below the track (criterion candidates, resolved
    later against the chosen track). Parts that match nothing are ignored.
    """
    prop = Proposal("path")
    rest: list[str] = []
    for part in parts:
        part = unicodedata.normalize("NFKC", part).strip()
        if not part:
            continue
        track = registry.resolve(part)
        if track is not None:
            prop.track = track.id
            rest = []
            continue
        year = parse_year(part) if _YEAR_FOLDER.fullmatch(part) else None
        if year is not None:
            prop.year = year
            continue
        rest.append(part)
    return prop, rest


_YEAR_FOLDER = re.compile(r"[0-9〇○零一二三四五六七八九十Oo]{4}\s*年?度?.{0,6}")


def criterion_from_parts(parts: list[str], schema: TrackSchema) -> str | None:
    """The deepest folder part that names a criterion of ``schema``."""
    found = None
    for part in parts:
        crit = schema.resolve_criterion(part)
        if crit is not None:
            found = crit.code
    return found


def decide(proposals: list[Proposal], registry: TrackRegistry, path_rest: list[str],
           content_text: str = "", content_title: str = "") -> TagDecision:
    """Choose track, then criterion (within that track), then year, by source priority."""
    order = sorted(proposals, key=lambda p: PRIORITY.index(p.source))
    dec = TagDecision()

    def hint(fieldname: str, source: str, value: object) -> None:
        if value is not None:
            dec.hints.append((fieldname, source, str(value)))

    for p in order:
        hint("track", p.source, p.track)
        hint("year", p.source, p.year)
        hint("criterion", p.source, p.criterion)
    for p in order:
        if p.track and dec.track is None:
            dec.track, dec.sources["track"] = p.track, p.source
        if p.year and dec.year is None:
            dec.year, dec.sources["year"] = p.year, p.source
    schema = registry.get(dec.track) if dec.track else None
    if schema is not None and path_rest:
        code = criterion_from_parts(path_rest, schema)
        if code:
            hint("criterion", "path", code)
            order.append(Proposal("path", track=dec.track, criterion=code))
            order.sort(key=lambda p: PRIORITY.index(p.source))
    for p in order:
        if p.criterion and (p.track in (None, dec.track)) and dec.criterion is None:
            dec.criterion, dec.sources["criterion"] = p.criterion, p.source
    if dec.criterion is None and (content_text or content_title):
        candidates = [schema] if schema is not None else registry.all()
        won = classify(content_text, content_title, candidates)
        if won and dec.track is None:
            hint("track", "content", won.track)
            dec.track, dec.sources["track"] = won.track, "content"
        if won and won.criterion:
            hint("criterion", "content", won.criterion)
            dec.criterion, dec.sources["criterion"] = won.criterion, "content"
    return dec


def year_conflict(doc: Document) -> str | None:
    """Why the document's year tag cannot be trusted for numbering: it disagrees with the year of
    its signing date and no person set it by hand (``tag --year``) or corrected the date
    (``edit --date``); None when they agree, or a person decided."""
    if doc.year is None or not doc.date or doc.year_source == "manual" or doc.date[:4] == str(doc.year):
        return None
    return (f"year {doc.year} conflicts with its date {doc.date}: decide with `archive-kit tag {doc.id} --year …` "
            f"or `archive-kit edit {doc.id} --date …`")


def proposal_reason(doc: Document) -> str | None:
    """Why a document's filing is not decided yet: its track or criterion came from content alone
    and no person confirmed it; None when nothing is a mere proposal."""
    if not doc.proposed_tags:
        return None
    said = " and ".join(f"{name} {getattr(doc, name)}" for name in doc.proposed_tags)
    return (f"{said} proposed from content alone: confirm with `archive-kit tag {doc.id} --confirm` "
            "or set them with `archive-kit tag`")


def pages_estimate_reason(doc: Document) -> str:
    """The review line of a document whose page count is only an estimate: the count, why, and the fix."""
    return (f"page count {doc.pages} is estimated ({doc.pages_estimated}): run `archive-kit repair` once "
            "LibreOffice is installed and working to count the pages of its rendition")


def review_reasons(doc: Document, hints: dict[str, dict[str, str]], registry: TrackRegistry) -> list[str]:
    """Why a document needs a person: missing tags, tags content only proposed, sources that
    disagree, a year that conflicts with the date, codes no longer valid, OCR pages read with low
    confidence, suspicious catalogue fields (``metadata_concerns``), a photo's missing DA/T 50 fields."""
    reasons = []
    for name in ("track", "criterion", "year"):
        if getattr(doc, name) is None:
            reasons.append(f"{name} is missing")
    reasons += [r for r in (proposal_reason(doc), year_conflict(doc)) if r]
    for name, by_source in hints.items():
        values = {v for s, v in by_source.items()}
        chosen = getattr(doc, name, None)
        if len(values) > 1 and doc.__dict__.get(f"{name}_source") != "manual":
            said = ", ".join(f"{s} says {v}" for s, v in sorted(by_source.items(), key=lambda kv: PRIORITY.index(kv[0])))
            reasons.append(f"{name} conflict: {said} (kept {chosen})")
    if doc.track:
        schema = registry.get(doc.track)
        if schema is None:
            reasons.append(f"track {doc.track!r} has no registered schema")
        elif doc.criterion and schema.criterion(doc.criterion) is None:
            reasons.append(f"criterion {doc.criterion!r} no longer exists in track {doc.track}")
    for t, c in doc.links:
        schema = registry.get(t)
        if schema is None or schema.criterion(c) is None:
            reasons.append(f"link {t}:{c} points at a criterion that no longer exists")
    if doc.low_confidence_pages:
        pages = ", ".join(str(p) for p in doc.low_confidence_pages)
        reasons.append(f"OCR confidence is low on page(s) {pages}: check the text")
    if doc.pages_estimated:
        reasons.append(pages_estimate_reason(doc))
    if doc.text_chars == 0 and doc.format in ("pdf", "docx"):
        reasons.append("no text could be extracted (a scan ingested with --no-ocr?)")
    reasons += metadata_concerns(DocMetadata(doc.title, doc.doc_number, doc.author, parse_date(doc.date or "")))
    if doc.title_source == "file_name":  # the extractor's last resort: no person and no content gave it
        reasons.append(f"title {doc.title!r} was taken from the file name: set the real title with "
                       f"`archive-kit edit {doc.id} --title …` (add --title-composed for one you compose)")
    missing = photo_missing(doc)
    if missing:
        hint = f" (EXIF GPS {doc.gps} may tell the place)" if doc.gps and not doc.place else ""
        reasons.append(f"photo without {'、'.join(missing)}{hint}: set with `archive-kit edit {doc.id} --date "
                       "--place --people --photographer --background`")
    return reasons


# the photo fields DA/T 50-2014 asks of every photo (besides its title): 时间, 地点, 人物, 摄影者, 背景/事由
PHOTO_REQUIRED = (("date", "时间"), ("place", "地点"), ("people", "人物"), ("photographer", "摄影者"),
                  ("background", "背景/事由"))


def photo_missing(doc: Document) -> list[str]:
    """The Chinese names of the DA/T 50 fields a photo lacks (none for a document)."""
    if not doc.is_photo:
        return []
    return [label for name, label in PHOTO_REQUIRED if not getattr(doc, name)]


@dataclass
class ReviewEntry:
    """A document that needs a person's decision, and why."""

    document: Document
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        """The document record plus ``review_reasons``."""
        return {**self.document.to_json(), "review_reasons": self.reasons}


def review(cat: Catalogue, registry: TrackRegistry) -> list[ReviewEntry]:
    """Every document whose track, criterion or year is missing, in conflict or no longer valid
    (or whose text needs checking), in id order, with the reasons."""
    out = []
    for doc in cat.documents():
        reasons = review_reasons(doc, cat.hints_of(doc.id), registry)
        if reasons:
            out.append(ReviewEntry(doc, reasons))
    return out


def set_manual_tags(cat: Catalogue, registry: TrackRegistry, docs: Iterable[Document], *, track: str | None,
                    criterion: str | None, year: int | None, links: list[tuple[str, str]],
                    unlinks: list[tuple[str, str]], force: bool, confirm: bool = False) -> list[int]:
    """Apply hand-set tags and links to documents in one transaction; returns the changed ids.

    Any of them (or ``confirm`` alone) is a person's decision: the tags content proposed are
    confirmed as they stand. Every change goes to the edit log. A numbered document keeps its
    number; changing its filing needs ``force`` and is logged in the numbering log too.
    """
    schema = registry.require(track) if track else None
    if year is not None and not 1949 <= year <= 2100:
        raise UsageError(f"year {year} is out of range")
    changed = []
    with cat.transaction():
        for doc in docs:
            values: dict = {}
            new_track = schema.id if schema else doc.track
            if schema and schema.id != doc.track:
                values.update(track=schema.id, track_source="manual")
            if criterion is not None:
                target = registry.get(new_track) if new_track else None
                if target is None or target.criterion(criterion) is None:
                    raise UsageError(f"unknown criterion {criterion!r} in track {new_track or '(none)'} (document {doc.id})")
                if criterion != doc.criterion:
                    values.update(criterion=criterion, criterion_source="manual")
            elif schema and schema.id != doc.track and doc.criterion:
                values.update(criterion=None, criterion_source=None)
            if year is not None and year != doc.year:
                values.update(year=year, year_source="manual")
            if values and doc.item_number is not None:
                if not force:
                    raise NumberingError(
                        f"document {doc.id} is numbered ({doc.archival_code}); retag it with --force, "
                        "its number stays as it is"
                    )
                cat.log("retag-numbered", {"archival_code": doc.archival_code, "changes": values}, doc.id)
            edits = [(name, _shown(getattr(doc, name)), _shown(values[name]))
                     for name in ("track", "criterion", "year") if name in values]
            # a tag given as it already stands is a decision too: its source becomes manual
            given = {"track": schema.id if schema else None, "criterion": criterion, "year": year}
            for name, value in given.items():
                source = getattr(doc, f"{name}_source")
                if value is not None and name not in values and source != "manual":
                    values[f"{name}_source"] = "manual"
                    edits.append((name, f"{value} ({source or 'unknown'})", f"{value} (manual)"))
            decided = confirm or values or links or unlinks
            if decided:
                edits += [(name, f"{getattr(doc, name)} (proposed by content)", f"{getattr(doc, name)} (confirmed)")
                          for name in doc.proposed_tags if name not in values and f"{name}_source" not in values]
                if not doc.tags_confirmed:
                    values["tags_confirmed"] = 1
            if values:
                cat.update_document(doc.id, values)
                for fieldname in ("track", "criterion", "year"):
                    if fieldname in values and values[fieldname] is not None:
                        cat.put_hints(doc.id, [(fieldname, "manual", str(values[fieldname]))])
            had = set(doc.links)
            for t, c in links:
                cat.add_link(doc.id, t, c)
            edits += [("link", None, f"{t}:{c}") for t, c in dict.fromkeys(links) if (t, c) not in had]
            for t, c in unlinks:
                cat.remove_link(doc.id, t, c)
            edits += [("link", f"{t}:{c}", None) for t, c in dict.fromkeys(unlinks) if (t, c) in had]
            cat.log_edits(doc.id, edits)
            if values or links or unlinks:
                cat.queue_index(doc.id)
                changed.append(doc.id)
        if changed:
            mark("tag-catalogue")
    return changed


def _shown(value: object) -> str | None:
    """A tag value as the edit log keeps it (None stays None)."""
    return None if value is None else str(value)
