"""Real seed files for fuzzing, and a small deterministic byte mutator."""
from __future__ import annotations

import io
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real"
MAX_SEED = 300_000  # small seeds mutate into interesting files faster
CORPUS_PREFIX = {"pdf": (".pdf",), "docx": (".docx",), "image": (".png", ".jpg", ".gif", ".tif", ".tiff")}


def _generated(tmp: Path) -> dict[str, list[bytes]]:
    """A born-digital Chinese PDF, a DOCX with a table, and PNG/JPEG/TIFF images with EXIF."""
    from PIL import Image, ImageDraw

    from bench.gen_docs import NOTICE_BODY, make_docx, make_pdf

    pdf = make_pdf(tmp / "seed.pdf", "关于开展志愿服务的通知", NOTICE_BODY[:2], doc_number="渝工发〔2023〕35号")
    docx = make_docx(tmp / "seed.docx", "工作总结", NOTICE_BODY[:2], table=[["序号", "姓名"], ["1", "张三"]])
    images = []
    im = Image.new("RGB", (64, 48), "white")
    ImageDraw.Draw(im).text((4, 4), "ab", fill="black")
    exif = Image.Exif()
    exif[0x0132] = "2023:03:05 10:00:00"
    for fmt in ("PNG", "JPEG", "TIFF", "GIF"):
        buf = io.BytesIO()
        im.save(buf, format=fmt, **({"exif": exif} if fmt in ("JPEG", "PNG") else {}))
        images.append(buf.getvalue())
    return {"pdf": [pdf.read_bytes()], "docx": [docx.read_bytes()], "image": images}


def seed_bytes(tmp: Path) -> dict[str, list[bytes]]:
    """Seeds per format: generated first, then the shared corpus's small real files."""
    seeds = _generated(tmp)
    if CORPUS.is_dir():
        for f in sorted(CORPUS.iterdir()):
            if f.stat().st_size > MAX_SEED or f.name.startswith("~$"):
                continue
            for fmt, suffixes in CORPUS_PREFIX.items():
                if f.suffix.lower() in suffixes:
                    seeds[fmt].append(f.read_bytes())
    return seeds


def mutate(data: bytes, edits: list[tuple[str, float, int]]) -> bytes:
    """Apply edits (kind, position as a fraction, byte) to ``data``: flip, set, cut, dup, insert, truncate."""
    buf = bytearray(data)
    for kind, frac, value in edits:
        if not buf:
            buf = bytearray([value])
            continue
        pos = min(int(frac * len(buf)), len(buf) - 1)
        if kind == "flip":
            buf[pos] ^= 1 << (value % 8)
        elif kind == "set":
            buf[pos] = value
        elif kind == "cut":
            del buf[pos:pos + value + 1]
        elif kind == "dup":
            buf[pos:pos] = buf[pos:pos + value + 1]
        elif kind == "insert":
            buf[pos:pos] = bytes([value]) * (value % 16 + 1)
        elif kind == "truncate":
            del buf[pos:]
    return bytes(buf)
