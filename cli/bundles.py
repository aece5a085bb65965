"""Bundle commands: ``bundle`` (an inspection bundle as a BagIt folder) and ``verify-bundle``."""
from __future__ import annotations

from pathlib import Path

import click

from .main import Ctx, cli, emit_json, json_option, pass_ctx, warn
from .render import echo
from .repository import show_verify

command = cli.section("Bundles")


@command()
@click.option("--track", required=True, help="Track id, Chinese name or alias.")
@click.option("--year", type=int, required=True, help="Year (年度).")
@click.option("--criterion", help="Only this criterion and its descendants.")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="Folder to create, outside the repository (a BagIt bag; the payload is in DIR/data/).")
@click.option("--zip", "make_zip", is_flag=True, help="Also write DIR.zip (its top folder is DIR's name).")
@click.option("--force", is_flag=True,
              help="Replace a previous bundle in DIR (and DIR.zip); never a folder archive-kit did not make.")
@json_option
@pass_ctx
def bundle(ctx: Ctx, track: str, year: int, criterion: str | None, out: Path, make_zip: bool, force: bool,
           as_json: bool) -> int:
    """Build an inspection bundle (numbers unnumbered documents of the track's year first)."""
    with ctx.open() as archive:
        report = archive.bundle(out, track=track, year=year, criterion=criterion, zip=make_zip, force=force)
    if as_json:
        emit_json(report.to_json())
        return 0
    for note in report.notes:
        warn(note)
    echo(f"Bundle {report.path}: {report.documents} document(s), {report.pages} page(s)"
         + (f", zip {report.zip}" if report.zip else ""))
    if report.numbered:
        echo(f"{report.numbered} document(s) were numbered first")
    if report.missing:
        codes = ", ".join(m["criterion"] for m in report.missing)
        echo(f"{len(report.missing)} criteria without evidence (缺少佐证材料): {codes}")
    return 0


@command("verify-bundle")
@click.argument("path", type=click.Path(path_type=Path))
@json_option
@pass_ctx
def verify_bundle(ctx: Ctx, path: Path, as_json: bool) -> int:
    """Check a bundle: BagIt validity and every original against the repository's SHA-256.

    Exit 1 when the bundle fails a check.
    """
    with ctx.open() as archive:
        report = archive.verify_bundle(path)
    show_verify(report, as_json, "original(s)")
    return 0 if report.ok else 1
