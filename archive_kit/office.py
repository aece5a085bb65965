"""LibreOffice, the one external office converter: the only module that runs ``soffice``.

Every document is hostile, so a conversion is sealed off in three layers:

1. LibreOffice gets a private copy whose external references are cut (``sanitize.py``): linked
   pictures, fetching field codes, links that leave an ODF package;
2. it runs with a profile that blocks linked content, macros and link updates
   (``LOCKDOWN_SETTINGS``; ``BlockUntrustedRefererLinks`` is the one that stops linked pictures
   in DOCX, ODT and DOC, as tried with LibreOffice 7.4; the others are defaults made explicit);
3. where the kernel allows, soffice runs in its own empty network namespace (``unshare``), so
   nothing it does reaches the network; where it does not, a warning is logged once.

Each process works in its own folder, made by ``mkdtemp`` in the system temp folder on its first
conversion (a random name created exclusively, mode 0700, owned by this user) and removed when
the process ends (``atexit``; multiprocessing workers through their finalizers). It holds the
process's LibreOffice profile and one subfolder per conversion (the input copy, the output,
``HOME`` and ``TMPDIR``), removed after each conversion. The profile is reused, since a fresh one
costs 0.4–0.6 s a conversion, about a fifth (2.40 s against 1.96 s for a small DOCX on 2 busy
cores, ``bench/office_profile.py``); but its settings file is written anew before every
conversion, and a conversion that fails or times out throws the profile away. While the process
lives, the folder holds an flock on itself, so the first conversion of a later process removes
folders left by killed processes: only this user's real, unlocked folders; symlinks and other
users' folders are never touched. No name in a shared folder is predictable, and no file is
opened through one.
"""
from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import logging
import multiprocessing.util
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from .errors import InputFileError
from .sanitize import UncheckableError, cut_external_references
from .workers import child_group

log = logging.getLogger(__name__)

# Set to the soffice executable to use; a path that does not exist means "not installed".
SOFFICE_ENV = "ARCHIVE_KIT_SOFFICE"
INSTALL_HINT = "LibreOffice is not installed: apt-get install libreoffice-writer-nogui"
WORK_PREFIX = "archive-kit-soffice-"

# (registry path, property, type, value): the profile's registrymodifications.xcu, written anew before every conversion
LOCKDOWN_SETTINGS: tuple[tuple[str, str, str, str], ...] = (
    # linked pictures, media and frames are not loaded from documents outside trusted locations
    ("/org.openoffice.Office.Common/Security/Scripting", "BlockUntrustedRefererLinks", "xs:boolean", "true"),
    ("/org.openoffice.Office.Common/Security/Scripting", "SecureURL", "oor:string-list", ""),  # none trusted
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "xs:int", "3"),  # very high
    ("/org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "xs:boolean", "true"),
    ("/org.openoffice.Office.Common/Security/Scripting", "ExecutePlugins", "xs:boolean", "false"),
    ("/org.openoffice.Office.Writer/Content/Update", "Link", "xs:int", "0"),  # never (sw UpdateLinks NEVER)
    ("/org.openoffice.Office.Calc/Content/Update", "Link", "xs:int", "1"),  # never (sc ScLkUpdMode LM_NEVER)
    ("/org.openoffice.Office.Calc/Formula/Load", "OOXMLRecalcMode", "xs:int", "1"),  # never recalculate
    ("/org.openoffice.Office.Calc/Formula/Load", "ODFRecalcMode", "xs:int", "1"),
    ("/org.openoffice.Office.Writer/Filter/Import/VBA", "Load", "xs:boolean", "false"),
    ("/org.openoffice.Office.Calc/Filter/Import/VBA", "Load", "xs:boolean", "false"),
    ("/org.openoffice.Office.Java/VirtualMachine", "Enable", "xs:boolean", "false"),
)

_lock = threading.Lock()  # one conversion at a time per process: they share its profile
_swept = False  # folders of killed runs are looked for once per process
_SWEEP_AGE_S = 60  # ... and only those at least this old


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


