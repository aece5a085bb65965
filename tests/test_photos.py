"""Photo archives (issue 11 item 7), through the real command line on real JPEGs with real EXIF:
photos recognised at ingest, their DA/T 50-2014 fields from the manifest, EXIF and ``edit``
(logged), ``review`` flags, their own numbering (门类 ZP), the photo catalogue (照片档案目录) read
back in all four formats, the bundle caption read back from the PDF, a scan marked as photo and
back, the config's photo category checked, and a format-5 repository migrated."""
from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from archive_kit.extract import ExtractOptions
from archive_kit.extract.image import extract_image
from bench.gen_docs import make_pdf
from bench.gen_scans import SAMPLE_TEXTS, make_photo, render_text_page

from .conftest import assert_bundle_whole, cli_json, run_cli

FOLDER = Path("文明单位") / "2023" / "2.2 志愿服务活动"
BEIJING = ((39.0, 54.0, 27.0), "N", (116.0, 23.0, 49.0), "E")  # 39.9075, 116.396944


def make_jpeg(path: Path, *, taken: str | None = "2023:03:05 09:30:00", gps: tuple | None = BEIJING,
              camera: bool = True, colour: tuple[int, int, int] = (40, 120, 200)) -> Path:
    """A real JPEG of a simple scene with the EXIF a camera writes: Make, Model, DateTimeOriginal
    (Exif IFD) and a GPS IFD (degrees, minutes, seconds with N/S, E/W)."""
    im = Image.new("RGB", (800, 600), colour)
    draw = ImageDraw.Draw(im)
    draw.ellipse((250, 150, 550, 450), fill=(230, 190, 60))
    draw.rectangle((80, 380, 240, 560), fill=(60, 60, 60))
    exif = Image.Exif()
    if camera:
        exif[0x010F] = "Canon"
        exif[0x0110] = "EOS 80D"
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    if gps:
        lat, lat_ref, lon, lon_ref = gps
        ifd = exif.get_ifd(0x8825)
        ifd[1], ifd[2], ifd[3], ifd[4] = lat_ref, lat, lon_ref, lon
    im.save(path, exif=exif, quality=90)
    return path


def test_exif_date_camera_and_gps_are_read(tmp_path: Path) -> None:
    north_east = extract_image(make_jpeg(tmp_path / "天安门.jpg"), ExtractOptions(ocr=False))
    assert north_east.date_hint == dt.date(2023, 3, 5)
    assert north_east.exif == {"camera": "Canon EOS 80D", "gps": "39.907500,116.396944", "taken": "2023-03-05"}
    south_west = extract_image(make_jpeg(tmp_path / "sw.jpg", taken="2022:12:31 23:59:59",
                                         gps=((33.0, 52.0, 4.0), "S", (70.0, 30.0, 0.0), "W")),
                               ExtractOptions(ocr=False))
    assert south_west.exif["gps"] == "-33.867778,-70.500000" and south_west.date_hint == dt.date(2022, 12, 31)
    bare = extract_image(make_jpeg(tmp_path / "bare.jpg", taken=None, gps=None, camera=False),
                         ExtractOptions(ocr=False))
    assert bare.exif == {} and bare.date_hint is None


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    run_cli("init", "--fonds", "J001", "--unit", "测试单位", root=root, check=True)
    return root


def _show(root: Path, doc_id: int) -> dict:
    code, data = cli_json("show", str(doc_id), root=root)
    assert code == 0
    return data.get("document", data)


