"""Extractors: one module per format, each registered here under its format name.

An extractor turns one original file into an ``Extraction`` (text, page count, hints).
It runs in a worker process, so it must be a module-level function of picklable arguments.
"""
from __future__ import annotations

import datetime as _dt
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Union

from ..errors import UnsupportedFormatError

if TYPE_CHECKING:
    from .pdf import PendingOcr

OCR_MAX_PAGES = 1000  # default ceiling on the pages of one document that may need OCR (``ocr_max_pages``)
CONVERT_TIMEOUT_S = 180.0  # default limit on one LibreOffice conversion


@dataclass(frozen=True)
class ExtractOptions:
    """What an extractor may do: whether to OCR, with which engine and how many engine threads,
    and on at most how many pages of one document. With ``split_ocr`` an extractor whose pages
    need OCR may leave it to the caller, returning the pages to OCR (``extract.pdf.PendingOcr``)
    instead of OCRing them one after the other: ingest spreads them over all its workers."""

    ocr: bool = True
    ocr_engine: str = "rapidocr"
    threads: int = 1
    ocr_max_pages: int = OCR_MAX_PAGES
    # where converters may leave a PDF rendition named <sha256>.pdf (office formats), or None
    renditions_dir: str | None = None
    split_ocr: bool = False
    # the most one LibreOffice conversion may take (ingest keeps it inside the worker's time limit)
    convert_timeout_s: float = CONVERT_TIMEOUT_S


@dataclass
class Extraction:
    """What an extractor learnt from one file. ``text`` is already normalised."""

    text: str
    pages: int | None = None
    # why ``pages`` is only an estimate (a Word document LibreOffice could not render), None when counted
    pages_estimated: str | None = None
    title_hint: str | None = None
    date_hint: _dt.date | None = None
    ocr: bool = False
    ocr_confidence: float | None = None
    low_confidence_pages: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # per OCRed page, its lines with their boxes in page-image pixels (``OcrResult.layout``): kept in
    # the extraction cache so the console can mark search hits on scans and photos
    ocr_pages: list[dict] = field(default_factory=list)
    # what an image's EXIF says about how it was made: "camera" (make and model) and "gps" ("lat,lon"),
    # each present only when the file has it; ingest uses it to tell photos from scans
    exif: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """A JSON-able dict, used for the extraction cache."""
        d = dict(self.__dict__)
        d["date_hint"] = self.date_hint.isoformat() if self.date_hint else None
        return d

    @classmethod
    def from_json(cls, d: dict) -> "Extraction":
        """Inverse of ``to_json``."""
        d = dict(d)
        if d.get("date_hint"):
            d["date_hint"] = _dt.date.fromisoformat(d["date_hint"])
        return cls(**d)


# an Extraction, or with ``options.split_ocr`` maybe the pages still to OCR
Extractor = Callable[[Path, ExtractOptions], Union[Extraction, "PendingOcr"]]
_REGISTRY: dict[str, Extractor] = {}
# format name -> module that registers it; imported lazily so a worker loads only what it needs
_MODULES = {
    "pdf": "pdf",
    "docx": "docx",
    "image": "image",
    "ofd": "ofd",
    "doc": "office",
    "wps": "office",
    "rtf": "office",
    "odt": "office",
    "xls": "office",
    "xlsx": "office",
}


def register(fmt: str) -> Callable[[Extractor], Extractor]:
    """Decorator: make ``func`` the extractor for ``fmt``."""

    def deco(func: Extractor) -> Extractor:
        _REGISTRY[fmt] = func
        return func

    return deco


def register_module(fmt: str, module: str) -> None:
    """Tell the registry which module of this package provides ``fmt`` (for add-on formats)."""
    _MODULES[fmt] = module


def get_extractor(fmt: str) -> Extractor:
    """The extractor for ``fmt``; raises UnsupportedFormatError when there is none."""
    if fmt not in _REGISTRY and fmt in _MODULES:
        importlib.import_module(f"{__name__}.{_MODULES[fmt]}")
    try:
        return _REGISTRY[fmt]
    except KeyError:
        raise UnsupportedFormatError("?", f"no extractor for format {fmt!r}") from None


def extract(path: Path, fmt: str, options: ExtractOptions) -> "Extraction | PendingOcr":
    """Run the registered extractor for ``fmt`` on ``path`` (a PendingOcr only with ``options.split_ocr``)."""
    return get_extractor(fmt)(path, options)
