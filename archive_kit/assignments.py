"""Owners and due dates of criteria (the plan's 责任分解: 明确部门和个人的任务、责任).

``assign TRACK:CODE --owner 组织科张三 --due 2023-06-30`` sets one; a CSV (as Excel saves it: UTF-8
or GB18030) sets many, keeping its good rows and naming each bad one by its line. The CSV may be
a filled-in 任务分解表 that ``coverage --format csv`` wrote: title rows before the header are
skipped, and rows without an owner or due date are left alone. Coverage shows each criterion's
owner and due date (an assignment holds for the criteria below it unless they have their own).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import Assignment, Catalogue
from .criteria.model import one_line
from .criteria.registry import TrackRegistry
from .dates import parse_date
from .errors import ArchiveKitError, ManifestError, UsageError
from .ingest.manifest import read_csv_text
from .output.tables import FORMULA_STARTS

__all__ = ["AssignReport", "assign", "assignment", "read_assignments_csv"]

MAX_OWNER = 100
MAX_CSV_BYTES = 10 * 1024 * 1024
# column titles of an assignment CSV: the English names, or what a 任务分解表 calls them
HEADER_ALIASES = {
    "track": "track", "类别": "track", "创建类别": "track", "创建项目": "track",
    "criterion": "criterion", "code": "criterion", "指标": "criterion", "指标编号": "criterion",
    "测评指标": "criterion", "target": "target",
    "owner": "owner", "责任人": "owner", "责任部门": "owner", "责任单位": "owner", "责任科室": "owner",
    "due": "due", "完成时限": "due", "截止日期": "due", "完成时间": "due", "完成期限": "due",
}


@dataclass
class AssignReport:
    """What was assigned and the rows (by line) that were refused."""

    assigned: list[Assignment] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)  # {"line": n, "error": "…"}

    def to_json(self) -> dict[str, Any]:
        """``{"assigned": [{track, criterion, owner, due}], "failed": [{line, error}]}``."""
        return {"assigned": [a._asdict() for a in self.assigned], "failed": self.failed}


def parse_due(value: str) -> str:
    """A due date in any usual form (2023-06-30, 2023/6/30, 2023年6月30日) as YYYY-MM-DD."""
    day = parse_date(value)
    if day is None:
        raise UsageError(f"due date {one_line(value)!r} is not a real date (write YYYY-MM-DD)")
    return day.isoformat()


def assignment(registry: TrackRegistry, target: str, *, owner: str, due: str | None,
               track: str | None = None) -> Assignment:
    """Check one assignment: ``target`` is ``TRACK:CODE`` (or a bare code with ``track``), the
    owner a non-empty line, the due date real; a mistake is a UsageError naming the value."""
    text = one_line(target).strip()
    if ":" in text:
        track, code = (part.strip() for part in text.rsplit(":", 1))
    else:
        code = text
    if not track:
        raise UsageError(f"criterion {text!r} must be given as TRACK:CODE, e.g. party-building:3.2.1")
    schema = registry.require(track)
    crit = schema.criterion(code) or schema.resolve_criterion(code)
    if crit is None:
        raise UsageError(f"unknown criterion {code!r} in track {schema.id}")
    name = one_line(owner or "").strip()
    if not name:
        raise UsageError(f"criterion {schema.id}:{crit.code}: the owner must not be empty")
    if len(name) > MAX_OWNER:
        raise UsageError(f"criterion {schema.id}:{crit.code}: the owner is longer than {MAX_OWNER} characters")
    return Assignment(schema.id, crit.code, name, parse_due(due) if due and due.strip() else None)


def assign(cat: Catalogue, rows: list[Assignment]) -> None:
    """Store checked assignments (replacing earlier ones of the same criteria) in one transaction."""
    if rows:
        cat.put_assignments(rows)


def read_assignments_csv(path: Path, registry: TrackRegistry, *, track: str | None = None) -> AssignReport:
    """Read an assignment CSV: good rows in ``assigned`` (not yet stored), bad rows in ``failed``
    with their line. A file that cannot be read at all raises ManifestError naming it."""
    name = str(path)
    text = read_csv_text(path, "the assignment CSV", MAX_CSV_BYTES)
    report = AssignReport()
    keys: list[str] | None = None
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if keys is None:  # title rows before the header are skipped
                found = [HEADER_ALIASES.get(c.strip().lower(), HEADER_ALIASES.get(c.strip(), "")) for c in cells]
                if "owner" in found:
                    keys = found
                    if "criterion" not in keys and "target" not in keys:
                        raise ManifestError(f"{name}:{line}: the header has no criterion column (指标编号 or criterion)")
                continue
            values = {k: _unquoted(c.strip()) for k, c in zip(keys, cells) if k and c.strip()}
            if not values.get("owner") and not values.get("due"):
                continue  # a criterion nobody was named for yet
            try:
                target = values.get("target") or values.get("criterion") or ""
                row_track = values.get("track") or track
                if not target:
                    raise UsageError("no criterion in this row")
                report.assigned.append(assignment(registry, target, owner=values.get("owner", ""),
                                                  due=values.get("due"), track=row_track))
            except ArchiveKitError as e:
                report.failed.append({"line": line, "error": one_line(str(e))})
    except csv.Error as e:
        raise ManifestError(f"{name}:{reader.line_num}: broken CSV ({e})") from None
    if keys is None:
        raise ManifestError(f"{name}: no header row with an owner column (责任人 or owner)")
    return report


def _unquoted(cell: str) -> str:
    """A cell as the person wrote it: the ``'`` our CSV export puts before text that starts like a
    formula (``csv_cell``) is taken off again."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell
