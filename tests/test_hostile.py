"""Hostile input: bombs, entity expansion, looping PDFs, nasty names and manifests, symlink loops.

Each is handled with a clear one-line error (or read safely), in bounded time, and nothing is
written outside the repository.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from archive_kit.extract import ExtractOptions, extract
from archive_kit.formats import detect, readable_name
from archive_kit.errors import ArchiveKitError
from bench.gen_docs import NOTICE_BODY, make_docx, make_pdf
from tests.conftest import REAL_CORPUS, cli_json

MB = 1024 * 1024
CONTENT_TYPES = {
    "docx": ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             'wordprocessingml.document.main+xml"/></Types>'),
    "xlsx": ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             'spreadsheetml.sheet.main+xml"/></Types>'),
}


def snapshot(folder: Path) -> dict[str, float]:
    """Every file under ``folder`` with its mtime (to prove nothing was written there)."""
    return {str(p): p.lstat().st_mtime for p in folder.rglob("*")}


def zip_bomb(path: Path, kind: str, member: str, size: int) -> Path:
    """A real OOXML package whose ``member`` unpacks to ``size`` bytes of zeros (a few hundred KB packed)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES[kind])
        with z.open(member, "w", force_zip64=True) as f:
            block = b"\0" * (16 * MB)
            for _ in range(size // len(block)):
                f.write(block)
    return path


@pytest.fixture(scope="module")
def docx_bomb(tmp_path_factory) -> Path:
    return zip_bomb(tmp_path_factory.mktemp("bombs") / "炸弹.docx", "docx", "word/document.xml", 576 * MB)


def test_a_docx_bomb_is_refused_without_unpacking(docx_bomb: Path, repo: Archive) -> None:
    assert docx_bomb.stat().st_size < 2 * MB
    start = time.monotonic()
    with pytest.raises(ArchiveKitError, match="zip bomb"):
        detect(docx_bomb)
    rc, data = cli_json("ingest", str(docx_bomb), root=repo.root)
    assert rc == 1 and "zip bomb" in data["failed"][0]["error"]
    assert time.monotonic() - start < 30


def test_an_xlsx_bomb_is_refused_before_any_converter_sees_it(tmp_path: Path) -> None:
    bomb = zip_bomb(tmp_path / "表.xlsx", "xlsx", "xl/workbook.xml", 576 * MB)
    with pytest.raises(ArchiveKitError, match="zip bomb"):
        detect(bomb)


def test_a_docx_of_zeros_under_the_size_limit_fails_cleanly(tmp_path: Path) -> None:
    junk = zip_bomb(tmp_path / "零.docx", "docx", "word/document.xml", 48 * MB)
    with pytest.raises(ArchiveKitError, match="Word document"):
        extract(junk, "docx", ExtractOptions(ocr=False))


def docx_with_document_xml(path: Path, document_xml: str) -> Path:
    """A real DOCX (made by python-docx) whose word/document.xml is replaced by ``document_xml``."""
    src = make_docx(path.with_suffix(".src.docx"), "标题", ["正文"])
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = document_xml.encode("utf-8") if item.filename == "word/document.xml" else zin.read(item)
            zout.writestr(item, data)
    src.unlink()
    return path


def billion_laughs_docx(path: Path, depth: int = 9) -> Path:
    """A DOCX whose document.xml defines nested entities that expand to 3·10^depth characters
    (depth 9: gigabytes)."""
    lol = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">'
                                      for i in range(1, depth + 1)]
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<!DOCTYPE w:document [' + "".join(lol) + ']>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           f'<w:p><w:r><w:t>笑声&lol{depth};结束</w:t></w:r></w:p></w:body></w:document>')
    return docx_with_document_xml(path, doc)


class FifoWatch:
    """A named pipe standing in for a local file a document points to. Opening it for reading is
    seen from here (a non-blocking writer can open a FIFO only while a reader has it open); the
    reader then gets ``secret`` so a read, were it to happen, would also show in the text."""

    def __init__(self, path: Path, secret: str) -> None:
        import threading

        os.mkfifo(path)
        self.path, self.secret, self.opened = path, secret, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: nobody has it open for reading
                time.sleep(0.005)
                continue
            self.opened += 1
            try:
                os.write(fd, self.secret.encode("utf-8"))
            finally:
                os.close(fd)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


def external_entity_docx(path: Path, target: Path) -> Path:
    """A DOCX whose document.xml names a local file three ways: an external general entity used in
    the text, an external parameter entity used in the DTD, and an external DTD."""
    uri = target.as_uri()
    doc = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           f'<!DOCTYPE w:document SYSTEM "{uri}" [<!ENTITY xxe SYSTEM "{uri}"><!ENTITY % pe SYSTEM "{uri}"> %pe;]>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           '<w:p><w:r><w:t>外部实体&xxe;结束</w:t></w:r></w:p></w:body></w:document>')
    return docx_with_document_xml(path, doc)


