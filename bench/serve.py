"""Console benchmark (issue 12): search latency over HTTP as the search page sends it while the
archivist types, page-image rendering (first and cached), and the server's memory.

    python bench/serve.py --docs 10000 [--queries 60] [--pages 20] [--keep DIR] [--json]

Builds a repository of N generated documents (born-digital DOCX from bench/gen_docs.py and PDF as
bench/bundle.py makes them, half each, in two processes), ingests it (LibreOffice hidden: the DOCX
page counts are estimated, not rendered; see ``build``), starts ``archive-kit serve`` on a free loopback port (the real CLI, in its
own process) and then, over HTTP:

- search: for each of ``--queries`` phrases, every prefix as a Chinese input method commits it
  (1, 2, 3… characters), sent as the page sends it (``/api/search/view``, 50 hits, a third of them
  with a track filter and a third with a year filter), one after another: ``search_p95_ms``;
- pages: page 1 of ``--pages`` PDF documents whose images are not cached yet, then again from the
  cache: ``page_render_ms`` first and cached;
- ``rss_mb``: the server process's resident memory, the largest value sampled.

Prints the core count and the load average; ``--json`` puts one JSON object on the last line.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive_kit.archive import Archive  # noqa: E402
from bench.gen_docs import PHRASES  # noqa: E402

TRACKS = ("civilized-unit", "party-building", "workers-home")
TRACK_FOLDERS = ("文明单位", "党建", "职工之家")


def generate(folder: Path, docs: int, seed: int) -> None:
    """One half of the corpus (run in a child process): DOCX files from bench/gen_docs.py and PDFs
    made as bench/bundle.py makes them (one fpdf2 document split into files: the CJK font is
    embedded once, not once per file), half each."""
    from bench.bundle import make_fast_pdfs
    from bench.gen_docs import make_corpus

    make_corpus(folder / "docx", docs // 2, seed=seed, kinds=("docx",))
    (folder / "pdf").mkdir(parents=True)
    make_fast_pdfs(folder / "pdf", docs - docs // 2, pages=2, seed=seed)


def build(root: Path, work: Path, docs: int) -> float:
    """Generate ``docs`` documents in two processes, file them in track folders (the folder
    convention tags them; the year comes from their dates) and ingest them into a new repository at
    ``root``; returns the ingest's seconds."""
    halves = [docs - docs // 2, docs // 2]
    procs = [subprocess.Popen([sys.executable, __file__, "--generate", str(work / f"gen{i}"), "--docs", str(n),
                               "--seed", str(i + 1)]) for i, n in enumerate(halves) if n]
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit("generating the corpus failed")
    inbox = work / "in"
    generated = sorted(p for i in range(2) if (work / f"gen{i}").exists() for p in (work / f"gen{i}").rglob("doc*.*"))
    for k, path in enumerate(generated):
        folder = inbox / TRACK_FOLDERS[k % len(TRACK_FOLDERS)]
        folder.mkdir(parents=True, exist_ok=True)
        path.rename(folder / f"{path.parent.parent.name}-{path.name}")
    from archive_kit.office import SOFFICE_ENV

    # LibreOffice hidden while the corpus is built: the DOCX half's page counts are estimated instead
    # of rendered (about a second per document here: over an hour for 5,000), which this benchmark
    # does not measure; its page images are of PDF documents (bench/ingest.py --docx times the renditions)
    saved = os.environ.get(SOFFICE_ENV)
    os.environ[SOFFICE_ENV] = str(work / "no-libreoffice")
    try:
        with Archive.init(root, fonds="J001", unit="基准测试单位") as archive:
            start = time.perf_counter()
            report = archive.ingest([inbox], jobs=os.cpu_count() or 1)
            if report.failed:
                raise SystemExit(f"benchmark input failed: {report.failed[:3]}")
            return time.perf_counter() - start
    finally:
        if saved is None:
            os.environ.pop(SOFFICE_ENV, None)
        else:
            os.environ[SOFFICE_ENV] = saved


def start_server(root: Path) -> tuple[subprocess.Popen, str]:
    """``archive-kit serve --port 0`` as a user runs it; returns the process and its URL."""
    proc = subprocess.Popen([sys.executable, "-m", "archive_kit", "--root", str(root), "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        raise SystemExit(f"the console did not start: {line!r}")
    return proc, line.split("console: ", 1)[1].split()[0].rstrip("/")


class Client:
    """One kept-alive HTTP connection to the console, as a browser tab holds (standard library only,
    so the benchmark runs with a plain ``pip install -e .``)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        self.host = parts.netloc

    def get(self, path: str, params: dict[str, str] | None = None) -> bytes:
        """GET ``path`` (with ``params``); the body, or SystemExit naming the status."""
        target = path + ("?" + urlencode(params) if params else "")
        self.conn.request("GET", target, headers={"Host": self.host})
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {target}: HTTP {response.status} {body[:200]!r}")
        return body

    def close(self) -> None:
        self.conn.close()


def typing_queries(count: int, years: list[int], seed: int = 11) -> list[dict[str, str]]:
    """What the page sends while ``count`` phrases are typed: every prefix, some with a filter."""
    rng = random.Random(seed)
    words = PHRASES + ["职工", "活动", "会议纪要", "2023", "工作的通知", "各党支部", "文明", "整改措施"]
    out = []
    for i in range(count):
        phrase = rng.choice(words)
        extra: dict[str, str] = {}
        if i % 3 == 1:
            extra["track"] = rng.choice(TRACKS)
        elif i % 3 == 2 and years:
            extra["year"] = str(rng.choice(years))
        for end in range(1, len(phrase) + 1):
            out.append({"q": phrase[:end], "limit": "50", **extra})
    return out


def percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=60, help="phrases typed (each sends every prefix)")
    ap.add_argument("--pages", type=int, default=20, help="documents whose first page is rendered")
    ap.add_argument("--keep", type=Path, help="build the repository here and reuse it on the next run")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.generate:
        generate(args.generate, args.docs, args.seed)
        return
    import psutil

    cores = os.cpu_count() or 1
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    root = args.keep or work / "repo"
    try:
        ingest_s = None
        if not (root / "config.json").exists():
            ingest_s = build(root, work, args.docs)
        with Archive.open(root) as archive:
            docs = archive.documents()
            years = archive.years()
        pdfs = [d.id for d in docs if d.format == "pdf"]
        shutil.rmtree(root / "derived" / "pages", ignore_errors=True)
        proc, url = start_server(root)
        server = psutil.Process(proc.pid)
        rss = [server.memory_info().rss]
        try:
            http = Client(url)
            http.get("/api/search", {"q": "职工"})  # the first search opens the index
            queries = typing_queries(args.queries, years)
            search_ms, totals = [], []
            for params in queries:
                t = time.perf_counter()
                body = http.get("/api/search/view", params)
                search_ms.append((time.perf_counter() - t) * 1000)
                totals.append(json.loads(body)["search"]["total"])
            rss.append(server.memory_info().rss)
            first_ms, cached_ms = [], []
            for doc_id in random.Random(5).sample(pdfs, min(args.pages, len(pdfs))):
                for into in (first_ms, cached_ms):
                    t = time.perf_counter()
                    http.get(f"/api/documents/{doc_id}/pages/1.png")
                    into.append((time.perf_counter() - t) * 1000)
            rss.append(server.memory_info().rss)
            http.close()
        finally:
            proc.terminate()
            proc.wait(30)
        load_after = os.getloadavg()
        figures = {
            "docs": len(docs), "cores": cores, "queries": len(queries), "phrases": args.queries,
            "search_p50_ms": round(statistics.median(search_ms), 1), "search_p95_ms": round(percentile(search_ms, 95), 1),
            "search_max_ms": round(max(search_ms), 1), "median_total": statistics.median(totals),
            "page_render_ms": {"first_p50": round(statistics.median(first_ms), 1),
                               "first_p95": round(percentile(first_ms, 95), 1),
                               "cached_p50": round(statistics.median(cached_ms), 1),
                               "cached_p95": round(percentile(cached_ms, 95), 1)},
            "rss_mb": round(max(rss) / 1e6, 1),
            "load_avg_before": [round(x, 2) for x in load_before], "load_avg_after": [round(x, 2) for x in load_after],
            "ingest_s": round(ingest_s, 1) if ingest_s is not None else None,
        }
        print(f"cores: {cores}; load average before {figures['load_avg_before']}, after {figures['load_avg_after']}")
        print(f"{len(docs)} documents; {len(queries)} searches as typed ({args.queries} phrases, median total "
              f"{figures['median_total']}): p50 {figures['search_p50_ms']} ms, p95 {figures['search_p95_ms']} ms, "
              f"max {figures['search_max_ms']} ms")
        pr = figures["page_render_ms"]
        print(f"page image: first {pr['first_p50']} ms (p95 {pr['first_p95']}), cached {pr['cached_p50']} ms "
              f"(p95 {pr['cached_p95']}) over {len(first_ms)} PDFs")
        print(f"server RSS: {figures['rss_mb']} MB (largest sample)")
        if args.json:
            print(json.dumps(figures, ensure_ascii=False))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
