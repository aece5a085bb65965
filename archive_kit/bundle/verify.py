"""Checking a bundle: the bag's own validity (every problem) and every original against the
SHA-256 the repository's catalogue holds."""
from __future__ import annotations

import json
from pathlib import Path

from ..catalogue import Catalogue
from ..errors import ArchiveKitError
from ..store import hash_file
from ..verify import VerifyReport
from .bag import ORIGINALS, ORIGINALS_JSON, validate_bag


def verify_bundle(catalogue: Catalogue, path: Path) -> VerifyReport:
    """Bag validity (every problem) and every original's SHA-256 against the repository's catalogue."""
    report = VerifyReport()
    if not path.is_dir():
        report.problem("no bundle folder here", kind="bundle_missing", path=str(path))
        return report
    for problem in validate_bag(path):
        report.problem(f"bag: {problem}", kind="bundle_bag", path=str(path))
    listing = path / "data" / ORIGINALS_JSON
    try:
        recorded = json.loads(listing.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        report.problem(f"{ORIGINALS_JSON} cannot be read ({e})", kind="bundle_bag", path=str(listing))
        return report
    folder = path / "data" / ORIGINALS
    present = {p.name for p in folder.iterdir() if p.is_file()} if folder.is_dir() else set()
    for name, rec in sorted(recorded.items()):
        report.checked += 1
        where = f"data/{ORIGINALS}/{name}"
        sha = rec.get("sha256") if isinstance(rec, dict) else None
        doc_id = catalogue.by_sha(sha) if sha else None
        if doc_id is None:
            report.problem(f"{where}: the repository has no document with SHA-256 {str(sha)[:12]}…", kind="bundle_unknown_original",
                           path=where)
        if name not in present:
            report.problem(f"{where}: original is missing from the bundle", kind="bundle_original_missing", path=where)
            continue
        try:
            actual = hash_file(folder / name)
        except ArchiveKitError as e:
            report.problem(f"{where}: cannot be read ({e})", kind="bundle_original_damaged", path=where)
            continue
        if actual != sha:
            code = rec.get("archival_code") or ""
            report.problem(f"{where}: differs from the repository's original {code} "
                           f"(SHA-256 {actual[:12]}…, expected {str(sha)[:12]}…)", kind="bundle_original_damaged", path=where)
    for name in sorted(present - set(recorded)):
        report.problem(f"data/{ORIGINALS}/{name}: not an original of this bundle", kind="bundle_unexpected_file",
                       path=f"data/{ORIGINALS}/{name}")
    return report