# depth 3 (3,000 characters) is small enough that libxml2's own amplification guard lets it through,
# so only our parser settings keep it out; depth 9 is the real bomb, which must end quickly.
@pytest.mark.parametrize("depth", [3, 9])
def test_entity_expansion_in_a_docx_does_not_expand(tmp_path: Path, repo: Archive, depth: int) -> None:
    bomb = billion_laughs_docx(tmp_path / "笑.docx", depth)
    start = time.monotonic()
    try:
        text = extract(bomb, "docx", ExtractOptions(ocr=False)).text
    except ArchiveKitError as e:
        text = str(e)
    assert "lollol" not in text and len(text) < 1_000
    rc, data = cli_json("ingest", str(bomb), "--no-ocr", root=repo.root)
    assert time.monotonic() - start < 30
    added = data["added"]
    assert (rc == 0 and added[0]["text_chars"] < 1_000) or (rc == 1 and "\n" not in data["failed"][0]["error"])
    assert all("lollol" not in repo.text(d["id"]) for d in added)


def test_external_entities_in_a_docx_read_nothing(tmp_path: Path, repo: Archive) -> None:
    secret = "机密外部文件内容XXE"
    watch = FifoWatch(tmp_path / "secret.txt", secret)
    try:
        docx = external_entity_docx(tmp_path / "外部实体.docx", watch.path)
        try:
            text = extract(docx, "docx", ExtractOptions(ocr=False)).text
        except ArchiveKitError as e:
            text = str(e)
        rc, data = cli_json("ingest", str(docx), "--no-ocr", root=repo.root)
        stored = [repo.text(d["id"]) for d in data["added"]]
    finally:
        watch.stop()
    assert watch.opened == 0, "the referenced file was opened"
    assert secret not in text and "XXE" not in text
    assert all(secret not in t for t in stored)
    assert (rc == 0 and "外部实体" in stored[0]) or (rc == 1 and "\n" not in data["failed"][0]["error"])


def test_image_decompression_bombs_fail_with_a_clear_line(tmp_path: Path, repo: Archive) -> None:
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.new("1", (40_000, 40_000)).save(folder / "巨图.png", optimize=True)  # 1.6 G pixels, small file
    for name in ("pillow__decompression_bomb.gif", "pillow__png_decompression_dos.png"):
        if (REAL_CORPUS / name).exists():
            shutil.copy(REAL_CORPUS / name, folder / name)
    rc, data = cli_json("ingest", str(folder), root=repo.root)
    failed = {Path(f["path"]).name: f["error"] for f in data["failed"]}
    assert "巨图.png" in failed and ("too large" in failed["巨图.png"] or "bomb" in failed["巨图.png"]), failed
    assert all("\n" not in e and "Traceback" not in e for e in failed.values())


@pytest.mark.skipif(not REAL_CORPUS.is_dir(), reason="shared corpus not present")
def test_pdfs_with_reference_loops_and_deep_nesting_end_in_bounded_time(tmp_path: Path, repo: Archive) -> None:
    folder = tmp_path / "pdfs"
    folder.mkdir()
    names = ["qpdf__append-xref-loop.pdf", "qpdf__deep-pages.pdf", "pdfjs__Pages-tree-refs.pdf",
             "qpdf__outlines-with-loop.pdf", "pdfjs__bomb_giant.pdf", "qpdf__issue-335b.pdf"]
    for n in names:
        shutil.copy(REAL_CORPUS / n, folder / n)
    repo.config.worker_timeout_s = 60
    repo.config.save(repo.root / "config.json")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "archive_kit", "--root", str(repo.root), "ingest", str(folder),
                           "--no-ocr", "--json"], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr and proc.returncode in (0, 1)
    data = json.loads(proc.stdout)
    seen = {d["original_name"] for d in data["added"]} | {Path(f["path"]).name for f in data["failed"]}
    assert seen == set(names)
    assert all("\n" not in f["error"] and not f["error"].startswith("unexpected") for f in data["failed"]), data["failed"]
    assert time.monotonic() - start < 200


def test_names_with_control_characters_are_shown_on_one_line(tmp_path: Path, repo: Archive) -> None:
    folder = tmp_path / "names"
    folder.mkdir()
    make_pdf(folder / "通知\n第二行\x07.pdf", "关于志愿服务的通知", NOTICE_BODY)
    make_pdf(folder / "通知..%2e%2f..pdf", "关于学习的通知", NOTICE_BODY)
    before = snapshot(tmp_path)
    rc, data = cli_json("ingest", str(folder), "--no-ocr", root=repo.root)
    assert rc == 0
    names = sorted(d["original_name"] for d in data["added"])
    assert names == sorted(["通知\\x0a第二行\\x07.pdf", "通知..%2e%2f..pdf"])
    assert all("\n" not in d["source_path"] for d in data["added"])
    after = snapshot(tmp_path)
    assert {k for k in after if not k.startswith(str(repo.root))} == {k for k in before if not k.startswith(str(repo.root))}


