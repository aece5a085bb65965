"""Listings of numbered items: the item catalogue (归档文件目录), the box listing (盒目录), box
spine labels (盒脊) and box remarks sheets (备考表), after DA/T 22-2015, and the photo catalogue
(照片档案目录, ``output.photos``) after DA/T 50-2014.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..catalogue import Document
from ..config import Config
from ..criteria.registry import TrackRegistry
from ..dates import compact_date
from ..errors import UsageError
from ..numbering import Box, Unit, list_boxes, numbered_units, retention_name, track_code
from ..outpaths import atomic_file, check_output
from ..repo import Repo
from .tables import Column, Sheet, write_table

LEVELS = ("item", "box", "spine", "remarks", "photo")
FORMATS = ("csv", "xlsx", "docx", "pdf")

ITEM_COLUMNS = [
    Column("盒号", 0.6, "C"), Column("件号", 0.75, "C"), Column("档号", 3.0), Column("文号", 2.0),
    Column("责任者", 1.6), Column("题名", 4.0), Column("日期", 1.1, "C"), Column("页数", 0.6, "C"),
    Column("测评指标", 2.0), Column("备注", 0.9),
]
BOX_COLUMNS = [
    Column("盒号", 0.6, "C"), Column("年度", 0.7, "C"), Column("保管期限", 0.9, "C"), Column("类别", 1.8),
    Column("起止件号", 1.3, "C"), Column("件数", 0.6, "C"), Column("页数", 0.6, "C"), Column("涉及指标", 4.0),
]


def write_listing(repo: Repo, out: Path, *, fmt: str, level: str = "item", track: str | None = None,
                  year: int | None = None) -> Path:
    """Write a listing of the numbered documents under the filters; nothing numbered is a usage error.

    ``out`` is checked before anything is written (``outpaths.check_output``: never inside, onto or
    above the repository, a system file or a folder) and written atomically; the path written
    (symlinks resolved) is returned.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if level not in LEVELS:
        raise UsageError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
    if level in ("spine", "remarks") and fmt not in ("docx", "pdf"):
        raise UsageError(f"--level {level} is for printing: use --format pdf or docx")
    registry, cfg = repo.registry, repo.config
    out = check_output(out, repo.root)
    if level in ("item", "photo"):
        photos = level == "photo"
        units = {u: docs for u, docs in numbered_units(repo.catalogue, registry, track=track, year=year).items()
                 if u.is_photo == photos}
        _require(units, track, year, "photos" if photos else "documents")
        if photos:
            from .photos import photo_sheets

            sheets = photo_sheets(registry, cfg, units)
        else:
            sheets = item_sheets(registry, cfg, units)

        def write(path: Path) -> object:
            return write_table(path, fmt, sheets)
    else:
        boxes = list_boxes(repo.catalogue, registry, cfg, track=track, year=year)
        _require(boxes, track, year)
        from .boxlabels import write_remarks, write_spines

        def write(path: Path) -> object:
            if level == "box":
                return write_table(path, fmt, [box_sheet(registry, cfg, boxes, track=track, year=year)])
            return (write_spines if level == "spine" else write_remarks)(path, fmt, boxes, unit_name=cfg.unit)
    with atomic_file(out) as tmp:
        write(tmp)
    return out


def _require(found: object, track: str | None, year: int | None, what: str = "documents") -> None:
    if not found:
        scope = " ".join(x for x in (f"--track {track}" if track else "", f"--year {year}" if year else "") if x)
        raise UsageError(f"no numbered {what}{' for ' + scope if scope else ''}: run `archive-kit number"
                         f"{' ' + scope if scope else ''}` first")


def criterion_label(registry: TrackRegistry, track: str | None, code: str | None) -> str:
    """``2.2 志愿服务活动`` (the code alone if the schema no longer knows it)."""
    if not code:
        return ""
    schema = registry.get(track) if track else None
    crit = schema.criterion(code) if schema else None
    return crit.label if crit else code


def unit_subtitle(registry: TrackRegistry, cfg: Config, unit: Unit) -> str:
    """The cover line of a unit's catalogue: fonds code and name, year, retention, track."""
    schema = registry.get(unit.track)
    track_text = f"{schema.name}（{track_code(schema)}）" if schema else unit.track
    photos = f"　门类：照片（{cfg.photo_category}）" if unit.is_photo else ""
    return (f"全宗号：{cfg.fonds}　全宗名称：{cfg.unit or '—'}　年度：{unit.year}　"
            f"保管期限：{retention_name(unit.retention)}　类别：{track_text}{photos}")


def unit_sheet_name(registry: TrackRegistry, unit: Unit) -> str:
    """A unit's sheet name, e.g. ``2023-D30-WM`` (``2023-D30-WM-照片`` for its photos)."""
    schema = registry.get(unit.track)
    code = track_code(schema) if schema else unit.track
    return f"{unit.year}-{unit.retention}-{code}" + ("-照片" if unit.is_photo else "")


def item_row(registry: TrackRegistry, doc: Document) -> list[object]:
    """One row of the item catalogue."""
    return [doc.box, f"{doc.item_number:04d}" if doc.item_number else "", doc.archival_code, doc.doc_number,
            doc.author, doc.title or doc.original_name, compact_date(doc.date), doc.pages,
            criterion_label(registry, doc.track, doc.criterion), doc.remarks]


def item_sheets(registry: TrackRegistry, cfg: Config, units: dict[Unit, list[Document]]) -> list[Sheet]:
    """One item catalogue per classification unit, rows in item order with their box."""
    sheets = []
    for unit, docs in units.items():
        sheets.append(Sheet("归档文件目录", unit_subtitle(registry, cfg, unit), ITEM_COLUMNS,
                            [item_row(registry, d) for d in docs], name=unit_sheet_name(registry, unit)))
    return sheets


def box_row(box: Box) -> list[object]:
    """One row of the box listing."""
    kind = "·照片" if box.unit.is_photo else ""
    return [box.box, box.year, retention_name(box.retention), f"{box.track_name}（{box.track_code}）{kind}",
            f"{box.first_item:04d}—{box.last_item:04d}", box.items, box.pages, "、".join(box.criteria)]


def box_sheet(registry: TrackRegistry, cfg: Config, boxes: Sequence[Box], *, track: str | None,
              year: int | None) -> Sheet:
    """The box listing of every box under the filters."""
    parts = [f"全宗号：{cfg.fonds}", f"全宗名称：{cfg.unit or '—'}"]
    if year is not None:
        parts.append(f"年度：{year}")
    if track:
        schema = registry.require(track)
        parts.append(f"类别：{schema.name}（{track_code(schema)}）")
    return Sheet("盒目录", "　".join(parts), BOX_COLUMNS, [box_row(b) for b in boxes], name="盒目录")
