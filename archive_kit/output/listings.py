"""Listings of numbered items: the item catalogue (归档文件目录), the box listing (盒目录), box
spine labels (盒脊), box covers (盒面) and box remarks sheets (备考表), after DA/T 22-2015, and the photo
catalogue (照片档案目录, ``output.photos``) after DA/T 50-2014.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..catalogue import Document
from ..config import Config
from ..criteria.registry import TrackRegistry
from ..dates import compact_date
from ..errors import UsageError
from ..numbering import Box, Unit, list_boxes, numbered_units, retention_name, track_code
from ..outpaths import atomic_file, check_output
from ..repo import Repo
from .tables import Column, Sheet, write_table

LEVELS = ("item", "box", "spine", "cover", "remarks", "photo")
PRINTED_LEVELS = ("spine", "cover", "remarks")  # sheets to print and stick on boxes: PDF or DOCX only
FORMATS = ("csv", "xlsx", "docx", "pdf")


@dataclass(frozen=True)
class ItemField:
    """A column the item catalogue can have: its id (``--columns`` accepts it or the Chinese header),
    the printed column, and the cell of a document (its 1-based row number in its catalogue given)."""

    key: str
    column: Column
    cell: Callable[[TrackRegistry, Document, int], object]


ITEM_FIELDS = [
    # the default columns, DA/T 22-2015 归档文件目录
    ItemField("seq", Column("序号", 0.55, "C"), lambda r, d, n: n),
    ItemField("code", Column("档号", 2.8), lambda r, d, n: d.archival_code),
    ItemField("doc_number", Column("文号", 1.9), lambda r, d, n: d.doc_number),
    ItemField("author", Column("责任者", 1.6), lambda r, d, n: d.author),
    ItemField("title", Column("题名", 4.2), lambda r, d, n: d.listed_title),
    ItemField("date", Column("日期", 1.05, "C"), lambda r, d, n: compact_date(d.date)),
    ItemField("secrecy", Column("密级", 0.6, "C"), lambda r, d, n: d.secrecy),
    ItemField("pages", Column("页数", 0.55, "C"), lambda r, d, n: d.pages),
    ItemField("remarks", Column("备注", 1.0), lambda r, d, n: d.remarks),
    # on request only (--columns)
    ItemField("box", Column("盒号", 0.55, "C"), lambda r, d, n: d.box),
    ItemField("item", Column("件号", 0.7, "C"), lambda r, d, n: f"{d.item_number:04d}" if d.item_number else ""),
    ItemField("criterion", Column("测评指标", 2.0), lambda r, d, n: criterion_label(r, d.track, d.criterion)),
    ItemField("file", Column("原文件名", 2.0), lambda r, d, n: d.original_name),
]
DEFAULT_ITEM_COLUMNS = ("seq", "code", "doc_number", "author", "title", "date", "secrecy", "pages", "remarks")
_FIELD_NAMES = {name: f for f in ITEM_FIELDS for name in (f.key, f.column.header)}
# the class of each row in the one-table CSV (a machine reads it: no cover, no title line): the
# cover's fields (``unit_cover``), by their labels
CLASS_COLUMNS = [Column("全宗号"), Column("全宗名称"), Column("年度"), Column("保管期限"), Column("机构（问题）")]
BOX_COLUMNS = [
    Column("盒号", 0.6, "C"), Column("年度", 0.7, "C"), Column("保管期限", 0.9, "C"), Column("类别", 1.8),
    Column("起止件号", 1.3, "C"), Column("件数", 0.6, "C"), Column("页数", 0.6, "C"), Column("涉及指标", 4.0),
]


def item_fields(spec: str | Sequence[str] | None) -> list[ItemField]:
    """The item catalogue's columns from ``--columns``: a comma list (``,`` or ``，``) of column ids
    or Chinese headers in the order wanted, ``default`` standing for the default columns (e.g.
    ``default,盒号,测评指标``); None or empty: the default columns. An unknown or repeated name is a
    usage error naming it and the valid names."""
    if spec is None:
        return [_FIELD_NAMES[k] for k in DEFAULT_ITEM_COLUMNS]
    names = [n.strip() for n in (spec.replace("，", ",").split(",") if isinstance(spec, str) else spec)]
    names = [n for n in names if n]
    if not names:
        return [_FIELD_NAMES[k] for k in DEFAULT_ITEM_COLUMNS]
    chosen: list[ItemField] = []
    for name in names:
        fields = ([_FIELD_NAMES[k] for k in DEFAULT_ITEM_COLUMNS] if name.lower() == "default"
                  else [_FIELD_NAMES.get(name) or _FIELD_NAMES.get(name.lower())])
        for f in fields:
            if f is None:
                raise UsageError(f"unknown column {name!r} in --columns: use {valid_columns()}")
            if f in chosen:
                raise UsageError(f"column {f.column.header} ({f.key}) is named twice in --columns")
            chosen.append(f)
    return chosen


def valid_columns() -> str:
    """The names ``--columns`` accepts, for messages and help."""
    return "default, " + ", ".join(f"{f.column.header} ({f.key})" for f in ITEM_FIELDS)


def write_listing(repo: Repo, out: Path, *, fmt: str, level: str = "item", track: str | None = None,
                  year: int | None = None, columns: str | Sequence[str] | None = None) -> Path:
    """Write a listing of the numbered documents under the filters; nothing numbered is a usage error.

    The item catalogue has ``columns`` (``item_fields``: default 序号, 档号, 文号, 责任者, 题名, 日期,
    密级, 页数, 备注); one catalogue per class, each with its cover, in DOCX and PDF; one sheet per
    class in XLSX; one table with the class in its first columns in CSV.

    ``out`` is checked before anything is written (``outpaths.check_output``: never inside, onto or
    above the repository, a system file or a folder) and written atomically; the path written
    (symlinks resolved) is returned.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if level not in LEVELS:
        raise UsageError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
    if level in PRINTED_LEVELS and fmt not in ("docx", "pdf"):
        raise UsageError(f"--level {level} is for printing: use --format pdf or docx")
    if columns is not None and level != "item":
        raise UsageError("--columns is for the item catalogue (--level item)")
    fields = item_fields(columns)
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
        elif fmt == "csv":
            sheets = [item_table(registry, cfg, units, fields)]
        else:
            sheets = item_sheets(registry, cfg, units, fields)

        def write(path: Path) -> object:
            return write_table(path, fmt, sheets)
    else:
        boxes = list_boxes(repo.catalogue, registry, cfg, track=track, year=year)
        _require(boxes, track, year)
        from .boxlabels import write_covers, write_remarks, write_spines

        def write(path: Path) -> object:
            if level == "box":
                return write_table(path, fmt, [box_sheet(registry, cfg, boxes, track=track, year=year)])
            if level == "spine":
                return write_spines(path, fmt, boxes, registry, width=cfg.spine_width_mm)
            if level == "cover":
                return write_covers(path, fmt, boxes, unit_name=cfg.unit)
            return write_remarks(path, fmt, boxes, registry, unit_name=cfg.unit)
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


