"""The real-world corpus: every file is ingested or refused with a clear reason; nothing crashes or hangs."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from tests.conftest import REAL_CORPUS, cli_json

pytestmark = pytest.mark.skipif(not REAL_CORPUS.is_dir(), reason="shared corpus not present")


def corpus_files() -> list[Path]:
    return sorted(p for p in REAL_CORPUS.iterdir() if p.is_file() and p.name != "SOURCES.tsv")


def test_every_corpus_file_is_ingested_or_refused_clearly(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    Archive.init(root).close()
    start = time.monotonic()
    rc, data = cli_json("ingest", str(REAL_CORPUS), "--jobs", "2", root=root)
    elapsed = time.monotonic() - start
    assert rc == 1  # the corpus holds broken files on purpose
    seen = {Path(d["source_path"]).name for d in data["added"]}
    seen |= {Path(d["path"]).name for d in data["duplicates"]}
    refused = {Path(f["path"]).name: f["error"] for f in data["failed"]}
    refused.update({Path(s["path"]).name: s["reason"] for s in data["skipped"]})
    for p in corpus_files():
        assert p.name in seen or p.name in refused, f"{p.name} neither ingested nor refused"
    for name, error in refused.items():
        assert error and "\n" not in error and len(error) < 400, (name, error)
        assert "unexpected error" not in error, (name, error)
    # files that must be readable
    for name in ("chatchat__ocr_test.docx", "pypdf__r6-empty-password.pdf", "qpdf__fuzz-23642.fuzz",
                 "paperless__multi-page-images.tiff", "pdfjs__freeculture.pdf"):
        assert name in seen, (name, refused.get(name))
    for name in ("paperless__password-is-test.pdf", "pypdf__r2-user-password.pdf"):
        assert "password" in refused[name]
    assert elapsed < 1800
    rc, report = cli_json("verify", root=root)
    assert rc == 0 and report["ok"], report["problems"]
