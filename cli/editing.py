"""``edit``: correct a document's metadata after ingest (every change logged; see ``show --history``)."""
from __future__ import annotations

import click

from .documents import doc_rows
from .main import DOC_ID, Ctx, cli, emit_json, json_option, pass_ctx
from .render import echo

command = cli.section("Documents")


@command()
@click.argument("ids", nargs=-1, type=DOC_ID, required=True)
@click.option("--title", help="题名 (as written on the document, unless --title-composed).")
@click.option("--title-composed/--no-title-composed", default=None,
              help="The title is the archivist's own (自拟题名, listed in [ ]), or the document's own.")
@click.option("--doc-number", help="文号, e.g. 渝工发〔2023〕35号 (\"\" clears it).")
@click.option("--author", help="责任者, the issuing body (\"\" clears it).")
@click.option("--date", help="日期, YYYY-MM-DD (\"\" clears it).")
@click.option("--secrecy", help="密级, one of the config's secrecy_levels (\"\" where the unit does not mark it).")
@click.option("--retention", help="保管期限: Y, D30 or D10 (\"\" falls back to the criterion's or the default).")
@click.option("--remarks", help="备注 (\"\" clears it).")
@click.option("--kind", help="photo (照片: its own 门类, numbering and catalogue) or document (文书).")
@click.option("--place", help="A photo's 地点 (\"\" clears it).")
@click.option("--people", help="A photo's 人物, e.g. 张三（左一）、李四 (\"\" clears it).")
@click.option("--photographer", help="A photo's 摄影者 (\"\" clears it).")
@click.option("--background", help="A photo's 背景/事由 (\"\" clears it).")
@click.option("--force", is_flag=True, help="Allow editing numbered documents (their numbers stay).")
@json_option
@pass_ctx
def edit(ctx: Ctx, ids: tuple[int, ...], title: str | None, title_composed: bool | None, doc_number: str | None,
         author: str | None, date: str | None, secrecy: str | None, retention: str | None, remarks: str | None,
         kind: str | None, place: str | None, people: str | None, photographer: str | None, background: str | None,
         force: bool, as_json: bool) -> int:
    """Correct metadata (题名, 文号, 责任者, 日期, 密级, 保管期限, 备注; a photo's 地点, 人物, 摄影者,
    背景/事由; --kind marks an image as photo or document); every change is logged.

    A bad value is a usage error (exit 2) that changes nothing; a numbered document needs --force.
    """
    with ctx.open() as archive:
        changed = {d.id for d in archive.edit(ids, title=title, doc_number=doc_number, author=author, date=date,
                                              secrecy=secrecy, retention=retention, remarks=remarks, force=force,
                                              title_composed=title_composed, kind=kind, place=place, people=people,
                                              photographer=photographer, background=background)}
        docs = [archive.get(i) for i in dict.fromkeys(ids)]
    if as_json:
        emit_json({"documents": [d.to_json() for d in docs], "changed": sorted(changed)})
    else:
        echo(doc_rows(docs))
        echo(f"{len(changed)} document(s) changed")
    return 0
