"""Core commands: init, schema, ingest, list, show, tag, review, search, reindex, verify, doctor."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from archive_kit.archive import Archive
from archive_kit.catalogue import Document

from .main import DOC_ID, Ctx, cli, emit_json, json_option, pass_ctx, warn
from .render import echo, table


def filter_options(func):
    """``--track``, ``--criterion``, ``--year``: the contract's filters."""
    func = click.option("--year", type=int, help="Year (年度).")(func)
    func = click.option("--criterion", help="Criterion code; also matches its descendants.")(func)
    return click.option("--track", help="Track id, Chinese name or alias.")(func)


def doc_rows(docs: list[Document]) -> str:
    """The people's table of documents."""
    return table(
        ["id", "title", "track", "crit", "year", "date", "pages", "code"],
        [[d.id, d.title, d.track, d.criterion, d.year, d.date, d.pages, d.archival_code] for d in docs],
    )


@cli.command()
@click.option("--fonds", default="J001", show_default=True, help="Fonds code (全宗号), 4 characters.")
@click.option("--unit", default="", help="Unit name (立档单位).")
@pass_ctx
def init(ctx: Ctx, fonds: str, unit: str) -> int:
    """Create a repository."""
    with Archive.init(ctx.root, fonds=fonds, unit=unit) as archive:
        tracks = ", ".join(s.id for s in archive.registry.all())
    echo(f"Created repository {ctx.root} (fonds {fonds}); tracks: {tracks}")
    return 0


@cli.group()
def schema() -> None:
    """Criteria schemas: add, list, show."""


@schema.command("add")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@json_option
@pass_ctx
def schema_add(ctx: Ctx, file: Path, as_json: bool) -> int:
    """Register or replace a track's criteria schema (YAML)."""
    with ctx.open() as archive:
        s = archive.add_schema(file)
    if as_json:
        emit_json({"track": s.id, "name": s.name, "criteria": len(s.criteria)})
    else:
        echo(f"Registered track {s.id} ({s.name}) with {len(s.criteria)} criteria")
    return 0


@schema.command("list")
@json_option
@pass_ctx
def schema_list(ctx: Ctx, as_json: bool) -> int:
    """List the registered tracks."""
    with ctx.open() as archive:
        tracks = archive.registry.all()
    if as_json:
        emit_json({"tracks": [{"id": s.id, "name": s.name, "aliases": list(s.aliases), "code": s.code,
                               "criteria": len(s.criteria)} for s in tracks]})
    else:
        echo(table(["id", "name", "code", "criteria", "aliases"],
                   [[s.id, s.name, s.code, len(s.criteria), ", ".join(s.aliases)] for s in tracks]))
    return 0


@schema.command("show")
@click.argument("track")
@json_option
@pass_ctx
def schema_show(ctx: Ctx, track: str, as_json: bool) -> int:
    """Print a track's criteria tree."""
    with ctx.open() as archive:
        s = archive.registry.require(track)
    if as_json:
        emit_json({"id": s.id, "name": s.name, "aliases": list(s.aliases), "code": s.code,
                   "criteria": [{"code": c.code, "name": c.name, "parent": c.parent, "keywords": list(c.keywords),
                                 "retention": c.retention, "points": c.points, "required": c.required}
                                for c in s.criteria]})
        return 0
    echo(f"{s.id}  {s.name}  (code {s.code or '-'})")
    for c in s.criteria:
        extra = []
        if c.points is not None:
            extra.append(f"{c.points:g} points")
        if c.required:
            extra.append("必备")
        if c.retention:
            extra.append(c.retention)
        echo(f"{'  ' * c.depth}{c.code}  {c.name}" + (f"  [{', '.join(extra)}]" if extra else ""))
    return 0


def _progress_callback(bar):
    """A library progress callback that moves a click progress bar."""

    def progress(done: int, total: int, name: str) -> None:
        bar.length = max(total, 1)
        bar.update(done - bar.pos)

    return progress


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@filter_options
@click.option("--manifest", type=click.Path(path_type=Path, exists=True, dir_okay=False), help="Manifest CSV.")
@click.option("--no-ocr", is_flag=True, help="Do not OCR scans and photos.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Worker processes (default: all cores).")
@json_option
@pass_ctx
def ingest(ctx: Ctx, paths: tuple[Path, ...], track: str | None, criterion: str | None, year: int | None,
           manifest: Path | None, no_ocr: bool, jobs: int | None, as_json: bool) -> int:
    """Add files and folders (recursively)."""
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
        untagged = sum(1 for d in report.added if not (d.track and d.criterion and d.year))
        if untagged:
            echo(f"{untagged} document(s) need a tag decision: run `archive-kit review`")
    return 1 if report.failed else 0


@cli.command("list")
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


@cli.command()
@click.argument("doc_id", type=DOC_ID)
@click.option("--text", "with_text", is_flag=True, help="Include the extracted text.")
@json_option
@pass_ctx
def show(ctx: Ctx, doc_id: int, with_text: bool, as_json: bool) -> int:
    """One document, with its extracted text (--text)."""
    with ctx.open() as archive:
        doc = archive.get(doc_id)
        text = archive.text(doc_id) if with_text else None
    record = doc.to_json()
    if as_json:
        if text is not None:
            record["text"] = text
        emit_json(record)
        return 0
    for key, value in record.items():
        if key in ("tag_sources", "links", "warnings", "low_confidence_pages") and not value:
            continue
        echo(f"{key:>22}: {value}", one_line=True)
    if text is not None:
        echo("\n" + text)
    return 0


