"""Commands for the records office: number, log, listing, coverage."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archive_kit.coverage import MISSING_REQUIRED

from .main import Ctx, cli, emit_json, json_option, pass_ctx, warn
from .render import echo, table

command = cli.section("Records")


@command()
@click.option("--track", help="Only this track (id, Chinese name or alias).")
@click.option("--year", type=int, help="Only this year (年度).")
@click.option("--box-pages", type=click.IntRange(1, 100000), default=None,
              help="Most pages per box (default: config box_pages, 200).")
@click.option("--renumber", is_flag=True, help="Rebuild the numbering of the units in scope (refused once frozen).")
@click.option("--freeze", is_flag=True, help="Mark the units in scope as boxed and labelled: never renumbered.")
@json_option
@pass_ctx
def number(ctx: Ctx, track: str | None, year: int | None, box_pages: int | None, renumber: bool, freeze: bool,
           as_json: bool) -> int:
    """Give unnumbered documents item numbers, archival codes and boxes.

    Exit 1 when some documents could not be numbered (their tags need fixing first).
    """
    with ctx.open() as archive:
        report = archive.number(track=track, year=year, box_pages=box_pages, renumber=renumber, freeze=freeze)
    for doc, reason in report.skipped:
        warn(f"not numbered: #{doc.id} {doc.title or doc.original_name}: {reason}")
    if report.skipped:
        warn(f"{len(report.skipped)} document(s) not numbered; decide their tags or dates (`archive-kit review`) "
             "and run number again")
    if report.estimated:
        ids = ", ".join(f"#{d.id}" for d in report.estimated)
        warn(f"{len(report.estimated)} document(s) numbered with an estimated page count ({ids}): LibreOffice could "
             "not count their pages; run `archive-kit repair` once it works (see `archive-kit review`)")
    if as_json:
        emit_json(report.to_json())
    else:
        if report.numbered:
            echo(table(["id", "档号", "件号", "盒号", "页数", "指标", "题名"],
                       [[d.id, d.archival_code, d.item_number, d.box, d.pages, d.criterion, d.title]
                        for d in report.numbered]))
        for unit in report.renumbered_units:
            echo(f"renumbered {unit.label()}")
        for unit in report.frozen_units:
            echo(f"frozen {unit.label()}")
        echo(f"{len(report.numbered)} document(s) numbered, {len(report.skipped)} skipped")
    return 1 if report.skipped else 0


@command("log")
@click.option("--limit", type=click.IntRange(1, None), default=None, help="Only the last N entries.")
@json_option
@pass_ctx
def log_(ctx: Ctx, limit: int | None, as_json: bool) -> int:
    """The append-only log of numbering and retagging (who, when, what)."""
    with ctx.open() as archive:
        entries = archive.number_log(limit=limit)
    if as_json:
        emit_json({"log": entries})
    else:
        echo(table(["at", "actor", "action", "doc", "detail"],
                   [[e["at"], e["actor"], e["action"], e["doc_id"] or "",
                     json.dumps(e["detail"], ensure_ascii=False, sort_keys=True)] for e in entries], max_col=90))
    return 0


@command()
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "docx", "pdf"]), required=True,
              help="File format.")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="File to write (outside the repository; replaced only once complete).")
@click.option("--track", help="Only this track.")
@click.option("--year", type=int, help="Only this year.")
@click.option("--level", type=click.Choice(["item", "box", "spine", "cover", "remarks", "photo"]), default="item",
              show_default=True, help="item catalogue, box listing, box spine labels (盒脊), box covers (盒面), "
              "remarks sheets (备考表) (spine/cover/remarks: docx, pdf) or photo catalogue (照片档案目录).")
@click.option("--columns", default=None, metavar="LIST",
              help="Item catalogue columns, comma-separated, in order: ids or Chinese headers; `default` stands "
                   "for the default 序号,档号,文号,责任者,题名,日期,密级,页数,备注. Extra: 盒号 (box), 件号 (item), "
                   "测评指标 (criterion), 原文件名 (file). E.g. --columns default,盒号,测评指标")
@pass_ctx
def listing(ctx: Ctx, fmt: str, out: Path, track: str | None, year: int | None, level: str,
            columns: str | None) -> int:
    """Write the item catalogue, box listing, spine labels, box covers, remarks sheets or photo catalogue.

    The item catalogue (归档文件目录) lists documents, the photo catalogue (照片档案目录) photos; each is
    one catalogue per class (year, retention, track), with its cover and pages numbered from 1 (DOCX,
    PDF), one sheet per class (XLSX) or one table whose first columns name the class (CSV). Titles
    the archivist composed or taken from a file name are printed in [ ].
    """
    with ctx.open() as archive:
        path = archive.listing(out, fmt=fmt, level=level, track=track, year=year, columns=columns)
    echo(f"wrote {path}")
    return 0


def _loud(line: str) -> str:
    """A coverage line that must not be missed (a mandatory criterion without evidence)."""
    return click.style(line, fg="red", bold=True)


@command()
@click.option("--track", required=True, help="Track id, Chinese name or alias.")
@click.option("--year", type=int, required=True, help="Year (年度).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None, help="Also write a file.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="File for --format (outside the repository; replaced only once complete).")
@json_option
@pass_ctx
def coverage(ctx: Ctx, track: str, year: int, fmt: str | None, out: Path | None, as_json: bool) -> int:
    """Every criterion of a track with its documents and pages for a year; gaps flagged."""
    if (fmt is None) != (out is None):
        raise click.UsageError("--format and --out go together")
    with ctx.open() as archive:
        report = archive.coverage(track, year)
    if fmt and out:
        warn(f"wrote {report.write(out, fmt)}")
    if as_json:
        if report.unconfirmed:
            warn(report.unconfirmed_note)
        emit_json(report.to_json())
    else:
        loud = sys.stdout.isatty()
        for line in report.to_text().splitlines():
            echo(line, decorate=_loud if loud and MISSING_REQUIRED in line else None)
    return 0
