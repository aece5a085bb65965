"""Search benchmark: build speed, query latency and recall against a substring scan, vs SQLite FTS5.

    python bench/search.py --docs 10000 [--queries 300] [--json]

FTS5 uses the trigram tokenizer; patterns of fewer than 3 characters cannot use it, so they run as
``instr()`` scans over the table (the same full scan grep would do), and count toward its p95.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: bench.*, this archive_kit

from archive_kit.search import IndexDoc, open_index  # noqa: E402
from archive_kit.search.analysis import fold  # noqa: E402
from archive_kit.textnorm import normalize_text  # noqa: E402
from bench.gen_text import TextGenerator  # noqa: E402

Query = tuple[str, dict[str, object]]


def corpus(n: int, seed: int) -> Iterator[IndexDoc]:
    """Stream ``n`` generated documents as IndexDocs (never all in memory)."""
    gen = TextGenerator(seed)
    for i in range(n):
        d = gen.document(i + 1)
        crit = f"{d.track}:{d.criterion}"
        yield IndexDoc(d.id, f"{d.id:064x}", d.title, d.file_name, d.text, d.track, d.criterion,
                       d.year, "pdf", None, None, None, (d.track,), (crit, d.criterion))


def spool(n: int, seed: int, path: Path) -> float:
    """Write the generated corpus to ``path`` (pickles); return its size in MB of UTF-8 text."""
    mb = 0.0
    with open(path, "wb") as f:
        for d in corpus(n, seed):
            mb += len("\x00".join((d.title, d.file_name, d.text)).encode()) / 1e6
            pickle.dump(d, f, protocol=pickle.HIGHEST_PROTOCOL)
    return mb


def unspool(path: Path) -> Iterator[IndexDoc]:
    """Stream the documents of a ``spool`` file back (cheap: the build timing excludes generation)."""
    with open(path, "rb") as f:
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return


def folded_fields(doc: IndexDoc) -> list[str]:
    """What grep would see: each of title, file name and text, normalised and folded."""
    return [fold(normalize_text(x)) for x in (doc.title, doc.file_name, doc.text)]


def make_queries(n_docs: int, seed: int, count: int) -> list[Query]:
    """Single terms, cross-word substrings of 2-6 characters, two-term AND, and filtered queries."""
    rng = random.Random(seed)
    picks = sorted(rng.sample(range(n_docs), min(n_docs, count)))
    texts: dict[int, IndexDoc] = {}
    for doc in corpus(n_docs, 1):
        if doc.id - 1 in picks:
            texts[doc.id - 1] = doc
    singles = ["职工之家", "文明单位", "职工", "家", "号", "2023", "〔2023〕35号", "35号", "PDCA循环",
               "職工之家", "ＰＤＣＡ", "劳模创新工作室", "工会", "书屋"]
    queries: list[Query] = []
    for k, i in enumerate(picks):
        text = normalize_text(texts[i].text).replace("\n", "")
        length = rng.randint(2, 6)
        start = rng.randrange(0, max(1, len(text) - length))
        sub = text[start:start + length].strip()
        if not sub or any(c in sub for c in ' "'):
            sub = "职工"
        kind = k % 6
        if kind == 0:
            queries.append((singles[(k // 6) % len(singles)], {}))
        elif kind == 1:
            other = text[rng.randrange(0, len(text) - 3):][:3]
            queries.append((f"{sub} {other}" if '"' not in other and other.strip() == other else sub, {}))
        elif kind == 2:
            queries.append((sub, {"year": texts[i].year}))
        elif kind == 3:
            queries.append((sub, {"track": texts[i].track}))
        elif kind == 4:
            queries.append((sub, {"criterion": texts[i].criteria[0]}))
        else:
            queries.append((sub, {}))
    return queries


def expected(n_docs: int, queries: list[Query]) -> list[set[int]]:
    """Ground truth by substring scan of the folded title, file name and text."""
    from archive_kit.search.query import parse_query

    parsed = [([t.folded for t in parse_query(q)], f) for q, f in queries]
    out: list[set[int]] = [set() for _ in queries]
    for doc in corpus(n_docs, 1):
        fields = folded_fields(doc)
        for k, (terms, f) in enumerate(parsed):
            if f.get("year") not in (None, doc.year) or f.get("track") not in (None, *doc.tracks):
                continue
            if f.get("criterion") not in (None, *doc.criteria):
                continue
            if all(any(t in x for x in fields) for t in terms):
                out[k].add(doc.id)
    return out


def run_fts5(n_docs: int, queries: list[Query], workdir: Path) -> list[float]:
    """Build an FTS5 trigram table over the same corpus; return per-query latencies (ms)."""
    db = sqlite3.connect(workdir / "fts.db")
    db.execute("CREATE VIRTUAL TABLE d USING fts5(body, year UNINDEXED, track UNINDEXED, "
               "crit UNINDEXED, tokenize='trigram')")
    with db:
        db.executemany("INSERT INTO d(rowid, body, year, track, crit) VALUES (?,?,?,?,?)",
                       ((d.id, "\x00".join(folded_fields(d)), d.year, d.track,
                         " ".join(d.criteria)) for d in corpus(n_docs, 1)))
    from archive_kit.search.query import parse_query

    times = []
    for q, f in queries:
        terms = [t.folded for t in parse_query(q)]
        phrases = ['"' + t.replace('"', '""') + '"' for t in terms if len(t) >= 3]
        where: list[str] = ["d MATCH ?"] if phrases else []
        args: list[object] = [" AND ".join(phrases)] if phrases else []
        for t in terms:
            if len(t) < 3:  # below the trigram size: a scan, as FTS5 cannot answer it
                where.append("instr(body, ?) > 0")
                args.append(t)
        for key in ("year", "track"):
            if key in f:
                where.append(f"{key} = ?")
                args.append(f[key])
        if "criterion" in f:
            where.append("(' ' || crit || ' ') LIKE ?")
            args.append(f"% {f['criterion']} %")
        sql_where = " AND ".join(where)
        t0 = time.perf_counter()
        total = db.execute(f"SELECT count(*) FROM d WHERE {sql_where}", args).fetchone()[0]
        db.execute(f"SELECT rowid FROM d WHERE {sql_where} LIMIT 20", args).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
        del total
    db.close()
    return times


def pct(xs: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-fts5", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ak-bench-search-"))
    try:
        # the corpus is generated before the clock starts (the generator costs ~1.5 ms/doc, as much
        # as indexing); the build reads it back from a file as an ingest reads extracted texts
        t0 = time.perf_counter()
        mb = spool(a.docs, 1, workdir / "corpus.pickle")
        gen_s = time.perf_counter() - t0
        ix = open_index(workdir / "index")
        t0 = time.perf_counter()
        ix.rebuild(unspool(workdir / "corpus.pickle"))
        build_s = time.perf_counter() - t0
        index_mb = sum(f.stat().st_size for f in (workdir / "index").iterdir()) / 1e6
        os.unlink(workdir / "corpus.pickle")
        peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                   resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        queries = make_queries(a.docs, a.seed, a.queries)
        truth = expected(a.docs, queries)
        ix.search("职工")  # open the searcher once, as a long-running process would
        times, recalls, exact = [], [], 0
        for (q, f), want in zip(queries, truth):
            t1 = time.perf_counter()
            res = ix.search(q, limit=20, **f)  # type: ignore[arg-type]
            times.append((time.perf_counter() - t1) * 1000)
            got_ok = res.total == len(want) and all(h.id in want for h in res.hits)
            exact += got_ok
            recalls.append(1.0 if not want else min(res.total, len(want)) / len(want) if got_ok or res.total <= len(want) else 0.0)
        ix.close()
        fts = [] if a.no_fts5 else run_fts5(a.docs, queries, workdir)
        out = {
            "docs": a.docs,
            "build_docs_per_s": round(a.docs / build_s, 1),
            "build_mb_per_s": round(mb / build_s, 3),
            "build_s": round(build_s, 1),
            "gen_s": round(gen_s, 1),
            "index_mb": round(index_mb, 1),
            "peak_rss_mb": round(peak, 1),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(pct(times, 95), 1),
            "recall": round(exact / len(queries), 4),
            "fts5_p95_ms": round(pct(fts, 95), 1) if fts else None,
        }
        print(f"cpu_count={os.cpu_count()} load={os.getloadavg()[0]:.2f} corpus={mb:.1f} MB "
              f"(generated in {gen_s:.1f} s, not timed) queries={len(queries)}")
        print(f"build: {out['build_docs_per_s']} docs/s, {out['build_mb_per_s']} MB/s, {build_s:.1f} s; "
              f"index {out['index_mb']} MB; peak RSS {out['peak_rss_mb']} MB")
        print(f"whoosh: p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms, max {max(times):.1f} ms; "
              f"queries with exact total and only true hits: {exact}/{len(queries)} "
              f"(mean recall {statistics.mean(recalls):.4f})")
        if fts:
            print(f"fts5 trigram: p50 {statistics.median(fts):.1f} ms, p95 {pct(fts, 95):.1f} ms; "
                  f"ratio whoosh/fts5 p50 {statistics.median(times) / statistics.median(fts):.2f}, "
                  f"p95 {out['p95_ms'] / pct(fts, 95):.2f}")
        if a.json:
            print(json.dumps(out))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
