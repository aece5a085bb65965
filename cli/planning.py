"""Planning commands: who answers for which criterion, and by when (the plan's 责任分解)."""
from __future__ import annotations

from pathlib import Path

import click

from .main import Ctx, cli, emit_json, json_option, pass_ctx, warn
from .render import echo, table

command = cli.section("Records")


@command()
@click.argument("target", required=False, metavar="TRACK:CODE")
@click.option("--owner", help="Who answers for the criterion's evidence, e.g. \"组织科 张三\".")
@click.option("--due", help="Due date, YYYY-MM-DD.")
@click.option("--csv", "csv_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Assign many from a CSV (UTF-8 or GB18030; columns track, criterion, owner, due or 创建类别, "
                   "指标编号, 责任人, 完成时限).")
@click.option("--track", help="With --csv: the track of rows that name none.")
@json_option
@pass_ctx
def assign(ctx: Ctx, target: str | None, owner: str | None, due: str | None, csv_file: Path | None,
           track: str | None, as_json: bool) -> int:
    """Set the owner and due date of a criterion (or of many, from a CSV)."""
    if (target is None) == (csv_file is None):
        raise click.UsageError("give either TRACK:CODE with --owner, or --csv FILE")
    if target is not None and not owner:
        raise click.UsageError("TRACK:CODE needs --owner")
    if csv_file is not None and (owner or due):
        raise click.UsageError("--owner and --due go with TRACK:CODE; a CSV names them per row")
    if track and csv_file is None:
        raise click.UsageError("--track goes with --csv")
    with ctx.open() as archive:
        if csv_file is not None:
            report = archive.assign_csv(csv_file, track=track)
        else:
            report = archive.assign(target, owner=owner or "", due=due)
    for bad in report.failed:
        warn(f"{csv_file}:{bad['line']}: {bad['error']}")
    if as_json:
        emit_json(report.to_json())
    else:
        echo(table(["track", "指标", "责任人", "完成时限"],
                   [[a.track, a.criterion, a.owner, a.due or ""] for a in report.assigned]))
        echo(f"{len(report.assigned)} assigned, {len(report.failed)} row(s) refused")
    return 1 if report.failed else 0