@cli.command()
@click.argument("ids", nargs=-1, type=DOC_ID, required=True)
@filter_options
@click.option("--link", multiple=True, metavar="TRACK:CODE", help="Also evidence for this criterion.")
@click.option("--unlink", multiple=True, metavar="TRACK:CODE", help="Remove such a link.")
@click.option("--force", is_flag=True, help="Allow retagging numbered documents (logged).")
@json_option
@pass_ctx
def tag(ctx: Ctx, ids: tuple[int, ...], track: str | None, criterion: str | None, year: int | None,
        link: tuple[str, ...], unlink: tuple[str, ...], force: bool, as_json: bool) -> int:
    """Set tags by hand (source: manual)."""
    with ctx.open() as archive:
        archive.tag(ids, track=track, criterion=criterion, year=year, link=link, unlink=unlink, force=force)
        docs = [archive.get(i) for i in ids]
    if as_json:
        emit_json({"documents": [d.to_json() for d in docs]})
    else:
        echo(doc_rows(docs))
    return 0


@cli.command()
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


@cli.command()
@click.argument("query", nargs=-1, required=True)
@filter_options
@click.option("--limit", type=click.IntRange(1, 10000), default=20, show_default=True)
@json_option
@pass_ctx
def search(ctx: Ctx, query: tuple[str, ...], track: str | None, criterion: str | None, year: int | None,
           limit: int, as_json: bool) -> int:
    """Full-text search: terms are ANDed, "quoted phrases" kept together."""
    from archive_kit.search import highlight_terminal

    q = " ".join(query)
    with ctx.open() as archive:
        result = archive.search(q, track=track, criterion=criterion, year=year, limit=limit)
    if as_json:
        emit_json(result.to_json())
        return 0
    colour = sys.stdout.isatty()
    for h in result.hits:
        where = "/".join(str(x) for x in (h.track or "?", h.criterion or "?", h.year or "?"))
        echo(f"#{h.id}  {h.title}  [{where}]", one_line=True)
        echo("      " + h.snippet, one_line=True, decorate=highlight_terminal if colour else None)
    echo(f"{result.total} document(s) match" + (f"; showing {len(result.hits)}" if result.total > len(result.hits) else ""))
    return 0


@cli.command()
@json_option
@pass_ctx
def reindex(ctx: Ctx, as_json: bool) -> int:
    """Rebuild the full-text index from the catalogue."""
    with ctx.open() as archive:
        n = archive.reindex()
    if as_json:
        emit_json({"indexed": n})
    else:
        echo(f"Indexed {n} document(s)")
    return 0


def show_verify(report, as_json: bool, checked: str) -> None:
    """Print a verify report: JSON, or one line per problem and a verdict."""
    if as_json:
        emit_json(report.to_json())
        return
    for p in report.problems:
        who = f"document {p['id']}" if p.get("id") is not None else p.get("path")
        echo(f"PROBLEM {who}: {p['problem']}")
    for n in report.notes:
        echo(f"note: {n}")
    echo(f"{'OK' if report.ok else 'DAMAGED'}: {report.checked} {checked} checked, "
         f"{len(report.problems)} problem(s)")


@cli.command()
@click.option("--quick", is_flag=True, help="Skip re-hashing every original (existence checks only).")
@click.option("--bundle", "bundle_dir", type=click.Path(path_type=Path), default=None,
              help="Check an inspection bundle instead of the repository.")
@json_option
@pass_ctx
def verify(ctx: Ctx, quick: bool, bundle_dir: Path | None, as_json: bool) -> int:
    """Fixity and consistency check of the whole repository (or of a bundle with --bundle)."""
    with ctx.open() as archive:
        if bundle_dir is not None:
            report = archive.verify_bundle(bundle_dir)
            show_verify(report, as_json, "original(s)")
            return 0 if report.ok else 1
        report = archive.verify(full=not quick)
    show_verify(report, as_json, "document(s)")
    return 0 if report.ok else 3


@cli.command()
@click.option("--no-ocr", is_flag=True, help="Do not OCR scans when extracting missing texts again.")
@json_option
@pass_ctx
def repair(ctx: Ctx, no_ocr: bool, as_json: bool) -> int:
    """Fix what a crash or damage left behind (never changes originals or numbers), then verify."""
    with ctx.open() as archive:
        report = archive.repair(ocr=not no_ocr)
    if as_json:
        emit_json(report.to_json())
    else:
        for a in report.actions:
            echo(f"fixed: {a}")
        for p in report.after.problems:
            who = f"document {p['id']}" if "id" in p else p.get("path")
            echo(f"PROBLEM {who}: {p['problem']}")
        echo(("OK: the repository verifies" if report.ok else
              f"DAMAGED: {len(report.after.problems)} problem(s) need a person") +
             f" ({len(report.actions)} repair(s) made)")
    return 0 if report.ok else 3


@cli.command()
@json_option
@pass_ctx
def doctor(ctx: Ctx, as_json: bool) -> int:
    """Which optional engines (OCR, office conversion, CJK fonts) are present."""
    from archive_kit.doctor import doctor_report
    from archive_kit.errors import RepositoryError

    try:
        with ctx.open() as archive:
            report = archive.doctor()
    except RepositoryError:
        report = doctor_report(None)
    if as_json:
        emit_json(report)
        return 0
    for name, info in report["ocr"].items():
        echo(f"OCR {name:<10} {'ok' if info['ok'] else 'MISSING'}  {info['detail']}")
    echo(f"default OCR engine: {report['default_ocr_engine']}")
    for key in ("office_conversion", "cjk_font"):
        info = report[key]
        echo(f"{key:<14} {'ok' if info['ok'] else 'MISSING'}  {info['detail']}")
    return 0
