"""Errors to HTTP statuses, in one place: the archive_kit.errors family and the console's own refusals.

Every error reaches the client as a clear 4xx/5xx: JSON ``{"error", "title", "status"}`` for the
API (and scripts), an error page for people; never a traceback. An unexpected exception is logged
on the server and answered with a generic 500 that names nothing inside.
"""
from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from .messages import in_chinese

from ..errors import (ArchiveKitError, DiskFullError, InputFileError, LockTimeout, ManifestError, NotFoundError,
                      NumberingError, ReadOnlyError, RepositoryError, SchemaError, UsageError)

log = logging.getLogger(__name__)

# most specific first: the first class an error is an instance of decides its status
STATUS: tuple[tuple[type[ArchiveKitError], int], ...] = (
    (NotFoundError, 404),
    (UsageError, 400),
    (NumberingError, 409),
    (ReadOnlyError, 409),
    (LockTimeout, 503),
    (DiskFullError, 507),
    (RepositoryError, 500),
    (InputFileError, 422),
    (SchemaError, 422),
    (ManifestError, 422),
    (ArchiveKitError, 400),
)
TITLES = {
    400: "请求有误", 401: "需要访问令牌", 403: "不允许此操作", 404: "未找到", 405: "不支持此请求方式",
    409: "需要确认或当前无法修改", 413: "文件过大", 415: "不支持的内容类型", 422: "文件无法处理",
    500: "服务器内部错误", 501: "功能尚未提供", 503: "档案库正忙，请稍后再试", 507: "磁盘空间已满",
}


class Refusal(Exception):
    """A request the console refuses itself (no token, read-only mode, no CSRF token, too large…)."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


def status_of(error: ArchiveKitError) -> int:
    """The HTTP status of a library error."""
    return next(code for cls, code in STATUS if isinstance(error, cls))


def wants_json(request: Request) -> bool:
    """API paths, and clients that ask for JSON, get JSON errors; people get a page."""
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def problem(request: Request, status: int, message: str, **extra: Any) -> Response:
    """The response for a refused or failed request: JSON keeps the library's line as ``error`` and
    adds it in Chinese as ``message``; the page shows the Chinese."""
    title = TITLES.get(status, "请求失败")
    if wants_json(request):
        return JSONResponse({"error": message, "message": in_chinese(message), "title": title, "status": status,
                             **extra}, status_code=status)
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html",
                                      {"status": status, "title": title, "message": in_chinese(message)},
                                      status_code=status)


async def on_library_error(request: Request, exc: Exception) -> Response:
    """archive_kit.errors → its status."""
    assert isinstance(exc, ArchiveKitError)
    return problem(request, status_of(exc), str(exc))


async def on_refusal(request: Request, exc: Exception) -> Response:
    """The console's own refusals."""
    assert isinstance(exc, Refusal)
    return problem(request, exc.status, exc.message, **exc.extra)


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own (no such route, method not allowed)."""
    assert isinstance(exc, HTTPException)
    message = {404: "没有这个页面或接口", 405: "此地址不接受这种请求方式"}.get(exc.status_code, str(exc.detail))
    return problem(request, exc.status_code, message)


async def on_disconnect(request: Request, exc: Exception) -> Response:
    """The client went away mid-request (a browser closed during an upload): nothing to report, as
    whatever the request had half done is already undone (an upload removes its partial file)."""
    log.info("client left during %s %s", request.method, request.url.path)
    return Response(status_code=400)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    """A bug: logged with its traceback on the server, a generic 500 for the client."""
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    from .security import secure

    return secure(problem(request, 500, "服务器处理请求时出错，详情见服务器日志"), request)


HANDLERS = {ArchiveKitError: on_library_error, Refusal: on_refusal, HTTPException: on_http_error,
            ClientDisconnect: on_disconnect, Exception: on_unexpected}
