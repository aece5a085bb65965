"""Commands for finding documents: search, and reindex (rebuild the index search answers from)."""
from __future__ import annotations

import sys

import click

from .main import Ctx, cli, emit_json, filter_options, json_option, pass_ctx
from .render import echo

command = cli.section("Search")


@command()
@click.argument("query", nargs=-1, required=True)
@filter_options
@click.option("--limit", type=click.IntRange(1, 10000), default=20, show_default=True,
              help="Show the best N hits (the total still counts every match).")
@json_option
@pass_ctx
def search(ctx: Ctx, query: tuple[str, ...], track: str | None, criterion: str | None, year: int | None,
           limit: int, as_json: bool) -> int:
    """Full-text search: terms are ANDed, "quoted phrases" kept together.

    A Chinese term matches wherever its characters occur in a document's text, title or file
    name, as grep would find it, also across line breaks and spaces that extraction put between
    them.
    """
    q = " ".join(query)
    with ctx.open() as archive:
        result = archive.search(q, track=track, criterion=criterion, year=year, limit=limit)
    if as_json:
        emit_json(result.to_json())
        return 0
    from archive_kit.search import highlight_terminal  # here, not at import: opening the CLI needs no Whoosh

    colour = sys.stdout.isatty()
    for h in result.hits:
        where = "/".join(str(x) for x in (h.track or "?", h.criterion or "?", h.year or "?"))
        echo(f"#{h.id}  {h.title}  [{where}]", one_line=True)
        echo("      " + h.snippet, one_line=True, decorate=highlight_terminal if colour else None)
    echo(f"{result.total} document(s) match" + (f"; showing {len(result.hits)}" if result.total > len(result.hits) else ""))
    return 0


@command()
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


