"""Where a title came from (``title_source``): the extractor says content, document info or file name;
a manifest can mark a title composed (自拟题名); ``edit`` says composed or not, logged; a format-5
catalogue migrates, marking titles equal to the file name's stem as taken from the file name."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from archive_kit.catalogue.connection import SCHEMA_VERSION
from archive_kit.metadata import extract_metadata

from .conftest import cli_json, run_cli


def test_the_extractor_says_where_the_title_came_from() -> None:
    text = "关于开展理论学习中心组学习的通知\n各支部：\n请按时参加学习。\n市直机关工委\n2023年3月5日"
    assert extract_metadata(text, title_hint="untitled", file_name="x.pdf").title_source == "content"
    hinted = extract_metadata("", title_hint="关于表彰先进集体的决定", file_name="scan.pdf")
    assert (hinted.title, hinted.title_source) == ("关于表彰先进集体的决定", "hint")
    named = extract_metadata("", title_hint="Microsoft Word - 文档1.docx", file_name="in/活动照片.jpg")
    assert (named.title, named.title_source) == ("活动照片", "file_name")
    assert extract_metadata("", file_name=None).title_source is None


def untitled_pdf(path: Path) -> Path:
    """A PDF whose text has no title (a form number and a code): its title can only come from its
    file name."""
    from fpdf import FPDF

    from archive_kit.fonts import require_cjk_font

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("cjk", "", str(require_cjk_font()))  # embedded, as a bundle's 四性 check wants
    pdf.set_font("cjk", size=12)
    pdf.text(20, 20, "ABC 123")
    pdf.rect(20, 30, 50, 30)
    pdf.output(str(path))
    return path


def _ingest(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    from bench.gen_docs import make_pdf

    root = tmp_path / "repo"
    run_cli("init", "--fonds", "J001", "--unit", "测试单位", root=root, check=True)
    src = tmp_path / "in"
    src.mkdir()
    make_pdf(src / "a.pdf", "关于开展志愿服务活动的通知", ["志愿服务活动。"])
    untitled_pdf(src / "志愿服务现场.pdf")
    make_pdf(src / "c.pdf", "道德讲堂活动记录", ["道德讲堂。"])
    (src / "manifest.csv").write_text("路径,题名,自拟题名\nc.pdf,2023年道德讲堂活动材料,是\n", encoding="utf-8")
    code, data = cli_json("ingest", str(src), "--manifest", str(src / "manifest.csv"), "--track", "文明单位",
                          "--criterion", "2.2", "--year", "2023", "--no-ocr", root=root)
    assert code == 0, data
    return root, {d["original_name"]: d["id"] for d in data["added"]}


def test_ingest_records_the_source_and_edit_changes_it_logged(tmp_path: Path) -> None:
    root, ids = _ingest(tmp_path)
    sources = {}
    for name, doc_id in ids.items():
        code, data = cli_json("show", str(doc_id), root=root)
        sources[name] = (data["title"], data["title_source"])
    assert sources == {"a.pdf": ("关于开展志愿服务活动的通知", "content"),
                       "志愿服务现场.pdf": ("志愿服务现场", "file_name"),
                       "c.pdf": ("2023年道德讲堂活动材料", "composed")}
    blank, content = ids["志愿服务现场.pdf"], ids["a.pdf"]
    code, data = cli_json("review", root=root)
    reasons = {d["id"]: d["review_reasons"] for d in data["documents"]}
    assert any("taken from the file name" in r for r in reasons.get(blank, [])), reasons.get(blank)
    assert not any("taken from the file name" in r for r in reasons.get(content, []))
    code, data = cli_json("edit", str(blank), "--title", "志愿服务活动现场照片", "--title-composed", root=root)
    assert code == 0 and data["documents"][0]["title_source"] == "composed"
    code, data = cli_json("review", root=root)
    assert not any("taken from the file name" in r for d in data["documents"] if d["id"] == blank
                   for r in d["review_reasons"]), "a person decided the title"
    code, data = cli_json("edit", str(content), "--title", "关于开展学雷锋志愿服务活动的通知", root=root)
    assert data["documents"][0]["title_source"] == "manual"  # typed from the document: its own title
    code, data = cli_json("edit", str(content), "--title-composed", root=root)
    assert code == 0 and data["changed"] == [content] and data["documents"][0]["title_source"] == "composed"
    code, data = cli_json("edit", str(content), "--no-title-composed", root=root)
    assert data["documents"][0]["title_source"] == "manual"
    code, data = cli_json("show", str(content), "--history", root=root)
    changes = [(e["field"], e["before"], e["after"]) for e in data["history"] if e["field"] == "title_source"]
    assert changes == [("title_source", "content", "manual"), ("title_source", "manual", "composed"),
                       ("title_source", "composed", "manual")]


def test_a_bad_manifest_composed_cell_fails_its_row(tmp_path: Path) -> None:
    from bench.gen_docs import make_pdf

    root = tmp_path / "repo"
    run_cli("init", root=root, check=True)
    src = tmp_path / "in"
    src.mkdir()
    make_pdf(src / "a.pdf", "关于开展志愿服务活动的通知", ["志愿服务活动。"])
    (src / "m.csv").write_text("path,title_composed\na.pdf,maybe\n", encoding="utf-8")
    code, data = cli_json("ingest", str(src / "a.pdf"), "--manifest", str(src / "m.csv"), "--no-ocr", root=root)
    assert code == 1 and not data["added"]
    assert "title_composed" in data["failed"][0]["error"] and "maybe" in data["failed"][0]["error"]


def test_a_format_5_catalogue_migrates_file_name_titles(tmp_path: Path) -> None:
    root, ids = _ingest(tmp_path)
    with sqlite3.connect(root / "catalogue.sqlite") as db:  # what format 5 left: no title_source column
        db.execute("ALTER TABLE documents DROP COLUMN title_source")
        db.execute("PRAGMA user_version = 5")
    code, data = cli_json("list", root=root)
    assert code == 0
    sources = {d["original_name"]: d["title_source"] for d in data["documents"]}
    # the file-name title is recognised; the others' sources are unknown, so printed as they are
    assert sources == {"a.pdf": None, "志愿服务现场.pdf": "file_name", "c.pdf": None}
    with sqlite3.connect(root / "catalogue.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6


def test_a_photo_and_a_document_take_the_same_title_from_the_same_file_name(tmp_path: Path) -> None:
    """Without a title of their own, a photo and an untitled scan PDF with the same file name get the
    same title, ``metadata.file_stem``'s (the one helper): several dots kept, the space Windows
    leaves before the extension dropped; both listed as taken from the file name."""
    import datetime as dt

    from archive_kit.metadata import file_stem
    from bench.gen_scans import make_photo

    folder = tmp_path / "in" / "文明单位" / "2023"
    folder.mkdir(parents=True)
    names = ["关于开展2023年学习.通知", "学雷锋活动 合影 "]
    for n, name in enumerate(names):
        make_photo(folder / f"{name}.jpg", exif_date=dt.datetime(2023, 3, 5, 9, n), size=(640, 480), seed=n)
        with untitled_pdf(folder / f"{name}.pdf").open("ab") as f:
            f.write(f"% copy {n}\n".encode())  # two different files, not one file twice
    root = tmp_path / "repo"
    run_cli("init", "--fonds", "J001", "--unit", "测试单位", root=root, check=True)
    code, data = cli_json("ingest", str(tmp_path / "in"), "--no-ocr", root=root)
    assert code == 0 and not data["failed"], data
    got = {(d["original_name"], d["kind"]): (d["title"], d["title_source"]) for d in data["added"]}
    for name in names:
        want = (file_stem(f"{name}.jpg"), "file_name")
        assert got[(f"{name}.jpg", "photo")] == want and got[(f"{name}.pdf", "document")] == want, got
    assert file_stem("学雷锋活动 合影 .jpg") == "学雷锋活动 合影"
