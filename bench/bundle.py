"""Benchmark: assembling an inspection bundle of 300 documents / about 1,500 pages (renditions
cached), the extra cost of its offline inspector site (``--site``) and of its 四性 check (also run
inside every build, for the report), the part of the assembly spent finding each first page's
blank top for the 归档章 (one low-resolution render per document), and LibreOffice rendition
time per DOCX.

    python bench/bundle.py [--docs 300] [--docx 3] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: bench.*, this archive_kit

from archive_kit.archive import Archive  # noqa: E402
from archive_kit.bundle.fourprops import four_property_checks  # noqa: E402
from archive_kit.bundle.front import A4  # noqa: E402
from archive_kit.bundle.pdf import find_stamp_places  # noqa: E402
from archive_kit.fonts import require_cjk_font  # noqa: E402
from archive_kit.office import soffice_path  # noqa: E402
from bench.gen_docs import PHRASES, make_docx, random_paragraphs  # noqa: E402

TRACK = "civilized-unit"


def make_fast_pdfs(folder: Path, n: int, pages: int, seed: int = 1) -> list[Path]:
    """``n`` distinct Chinese PDFs of ``pages`` pages each: one fpdf2 document (the font is
    subset once), split into files with pypdf."""
    from fpdf import FPDF
    from pypdf import PdfReader, PdfWriter

    rng = random.Random(seed)
    pdf = FPDF(format="A4")
    pdf.add_font("cjk", "", str(require_cjk_font()))
    for i in range(n):
        title = f"关于开展{rng.choice(PHRASES)}工作的情况报告（第{i + 1}号）"
        for p in range(pages):
            pdf.add_page()
            if p == 0:
                pdf.set_font("cjk", size=16)
                pdf.multi_cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("cjk", size=12)
            for para in random_paragraphs(rng, 3):
                pdf.multi_cell(0, 7, para, new_x="LMARGIN", new_y="NEXT")
            if p == pages - 1:
                pdf.cell(0, 8, f"2023年{rng.randint(1, 12)}月{rng.randint(1, 28)}日", align="R")
    whole = folder / "all.pdf"
    pdf.output(str(whole))
    reader = PdfReader(whole)
    out = []
    for i in range(n):
        writer = PdfWriter()
        for p in range(i * pages, (i + 1) * pages):
            writer.add_page(reader.pages[p])
        path = folder / f"doc{i:04d}.pdf"
        with open(path, "wb") as f:
            writer.write(f)
        out.append(path)
    whole.unlink()
    return out


def _size(folder: Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; ``--json`` ends with one JSON object."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--pages", type=int, default=5, help="pages per document")
    ap.add_argument("--docx", type=int, default=3, help="DOCX files to render with LibreOffice")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="archive-kit-bench-bundle-"))
    try:
        ev = work / "evidence"
        ev.mkdir()
        t = time.perf_counter()
        files = make_fast_pdfs(ev, args.docs, args.pages)
        gen_s = time.perf_counter() - t
        archive = Archive.init(work / "repo", fonds="J001", unit="市直机关工委")
        schema = archive.registry.require(TRACK)
        leaves = [c.code for c in schema.criteria if not schema.children(c.code)]
        t = time.perf_counter()
        for i, code in enumerate(leaves):
            chunk = files[i::len(leaves)]
            if chunk:
                archive.ingest(chunk, track=TRACK, criterion=code, year=2023, ocr=False)
        ingest_s = time.perf_counter() - t
        # warm-up build: numbering and renditions (cached by content hash from here on)
        archive.bundle(work / "warm", track=TRACK, year=2023)
        t = time.perf_counter()
        report = archive.bundle(work / "out", track=TRACK, year=2023)
        assembly_s = time.perf_counter() - t
        t = time.perf_counter()
        archive.bundle(work / "site", track=TRACK, year=2023, site=True)
        site_s = time.perf_counter() - t - assembly_s
        t = time.perf_counter()
        places = find_stamp_places([(i, str(p), A4) for i, p in enumerate(files)], archive.worker_limits())
        stamp_s = time.perf_counter() - t
        shrunk = sum(isinstance(v, str) for v in places.values())
        t = time.perf_counter()
        checks = four_property_checks(work / "out")
        fourprops_s = time.perf_counter() - t
        t = time.perf_counter()
        verified = archive.verify_bundle(work / "out")
        verify_s = time.perf_counter() - t
        docx_s = None
        if soffice_path() and args.docx:
            rng = random.Random(3)
            times = []
            for i in range(args.docx):
                path = make_docx(ev / f"w{i}.docx", f"文明礼仪培训方案（{i + 1}）", random_paragraphs(rng, 10))
                doc = archive.ingest([path], track=TRACK, criterion="5.1", year=2023, ocr=False).added[0]
                t = time.perf_counter()
                archive.rendition(doc)
                times.append(time.perf_counter() - t)
            docx_s = sum(times) / len(times)
        archive.close()
        size_mb = (work / "out" / "bundle.pdf").stat().st_size / 1e6
        result = {"pages": report.pages, "documents": report.documents, "assembly_s": round(assembly_s, 2),
                  "pages_per_s": round(report.pages / assembly_s, 1),
                  "docx_rendition_s": round(docx_s, 2) if docx_s is not None else None,
                  "bundle_mb": round(size_mb, 1), "cpu_count": os.cpu_count(),
                  "stamp_place_s": round(stamp_s, 2), "stamp_shrunk": shrunk,
                  "site_s": round(site_s, 2), "site_mb": round(_size(work / "site" / "site") / 1e6, 1),
                  "fourprops_s": round(fourprops_s, 2), "fourprops_checks": len(checks),
                  "fourprops_failed": sum(not c.ok for c in checks), "verify_bundle_s": round(verify_s, 2),
                  "verify_bundle_ok": verified.ok,
                  "generate_s": round(gen_s, 1), "ingest_s": round(ingest_s, 1)}
        print(f"cpu_count={os.cpu_count()}  generated {args.docs} PDFs in {gen_s:.1f} s, ingested in {ingest_s:.1f} s",
              file=sys.stderr if args.json else sys.stdout)
        print(f"assembly: {report.documents} documents, {report.pages} pages in {assembly_s:.2f} s "
              f"({report.pages / assembly_s:.0f} pages/s), bundle.pdf {size_mb:.1f} MB",
              file=sys.stderr if args.json else sys.stdout)
        print(f"归档章 placement (inside the assembly): {stamp_s:.2f} s for {len(files)} first pages "
              f"({1000 * stamp_s / max(1, len(files)):.0f} ms each), {shrunk} shrunk for want of a blank top",
              file=sys.stderr if args.json else sys.stdout)
        print(f"--site: {site_s:+.2f} s against the build without it (a difference of two builds: noisy) (site/ {_size(work / 'site' / 'site') / 1e6:.1f} MB); 四性 check: "
              f"{fourprops_s:.2f} s for {len(checks)} checks ({sum(not c.ok for c in checks)} failed); "
              f"verify --bundle (bag + 四性): {verify_s:.2f} s", file=sys.stderr if args.json else sys.stdout)
        print(f"DOCX rendition (LibreOffice): {docx_s:.2f} s per document" if docx_s is not None
              else f"DOCX rendition: not measured ({'--docx 0' if soffice_path() else 'LibreOffice not installed'})",
              file=sys.stderr if args.json else sys.stdout)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
