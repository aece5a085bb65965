"""Benchmark the OCR engines on generated official-document scans: accuracy and cost per page.

Usage: ``python bench/ocr_accuracy.py [--pages N] [--threads T] [--engines a,b] [--json]``.
Prints a table of character error rate (CER: edit distance / reference length, whitespace
removed, both sides ``normalize_text``-ed), Han-only CER (Chinese characters only), wall and CPU
seconds per page, for each engine and scan condition. ``--json``: one JSON object as last line.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: bench.*, this archive_kit

from archive_kit.ocr import DEFAULT_ENGINE, engine_names, get_engine, ocr_image  # noqa: E402
from archive_kit.textnorm import is_cjk, normalize_text  # noqa: E402
from bench.gen_scans import SAMPLE_TEXTS, render_text_page  # noqa: E402

CONDITIONS: dict[str, dict[str, float]] = {
    "clean": {},
    "noisy": {"noise": 0.35, "blur": 0.8},
    "skew1.5": {"skew_deg": 1.5},
    "skew5": {"skew_deg": 5.0},
}


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions all cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _squash(text: str) -> str:
    return "".join(normalize_text(text).split())


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate of ``hypothesis`` against ``reference``, ignoring whitespace."""
    ref, hyp = _squash(reference), _squash(hypothesis)
    return edit_distance(ref, hyp) / max(1, len(ref))


def han_cer(reference: str, hypothesis: str) -> float:
    """CER on Chinese characters only (punctuation, digits and Latin letters dropped first)."""
    ref = "".join(c for c in _squash(reference) if is_cjk(c))
    hyp = "".join(c for c in _squash(hypothesis) if is_cjk(c))
    return edit_distance(ref, hyp) / max(1, len(ref))


def _cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished children (tesseract)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(engines: list[str], pages: int, threads: int) -> dict[str, Any]:
    """Run every engine on ``pages`` generated pages per condition; returns the results dict."""
    texts = list(SAMPLE_TEXTS.values())
    scans = {
        cond: [(texts[i % len(texts)], render_text_page(texts[i % len(texts)], seed=i, **kw))
               for i in range(pages)]
        for cond, kw in CONDITIONS.items()
    }
    results: list[dict[str, Any]] = []
    for name in engines:
        t0 = time.perf_counter()
        get_engine(name, threads)
        ocr_image(render_text_page("预热", size=(400, 300)), name, threads)  # warm-up, not timed
        load_s = time.perf_counter() - t0
        for cond, items in scans.items():
            cers, hcers, confs, wall, cpu = [], [], [], 0.0, 0.0
            for ref, image in items:
                c0, w0 = _cpu_seconds(), time.perf_counter()
                res = ocr_image(image, name, threads)
                wall += time.perf_counter() - w0
                cpu += _cpu_seconds() - c0
                cers.append(cer(ref, res.text))
                hcers.append(han_cer(ref, res.text))
                confs.append(res.confidence or 0.0)
            results.append({
                "engine": name, "condition": cond, "pages": len(items),
                "cer": sum(cers) / len(cers), "han_cer": sum(hcers) / len(hcers),
                "confidence": sum(confs) / len(confs),
                "s_per_page": wall / len(items), "cpu_s_per_page": cpu / len(items),
                "engine_load_s": load_s,
            })
        peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        for r in results:
            r.setdefault("peak_rss_mb", round(peak))
    return {
        "cpu_count": os.cpu_count(), "threads": threads, "pages_per_condition": pages,
        "default_engine": DEFAULT_ENGINE, "results": results,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2, help="pages per condition (default 2)")
    ap.add_argument("--threads", type=int, default=1, help="threads per engine (default 1)")
    # out-of-process engines first, so the peak RSS after each engine is that engine's own
    order = sorted(engine_names(), key=lambda n: n == DEFAULT_ENGINE)
    ap.add_argument("--engines", default=",".join(order))
    ap.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = ap.parse_args(argv)
    engines = [e for e in args.engines.split(",") if e]
    out = run(engines, max(1, args.pages), max(1, args.threads))
    print(f"cpu_count={out['cpu_count']} threads={out['threads']} "
          f"pages/condition={out['pages_per_condition']} default={out['default_engine']}")
    print(f"{'engine':<10} {'condition':<9} {'CER':>7} {'Han CER':>8} {'conf':>5} "
          f"{'s/page':>7} {'CPU-s/page':>10} {'peak RSS MB':>11}")
    for r in out["results"]:
        print(f"{r['engine']:<10} {r['condition']:<9} {r['cer']:>7.2%} {r['han_cer']:>8.2%} "
              f"{r['confidence']:>5.2f} {r['s_per_page']:>7.2f} {r['cpu_s_per_page']:>10.2f} {r['peak_rss_mb']:>11}")
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
