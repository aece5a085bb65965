"""Checking a bundle: the bag's own validity (every problem), every original against the
SHA-256 the repository's catalogue holds, and the 四性 checks of DA/T 70-2018 (``fourprops``)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalogue import Catalogue
from ..errors import ArchiveKitError
from ..store import hash_file
from ..verify import VerifyReport
from .bag import ORIGINALS, ORIGINALS_JSON, validate_bag
from .fourprops import Check, four_property_checks


@dataclass
class BundleVerifyReport(VerifyReport):
    """``verify --bundle``: the repository-style problems plus the 四性 ``checks``; ok only when
    there is no problem and every check passes."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem was found and every 四性 check passed."""
        return not self.findings and all(c.ok for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        """``verify --json``'s shape plus ``checks`` (contract: ``verify --bundle DIR --json``)."""
        return {**super().to_json(), "ok": self.ok, "checks": [c.to_json() for c in self.checks]}


def verify_bundle(catalogue: Catalogue, path: Path) -> BundleVerifyReport:
    """Bag validity (every problem), every original's SHA-256 against the repository's catalogue,
    and the 四性 checks."""
    report = BundleVerifyReport()
    if not path.is_dir():
        report.problem("no bundle folder here", kind="bundle_missing", path=str(path))
        return report
    bag_problems = validate_bag(path)
    for problem in bag_problems:
        report.problem(f"bag: {problem}", kind="bundle_bag", path=str(path))
    report.checks.append(Check("authenticity", "bag_fixity", None, not bag_problems,
                               "the bag's manifests match every file (BagIt)" if not bag_problems else
                               f"{len(bag_problems)} bag problem(s): {bag_problems[0]}"))
    report.checks += four_property_checks(path)
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
