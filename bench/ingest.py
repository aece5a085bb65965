"""Ingest benchmark: born-digital documents per second, text MB/s, OCR pages per minute.

Generates N born-digital documents (mixed PDF/DOCX, 1–5 pages of Chinese) and M scanned pages,
ingests them through the library, and prints the figures and the machine's core count. When a
folder of real OFD files is present (``--ofd``, default ``../shared/corpus/ofd``), it also reports
OFD documents per second (text only, no OCR) and how many of them were refused. With
``--scan-pdf-pages P`` it also times one scanned PDF of P pages (the scan pages, in turn) with one
worker and with two: ``scan_pdf_speedup`` is how much a long scan gains from its pages being
spread over the workers. With ``--docx D`` (default 20) it times D DOCX documents with 2 workers
twice: with page counting on (each rendered by LibreOffice, whose page count is the document's:
``docx_per_s``) and with LibreOffice made absent (the count estimated from the document's own
properties: ``docx_per_s_estimated``), so the cost of true page counts shows.

The scans are ingested ``--rounds`` times with one worker and with one per core, alternately;
``ocr_parallel_speedup`` is the median of each round's ratio. A virtual machine's speed drifts
from minute to minute (the same pages took 55 s and 75 s here, minutes apart), so a ratio is only
fair between runs made one right after the other. ``--ceiling`` also times the OCR engine alone,
outside archive-kit: half the scans in one bare engine process, half in another, first one after
the other, then side by side. ``ocr_engine_ceiling`` is what the machine gives two engine processes,
a bound that no pipeline around them can pass.
Usage: python bench/ingest.py [--docs N] [--scans M] [--rounds R] [--ceiling] [--scan-pdf-pages P] [--docx D]
       [--ofd DIR] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: bench.*, this archive_kit

from archive_kit.archive import Archive  # noqa: E402

if TYPE_CHECKING:
    from PIL import Image


def scan_page(i: int) -> "Image.Image":
    """The ``i``-th generated scan page: the sample texts in turn, every other one noisy, every third skewed."""
    from bench.gen_scans import SAMPLE_TEXTS, render_text_page

    text = list(SAMPLE_TEXTS.values())[i % len(SAMPLE_TEXTS)]
    return render_text_page(text, noise=0.15 if i % 2 else 0.0, skew_deg=1.5 if i % 3 == 2 else 0.0, seed=i)


def generate(folder: Path, docs: int, scans: int, scan_pdf_pages: int, docx: int) -> None:
    """Write the corpus (run in a child process so its memory does not count)."""
    from bench.gen_docs import make_corpus
    from bench.gen_scans import make_scanned_pdf

    make_corpus(folder / "born", docs, seed=7)
    make_corpus(folder / "docx", docx, seed=11, kinds=("docx",))
    (folder / "scans").mkdir(parents=True, exist_ok=True)
    for i in range(scans):
        scan_page(i).save(folder / "scans" / f"scan{i:03d}.png")
    if scan_pdf_pages:
        (folder / "scan_pdf").mkdir()
        make_scanned_pdf(folder / "scan_pdf" / "long_scan.pdf", [scan_page(i) for i in range(scan_pdf_pages)])


def rss_mb(who: int) -> float:
    """Peak resident set size in MB (Linux reports kilobytes)."""
    return resource.getrusage(who).ru_maxrss / 1024


def timed_ingest(root: Path, paths: list[Path], jobs: int, ocr: bool,
                 allow_failed: bool = False) -> tuple[float, list, int]:
    """Ingest into a fresh repository; returns (seconds, added records, bytes of extracted text).
    Generated input must never fail; real files (``allow_failed``) may be refused."""
    if root.exists():
        shutil.rmtree(root)
    archive = Archive.init(root)
    start = time.perf_counter()
    report = archive.ingest(paths, ocr=ocr, jobs=jobs)
    elapsed = time.perf_counter() - start
    if report.failed and not allow_failed:
        raise SystemExit(f"benchmark input failed: {report.failed[:3]}")
    text_bytes = sum(len(archive.text(d.id).encode("utf-8")) for d in report.added)
    archive.close()
    return elapsed, report.added, text_bytes


def timed_docx(work: Path, docx: list[Path], counted: bool) -> float:
    """Seconds to ingest ``docx`` with 2 workers, page counting on (LibreOffice renders each) or off
    (``ARCHIVE_KIT_SOFFICE`` naming nothing: every count estimated); checks the counts are what it says."""
    from archive_kit.office import SOFFICE_ENV

    saved = os.environ.get(SOFFICE_ENV)
    if not counted:
        os.environ[SOFFICE_ENV] = str(work / "no-libreoffice")
    try:
        seconds, added, _ = timed_ingest(work / ("repo-docx" if counted else "repo-docx-est"), docx, 2, ocr=False)
    finally:
        if saved is None:
            os.environ.pop(SOFFICE_ENV, None)
        else:
            os.environ[SOFFICE_ENV] = saved
    estimated = sum(1 for d in added if d.pages_estimated)
    if len(added) != len(docx) or estimated != (0 if counted else len(docx)):
        raise SystemExit(f"DOCX benchmark: {len(added)} of {len(docx)} added, {estimated} estimated counts "
                         f"(page counting {'on' if counted else 'off'})")
    return seconds


def engine_only(files: list[str]) -> None:
    """In a child process: OCR ``files`` with the default engine loaded once, as archive-kit's
    workers do, and print the seconds the pages took (the engine's loading left out)."""
    from PIL import Image

    from archive_kit.ocr import DEFAULT_ENGINE, get_engine, prepare_image

    engine = get_engine(DEFAULT_ENGINE, 1)
    start = time.perf_counter()
    for name in files:
        engine.recognize(prepare_image(Image.open(name)))
    print(time.perf_counter() - start)


def engine_ceiling(scans: list[Path]) -> tuple[float, float]:
    """(seconds for the two halves of ``scans`` one after the other, seconds side by side), each half
    OCRed by a bare engine process (``engine_only``)."""
    halves = [[str(p) for p in scans[: len(scans) // 2]], [str(p) for p in scans[len(scans) // 2:]]]

    def start(half: list[str]) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, __file__, "--engine-only", *half], stdout=subprocess.PIPE, text=True)

    def seconds(proc: subprocess.Popen) -> float:
        out, _ = proc.communicate()
        if proc.returncode:
            raise SystemExit("the bare OCR engine failed")
        return float(out.strip().splitlines()[-1])

    solo = sum(seconds(start(half)) for half in halves)
    pair = max(seconds(p) for p in [start(half) for half in halves])
    return solo, pair


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--scans", type=int, default=40)
    ap.add_argument("--scan-pdf-pages", type=int, default=0,
                    help="also time one scanned PDF of this many pages with 1 and 2 workers (0: skip)")
    ap.add_argument("--docx", type=int, default=20,
                    help="also time this many DOCX documents with 2 workers, page counting on and off (0: skip)")
    ap.add_argument("--ofd", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "ofd",
                    help="a folder of .ofd files to time (skipped when absent)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="times the scans are ingested with 1 worker and with one per core, alternately")
    ap.add_argument("--ceiling", action="store_true",
                    help="also time two bare OCR engine processes, one after the other and side by side")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--engine-only", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.engine_only:
        engine_only(args.engine_only)
        return
    if args.generate:
        generate(args.generate, args.docs, args.scans, args.scan_pdf_pages, args.docx)
        return
    cores = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        t = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--generate", str(work / "in"), "--docs", str(args.docs),
                        "--scans", str(args.scans), "--scan-pdf-pages", str(args.scan_pdf_pages),
                        "--docx", str(args.docx)], check=True)
        gen_s = time.perf_counter() - t
        born_s, added, text_bytes = timed_ingest(work / "repo1", [work / "in" / "born"], cores, ocr=True)
        main_rss = rss_mb(resource.RUSAGE_SELF)
        born_worker_rss = rss_mb(resource.RUSAGE_CHILDREN)
        scans = sorted((work / "in" / "scans").iterdir())
        ocr1_s = ocrn_s = None
        rounds: list[tuple[float, float]] = []
        for _ in range(max(1, args.rounds) if scans else 0):
            one, _, _ = timed_ingest(work / "repo2", scans, 1, ocr=True)
            many, ocr_added, _ = timed_ingest(work / "repo3", scans, cores, ocr=True)
            assert all(d.ocr for d in ocr_added), "every scan must have been OCRed"
            rounds.append((one, many))
        if rounds:
            ocr1_s, ocrn_s = statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds)
        ceiling = engine_ceiling(scans) if args.ceiling and len(scans) >= 2 else None
        long_scan = work / "in" / "scan_pdf" / "long_scan.pdf"
        pdf1_s = pdf2_s = None
        if args.scan_pdf_pages:
            pdf1_s, _, _ = timed_ingest(work / "repo5", [long_scan], 1, ocr=True)
            pdf2_s, pdf_added, _ = timed_ingest(work / "repo6", [long_scan], 2, ocr=True)
            assert pdf_added[0].ocr and pdf_added[0].pages == args.scan_pdf_pages, "the long scan was OCRed"
        docx = sorted((work / "in" / "docx").glob("*.docx"))
        docx_s = docx_est_s = None
        if docx:
            docx_s = timed_docx(work, docx, counted=True)
            docx_est_s = timed_docx(work, docx, counted=False)
        ofd_files = sorted(args.ofd.glob("*.ofd")) if args.ofd.is_dir() else []
        ofd_s = ofd_added = None
        if ofd_files:
            ofd_s, ofd_added, _ = timed_ingest(work / "repo4", ofd_files, cores, ocr=False, allow_failed=True)
        worker_rss = rss_mb(resource.RUSAGE_CHILDREN)
        figures = {
            "docs": args.docs,
            "docs_per_s": round(args.docs / born_s, 2),
            "text_mb_per_s": round(text_bytes / born_s / 1e6, 3),
            "ocr_pages": len(scans),
            "ocr_pages_per_min": round(len(scans) / ocrn_s * 60, 2) if scans else None,
            "ocr_pages_per_min_1proc": round(len(scans) / ocr1_s * 60, 2) if scans else None,
            "ocr_parallel_speedup": round(statistics.median(a / b for a, b in rounds), 2) if rounds else None,
            "ocr_parallel_speedups": [round(a / b, 2) for a, b in rounds],
            "ocr_engine_ceiling": round(ceiling[0] / ceiling[1], 2) if ceiling else None,
            "peak_rss_mb": round(main_rss, 1),
            "ocr_worker_peak_rss_mb": round(worker_rss, 1),
            "born_worker_peak_rss_mb": round(born_worker_rss, 1),
            "scan_pdf_pages": args.scan_pdf_pages,
            "scan_pdf_s_1proc": round(pdf1_s, 1) if pdf1_s else None,
            "scan_pdf_s_2proc": round(pdf2_s, 1) if pdf2_s else None,
            "scan_pdf_speedup": round(pdf1_s / pdf2_s, 2) if pdf1_s and pdf2_s else None,
            "docx": len(docx),
            "docx_per_s": round(len(docx) / docx_s, 2) if docx else None,
            "docx_per_s_estimated": round(len(docx) / docx_est_s, 2) if docx else None,
            "ofd_files": len(ofd_files),
            "ofd_docs_per_s": round(len(ofd_files) / ofd_s, 2) if ofd_files else None,
            "ofd_refused": len(ofd_files) - len(ofd_added) if ofd_files else None,
            "cores": cores,
            "generate_s": round(gen_s, 1),
        }
        print(f"cores: {cores}")
        print(f"born-digital: {args.docs} documents in {born_s:.1f} s = {figures['docs_per_s']} docs/s, "
              f"{figures['text_mb_per_s']} MB text/s")
        if scans:
            print(f"OCR: {len(scans)} pages, 1 process {figures['ocr_pages_per_min_1proc']} pages/min, {cores} "
                  f"processes {figures['ocr_pages_per_min']} pages/min (speedup {figures['ocr_parallel_speedup']}x, "
                  f"median of rounds {figures['ocr_parallel_speedups']})")
        if ceiling:
            print(f"OCR engine alone, two processes side by side: {ceiling[0]:.1f} s one after the other, "
                  f"{ceiling[1]:.1f} s together (ceiling {figures['ocr_engine_ceiling']}x)")
        if pdf1_s and pdf2_s:
            print(f"one scanned PDF of {args.scan_pdf_pages} pages: {pdf1_s:.1f} s with 1 worker, {pdf2_s:.1f} s "
                  f"with 2 (speedup {figures['scan_pdf_speedup']}x)")
        if docx:
            print(f"DOCX: {len(docx)} documents with 2 workers, page counting on (LibreOffice renditions) "
                  f"{figures['docx_per_s']} docs/s; estimated from their properties {figures['docx_per_s_estimated']} docs/s")
        if ofd_files:
            print(f"OFD: {len(ofd_files)} real files in {ofd_s:.1f} s = {figures['ofd_docs_per_s']} docs/s "
                  f"({figures['ofd_refused']} refused with a reason)")
        print(f"peak RSS: main process {figures['peak_rss_mb']} MB; largest worker {figures['ocr_worker_peak_rss_mb']} MB")
        if args.json:
            print(json.dumps(figures))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
