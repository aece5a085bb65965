"""A small process pool that isolates each file: a time limit and a memory limit per task.

A task that hangs is killed after its time limit, one that exhausts memory or crashes its
process is reported as failed; either way a fresh worker takes its place and the run goes on.
The time limit counts from the task's start or its last ``progress()`` call (a 200-page scan
that OCRs page after page keeps going; a page that hangs does not), but never past the hard
ceiling counted from the task's start (a 10,000-page scan does not run for hours). A task may be
split into smaller ones while the pool runs (``submit``: the pages of one scan, spread over every
worker, each page a time limit of its own, all under the ceiling counted from the document's
start) and what is left of it dropped at once (``cancel``) when one part fails. Each worker
leads its own process group, so programs it started (tesseract) are killed with it, as are those
it runs in sessions of their own and tells the pool of (``child_group``: LibreOffice), and it dies
with the pool's process.
"""
from __future__ import annotations

import contextlib
import faulthandler
import multiprocessing as mp
import os
import resource
import signal
import threading
import time
import traceback
import warnings
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from .errors import ArchiveKitError

if TYPE_CHECKING:
    from .config import Config

MB = 1024 * 1024
_conn: Connection | None = None  # set in a worker process: where progress() reports
_last_beat = 0.0
_groups: set[int] = set()  # process groups of programs this process runs in sessions of their own (``child_group``)


def _tell_pool(message: tuple[str, Any]) -> None:
    """Send the pool a message about the running task; nothing outside a worker."""
    if _conn is None:
        return
    try:
        _conn.send(message)
    except (OSError, ValueError):
        pass


@contextlib.contextmanager
def child_group(pgid: int) -> Iterator[None]:
    """While the block runs, the process group ``pgid`` (a program this process started in a session
    of its own, so that a timeout can kill it alone, e.g. LibreOffice) dies with this process: when
    its parent dies (``die_with_parent``) and when the pool kills this worker (a timeout, a cancel).
    Without this, a killed ingest would leave a hanging converter running."""
    _groups.add(pgid)
    _tell_pool(("group", pgid))
    try:
        yield
    finally:
        _groups.discard(pgid)
        _tell_pool(("ungroup", pgid))


def _kill_groups(groups: Iterable[int]) -> None:
    """SIGKILL process groups, those already gone ignored."""
    for pgid in list(groups):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def progress() -> None:
    """Tell the pool this task is still making progress (restarts its time limit); no-op outside a worker."""
    global _last_beat
    now = time.monotonic()
    if _conn is None or now - _last_beat < 0.5:
        return
    _last_beat = now
    try:
        _conn.send(("beat", None))
    except (OSError, ValueError):
        pass


def die_with_parent(parent: int, *, whole_group: bool = True) -> None:
    """Watch the parent process from a thread; when it dies (a killed ingest, reindex or repair),
    kill this process, with its whole process group when it leads one (the programs it started).

    Call it first thing in any worker process archive-kit starts."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.25)
        _kill_groups(_groups)
        if whole_group:
            os.killpg(os.getpgrp(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="archive-kit-parent-watch", daemon=True).start()


@dataclass(frozen=True)
class Limits:
    """Per-task limits: seconds without progress (``timeout_s``), seconds in all however it
    progresses (``ceiling_s``, the hard limit) and address-space megabytes (0 = unlimited)."""

    timeout_s: float = 300.0
    memory_mb: int = 4096
    ceiling_s: float = 3600.0

    @classmethod
    def from_config(cls, config: "Config") -> "Limits":
        """The limits a repository's config sets for one file."""
        return cls(config.worker_timeout_s, config.worker_memory_mb, config.worker_ceiling_s)

    def deadline(self, started: float, now: float) -> float:
        """When a task started at ``started`` that last showed progress at ``now`` must stop."""
        return min(now + self.timeout_s, started + self.ceiling_s)

    def expired(self, started: float, deadline: float) -> str:
        """Why a task was stopped at ``deadline``, for people."""
        if deadline >= started + self.ceiling_s:
            return (f"stopped after {self.ceiling_s:.0f} s, the most one file may take however it progresses "
                    "(`worker_ceiling_s` in the repository config)")
        return f"timed out after {self.timeout_s:.0f} s"


