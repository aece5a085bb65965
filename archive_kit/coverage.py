"""Coverage of a track's assessment scheme for a year: which criteria have evidence, which have none,
which periodic records are missing, who answers for each gap and how many points are at risk.

Counting: ``documents``/``pages`` count the documents filed at the criterion itself or linked to it
(``links`` table); ``subtree_documents``/``subtree_pages`` also count its descendants, each
document once. A criterion is missing when its subtree has no document; mandatory (必备) ones
are flagged loudest. A veto condition (一票否决) is never missing: it is listed as a condition to
confirm. Documents filed by content alone, unconfirmed, are not counted but named.

Periodic criteria (``cadence``, or ``kinds`` each with their own) need records every month,
quarter, half-year or year: a document of the criterion's subtree counts for the period of its
date (for a kind, when its title or file name contains the kind's name or a keyword). Only periods
that have ended by ``today`` are due, so the current month is never reported missing.

Points at risk count evidence, not its quality: the points of each scored criterion (the finest
level with points) that has no evidence, or a share of them equal to the share of its due periods
with no record. It is not a predicted score.
"""
from __future__ import annotations

import calendar
import datetime as _dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import Assignment, Catalogue, Document
from .criteria.model import Criterion, Kind, TrackSchema, code_within, natural_code_key, normalize_name
from .criteria.registry import TrackRegistry

COUNTING = ("documents/pages: filed at or linked to the criterion itself; "
            "subtree_documents/subtree_pages: the criterion and all its descendants, each document once")
POINTS_AT_RISK = ("points_at_risk counts evidence, not its quality: the points of criteria with no evidence, and of "
                  "periodic criteria the share of due periods with no record; it is not a predicted score")
MISSING_REQUIRED = "MISSING (必备)"
MISSING = "missing"
MISSING_PERIODS = "missing periods"
VETO = "confirm (一票否决)"
OVERDUE = "overdue"


# --------------------------------------------------------------------------- periods


def period_of(cadence: str, day: _dt.date) -> str:
    """The label of the period ``day`` falls in: ``2023-04``, ``2023-Q2``, ``2023-H1`` or ``2023``."""
    if cadence == "monthly":
        return f"{day.year}-{day.month:02d}"
    if cadence == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if cadence == "half-yearly":
        return f"{day.year}-H{(day.month - 1) // 6 + 1}"
    return str(day.year)


def periods_due(cadence: str, year: int, today: _dt.date) -> list[str]:
    """The periods of ``year`` at ``cadence`` that have ended before ``today``, in order."""
    months = {"monthly": 1, "quarterly": 3, "half-yearly": 6, "yearly": 12}[cadence]
    due = []
    for first in range(1, 13, months):
        last = first + months - 1
        end = _dt.date(year, last, calendar.monthrange(year, last)[1])
        if end < today:
            due.append(period_of(cadence, _dt.date(year, first, 1)))
    return due


@dataclass
class PeriodCheck:
    """One periodic requirement of a criterion (its own cadence, or one kind): the periods due so
    far and those with fewer than ``per_period`` records."""

    kind: str | None
    cadence: str
    per_period: int
    periods_due: list[str]
    missing_periods: list[str]

    @property
    def share_missing(self) -> float:
        """The share of due periods without enough records (0 when none is due yet)."""
        return len(self.missing_periods) / len(self.periods_due) if self.periods_due else 0.0

    def to_json(self) -> dict[str, Any]:
        """``kind``, ``cadence``, ``per_period``, ``periods_due`` (a count) and ``missing_periods``."""
        return {"kind": self.kind, "cadence": self.cadence, "per_period": self.per_period,
                "periods_due": len(self.periods_due), "missing_periods": self.missing_periods}


def _check(cadence: str, per_period: int, kind: str | None, dates: list[_dt.date], year: int,
           today: _dt.date) -> PeriodCheck:
    counts: dict[str, int] = {}
    for day in dates:
        label = period_of(cadence, day)
        counts[label] = counts.get(label, 0) + 1
    due = periods_due(cadence, year, today)
    return PeriodCheck(kind, cadence, per_period, due, [p for p in due if counts.get(p, 0) < per_period])


