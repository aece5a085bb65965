"""LibreOffice, the one external office converter: the only module that runs ``soffice``.

Every document is hostile, so a conversion is sealed off in three layers:

1. LibreOffice gets a private copy whose external references are cut (``sanitize.py``): linked
   pictures, fetching field codes, links that leave an ODF package;
2. it runs with a profile that blocks linked content, macros and link updates
   (``LOCKDOWN_SETTINGS``; ``BlockUntrustedRefererLinks`` is the one that stops linked pictures
   in DOCX, ODT and DOC, as tried with LibreOffice 7.4; the others are defaults made explicit);
3. where the kernel allows, soffice runs in its own empty network namespace (``unshare``), so
   nothing it does reaches the network; where it does not, a warning is logged once.

Each conversion works in its own folder made by ``mkdtemp`` in the system temp folder (a random
name created exclusively, mode 0700, owned by this user), holding the input copy, the output and
a fresh profile; ``HOME`` and ``TMPDIR`` point into it, and it is removed afterwards, also after a
timeout. While in use the folder holds an flock on itself, so the first conversion of a later
process removes folders left by killed runs: only this user's real folders with no lock; symlinks
and other users' folders are never touched. No name in a shared folder is predictable, and no
file is opened through one. A fresh profile costs 0.2–0.6 s (10–15 %) a conversion over a
reused one on a busy 2-core machine (``bench/office_profile.py``): little enough that no profile
is ever reused, so one hostile document cannot leave anything behind for the next.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from .errors import InputFileError
from .sanitize import UncheckableError, cut_external_references

log = logging.getLogger(__name__)

# Set to the soffice executable to use; a path that does not exist means "not installed".
SOFFICE_ENV = "ARCHIVE_KIT_SOFFICE"
INSTALL_HINT = "LibreOffice is not installed: apt-get install libreoffice-writer-nogui"
WORK_PREFIX = "archive-kit-soffice-"

# (registry path, property, type, value) written to the fresh profile's registrymodifications.xcu
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


@contextlib.contextmanager
def _work_folder(name: str) -> Iterator[Path]:
    """A new private folder for converting ``name`` (removed afterwards), locked while in use."""
    base = Path(tempfile.gettempdir())
    _sweep_stale(base)
    try:  # a random name, mode 0700, and mkdir fails on any existing name (a planted folder or symlink)
        work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=base))
        fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as e:
        raise OfficeError(name, f"no private temporary folder for LibreOffice in {base} ({e.strerror or e})") from None
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)
        os.close(fd)


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
    with _work_folder(name) as work:
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
        profile = work / "profile"
        try:
            (profile / "user").mkdir(parents=True)
            with _create_new(profile / "user" / "registrymodifications.xcu") as f:
                f.write(_registry(LOCKDOWN_SETTINGS).encode())
            for sub in ("out", "tmp"):
                (work / sub).mkdir()
        except OSError as e:
            raise OfficeError(name, f"cannot prepare the conversion in {work} ({e.strerror or e})") from None
        cmd = [*no_network_prefix(), exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
               "--nolockcheck", "--convert-to", fmt, "--outdir", str(work / "out"), str(source)]
        env = {**os.environ, "HOME": str(work), "TMPDIR": str(work / "tmp"), "SAL_USE_VCLPLUGIN": "svp"}
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
        produced = work / "out" / f"input.{fmt}"
        if proc.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
            detail = " ".join(output.decode("utf-8", "replace").split())[-200:] or f"exit code {proc.returncode}"
            raise OfficeError(name, f"LibreOffice could not convert this file to {fmt.upper()} ({detail})")
        yield produced
