"""The offline inspector site of a bundle (``bundle --site``): ``index.html`` beside bundle.pdf, and
``site/`` with a page per item, the style sheet, the script and the search index.

It works from ``file://`` (a USB stick, a disc) with no server and no network: plain HTML, one
script of our own, no CDN; the search index is ``site/search-data.js``, a script that sets a
global, because browsers refuse ``fetch()`` of local files. The index holds each item's title,
file name and extracted text folded as ``archive-kit search`` folds them (``search.analysis.fold``),
and the traditional→simplified map, so the browser matches a query as the CLI does.

Every text from a document (titles are hostile) is HTML-escaped here, or set with ``textContent``
by the script; links are built from our own names, URL-quoted. The files are tag files of the bag,
so the tag manifest covers them and ``verify --bundle`` checks them.
"""
from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from string import Template
from typing import Callable
from urllib.parse import quote

from ..search.analysis import SEP, fold, fold_table
from ..textnorm import clean_text, normalize_text
from .bag import ORIGINALS
from .front import BundleMeta
from .plan import MISSING, Entry, Plan

SITE_DIR = "site"
ASSETS = ("site.css", "site.js")
FIELDS = (("档号", "archival_code"), ("件号", "item_number"), ("题名", "title"), ("文号", "doc_number"),
          ("责任者", "author"), ("日期", "date"), ("保管期限", "retention"), ("页数", "pages"),
          ("测评指标", "criterion"), ("原文件名", "original_name"))
# a photo's DA/T 50 fields, shown on its item page after 日期 (which is its 时间)
PHOTO_FIELDS = (("地点", "place"), ("人物", "people"), ("摄影者", "photographer"), ("背景/事由", "background"))


def _esc(value: object) -> str:
    """Text for HTML (element content or a quoted attribute): cleaned and escaped."""
    return html.escape(clean_text("" if value is None else str(value)), quote=True)


def _page(title: str, heading: str, body: str, root: str, scripts: tuple[str, ...] = ()) -> str:
    shell = Template(resources.files(__package__).joinpath("site_assets/page.html").read_text("utf-8"))
    tags = "\n".join(f'<script src="{root}{SITE_DIR}/{s}"></script>' for s in scripts)
    return shell.substitute(title=_esc(title), heading=_esc(heading), body=body, root=root, scripts=tags)


def item_key(entry: Entry) -> str:
    """The item page's file stem: item number and document id (numbers repeat across classes:
    each retention period numbers from 0001)."""
    return f"{entry.doc.item_number:04d}-{entry.doc.id}" if entry.doc.item_number else f"id{entry.doc.id}"


def build_site(bag: Path, plan: Plan, meta: BundleMeta, originals: dict[int, str],
               text_of: Callable[[int], str]) -> None:
    """Write ``index.html`` and ``site/`` into the bundle folder ``bag``.

    ``originals`` maps a document id to its file name in ``data/originals/``; ``text_of`` gives a
    document's extracted text (for the search index).
    """
    folder = bag / SITE_DIR / "items"
    folder.mkdir(parents=True)
    assets = resources.files(__package__).joinpath("site_assets")
    for name in ASSETS:
        (bag / SITE_DIR / name).write_bytes(assets.joinpath(name).read_bytes())
    heading = f"{meta.unit} {meta.track_name} {meta.year}年度 迎检资料".strip()
    criteria: dict[int, list[str]] = {}
    for sec in plan.sections:
        for entry, _linked in sec.rows:
            criteria.setdefault(entry.doc.id, []).append(sec.heading)
    items = []
    for entry in plan.entries:
        key = item_key(entry)
        name = originals.get(entry.doc.id)
        (folder / f"{key}.html").write_text(_item_page(entry, name, criteria.get(entry.doc.id, []), heading),
                                           encoding="utf-8")
        text = SEP.join(normalize_text(t or "") for t in (entry.title, entry.doc.original_name, text_of(entry.doc.id)))
        items.append({"href": f"{SITE_DIR}/items/{key}.html", "code": entry.code, "title": clean_text(entry.title),
                      "page": entry.index + 1, "text": fold(text)})
    index = {"fold": {chr(k): v for k, v in sorted(fold_table().items()) if k >= 0x2E80}, "items": items}
    payload = json.dumps(index, ensure_ascii=False, separators=(",", ":"))
    payload = payload.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    (bag / SITE_DIR / "search-data.js").write_text(f"window.ARCHIVE_KIT_SEARCH = {payload};\n", encoding="utf-8")
    (bag / "index.html").write_text(_page(heading, heading, _index_body(plan), "", ("search-data.js", "site.js")),
                                    encoding="utf-8")


def _index_body(plan: Plan) -> str:
    """The search box, then the criteria tree with each item under its criterion."""
    parts = ['<form id="search" role="search"><input id="q" type="search" placeholder="全文检索（多个词以空格分隔）" '
             'autocomplete="off" aria-label="全文检索"><button type="submit">检索</button></form>',
             '<p id="status" aria-live="polite"></p><ol id="hits"></ol>', "<h2>测评指标与佐证材料</h2>"]
    for sec in plan.sections:
        indent = f' style="margin-left:{(sec.depth - 1) * 1.5:g}em"'
        missing = f' <span class="missing">{_esc(MISSING)}</span>' if sec.missing else ""
        parts.append(f'<div class="criterion"{indent}><span class="name">{_esc(sec.heading)}</span>{missing}')
        if sec.rows:
            parts.append('<ul class="items">')
            for entry, linked in sec.rows:
                mark = ' <span class="linked">（关联材料）</span>' if linked else ""
                parts.append(f'<li><span class="code">{_esc(entry.code)}</span>'
                             f'<a href="{SITE_DIR}/items/{item_key(entry)}.html">{_esc(entry.title)}</a>{mark}</li>')
            parts.append("</ul>")
        parts.append("</div>")
    return "\n".join(parts)


def _item_page(entry: Entry, original: str | None, criteria: list[str], heading: str) -> str:
    """One item: its catalogue metadata, a link to its first page in bundle.pdf and one to its original."""
    doc = entry.doc
    fields = FIELDS
    if doc.is_photo:
        at = [key for _, key in FIELDS].index("date") + 1
        fields = FIELDS[:at] + PHOTO_FIELDS + FIELDS[at:]
    values = {"criterion": "；".join(criteria), **{k: getattr(doc, k, None) for _, k in fields if k != "criterion"}}
    values["title"] = entry.title
    values["archival_code"] = entry.code
    rows = "\n".join(f"<tr><th>{_esc(label)}</th><td>{_esc(values.get(key) or '')}</td></tr>" for label, key in fields)
    links = [f'<a class="pdf" href="../../bundle.pdf#page={entry.index + 1}">在 bundle.pdf 中查看（第 {entry.index + 1} 页）</a>']
    if original:
        links.append(f'<a class="original" href="../../data/{ORIGINALS}/{quote(original)}">打开原件</a>')
    body = (f"<h1>{_esc(entry.title)}</h1>\n<table class=\"meta\">\n{rows}\n</table>\n"
            f'<p class="actions">{"".join(links)}</p>\n<p><a href="../../index.html">返回目录</a></p>')
    return _page(f"{entry.code} {entry.title}", heading, body, "../../")
