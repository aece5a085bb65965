"""Commands for the documents themselves: ingest, list, show, tag, review."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from archive_kit.catalogue import Document

from .main import DOC_ID, Ctx, cli, emit_json, filter_options, json_option, pass_ctx, warn
from .render import echo, table

command = cli.section("Documents")


def doc_rows(docs: list[Document]) -> str:
    """The people's table of documents."""
    return table(
        ["id", "title", "track", "crit", "year", "date", "pages", "code"],
        [[d.id, d.title, d.track, d.criterion, d.year, d.date, d.pages, d.archival_code] for d in docs],
    )


def _progress_callback(bar):
    """A library progress callback that moves a click progress bar."""

    def progress(done: int, total: int, name: str) -> None:
        bar.length = max(total, 1)
        bar.update(done - bar.pos)

    return progress


@command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@filter_options
@click.option("--manifest", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Manifest CSV (UTF-8 or GB18030): tags and metadata per file; alone, the files its rows name.")
@click.option("--no-ocr", is_flag=True, help="Do not OCR scans and photos.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Worker processes (default: all cores).")
@json_option
@pass_ctx
def ingest(ctx: Ctx, paths: tuple[Path, ...], track: str | None, criterion: str | None, year: int | None,
           manifest: Path | None, no_ocr: bool, jobs: int | None, as_json: bool) -> int:
    """Add files and folders (recursively).

    Exit 1 when some inputs failed: each is named with its reason, and everything else was added
    and kept.
    """
    if not paths and not manifest:
        raise click.UsageError("give files or folders to ingest, or --manifest")
    with ctx.open() as archive:
        bar = None
        progress = None
        if sys.stderr.isatty() and not as_json:
            bar = click.progressbar(length=1, label="Ingesting", file=sys.stderr, show_pos=True)
            bar.__enter__()
            progress = _progress_callback(bar)
        try:
            report = archive.ingest(paths, manifest=manifest, track=track, criterion=criterion, year=year,
                                    ocr=not no_ocr, jobs=jobs, progress=progress)
        finally:
            if bar is not None:
                bar.__exit__(None, None, None)
    for f in report.failed:
        warn(f"failed: {f['path']}: {f['error'].removeprefix(f['path'] + ': ')}")
    if as_json:
        emit_json(report.to_json())
    else:
        if report.added:
            echo(doc_rows(report.added))
        echo(f"{len(report.added)} added, {len(report.duplicates)} duplicate(s), "
             f"{len(report.failed)} failed, {len(report.skipped)} skipped")
        untagged = sum(1 for d in report.added if not (d.track and d.criterion and d.year) or d.proposed_tags)
        if untagged:
            echo(f"{untagged} document(s) need a tag decision: run `archive-kit review`")
    return 1 if report.failed else 0


@command("list")
@filter_options
@click.option("--untagged", is_flag=True, help="Only documents missing a track, criterion or year.")
@json_option
@pass_ctx
def list_(ctx: Ctx, track: str | None, criterion: str | None, year: int | None, untagged: bool, as_json: bool) -> int:
    """List documents."""
    with ctx.open() as archive:
        docs = archive.documents(track=track, criterion=criterion, year=year, untagged=untagged)
    if as_json:
        emit_json({"documents": [d.to_json() for d in docs]})
    else:
        echo(doc_rows(docs))
        echo(f"{len(docs)} document(s)")
    return 0


@command()
@click.argument("doc_id", type=DOC_ID)
@click.option("--text", "with_text", is_flag=True, help="Include the extracted text.")
@click.option("--history", "with_history", is_flag=True,
              help="Include its tag and edit history (who, when, field, before, after) and numbering log.")
@json_option
@pass_ctx
def show(ctx: Ctx, doc_id: int, with_text: bool, with_history: bool, as_json: bool) -> int:
    """One document's record, with its extracted text (--text) and history (--history)."""
    with ctx.open() as archive:
        doc = archive.get(doc_id)
        text = archive.text(doc_id) if with_text else None
        history = archive.history(doc_id) if with_history else None
    record = doc.to_json()
    if as_json:
        if text is not None:
            record["text"] = text
        if history is not None:
            record["history"] = history["edits"]
            record["number_log"] = history["numbering"]
        emit_json(record)
        return 0
    for key, value in record.items():
        if key in ("tag_sources", "links", "warnings", "low_confidence_pages", "proposed") and not value:
            continue
        echo(f"{key:>22}: {value}", one_line=True)
    if history is not None:
        echo("\nhistory:")
        echo(table(["at", "actor", "field", "before", "after"],
                   [[e["at"], e["actor"], e["field"], e["before"], e["after"]] for e in history["edits"]], max_col=60))
        for e in history["numbering"]:
            echo(f"{e['at']}  {e['actor']}  {e['action']}  {e['detail'].get('archival_code', '')}", one_line=True)
    if text is not None:
        echo("\n" + text)
    return 0


@command()
@click.argument("ids", nargs=-1, type=DOC_ID, required=True)
@filter_options
@click.option("--link", multiple=True, metavar="TRACK:CODE", help="Also evidence for this criterion.")
@click.option("--unlink", multiple=True, metavar="TRACK:CODE", help="Remove such a link.")
@click.option("--force", is_flag=True, help="Allow retagging numbered documents (logged).")
@click.option("--confirm", is_flag=True, help="Confirm the tags content proposed, as they are.")
@json_option
@pass_ctx
def tag(ctx: Ctx, ids: tuple[int, ...], track: str | None, criterion: str | None, year: int | None,
        link: tuple[str, ...], unlink: tuple[str, ...], force: bool, confirm: bool, as_json: bool) -> int:
    """Set tags by hand (source: manual); any tag, or --confirm, confirms content's proposals."""
    with ctx.open() as archive:
        archive.tag(ids, track=track, criterion=criterion, year=year, link=link, unlink=unlink, force=force,
                    confirm=confirm)
        docs = [archive.get(i) for i in ids]
    if as_json:
        emit_json({"documents": [d.to_json() for d in docs]})
    else:
        echo(doc_rows(docs))
    return 0


@command()
@json_option
@pass_ctx
def review(ctx: Ctx, as_json: bool) -> int:
    """Documents whose track, criterion or year is missing or in conflict."""
    with ctx.open() as archive:
        entries = archive.review()
    if as_json:
        emit_json({"documents": [e.to_json() for e in entries]})
        return 0
    for e in entries:
        d = e.document
        echo(f"#{d.id}  {d.title}  [{d.track or '?'} / {d.criterion or '?'} / {d.year or '?'}]  {d.source_path}",
             one_line=True)
        for r in e.reasons:
            echo(f"      - {r}")
    echo(f"{len(entries)} document(s) need a decision" + (": fix with `archive-kit tag ID --track … --criterion … --year …`" if entries else ""))
    return 0


