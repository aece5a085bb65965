"""Stage 3, analyse: extract a file's text and read its metadata. It runs in isolated worker
processes, so it imports only what extraction needs (no catalogue writes, no YAML)."""
from __future__ import annotations

from pathlib import Path

from ..errors import InputFileError
from ..extract import ExtractOptions, Extraction, extract
from ..metadata import DocMetadata, extract_metadata


def analyse(path: str, fmt: str, options: ExtractOptions, file_name: str) -> tuple[Extraction, DocMetadata]:
    """Extract text and read metadata from it; module-level so worker processes can run it."""
    try:
        extraction = extract(Path(path), fmt, options)
    except InputFileError as e:
        raise InputFileError(path, e.reason) from None
    meta = extract_metadata(extraction.text, title_hint=extraction.title_hint, file_name=file_name)
    return extraction, meta
