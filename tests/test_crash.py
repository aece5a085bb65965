"""Crash safety: SIGKILL the real CLI at seeded random moments of ingest, tag, number, reindex, repair
and bundle.

After every kill the repository must verify (or verify after the one-command ``repair``), a rerun
of the same command must complete the work (no document lost, none duplicated), and no process the
killed command started may live on (worker pools included).

Every kill records the last write stage the command had reached (``archive_kit.stages``: the
command appends a marker to ``ARCHIVE_KIT_STAGE_LOG`` as it passes each one), so a kill that landed
before any write shows as such. For tag, number and reindex every write stage is also killed once
exactly: with ``ARCHIVE_KIT_STAGE_HOLD`` the command stops at that stage and is killed there.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from archive_kit.archive import Archive
from archive_kit.stages import HOLD_ENV, LOG_ENV
from bench.gen_docs import NOTICE_BODY, make_docx, make_pdf
from tests.conftest import assert_bundle_whole, cli_json, run_cli
from tests.test_safety_repo import BULK_N, bulk_repository

SEED = 20240611
pytestmark = pytest.mark.slow


@dataclass
class KillLog:
    """Kill points tried on one command: how many hit a running process, and how many needed repair."""

    command: str
    killed: int = 0
    missed: int = 0
    repaired: int = 0
    delays: list[float] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)

    def line(self) -> str:
        def counted(seen: list[str]) -> str:
            return ", ".join(f"{n}× {s}" for s, n in sorted({s: seen.count(s) for s in seen}.items()))

        return (f"{self.command}: {self.killed} kill(s) survived ({self.repaired} after repair), "
                f"{self.missed} finished before the kill; delays {min(self.delays, default=0):.2f}–"
                f"{max(self.delays, default=0):.2f} s; processes at the kill: {counted(self.stages)}; "
                f"write stage reached: {counted(self.marks)}")


NO_WRITE_YET = "(before any write stage)"
INGEST_STAGES = ("ingest-store", "ingest-catalogue", "index-update", "index-queue-clear")
TAG_STAGES = ("tag-catalogue", "index-update", "index-queue-clear")
NUMBER_STAGES = ("number-catalogue",)
REINDEX_STAGES = ("index-rebuild-write", "index-rebuild-publish", "index-rebuild-swap", "index-rebuild-queue-clear")


def _cmd(root: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "archive_kit", "--root", str(root), *args]


def _timed(root: Path, *args: str) -> float:
    start = time.monotonic()
    proc = subprocess.run(_cmd(root, *args), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return time.monotonic() - start


def stage_of(root: Path, children: list[psutil.Process]) -> str:
    """What the command was doing when it was killed, seen from outside: an index rebuild under way
    (its temp folder exists), worker processes running, or the main process alone."""
    workers = f"{len(children)} worker process(es)" if children else "main process only"
    return f"index rebuild, {workers}" if any(root.glob(".index.rebuild-*")) else workers


def _ours(root: Path) -> list[psutil.Process]:
    """Live processes whose command line names this repository (forked workers inherit it)."""
    out = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if str(root) in " ".join(p.info["cmdline"] or []) and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.Error:
            continue
    return out


def assert_no_orphans(root: Path, children: list[psutil.Process], command: str) -> None:
    """Every process the killed command had started dies with it (within the workers' watch interval)."""
    deadline = time.monotonic() + 10
    while True:
        alive = []
        for p in children + _ours(root):
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE and p not in alive:
                    alive.append(p)
            except psutil.Error:
                continue
        if not alive:
            return
        if time.monotonic() > deadline:
            described = [(p.pid, p.ppid(), " ".join(p.cmdline())[:80]) for p in alive]
            for p in alive:
                p.kill()
            raise AssertionError(f"orphans outlived the killed {command}: {described}")
        time.sleep(0.1)


def _stage_log(root: Path) -> Path:
    """A fresh file (beside the repository) for the markers of the next run."""
    path = root.parent / f"{root.name}.stages.log"
    path.unlink(missing_ok=True)
    return path


def last_mark(stage_log: Path, pid: int) -> str:
    """The last write stage the process ``pid`` marked (its own line, not one of its workers')."""
    lines = stage_log.read_text(encoding="utf-8").splitlines() if stage_log.exists() else []
    ours = [line.split(" ", 1)[1] for line in lines if line.split(" ", 1)[0] == str(pid)]
    return ours[-1] if ours else NO_WRITE_YET


def _kill(proc: subprocess.Popen, root: Path, args: tuple[str, ...], stage_log: Path, log: KillLog | None) -> None:
    """SIGKILL the command, note where it was, and check that nothing it started lives on."""
    try:
        children = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        children = []
    if log is not None:
        log.stages.append(stage_of(root, children))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if log is not None:
        log.marks.append(last_mark(stage_log, proc.pid))
    assert_no_orphans(root, children, " ".join(args[:1]))


def kill_after(root: Path, args: tuple[str, ...], delay: float, log: KillLog | None = None) -> bool:
    """Start the command, SIGKILL it after ``delay`` s; True when it was still running (a real kill).
    Then check that nothing it started lives on, and note the stage the kill hit."""
    stage_log = _stage_log(root)
    proc = subprocess.Popen(_cmd(root, *args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONWARNINGS": "ignore", LOG_ENV: str(stage_log)})
    try:
        proc.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        _kill(proc, root, args, stage_log, log)
        return True


def kill_at(root: Path, args: tuple[str, ...], stage: str, log: KillLog, timeout: float = 300) -> None:
    """Run the command until it reaches the write stage ``stage`` (where it waits, held by
    ``ARCHIVE_KIT_STAGE_HOLD``), and SIGKILL it there."""
    stage_log = _stage_log(root)
    proc = subprocess.Popen(_cmd(root, *args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONWARNINGS": "ignore", LOG_ENV: str(stage_log), HOLD_ENV: stage})
    deadline = time.monotonic() + timeout
    while last_mark(stage_log, proc.pid) != stage:
        if proc.poll() is not None:
            raise AssertionError(f"{' '.join(args)} ended (exit {proc.returncode}) without reaching stage {stage}: "
                                 f"{proc.stderr.read()[-500:]}; stages: {stage_log.read_text() if stage_log.exists() else ''}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{' '.join(args)} did not reach stage {stage} in {timeout} s")
        time.sleep(0.01)
    _kill(proc, root, args, stage_log, log)
    proc.stderr.close()


def kills_at_every_write_stage(root: Path, args: tuple[str, ...], stages: tuple[str, ...], log: KillLog) -> None:
    """Kill the command once at each of its write stages; after each the repository verifies."""
    for stage in stages:
        kill_at(root, args, stage, log)
        log.killed += 1
        assert_verifies(root, log)


def assert_verifies(root: Path, log: KillLog) -> None:
    """verify passes, or passes after `archive-kit repair`."""
    rc, data = cli_json("verify", root=root)
    if rc == 0 and data["ok"]:
        return
    rc, fixed = cli_json("repair", root=root)
    assert rc == 0 and fixed["ok"], f"after a kill of {log.command}: verify {data['problems']}, repair {fixed}"
    log.repaired += 1


def catalogue_shas(root: Path) -> list[str]:
    rc, data = cli_json("list", root=root)
    assert rc == 0
    return [d["sha256"] for d in data["documents"]]


def kill_points(root: Path, args: tuple[str, ...], log: KillLog, rng: random.Random, want: int,
                span: tuple[float, float], before_each=None, max_tries: int = 40) -> None:
    """Kill ``args`` at ``want`` random moments in ``span``; after each: verify, rerun to completion, check."""
    tries = 0
    while log.killed < want and tries < max_tries:
        tries += 1
        if before_each:
            before_each()
        delay = rng.uniform(*span)
        log.delays.append(delay)
        if not kill_after(root, args, delay, log):
            log.missed += 1
            continue
        log.killed += 1
        assert_verifies(root, log)
    assert log.killed >= want, log.line()
    print(log.line())


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> tuple[Path, set[str]]:
    """Real inputs under the folder convention: born-digital PDFs, DOCX and one scanned page."""
    from bench.gen_scans import make_scanned_pdf, render_text_page

    root = tmp_path_factory.mktemp("crash-src")
    a = root / "civilized-unit" / "2023" / "2.3 志愿服务"
    b = root / "civilized-unit" / "2023" / "1.1"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    for i in range(24):
        make_pdf(a / f"志愿服务通知{i:02d}.pdf", f"关于开展第{i}次学雷锋志愿服务活动的通知", NOTICE_BODY,
                 date_text=f"2023年{i % 12 + 1}月{i % 27 + 1}日", pages=3)
    for i in range(6):
        make_docx(b / f"学习报告{i}.docx", f"第{i}次中心组学习志愿服务报告", ["中心组学习正文内容。"] * 30,
                  date_text=f"2023年4月{i + 1}日")
    make_scanned_pdf(a / "扫描签到表.pdf", [render_text_page("志愿服务活动签到表\n" + "\n".join(NOTICE_BODY[:3]))])
    shas = {hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}
    return root, shas


def _fresh(tmp_path: Path, name: str) -> Path:
    Archive.init(tmp_path / name, fonds="J001", unit="测试单位").close()
    return tmp_path / name


def _complete_ingest(root: Path, src: Path, shas: set[str]) -> None:
    proc = run_cli("ingest", str(src), "--jobs", "2", "--json", root=root)
    assert proc.returncode == 0, proc.stderr
    got = catalogue_shas(root)
    assert len(got) == len(set(got)) == len(shas) and set(got) == shas, "documents lost or duplicated"
    rc, hits = cli_json("search", "志愿服务", "--limit", "100", root=root)
    assert hits["total"] == len(shas), "the index lost or duplicated documents"
    rc, data = cli_json("verify", root=root)
    assert rc == 0, data


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, sources) -> Path:
    """A fully ingested repository for the commands that come after ingest."""
    src, shas = sources
    root = _fresh(tmp_path_factory.mktemp("crash-repo"), "repo")
    _complete_ingest(root, src, shas)
    return root


def test_kills_during_ingest(tmp_path: Path, sources) -> None:
    src, shas = sources
    rng = random.Random(SEED)
    calib = _fresh(tmp_path, "calibrate")
    total = _timed(calib, "ingest", str(src), "--jobs", "2")
    log = KillLog("ingest")
    args = ("ingest", str(src), "--jobs", "2")
    first = _fresh(tmp_path, "repo0")
    kills_at_every_write_stage(first, args, INGEST_STAGES, log)
    _complete_ingest(first, src, shas)
    round_ = 0
    while log.killed < 12 + len(INGEST_STAGES) and round_ < 12:  # a fresh repository per round: kills early, middle and late
        round_ += 1
        root = _fresh(tmp_path, f"repo{round_}")
        for _ in range(3):  # kill, verify, rerun (killed again) until the work is done or 3 kills
            delay = rng.uniform(0.2, total * 0.95)
            log.delays.append(delay)
            if not kill_after(root, args, delay, log):
                log.missed += 1
                break
            log.killed += 1
            assert_verifies(root, log)
        _complete_ingest(root, src, shas)
    print(log.line())
    assert log.killed >= 12 + len(INGEST_STAGES), log.line()
    assert set(INGEST_STAGES) <= set(log.marks), log.line()


def test_kills_during_tag(ingested: Path, sources) -> None:
    rng = random.Random(SEED + 1)
    ids = [str(i) for i in range(1, len(sources[1]) + 1)]
    args = ("tag", *ids, "--link", "workers-home:1.1", "--year", "2023")
    total = _timed(ingested, *args)
    log = KillLog("tag")
    kills_at_every_write_stage(ingested, args, TAG_STAGES, log)
    kill_points(ingested, args, log, rng, want=log.killed + 5, span=(0.05, total))
    assert set(TAG_STAGES) <= set(log.marks), log.line()
    assert subprocess.run(_cmd(ingested, *args), capture_output=True).returncode == 0
    rc, data = cli_json("list", "--track", "workers-home", "--criterion", "1.1", root=ingested)
    assert len(data["documents"]) == len(sources[1])
    assert len(set(catalogue_shas(ingested))) == len(sources[1])


def test_kills_during_number(ingested: Path, sources) -> None:
    rng = random.Random(SEED + 2)
    log = KillLog("number")
    kills_at_every_write_stage(ingested, ("number",), NUMBER_STAGES, log)  # the first numbering, killed as it writes
    args = ("number", "--renumber")
    total = _timed(ingested, *args)
    kills_at_every_write_stage(ingested, args, NUMBER_STAGES, log)
    kill_points(ingested, args, log, rng, want=log.killed + 6, span=(0.05, total))
    assert set(NUMBER_STAGES) <= set(log.marks), log.line()
    assert subprocess.run(_cmd(ingested, *args), capture_output=True).returncode == 0
    rc, data = cli_json("list", root=ingested)
    numbers = sorted(d["item_number"] for d in data["documents"])
    assert None not in numbers and numbers == list(range(1, len(sources[1]) + 1))
    assert cli_json("verify", root=ingested)[0] == 0


def test_kills_during_reindex(ingested: Path, sources) -> None:
    rng = random.Random(SEED + 3)
    total = _timed(ingested, "reindex")
    log = KillLog("reindex")
    kills_at_every_write_stage(ingested, ("reindex",), REINDEX_STAGES, log)
    kill_points(ingested, ("reindex",), log, rng, want=log.killed + 6, span=(0.05, total))
    assert set(REINDEX_STAGES) <= set(log.marks), log.line()
    assert run_cli("reindex", root=ingested).returncode == 0
    rc, hits = cli_json("search", "志愿服务", "--limit", "100", root=ingested)
    assert hits["total"] == len(sources[1])


@pytest.fixture
def bulk(tmp_path_factory, tmp_path: Path) -> Path:
    """A repository big enough that reindex builds its segments in a pool of worker processes."""
    return bulk_repository(tmp_path_factory, tmp_path / "bulk")


def stage_windows(root: Path, args: tuple[str, ...], before: object = None) -> dict[str, tuple[float, float]]:
    """Run the command once, watching it from outside: {stage: (first, last) second it was seen}."""
    if before:
        before()
    proc = subprocess.Popen(_cmd(root, *args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.monotonic()
    seen: dict[str, tuple[float, float]] = {}
    while proc.poll() is None:
        try:
            children = psutil.Process(proc.pid).children(recursive=True)
        except psutil.Error:
            break
        t = time.monotonic() - start
        stage = stage_of(root, children)
        seen[stage] = (seen.get(stage, (t, t))[0], t)
        time.sleep(0.05)
    assert proc.wait() == 0
    return seen


def kills_in_every_stage(root: Path, args: tuple[str, ...], log: KillLog, rng: random.Random, *,
                         extra: int, before_each=None) -> None:
    """Kill once in the middle of every stage a calibration run showed, then ``extra`` times at random."""
    windows = stage_windows(root, args, before_each)
    total = max(last for _, last in windows.values())
    for stage, (first, last) in sorted(windows.items(), key=lambda kv: kv[1]):
        if last - first >= 0.3:
            kill_points(root, args, log, rng, want=log.killed + 1, span=(first + 0.1, last), before_each=before_each)
    kill_points(root, args, log, rng, want=log.killed + extra, span=(0.05, total), before_each=before_each)
    print(f"{log.command}: stages seen in a full run: " +
          ", ".join(f"{s} {a:.1f}–{b:.1f} s" for s, (a, b) in sorted(windows.items(), key=lambda kv: kv[1])))


def test_kills_during_reindex_of_a_big_repository_leave_no_worker_behind(bulk: Path) -> None:
    log = KillLog("reindex (bulk)")
    kills_in_every_stage(bulk, ("reindex",), log, random.Random(SEED + 5), extra=3)
    assert any("index rebuild, " in s and "worker process" in s for s in log.stages), log.line()
    assert run_cli("reindex", root=bulk).returncode == 0
    rc, hits = cli_json("search", "zyfw", "--limit", "1", root=bulk)
    assert hits["total"] == BULK_N
    assert cli_json("verify", root=bulk)[0] == 0


def _damage_for_repair(root: Path) -> None:
    """Give repair work on every stage: changed texts (extracted again in worker processes) and a lost index."""
    import sqlite3

    db = sqlite3.connect(root / "catalogue.sqlite")
    db.execute("UPDATE texts SET text = text || ' altered' WHERE doc_id % 15 = 0")
    db.commit()
    db.close()
    shutil.rmtree(root / "index", ignore_errors=True)


def test_kills_during_repair_leave_no_worker_behind_and_a_rerun_completes(bulk: Path) -> None:
    log = KillLog("repair (bulk)")
    damage = lambda: _damage_for_repair(bulk)  # noqa: E731
    kills_in_every_stage(bulk, ("repair",), log, random.Random(SEED + 6), extra=2, before_each=damage)
    assert any(s.endswith("worker process(es)") and "rebuild" not in s for s in log.stages), log.line()
    assert any("index rebuild, " in s and "worker process" in s for s in log.stages), log.line()
    damage()
    rc, fixed = cli_json("repair", root=bulk)
    assert rc == 0 and fixed["ok"], fixed
    rc, hits = cli_json("search", "zyfw", "--limit", "1", root=bulk)
    assert hits["total"] == BULK_N
    rc, data = cli_json("verify", root=bulk)
    assert rc == 0 and data["ok"], data


def test_kills_during_bundle(ingested: Path, sources, tmp_path: Path) -> None:
    rng = random.Random(SEED + 4)
    out = tmp_path / "bundles"
    scope = ("--track", "civilized-unit", "--year", "2023", "--criterion", "2.3")
    total = _timed(ingested, "bundle", *scope, "--out", str(out / "calibrate"))
    log = KillLog("bundle")
    for i in range(5):
        target = out / f"b{i}"
        args = ("bundle", *scope, "--out", str(target))
        kill_points(ingested, args, log, rng, want=log.killed + 1, span=(0.1, total),
                    before_each=lambda: shutil.rmtree(target, ignore_errors=True))
        if not target.exists():  # a bag appears in one rename, finished: if it is there, the kill came after
            proc = run_cli(*args, "--json", root=ingested)
            assert proc.returncode == 0, proc.stderr
        assert_bundle_whole(ingested, target, metadata_checks=("required_fields",))  # some generated documents have no date
    assert log.killed >= 5
    assert len(set(catalogue_shas(ingested))) == len(sources[1])
