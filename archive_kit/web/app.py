"""The console's pages and JSON API: a thin layer over the ``Archive`` facade, as the CLI is.

Every answer comes from one facade call (``search`` for ``/api/search`` as for ``archive-kit
search``, ``coverage`` for ``/api/coverage``…) and the JSON API returns the shapes of the CLI's
``--json``. Documents, pages and outputs are reached by catalogue or job id only: no URL or form
field names a path on disk. Errors become statuses in ``errors.py``, checks on who may do what
are in ``security.py``.
"""
from __future__ import annotations

import json
import queue
import secrets
import shutil
import tempfile
import threading
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Iterator
from urllib.parse import quote, unquote

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from .. import Archive
from ..editing import PHOTO_FIELDS
from ..errors import NotFoundError, UsageError
from ..safenames import safe_name
from . import labels
from .errors import HANDLERS, Refusal
from .jobs import Jobs, Uploads
from .security import COOKIE, Access, Guard, safe_next

HERE = Path(__file__).resolve().parent
MAX_JSON_BYTES = 64 * 1024
TAG_FIELDS = ("track", "criterion", "year", "link", "unlink", "confirm")
# the text fields ``edit`` takes (``title_composed``, a flag, apart); the photo fields of DA/T 50-2014 too
METADATA_FIELDS = ("title", "doc_number", "author", "date", "secrecy", "retention", "remarks", *PHOTO_FIELDS)
LISTING_NAMES = {"item": "归档文件目录", "box": "盒目录", "spine": "盒脊", "cover": "盒面", "remarks": "备考表"}
MEDIA = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "zip": "application/zip"}


@dataclass(frozen=True)
class Settings:
    """How one console runs: its repository, access rules, upload limit and private work folder."""

    root: Path
    access: Access
    max_upload_bytes: int = 200 * 1024 * 1024
    workdir: Path | None = None   # None: a private temporary folder made (and removed) by the console
    archives: int = 3             # repository connections serving requests side by side


class ArchivePool:
    """A few ``Archive`` connections to one repository, each used by one request at a time."""

    def __init__(self, root: Path, size: int) -> None:
        self.root = root
        self.size = max(1, size)
        self._free: queue.LifoQueue[Archive] = queue.LifoQueue()
        self._all: list[Archive] = []
        self._lock = threading.Lock()
        self._free.put(self._open())  # opened now: a missing or damaged repository fails at start

    def _open(self) -> Archive:
        archive = Archive.open(self.root)
        self._all.append(archive)
        return archive

    @contextmanager
    def use(self) -> Iterator[Archive]:
        """An archive for the duration of a ``with`` block."""
        try:
            archive = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                archive = self._open() if len(self._all) < self.size else None
            if archive is None:
                archive = self._free.get()
        try:
            yield archive
        finally:
            self._free.put(archive)

    def close(self) -> None:
        """Close every connection."""
        for archive in self._all:
            archive.close()
        self._all = []


# --------------------------------------------------------------------------- request helpers


def _console(request: Request) -> "Console":
    return request.app.state.console


