"""The extraction cache: every extraction kept by content hash and OCR engine, so no file is ever
OCRed twice (an OCR extraction also serves a request without OCR)."""
from __future__ import annotations

import json
from pathlib import Path

from ..extract import ExtractOptions, Extraction
from ..metadata import DocMetadata, extract_metadata
from ..store import atomic_write_bytes
from .records import Item


def cache_path(cache_dir: Path, sha256: str, options: ExtractOptions) -> Path:
    """Where in ``cache_dir`` the extraction of these bytes under these options is cached."""
    mode = options.ocr_engine if options.ocr else "noocr"
    return cache_dir / sha256[:2] / f"{sha256}.{mode}.json"


def load_cached(cache_dir: Path, item: Item, options: ExtractOptions) -> tuple[Extraction, DocMetadata] | None:
    """A cached extraction of these bytes (an OCR one serves a no-OCR request too)."""
    candidates = [cache_path(cache_dir, item.sha256, options)]
    if not options.ocr:
        candidates += sorted((cache_dir / item.sha256[:2]).glob(f"{item.sha256}.*.json"))
    for p in candidates:
        try:
            ext = Extraction.from_json(json.loads(p.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            continue
        meta = extract_metadata(ext.text, title_hint=ext.title_hint, file_name=item.name)
        return ext, meta
    return None


def save_cache(cache_dir: Path, item: Item, options: ExtractOptions, extraction: Extraction) -> None:
    """Cache an extraction by content hash so no file is ever OCRed twice."""
    data = json.dumps(extraction.to_json(), ensure_ascii=False).encode("utf-8")
    atomic_write_bytes(cache_path(cache_dir, item.sha256, options), data)