def test_a_photo_set_goes_through_ingest_edit_number_catalogue_and_bundle(tmp_path: Path) -> None:
    import openpyxl
    import pypdf
    from docx import Document as Docx

    root = _repo(tmp_path)
    folder = tmp_path / "in" / FOLDER
    folder.mkdir(parents=True)
    make_jpeg(folder / "学雷锋志愿服务启动仪式.jpg", taken="2023:03:05 09:30:00")
    make_jpeg(folder / "文明交通劝导.jpg", taken="2023:03:01 08:00:00", gps=None, colour=(200, 80, 60))
    make_pdf(folder / "通知.pdf", "关于开展志愿服务活动的通知", ["各单位：开展学雷锋志愿服务活动。"],
             date_text="2023年3月6日")
    manifest = tmp_path / "in" / "清单.csv"
    manifest.write_bytes(
        ("路径,地点,人物,摄影者,背景/事由,备注\n"
         f"{(FOLDER / '学雷锋志愿服务启动仪式.jpg').as_posix()},重庆市渝中区解放碑,张三（左一）、李四,王五,"
         "学雷锋志愿服务月启动仪式,第一组\n").encode("gb18030"))
    code, data = cli_json("ingest", str(tmp_path / "in"), "--manifest", str(manifest), "--no-ocr", root=root)
    assert code == 0, data
    ids = {d["original_name"]: d["id"] for d in data["added"]}
    opening, traffic, notice = (ids["学雷锋志愿服务启动仪式.jpg"], ids["文明交通劝导.jpg"], ids["通知.pdf"])
    first = _show(root, opening)
    assert (first["kind"], first["date"], first["gps"]) == ("photo", "2023-03-05", "39.907500,116.396944")
    assert (first["place"], first["people"], first["photographer"], first["background"]) == (
        "重庆市渝中区解放碑", "张三（左一）、李四", "王五", "学雷锋志愿服务月启动仪式")
    assert _show(root, traffic)["kind"] == "photo" and _show(root, notice)["kind"] == "document"

    code, review = cli_json("review", root=root)
    reasons = {e["id"]: e["review_reasons"] for e in review["documents"]}
    photo_lines = [r for r in reasons.get(traffic, []) if r.startswith("photo without")]
    assert len(photo_lines) == 1 and "地点、人物、摄影者、背景/事由" in photo_lines[0]
    assert not any(r.startswith("photo without") for r in reasons.get(opening, []))

    code, _ = cli_json("edit", str(traffic), "--place", "渝中区较场口", "--people", "志愿者赵六",
                       "--photographer", "钱七", "--background", "文明交通劝导志愿服务", root=root)
    assert code == 0
    code, history = cli_json("show", str(traffic), "--history", root=root)
    edits = {e["field"]: (e["before"], e["after"]) for e in history["history"]}
    assert edits["place"] == (None, "渝中区较场口") and edits["photographer"] == (None, "钱七")
    code, review = cli_json("review", root=root)
    assert not any(r.startswith("photo without") for e in review["documents"] for r in e["review_reasons"])

    run_cli("tag", str(opening), str(traffic), str(notice), "--confirm", root=root, check=True)
    code, numbered = cli_json("number", root=root)
    assert code == 0, numbered
    codes = {d["id"]: d["archival_code"] for d in numbered["numbered"]}
    assert codes[notice] == "J001-WS·2023-D10-WM-0001"
    # photos: their own sequence, in the order they were taken
    assert codes[traffic] == "J001-ZP·2023-D10-WM-0001" and codes[opening] == "J001-ZP·2023-D10-WM-0002"

    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("csv", "xlsx", "docx", "pdf"):
        run_cli("listing", "--level", "photo", "--format", fmt, "--out", str(out / f"照片.{fmt}"), root=root,
                check=True)
    with open(out / "照片.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    # both photos are titled from their file names (nobody typed a title): printed in [ ], as DA/T 22-2015 §5.5 e
    header = rows.index(["照片号", "档号", "题名", "时间", "地点", "人物", "摄影者", "备注"])
    assert rows[header + 1:] == [
        ["0001", "J001-ZP·2023-D10-WM-0001", "[文明交通劝导]", "20230301", "渝中区较场口", "志愿者赵六", "钱七", ""],
        ["0002", "J001-ZP·2023-D10-WM-0002", "[学雷锋志愿服务启动仪式]", "20230305", "重庆市渝中区解放碑",
         "张三（左一）、李四", "王五", "第一组"]]
    assert "照片档案目录" in rows[0][0] and "门类：照片（ZP）" in rows[0][0]
    sheet = openpyxl.load_workbook(out / "照片.xlsx").active
    cells = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert ["0002", "J001-ZP·2023-D10-WM-0002", "[学雷锋志愿服务启动仪式]", "20230305", "重庆市渝中区解放碑",
            "张三（左一）、李四", "王五", "第一组"] in cells
    docx_rows = [[c.text for c in r.cells] for t in Docx(out / "照片.docx").tables for r in t.rows]
    assert ["0001", "J001-ZP·2023-D10-WM-0001", "[文明交通劝导]", "20230301", "渝中区较场口", "志愿者赵六",
            "钱七", ""] in docx_rows
    pdf_text = "".join(p.extract_text() for p in pypdf.PdfReader(out / "照片.pdf").pages)
    for part in ("照片档案目录", "J001-ZP·2023-D10-WM-0002", "重庆市渝中区解放碑", "钱七"):
        assert part in pdf_text
    # the item catalogue (归档文件目录) holds the documents only
    run_cli("listing", "--format", "csv", "--out", str(out / "文件.csv"), root=root, check=True)
    items = (out / "文件.csv").read_text(encoding="utf-8-sig")
    assert "J001-WS·2023-D10-WM-0001" in items and "ZP·" not in items

    bundle = tmp_path / "bundle"
    run_cli("bundle", "--track", "文明单位", "--year", "2023", "--out", str(bundle), "--site", root=root, check=True)
    pages = [p.extract_text() for p in pypdf.PdfReader(bundle / "bundle.pdf").pages]
    caption = next(t for t in pages if "档号：J001-ZP·2023-D10-WM-0002" in t)
    for part in ("档号：J001-ZP·2023-D10-WM-0002", "题名：学雷锋志愿服务启动仪式", "时间：2023-03-05",
                 "地点：重庆市渝中区解放碑", "摄影者：王五", "人物：张三（左一）、李四",
                 "背景/事由：学雷锋志愿服务月启动仪式", "备注：第一组"):
        assert part in caption, (part, caption)
    site_page = next(p.read_text(encoding="utf-8") for p in (bundle / "site" / "items").glob("*.html")
                     if "J001-ZP·2023-D10-WM-0002" in p.read_text(encoding="utf-8"))
    for part in ("<th>地点</th><td>重庆市渝中区解放碑</td>", "<th>摄影者</th><td>王五</td>",
                 "<th>背景/事由</th><td>学雷锋志愿服务月启动仪式</td>"):
        assert part in site_page
    # every 四性 check passes, item-number continuity counting photos and documents apart
    checks = assert_bundle_whole(root, bundle)
    numbering = [c for c in checks["checks"] if c["check"] == "item_numbers"]
    assert numbering and all(c["ok"] for c in numbering), numbering
    code, verified = cli_json("verify", root=root)
    assert code == 0, verified


def test_photos_and_scans_are_told_apart_by_ocr(tmp_path: Path) -> None:
    """With OCR on, an image with document text is a scan (document) even with camera EXIF; an
    image with none is a photo."""
    root = _repo(tmp_path)
    folder = tmp_path / "in" / "党建" / "2023"
    folder.mkdir(parents=True)
    render_text_page(SAMPLE_TEXTS["volunteer"]).save(folder / "通知扫描.png")
    make_photo(folder / "翻拍的通知.jpg", exif_date=dt.datetime(2023, 3, 6, 10, 0),
               with_text=SAMPLE_TEXTS["volunteer"])
    make_photo(folder / "读书分享会.jpg", exif_date=dt.datetime(2023, 4, 23, 15, 30))
    code, data = cli_json("ingest", str(tmp_path / "in"), root=root)
    assert code == 0, data
    kinds = {d["original_name"]: d["kind"] for d in data["added"]}
    assert kinds == {"通知扫描.png": "document", "翻拍的通知.jpg": "document", "读书分享会.jpg": "photo"}


def test_a_scan_is_marked_as_photo_and_back(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    folder = tmp_path / "in" / FOLDER
    folder.mkdir(parents=True)
    make_jpeg(folder / "老照片扫描.jpg", taken=None, gps=None, camera=False)  # a scanner writes no camera
    code, data = cli_json("ingest", str(tmp_path / "in"), "--no-ocr", root=root)
    doc_id = data["added"][0]["id"]
    assert data["added"][0]["kind"] == "document"
    code, edited = cli_json("edit", str(doc_id), "--kind", "照片", root=root)
    assert code == 0 and edited["changed"] == [doc_id] and _show(root, doc_id)["kind"] == "photo"
    code, _ = cli_json("edit", str(doc_id), "--kind", "document", root=root)
    assert code == 0 and _show(root, doc_id)["kind"] == "document"
    bad = run_cli("edit", str(doc_id), "--kind", "相片", root=root)
    assert bad.returncode == 2 and "kind '相片'" in bad.stderr and "Traceback" not in bad.stderr
    code, history = cli_json("show", str(doc_id), "--history", root=root)
    assert [(e["field"], e["before"], e["after"]) for e in history["history"] if e["field"] == "kind"] == [
        ("kind", "document", "photo"), ("kind", "photo", "document")]
    # numbered, its kind is part of its code (门类): never edited, even with --force
    run_cli("edit", str(doc_id), "--kind", "photo", "--date", "2023-03-05", root=root, check=True)
    run_cli("tag", str(doc_id), "--confirm", root=root, check=True)
    code, numbered = cli_json("number", root=root)
    assert numbered["numbered"][0]["archival_code"] == "J001-ZP·2023-D10-WM-0001"
    refused = run_cli("edit", str(doc_id), "--kind", "document", "--force", root=root)
    assert refused.returncode == 1 and "kind photo is part of its archival code" in refused.stderr
    assert _show(root, doc_id)["kind"] == "photo"


@pytest.mark.parametrize("value, message", [
    ("zp", "`photo_category` must be a 门类 code"),
    ("ZP-1", "`photo_category` must be a 门类 code"),
    ("WS", "`photo_category` 'WS' must differ from `category`"),
])
def test_a_bad_photo_category_is_a_one_line_config_error(tmp_path: Path, value: str, message: str) -> None:
    root = _repo(tmp_path)
    config = json.loads((root / "config.json").read_text(encoding="utf-8"))
    assert config["photo_category"] == "ZP"
    config["photo_category"] = value
    (root / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    proc = run_cli("list", root=root)
    assert proc.returncode == 3 and message in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_configured_photo_category_is_used_in_codes(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    config = json.loads((root / "config.json").read_text(encoding="utf-8"))
    (root / "config.json").write_text(json.dumps({**config, "photo_category": "SX"}), encoding="utf-8")
    folder = tmp_path / "in" / FOLDER
    folder.mkdir(parents=True)
    make_jpeg(folder / "合影.jpg")
    code, data = cli_json("ingest", str(tmp_path / "in"), "--no-ocr", root=root)
    run_cli("tag", str(data["added"][0]["id"]), "--confirm", root=root, check=True)
    code, numbered = cli_json("number", root=root)
    assert numbered["numbered"][0]["archival_code"] == "J001-SX·2023-D10-WM-0001"


def test_a_format_5_repository_migrates_and_keeps_its_numbers(tmp_path: Path) -> None:
    """A repository the previous version left (catalogue format 5: no photo columns, a register
    unique per class without kind) opens, keeps every number, and numbers photos apart."""
    root = _repo(tmp_path)
    folder = tmp_path / "in" / FOLDER
    folder.mkdir(parents=True)
    make_pdf(folder / "通知.pdf", "关于开展志愿服务活动的通知", ["开展学雷锋志愿服务活动。"], date_text="2023年3月6日")
    code, data = cli_json("ingest", str(tmp_path / "in"), "--no-ocr", root=root)
    run_cli("tag", str(data["added"][0]["id"]), "--confirm", root=root, check=True)
    code, numbered = cli_json("number", "--freeze", root=root)
    assert numbered["numbered"][0]["archival_code"] == "J001-WS·2023-D10-WM-0001"
    with sqlite3.connect(root / "catalogue.sqlite") as db:  # what format 5 looked like
        for column in ("kind", "place", "people", "photographer", "background", "gps"):
            db.execute(f"ALTER TABLE documents DROP COLUMN {column}")
        db.execute("CREATE TABLE old_items (doc_id INTEGER PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE, "
                   "track TEXT NOT NULL, year INTEGER NOT NULL, retention TEXT NOT NULL, item_number INTEGER NOT NULL, "
                   "box INTEGER NOT NULL, pages INTEGER NOT NULL, frozen_at TEXT, "
                   "UNIQUE (track, year, retention, item_number))")
        db.execute("INSERT INTO old_items SELECT doc_id, track, year, retention, item_number, box, pages, frozen_at "
                   "FROM numbered_items")
        db.execute("DROP TABLE numbered_items")
        db.execute("ALTER TABLE old_items RENAME TO numbered_items")
        db.execute("PRAGMA user_version = 5")
    code, listed = cli_json("list", root=root)
    assert code == 0 and listed["documents"][0]["kind"] == "document"
    assert listed["documents"][0]["archival_code"] == "J001-WS·2023-D10-WM-0001"
    with sqlite3.connect(root / "catalogue.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 6
        assert db.execute("SELECT kind, item_number, frozen_at IS NOT NULL FROM numbered_items").fetchall() == [
            ("", 1, 1)]
    make_jpeg(folder / "合影.jpg")
    make_pdf(folder / "第二份.pdf", "关于志愿服务队建设的通知", ["志愿服务队建设。"], date_text="2023年4月1日")
    code, data = cli_json("ingest", str(tmp_path / "in"), "--no-ocr", root=root)
    run_cli("tag", *[str(d["id"]) for d in data["added"]], "--confirm", root=root, check=True)
    code, numbered = cli_json("number", root=root)
    assert sorted(d["archival_code"] for d in numbered["numbered"]) == [
        "J001-WS·2023-D10-WM-0002", "J001-ZP·2023-D10-WM-0001"]
    code, verified = cli_json("verify", root=root)
    assert code == 0, verified