@dataclass
class Outcome:
    """What one task gave: ``value`` on success, else ``error`` (one line for people); ``started``
    is when its time limits began (``time.monotonic()``), from which its hard ceiling counts."""

    key: Any
    value: Any = None
    error: str | None = None
    started: float | None = None


def _worker_main(conn: Connection, memory_mb: int, env: dict[str, str], parent: int) -> None:
    """Worker loop: receive (func, args), answer ("ok", value) or ("err", message), maybe after ("beat", None)s."""
    global _conn
    _conn = conn
    faulthandler.disable()  # a crash here is reported to the parent as a failed file, not dumped
    try:
        os.setpgrp()
    except OSError:
        pass
    die_with_parent(parent)
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    warnings.simplefilter("ignore")
    if memory_mb:
        limit = memory_mb * MB
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        func, args = msg
        try:
            result = func(*args)
            conn.send(("ok", result))
        except MemoryError:
            result = None
            conn.send(("err", "worker ran out of memory"))
            return  # a fresh worker, with a clean heap, takes the next task
        except ArchiveKitError as e:
            conn.send(("err", getattr(e, "reason", None) or str(e)))
        except RecursionError:
            conn.send(("err", "structure nested too deeply to read"))
        except Exception as e:  # noqa: BLE001 - an unexpected bug must not kill the run
            last = traceback.extract_tb(e.__traceback__)[-1:]
            where = f" at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno}" if last else ""
            conn.send(("err", f"unexpected error {type(e).__name__}: {str(e)[:160]}{where}"))


class _Worker:
    """One worker process and its pipe."""

    def __init__(self, ctx: Any, memory_mb: int, env: dict[str, str]) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, memory_mb, env, os.getpid()), daemon=True)
        self.proc.start()
        child.close()
        self.task: tuple[Any, float, float] | None = None  # (key, started, deadline)
        self.groups: set[int] = set()  # process groups of its own it told of (``child_group``)

    def kill(self) -> None:
        """Stop the process, and every program it started, at once."""
        _kill_groups(self.groups)
        pid = self.proc.pid
        try:
            if pid:
                os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.kill()
        except (OSError, AttributeError):
            pass
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        """Ask the process to finish, then make sure it did."""
        try:
            self.conn.send(None)
        except (OSError, BrokenPipeError):
            pass
        self.proc.join(2)
        if self.proc.is_alive():
            self.kill()
        else:
            self.conn.close()


