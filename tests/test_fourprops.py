"""四性检测 (DA/T 70-2018) of a bundle, through the real CLI on real files: a clean bundle passes
every check and carries its report; a tampered, deleted or unsafe original and a missing item
number are each caught by their own check, with its property and a reason. Where a defect is
crafted, the bag is re-made around it (bagit) so that only the check under test can fail.
"""
from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import bagit
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from archive_kit.bundle.fourprops import sm3_available
from bench.gen_docs import NOTICE_BODY, make_pdf
from bench.gen_scans import make_photo
from tests.conftest import cli_json, run_cli

TITLES = ["关于开展志愿服务活动的通知", "道德讲堂活动记录", "环境卫生检查记录"]
JS_TITLE = "文明礼仪知识竞赛方案"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory):
    """Three PDFs and a photo of one year, ingested and bundled with the CLI."""
    import datetime as dt

    base = tmp_path_factory.mktemp("fourprops")
    ev = base / "evidence"
    ev.mkdir()
    rows = []
    for i, title in enumerate(TITLES):
        make_pdf(ev / f"d{i}.pdf", title, NOTICE_BODY, date_text=f"2023年{i + 3}月5日", pages=i + 1)
        rows.append([f"evidence/d{i}.pdf", "2.3", title, f"2023-{i + 3:02d}-05"])
    make_photo(ev / "photo.jpg", exif_date=dt.datetime(2023, 7, 1, 9, 30))
    rows.append(["evidence/photo.jpg", "2.3", "社区志愿服务活动现场", "2023-07-01"])
    root = manifest_repo(base, rows)
    out = base / "bundle"
    code, report = cli_json("bundle", "--track", "文明单位", "--year", "2023", "--out", str(out), root=root)
    assert code == 0, report
    return root, out


def manifest_repo(base: Path, rows: list[list[str]]) -> Path:
    """A repository made with the CLI, its documents ingested from a manifest of ``rows``
    (path relative to ``base``, criterion of 文明单位, title, date, optionally retention; year 2023)."""
    manifest = base / "manifest.csv"
    with open(manifest, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "track", "criterion", "year", "title", "date", "retention"])
        w.writerows([[p, "文明单位", c, "2023", t, d, *rest] for p, c, t, d, *rest in rows])
    root = base / "repo"
    run_cli("init", "--fonds", "J001", "--unit", "测试单位", root=root, check=True)
    code, data = cli_json("ingest", "--manifest", str(manifest), "--no-ocr", root=root)
    assert code == 0 and not data["failed"], data
    return root


def _failed(data: dict) -> set[tuple[str, str, int | None]]:
    return {(c["property"], c["check"], c["item"]) for c in data["checks"] if not c["ok"]}


