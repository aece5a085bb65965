"""The photo catalogue (照片档案目录) after DA/T 50-2014: one per class's photos, in photo-number order.

Photos are numbered apart from the class's documents (``numbering.Unit.kind``), so their catalogue
is a listing of its own; ``output.listings`` writes it for ``--level photo`` through the shared
table writer (CSV, XLSX, DOCX, PDF).
"""
from __future__ import annotations

from ..catalogue import Document
from ..config import Config
from ..criteria.registry import TrackRegistry
from ..dates import compact_date
from ..numbering import Unit
from .listings import unit_cover, unit_sheet_name, unit_subtitle
from .tables import Column, Sheet

PHOTO_COLUMNS = [
    Column("照片号", 0.7, "C"), Column("档号", 3.0), Column("题名", 3.6), Column("时间", 1.1, "C"),
    Column("地点", 1.8), Column("人物", 2.2), Column("摄影者", 1.1), Column("备注", 1.2),
]


def photo_row(doc: Document) -> list[object]:
    """One row of the photo catalogue: 照片号 (its item number), 档号, 题名 ([ ] when taken from the file name or
    composed), 时间 (taken), 地点, 人物, 摄影者, 备注."""
    return [f"{doc.item_number:04d}" if doc.item_number else "", doc.archival_code, doc.listed_title,
            compact_date(doc.date), doc.place, doc.people, doc.photographer, doc.remarks]


def photo_sheets(registry: TrackRegistry, cfg: Config, units: dict[Unit, list[Document]]) -> list[Sheet]:
    """One photo catalogue per class whose photos are numbered (other units are left out)."""
    return [Sheet("照片档案目录", unit_subtitle(registry, cfg, unit), PHOTO_COLUMNS, [photo_row(d) for d in docs],
                  name=unit_sheet_name(registry, unit), cover=unit_cover(registry, cfg, unit))
            for unit, docs in units.items() if unit.is_photo]