class WorkerPool:
    """Run ``func(*args)`` for many tasks in ``jobs`` processes, each task under ``limits``."""

    def __init__(self, jobs: int, limits: Limits, env: dict[str, str] | None = None) -> None:
        self.jobs = max(1, jobs)
        self.limits = limits
        self.env = env or {}
        self.ctx = mp.get_context("fork")
        self.workers: list[_Worker] = []
        self.urgent: deque[tuple[Any, Callable[..., Any], tuple, float]] = deque()

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker."""
        for w in self.workers:
            w.stop()
        self.workers = []

    def _spawn(self) -> _Worker:
        w = _Worker(self.ctx, self.limits.memory_mb, self.env)
        self.workers.append(w)
        return w

    def _replace(self, w: _Worker) -> None:
        w.kill()
        self.workers.remove(w)

    def submit(self, key: Any, func: Callable[..., Any], args: tuple, started: float | None = None) -> None:
        """Queue ``func(*args)`` ahead of the tasks ``run`` has not started yet (a part of a task
        already under way, e.g. one page of a scan); its hard ceiling counts from ``started``, the
        start of the whole it belongs to (default: now). Its outcome comes out of the ``run`` being
        iterated."""
        self.urgent.append((key, func, args, time.monotonic() if started is None else started))

    def cancel(self, doomed: Callable[[Any], bool]) -> None:
        """Drop the queued tasks whose key ``doomed`` accepts and stop those of them running (their
        workers are replaced); none of them yields an outcome."""
        self.urgent = deque(t for t in self.urgent if not doomed(t[0]))
        for w in [w for w in self.workers if w.task and doomed(w.task[0])]:
            w.task = None
            self._replace(w)

    def _dispatch(self, func: Callable[..., Any], pending: Iterator[tuple[Any, tuple]]) -> Iterator[Outcome]:
        """Start tasks (submitted parts first) on idle workers until ``jobs`` are busy or none is
        left; yields the outcome of a task that could not start."""
        while sum(1 for w in self.workers if w.task) < self.jobs:
            now = time.monotonic()
            if self.urgent:
                key, f, args, started = self.urgent.popleft()
            else:
                try:
                    key, args = next(pending)
                except StopIteration:
                    return
                f, started = func, now
            deadline = self.limits.deadline(started, now)
            if deadline <= now:  # a part of a task that reached its ceiling while it waited
                yield Outcome(key, error=self.limits.expired(started, deadline), started=started)
                continue
            idle = next((w for w in self.workers if w.task is None), None) or self._spawn()
            try:
                idle.conn.send((f, args))
            except (OSError, BrokenPipeError):
                self._replace(idle)
                yield Outcome(key, error="worker could not be started", started=started)
                continue
            idle.task = (key, started, deadline)

    def run(self, func: Callable[..., Any], tasks: Iterable[tuple[Any, tuple]]) -> Iterator[Outcome]:
        """Yield an Outcome per (key, args) task, and per task ``submit``ted meanwhile, as each
        finishes (not in input order)."""
        pending = iter(tasks)
        while True:
            yield from self._dispatch(func, pending)
            busy = [w for w in self.workers if w.task]
            if not busy:
                if self.urgent:  # submitted while an outcome was being handled
                    continue
                return
            now = time.monotonic()
            timeout = max(0.0, min(w.task[2] for w in busy) - now)
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout)
            for w in busy:
                if w.task is None:  # cancelled while an earlier outcome was being handled
                    continue
                key, started, deadline = w.task
                if w.conn in ready:
                    try:
                        status, value = w.conn.recv()
                    except Exception:  # noqa: BLE001 - EOF, or a message cut off by the worker's death
                        self._replace(w)
                        yield Outcome(key, error=self._death_reason(w), started=started)
                        continue
                    if status == "beat":
                        w.task = (key, started, self.limits.deadline(started, time.monotonic()))
                        continue
                    if status in ("group", "ungroup"):
                        (w.groups.add if status == "group" else w.groups.discard)(value)
                        continue
                    w.task = None
                    if status == "err" and value == "worker ran out of memory":
                        self._replace(w)
                    yield (Outcome(key, value=value, started=started) if status == "ok"
                           else Outcome(key, error=value, started=started))
                elif w.proc.sentinel in ready:
                    self._replace(w)
                    yield Outcome(key, error=self._death_reason(w), started=started)
                elif time.monotonic() >= deadline:
                    self._replace(w)
                    yield Outcome(key, error=self.limits.expired(started, deadline), started=started)

    def _death_reason(self, w: _Worker) -> str:
        """Why a worker process died, for people.

        Under a memory limit, native libraries that cannot allocate give up with exit(1) (OpenBLAS)
        or abort() (C++ ``std::bad_alloc``), and the system's OOM killer sends SIGKILL.
        """
        code = w.proc.exitcode
        limited = bool(self.limits.memory_mb)
        if code is not None and code < 0:
            sig = -code
            if sig == signal.SIGKILL:
                return "worker ran out of memory (killed by the system)"
            if sig == signal.SIGSEGV:
                return "worker crashed (segmentation fault) on this file"
            if sig == signal.SIGABRT:
                return "worker ran out of memory (a library aborted)" if limited else "worker crashed (aborted) on this file"
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = str(sig)
            return f"worker crashed (signal {name}) on this file"
        if code == 1 and limited:
            return "worker ran out of memory (a library gave up allocating)"
        return f"worker stopped unexpectedly (exit {code}) on this file"