def _copy(out: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    return copy


def _rebag(copy: Path, **info: str) -> None:
    """Make the bag's manifests (and bag-info fields ``info``) agree with the files again."""
    bag = bagit.Bag(str(copy))
    bag.info.update(info)
    bag.save(manifests=True)


def _records(copy: Path) -> dict:
    return json.loads((copy / "data" / "originals.json").read_text(encoding="utf-8"))


def _original(copy: Path, number: int) -> Path:
    return next((copy / "data" / "originals").glob(f"{number:04d}_*"))


def test_a_clean_bundle_passes_every_check_and_carries_its_report(bundle) -> None:
    root, out = bundle
    code, data = cli_json("verify", "--bundle", str(out), root=root)
    assert code == 0 and data["ok"] and data["problems"] == [] and data["checked"] == 4, _failed(data)
    assert {c["property"] for c in data["checks"]} == {"authenticity", "integrity", "usability", "security"}
    per_item = {(c["check"], c["item"]) for c in data["checks"]}
    # the camera JPEG is a photo: item 0001 of the class's own photo sequence (门类 ZP), beside WS 0001-0003
    codes = sorted(r["archival_code"] for r in _records(out).values())
    assert codes == ["J001-WS·2023-D10-WM-0001", "J001-WS·2023-D10-WM-0002", "J001-WS·2023-D10-WM-0003",
                     "J001-ZP·2023-D10-WM-0001"], codes
    for n in range(1, 4):
        for check in ("sha256", "sm3", "original_present", "required_fields", "format", "opens", "encryption"):
            assert (check, n) in per_item, (check, n)
    for check in ("page_count", "title", "date", "active_content"):  # the PDFs
        assert all((check, n) in per_item for n in range(1, 4)), check
    assert ("fonts_embedded", None) in per_item and ("item_numbers", None) in per_item
    if sm3_available():
        recorded = _records(out)
        name, rec = next(iter(recorded.items()))
        assert rec["sm3"] == hashlib.new("sm3", (out / "data" / "originals" / name).read_bytes()).hexdigest()
    report = json.loads((out / "四性检测报告.json").read_text(encoding="utf-8"))
    assert report["ok"] and len(report["checks"]) == len(data["checks"]) - 1  # verify adds the bag's fixity
    sheet = load_workbook(out / "四性检测报告.xlsx").active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert "不通过" not in cells and cells.count("通过") >= len(report["checks"])
    listed = (out / "tagmanifest-sha256.txt").read_text(encoding="utf-8")
    assert "  四性检测报告.json\n" in listed and "  四性检测报告.xlsx\n" in listed
    proc = run_cli("verify", "--bundle", str(out), root=root)
    assert proc.returncode == 0 and "四性: authenticity" in proc.stdout


def test_a_tampered_original_fails_its_fixity(bundle, tmp_path: Path) -> None:
    root, out = bundle
    copy = _copy(out, tmp_path)
    victim = _original(copy, 2)
    victim.chmod(0o644)
    victim.write_bytes(victim.read_bytes() + b"\n%tampered\n")
    _rebag(copy)
    code, data = cli_json("verify", "--bundle", str(copy), root=root)
    assert code == 1 and not data["ok"]
    want = {("authenticity", "sha256", 2)} | ({("authenticity", "sm3", 2)} if sm3_available() else set())
    assert _failed(data) == want
    reason = next(c["reason"] for c in data["checks"] if c["check"] == "sha256" and not c["ok"])
    assert victim.name in reason and "altered" in reason


def test_a_deleted_original_fails_its_presence(bundle, tmp_path: Path) -> None:
    root, out = bundle
    copy = _copy(out, tmp_path)
    _original(copy, 3).unlink()
    _rebag(copy)
    code, data = cli_json("verify", "--bundle", str(copy), root=root)
    assert code == 1 and _failed(data) == {("integrity", "original_present", 3)}
    assert "original is missing" in next(c["reason"] for c in data["checks"] if not c["ok"])
    proc = run_cli("verify", "--bundle", str(copy), root=root)
    assert proc.returncode == 1 and "FAIL integrity original_present item 0003" in proc.stdout


def test_a_dropped_item_number_fails_continuity(bundle, tmp_path: Path) -> None:
    root, out = bundle
    copy = _copy(out, tmp_path)
    victim = _original(copy, 2)
    recorded = _records(copy)
    del recorded[victim.name]
    (copy / "data" / "originals.json").write_text(json.dumps(recorded, ensure_ascii=False), encoding="utf-8")
    victim.unlink()
    _rebag(copy, **{"Item-Count": "3"})
    code, data = cli_json("verify", "--bundle", str(copy), root=root)
    assert code == 1 and _failed(data) == {("integrity", "item_numbers", None)}
    assert "漏号" in next(c["reason"] for c in data["checks"] if not c["ok"]) and "0002" in json.dumps(data)


def test_a_pdf_with_javascript_fails_security(tmp_path: Path) -> None:
    ev = tmp_path / "evidence"
    ev.mkdir()
    plain = make_pdf(ev / "plain.pdf", JS_TITLE, NOTICE_BODY)
    writer = PdfWriter(clone_from=PdfReader(plain))
    action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject("app.alert('四性');")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    with open(ev / "js.pdf", "wb") as fh:
        writer.write(fh)
    make_pdf(ev / "ok.pdf", TITLES[0], NOTICE_BODY)
    root = manifest_repo(tmp_path, [["evidence/ok.pdf", "2.3", TITLES[0], "2023-03-05"],
                            ["evidence/js.pdf", "2.3", JS_TITLE, "2023-03-05"]])
    out = tmp_path / "bundle"
    code, report = cli_json("bundle", "--track", "文明单位", "--year", "2023", "--out", str(out), root=root)
    assert code == 0, report
    numbers = {rec["title"]: rec["item_number"] for rec in _records(out).values()}
    code, data = cli_json("verify", "--bundle", str(out), root=root)
    assert code == 1 and _failed(data) == {("security", "active_content", numbers[JS_TITLE])}
    assert "JavaScript" in next(c["reason"] for c in data["checks"] if not c["ok"])
    built = json.loads((out / "四性检测报告.json").read_text(encoding="utf-8"))
    assert not built["ok"], "the report written at build time says so too"


def test_without_sm3_the_sm3_checks_are_skipped_with_a_reason(bundle, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where this Python's OpenSSL has no SM3 (simulated: hashlib refuses the name), SHA-256 still
    guards fixity and each SM3 check passes saying it was skipped, and why."""
    from archive_kit.bundle import fourprops

    root, out = bundle
    real_new = hashlib.new
    monkeypatch.setattr(fourprops.hashlib, "new", lambda name, *a, **k: (_ for _ in ()).throw(
        ValueError(f"unsupported hash type {name}")) if name == "sm3" else real_new(name, *a, **k))
    assert not fourprops.sm3_available()
    checks = fourprops.four_property_checks(out)
    sm3 = [c for c in checks if c.check == "sm3"]
    assert len(sm3) == 4 and all(c.ok and c.reason.startswith("skipped: this Python's OpenSSL has no SM3")
                                 for c in sm3)
    assert all(c.ok for c in checks if c.check == "sha256")


def test_the_title_check_goes_by_where_the_title_came_from(tmp_path: Path) -> None:
    """A title the archivist composed (manifest 自拟题名) or taken from the file name is not the
    document's own: not looked for on its first page. Any other title not on the page fails, even
    though nobody typed [ ] around either."""
    from tests.test_title_source import untitled_pdf

    ev = tmp_path / "evidence"
    ev.mkdir()
    make_pdf(ev / "a.pdf", TITLES[0], NOTICE_BODY, date_text="2023年3月5日")
    make_pdf(ev / "b.pdf", TITLES[1], NOTICE_BODY, date_text="2023年4月5日")
    untitled_pdf(ev / "现场照片扫描.pdf")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,track,criterion,year,date,title,自拟题名\n"
                        "evidence/a.pdf,文明单位,2.3,2023,2023-03-05,2023年志愿服务活动材料,是\n"
                        "evidence/b.pdf,文明单位,2.3,2023,2023-04-05,某单位材料汇编,否\n"
                        "evidence/现场照片扫描.pdf,文明单位,2.3,2023,2023-05-05,,\n", encoding="utf-8")
    root = tmp_path / "repo"
    run_cli("init", "--fonds", "J001", "--unit", "测试单位", root=root, check=True)
    code, data = cli_json("ingest", "--manifest", str(manifest), "--no-ocr", root=root)
    assert code == 0 and not data["failed"], data
    assert sorted(d["title_source"] for d in data["added"]) == ["composed", "file_name", "manifest"]
    out = tmp_path / "bundle"
    code, report = cli_json("bundle", "--track", "文明单位", "--year", "2023", "--out", str(out), root=root)
    assert code == 0, report
    code, data = cli_json("verify", "--bundle", str(out), root=root)
    numbers = {rec["title"]: rec["item_number"] for rec in _records(out).values()}
    assert _failed(data) == {("authenticity", "title", numbers["某单位材料汇编"])}
    titles = {c["item"]: c["reason"] for c in data["checks"] if c["check"] == "title"}
    assert "composed" in titles[numbers["2023年志愿服务活动材料"]]
    assert "file name" in titles[numbers["现场照片扫描"]]


def test_items_are_told_apart_by_archival_code(bundle, tmp_path: Path) -> None:
    """WS item 0001 and the photo ZP item 0001 share the item number 1: every per-item check names
    its item's archival code (档号), so both are checked and reported apart, and a fault in the
    photo names the photo; item numbers are continuous per category (WS 0001-0003, ZP 0001)."""
    root, out = bundle
    code, data = cli_json("verify", "--bundle", str(out), root=root)
    assert code == 0, _failed(data)
    ws, zp = "J001-WS·2023-D10-WM-0001", "J001-ZP·2023-D10-WM-0001"
    per_item = [(c["check"], c["code"]) for c in data["checks"] if c["item"] is not None]
    assert len(per_item) == len(set(per_item)), "two checks of one item share a code"
    for check in ("sha256", "original_present", "required_fields", "format", "opens"):
        assert (check, ws) in per_item and (check, zp) in per_item, check
    assert all(c["code"] is None for c in data["checks"] if c["item"] is None)
    numbering = next(c for c in data["checks"] if c["check"] == "item_numbers")
    assert numbering["ok"] and "0001–0003" in numbering["reason"] and "照片" in numbering["reason"], numbering
    sheet = load_workbook(out / "四性检测报告.xlsx").active
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert "档号" in cells and ws in cells and zp in cells

    copy = _copy(out, tmp_path)
    photo = next(p for p in (copy / "data" / "originals").iterdir() if p.suffix == ".jpg")
    photo.chmod(0o644)
    photo.write_bytes(photo.read_bytes() + b"tampered")
    _rebag(copy)
    code, data = cli_json("verify", "--bundle", str(copy), root=root)
    assert code == 1
    assert {c["code"] for c in data["checks"] if not c["ok"]} == {zp}, _failed(data)
    proc = run_cli("verify", "--bundle", str(copy), root=root)
    assert f"FAIL authenticity sha256 item 0001 {zp}" in proc.stdout, proc.stdout