def test_gbk_byte_names_are_shown_decoded_and_json_stays_utf8(tmp_path: Path, repo: Archive) -> None:
    folder = tmp_path / "zip-from-windows"
    folder.mkdir()
    src = make_pdf(tmp_path / "src.pdf", "关于开展志愿服务的通知", NOTICE_BODY)
    bfolder = os.fsencode(folder)
    names = {"通知".encode("gbk") + b".pdf": "通知.pdf",
             "会议纪要（2023）".encode("gbk") + b".pdf": "会议纪要（2023）.pdf",
             b"\xff\xfe\x80bad.pdf": "\\xff\\xfe\\x80bad.pdf"}
    for i, raw in enumerate(names):
        with open(bfolder + b"/" + raw, "wb") as f:
            f.write(src.read_bytes() + b"%" + str(i).encode())  # different bytes, same document
    sub = bfolder + b"/" + "党建".encode("gbk")
    os.mkdir(sub)
    with open(sub + b"/" + "学习".encode("gbk") + b".pdf", "wb") as f:
        f.write(src.read_bytes() + b"%sub")
    proc = subprocess.run([sys.executable, "-m", "archive_kit", "--root", str(repo.root), "ingest", str(folder),
                           "--no-ocr", "--json"], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    data = json.loads(proc.stdout.decode("utf-8"))  # strict UTF-8
    shown = sorted(d["original_name"] for d in data["added"])
    assert shown == sorted([*names.values(), "学习.pdf"])
    assert any(d["source_path"].endswith("党建/学习.pdf") for d in data["added"])
    rc, listed = cli_json("list", root=repo.root)
    assert sorted(d["original_name"] for d in listed["documents"]) == shown
    rc, hits = cli_json("search", "通知", root=repo.root)
    assert rc == 0 and hits["total"] >= 1


def test_readable_name_prefers_utf8_and_falls_back_to_gb18030() -> None:
    assert readable_name("正常的名字.pdf") == "正常的名字.pdf"
    assert readable_name("résumé.pdf") == "résumé.pdf"
    assert readable_name(os.fsdecode("关于表彰的决定".encode("gb18030"))) == "关于表彰的决定"
    assert readable_name("a\tb") == "a\\x09b"


def test_manifest_paths_that_leave_its_folder_are_refused(tmp_path: Path, repo: Archive) -> None:
    outside = make_pdf(tmp_path / "外面.pdf", "外部文件", NOTICE_BODY)
    folder = tmp_path / "batch"
    folder.mkdir()
    make_pdf(folder / "里面.pdf", "内部文件", NOTICE_BODY)
    os.symlink(outside, folder / "链接.pdf")
    (folder / "清单.csv").write_text(
        "path,track\n里面.pdf,文明\n../外面.pdf,文明\n" + f"{outside},文明\n" + "/etc/passwd,文明\n链接.pdf,文明\n"
        "sub/../../外面.pdf,文明\n", encoding="utf-8")
    rc, data = cli_json("ingest", "--manifest", str(folder / "清单.csv"), "--no-ocr", root=repo.root)
    assert rc == 1
    assert [d["original_name"] for d in data["added"]] == ["里面.pdf"]
    refused = [f for f in data["failed"] if "leaves the manifest's folder" in f["error"]]
    assert len(refused) == 5, data["failed"]


def test_symlink_loops_in_folders_end_with_clear_lines(tmp_path: Path, repo: Archive) -> None:
    folder = tmp_path / "loops"
    (folder / "sub").mkdir(parents=True)
    make_pdf(folder / "sub" / "通知.pdf", "关于志愿服务的通知", NOTICE_BODY)
    os.symlink(folder, folder / "sub" / "回到上级")  # a folder loop
    os.symlink(folder / "b.pdf", folder / "a.pdf")  # a file loop a -> b -> a
    os.symlink(folder / "a.pdf", folder / "b.pdf")
    start = time.monotonic()
    rc, data = cli_json("ingest", str(folder), str(folder / "a.pdf"), "--no-ocr", root=repo.root)
    assert time.monotonic() - start < 60
    assert [d["original_name"] for d in data["added"]] == ["通知.pdf"]
    assert {Path(f["path"]).name for f in data["failed"]} == {"a.pdf", "b.pdf"}
    assert all("\n" not in f["error"] for f in data["failed"])
