"""Where an output may go, and writing it so that a failure leaves nothing half-written.

Every library function that writes an output (listings at every level, coverage exports,
bundles and their zips, any later export) calls ``check_output`` before it writes anything, so
library callers get the same protection as the CLI. After resolving symlinks (of the target,
dangling ones included, and of its folders) an output is refused, as a ``UsageError`` naming the
path, when it is:

- inside the repository, the repository itself, or a folder that holds the repository (an
  ancestor): a listing onto ``catalogue.sqlite`` or a bundle with ``--force`` onto the object
  store would destroy originals. Besides comparing resolved paths, the folders' device and inode
  numbers are compared, so a bind mount or a case-insensitive spelling of the repository is
  caught too. An output inside any other archive-kit repository (a folder holding
  ``REPOSITORY_MARKERS``, say last year's) is refused as well;
- the root folder ``/`` or in a system tree (``SYSTEM_TREES``);
- for a file output: something that exists and is not a regular file (a folder, a device, a
  FIFO), or a file whose folder does not exist; for a folder output: something that is not a
  folder.

``atomic_file`` then writes a file output through a temp file in the target's own folder, renamed
over the target only once complete: a failure or a kill leaves the previous file (or none), never
half a file, and a hard link to another file is never written through. OS errors while writing
become one line naming the output. Temp names start with ``.<name>.tmp-<pid>-``, so leftovers of
a killed process are recognised and removed by the next write of the same output.

This module imports nothing from archive_kit but its errors.
"""
from __future__ import annotations

import contextlib
import errno
import glob
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import ArchiveKitError, UsageError

# Trees no listing or bundle belongs in. Kernel and device pseudo-files (/proc, /sys, /dev,
# /run: /proc/version cannot even be written, /dev/sda must never be), boot files,
# configuration, programs and libraries (a file written there can change how the system starts
# or what a command runs), and the state of packages and services under /var. macOS's own
# trees are listed too. Home folders, /tmp, /var/tmp, /srv, /opt, /mnt and /media (USB disks,
# where bundles are often taken away on) stay allowed.
SYSTEM_TREES = (
    "/proc", "/sys", "/dev", "/run", "/boot", "/efi", "/etc", "/usr", "/bin", "/sbin",
    "/lib", "/lib32", "/lib64", "/libx32", "/snap",
    "/var/lib", "/var/run", "/var/lock", "/var/log", "/var/cache", "/var/spool", "/var/mail", "/var/db",
    "/System", "/Library", "/private/etc", "/private/var/db",
)
# the files that make a folder an archive-kit repository (archive.CONFIG and archive.CATALOGUE;
# this module imports nothing from archive_kit but its errors)
REPOSITORY_MARKERS = ("config.json", "catalogue.sqlite")
TEMP_MARK = ".tmp-"
_NAME_BYTES = 200  # room for ".<name>.tmp-<pid>-<random><suffix>" within a 255-byte file name
_WRITE_FAILED = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def check_output(out: Path | str, repository: Path | str | None, *, folder: bool = False,
                 parent_made: bool = False) -> Path:
    """The resolved path to write the output ``out`` to, or a ``UsageError`` saying why not.

    ``folder`` is True for outputs that are folders (bundles); otherwise ``out`` is a file, whose
    folder must exist unless ``parent_made`` (the caller creates it, as a bundle does for its zip).
    ``repository`` is the repository's root (None only where there is none).
    """
    target = _resolve(out)
    if target == Path(target.anchor) or _same(target, Path(target.anchor)):
        raise UsageError(f"{out}: is the root folder; choose a folder of its own for the output")
    system = _system_tree(target)
    if system:
        raise UsageError(f"{out}: is in the system folder {system}; choose a folder of your own for the output")
    if repository is not None:
        repo = _resolve(repository)
        if target == repo or _same(target, repo):
            raise UsageError(f"{out}: is the repository itself; write outputs outside it")
        if _within(target, repo):
            raise UsageError(f"{out}: is inside the repository {repo}; write outputs outside it")
        if _within(repo, target):
            raise UsageError(f"{out}: holds the repository {repo}; choose a folder outside it")
    other = _repository_around(target)
    if other is not None:
        raise UsageError(f"{out}: is inside the archive-kit repository {other}; write outputs outside it")
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise UsageError(f"{out}: cannot be used as an output ({e.strerror})") from e
    if folder:
        if mode is not None and not stat.S_ISDIR(mode):
            raise UsageError(f"{out}: exists and is not a folder")
        return target
    if mode is not None and not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise UsageError(f"{out}: is {kind}; give the name of a file to write")
    if not parent_made and not target.parent.is_dir():
        raise UsageError(f"{target.parent}: folder does not exist")
    return target


