"""Commands that look after the repository itself: init, schema, verify, repair, doctor."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive_kit import Archive

from .main import Ctx, cli, emit_json, json_option, pass_ctx
from .render import echo, table

if TYPE_CHECKING:
    from archive_kit.verify import VerifyReport

command = cli.section("Repository care")


@command()
@click.option("--fonds", default="J001", show_default=True, help="Fonds code (全宗号), 4 characters.")
@click.option("--unit", default="", help="Unit name (立档单位).")
@pass_ctx
def init(ctx: Ctx, fonds: str, unit: str) -> int:
    """Create a repository."""
    with Archive.init(ctx.root, fonds=fonds, unit=unit) as archive:
        tracks = ", ".join(s.id for s in archive.registry.all())
    echo(f"Created repository {ctx.root} (fonds {fonds}); tracks: {tracks}")
    return 0


@command(cls=click.Group)
def schema() -> None:
    """Criteria schemas: add, list, show, update."""


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
        pending = archive.schema_updates()
    if as_json:
        emit_json({"tracks": [{"id": s.id, "name": s.name, "aliases": list(s.aliases), "code": s.code,
                               "criteria": len(s.criteria), "builtin_update": s.id in pending} for s in tracks]})
    else:
        echo(table(["id", "name", "code", "criteria", "aliases", "built-in update"],
                   [[s.id, s.name, s.code, len(s.criteria), ", ".join(s.aliases),
                     "available" if s.id in pending else ""] for s in tracks]))
        if pending:
            echo("A newer built-in scheme is available: see `archive-kit schema update --dry-run`.")
    return 0


@schema.command("update")
@click.argument("tracks", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
@json_option
@pass_ctx
def schema_update(ctx: Ctx, tracks: tuple[str, ...], dry_run: bool, as_json: bool) -> int:
    """Bring built-in tracks up to the schemas this version ships (criteria added, removed,
    renamed; each change logged). A repository keeps the schemas it was created with until then.
    A track replaced by your own file is updated only when named. Documents keep their codes;
    those under a removed criterion are named and then listed by `review`."""
    with ctx.open() as archive:
        updates = archive.update_schemas(tracks, dry_run=dry_run)
    if as_json:
        emit_json({"dry_run": dry_run, "tracks": [u.to_json() for u in updates]})
        return 0
    for u in updates:
        echo(f"{u.track} ({u.name}): {_UPDATE_STATUS[u.status]}"
             + (f" (registered from {u.origin})" if u.status == "kept-own" else ""))
        change = u.change
        if change is None or u.status == "up-to-date":
            continue
        for label, codes in (("added", change.added), ("removed", change.removed), ("rules changed", change.changed)):
            if codes:
                echo(f"  {label}: {', '.join(codes)}")
        for code, before, after in change.renamed:
            echo(f"  renamed {code}: {before} → {after}")
        if change.track_fields:
            echo(f"  track fields changed: {', '.join(change.track_fields)}")
        if u.documents:
            echo(f"  documents under a removed criterion keep their codes (see `archive-kit review`): "
                 f"{', '.join(map(str, u.documents))}")
    return 0


_UPDATE_STATUS = {"updated": "updated to the built-in scheme", "would-update": "would be updated (dry run)",
                  "up-to-date": "up to date", "kept-own": "kept: your own schema; name the track to replace it"}


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


def problem_lines(problems: list[dict[str, Any]]) -> None:
    """One ``PROBLEM`` line per finding of a verify report, naming the document or the path."""
    for p in problems:
        who = f"document {p['id']}" if p.get("id") is not None else p.get("path")
        echo(f"PROBLEM {who}: {p['problem']}")


def show_verify(report: "VerifyReport", as_json: bool, checked: str) -> None:
    """Print a verify report: JSON, or one line per problem and a verdict."""
    if as_json:
        emit_json(report.to_json())
        return
    problem_lines(report.problems)
    for n in report.notes:
        echo(f"note: {n}")
    checks = getattr(report, "checks", [])
    for c in checks:
        if not c.ok:
            which = (f" item {c.item:04d}" if c.item else "") + (f" {c.code}" if c.code else "")
            echo(f"FAIL {c.property} {c.check}{which}: {c.reason}")
    if checks:
        echo("四性: " + ", ".join(f"{p} {sum(c.ok for c in checks if c.property == p)}/"
                                 f"{sum(c.property == p for c in checks)} passed"
                                 for p in ("authenticity", "integrity", "usability", "security")))
    echo(f"{'OK' if report.ok else 'DAMAGED'}: {report.checked} {checked} checked, "
         f"{len(report.problems)} problem(s)" + (f", {sum(not c.ok for c in checks)} failed check(s)" if checks else ""))


@command()
@click.option("--quick", is_flag=True, help="Skip re-hashing every original (existence checks only).")
@click.option("--bundle", "bundle_dir", type=click.Path(path_type=Path), default=None,
              help="Check an inspection bundle (its bag and 四性 checks) instead of the repository.")
@json_option
@pass_ctx
def verify(ctx: Ctx, quick: bool, bundle_dir: Path | None, as_json: bool) -> int:
    """Fixity and consistency check of the whole repository (or of a bundle with --bundle).

    Exit 3 when the repository has a problem; with --bundle, exit 1 when the bundle fails a check.
    """
    with ctx.open() as archive:
        if bundle_dir is not None:
            report = archive.verify_bundle(bundle_dir)
            show_verify(report, as_json, "original(s)")
            return 0 if report.ok else 1
        report = archive.verify(full=not quick)
    show_verify(report, as_json, "document(s)")
    return 0 if report.ok else 3


@command()
@click.option("--no-ocr", is_flag=True, help="Do not OCR scans when extracting missing texts again.")
@json_option
@pass_ctx
def repair(ctx: Ctx, no_ocr: bool, as_json: bool) -> int:
    """Fix what a crash or damage left behind (never changes originals or numbers), then verify.

    Also counts the pages of documents whose page count is only an estimate from their
    renditions, where LibreOffice can now make them (see `review`).

    Exit 3 when problems remain that need a person.
    """
    with ctx.open() as archive:
        report = archive.repair(ocr=not no_ocr)
    if as_json:
        emit_json(report.to_json())
    else:
        for a in report.actions:
            echo(f"fixed: {a}")
        problem_lines(report.after.problems)
        echo(("OK: the repository verifies" if report.ok else
              f"DAMAGED: {len(report.after.problems)} problem(s) need a person") +
             f" ({len(report.actions)} repair(s) made)")
    return 0 if report.ok else 3


ENGINE_SOURCES = {"config": "set in config.json", "default": "the default; config.json names none"}


@command()
@json_option
@pass_ctx
def doctor(ctx: Ctx, as_json: bool) -> int:
    """Which optional engines (OCR, office conversion, CJK fonts) are present, and which this
    repository uses. Works without a repository too, and says why none opened."""
    report = Archive.doctor_at(ctx.root)
    if as_json:
        emit_json(report)
        return 0
    for name, info in report["ocr"].items():
        echo(f"{'OCR ' + name:<17} {'ok' if info['ok'] else 'MISSING'}  {info['detail']}")
    engine = report["ocr_engine"]
    repo = report.get("repository", {})
    source = ENGINE_SOURCES[engine["source"]] if repo.get("ok") else "the default; no repository"
    echo(f"OCR engine used by ingest: {engine['name']} ({source})" + ("" if engine["ok"] else " MISSING"))
    for key in ("office_conversion", "cjk_font"):
        info = report[key]
        echo(f"{key:<17} {'ok' if info['ok'] else 'MISSING'}  {info['detail']}")
    if repo.get("ok"):
        echo(f"{'repository':<17} ok  {repo['root']} ({repo['documents']} document(s), fonds {repo['fonds']})")
    elif repo:
        echo(f"{'repository':<17} none  {repo['detail']}")
    return 0
