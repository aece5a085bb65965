"""OFD documents through the whole tool (issue 13): ingest, search, show, bundle and verify, with the
real CLI; real OFD files from ``../shared/corpus/ofd`` where present, a small built one always."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from tests.conftest import cli_json, run_cli
from tests.test_ofd import OFD_CORPUS, corpus, make_ofd, page_xml, text_object

TRACK = "文明单位"


def built_notice(path: Path) -> Path:
    """A one-page OFD: a campaign notice's title line and its date (every catalogued item needs a 日期)."""
    return make_ofd(path, {"Doc_0/Pages/Page_0/Content.xml": page_xml(
        text_object("志愿服务活动通知", 20, 20) + text_object("2023年3月5日", 20, 60, obj_id=5))})


def test_an_ofd_is_ingested_found_shown_and_bundled(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    run_cli("init", "--fonds", "J001", "--unit", "测试单位", root=root, check=True)
    source = built_notice(tmp_path / "通知.ofd")
    before = source.read_bytes()
    code, out = cli_json("ingest", str(source), "--track", TRACK, "--criterion", "1", "--year", "2023", root=root)
    assert code == 0, out
    code, found = cli_json("search", "志愿服务", root=root)
    assert code == 0 and len(found["hits"]) == 1, found
    doc_id = found["hits"][0]["id"]
    code, shown = cli_json("show", str(doc_id), root=root)
    assert shown["format"] == "ofd" and shown["pages"] == 1, shown
    assert source.read_bytes() == before  # the user's file is never touched

    out_dir = tmp_path / "bundle"
    proc = run_cli("bundle", "--track", TRACK, "--year", "2023", "--out", str(out_dir), root=root)
    assert proc.returncode == 0, proc.stderr
    originals = json.loads((out_dir / "data" / "originals.json").read_text(encoding="utf-8"))
    assert [name for name in originals if name.endswith(".ofd")], originals  # the OFD itself, as the original
    pdf = pdfium.PdfDocument(str(out_dir / "bundle.pdf"))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "志愿服务活动通知" in text.replace("\r", "").replace("\n", "")  # drawn as real text in bundle.pdf
    proc = run_cli("verify", "--bundle", str(out_dir), root=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_broken_ofd_fails_alone_with_one_line(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    run_cli("init", "--fonds", "J001", "--unit", "测试单位", root=root, check=True)
    folder = tmp_path / "in"
    folder.mkdir()
    built_notice(folder / "好.ofd")
    make_ofd(folder / "坏.ofd", {"Doc_0/Document.xml": "<not xml"})
    proc = run_cli("ingest", str(folder), "--track", TRACK, "--year", "2023", root=root)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    bad = [line for line in proc.stderr.splitlines() if "坏.ofd" in line]
    assert len(bad) == 1 and "OFD" in bad[0], proc.stderr
    code, found = cli_json("search", "志愿服务", root=root)
    assert len(found["hits"]) == 1, found


@corpus
def test_the_real_ofd_corpus_ingests_and_its_text_is_searchable(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    run_cli("init", "--fonds", "J001", "--unit", "测试单位", root=root, check=True)
    folder = tmp_path / "ofd"
    shutil.copytree(OFD_CORPUS, folder, ignore=shutil.ignore_patterns("*.tsv"))
    proc = run_cli("ingest", str(folder), "--track", TRACK, "--year", "2023", "--no-ocr", root=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    code, listed = cli_json("list", root=root)
    formats = {d["original_name"]: d["format"] for d in listed["documents"]}
    ids = {d["original_name"]: d["id"] for d in listed["documents"]}
    assert formats.get("essay_nalaizhuyi_2p.ofd") == "ofd", formats
    assert sum(f == "ofd" for f in formats.values()) >= 18, formats  # every readable one; refusals name their file
    code, found = cli_json("search", "拿来主义", root=root)
    assert found["total"] >= 1 and found["hits"][0]["id"] == ids["essay_nalaizhuyi_2p.ofd"], found
    proc = run_cli("verify", root=root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