def _resolve(path: Path | str) -> Path:
    """``path`` absolute with every symlink followed (a dangling one to where it points)."""
    try:
        return Path(path).expanduser().resolve()
    except (OSError, RuntimeError, ValueError) as e:  # symlink loop, NUL byte, name too long
        raise UsageError(f"{path}: not a usable output path ({e})") from e


def _ids(path: Path) -> set[tuple[int, int]]:
    """(device, inode) of ``path`` (if it exists) and of each of its existing ancestors."""
    ids = set()
    for p in (path, *path.parents):
        try:
            st = os.stat(p)
        except OSError:
            continue
        ids.add((st.st_dev, st.st_ino))
    return ids


def _same(a: Path, b: Path) -> bool:
    """True when both exist and are the same file or folder."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _within(path: Path, top: Path) -> bool:
    """True when ``path`` is ``top`` or below it, by resolved name or by device and inode."""
    if path == top or top in path.parents:
        return True
    try:
        st = os.stat(top)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) in _ids(path)


def _repository_around(target: Path) -> Path | None:
    """The archive-kit repository ``target`` is in or is, if any."""
    for p in (target, *target.parents):
        if all((p / marker).is_file() for marker in REPOSITORY_MARKERS):
            return p
    return None


def _system_tree(target: Path) -> str | None:
    """The system tree ``target`` lies in, if any."""
    ids = _ids(target)
    for tree in SYSTEM_TREES:
        p = Path(tree)
        if target == p or p in target.parents:
            return tree
        try:
            st = os.stat(p)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in ids:
            return tree
    return None


# --------------------------------------------------------------------------- writing


def temp_prefix(target: Path) -> str:
    """The name prefix of temp files and folders made for ``target`` (beside it)."""
    name = target.name.encode("utf-8", "surrogateescape")[:_NAME_BYTES].decode("utf-8", "ignore")
    return f".{name}{TEMP_MARK}"


def remove_stale_temps(target: Path) -> None:
    """Remove what killed writes of ``target`` left beside it, once their process is gone."""
    prefix = temp_prefix(target)
    for p in target.parent.glob(glob.escape(prefix) + "*"):
        pid = p.name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """True when a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


def temp_dir(target: Path) -> Path:
    """A new private temp folder beside ``target``, to build a folder output in."""
    remove_stale_temps(target)
    with output_errors(target):
        return Path(tempfile.mkdtemp(prefix=f"{temp_prefix(target)}{os.getpid()}-", dir=target.parent))


@contextlib.contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temp path beside ``target``; when the block ends without error the finished file
    replaces ``target`` in one rename (with the old file's mode, else 0666 less the umask).
    On any error the temp file is removed and ``target`` is as it was."""
    remove_stale_temps(target)
    with output_errors(target):
        fd, name = tempfile.mkstemp(prefix=f"{temp_prefix(target)}{os.getpid()}-", suffix=target.suffix,
                                    dir=target.parent)
        os.close(fd)
    tmp = Path(name)
    try:
        with output_errors(target):
            yield tmp
            mode = _file_mode(target)
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.chmod(tmp, mode)
            os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _file_mode(target: Path) -> int:
    """The mode a replaced file keeps, or what a new file gets under the umask."""
    try:
        st = os.stat(target)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def output_errors(*targets: Path) -> Iterator[None]:
    """Turn an OS error about one of ``targets`` (or their temp files) into one line naming it:
    a full disk, a quota, a size limit or an I/O error is an ``ArchiveKitError`` (exit 1), any
    other (no permission, read-only, no such folder) a ``UsageError`` (exit 2). Errors about other
    files (the repository's) pass through unchanged."""
    try:
        yield
    except OSError as e:
        target = _about(e, targets)
        if target is None:
            raise
        reason = e.strerror or str(e)
        if e.errno in _WRITE_FAILED:
            raise ArchiveKitError(f"{target}: could not be written ({reason}); nothing was written") from e
        raise UsageError(f"{target}: cannot be written ({reason})") from e


def _about(e: OSError, targets: tuple[Path, ...]) -> Path | None:
    """Which target an OS error is about (errors without a file name are the writer's)."""
    if not targets:
        return None
    if e.filename is None:
        return targets[0]
    try:
        p = Path(os.path.abspath(os.fsdecode(e.filename)))
    except (TypeError, ValueError):
        return targets[0]
    for target in targets:
        if p == target or target in p.parents:
            return target
        try:
            first = p.relative_to(target.parent).parts[0]
        except (ValueError, IndexError):
            continue
        if first.startswith(temp_prefix(target)):
            return target
    return None
