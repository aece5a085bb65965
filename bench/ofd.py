"""OFD benchmark: read and render every file of the OFD corpus; files/s and ms per page for each.

    python bench/ofd.py [--corpus DIR] [--repeat N] [--json]

The corpus defaults to ``../shared/corpus/ofd`` beside the repository. Each file is read
(``read_ofd``: pages, text, display lists) and rendered (``render_ofd_pdf``: the PDF bytes);
the best of ``--repeat`` runs counts. It also checks, as a quality figure, that each PDF's
text layer holds exactly the reader's characters (pdfium's extraction, whitespace ignored).
With ``--json`` the last line of output is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: bench.*, this archive_kit

from archive_kit.errors import InputFileError  # noqa: E402
from archive_kit.ofd import read_ofd, render_ofd_pdf  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "ofd"


def best_time(func, repeat: int) -> tuple[float, object]:
    """The fastest of ``repeat`` calls (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def text_layer_matches(pdf: bytes, text: str) -> bool:
    """True when the PDF's extracted characters are the reader's, no more, no fewer."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    extracted = "".join(page.get_textpage().get_text_range() for page in document)
    return Counter(re.sub(r"\s+", "", extracted)) == Counter(re.sub(r"\s+", "", text))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    files = sorted(args.corpus.glob("*.ofd"))
    if not files:
        raise SystemExit(f"no .ofd files in {args.corpus}")
    cores = os.cpu_count() or 1
    read_s = render_s = 0.0
    pages = chars = matched = 0
    refused: dict[str, str] = {}
    print(f"{'file':44} {'pages':>5} {'chars':>6} {'read ms':>8} {'render ms':>10} {'PDF KB':>7}  text layer")
    for path in files:
        try:
            t_read, doc = best_time(lambda: read_ofd(path), args.repeat)
            t_render, pdf = best_time(lambda: render_ofd_pdf(doc), args.repeat)
        except InputFileError as e:
            refused[path.name] = e.reason
            print(f"{path.name:44} refused: {e.reason}")
            continue
        same = text_layer_matches(pdf, doc.text)
        n_chars = sum(not c.isspace() for c in doc.text)
        read_s, render_s, pages, chars, matched = read_s + t_read, render_s + t_render, pages + doc.page_count, \
            chars + n_chars, matched + same
        print(f"{path.name:44} {doc.page_count:5} {n_chars:6} {t_read * 1000:8.0f} {t_render * 1000:10.0f} "
              f"{len(pdf) // 1024:7}  {'same' if same else 'DIFFERS'}")
    done = len(files) - len(refused)
    figures = {
        "files": len(files),
        "read": done,
        "refused": len(refused),
        "pages": pages,
        "chars": chars,
        "read_files_per_s": round(done / read_s, 2) if read_s else None,
        "read_ms_per_page": round(read_s * 1000 / pages, 1) if pages else None,
        "render_files_per_s": round(done / render_s, 3) if render_s else None,
        "render_ms_per_page": round(render_s * 1000 / pages, 1) if pages else None,
        "text_layer_same": matched,
        "cores": cores,
    }
    print(f"cores: {cores}")
    print(f"read:   {done} files, {pages} pages in {read_s:.2f} s = {figures['read_files_per_s']} files/s, "
          f"{figures['read_ms_per_page']} ms/page")
    print(f"render: {done} files in {render_s:.2f} s = {figures['render_files_per_s']} files/s, "
          f"{figures['render_ms_per_page']} ms/page")
    print(f"PDF text layer equals the reader's text: {matched} of {done} files")
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
