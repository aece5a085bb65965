"""Stage 3, analyse: extract a file's text and read its metadata. It runs in isolated worker
processes, so it imports only what extraction needs (no catalogue writes, no YAML).

``analyse_all`` runs it for many files in a WorkerPool and spreads the pages that need OCR over
every worker: a scanned PDF's pages are OCRed side by side, each worker keeping its engine loaded
from page to page, and the document is assembled in page order once its last page is read."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import InputFileError
from ..extract import ExtractOptions, Extraction, extract
from ..extract.pdf import PendingOcr, ocr_page
from ..metadata import DocMetadata, extract_metadata
from ..ocr import OcrResult
from ..workers import Outcome, WorkerPool


def analyse(path: str, fmt: str, options: ExtractOptions,
            file_name: str) -> tuple[Extraction, DocMetadata] | PendingOcr:
    """Extract text and read metadata from it; module-level so worker processes can run it. With
    ``options.split_ocr`` a PDF whose pages need OCR comes back as a PendingOcr (see ``analyse_all``)."""
    try:
        extraction = extract(Path(path), fmt, options)
    except InputFileError as e:
        raise InputFileError(path, e.reason) from None
    if isinstance(extraction, PendingOcr):
        return extraction
    return extraction, read_metadata(extraction, file_name)


def read_metadata(extraction: Extraction, file_name: str) -> DocMetadata:
    """The document metadata in an extraction's text (title, number, issuing body, date)."""
    return extract_metadata(extraction.text, title_hint=extraction.title_hint, file_name=file_name)


@dataclass(frozen=True)
class _Page:
    """The key of one page's OCR task: the document's key and the 0-based page."""

    doc: Any
    index: int


@dataclass
class _Reading:
    """A document whose pages are being OCRed."""

    pending: PendingOcr
    file_name: str
    results: dict[int, OcrResult | None] = field(default_factory=dict)


def analyse_all(pool: WorkerPool, tasks: Iterable[tuple[Any, tuple[str, str, ExtractOptions, str]]]
                ) -> Iterator[Outcome]:
    """``analyse`` every (key, (path, format, options, file name)) task in ``pool``: one Outcome per
    key, as documents finish. The pages of a document that needs OCR become tasks of their own,
    run ahead of the next files, each under the per-file time limit and all under the file's hard
    ceiling counted from its start; when one page fails, the document fails alone with one line
    naming the page, and its other pages are dropped."""
    names: dict[Any, str] = {}
    reading: dict[Any, _Reading] = {}

    def named() -> Iterator[tuple[Any, tuple]]:
        for key, args in tasks:
            names[key] = args[3]
            yield key, args

    for out in pool.run(analyse, named()):
        if not isinstance(out.key, _Page):
            if out.error is None and isinstance(out.value, PendingOcr):
                doc = out.value
                reading[out.key] = _Reading(doc, names[out.key])
                for i in doc.pages:
                    pool.submit(_Page(out.key, i), ocr_page, (doc.path, i, doc.engine, doc.threads),
                                started=out.started)
                continue
            yield out
            continue
        key, index = out.key.doc, out.key.index
        doc = reading.get(key)
        if doc is None:  # its document failed already
            continue
        if out.error is not None:
            del reading[key]
            pool.cancel(lambda k: isinstance(k, _Page) and k.doc == key)
            yield Outcome(key, error=f"page {index + 1} of {len(doc.pending.texts)}: {out.error}",
                          started=out.started)
            continue
        doc.results[index] = out.value
        if len(doc.results) == len(doc.pending.pages):
            del reading[key]
            extraction = doc.pending.finish(doc.results.items())
            yield Outcome(key, value=(extraction, read_metadata(extraction, doc.file_name)), started=out.started)
