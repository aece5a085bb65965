"""Stage 5, describe: a file's catalogue values (warnings included) and its tag hints, with the
manifest row's values checked first."""
from __future__ import annotations

import datetime as dt
from typing import Sequence

from ..config import RETENTIONS
from ..criteria.registry import TrackRegistry
from ..dates import parse_year
from ..editing import PHOTO_FIELDS, parse_kind
from ..errors import InputFileError, UsageError
from ..extract import Extraction
from ..metadata import DocMetadata, doc_number_year, file_stem
from ..tagging import Proposal, decide, path_proposal
from .manifest import NO, YES
from .records import CliTags, Item


def describe(item: Item, extraction: Extraction, meta: DocMetadata, registry: TrackRegistry,
             cli: CliTags, default_secrecy: str = "") -> tuple[dict, list[tuple[str, str, str]]]:
    """Catalogue values (warnings included) and tag hints for one file; its 密级 is the manifest's,
    else ``default_secrecy`` (the config's; empty where the unit does not mark 密级)."""
    warnings = list(extraction.warnings)
    m = item.manifest
    kind = photo_kind(item, extraction)
    # a photo's date is when it was taken (EXIF); a scan's is its text's, else the EXIF date
    if kind == "photo":
        doc_date = extraction.date_hint or meta.date
    else:
        doc_date = meta.date or (extraction.date_hint if item.format == "image" else None)
    if m.get("date"):
        try:
            doc_date = dt.date.fromisoformat(m["date"])
        except ValueError:
            warnings.append(f"manifest date {m['date']!r} is not YYYY-MM-DD; ignored")
    # a photo's few words of OCR (a banner, a sign) are no title: its file name is, cut as a
    # document's file-name title is (``file_stem``), so the two never differ
    content_title = None if kind == "photo" else meta.title
    title = m.get("title") or content_title or file_stem(item.name) or item.name
    title_source = "manifest" if m.get("title") else (meta.title_source if content_title else "file_name")
    if m.get("title_composed"):
        title_source = "composed" if m["title_composed"].lower() in YES else title_source
    proposals = [Proposal("cli", cli.track, cli.criterion, cli.year)]
    mp = Proposal("manifest")
    if m.get("track"):
        mp.track = registry.require(m["track"]).id
    if m.get("criterion"):
        mp.criterion = m["criterion"]
    if m.get("year"):
        mp.year = _year(m["year"])
    elif m.get("date") and doc_date:
        mp.year = doc_date.year
    proposals.append(mp)
    pp, rest = path_proposal(item.parts, registry)
    proposals.append(pp)
    content_year = _content_year(meta, extraction)
    proposals.append(Proposal("content", year=content_year))
    dec = decide(proposals, registry, rest, extraction.text, title)
    retention = m.get("retention") or None
    values = {
        "sha256": item.sha256,
        "original_name": item.name,
        "original_name_bytes": item.name_bytes,
        "source_path": item.source_path,
        "format": item.format,
        "title": title,
        "title_source": title_source,
        "doc_number": m.get("doc_number") or meta.doc_number,
        "author": m.get("author") or meta.author,
        "date": doc_date.isoformat() if doc_date else None,
        "track": dec.track,
        "criterion": dec.criterion,
        "year": dec.year,
        "track_source": dec.sources["track"],
        "criterion_source": dec.sources["criterion"],
        "year_source": dec.sources["year"],
        "retention": retention,
        "remarks": m.get("remarks") or None,
        "secrecy": m.get("secrecy") or default_secrecy or None,
        "pages": extraction.pages,
        "pages_estimated": extraction.pages_estimated,
        "text_chars": len(extraction.text),
        "ocr": int(extraction.ocr),
        "ocr_confidence": extraction.ocr_confidence,
        "low_confidence_pages": extraction.low_confidence_pages,
        "warnings": warnings,
        "kind": kind,
        "gps": extraction.exif.get("gps"),
        **{name: m.get(name) or None for name in PHOTO_FIELDS},
    }
    return values, dec.hints


PHOTO_TEXT_CHARS = 30  # an image whose OCR finds fewer letters than this has no document text


def photo_kind(item: Item, extraction: Extraction) -> str:
    """``photo`` or ``document``: the manifest's ``kind`` if it names one; else an image is a photo
    when OCR ran and found (almost) no document text (fewer than ``PHOTO_TEXT_CHARS`` letters), or,
    without OCR, when its EXIF names the camera that took it; everything else is a document (a
    scan). The archivist corrects either way with ``edit ID --kind``."""
    named = parse_kind(item.manifest.get("kind", ""))
    if named:
        return named
    if item.format != "image":
        return "document"
    if extraction.ocr:
        letters = sum(ch.isalnum() for ch in extraction.text)
        return "photo" if letters < PHOTO_TEXT_CHARS else "document"
    return "photo" if extraction.exif.get("camera") else "document"


def _year(value: str) -> int:
    """A manifest year cell; a cell that is not a year is a user mistake for that row."""
    year = parse_year(str(value))
    if year is None:
        raise UsageError(f"year {value!r} is not a year")
    return year


def _content_year(meta: DocMetadata, extraction: Extraction) -> int | None:
    """Year from the signing date, else the document number, else the EXIF date; never mtimes."""
    if meta.date:
        return meta.date.year
    if meta.doc_number:
        y = doc_number_year(meta.doc_number)
        if y:
            return y
    return extraction.date_hint.year if extraction.date_hint else None


def validate_manifest_row(item: Item, registry: TrackRegistry, secrecy_levels: Sequence[str] = ()) -> None:
    """Refuse a manifest row naming an unknown track, criterion, retention or 密级 (one of
    ``secrecy_levels``, the config's) (exit 1 for that file)."""
    m = item.manifest
    if not m:
        return
    track = None
    if m.get("track"):
        track = registry.resolve(m["track"])
        if track is None:
            raise InputFileError(item.source_path, f"manifest names an unknown track {m['track']!r}")
    if m.get("criterion"):
        schemas = [track] if track else registry.all()
        if not any(s.criterion(m["criterion"]) for s in schemas):
            where = f" in track {track.id}" if track else ""
            raise InputFileError(item.source_path, f"manifest names an unknown criterion {m['criterion']!r}{where}")
    if m.get("retention") and m["retention"] not in RETENTIONS:
        raise InputFileError(item.source_path, f"manifest retention {m['retention']!r} is not one of Y, D30, D10")
    if m.get("kind") and parse_kind(m["kind"]) is None:
        raise InputFileError(item.source_path, f"manifest kind {m['kind']!r} is not one of photo (照片) or "
                             "document (文书)")
    if m.get("secrecy") and m["secrecy"] not in secrecy_levels:
        raise InputFileError(item.source_path, f"manifest secrecy (密级) {m['secrecy']!r} is not one of "
                             f"{', '.join(secrecy_levels)} (config secrecy_levels)")
    if m.get("title_composed") and m["title_composed"].lower() not in YES + NO:
        raise InputFileError(item.source_path, f"manifest title_composed (自拟题名) {m['title_composed']!r} is "
                             f"neither yes ({'/'.join(YES)}) nor no ({'/'.join(NO)})")
    if m.get("year"):
        try:
            _year(m["year"])
        except UsageError as e:
            raise InputFileError(item.source_path, f"manifest {e}") from None
