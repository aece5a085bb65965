"""Content classifier on real documents: campaign records filed right, unrelated documents left alone.

Reads ``gongwen/campaign`` (real records of real units, each with its expected track, criterion
and other acceptable ``track:criterion`` pairs) and ``gongwen/unrelated`` (real official documents
that are no campaign's evidence: text, PDF, DOCX, DOC, read through archive-kit's extractors), see
``bench/gongwen.py``. Each document is classified as ingest does when no folder, manifest or flag
names a track: against every built-in track, with the title the metadata extractor finds in the
content (the corpus file names were written by the collector, so they are not used).

Figures per split (``dev``: rules were developed on it; ``held-out``: only measured):
- campaign records: track right (the expected track), criterion right (the expected criterion or
  one of its ``also_ok`` pairs), no proposal; targets 85 % and 70 %;
- unrelated documents: how many were given a track (target: at most 1 in 6).

Usage, from the repository root: ``python bench/classify.py [--corpus DIR] [--details dev] [--json]``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_kit.classify import classify  # noqa: E402
from archive_kit.extract import ExtractOptions, extract  # noqa: E402
from archive_kit.formats import detect  # noqa: E402
from archive_kit.metadata import extract_metadata  # noqa: E402
from archive_kit.criteria.registry import TrackRegistry  # noqa: E402
from archive_kit.textnorm import normalize_extracted  # noqa: E402
from bench.gongwen import DEFAULT_CORPUS, SPLITS, read_truth, split_of  # noqa: E402

TARGETS = {"track": 0.85, "criterion": 0.70, "unrelated_given_track": 1 / 6}


def read_document(path: Path) -> tuple[str, str]:
    """(text, title) of one corpus file: stored text as extracted text, other files through the extractors."""
    if path.suffix == ".txt":
        text, hint = normalize_extracted(path.read_text(encoding="utf-8")), None
    else:
        ext = extract(path, detect(path), ExtractOptions(ocr=False))
        text, hint = ext.text, ext.title_hint
    return text, extract_metadata(text, title_hint=hint).title or ""


def measure(corpus: Path) -> dict:
    """Per split: campaign track/criterion outcomes and unrelated documents given a track, with every decision."""
    registry = TrackRegistry.builtin()
    schemas = registry.all()
    out: dict = {"campaign": {}, "unrelated": {}, "decisions": []}
    for subset in ("campaign", "unrelated"):
        rows = read_truth(corpus, subset)
        split = split_of([r["file"] for r in rows])
        for row in rows:
            text, title = read_document(corpus / subset / row["file"])
            won = classify(text, title, schemas)
            got = f"{won.track}:{won.criterion or ''}" if won else ""
            s = split[row["file"]]
            cell = out[subset].setdefault(s, {"n": 0, "track": 0, "criterion": 0, "none": 0, "given_track": 0})
            cell["n"] += 1
            if subset == "campaign":
                ok = {f"{row['track']}:{row['criterion']}", *filter(None, row["also_ok"].split(";"))}
                cell["track"] += bool(won and won.track == row["track"])
                cell["criterion"] += got in ok
                cell["none"] += won is None
                expected = f"{row['track']}:{row['criterion']}"
            else:
                cell["given_track"] += won is not None
                expected = ""
            out["decisions"].append({"set": subset, "split": s, "file": row["file"], "title": title,
                                     "expected": expected, "got": got})
    for subset in ("campaign", "unrelated"):
        for cell in out[subset].values():
            n = cell["n"] or 1
            cell.update(track_rate=round(cell["track"] / n, 4), criterion_rate=round(cell["criterion"] / n, 4),
                        given_track_rate=round(cell["given_track"] / n, 4))
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the gongwen corpus folder")
    ap.add_argument("--details", choices=SPLITS, help="list every decision of this split")
    ap.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = ap.parse_args(argv)
    for subset in ("campaign", "unrelated"):
        if not (args.corpus / subset / "truth.tsv").is_file():
            print(f"no corpus at {args.corpus} ({subset}/truth.tsv missing); pass --corpus DIR", file=sys.stderr)
            return 2
    start = time.monotonic()
    out = measure(args.corpus)
    out.update(cpu_count=os.cpu_count(), seconds=round(time.monotonic() - start, 1), corpus=str(args.corpus),
               targets=TARGETS)
    print(f"cpu_count={out['cpu_count']} ({out['seconds']} s)")
    for s in SPLITS:
        c, u = out["campaign"].get(s), out["unrelated"].get(s)
        if c:
            print(f"campaign  {s:<9} n={c['n']:<3} track right {c['track_rate']:>5.0%} ({c['track']})   "
                  f"criterion right {c['criterion_rate']:>5.0%} ({c['criterion']})   no proposal {c['none']}")
        if u:
            print(f"unrelated {s:<9} n={u['n']:<3} given a track {u['given_track_rate']:>5.0%} ({u['given_track']})")
    print("targets: track >= 85 %, criterion >= 70 %, unrelated given a track <= 1 in 6 (16.7 %)")
    if args.details:
        for d in out["decisions"]:
            if d["split"] == args.details:
                mark = "ok " if (d["got"] == d["expected"]) else "-- "
                print(f"  {mark}{d['set']:<9} {d['file'][:38]:<38} expected {d['expected'] or '-':<22} "
                      f"got {d['got'] or '-':<22} title {d['title'][:30]!r}")
    if args.json:
        print(json.dumps({k: v for k, v in out.items() if k != "decisions"}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