def _text(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value.strip() or None if value is not None else None


def _int(request: Request, name: str, *, low: int | None = None, high: int | None = None) -> int | None:
    """An optional whole-number query parameter; anything else is a 400 naming it."""
    value = _text(request, name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise UsageError(f"{name} must be a whole number, not {value!r}") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise UsageError(f"{name} must be between {low} and {high}, not {number}")
    return number


def _doc_id(request: Request) -> int:
    return int(request.path_params["doc_id"])


async def _json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (at most MAX_JSON_BYTES)."""
    if int(request.headers.get("content-length") or 0) > MAX_JSON_BYTES:
        raise Refusal(413, f"请求内容超过 {MAX_JSON_BYTES // 1024} KB")
    body = await request.body()
    if len(body) > MAX_JSON_BYTES:
        raise Refusal(413, f"请求内容超过 {MAX_JSON_BYTES // 1024} KB")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise UsageError("the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise UsageError("the request body must be a JSON object")
    return data


def attachment(name: str) -> str:
    """A Content-Disposition for a download called ``name`` (UTF-8, with an ASCII fallback)."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(data_or_path: bytes | Path, name: str, *, media_type: str,
             cleanup: Path | None = None) -> Response:
    """A file to save, never to show inline: sandboxed so that no original can act in the page."""
    headers = {"Content-Disposition": attachment(name),
               "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'none'"}
    if isinstance(data_or_path, Path):
        task = BackgroundTask(shutil.rmtree, cleanup, ignore_errors=True) if cleanup else None
        return FileResponse(data_or_path, media_type=media_type, headers=headers, background=task)
    return Response(data_or_path, media_type=media_type, headers=headers)


# --------------------------------------------------------------------------- the console


class Console:
    """State shared by the handlers: the repository connections, jobs, uploads and templates."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.access = settings.access
        self.pool = ArchivePool(settings.root, settings.archives)
        self._own_workdir = settings.workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="archive-kit-console-")) if settings.workdir is None \
            else settings.workdir
        self.jobs = Jobs(self.workdir)
        self.uploads = Uploads(self.workdir, settings.max_upload_bytes)

    def close(self) -> None:
        """Stop the jobs, close the repository, remove the private work folder."""
        self.jobs.close()
        self.pool.close()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def require_writable(self) -> None:
        """Handlers that change anything check this too (the guard already refused in read-only mode)."""
        if self.access.read_only:
            raise Refusal(403, "只读模式：不能修改档案库")


# --------------------------------------------------------------------------- pages


def _page(request: Request, template: str, page: str, **context: Any) -> Response:
    console = _console(request)
    return request.app.state.templates.TemplateResponse(request, template, {
        "page": page, "read_only": console.access.read_only, "csrf": console.access.csrf,
        "token_mode": console.access.token is not None,
        "max_upload_mb": console.settings.max_upload_bytes // (1024 * 1024), "nav": labels.NAV, **context})


async def search_page(request: Request) -> Response:
    return _page(request, "search.html", "search")


def document_page(request: Request) -> Response:
    doc_id = _doc_id(request)
    with _console(request).pool.use() as archive:
        doc = archive.get(doc_id)
    return _page(request, "document.html", "document", doc=doc, query=request.query_params.get("q", ""))


async def board_page(request: Request) -> Response:
    return _page(request, "board.html", "board")


async def review_page(request: Request) -> Response:
    return _page(request, "review.html", "review")


async def outputs_page(request: Request) -> Response:
    return _page(request, "outputs.html", "outputs", listings=labels.LISTINGS)


async def upload_page(request: Request) -> Response:
    _console(request).require_writable()
    return _page(request, "upload.html", "upload")


async def login_page(request: Request) -> Response:
    console = _console(request)
    if console.access.token is None:
        return RedirectResponse("/", status_code=303)
    return _page(request, "login.html", "login", next=safe_next(request.query_params.get("next")), failed=False)


async def login(request: Request) -> Response:
    """Check the token typed on the login page; set the session cookie (constant-time comparison)."""
    console = _console(request)
    if console.access.token is None:
        return RedirectResponse("/", status_code=303)
    body = await request.body()
    if len(body) > 4096:
        raise Refusal(413, "请求内容过大")
    from urllib.parse import parse_qs

    form = parse_qs(body.decode("utf-8", "replace"))
    given = (form.get("token") or [""])[0].strip()
    target = safe_next(unquote((form.get("next") or ["/"])[0]))
    if not console.access.token_matches(given):
        response = _page(request, "login.html", "login", next=target, failed=True)
        response.status_code = 401
        return response
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, console.access.session, httponly=True, samesite="strict", path="/")
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# --------------------------------------------------------------------------- API: reading


async def session(request: Request) -> Response:
    """What a page or script needs to know about this console (and the CSRF token for changes)."""
    console = _console(request)
    return JSONResponse({"read_only": console.access.read_only, "csrf": console.access.csrf,
                         "max_upload_bytes": console.settings.max_upload_bytes})


def tracks(request: Request) -> Response:
    """The registered tracks with their criteria trees (``schema list`` and ``schema show`` in one)."""
    with _console(request).pool.use() as archive:
        schemas = archive.registry.all()
        return JSONResponse({"tracks": [{
            "id": s.id, "name": s.name, "aliases": list(s.aliases), "code": s.code,
            "criteria": [{"code": c.code, "name": c.name, "parent": c.parent, "depth": c.depth,
                          "points": c.points, "required": c.required,
                          "veto": bool(getattr(c, "veto", False))} for c in s.criteria]} for s in schemas]})


def years(request: Request) -> Response:
    with _console(request).pool.use() as archive:
        return JSONResponse({"years": archive.years(track=_text(request, "track"))})


def _search(request: Request, archive: Archive) -> Any:
    """``archive.search`` with the query parameters of ``archive-kit search``."""
    return archive.search(request.query_params.get("q", ""), track=_text(request, "track"),
                          criterion=_text(request, "criterion"), year=_int(request, "year"),
                          limit=_int(request, "limit", low=1, high=10000) or 20)


def search(request: Request) -> Response:
    """Exactly ``archive-kit search --json``."""
    with _console(request).pool.use() as archive:
        return JSONResponse(_search(request, archive).to_json())


def search_view(request: Request) -> Response:
    """What the search page shows as the archivist types: the ``search --json`` result unchanged,
    and per hit the catalogue fields a person recognises it by and its snippet in marked parts."""
    with _console(request).pool.use() as archive:
        result = _search(request, archive)
        shown = {}
        for hit in result.hits:
            doc = archive.get(hit.id)
            shown[str(hit.id)] = {
                "archival_code": doc.archival_code, "date": doc.date, "pages": doc.pages, "format": doc.format,
                "track_name": labels.track_name(archive, doc.track),
                "criterion_label": labels.criterion_label(archive, doc.track, doc.criterion),
                "parts": archive.highlight_parts(hit.snippet, result.query)}
    return JSONResponse({"search": result.to_json(), "shown": shown})


def document(request: Request) -> Response:
    """Exactly ``archive-kit show ID --json``."""
    with _console(request).pool.use() as archive:
        return JSONResponse(archive.get(_doc_id(request)).to_json())


def document_view(request: Request) -> Response:
    """The record with what the page shows beside it: names of tracks and criteria, the history."""
    with _console(request).pool.use() as archive:
        doc = archive.get(_doc_id(request))
        return JSONResponse({"document": doc.to_json(), "labels": labels.document_labels(archive, doc),
                             "history": labels.history(archive.history(doc.id))})


def pages(request: Request) -> Response:
    """Page count and sizes, and the marks of ``q`` on each page."""
    with _console(request).pool.use() as archive:
        return JSONResponse(archive.page_view(_doc_id(request), request.query_params.get("q")).to_json())


def page_image(request: Request) -> Response:
    """One page as PNG (pages count from 1); cached in the repository's derived area."""
    page = int(request.path_params["page"])
    with _console(request).pool.use() as archive:
        png = archive.page_png(_doc_id(request), page)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


def original(request: Request) -> Response:
    """The original file, as a download (never shown inline)."""
    with _console(request).pool.use() as archive:
        doc = archive.get(_doc_id(request))
        path = archive.original_path(doc.id)
    stem, ext = Path(doc.original_name).stem, Path(doc.original_name).suffix
    return download(path, safe_name(stem, ext, fallback=f"document-{doc.id}"), media_type="application/octet-stream")


def review(request: Request) -> Response:
    """Exactly ``archive-kit review --json``, with names for tracks and criteria."""
    with _console(request).pool.use() as archive:
        entries = archive.review()
        return JSONResponse({"documents": [e.to_json() for e in entries],
                             "labels": {str(e.document.id): labels.document_labels(archive, e.document)
                                        for e in entries}})


def coverage(request: Request) -> Response:
    """Exactly ``archive-kit coverage --track T --year Y --json``."""
    track, year = _text(request, "track"), _int(request, "year", low=1, high=9999)
    if track is None or year is None:
        raise UsageError("coverage needs track and year")
    with _console(request).pool.use() as archive:
        return JSONResponse(archive.coverage(track, year).to_json())


def board(request: Request) -> Response:
    """The criteria board of a track: every criterion against every year with documents."""
    track = _text(request, "track")
    if track is None:
        raise UsageError("the board needs a track")
    with _console(request).pool.use() as archive:
        return JSONResponse(labels.board(archive, track))


def board_cell(request: Request) -> Response:
    """The documents of one board cell, in bundle order (``list --json`` records)."""
    track, year = _text(request, "track"), _int(request, "year", low=1, high=9999)
    if track is None or year is None:
        raise UsageError("a board cell needs track and year")
    with _console(request).pool.use() as archive:
        docs = archive.bundle_order(track=track, year=year, criterion=_text(request, "criterion"))
        return JSONResponse({"documents": [d.to_json() for d in docs]})


def listing(request: Request) -> Response:
    """A listing to download: level × format, for a track and/or year."""
    console = _console(request)
    level, fmt = _text(request, "level") or "item", _text(request, "format") or "xlsx"
    if level not in LISTING_NAMES or fmt not in ("csv", "xlsx", "docx", "pdf"):
        raise UsageError(f"no listing {level!r} as {fmt!r}: level is item, box, spine, cover or remarks; "
                         "format is csv, xlsx, docx or pdf")
    track, year = _text(request, "track"), _int(request, "year", low=1, high=9999)
    folder = Path(tempfile.mkdtemp(prefix="listing-", dir=console.workdir))
    try:
        with console.pool.use() as archive:
            scope = [labels.track_name(archive, archive.registry.require(track).id) if track else "", str(year or "")]
            name = safe_name("-".join(x for x in [LISTING_NAMES[level], *scope] if x), fmt)
            written = archive.listing(folder / name, fmt=fmt, level=level, track=track, year=year)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return download(written, name, media_type=MEDIA[fmt], cleanup=folder)


def job(request: Request) -> Response:
    return JSONResponse(_console(request).jobs.get(request.path_params["job_id"]).to_json())


def job_download(request: Request) -> Response:
    found = _console(request).jobs.get(request.path_params["job_id"])
    if found.download is None or not found.download.is_file():
        raise NotFoundError("this job has no file to download (yet)")
    return download(found.download, found.download.name, media_type=MEDIA["zip"])


# --------------------------------------------------------------------------- API: changing


async def edit_document(request: Request) -> Response:
    """Change a document's tags, links and metadata (fields as ``tag`` and ``edit`` take them;
    ``force`` as ``--force`` for a numbered document)."""
    console = _console(request)
    console.require_writable()
    doc_id = _doc_id(request)
    body = await _json_body(request)
    unknown = sorted(set(body) - {*TAG_FIELDS, *METADATA_FIELDS, "title_composed", "force"})
    if unknown:
        raise UsageError(f"unknown field(s) {', '.join(unknown)}; fields: "
                         f"{', '.join((*TAG_FIELDS, *METADATA_FIELDS))}, title_composed, force")
    tags = _tag_arguments(body)
    metadata = {k: body[k] for k in METADATA_FIELDS if k in body}
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise UsageError("force must be true or false")
    composed = body.get("title_composed")
    if composed is not None and not isinstance(composed, bool):
        raise UsageError(f"title_composed {composed!r} must be true (自拟题名, listed in [ ]) or false")
    edits = bool(metadata) or composed is not None
    from starlette.concurrency import run_in_threadpool

    def change() -> dict[str, Any]:
        with console.pool.use() as archive:
            archive.get(doc_id)
            if edits:  # a bad value refuses the request before the tags change
                archive.check_edit(title_composed=composed, **metadata)
            if tags:
                archive.tag([doc_id], force=force, **tags)
            if edits:
                archive.edit([doc_id], force=force, title_composed=composed, **metadata)
            return archive.get(doc_id).to_json()

    return JSONResponse(await run_in_threadpool(change))


def _tag_arguments(body: dict[str, Any]) -> dict[str, Any]:
    """``Archive.tag`` keywords from a PATCH body, each checked for its type."""
    out: dict[str, Any] = {}
    for name in ("track", "criterion"):
        if name in body:
            if not isinstance(body[name], str) or not body[name].strip():
                raise UsageError(f"{name} must be a non-empty text")
            out[name] = body[name].strip()
    if "year" in body:
        if not isinstance(body["year"], int) or isinstance(body["year"], bool):
            raise UsageError("year must be a whole number")
        out["year"] = body["year"]
    if "confirm" in body:  # as ``tag --confirm``: the tags content proposed are a person's decision now
        if not isinstance(body["confirm"], bool):
            raise UsageError("confirm must be true or false")
        if body["confirm"]:
            out["confirm"] = True
    for name in ("link", "unlink"):
        if name in body:
            value = body[name]
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise UsageError(f"{name} must be TRACK:CODE or a list of them")
            out[name] = values
    return out


async def start_bundle(request: Request) -> Response:
    """Build an inspection bundle (numbering unnumbered documents first, as ``bundle`` does) as a job."""
    console = _console(request)
    console.require_writable()
    body = await _json_body(request)
    track, year, criterion = body.get("track"), body.get("year"), body.get("criterion") or None
    if not isinstance(track, str) or not track or not isinstance(year, int) or isinstance(year, bool):
        raise UsageError("a bundle needs track (text) and year (a whole number)")
    if criterion is not None and not isinstance(criterion, str):
        raise UsageError("criterion must be a criterion code")
    with console.pool.use() as archive:  # refuse an unknown track or criterion now, not in the job
        schema = archive.bundle_scope(track, criterion)
        name = safe_name("-".join(x for x in ("迎检资料", schema.name, str(year), criterion or "") if x))

    def work(job: Any) -> None:
        with Archive.open(console.settings.root) as archive:
            report = archive.bundle(job.folder / name, track=track, year=year, criterion=criterion, zip=True,
                                    progress=job.progress)
        job.result = {**report.to_json(), "path": report.path.name, "zip": report.zip.name if report.zip else None}
        job.download = report.zip

    return JSONResponse(console.jobs.submit("bundle", work).to_json(), status_code=202)


async def new_upload(request: Request) -> Response:
    console = _console(request)
    console.require_writable()
    return JSONResponse({"batch": console.uploads.new(), "max_bytes": console.settings.max_upload_bytes},
                        status_code=201)


async def upload_file(request: Request) -> Response:
    """One file's bytes as the request body; its name (data only) in ``X-File-Name``, percent-encoded."""
    console = _console(request)
    console.require_writable()
    raw = unquote(request.headers.get("x-file-name", ""), errors="replace")
    declared = request.headers.get("content-length")
    saved = await console.uploads.receive(request.path_params["batch"], raw, int(declared) if declared and
                                          declared.isdigit() else None, request.stream())
    return JSONResponse(saved, status_code=201)


async def ingest_upload(request: Request) -> Response:
    """Ingest a batch's files as a job (the normal ingest: workers, limits, per-file results)."""
    console = _console(request)
    console.require_writable()
    body = await _json_body(request)
    tags = {k: body.get(k) or None for k in ("track", "criterion", "year")}
    if tags["year"] is not None and (not isinstance(tags["year"], int) or isinstance(tags["year"], bool)):
        raise UsageError("year must be a whole number")
    for k in ("track", "criterion"):
        if tags[k] is not None and not isinstance(tags[k], str):
            raise UsageError(f"{k} must be a text")
    ocr = body.get("ocr", True)
    batch = console.uploads.take(request.path_params["batch"])
    if not batch.names:
        shutil.rmtree(batch.folder, ignore_errors=True)
        raise UsageError("the upload batch holds no files")

    def work(job: Any) -> None:
        try:
            with Archive.open(console.settings.root) as archive:
                report = archive.ingest(list(batch.names), names=batch.names, ocr=bool(ocr), progress=job.progress,
                                        **tags)
            job.result = labels.without_paths(report.to_json(), batch.names)
        finally:
            shutil.rmtree(batch.folder, ignore_errors=True)

    return JSONResponse(console.jobs.submit("ingest", work).to_json(), status_code=202)


async def favicon(request: Request) -> Response:
    return Response(status_code=204)


# --------------------------------------------------------------------------- the app


def create_app(settings: Settings) -> Starlette:
    """The console's ASGI application over the repository ``settings.root``."""
    console = Console(settings)
    doc = "/api/documents/{doc_id:int}"
    routes = [
        Route("/", search_page), Route("/documents/{doc_id:int}", document_page), Route("/board", board_page),
        Route("/review", review_page), Route("/outputs", outputs_page), Route("/upload", upload_page),
        Route("/login", login_page, methods=["GET"]), Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]), Route("/favicon.ico", favicon),
        Route("/api/session", session), Route("/api/tracks", tracks), Route("/api/years", years),
        Route("/api/search", search), Route("/api/search/view", search_view),
        Route(doc, document, methods=["GET"]), Route(doc, edit_document, methods=["PATCH"]),
        Route(doc + "/view", document_view), Route(doc + "/pages", pages),
        Route(doc + "/pages/{page:int}.png", page_image), Route(doc + "/original", original),
        Route("/api/review", review), Route("/api/coverage", coverage), Route("/api/board", board),
        Route("/api/board/cell", board_cell), Route("/api/listing", listing),
        Route("/api/bundles", start_bundle, methods=["POST"]),
        Route("/api/jobs/{job_id}", job), Route("/api/jobs/{job_id}/download", job_download),
        Route("/api/uploads", new_upload, methods=["POST"]),
        Route("/api/uploads/{batch}/files", upload_file, methods=["POST"]),
        Route("/api/uploads/{batch}/ingest", ingest_upload, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            console.close()

    app = Starlette(routes=routes, middleware=[Middleware(Guard, access=settings.access)],
                    exception_handlers=HANDLERS, lifespan=lifespan)  # type: ignore[arg-type]
    app.state.console = console
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    return app


def new_access(*, token_required: bool, read_only: bool, hosts: frozenset[str] | None) -> Access:
    """Fresh secrets for one run: a CSRF token always, an access token when one is required."""
    return Access(csrf=secrets.token_urlsafe(32), token=secrets.token_urlsafe(32) if token_required else None,
                  read_only=read_only, hosts=hosts)
