"""Stage 1, collect: the command's paths and manifest become items; folders are walked (skipping
Office lock files, hidden and system files, never following links out of the walked folder or
into the repository itself)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from ..formats import readable_name
from .manifest import ManifestRow, read_manifest
from .records import IngestReport, Item

JUNK_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}


def _is_junk(name: str) -> str | None:
    """Why a file met while walking a folder is skipped silently, or None to take it."""
    low = name.lower()
    if low in JUNK_NAMES:
        return "system file"
    if name.startswith("~$"):
        return "Office lock file (~$…), not a document"
    if name.startswith("."):
        return "hidden file"
    return None


def walk(root: Path, report: IngestReport, skip: set[Path], repository: Path | None = None) -> Iterator[Item]:
    """Every file under ``root``, in sorted order, never following folder symlinks (no loops),
    never entering the repository itself (``ingest .`` beside ``./archive`` must not eat its
    objects) and never following a file symlink out of ``root`` (as a manifest refuses such paths)."""
    real_root = _resolved(root) or root.absolute()
    base_parts = [readable_name(p) for p in real_root.parts[1:]]
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=lambda e: report.fail(e.filename, f"cannot read folder: {e.strerror}")):
        for d in list(dirnames):
            sub = Path(dirpath) / d
            why = ("the archive-kit repository itself" if repository is not None and _resolved(sub) == repository
                   else "folder symbolic link, not followed" if sub.is_symlink() else None)
            if why:
                dirnames.remove(d)
                report.skipped.append({"path": readable_name(str(sub)), "reason": why})
        dirnames.sort()
        rel = Path(dirpath).relative_to(root).parts
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if skip and _resolved(path) in skip:
                continue
            why = _is_junk(name) or _leaves(path, real_root)
            if why:
                report.skipped.append({"path": readable_name(str(path)), "reason": why})
                continue
            yield Item(path=path, source_path=readable_name(str(path)),
                       parts=base_parts + [readable_name(p) for p in rel])


def _leaves(path: Path, real_root: Path) -> str | None:
    """Why a symlink met while walking is not followed (its target is outside the walked folder),
    or None. Loops and broken links are left to ``identify``, which fails them with a clear line."""
    if not path.is_symlink():
        return None
    target = _resolved(path)
    if target is None or not target.exists() or target == real_root or real_root in target.parents:
        return None
    return "symbolic link to a file outside the ingested folder; not followed"


def _resolved(path: Path) -> Path | None:
    """The real path, or None for a symlink loop or an unreadable link."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def collect(paths: Iterable[Path], manifest: Path | None, report: IngestReport,
            repository: Path | None = None, names: Mapping[Path, str] | None = None) -> list[Item]:
    """Turn the command's PATHs and manifest into items; missing paths fail, folders are walked.
    A file ``names`` gives a name to is known by that name alone (its folder says nothing)."""
    rows: list[ManifestRow] = read_manifest(manifest) if manifest else []
    by_path: dict[Path, ManifestRow] = {}
    held: set[Path] = set()  # files whose row is in error: not ingested until the manifest is fixed
    for row in rows:
        if row.error:
            report.fail(f"{manifest}:{row.line}: {row.raw_path}", row.error)
            if row.path is not None:
                held.add(row.path)
        elif row.path is not None:
            by_path[row.path] = row
    skip = {manifest.resolve()} if manifest else set()
    items: list[Item] = []
    paths = list(paths)
    if not paths and manifest:
        for row in by_path.values():
            items.append(Item(row.path, str(row.path), list(row.path.parent.parts[1:]), dict(row.values)))
        return items
    for p in paths:
        if os.path.islink(p) and not p.exists():
            report.fail(p, "broken symbolic link: its target does not exist")
        elif not p.exists():
            report.fail(p, "no such file or folder")
        elif repository is not None and (_resolved(p) == repository or repository in (_resolved(p) or p).parents):
            report.fail(p, "is inside the archive-kit repository; ingest the original files instead")
        elif p.is_dir():
            items.extend(walk(p, report, skip, repository))
        elif names and p in names:
            items.append(Item(path=p, source_path=readable_name(names[p]), parts=[], display_name=names[p]))
        else:
            real = _resolved(p) or p.absolute()
            items.append(Item(path=p, source_path=readable_name(str(p)),
                              parts=[readable_name(x) for x in real.parent.parts[1:]]))
    if held:
        items = [item for item in items if _resolved(item.path) not in held]
    for item in items:
        row = by_path.get(_resolved(item.path))
        if row is not None:
            item.manifest = dict(row.values)
    return items
