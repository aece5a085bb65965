"""PDF renditions: PDFs as they are, images on A4 at true size, cached by content hash."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter

from archive_kit.archive import Archive
from archive_kit.renditions import image_to_pdf, make_rendition, rendition_path
from bench.gen_docs import NOTICE_BODY, make_docx, make_pdf
from bench.gen_scans import make_photo

A4 = (595.28, 841.89)


def _ingest(repo: Archive, path: Path):
    report = repo.ingest([path], track="civilized-unit", criterion="2.3", year=2023, ocr=False)
    assert not report.failed, report.failed
    return report.added[0]


def test_a_pdf_is_its_own_rendition_made_once(repo: Archive, tmp_path: Path) -> None:
    src = make_pdf(tmp_path / "a.pdf", "关于开展志愿服务活动的通知", NOTICE_BODY, pages=2)
    doc = _ingest(repo, src)
    path = repo.rendition(doc)
    assert path == rendition_path(repo.renditions_dir, doc.sha256)
    assert path.read_bytes() == src.read_bytes()
    stamp = path.stat().st_mtime_ns
    assert repo.rendition(doc) == path and path.stat().st_mtime_ns == stamp


def test_a_pdf_encrypted_with_an_empty_password_gets_a_decrypted_copy(repo: Archive, tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", "道德讲堂活动记录", NOTICE_BODY)
    writer = PdfWriter(clone_from=PdfReader(plain))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    enc = tmp_path / "enc.pdf"
    with open(enc, "wb") as f:
        writer.write(f)
    doc = _ingest(repo, enc)
    reader = PdfReader(repo.rendition(doc))
    assert not reader.is_encrypted
    assert "道德讲堂" in reader.pages[0].extract_text()


def test_multi_page_tiff_becomes_a_page_per_frame_and_pages_are_updated(repo: Archive, tmp_path: Path) -> None:
    frames = [Image.new("L", (1654, 2339), 255) for _ in range(3)]
    for i, f in enumerate(frames):
        ImageDraw.Draw(f).rectangle((100, 100, 600, 300 + 100 * i), fill=0)
    tif = tmp_path / "scan.tif"
    frames[0].save(tif, save_all=True, append_images=frames[1:], dpi=(200, 200), compression="tiff_deflate")
    doc = _ingest(repo, tif)
    repo.catalogue.db.execute("UPDATE documents SET pages = 1 WHERE id = ?", (doc.id,))
    rendition = make_rendition(repo.catalogue, repo.store, repo.renditions_dir, repo.get(doc.id))
    reader = PdfReader(rendition.path)
    assert rendition.pages == len(reader.pages) == 3
    assert repo.get(doc.id).pages == 3, "the catalogue takes the rendition's page count"
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_photo_is_turned_upright_by_exif_and_fits_a4(tmp_path: Path) -> None:
    # a landscape scene stored turned on its side, with EXIF orientation 6 to turn it back
    photo = make_photo(tmp_path / "p.jpg", orientation=6, size=(1600, 1200))
    assert Image.open(photo).size == (1200, 1600)
    reader = PdfReader(io.BytesIO(image_to_pdf(photo)))
    page = reader.pages[0]
    assert int(page.get("/Rotate", 0)) == 0
    (img,) = page.images
    assert img.image.size == (1600, 1200)
    assert sorted((round(float(page.mediabox.width)), round(float(page.mediabox.height)))) == [595, 842]


def test_small_image_keeps_its_true_size_and_transparency_goes_white(tmp_path: Path) -> None:
    im = Image.new("RGBA", (300, 150), (255, 0, 0, 0))
    ImageDraw.Draw(im).rectangle((10, 10, 100, 100), fill=(0, 0, 255, 255))
    png = tmp_path / "small.png"
    im.save(png, dpi=(150, 150))
    reader = PdfReader(io.BytesIO(image_to_pdf(png)))
    page = reader.pages[0]
    assert sorted((round(float(page.mediabox.width)), round(float(page.mediabox.height)))) == [595, 842]
    ops = page.get_contents().get_data().decode("latin-1")
    assert "144" in ops and "72" in ops, ops  # 300x150 px at 150 dpi = 144x72 pt, not scaled up
    (img,) = page.images
    assert img.image.convert("RGB").getpixel((200, 100)) == (255, 255, 255)


def test_docx_without_libreoffice_has_no_rendition_and_says_why(repo: Archive, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_KIT_SOFFICE", "/nonexistent")  # at ingest too, which renders Word documents
    doc = _ingest(repo, make_docx(tmp_path / "a.docx", "文明礼仪培训方案", NOTICE_BODY))
    result = make_rendition(repo.catalogue, repo.store, repo.renditions_dir, doc)
    assert result.path is None and repo.rendition(doc) is None
    assert "LibreOffice is not installed" in result.note
    assert not rendition_path(repo.renditions_dir, doc.sha256).exists()


def test_a_damaged_cached_rendition_is_reported_not_raised(repo: Archive, tmp_path: Path) -> None:
    doc = _ingest(repo, make_pdf(tmp_path / "a.pdf", "标题", NOTICE_BODY))
    repo.renditions_dir.mkdir(parents=True, exist_ok=True)
    rendition_path(repo.renditions_dir, doc.sha256).write_bytes(b"%PDF-1.4\n garbage")
    result = make_rendition(repo.catalogue, repo.store, repo.renditions_dir, doc)
    assert result.path is None and "no rendition" in result.note