@functools.lru_cache(maxsize=1)
def no_network_prefix() -> tuple[str, ...]:
    """The command prefix that runs a program in its own empty network namespace, or ``()``.

    ``unshare --net`` as root, ``unshare --map-root-user --net`` (a user namespace) otherwise;
    tried once per process. Where neither works (a container without the privilege, user
    namespaces switched off) a warning says conversions are not cut off from the network.
    """
    exe = shutil.which("unshare")
    candidates = ([(exe, "--net")] if os.geteuid() == 0 else []) + [(exe, "--map-root-user", "--net")]
    for prefix in candidates if exe else []:
        try:
            ok = subprocess.run([*prefix, "true"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, timeout=30).returncode == 0
        except (OSError, subprocess.SubprocessError):
            ok = False
        if ok:
            return tuple(prefix)
    log.warning("network namespaces are not available (unshare %s): LibreOffice runs with links blocked "
                "but not cut off from the network", "failed" if exe else "is missing")
    return ()


def _registry(settings: tuple[tuple[str, str, str, str], ...]) -> str:
    """A registrymodifications.xcu holding ``settings``."""
    items = "".join(f'<item oor:path="{escape(path)}"><prop oor:name="{escape(name)}" oor:op="fuse">'
                    f'<value>{escape(value)}</value></prop></item>\n' for path, name, _type, value in settings)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            f'{items}</oor:items>\n')


def _create_new(path: Path) -> BinaryIO:
    """A file opened for writing that must not exist yet (never through a symlink)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600), "wb")


def _sweep_stale(base: Path) -> None:
    """Remove working folders of killed conversions: this user's real folders that nobody locks."""
    global _swept
    if _swept:
        return
    _swept = True
    try:
        with os.scandir(base) as it:
            entries = [e for e in it if e.name.startswith(WORK_PREFIX)]
    except OSError:
        return
    for entry in entries:
        try:  # O_NOFOLLOW: a symlink fails here and is left alone
            fd = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            if st.st_uid != os.getuid() or not stat.S_ISDIR(st.st_mode) or time.time() - st.st_mtime < _SWEEP_AGE_S:
                continue  # not ours, not a folder, or so new that its conversion may not have locked it yet
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a running conversion holds it (or locks do not work here: keep it)
            shutil.rmtree(entry.path, ignore_errors=True)  # fd-based: never follows a swapped-in symlink
            log.info("removed %s, left by a killed conversion", entry.path)
        finally:
            os.close(fd)


class _ProcessFolder:
    """This process's private folder: the reused profile, and a subfolder per conversion."""

    def __init__(self) -> None:
        base = Path(tempfile.gettempdir())
        _sweep_stale(base)
        # a random name, mode 0700, and mkdir fails on any existing name (a planted folder or symlink)
        self.path = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=base))
        self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        with contextlib.suppress(OSError):
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.pid = os.getpid()
        self.profile = self.path / "profile"
        atexit.register(self.remove)
        multiprocessing.util.Finalize(None, self.remove, exitpriority=10)  # workers end without atexit

    def remove(self) -> None:
        """Remove the folder (only in the process that made it; forked children make their own)."""
        if os.getpid() != self.pid or self.fd < 0:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self.fd)
        self.fd = -1


_mine: _ProcessFolder | None = None


def _process_folder(name: str) -> _ProcessFolder:
    """This process's private folder, made on the first conversion (or again after a fork)."""
    global _mine
    if _mine is None or _mine.pid != os.getpid() or not _mine.path.is_dir():
        try:
            _mine = _ProcessFolder()
        except OSError as e:
            raise OfficeError(name, f"no private temporary folder for LibreOffice ({e.strerror or e})") from None
    return _mine


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
    deadline = time.monotonic() + 5   # the helpers die as the kernel tears them down: wait until the group is gone
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(0.02)


def convert_to_pdf(src: Path, out_dir: Path, timeout: float = 180) -> Path:
    """Convert ``src`` (doc, docx, wps, rtf, odt, xls, xlsx…) to a PDF in ``out_dir``; returns its path.

    Raises OfficeMissingError without LibreOffice and OfficeError on failure or timeout.
    """
    return convert(src, out_dir, "pdf", timeout)


