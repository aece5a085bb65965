"""Coverage of a track's assessment scheme for a year: which criteria have evidence, which have none.

Counting: ``documents``/``pages`` count the documents filed at the criterion itself or linked to it
(``links`` table); ``subtree_documents``/``subtree_pages`` also count its descendants, each
document once. A criterion is missing when its subtree has no document; mandatory (必备) ones
are flagged loudest. Documents filed by content alone, unconfirmed, are not counted but named.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .catalogue import Catalogue
from .criteria.registry import TrackRegistry

COUNTING = ("documents/pages: filed at or linked to the criterion itself; "
            "subtree_documents/subtree_pages: the criterion and all its descendants, each document once")
MISSING_REQUIRED = "MISSING (必备)"
MISSING = "missing"


@dataclass
class CoverageRow:
    """One criterion with its own and its subtree's document and page counts."""

    code: str
    name: str
    depth: int
    points: float | None
    required: bool
    documents: int
    pages: int
    subtree_documents: int
    subtree_pages: int

    @property
    def missing(self) -> bool:
        """No document here or below."""
        return self.subtree_documents == 0

    @property
    def status(self) -> str:
        """``MISSING (必备)``, ``missing`` or empty."""
        if not self.missing:
            return ""
        return MISSING_REQUIRED if self.required else MISSING

    def to_json(self) -> dict[str, Any]:
        """All fields plus ``missing`` and ``status``."""
        return {**asdict(self), "missing": self.missing, "status": self.status}


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
    root: Path | None = None
    unconfirmed: list[int] = field(default_factory=list)  # filed here by content alone: not counted  # the repository, which ``write`` never writes into

    @property
    def missing(self) -> list[CoverageRow]:
        """Criteria without any evidence."""
        return [r for r in self.rows if r.missing]

    @property
    def missing_required(self) -> list[CoverageRow]:
        """Mandatory criteria without any evidence."""
        return [r for r in self.rows if r.missing and r.required]

    @property
    def unconfirmed_note(self) -> str:
        """The line naming the documents left uncounted because content only proposed their tags."""
        return (f"not counted: {len(self.unconfirmed)} document(s) whose tags content only proposed "
                f"(ids {', '.join(map(str, self.unconfirmed))}): confirm with `archive-kit tag ID --confirm`")

    def to_json(self) -> dict[str, Any]:
        """Rows, totals, the codes of missing criteria and how documents are counted."""
        return {
            "track": self.track, "track_name": self.track_name, "year": self.year, "counting": COUNTING,
            "total_documents": self.total_documents,
            "criteria": [r.to_json() for r in self.rows],
            "missing": [r.code for r in self.missing],
            "missing_required": [r.code for r in self.missing_required],
            "unplaced": self.unplaced,
            "unconfirmed": self.unconfirmed,
        }

    def to_text(self) -> str:
        """A terminal table with missing criteria marked, mandatory ones loudest, and a summary."""
        from .output.tables import display_width

        headers = ["指标", "名称", "分值", "必备", "文件", "页数", "含下级文件", "含下级页数", "状态"]
        body = [["  " * (r.depth - 1) + r.code, r.name, "" if r.points is None else f"{r.points:g}",
                 "必备" if r.required else "", r.documents, r.pages, r.subtree_documents, r.subtree_pages,
                 r.status] for r in self.rows]
        cells = [[str(v) for v in row] for row in [headers] + body]
        widths = [max(display_width(row[i]) for row in cells) for i in range(len(headers))]
        lines = ["  ".join(v + " " * (widths[i] - display_width(v)) for i, v in enumerate(row)).rstrip()
                 for row in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append("")
        lines.append(f"{self.track_name} {self.year}: {self.total_documents} document(s); "
                     f"{len(self.missing)} of {len(self.rows)} criteria without evidence, "
                     f"{len(self.missing_required)} of them mandatory (必备)")
        if self.missing_required:
            lines.append(f"{MISSING_REQUIRED}: " + ", ".join(f"{r.code} {r.name}" for r in self.missing_required))
        if self.unplaced:
            lines.append(f"{len(self.unplaced)} document(s) have no valid criterion: see `archive-kit review`")
        if self.unconfirmed:
            lines.append(self.unconfirmed_note)
        lines.append(f"(counting: {COUNTING})")
        return "\n".join(lines)

    def write(self, path: Path | str, fmt: str) -> Path:
        """Write the report as csv or xlsx, atomically, to a path ``outpaths.check_output`` allows
        (never inside, onto or above the repository); returns the path written."""
        from .errors import UsageError
        from .outpaths import atomic_file, check_output
        from .output.tables import Column, Sheet, write_table

        if fmt not in ("csv", "xlsx"):
            raise UsageError(f"coverage is written as csv or xlsx, not {fmt!r}")
        target = check_output(path, self.root)
        columns = [Column("指标编号", 1, "L"), Column("指标名称", 3), Column("分值", 0.6, "C"), Column("必备", 0.6, "C"),
                   Column("本级文件数", 0.9, "C"), Column("本级页数", 0.9, "C"), Column("含下级文件数", 1, "C"),
                   Column("含下级页数", 1, "C"), Column("状态", 1.2)]
        rows = [[r.code, r.name, r.points, "必备" if r.required else "", r.documents, r.pages, r.subtree_documents,
                 r.subtree_pages, r.status] for r in self.rows]
        sheet = Sheet("测评指标覆盖情况", f"{self.track_name}　{self.year}年度　共 {self.total_documents} 件",
                      columns, rows, name=f"{self.year}-{self.track}")
        with atomic_file(target) as tmp:
            write_table(tmp, fmt, [sheet])
        return target


def coverage_report(cat: Catalogue, registry: TrackRegistry, root: Path, *, track: str, year: int) -> CoverageReport:
    """Count documents (filed or linked) and pages per criterion of ``track`` for ``year``; ``root``
    is the repository, which the report's ``write`` refuses to write into."""
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
    rows = []
    for crit in schema.criteria:
        mine = own.get(crit.code, set())
        below = set(mine)
        for d in schema.descendants(crit.code):
            below |= own.get(d.code, set())
        rows.append(CoverageRow(crit.code, crit.name, crit.depth, crit.points, crit.required, len(mine),
                                sum(pages[i] for i in mine), len(below), sum(pages[i] for i in below)))
    return CoverageReport(schema.id, schema.name, year, rows, len(documents), unplaced, root=root,
                          unconfirmed=unconfirmed)