def class_name(registry: TrackRegistry, track: str) -> str:
    """A track's 机构（问题） (DA/T 22-2015), as catalogue covers, spines, remarks sheets and box
    listings print it: the schema's ``class_name`` where set, else its code (the id if unknown)."""
    schema = registry.get(track)
    if schema is None:
        return track
    return schema.class_name or track_code(schema)


def unit_sheet_name(registry: TrackRegistry, unit: Unit) -> str:
    """A unit's sheet name, e.g. ``2023-D30-WM`` (``2023-D30-WM-照片`` for its photos)."""
    schema = registry.get(unit.track)
    code = track_code(schema) if schema else unit.track
    return f"{unit.year}-{unit.retention}-{code}" + ("-照片" if unit.is_photo else "")


def unit_cover(registry: TrackRegistry, cfg: Config, unit: Unit) -> list[tuple[str, str]]:
    """The cover fields of a class's catalogue: 全宗号, 全宗名称, 年度, 保管期限, 机构（问题）, and 门类
    for its photos."""
    fields = [("全宗号", cfg.fonds), ("全宗名称", cfg.unit or ""), ("年度", str(unit.year)),
              ("保管期限", retention_name(unit.retention)), ("机构（问题）", class_name(registry, unit.track))]
    return fields + ([("门类", f"照片（{cfg.photo_category}）")] if unit.is_photo else [])


def unit_subtitle(registry: TrackRegistry, cfg: Config, unit: Unit) -> str:
    """The line over a class's catalogue table: its cover fields on one line."""
    return "　".join(f"{label}：{value or '—'}" for label, value in unit_cover(registry, cfg, unit))


def item_row(registry: TrackRegistry, doc: Document, seq: int, fields: Sequence[ItemField]) -> list[object]:
    """One row of the item catalogue: ``doc`` as the ``seq``-th item of its catalogue."""
    return [f.cell(registry, doc, seq) for f in fields]


def item_sheets(registry: TrackRegistry, cfg: Config, units: dict[Unit, list[Document]],
                fields: Sequence[ItemField]) -> list[Sheet]:
    """One item catalogue per class (year, retention, track), rows in item order, each with its cover."""
    sheets = []
    for unit, docs in units.items():
        sheets.append(Sheet("归档文件目录", unit_subtitle(registry, cfg, unit), [f.column for f in fields],
                            [item_row(registry, d, n, fields) for n, d in enumerate(docs, 1)],
                            name=unit_sheet_name(registry, unit), cover=unit_cover(registry, cfg, unit)))
    return sheets


def item_table(registry: TrackRegistry, cfg: Config, units: dict[Unit, list[Document]],
               fields: Sequence[ItemField]) -> Sheet:
    """Every class's catalogue in one table for machines (CSV): its cover fields (全宗号, 全宗名称, 年度,
    保管期限, 机构（问题）) first, then the columns; no title line."""
    rows = []
    for unit, docs in units.items():
        cover = dict(unit_cover(registry, cfg, unit))  # the cover's own values: the two never disagree
        head = [cover[c.header] for c in CLASS_COLUMNS]
        rows += [head + item_row(registry, d, n, fields) for n, d in enumerate(docs, 1)]
    return Sheet("", "", CLASS_COLUMNS + [f.column for f in fields], rows, name="归档文件目录")


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
        parts.append(f"机构（问题）：{class_name(registry, registry.require(track).id)}")
    return Sheet("盒目录", "　".join(parts), BOX_COLUMNS, [box_row(b) for b in boxes], name="盒目录")
