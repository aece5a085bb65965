"""Per-file isolation: real misbehaving tasks (hang, endless allocation, SIGSEGV) in real worker processes."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive_kit.archive import Archive
from archive_kit.errors import ArchiveKitError
from archive_kit.workers import Limits, WorkerPool, progress
from bench.gen_docs import NOTICE_BODY, make_pdf
from tests.conftest import cli_json, run_cli


def square(x: int) -> int:
    return x * x


def sleep_forever(_: int) -> None:
    time.sleep(3600)


def allocate_without_end(_: int) -> None:
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))


def segfault(_: int) -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def slow_but_progressing(steps: int) -> int:
    for _ in range(steps):
        time.sleep(0.4)
        progress()
    return steps


def start_grandchild_and_hang(pid_file: str) -> None:
    child = subprocess.Popen(["sleep", "300"])
    Path(pid_file).write_text(str(child.pid))
    time.sleep(3600)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _call(func, arg):  # module-level so a forked worker can run it
    return func(arg)


def _outcomes(tasks: list, limits: Limits, jobs: int = 2) -> dict:
    with WorkerPool(jobs, limits) as pool:
        return {o.key: o for o in pool.run(_call, [(k, (f, x)) for k, f, x in tasks])}


def test_a_hanging_task_times_out_and_the_others_finish() -> None:
    start = time.monotonic()
    out = _outcomes([("hang", sleep_forever, 0)] + [(i, square, i) for i in range(6)], Limits(1.0, 0))
    assert out["hang"].error == "timed out after 1 s"
    assert [out[i].value for i in range(6)] == [i * i for i in range(6)]
    assert time.monotonic() - start < 15


def test_endless_allocation_is_reported_as_out_of_memory_and_the_pool_recovers() -> None:
    out = _outcomes([("hog", allocate_without_end, 0), ("after", square, 7)], Limits(60, 1500), jobs=1)
    assert out["hog"].error == "worker ran out of memory"
    assert out["after"].value == 49


def test_a_segfaulting_task_is_reported_and_the_pool_recovers() -> None:
    out = _outcomes([("crash", segfault, 0), ("a", square, 3), ("crash2", segfault, 0), ("b", square, 4)],
                    Limits(30, 0), jobs=1)
    assert "segmentation fault" in out["crash"].error and "segmentation fault" in out["crash2"].error
    assert (out["a"].value, out["b"].value) == (9, 16)


def test_progress_restarts_the_time_limit_so_long_work_that_advances_finishes() -> None:
    out = _outcomes([("long", slow_but_progressing, 6)], Limits(1.5, 0))
    assert out["long"].value == 6 and out["long"].error is None


def test_a_timed_out_worker_takes_the_programs_it_started_with_it(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    out = _outcomes([("hang", start_grandchild_and_hang, str(pid_file))], Limits(1.5, 0))
    assert out["hang"].error.startswith("timed out")
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)


def fail_now(_: int) -> None:
    raise ArchiveKitError("this part cannot be read")


def mark_later(path: str) -> str:
    time.sleep(5)
    Path(path).touch()
    return path


def test_parts_submitted_while_running_come_out_and_a_failed_part_cancels_the_rest(tmp_path: Path) -> None:
    """How a scan's pages are spread: parts of a task join the pool while it runs; when one fails, its
    siblings still queued are dropped and the one running is stopped: none of them leaves a mark."""
    marks = [tmp_path / f"part{i}" for i in range(1, 4)]
    seen = []
    with WorkerPool(2, Limits(60, 0)) as pool:
        for out in pool.run(_call, [("whole", (square, 3))]):
            seen.append((out.key, out.value, out.error))
            if out.key == "whole":
                pool.submit(("part", 0), _call, (fail_now, 0), out.started)
                for i, mark in enumerate(marks, 1):
                    pool.submit(("part", i), _call, (mark_later, str(mark)), out.started)
            elif out.error:
                pool.cancel(lambda key: key[0] == "part")
    assert seen == [("whole", 9, None), (("part", 0), None, "this part cannot be read")]
    time.sleep(6)
    assert not [m.name for m in marks if m.exists()], "a cancelled part ran"


def test_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    script = (
        "import sys, time\n"
        "from archive_kit.workers import WorkerPool, Limits\n"
        "from tests.test_reliability import _call, start_grandchild_and_hang\n"
        f"with WorkerPool(1, Limits(600, 0)) as pool:\n"
        f"    list(pool.run(_call, [(0, (start_grandchild_and_hang, {str(pid_file)!r}))]))\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parent.parent)
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    grandchild = int(pid_file.read_text())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(grandchild), "the worker (and what it started) outlived the killed ingest"


@pytest.fixture
def heavy_scan(tmp_path: Path) -> Path:
    """A real image-only PDF whose OCR takes seconds per page."""
    from bench.gen_scans import make_scanned_pdf, render_text_page

    pages = [render_text_page("关于开展志愿服务活动的通知\n" + "\n".join(NOTICE_BODY), seed=i) for i in range(3)]
    (tmp_path / "in").mkdir()
    return make_scanned_pdf(tmp_path / "in" / "扫描件.pdf", pages)


@pytest.mark.slow
def test_ingest_reports_a_file_over_the_time_limit_and_keeps_the_rest(repo: Archive, tmp_path: Path,
                                                                      heavy_scan: Path) -> None:
    make_pdf(tmp_path / "in" / "通知.pdf", "关于开展学雷锋志愿服务的通知", NOTICE_BODY)
    repo.config.worker_timeout_s = 1
    repo.config.save(repo.root / "config.json")
    rc, data = cli_json("ingest", str(tmp_path / "in"), "--jobs", "2", root=repo.root)
    assert rc == 1
    assert [d["original_name"] for d in data["added"]] == ["通知.pdf"], data["failed"]
    [failed] = data["failed"]  # each page has the time limit: the first page over it fails the scan, naming it
    assert Path(failed["path"]).name == "扫描件.pdf"
    assert re.fullmatch(r"page [123] of 3: timed out after 1 s", failed["error"]), failed["error"]
    assert run_cli("verify", root=repo.root).returncode == 0
    repo.config.worker_timeout_s = 600
    repo.config.save(repo.root / "config.json")
    rc, data = cli_json("ingest", str(tmp_path / "in"), "--jobs", "2", root=repo.root)
    assert rc == 0 and [d["original_name"] for d in data["added"]] == ["扫描件.pdf"]
    assert len(data["duplicates"]) == 1


@pytest.mark.slow
def test_ingest_reports_a_file_over_the_memory_limit(repo: Archive, tmp_path: Path, heavy_scan: Path) -> None:
    repo.config.worker_memory_mb = 200
    repo.config.save(repo.root / "config.json")
    rc, data = cli_json("ingest", str(heavy_scan), root=repo.root)
    assert rc == 1 and not data["added"]
    assert "memory" in data["failed"][0]["error"], data["failed"]
