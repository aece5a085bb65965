"""Benchmark: number 20,000 documents and export the item catalogue in every format.

Catalogue rows are inserted directly (no files): this measures numbering and the writers only, with
the DA/T 22-2015 columns (密级 set on some documents, composed and file-name titles printed in [ ]),
one catalogue per class with its cover. Targets: numbering under 5 s, XLSX under 10 s. ``--json``:
the last line is one JSON object.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: bench.*, this archive_kit

from archive_kit.archive import Archive  # noqa: E402

TITLES = ["关于开展{p}工作的通知", "{p}活动记录", "{p}工作总结", "关于印发{p}实施方案的通知", "{p}会议纪要"]
PHRASES = ["志愿服务", "道德讲堂", "理论学习中心组", "文明礼仪", "学雷锋", "廉政教育", "主题党日", "职工书屋"]


def build(root: Path, n: int) -> Archive:
    """A repository with ``n`` tagged documents spread over tracks, years and criteria."""
    repo = Archive.init(root, fonds="J001", unit="市直机关工委")
    rng = random.Random(7)
    tracks = {s.id: [c.code for c in s.criteria] for s in repo.registry.all()}
    with repo.catalogue.transaction():
        for i in range(n):
            track = rng.choice(list(tracks))
            year = rng.choice([2022, 2023, 2024])
            p = rng.choice(PHRASES)
            repo.catalogue.insert_document({
                "sha256": hashlib.sha256(b"bench%d" % i).hexdigest(), "original_name": f"doc{i:05d}.pdf",
                "source_path": f"in/doc{i:05d}.pdf", "format": "pdf",
                "title": rng.choice(TITLES).format(p=p) + f"（第{i + 1}号）",
                "doc_number": f"市直工委发〔{year}〕{i + 1}号", "author": "市直机关工委",
                "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "track": track, "year": year, "criterion": rng.choice(tracks[track]),
                "pages": rng.randint(1, 12), "secrecy": rng.choice([None, None, "内部"]),
                "title_source": rng.choice(["content", "content", "composed", "file_name"]),
            }, "", [])
    return repo


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-listing-") as tmp:
        t0 = time.perf_counter()
        repo = build(Path(tmp) / "repo", args.docs)
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = repo.number()
        number_s = time.perf_counter() - t0
        assert len(report.numbered) == args.docs, (len(report.numbered), report.skipped[:3])
        result = {"docs": args.docs, "number_s": round(number_s, 2)}
        for fmt in ("xlsx", "csv", "docx", "pdf"):
            out = Path(tmp) / f"listing.{fmt}"
            t0 = time.perf_counter()
            repo.listing(out, fmt=fmt)
            result[f"{fmt}_s"] = round(time.perf_counter() - t0, 2)
            result[f"{fmt}_mb"] = round(out.stat().st_size / 1e6, 2)
        repo.close()
    result["build_s"] = round(build_s, 2)
    result["cpu_count"] = os.cpu_count()
    print(f"documents {args.docs} (catalogue built in {build_s:.1f} s), cpu_count {os.cpu_count()}", file=sys.stderr)
    print(f"numbering        {result['number_s']:.2f} s  (target < 5 s)", file=sys.stderr)
    for fmt in ("xlsx", "csv", "docx", "pdf"):
        note = "  (target < 10 s)" if fmt == "xlsx" else ""
        print(f"listing {fmt:<8} {result[fmt + '_s']:.2f} s, {result[fmt + '_mb']} MB{note}", file=sys.stderr)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
