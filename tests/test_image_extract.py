"""The image extractor on real generated files: multi-page TIFF, EXIF orientation and dates,
photos without text, and hostile or broken files that must give InputFileError, never a crash."""
from __future__ import annotations

import datetime as dt
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from archive_kit.errors import InputFileError
from archive_kit.extract import ExtractOptions, extract
from archive_kit.ocr import DEFAULT_ENGINE
from bench.gen_scans import SAMPLE_TEXTS, make_photo, render_text_page

OCR = ExtractOptions(ocr=True, ocr_engine=DEFAULT_ENGINE, threads=1)
NO_OCR = ExtractOptions(ocr=False)


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims width x height 1-bit pixels, with a tiny (empty) image stream."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))
    return path


def test_multipage_tiff_reads_every_frame(tmp_path: Path) -> None:
    texts = ["第一页\n三会一课记录\n支部党员大会于二〇二三年六月二十日召开。",
             "第二页\n志愿服务记录\n职工志愿者走进社区开展文明交通劝导。"]
    frames = [render_text_page(t, size=(1240, 877), font_px=40) for t in texts]
    tif = tmp_path / "scan.tif"
    frames[0].save(tif, save_all=True, append_images=frames[1:], compression="tiff_deflate")
    assert extract(tif, "image", NO_OCR).pages == 2
    res = extract(tif, "image", OCR)
    assert res.pages == 2 and res.ocr
    assert "三会一课记录" in res.text and "志愿服务记录" in res.text
    assert res.text.index("三会一课") < res.text.index("志愿服务")
    assert res.ocr_confidence is not None and res.ocr_confidence > 0.9
    assert res.low_confidence_pages == []


def test_tiff_frame_loop_stops(tmp_path: Path) -> None:
    tif = tmp_path / "loop.tif"
    Image.new("L", (64, 64), 255).save(tif)
    data = bytearray(tif.read_bytes())
    first_ifd = struct.unpack("<I", data[4:8])[0]
    (entries,) = struct.unpack("<H", data[first_ifd:first_ifd + 2])
    next_at = first_ifd + 2 + 12 * entries
    data[next_at:next_at + 4] = struct.pack("<I", first_ifd)  # next IFD = itself
    tif.write_bytes(bytes(data))
    assert extract(tif, "image", NO_OCR).pages == 1


def test_exif_orientation_applied_and_date_kept(tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "IMG_0001.jpg", exif_date=dt.datetime(2023, 3, 5, 9, 30),
                       orientation=6, with_text=SAMPLE_TEXTS["volunteer"])
    with Image.open(photo) as stored:
        assert stored.size == (1200, 1600)  # stored sideways
    res = extract(photo, "image", OCR)
    assert res.date_hint == dt.date(2023, 3, 5)
    assert res.title_hint is None and res.pages == 1
    assert "学雷锋志愿服务" in res.text and "渝工发" in res.text


def test_exif_datetime_fallback_and_broken_exif(tmp_path: Path) -> None:
    im = Image.new("RGB", (320, 240), (120, 140, 160))
    exif = Image.Exif()
    exif[306] = "2022:11:30 08:00:00"  # DateTime only, no DateTimeOriginal
    p1 = tmp_path / "a.jpg"
    im.save(p1, exif=exif.tobytes())
    assert extract(p1, "image", NO_OCR).date_hint == dt.date(2022, 11, 30)
    exif[306] = "0000:00:00 00:00:00"
    p2 = tmp_path / "b.jpg"
    im.save(p2, exif=exif.tobytes())
    assert extract(p2, "image", NO_OCR).date_hint is None
    p3 = tmp_path / "c.jpg"
    im.save(p3, exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff garbage")
    res = extract(p3, "image", NO_OCR)
    assert res.date_hint is None and res.pages == 1


def test_photo_without_text_is_a_normal_document(tmp_path: Path) -> None:
    photo = make_photo(tmp_path / "event.jpg", exif_date=dt.datetime(2024, 5, 1, 15, 0),
                       orientation=1, with_text=None)
    res = extract(photo, "image", OCR)
    assert res.text == "" and res.ocr and res.ocr_confidence is None
    assert res.low_confidence_pages == [] and res.date_hint == dt.date(2024, 5, 1)


def test_no_ocr_gives_empty_text(tmp_path: Path) -> None:
    p = tmp_path / "page.png"
    render_text_page("职工书屋借阅登记", size=(600, 400), font_px=30).save(p)
    res = extract(p, "image", NO_OCR)
    assert res.text == "" and not res.ocr and res.pages == 1


@pytest.mark.parametrize("size", [(20000, 20000), (12000, 10000)])  # error and warning ranges
def test_decompression_bomb_is_input_error(tmp_path: Path, size: tuple[int, int]) -> None:
    p = _png_header_only(tmp_path / "bomb.png", *size)
    with pytest.raises(InputFileError, match="possible decompression bomb"):
        extract(p, "image", NO_OCR)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF", "BMP", "GIF"])
def test_truncated_images_are_input_errors(tmp_path: Path, fmt: str) -> None:
    p = tmp_path / f"page.{fmt.lower()}"
    page = render_text_page("三会一课", size=(800, 600), font_px=40, noise=0.2)
    page.save(p, format=fmt)
    assert extract(p, "image", NO_OCR).pages == 1
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 3])
    with pytest.raises(InputFileError) as err:
        extract(p, "image", NO_OCR)
    assert "\n" not in str(err.value) and str(p) in str(err.value)


def test_garbage_heic_and_missing_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"this is not an image at all")
    with pytest.raises(InputFileError, match="not a readable image"):
        extract(junk, "image", NO_OCR)
    heic = tmp_path / "IMG_1234.HEIC"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
    with pytest.raises(InputFileError, match="HEIC images are not supported"):
        extract(heic, "image", NO_OCR)
    with pytest.raises(InputFileError, match="not found"):
        extract(tmp_path / "missing.png", "image", NO_OCR)
