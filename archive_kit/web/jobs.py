"""Long work of the console (a bundle, an ingest of uploaded files) as jobs the page polls.

Jobs run one at a time in a thread of their own, each on its own ``Archive`` (a repository
connection is not shared between threads); their results and files live in the console's private
work folder and are reached by the job's random id only. Uploaded files are saved there under
generated names: the name a browser or script sends is data (kept for the catalogue), never a path.
"""
from __future__ import annotations

import re
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import ArchiveKitError, NotFoundError
from ..formats import readable_name
from .errors import Refusal, status_of
from .messages import in_chinese

KEEP_JOBS = 20          # finished jobs kept (with their files); older ones are removed
MAX_FILES_PER_BATCH = 1000
MAX_NAME_CHARS = 240
_EXTENSION = re.compile(r"\.[a-z0-9]{1,8}")


@dataclass
class Job:
    """One piece of long work and how far it got; ``result`` is what the library call returned
    (as JSON), ``download`` a file the job made."""

    id: str
    kind: str
    state: str = "queued"          # queued, running, done, failed
    done: int = 0
    total: int = 0
    current: str = ""
    result: dict[str, Any] | None = None
    error: str | None = None
    status: int | None = None      # the HTTP status of ``error``
    download: Path | None = None
    folder: Path | None = None
    started: float = field(default_factory=time.time)

    def progress(self, done: int, total: int, name: str) -> None:
        """The library's progress callback."""
        self.done, self.total, self.current = done, total, name

    def to_json(self) -> dict[str, Any]:
        """What the page shows: state, progress, result or error, and whether there is a file."""
        return {"id": self.id, "kind": self.kind, "state": self.state, "done": self.done, "total": self.total,
                "current": self.current, "result": self.result, "error": self.error,
                "message": in_chinese(self.error) if self.error else None, "status": self.status,
                "download": f"/api/jobs/{self.id}/download" if self.download is not None else None}


class Jobs:
    """The console's jobs, run one after another."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._runner = ThreadPoolExecutor(1, thread_name_prefix="archive-kit-job")

    def submit(self, kind: str, work: Callable[[Job], None]) -> Job:
        """Queue ``work(job)``; it fills ``job.result`` (and maybe ``job.download``)."""
        job = Job(secrets.token_urlsafe(12), kind)
        job.folder = self.workdir / f"job-{job.id}"
        job.folder.mkdir(mode=0o700)
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
        self._runner.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[Job], None]) -> None:
        job.state = "running"
        try:
            work(job)
            job.state = "done"
        except ArchiveKitError as e:
            job.error, job.status, job.state = str(e), status_of(e), "failed"
        except Refusal as e:
            job.error, job.status, job.state = e.message, e.status, "failed"
        except Exception as e:  # noqa: BLE001 - a bug fails the job, never the console
            import logging

            logging.getLogger(__name__).error("job %s (%s) failed", job.id, job.kind, exc_info=e)
            job.error, job.status, job.state = "处理时出错，详情见服务器日志", 500, "failed"

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in ("done", "failed")]
        for job in finished[:max(0, len(finished) - KEEP_JOBS)]:
            del self._jobs[job.id]
            if job.folder is not None:
                shutil.rmtree(job.folder, ignore_errors=True)

    def get(self, job_id: str) -> Job:
        """The job with this id (a ``NotFoundError`` for any other string)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no job {job_id!r} (jobs are kept while the console runs)")
        return job

    def close(self) -> None:
        """Stop taking work; a running job is left to finish in its thread."""
        self._runner.shutdown(wait=False, cancel_futures=True)


def display_name(raw: str) -> str:
    """The name an uploaded file goes by, from what the client sent: its last path part only (as
    browsers send it), readable (controls escaped), at most MAX_NAME_CHARS characters. Only ever
    stored as data; the file is saved under a generated name."""
    name = re.split(r"[/\\]", raw)[-1].strip()
    name = readable_name(name)[:MAX_NAME_CHARS].strip()
    return name if name not in ("", ".", "..") else "未命名文件"


def saved_name(number: int, name: str) -> str:
    """The generated name an upload is saved under: a number and the display name's extension
    (lower case letters and digits only), which format detection compares with the content."""
    suffix = Path(name).suffix.lower()
    return f"{number:04d}{suffix if _EXTENSION.fullmatch(suffix) else ''}"


@dataclass
class Batch:
    """Files uploaded for one ingest: where each was saved and the name it goes by."""

    folder: Path
    names: dict[Path, str] = field(default_factory=dict)
    taken: bool = False


class Uploads:
    """Upload batches in the private work folder, by random id."""

    def __init__(self, workdir: Path, max_bytes: int) -> None:
        self.workdir = workdir
        self.max_bytes = max_bytes
        self._batches: dict[str, Batch] = {}
        self._lock = threading.Lock()

    def new(self) -> str:
        """Open a batch; returns its id."""
        batch_id = secrets.token_urlsafe(12)
        folder = self.workdir / f"upload-{batch_id}"
        folder.mkdir(mode=0o700)
        with self._lock:
            self._batches[batch_id] = Batch(folder)
        return batch_id

    def _batch(self, batch_id: str) -> Batch:
        with self._lock:
            batch = self._batches.get(batch_id)
        if batch is None or batch.taken:
            raise NotFoundError(f"no open upload batch {batch_id!r}")
        return batch

    async def receive(self, batch_id: str, raw_name: str, declared: int | None, chunks: Any) -> dict[str, Any]:
        """Save one uploaded file (the async iterable ``chunks``) into the batch, refusing it (413)
        beyond ``max_bytes`` before or while reading; returns its number, name and size."""
        batch = self._batch(batch_id)
        if declared is not None and declared > self.max_bytes:
            raise Refusal(413, f"文件超过上传上限 {self.max_bytes // (1024 * 1024)} MB", limit=self.max_bytes)
        with self._lock:
            if len(batch.names) >= MAX_FILES_PER_BATCH:
                raise Refusal(413, f"一次最多上传 {MAX_FILES_PER_BATCH} 个文件")
            number = len(batch.names) + 1
            name = display_name(raw_name)
            path = batch.folder / saved_name(number, name)
            batch.names[path] = name
        size = 0
        try:
            with open(path, "xb") as f:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise Refusal(413, f"文件超过上传上限 {self.max_bytes // (1024 * 1024)} MB",
                                      limit=self.max_bytes)
                    f.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            with self._lock:
                batch.names.pop(path, None)
            raise
        return {"file": number, "name": name, "size": size}

    def take(self, batch_id: str) -> Batch:
        """Hand the batch over to its ingest (once)."""
        batch = self._batch(batch_id)
        with self._lock:
            if batch.taken:
                raise NotFoundError(f"no open upload batch {batch_id!r}")
            batch.taken = True
            del self._batches[batch_id]
        return batch