def convert(src: Path, out_dir: Path, fmt: str = "pdf", timeout: float = 180) -> Path:
    """Convert ``src`` to ``fmt`` (``pdf``, ``doc``, ``odt``…) in ``out_dir`` with LibreOffice; returns its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    dest = out_dir / (f"{src.stem}.{fmt}" if src.stem.isascii() and src.stem else f"converted.{fmt}")
    with _converted(src, fmt, timeout) as produced:
        shutil.move(str(produced), dest)
    return dest


def pdf_bytes(src: Path, ext: str, timeout: float = 180) -> bytes:
    """``src`` converted to PDF, as bytes; ``ext`` (``.docx``…) is the extension LibreOffice is shown,
    for files stored without one. Raises like ``convert_to_pdf``."""
    with _converted(src, "pdf", timeout, ext) as produced:
        return produced.read_bytes()


@contextlib.contextmanager
def _converted(src: Path, fmt: str, timeout: float, ext: str | None = None) -> Iterator[Path]:
    """Convert a private copy of ``src`` in a private folder; yields the output (gone afterwards).

    The copy gets an ASCII name (soffice mangles some non-ASCII paths and long names), and only
    the copy has its external references cut; ``src`` is never changed.
    """
    exe = soffice_path()
    name = str(src)
    if exe is None:
        raise OfficeMissingError(name, INSTALL_HINT)
    if ext is None:
        ext = src.suffix.lower() if src.suffix.isascii() and 1 < len(src.suffix) <= 6 else ""
    with _lock:
        mine = _process_folder(name)
        done = False
        try:
            work = Path(tempfile.mkdtemp(prefix="conversion-", dir=mine.path))
        except OSError as e:
            raise OfficeError(name, f"cannot convert in {mine.path} ({e.strerror or e})") from None
        try:
            try:
                produced = _run(exe, src, name, work, mine.profile, fmt, ext, timeout)
            except OSError as e:
                raise OfficeError(name, f"cannot convert in {work} ({e.strerror or e})") from None
            yield produced
            done = True
        finally:
            shutil.rmtree(work, ignore_errors=True)
            if not done:  # a failed or killed run may have damaged the profile: the next one starts afresh
                shutil.rmtree(mine.profile, ignore_errors=True)


def _run(exe: str, src: Path, name: str, work: Path, profile: Path, fmt: str, ext: str, timeout: float) -> Path:
    """One soffice run on a cut copy of ``src`` in ``work``, with ``profile`` locked down anew; the output."""
    source = work / f"input{ext}"
    try:
        with open(src, "rb") as f, _create_new(source) as copy:
            shutil.copyfileobj(f, copy)
    except OSError as e:
        raise OfficeError(name, f"cannot read file: {e.strerror or e}") from None
    try:
        cut = cut_external_references(source)
    except UncheckableError as e:
        raise OfficeError(name, f"not converted: its links cannot be checked ({e})") from None
    if cut:
        log.info("%s: cut before conversion: %s", name, ", ".join(cut))
    settings = profile / "user" / "registrymodifications.xcu"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.unlink(missing_ok=True)  # whatever the last run left there, the lockdown is written anew
    with _create_new(settings) as f:
        f.write(_registry(LOCKDOWN_SETTINGS).encode())
    for sub in ("out", "tmp"):
        (work / sub).mkdir()
    cmd = [*no_network_prefix(), exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
           "--nolockcheck", "--convert-to", fmt, "--outdir", str(work / "out"), str(source)]
    env = {**os.environ, "HOME": str(work), "TMPDIR": str(work / "tmp"), "SAL_USE_VCLPLUGIN": "svp"}
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, cwd=work, start_new_session=True)
    except OSError as e:
        raise OfficeError(name, f"LibreOffice could not be started ({e.strerror or e})") from None
    with child_group(proc.pid):  # a killed ingest worker takes soffice with it
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise OfficeError(name, f"LibreOffice did not finish converting within {timeout:g} s") from None
        except BaseException:
            _kill_group(proc)
            raise
    produced = work / "out" / f"input.{fmt}"
    if proc.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
        detail = " ".join(output.decode("utf-8", "replace").split())[-200:] or f"exit code {proc.returncode}"
        raise OfficeError(name, f"LibreOffice could not convert this file to {fmt.upper()} ({detail})")
    return produced
