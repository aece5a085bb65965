"""The console's guard: who may ask, what may change, and the headers every response carries.

- **Token.** Bound to anything but loopback, the console needs the access token generated at start:
  ``Authorization: Bearer TOKEN`` (scripts), or the session cookie the login page sets. Every
  comparison is constant-time (``hmac.compare_digest``). The cookie holds an HMAC of the token,
  never the token itself; it is HttpOnly and SameSite=Strict.
- **Host.** On loopback, a request must name the console's own address in ``Host``, so a web page
  that rebinds its DNS name to 127.0.0.1 cannot talk to it.
- **Changes.** Only POST and PATCH change anything. In read-only mode each of them answers 403.
  Otherwise each needs the CSRF token in ``X-CSRF-Token`` (a Bearer token stands for it: browsers
  never send one by themselves), and an ``Origin``, where the browser sends one, must be the
  console's own.
- **Headers.** A Content-Security-Policy that allows only the console's own scripts and styles and
  no framing, nosniff, no referrer to other sites, and no caching of pages and data.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .errors import problem

COOKIE = "archive_kit_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
       "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes browsers send "Origin: null" on form posts
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


@dataclass(frozen=True)
class Access:
    """What the guard checks: the access token (None on loopback), the CSRF token, read-only mode
    and the ``Host`` values accepted (None: any, as with a token)."""

    csrf: str
    token: str | None = None
    read_only: bool = False
    hosts: frozenset[str] | None = None

    @property
    def session(self) -> str:
        """The session cookie's value: an HMAC of the token (the cookie never holds the token)."""
        assert self.token is not None
        return hmac.new(self.token.encode(), b"archive-kit console session", hashlib.sha256).hexdigest()

    def token_matches(self, given: str) -> bool:
        """Constant-time comparison with the access token."""
        return self.token is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def csrf_matches(self, given: str) -> bool:
        """Constant-time comparison with the CSRF token."""
        return hmac.compare_digest(given.encode(), self.csrf.encode())


def secure(response: Response, request: Request) -> Response:
    """Add the security headers (and, unless a handler chose caching, ``no-store``)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-cache")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if there is one."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


class Guard(BaseHTTPMiddleware):
    """Checks every request before any handler runs, and secures every response."""

    def __init__(self, app, access: Access) -> None:  # noqa: ANN001 - the ASGI app
        super().__init__(app)
        self.access = access

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        refused = self.check(request)
        response = refused if refused is not None else await call_next(request)
        return secure(response, request)

    def check(self, request: Request) -> Response | None:
        """The refusal for this request, or None to let it through."""
        access = self.access
        path = request.url.path
        if access.hosts is not None and request.headers.get("host", "").lower() not in access.hosts:
            return problem(request, 400, "请求的主机名不是本控制台的地址（Host 不符）")
        # reached without the token: the login page and the console's own (public) scripts and styles
        public = path in ("/login", "/favicon.ico") or path.startswith("/static/")
        bearer = _bearer(request)
        if access.token is not None and not public:
            if bearer is not None:
                if not access.token_matches(bearer):
                    return problem(request, 401, "访问令牌不正确")
            elif not hmac.compare_digest(request.cookies.get(COOKIE, "").encode(), access.session.encode()):
                if request.method in SAFE_METHODS and not path.startswith("/api/"):
                    return RedirectResponse(f"/login?next={_local(request)}", status_code=303)
                return problem(request, 401, "需要访问令牌：请先登录，或以 Authorization: Bearer 令牌 访问")
        if request.method in SAFE_METHODS:
            return None
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
            return problem(request, 403, "请求来自其他网站，已拒绝")
        if path in ("/login", "/logout"):  # a session, not the repository: allowed in read-only mode too
            return None
        if access.read_only:
            return problem(request, 403, "只读模式：不能修改档案库")
        authorised_by_bearer = bearer is not None and access.token is not None
        if not authorised_by_bearer and not access.csrf_matches(request.headers.get(CSRF_HEADER, "")):
            return problem(request, 403, "缺少或错误的 CSRF 令牌：请刷新页面后重试")
        return None


def _local(request: Request) -> str:
    """The path (and query) of this request, to come back to after the login page."""
    from urllib.parse import quote

    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return quote(target, safe="")


def safe_next(target: str | None) -> str:
    """A place on this console to go after logging in: only a local path, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