def _of_kind(kind: Kind, doc: Document) -> bool:
    """The document's title or file name contains the kind's name or one of its keywords."""
    text = normalize_name(f"{doc.title or ''} {doc.original_name or ''}")
    return any(normalize_name(word) in text for word in kind.words)


def _day(value: str | None) -> _dt.date | None:
    """A catalogue date (YYYY-MM-DD) as a date; None when there is none (an undated document counts
    for no period)."""
    try:
        return _dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def period_checks(crit: Criterion, docs: list[Document], year: int, today: _dt.date) -> list[PeriodCheck]:
    """The periodic requirements of one criterion checked against its subtree's documents."""
    dated = [(d, day) for d in docs if (day := _day(d.date)) is not None]
    checks = []
    if crit.cadence:
        checks.append(_check(crit.cadence, crit.per_period, None, [day for _, day in dated], year, today))
    for kind in crit.kinds:
        checks.append(_check(kind.cadence, kind.per_period, kind.name,
                             [day for d, day in dated if _of_kind(kind, d)], year, today))
    return checks


# --------------------------------------------------------------------------- the report


@dataclass
class CoverageRow:
    """One criterion with its own and its subtree's document and page counts, its periodic
    checks, its owner and due date (its own assignment or its nearest ancestor's) and its points at risk."""

    code: str
    name: str
    depth: int
    points: float | None
    required: bool
    documents: int
    pages: int
    subtree_documents: int
    subtree_pages: int
    veto: bool = False
    periods: list[PeriodCheck] = field(default_factory=list)
    owner: str | None = None
    due: str | None = None
    assigned_via: str | None = None  # the code whose assignment applies (itself or an ancestor)
    points_at_risk: float | None = None
    scored: bool = False  # the finest level with points: where points at risk are counted
    today: _dt.date | None = None

    @property
    def missing(self) -> bool:
        """No document here or below (a veto condition is never missing: it is confirmed)."""
        return self.subtree_documents == 0 and not self.veto

    @property
    def missing_periods(self) -> list[str]:
        """Due periods without enough records, over its own cadence and its kinds, in time order."""
        found = {p for check in self.periods for p in check.missing_periods}
        return sorted(found, key=lambda p: (p[:4], _period_order(p)))

    @property
    def gap(self) -> bool:
        """Missing, or periods missing."""
        return not self.veto and (self.missing or bool(self.missing_periods))

    @property
    def overdue(self) -> bool:
        """A gap whose due date has passed."""
        return self.gap and self.due is not None and self.today is not None and self.due < self.today.isoformat()

    @property
    def status(self) -> str:
        """``MISSING (必备)``, ``missing``, ``missing periods``, ``confirm (一票否决)`` or empty;
        ``, overdue`` added when the due date of a gap has passed."""
        if self.veto:
            return VETO
        if self.missing:
            base = MISSING_REQUIRED if self.required else MISSING
        elif self.missing_periods:
            base = MISSING_PERIODS
        else:
            return ""
        return f"{base}, {OVERDUE}" if self.overdue else base

    def to_json(self) -> dict[str, Any]:
        """All counts plus ``missing``, ``status``, ``veto``, ``missing_periods``, ``periods``,
        ``owner``, ``due``, ``overdue`` and ``points_at_risk``."""
        data = asdict(self)
        for private in ("today", "scored", "periods"):
            data.pop(private)
        return {**data, "missing": self.missing, "status": self.status, "missing_periods": self.missing_periods,
                "periods": [c.to_json() for c in self.periods], "overdue": self.overdue}

    def gap_json(self) -> dict[str, Any]:
        """The short form listed among the ranked gaps."""
        return {k: v for k, v in self.to_json().items()
                if k in ("code", "name", "points", "points_at_risk", "required", "status", "missing",
                         "missing_periods", "owner", "due", "overdue")}


def _period_order(label: str) -> int:
    """Order of a period label within its year (months, quarters, halves, the year)."""
    tail = label[5:]
    if not tail:
        return 0
    return {"Q": 100, "H": 200}.get(tail[0], 0) + int(tail.lstrip("QH"))


