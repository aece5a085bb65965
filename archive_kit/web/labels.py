"""What the console shows beside the library's JSON: Chinese names for tracks, criteria, tag
sources and log actions, the criteria board, and ingest results with display names only."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from .. import Archive
from ..catalogue import Document
from .messages import in_chinese

NAV = (("/", "search", "检索"), ("/board", "board", "测评指标看板"), ("/review", "review", "待处理"),
       ("/outputs", "outputs", "目录与迎检资料"), ("/upload", "upload", "添加文件"))
# level, its name, the formats it comes in
LISTINGS = (("item", "归档文件目录", ("csv", "xlsx", "docx", "pdf")), ("box", "盒目录", ("csv", "xlsx", "docx", "pdf")),
            ("spine", "盒脊标签", ("docx", "pdf")), ("cover", "盒面", ("docx", "pdf")),
            ("remarks", "备考表", ("docx", "pdf")))
SOURCES = {"cli": "命令行", "manifest": "清单", "path": "文件夹", "content": "内容识别", "manual": "人工"}
ACTIONS = {"number": "编号", "renumber": "重新编号", "unnumber": "撤销编号", "freeze": "冻结",
           "retag-numbered": "已编号文件改分类"}
# the fields of the edit log (``Archive.history``'s edits), as the page names them
FIELDS = {"title": "题名", "doc_number": "文号", "author": "责任者", "date": "日期", "secrecy": "密级",
          "retention": "保管期限", "remarks": "备注", "track": "创建类别", "criterion": "测评指标", "year": "年度",
          "link": "关联", "title_source": "题名来源", "kind": "门类", "place": "地点", "people": "人物",
          "photographer": "摄影者", "background": "背景/事由"}


def track_name(archive: Archive, track: str | None) -> str | None:
    """A track's Chinese name (its id when the schema is gone)."""
    if not track:
        return None
    schema = archive.registry.get(track)
    return schema.name if schema else track


def criterion_label(archive: Archive, track: str | None, code: str | None) -> str | None:
    """``2.3 志愿服务`` (the code alone when the schema no longer has it)."""
    if not code:
        return None
    schema = archive.registry.get(track) if track else None
    crit = schema.criterion(code) if schema else None
    return crit.label if crit else code


def document_labels(archive: Archive, doc: Document) -> dict[str, Any]:
    """Names for a record's track, criterion, tag sources and links."""
    return {"track": track_name(archive, doc.track), "criterion": criterion_label(archive, doc.track, doc.criterion),
            "sources": {k: SOURCES.get(v or "", v) for k, v in (("track", doc.track_source),
                                                                 ("criterion", doc.criterion_source),
                                                                 ("year", doc.year_source))},
            "links": [{"track": t, "criterion": c, "track_name": track_name(archive, t),
                       "criterion_label": criterion_label(archive, t, c)} for t, c in doc.links]}


def history(found: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """``Archive.history`` as one list, oldest first, each entry with its action in Chinese: an
    edit says which field changed and its value before and after, a numbering entry its detail."""
    edits = [{"at": e["at"], "actor": e["actor"], "action": "edit", "field": e["field"],
              "action_label": "修改" + FIELDS.get(e["field"], e["field"]),
              "detail": f"{e['before'] if e['before'] is not None else '（空）'} → "
                        f"{e['after'] if e['after'] is not None else '（空）'}"} for e in found["edits"]]
    numbering = [{**e, "action_label": ACTIONS.get(e.get("action", ""), e.get("action"))} for e in found["numbering"]]
    return sorted(edits + numbering, key=lambda e: e["at"])


def board(archive: Archive, track: str) -> dict[str, Any]:
    """A track's criteria tree against the years that have documents (this year when none do): per
    cell the documents and pages of the criterion and its descendants (``coverage``'s counts), gaps
    flagged, mandatory ones loudest, with the periods missing and whether a gap is past its due date;
    each criterion with its owner and due date (``assign``); veto criteria are conditions to confirm,
    not evidence gaps."""
    schema = archive.registry.require(track)
    years = archive.years(track=schema.id) or [dt.date.today().year]
    reports = {year: archive.coverage(schema.id, year).to_json() for year in years}
    rows = []
    for crit in schema.criteria:
        veto = bool(getattr(crit, "veto", False))
        cells = {}
        for year, report in reports.items():
            row = next(r for r in report["criteria"] if r["code"] == crit.code)
            cells[str(year)] = {k: row[k] for k in ("documents", "pages", "subtree_documents", "subtree_pages",
                                                    "missing_periods", "overdue", "points_at_risk")}
            cells[str(year)]["gap"] = None if veto or not row["missing"] else ("required" if crit.required else "gap")
            owner, due = row["owner"], row["due"]   # the same in every year: an assignment is per criterion
        rows.append({"code": crit.code, "name": crit.name, "depth": crit.depth, "points": crit.points,
                     "required": crit.required, "veto": veto, "owner": owner, "due": due, "cells": cells})
    return {"track": schema.id, "track_name": schema.name, "years": years, "criteria": rows,
            "totals": {str(y): r["total_documents"] for y, r in reports.items()},
            "unplaced": {str(y): len(r["unplaced"]) for y, r in reports.items()}}


def without_paths(report: dict[str, Any], names: dict[Path, str]) -> dict[str, Any]:
    """An ``ingest --json`` report of uploaded files in which every place the generated file name
    appears says the display name instead (no path of the console's work folder leaves it); each
    failure also has its reason in Chinese as ``message``."""
    def clean(value: Any) -> Any:
        if isinstance(value, str):
            for path, name in names.items():
                value = value.replace(str(path), name)
            return value
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value

    cleaned = clean(report)
    for failure in cleaned.get("failed", []):
        failure["message"] = in_chinese(failure["error"])
    return cleaned
