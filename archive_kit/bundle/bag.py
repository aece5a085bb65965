"""BagIt (RFC 8493) around a bundle, written directly (no ``os.chdir``, no moving files), a
deterministic zip of it, bag validation that reports every problem, and recognising a bundle
(or its zip) that archive-kit made, the only thing ``bundle --force`` may replace.
"""
from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

from ..outpaths import atomic_file
from ..store import CHUNK, hash_file
from ..textnorm import clean_text

BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
AGENT = "archive-kit"  # bag-info.txt's Bag-Software-Agent: the mark of a bundle archive-kit made
MAX_BAG_INFO = 1 << 16
ORIGINALS = "originals"            # the payload: data/originals/<item number>_<title>.<ext>
ORIGINALS_JSON = "originals.json"  # data/originals.json: file name -> sha256 and archival code


def _encode_path(rel: str) -> str:
    """A manifest path the way bagit-python reads it back: CR and LF as ``%0D``/``%0A``, nothing else.

    RFC 8493 also encodes ``%`` as ``%25``, but bagit-python does not decode it; payload names never
    hold ``%`` (``safenames`` maps it to ``％``), CR or LF, so both readers agree on every path.
    """
    return rel.replace("\r", "%0D").replace("\n", "%0A")


def payload_files(bag: Path) -> list[Path]:
    """Every file under ``data/``, sorted by its relative path."""
    data = bag / "data"
    return sorted((p for p in data.rglob("*") if p.is_file()), key=lambda p: p.relative_to(bag).as_posix())


def write_bag(bag: Path, info: list[tuple[str, str]], hashes: dict[str, str] | None = None) -> None:
    """Write ``bagit.txt``, ``bag-info.txt`` (``info`` plus Payload-Oxum) and both SHA-256 manifests.

    ``hashes`` maps already-known ``data/…`` paths to their SHA-256 (saves re-reading originals).
    """
    hashes = hashes or {}
    files = payload_files(bag)
    lines, octets = [], 0
    for p in files:
        rel = p.relative_to(bag).as_posix()
        octets += p.stat().st_size
        lines.append(f"{hashes.get(rel) or hash_file(p)}  {_encode_path(rel)}\n")
    (bag / "bagit.txt").write_text(BAGIT_TXT, encoding="utf-8")
    fields = [*info, ("Payload-Oxum", f"{octets}.{len(files)}")]
    text = "".join(f"{k}: {' '.join(clean_text(str(v)).split())}\n" for k, v in fields)
    (bag / "bag-info.txt").write_text(text, encoding="utf-8")
    (bag / "manifest-sha256.txt").write_text("".join(lines), encoding="utf-8")
    # every top-level file is a tag file (bundle.pdf and the contents too), so all are fixity-checked
    tags = sorted(p.name for p in bag.iterdir() if p.is_file() and not p.name.startswith("tagmanifest-"))
    (bag / "tagmanifest-sha256.txt").write_text("".join(f"{hash_file(bag / t)}  {t}\n" for t in tags), encoding="utf-8")


def validate_bag(bag: Path) -> list[str]:
    """Every problem the ``bagit`` validator finds (empty when the bag is valid)."""
    import logging

    import bagit

    logging.getLogger("bagit").setLevel(logging.ERROR)
    try:
        b = bagit.Bag(str(bag))
    except bagit.BagError as e:
        return [f"not a valid bag: {e}"]
    try:
        b.validate(processes=1)
        return []
    except bagit.BagValidationError as e:
        problems = [str(d) for d in getattr(e, "details", None) or []]
        if problems:
            return problems
        problems = [str(e)]
    # the quick Payload-Oxum check stops bagit at the first problem: list every file problem too
    for check in ("_validate_completeness", "_validate_entries"):
        try:
            getattr(b, check)(*(() if check == "_validate_completeness" else (1,)))
        except bagit.BagValidationError as e:
            problems += [str(d) for d in getattr(e, "details", None) or []] or [str(e)]
        except (AttributeError, TypeError):
            break
    return problems


def zip_bag(bag: Path, dest: Path, root: str) -> None:
    """Zip the bag under the top folder ``root`` (the bundle's own name, not the folder it is being
    built in) with fixed timestamps and sorted members: the same bytes each time."""
    files = sorted((p for p in bag.rglob("*") if p.is_file()), key=lambda p: p.relative_to(bag).as_posix())
    with atomic_file(dest) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
            for p in files:
                info = zipfile.ZipInfo(f"{root}/{p.relative_to(bag).as_posix()}", date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                info.flag_bits |= 0x800  # names are UTF-8
                with open(p, "rb") as src, z.open(info, "w", force_zip64=True) as out:
                    for block in iter(lambda: src.read(CHUNK), b""):
                        out.write(block)


def _made_by_us(bag_info: bytes) -> bool:
    """True when ``bag-info.txt`` names archive-kit as the Bag-Software-Agent."""
    for line in bag_info.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Bag-Software-Agent":
            return value.strip().split(" ")[0] == AGENT
    return False


def _manifest_paths(bag: Path) -> set[str]:
    """Every path the bag's manifests and tag manifests list (decoded as bagit-python does)."""
    listed: set[str] = set()
    for m in bag.iterdir():
        if not (m.name.startswith(("manifest-", "tagmanifest-")) and m.name.endswith(".txt")):
            continue
        if not stat.S_ISREG(m.lstat().st_mode):
            continue
        listed.add(m.name)
        with open(m, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                parts = line.rstrip("\r\n").split(None, 1)
                if len(parts) == 2:
                    listed.add(parts[1].replace("%0D", "\r").replace("%0A", "\n"))
    return listed


def bundle_problem(bag: Path) -> str | None:
    """None when ``bag`` is a bundle archive-kit made and holds nothing its manifests do not list;
    otherwise why not (so ``--force`` never removes a folder, or a file, archive-kit did not make)."""
    info = bag / "bag-info.txt"
    if not all((bag / n).is_file() and not (bag / n).is_symlink() for n in ("bagit.txt", "bag-info.txt")):
        return "no bagit.txt and bag-info.txt"
    with open(info, "rb") as fh:
        if not _made_by_us(fh.read(MAX_BAG_INFO)):
            return f"bag-info.txt does not say Bag-Software-Agent: {AGENT}"
    listed = _manifest_paths(bag) | {"bagit.txt", "bag-info.txt"}
    for dirpath, dirnames, filenames in os.walk(bag, onerror=_raise):
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            rel = p.relative_to(bag).as_posix()
            mode = p.lstat().st_mode
            if stat.S_ISDIR(mode):
                continue
            if not stat.S_ISREG(mode) or rel not in listed:
                return f"it holds {rel}, which the bundle did not write"
    return None


def _raise(error: OSError) -> None:
    """``os.walk`` skips folders it cannot read; a folder that cannot be read cannot be vouched for."""
    raise error


def bundle_zip_problem(path: Path) -> str | None:
    """None when ``path`` is a zip of one bundle archive-kit made; otherwise why not."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        return "not a regular file"
    try:
        with zipfile.ZipFile(path) as z:
            tops = {n.split("/", 1)[0] for n in z.namelist()}
            if len(tops) != 1:
                return "it does not hold exactly one bundle folder"
            info = z.getinfo(f"{tops.pop()}/bag-info.txt")
            if info.file_size > MAX_BAG_INFO:
                return "its bag-info.txt is not one archive-kit writes"
            made_by_us = _made_by_us(z.read(info))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, NotImplementedError, EOFError):
        return "not a zip holding a bundle"
    return None if made_by_us else f"its bag-info.txt does not say Bag-Software-Agent: {AGENT}"
