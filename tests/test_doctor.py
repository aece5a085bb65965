"""``doctor`` tells the truth about this machine and this repository: the OCR engine ingest will
really use (config.json's, else the default, saying which), and the LibreOffice that conversion
will really run (``$ARCHIVE_KIT_SOFFICE`` first, as ``archive_kit/office.py`` looks it up)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from archive_kit import Archive
from archive_kit.config import Config
from tests.conftest import cli_json, run_cli


def _set_ocr_engine(root: Path, engine: str | None) -> None:
    config = Config.load(root / "config.json")
    config.ocr_engine = engine
    config.save(root / "config.json")


def test_doctor_names_the_ocr_engine_set_in_config_json(repo: Archive) -> None:
    _set_ocr_engine(repo.root, "tesseract")
    rc, data = cli_json("doctor", root=repo.root)
    assert rc == 0
    assert {k: data["ocr_engine"][k] for k in ("name", "source")} == {"name": "tesseract", "source": "config"}
    assert data["ocr_engine"]["ok"] == data["ocr"]["tesseract"]["ok"]
    assert data["default_ocr_engine"] == "rapidocr"   # the contract's field stays, and means what it says
    proc = run_cli("doctor", root=repo.root)
    assert proc.returncode == 0 and "OCR engine used by ingest: tesseract (set in config.json)" in proc.stdout


def test_doctor_says_the_default_ocr_engine_is_used_when_config_json_names_none(repo: Archive, tmp_path: Path) -> None:
    rc, data = cli_json("doctor", root=repo.root)
    assert rc == 0 and {k: data["ocr_engine"][k] for k in ("name", "source")} == {"name": "rapidocr",
                                                                                  "source": "default"}
    assert "OCR engine used by ingest: rapidocr (the default; config.json names none)" in run_cli(
        "doctor", root=repo.root).stdout
    # no repository at all: still an answer (doctor is what people run when nothing works), and it says why
    rc, data = cli_json("doctor", root=tmp_path / "nowhere")
    assert rc == 0 and data["ocr_engine"]["source"] == "default"
    assert data["repository"]["ok"] is False and "nowhere" in data["repository"]["detail"]


def test_doctor_honours_archive_kit_soffice_when_it_points_nowhere(repo: Archive,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_KIT_SOFFICE", "/nonexistent")
    rc, data = cli_json("doctor", root=repo.root)
    assert rc == 0 and data["office_conversion"]["ok"] is False
    assert "ARCHIVE_KIT_SOFFICE" in data["office_conversion"]["detail"]
    assert "/nonexistent" in data["office_conversion"]["detail"]
    proc = run_cli("doctor", root=repo.root)
    assert "office_conversion MISSING" in " ".join(proc.stdout.split())


def test_doctor_reports_the_soffice_that_archive_kit_soffice_names(repo: Archive, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real = shutil.which("soffice") or shutil.which("libreoffice")
    if real is None:
        pytest.skip("LibreOffice is not installed")
    chosen = tmp_path / "my-soffice"
    chosen.symlink_to(real)
    monkeypatch.setenv("ARCHIVE_KIT_SOFFICE", str(chosen))
    proc = run_cli("doctor", "--json", root=repo.root)
    data = json.loads(proc.stdout)
    assert data["office_conversion"]["ok"] is True
    assert data["office_conversion"]["detail"].startswith(str(chosen)), data["office_conversion"]