@dataclass
class CoverageReport:
    """A track's criteria in schema tree order for one year; ``unplaced`` are documents of the
    track and year with no criterion, or one the schema no longer has."""

    track: str
    track_name: str
    year: int
    rows: list[CoverageRow]
    total_documents: int
    unplaced: list[int] = field(default_factory=list)
    root: Path | None = None  # the repository, which ``write`` never writes into
    today: _dt.date | None = None
    veto_notes: dict[str, str] = field(default_factory=dict)  # code → 评分标准 of a veto condition
    unconfirmed: list[int] = field(default_factory=list)  # filed here by content alone: not counted

    @property
    def missing(self) -> list[CoverageRow]:
        """Criteria without any evidence."""
        return [r for r in self.rows if r.missing]

    @property
    def missing_required(self) -> list[CoverageRow]:
        """Mandatory criteria without any evidence."""
        return [r for r in self.rows if r.missing and r.required]

    @property
    def vetoes(self) -> list[CoverageRow]:
        """Veto conditions (一票否决): to be confirmed, not evidenced."""
        return [r for r in self.rows if r.veto]

    @property
    def points_total(self) -> float:
        """The points of all scored criteria."""
        return round(sum(r.points or 0 for r in self.rows if r.scored), 2)

    @property
    def points_at_risk(self) -> float:
        """The points at risk of all scored criteria."""
        return round(sum(r.points_at_risk or 0 for r in self.rows if r.scored), 2)

    @property
    def gaps(self) -> list[CoverageRow]:
        """The gaps that matter, overdue first, then by points at risk, mandatory first, then by code:
        scored criteria with points at risk, and in unscored parts of the scheme the finest missing
        criteria and those with missing periods."""
        scored = [r.code for r in self.rows if r.scored]

        def unscored_path(row: CoverageRow) -> bool:
            return not any(code_within(c, row.code) or code_within(row.code, c) for c in scored)

        def finest(row: CoverageRow) -> bool:
            return not any(r.missing and r.code != row.code and code_within(r.code, row.code) for r in self.rows)

        chosen = [r for r in self.rows if r.gap and (
            (r.scored and (r.points_at_risk or 0) > 0)
            or (unscored_path(r) and (r.missing_periods or (r.missing and finest(r)))))]
        return sorted(chosen, key=lambda r: (not r.overdue, -(r.points_at_risk or 0), not r.required,
                                             natural_code_key(r.code)))

    @property
    def unconfirmed_note(self) -> str:
        """The line naming the documents left uncounted because content only proposed their tags."""
        return (f"not counted: {len(self.unconfirmed)} document(s) whose tags content only proposed "
                f"(ids {', '.join(map(str, self.unconfirmed))}): confirm with `archive-kit tag ID --confirm`")

    def to_json(self) -> dict[str, Any]:
        """Rows, totals, the codes of missing criteria, veto conditions, points at risk, the ranked
        gaps and how documents and points are counted."""
        return {
            "track": self.track, "track_name": self.track_name, "year": self.year, "counting": COUNTING,
            "today": self.today.isoformat() if self.today else None,
            "total_documents": self.total_documents,
            "criteria": [r.to_json() for r in self.rows],
            "missing": [r.code for r in self.missing],
            "missing_required": [r.code for r in self.missing_required],
            "veto_conditions": [{"code": r.code, "name": r.name, "standard": self.veto_notes.get(r.code)}
                                for r in self.vetoes],
            "points_total": self.points_total,
            "points_at_risk": self.points_at_risk,
            "points_at_risk_note": POINTS_AT_RISK,
            "gaps": [r.gap_json() for r in self.gaps],
            "unplaced": self.unplaced,
            "unconfirmed": self.unconfirmed,
        }

    def to_text(self) -> str:
        """A terminal table with gaps marked (mandatory ones loudest), the ranked gaps (overdue
        first) with owners and due dates, the veto conditions to confirm, and a summary."""
        from .output.tables import display_width

        headers = ["指标", "名称", "分值", "必备", "文件", "页数", "含下级文件", "含下级页数", "责任人", "时限", "状态"]
        body = [["  " * (r.depth - 1) + r.code, r.name, _num(r.points), "必备" if r.required else "", r.documents,
                 r.pages, r.subtree_documents, r.subtree_pages, r.owner or "", r.due or "", r.status]
                for r in self.rows]
        cells = [[str(v) for v in row] for row in [headers] + body]
        widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
        lines = ["  ".join(v + " " * (widths[i] - display_width(v)) for i, v in enumerate(row)).rstrip()
                 for row in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append("")
        gaps = self.gaps
        if gaps:
            lines.append("gaps (overdue first, then by points at risk):")
            for r in gaps:
                parts = [f"{r.code} {r.name}", r.status]
                if r.points_at_risk:
                    parts.append(f"{_num(r.points_at_risk)} of {_num(r.points)} points at risk")
                if r.missing_periods and not r.missing:
                    parts.append("no record for " + ", ".join(r.missing_periods))
                if r.owner:
                    parts.append(f"owner {r.owner}")
                if r.due:
                    parts.append(f"due {r.due}")
                lines.append("  " + "; ".join(parts))
        for r in self.vetoes:
            note = self.veto_notes.get(r.code)
            lines.append(f"{VETO}: {r.code} {r.name}" + (f": {note}" if note else ""))
        lines.append(f"{self.track_name} {self.year}: {self.total_documents} document(s); "
                     f"{len(self.missing)} of {len(self.rows)} criteria without evidence, "
                     f"{len(self.missing_required)} of them mandatory (必备)")
        if self.missing_required:
            lines.append(f"{MISSING_REQUIRED}: " + ", ".join(f"{r.code} {r.name}" for r in self.missing_required))
        if self.points_total:
            lines.append(f"points at risk: {_num(self.points_at_risk)} of {_num(self.points_total)} "
                         "(evidence counted, not its quality: not a predicted score)")
        if self.unplaced:
            lines.append(f"{len(self.unplaced)} document(s) have no valid criterion: see `archive-kit review`")
        if self.unconfirmed:
            lines.append(self.unconfirmed_note)
        lines.append(f"(counting: {COUNTING})")
        return "\n".join(lines)

    def write(self, path: Path | str, fmt: str) -> Path:
        """Write the report as the 任务分解表 (criterion, points, owner, due date, evidence counts,
        status, missing periods, points at risk) in csv or xlsx, atomically, to a path
        ``outpaths.check_output`` allows (never inside, onto or above the repository)."""
        from .errors import UsageError
        from .outpaths import atomic_file, check_output
        from .output.tables import Column, Sheet, write_table

        if fmt not in ("csv", "xlsx"):
            raise UsageError(f"coverage is written as csv or xlsx, not {fmt!r}")
        target = check_output(path, self.root)
        columns = [Column("指标编号", 1, "L"), Column("指标名称", 3), Column("分值", 0.6, "C"), Column("必备", 0.6, "C"),
                   Column("本级文件数", 0.9, "C"), Column("本级页数", 0.9, "C"), Column("含下级文件数", 1, "C"),
                   Column("含下级页数", 1, "C"), Column("状态", 1.2), Column("责任人", 1.4), Column("完成时限", 1.1, "C"),
                   Column("缺少期次", 1.6), Column("风险分值", 0.8, "C")]
        rows = [[r.code, r.name, r.points, "必备" if r.required else "", r.documents, r.pages, r.subtree_documents,
                 r.subtree_pages, r.status, r.owner, r.due, "、".join(r.missing_periods), r.points_at_risk]
                for r in self.rows]
        subtitle = f"{self.track_name}　{self.year}年度　共 {self.total_documents} 件"
        if self.points_total:
            subtitle += f"　风险分值 {_num(self.points_at_risk)}/{_num(self.points_total)}（只计有无佐证材料，不评质量）"
        sheet = Sheet("任务分解表", subtitle, columns, rows, name=f"{self.year}-{self.track}")
        with atomic_file(target) as tmp:
            write_table(tmp, fmt, [sheet])
        return target


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _owners(schema: TrackSchema, assigned: dict[str, Assignment], code: str) -> tuple[Assignment | None, str | None]:
    """A criterion's own assignment, else its nearest ancestor's, with the code it is set on."""
    for at in [code, *reversed(schema.ancestors(code))]:
        if at in assigned:
            return assigned[at], at
    return None, None


def _points_at_risk(rows: list[CoverageRow], schema: TrackSchema) -> None:
    """Mark the scored criteria (the finest level with points, veto conditions left out) and set
    their points at risk; every criterion above them gets the sum of theirs."""
    by_code = {r.code: r for r in rows}
    pointed = {r.code for r in rows if r.points is not None and not r.veto}
    for r in rows:
        if r.code in pointed and not any(d.code in pointed for d in schema.descendants(r.code)):
            r.scored = True
            checks = r.periods + [c for d in schema.descendants(r.code) for c in by_code[d.code].periods]
            due = [c for c in checks if c.periods_due]
            share = 1.0 if r.missing else (sum(c.share_missing for c in due) / len(due) if due else 0.0)
            r.points_at_risk = round((r.points or 0) * share, 2)
    for r in rows:
        if not r.scored:
            below = [by_code[d.code] for d in schema.descendants(r.code) if by_code[d.code].scored]
            r.points_at_risk = round(sum(b.points_at_risk or 0 for b in below), 2) if below else None


def coverage_report(cat: Catalogue, registry: TrackRegistry, root: Path, *, track: str, year: int,
                    today: _dt.date | None = None) -> CoverageReport:
    """Count documents (filed or linked) and pages per criterion of ``track`` for ``year``, check
    periodic criteria against the periods ended before ``today`` (default: the real today), add
    owners, due dates and points at risk; ``root`` is the repository, which ``write`` refuses to write into."""
    today = today or _dt.date.today()
    schema = registry.require(track)
    own: dict[str, set[int]] = {}
    pages: dict[int, int] = {}
    documents: set[int] = set()
    unplaced: list[int] = []
    unconfirmed = cat.unconfirmed_under(schema.id, year)
    left_out = set(unconfirmed)
    for doc_id, code, n in cat.filed_under(schema.id, year):
        if doc_id in left_out:
            continue
        documents.add(doc_id)
        pages[doc_id] = n or 0
        if code and schema.criterion(code) is not None:
            own.setdefault(schema.criterion(code).code, set()).add(doc_id)
        else:
            unplaced.append(doc_id)
    for doc_id, code, n in cat.linked_under(schema.id, year):
        crit = schema.criterion(code)
        if crit is not None:
            documents.add(doc_id)
            pages[doc_id] = n or 0
            own.setdefault(crit.code, set()).add(doc_id)
    periodic = [c for c in schema.criteria if c.periodic]
    subtrees: dict[str, set[int]] = {}
    for crit in schema.criteria:
        below = set(own.get(crit.code, set()))
        for d in schema.descendants(crit.code):
            below |= own.get(d.code, set())
        subtrees[crit.code] = below
    wanted = sorted(set().union(*(subtrees[c.code] for c in periodic))) if periodic else []
    docs = {d.id: d for d in cat.by_ids(wanted)}
    assigned = cat.assignments_of(schema.id)
    rows = []
    for crit in schema.criteria:
        mine, below = own.get(crit.code, set()), subtrees[crit.code]
        assignment, via = _owners(schema, assigned, crit.code)
        checks = period_checks(crit, [docs[i] for i in sorted(below) if i in docs], year, today) if crit.periodic else []
        rows.append(CoverageRow(crit.code, crit.name, crit.depth, crit.points, crit.required, len(mine),
                                sum(pages[i] for i in mine), len(below), sum(pages[i] for i in below),
                                veto=schema.under_veto(crit.code), periods=checks,
                                owner=assignment.owner if assignment else None,
                                due=assignment.due if assignment else None, assigned_via=via, today=today))
    _points_at_risk(rows, schema)
    notes = {c.code: c.standard for c in schema.criteria if c.standard and schema.under_veto(c.code)}
    return CoverageReport(schema.id, schema.name, year, rows, len(documents), unplaced, root=root, today=today,
                          veto_notes=notes, unconfirmed=unconfirmed)
