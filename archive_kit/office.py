"""LibreOffice, the one external office converter: the only module that runs ``soffice``.

LibreOffice profiles (``-env:UserInstallation``) live in a few reusable slots under the temp
folder, one per core; a conversion takes a free slot under a file lock, so one profile never runs
two conversions at once and parallel workers do not pay a fresh profile each time. The input
is copied under an ASCII name first: soffice mangles some non-ASCII paths and long names.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from .errors import InputFileError

# Set to the soffice executable to use; a path that does not exist means "not installed".
SOFFICE_ENV = "ARCHIVE_KIT_SOFFICE"
INSTALL_HINT = "LibreOffice is not installed: apt-get install libreoffice-writer-nogui"

_lock = threading.Lock()


class OfficeError(InputFileError):
    """LibreOffice could not convert a file (it failed, produced nothing, or timed out)."""


class OfficeMissingError(OfficeError):
    """LibreOffice is not installed, so office formats cannot be converted."""


def soffice_path() -> str | None:
    """The soffice executable (``$ARCHIVE_KIT_SOFFICE`` wins), or None when LibreOffice is missing."""
    override = os.environ.get(SOFFICE_ENV)
    if override:
        return override if os.path.isfile(override) and os.access(override, os.X_OK) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def _profile_slots() -> Path:
    """The folder holding the reusable profile slots (private to this user)."""
    base = Path(tempfile.gettempdir()) / f"archive-kit-lo-{os.getuid()}"
    base.mkdir(mode=0o700, exist_ok=True)
    return base


def _take_slot() -> tuple[Path, "object"]:
    """A free profile slot and its held lock file (blocks on slot 0 when all are busy)."""
    base = _profile_slots()
    slots = max(1, os.cpu_count() or 1)
    for i in range(slots):
        f = open(base / f"slot{i}.lock", "w")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return base / f"slot{i}", f
        except OSError:
            f.close()
    f = open(base / "slot0.lock", "w")
    fcntl.flock(f, fcntl.LOCK_EX)
    return base / "slot0", f


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill soffice and every helper it started (its own process group)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        pass


def convert_to_pdf(src: Path, out_dir: Path, timeout: float = 180) -> Path:
    """Convert ``src`` (doc, docx, wps, rtf, odt, xls, xlsx…) to a PDF in ``out_dir``; returns its path.

    Raises OfficeMissingError without LibreOffice and OfficeError on failure or timeout.
    """
    return convert(src, out_dir, "pdf", timeout)


def convert(src: Path, out_dir: Path, fmt: str = "pdf", timeout: float = 180) -> Path:
    """Convert ``src`` to ``fmt`` (``pdf``, ``doc``, ``odt``…) in ``out_dir`` with LibreOffice; returns its path."""
    exe = soffice_path()
    name = str(src)
    if exe is None:
        raise OfficeMissingError(name, INSTALL_HINT)
    out_dir.mkdir(parents=True, exist_ok=True)
    ext = src.suffix.lower() if src.suffix.isascii() and 1 < len(src.suffix) <= 6 else ""
    with _lock, tempfile.TemporaryDirectory(prefix="archive-kit-office-") as tmp:
        work = Path(tmp)
        source = work / f"input{ext}"
        try:
            shutil.copyfile(src, source)
        except OSError as e:
            raise OfficeError(name, f"cannot read file: {e.strerror or e}") from None
        (work / "out").mkdir()
        profile, lockfile = _take_slot()
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--nolockcheck", "--convert-to", fmt, "--outdir", str(work / "out"), str(source)]
        env = {**os.environ, "HOME": str(work), "SAL_USE_VCLPLUGIN": "svp"}
        try:
            try:
                proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, env=env, cwd=work, start_new_session=True)
            except OSError as e:
                raise OfficeError(name, f"LibreOffice could not be started ({e.strerror or e})") from None
            try:
                output, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                raise OfficeError(name, f"LibreOffice did not finish converting within {timeout:g} s") from None
            except BaseException:
                _kill_group(proc)
                raise
        finally:
            lockfile.close()
        produced = work / "out" / f"input.{fmt}"
        if proc.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
            detail = " ".join(output.decode("utf-8", "replace").split())[-200:] or f"exit code {proc.returncode}"
            raise OfficeError(name, f"LibreOffice could not convert this file to {fmt.upper()} ({detail})")
        dest = out_dir / (f"{src.stem}.{fmt}" if src.stem.isascii() and src.stem else f"converted.{fmt}")
        shutil.move(str(produced), dest)
        return dest
