"""BagIt (RFC 8493) around a bundle, written directly (no ``os.chdir``, no moving files), a
deterministic zip of it, and bag validation that reports every problem.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

from .store import CHUNK, hash_file
from .textnorm import clean_text

BAGIT_TXT = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


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
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
            for p in files:
                info = zipfile.ZipInfo(f"{root}/{p.relative_to(bag).as_posix()}", date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                info.flag_bits |= 0x800  # names are UTF-8
                with open(p, "rb") as src, z.open(info, "w", force_zip64=True) as out:
                    for block in iter(lambda: src.read(CHUNK), b""):
                        out.write(block)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
