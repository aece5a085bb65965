"""Inspection bundles built from real files: generated PDFs, a DOCX through real LibreOffice,
a scanned page, a photo; read back with pypdf, bagit and pdftoppm."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import bagit
import pytest
from PIL import Image
from pypdf import PdfReader

from archive_kit.archive import Archive
from archive_kit.errors import UsageError
from archive_kit.office import soffice_path
from archive_kit.renditions import rendition_path
from archive_kit.safenames import MAX_BYTES, NameAllocator, safe_name
from bench.gen_docs import NOTICE_BODY, make_docx, make_pdf, random_paragraphs
from bench.gen_scans import make_photo, render_text_page
from tests.conftest import cli_json

TRACK = "civilized-unit"


def _add(archive: Archive, path: Path, criterion: str, **values) -> int:
    report = archive.ingest([path], track=TRACK, criterion=criterion, year=2023, ocr=False)
    assert not report.failed, report.failed
    doc_id = report.added[0].id
    if values:
        with archive.catalogue.transaction():
            archive.catalogue.update_document(doc_id, values)
    return doc_id


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    """A year of evidence and its bundle (built once for the module)."""
    import random

    base = tmp_path_factory.mktemp("bundle")
    ev = base / "evidence"
    ev.mkdir()
    rng = random.Random(7)
    archive = Archive.init(base / "repo", fonds="J001", unit="市直机关工委")
    ids = {}
    ids["notice"] = _add(archive, make_pdf(ev / "notice.pdf", "关于开展志愿服务活动的通知", NOTICE_BODY,
                                           doc_number="市直工委发〔2023〕5号", date_text="2023年3月5日"), "2.3")
    ids["long"] = _add(archive, make_pdf(ev / "long.pdf", "道德讲堂活动记录汇编", random_paragraphs(rng, 5),
                                         date_text="2023年4月8日", pages=4), "1.3")
    if soffice_path():
        ids["docx"] = _add(archive, make_docx(ev / "plan.docx", "文明礼仪培训实施方案", random_paragraphs(rng, 12),
                                              date_text="2023年5月6日"), "5.1")
    scan = render_text_page("职工书屋读书活动签到表\n参加人员：张三、李四、王五\n市直机关工委\n2023年6月1日")
    scan.save(ev / "scan.png", dpi=(200, 200))
    ids["scan"] = _add(archive, ev / "scan.png", "6.1", title="职工书屋读书活动签到表", date="2023-06-01")
    make_photo(ev / "photo.jpg", exif_date=dt.datetime(2023, 7, 1, 9, 30), orientation=6, with_text="志愿服务")
    ids["photo"] = _add(archive, ev / "photo.jpg", "2.3", title="社区志愿服务活动现场", date="2023-07-01",
                        remarks="地点：幸福社区；人员：机关党员志愿者")
    ids["hostile"] = _add(archive, make_pdf(ev / "hostile.pdf", "环境卫生检查记录", NOTICE_BODY), "7.1",
                          title="../../x/CON\n" + "长" * 300)
    archive.tag([ids["notice"]], link=[f"{TRACK}:4.1"])
    out = base / "out"
    report = archive.bundle(out, track=TRACK, year=2023, zip=True)
    yield archive, report, out, ids
    archive.close()


def _verifies(archive: Archive, bundle: Path, ids: dict[str, int]) -> None:
    """The bundle verifies: no problem, and the one failing 四性 check is the hostile item's title,
    set by hand and not on its page (fourprops: metadata consistent with the file)."""
    result = archive.verify_bundle(bundle)
    assert not result.problems, result.problems
    failed = [(c.property, c.check, c.item) for c in result.checks if not c.ok]
    assert failed == [("authenticity", "title", archive.get(ids["hostile"]).item_number)], failed


def _pages_of(report) -> dict[int, dict]:
    """document id -> its first placement in the contents."""
    out: dict[int, dict] = {}
    for sec in report.contents:
        for d in sec["documents"]:
            out.setdefault(d["id"], d)
    return out


def test_every_document_starts_where_the_contents_says_with_its_stamp(built) -> None:
    archive, report, out, ids = built
    reader = PdfReader(out / "bundle.pdf")
    placed = _pages_of(report)
    assert set(placed) == set(ids.values())
    for doc_id, entry in placed.items():
        doc = archive.get(doc_id)
        assert doc.item_number and doc.archival_code, "documents are numbered before they are stamped"
        # the contents names a page number as printed (and as the page label shows)
        index = report.front_pages + entry["start_page"] - 1
        assert index == entry["pdf_page"] - 1
        text = reader.pages[index].extract_text()
        assert "J001" in text and f"{doc.item_number:04d}" in text and "全宗号" in text, (doc.title, text[:200])
        assert f"- {entry['start_page']} -" in text
        if doc.format in ("pdf", "docx"):
            expected = "环境卫生检查记录" if doc_id == ids["hostile"] else doc.title[:6]
            assert expected in text.replace("\n", ""), (doc.title, text[:300])
        else:  # photos and scans carry a caption with their title
            assert f"题名：{doc.title}" in text
    assert "备注：地点：幸福社区" in reader.pages[report.front_pages + placed[ids["photo"]]["start_page"] - 1].extract_text()
    assert report.pages == len(reader.pages) - report.front_pages
    assert report.documents == len(ids)


def test_contents_lists_every_criterion_marks_gaps_and_repeats_linked_documents(built) -> None:
    archive, report, out, ids = built
    schema = archive.registry.require(TRACK)
    assert [s["criterion"] for s in report.contents] == [c.code for c in schema.criteria]
    by_code = {s["criterion"]: s for s in report.contents}
    assert by_code["2.1"]["missing"] and not by_code["2.3"]["missing"] and not by_code["2"]["missing"]
    # a veto condition (一票否决) is confirmed at the inspection: never listed as missing evidence
    vetoes = [c.code for c in schema.criteria if schema.under_veto(c.code)]
    assert vetoes and not any(by_code[v]["missing"] for v in vetoes)
    assert not {m["criterion"] for m in report.missing} & set(vetoes)
    linked = [d for d in by_code["4.1"]["documents"] if d["id"] == ids["notice"]]
    assert linked and linked[0]["linked"]
    first = [d for d in by_code["2.3"]["documents"] if d["id"] == ids["notice"]][0]
    assert linked[0]["start_page"] == first["start_page"]
    reader = PdfReader(out / "bundle.pdf")
    toc = "".join(reader.pages[i].extract_text() for i in range(1, report.front_pages))
    assert "缺少佐证材料" in toc and "2.1 志愿服务组织" in toc
    assert toc.count(archive.get(ids["notice"]).archival_code) == 2


def test_contents_rows_link_to_the_documents_pages(built) -> None:
    archive, report, out, ids = built
    reader = PdfReader(out / "bundle.pdf")
    page_index = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    targets = []
    for i in range(1, report.front_pages):
        for annot in reader.pages[i].get("/Annots") or []:
            a = annot.get_object()
            if a.get("/Subtype") == "/Link":
                targets.append(page_index[a["/Dest"][0].idnum])
    expected = sorted(d["pdf_page"] - 1 for s in report.contents for d in s["documents"])
    assert sorted(targets) == expected


def test_outline_and_page_labels(built) -> None:
    archive, report, out, ids = built
    reader = PdfReader(out / "bundle.pdf")
    top = [o for o in reader.outline if not isinstance(o, list)]
    schema = archive.registry.require(TRACK)
    assert [o.title.split("（")[0] for o in top] == [c.label for c in schema.top_level()]

    def walk(items, depth=0):
        for o in items:
            if isinstance(o, list):
                yield from walk(o, depth + 1)
            else:
                yield o, depth

    titles = {o.title: reader.get_destination_page_number(o) for o, _ in walk(reader.outline)}
    notice = archive.get(ids["notice"])
    assert titles[f"{notice.archival_code} {notice.title}"] == _pages_of(report)[notice.id]["pdf_page"] - 1
    labels = reader.page_labels
    assert labels[: report.front_pages] == ["i", "ii", "iii", "iv", "v"][: report.front_pages]
    assert labels[report.front_pages:] == [str(n) for n in range(1, report.pages + 1)]


def test_bag_is_valid_and_holds_safely_named_originals(built) -> None:
    archive, report, out, ids = built
    bag = bagit.Bag(str(out))
    bag.validate()
    assert bag.info["Track"] == TRACK and bag.info["Year"] == "2023" and bag.info["Source-Organization"] == "市直机关工委"
    names = sorted(p.name for p in (out / "data" / "originals").iterdir())
    assert len(names) == len(ids)
    for name in names:
        assert "/" not in name and "\n" not in name and len(name.encode()) <= MAX_BYTES
    hostile = archive.get(ids["hostile"])
    hostile_name = [n for n in names if n.startswith(f"{hostile.item_number:04d}_")]
    assert len(hostile_name) == 1 and hostile_name[0].endswith(".pdf") and "x_CON 长长" in hostile_name[0]
    for f in ("bundle.pdf", "目录.docx", "目录.xlsx", "data/originals.json"):
        assert (out / f).is_file()
    assert (out.parent / "out.zip").is_file()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")], "no temporary folders left"


def test_editable_contents_match(built) -> None:
    import docx
    from openpyxl import load_workbook

    archive, report, out, ids = built
    code = archive.get(ids["long"]).archival_code
    ws = load_workbook(out / "目录.xlsx").active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[2] == ["测评指标", "序号", "档号", "文号", "责任者", "题名", "日期", "密级", "起始页", "页数", "备注"]
    row = [r for r in rows if r[2] == code][0]
    assert row[8] == _pages_of(report)[ids["long"]]["start_page"] and row[9] == 4
    assert any(r[10] == "缺少佐证材料" for r in rows)
    d = docx.Document(str(out / "目录.docx"))
    assert code in [c.text for c in d.tables[0].column_cells(2)]


def test_tampered_original_and_stray_file_are_all_reported(built, tmp_path: Path) -> None:
    archive, report, out, ids = built
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    _verifies(archive, copy, ids)
    victim = sorted((copy / "data" / "originals").iterdir())[0]
    victim.chmod(0o644)
    victim.write_bytes(victim.read_bytes() + b"x")
    (copy / "data" / "extra.txt").write_text("x")
    (copy / "bundle.pdf").write_bytes((copy / "bundle.pdf").read_bytes() + b"%tampered")
    result = archive.verify_bundle(copy)
    assert not result.ok
    text = json.dumps(result.to_json(), ensure_ascii=False)
    assert victim.name in text and "extra.txt" in text
    assert "bundle.pdf" in text, "the tag manifest covers bundle.pdf"
    assert any("differs from the repository" in p["problem"] for p in result.problems)


def test_rebuilding_gives_the_same_bytes_and_refuses_a_full_folder(built, tmp_path: Path) -> None:
    archive, report, out, ids = built
    with pytest.raises(UsageError):
        archive.bundle(out, track=TRACK, year=2023)
    again = tmp_path / "again"
    archive.bundle(again, track=TRACK, year=2023)
    for rel in ("bundle.pdf", "目录.docx", "目录.xlsx", "data/originals.json", "manifest-sha256.txt"):
        assert (out / rel).read_bytes() == (again / rel).read_bytes(), rel
    (again / "bundle.pdf").write_bytes(b"")
    archive.bundle(again, track=TRACK, year=2023, force=True)
    assert (again / "bundle.pdf").read_bytes() == (out / "bundle.pdf").read_bytes()


def _png_not_blank(pdf: Path, page: int, tmp: Path) -> None:
    """Render one page with pdftoppm and check it has ink."""
    stem = tmp / f"p{page}"
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(stem)], check=True, timeout=60)
    im = Image.open(f"{stem}.png").convert("L")
    dark = sum(im.histogram()[:128])
    assert dark > 200, f"page {page} renders blank"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_cover_contents_and_a_stamped_page_render(built, tmp_path: Path) -> None:
    archive, report, out, ids = built
    pdf = out / "bundle.pdf"
    for page in (1, 2, report.front_pages + 1):
        _png_not_blank(pdf, page, tmp_path)


def test_without_libreoffice_a_docx_gets_a_placeholder_and_keeps_its_original(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_KIT_SOFFICE", "/nonexistent")
    archive = Archive.init(tmp_path / "repo", fonds="J002", unit="测试单位")
    doc_id = _add(archive, make_docx(tmp_path / "方案.docx", "文明礼仪培训方案", NOTICE_BODY), "5.1")
    pdf_id = _add(archive, make_pdf(tmp_path / "a.pdf", "关于开展志愿服务活动的通知", NOTICE_BODY), "2.3")
    # a damaged cached rendition must not abort the bundle either
    archive.renditions_dir.mkdir(parents=True, exist_ok=True)
    rendition_path(archive.renditions_dir, archive.get(pdf_id).sha256).write_bytes(b"%PDF-1.4 broken")
    report = archive.bundle(tmp_path / "out", track=TRACK, year=2023)
    doc = archive.get(doc_id)
    assert any("LibreOffice is not installed" in n for n in report.notes)
    placed = _pages_of(report)
    reader = PdfReader(tmp_path / "out" / "bundle.pdf")
    text = reader.pages[placed[doc_id]["pdf_page"] - 1].extract_text()
    assert "未能生成" in text and doc.archival_code in text and "文明礼仪培训方案" in text and "J002" in text
    assert not placed[doc_id]["rendition"]
    assert "未能生成" in reader.pages[placed[pdf_id]["pdf_page"] - 1].extract_text()
    assert sorted(p.suffix for p in (tmp_path / "out" / "data" / "originals").iterdir()) == [".docx", ".pdf"]
    bagit.Bag(str(tmp_path / "out")).validate()
    archive.close()


def test_cli_bundle_and_verify_bundle(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    archive = Archive.init(root, fonds="J001", unit="测试单位")
    _add(archive, make_pdf(tmp_path / "a.pdf", "关于开展志愿服务活动的通知", NOTICE_BODY), "2.3")
    archive.close()
    code, data = cli_json("bundle", "--track", "文明单位", "--year", "2023", "--criterion", "2",
                          "--out", str(tmp_path / "b"), root=root)
    assert code == 0 and data["documents"] == 1 and data["pages"] == 1
    assert [s["criterion"] for s in data["contents"]] == ["2", "2.1", "2.2", "2.3"]
    assert bagit.Bag(str(tmp_path / "b")).info["Criterion"].startswith("2 ")
    code, data = cli_json("verify-bundle", str(tmp_path / "b"), root=root)
    assert code == 0 and data["ok"] and data["checked"] == 1


@pytest.mark.parametrize("title", ["../../x", "CON", "长" * 300, "/", "a\nb\r\nc", "aux.txt", "名字. . ", "\x00\x1f"])
def test_hostile_titles_give_safe_names(title: str) -> None:
    name = safe_name(f"0001_{title}" if title != "CON" else title, "pdf")
    stem = name[: -len(".pdf")]
    assert name.endswith(".pdf") and len(name.encode("utf-8")) <= MAX_BYTES
    assert not any(c in name for c in '/\\:*?"<>|\n\r\x00\x1f')
    assert stem.split(".")[0].upper() not in {"CON", "AUX", "NUL", "PRN"}
    assert not stem.endswith((".", " ")) and name != ".pdf"


def test_names_never_collide_case_insensitively() -> None:
    names = NameAllocator()
    got = [names.name(t, "pdf") for t in ["Report", "report", "REPORT", "报告", "报告"]]
    assert len({g.casefold() for g in got}) == len(got)


def test_a_killed_build_leaves_nothing_that_blocks_the_rerun(built, tmp_path: Path) -> None:
    """Leftovers of a dead build (temp folder, temp zip) are cleaned; the rerun completes."""
    archive, report, out, ids = built
    target = tmp_path / "rerun"
    dead_pid = 2 ** 22 + 12345  # above pid_max: no such process
    (tmp_path / f".rerun.tmp-{dead_pid}-abcd" / "data").mkdir(parents=True)
    (tmp_path / f".rerun.zip.tmp-{dead_pid}").write_bytes(b"partial zip")
    archive.bundle(target, track=TRACK, year=2023, zip=True)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".rerun", "rerun"))) == ["rerun", "rerun.zip"]
    _verifies(archive, target, ids)
