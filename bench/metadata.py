"""Metadata accuracy on real official documents: title, 文号, 责任者 and date against the truth table.

Reads ``tests/corpus/gongwen/official`` (see ``bench/gongwen.py``) and measures each field as
exact match after whitespace normalisation, counting also how many came out empty and how many
wrong, per split (``dev``: rules are developed on it; ``held-out``: only measured), in four variants:

- ``text``: the stored text as an extractor would hand it over (normalised like extracted text);
- ``docx`` and ``pdf``: the document rendered in the GB/T 9704 layout (``bench/gen_gongwen.py``)
  into a temporary folder, then read back by archive-kit's own extractors;
- ``scan``: for a handful of documents (the first three of each split by name hash), the PDF
  rendered to PNG pages at 200 dpi with a red seal, made into an image-only PDF and OCRed by the
  real OCR engine (slow: about 7 s a page on 2 cores).

The file name is not passed, so a title can only come from the content (the corpus file names
were written by the collector). Usage, from the repository root:
``python bench/metadata.py [--corpus DIR] [--no-files] [--no-scan] [--details dev] [--json]``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_kit.extract import ExtractOptions, extract  # noqa: E402
from archive_kit.metadata import DocMetadata, extract_metadata  # noqa: E402
from archive_kit.textnorm import normalize_extracted  # noqa: E402
from bench.gen_gongwen import layout_from_text, make_docx, make_pdf, make_scan  # noqa: E402
from bench.gongwen import DEFAULT_CORPUS, SPLITS, hash_order, judge, read_truth, split_of, tally  # noqa: E402

FIELDS = ("title", "doc_number", "author", "date")
VARIANTS = ("text", "docx", "pdf", "scan")
SCANS_PER_SPLIT = 3


def _value(meta: DocMetadata, fieldname: str) -> str | None:
    value = getattr(meta, fieldname)
    return value.isoformat() if fieldname == "date" and value is not None else value


def _from_file(path: Path, fmt: str, ocr: bool) -> DocMetadata:
    """Metadata as ingest computes it: the format's extractor, then the extractor's text and title hint."""
    ext = extract(path, fmt, ExtractOptions(ocr=ocr))
    return extract_metadata(ext.text, title_hint=ext.title_hint)


def measure(corpus: Path, variants: tuple[str, ...] = ("text", "docx", "pdf"), workdir: Path | None = None,
            progress: Callable[[str], None] | None = None) -> dict:
    """Per variant, split and field: counts and accuracy; and the mismatches per variant and split."""
    rows = read_truth(corpus, "official")
    split = split_of([r["file"] for r in rows])
    scan_names = {s: [n for n in hash_order(split) if split[n] == s][:SCANS_PER_SPLIT] for s in SPLITS}
    outcomes: dict[str, dict[str, dict[str, list[str]]]] = {}
    misses: dict[str, dict[str, list[dict]]] = {}
    tmp = tempfile.TemporaryDirectory(prefix="bench-metadata-") if workdir is None else None
    folder = Path(tmp.name) if tmp else workdir
    try:
        for k, row in enumerate(rows):
            name = row["file"]
            text = (corpus / "official" / name).read_text(encoding="utf-8")
            layout = layout_from_text(name, text, row) if set(variants) - {"text"} else None
            stem = f"doc{k:03d}"
            for variant in variants:
                if variant == "scan" and name not in scan_names[split[name]]:
                    continue
                if progress:
                    progress(f"{variant} {name}")
                if variant == "text":
                    meta = extract_metadata(normalize_extracted(text))
                elif variant == "docx":
                    make_docx(layout, folder / f"{stem}.docx")
                    meta = _from_file(folder / f"{stem}.docx", "docx", ocr=False)
                elif variant == "pdf":
                    make_pdf(layout, folder / f"{stem}.pdf")
                    meta = _from_file(folder / f"{stem}.pdf", "pdf", ocr=False)
                else:
                    seal = make_pdf(layout, folder / f"{stem}.short.pdf", short=True)
                    make_scan(folder / f"{stem}.short.pdf", folder / f"{stem}.scan.pdf", seal, seed=k)
                    meta = _from_file(folder / f"{stem}.scan.pdf", "pdf", ocr=True)
                per_field = outcomes.setdefault(variant, {}).setdefault(split[name], {})
                for f in FIELDS:
                    verdict = judge(row[f], _value(meta, f))
                    per_field.setdefault(f, []).append(verdict)
                    if verdict != "right":
                        misses.setdefault(variant, {}).setdefault(split[name], []).append(
                            {"file": name, "field": f, "expected": row[f], "got": _value(meta, f), "verdict": verdict})
    finally:
        if tmp:
            tmp.cleanup()
    results = {v: {s: {f: tally(outcomes[v][s][f]) for f in FIELDS} for s in SPLITS if s in outcomes[v]}
               for v in variants if v in outcomes}
    return {"results": results, "misses": misses,
            "documents": {s: sum(1 for n in split if split[n] == s) for s in SPLITS}}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the gongwen corpus folder")
    ap.add_argument("--no-files", action="store_true", help="only the stored text, no DOCX/PDF/scan")
    ap.add_argument("--no-scan", action="store_true", help="no OCRed scans (the slow part)")
    ap.add_argument("--details", choices=SPLITS, help="list every miss of this split")
    ap.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = ap.parse_args(argv)
    if not (args.corpus / "official" / "truth.tsv").is_file():
        print(f"no corpus at {args.corpus} (official/truth.tsv missing); pass --corpus DIR", file=sys.stderr)
        return 2
    variants = ("text",) if args.no_files else ("text", "docx", "pdf") if args.no_scan else VARIANTS
    start = time.monotonic()
    out = measure(args.corpus, variants)
    out.update(cpu_count=os.cpu_count(), seconds=round(time.monotonic() - start, 1), corpus=str(args.corpus))
    print(f"cpu_count={out['cpu_count']} documents: dev {out['documents']['dev']}, "
          f"held-out {out['documents']['held-out']} ({out['seconds']} s)")
    print(f"{'variant':<8}{'split':<10}" + "".join(f"{f:>22}" for f in FIELDS))
    for variant, by_split in out["results"].items():
        for s, by_field in by_split.items():
            cells = "".join(f"{c['accuracy']:>7.0%} {c['right']:>2}/{c['n']:<2} e{c['empty']:<2} w{c['wrong']:<2}"
                            for c in by_field.values())
            print(f"{variant:<8}{s:<10}{cells}")
    print("(accuracy, right/all, e = came out empty, w = came out wrong)")
    if args.details:
        for variant, by_split in out["misses"].items():
            for miss in by_split.get(args.details, []):
                print(f"  {variant:<5} {miss['field']:<10} {miss['file'][:40]:<40} "
                      f"expected {miss['expected']!r} got {miss['got']!r}")
    if args.json:
        print(json.dumps({k: v for k, v in out.items() if k != "misses"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
