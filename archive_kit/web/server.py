"""Running the console: bind the address (a busy port is one clear line), decide whether a token is
needed (any address but loopback), and serve with uvicorn until Ctrl+C or SIGTERM."""
from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

from ..errors import UsageError
from .app import Settings, create_app, new_access

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: the only binds that need no token."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (port 0: any free one); a usage error when it cannot be had."""
    name = host.strip("[]")
    if name.lower() in LOOPBACK_NAMES:
        name = "127.0.0.1"
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise UsageError(f"--host {host}: not an address of this machine ({e.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror} (is another console running? try --port)") from None
    sock.set_inheritable(True)
    return sock


class ConsoleServer:
    """One console: its socket, access rules and ASGI app, ready to ``run``."""

    def __init__(self, root: Path, *, host: str = "127.0.0.1", port: int = 8765, read_only: bool = False,
                 max_upload_mb: int = 200) -> None:
        self.host = host
        loopback = is_loopback(host)
        self.socket = bind(host, port)
        self.port = self.socket.getsockname()[1]
        hosts = None
        if loopback:
            hosts = frozenset(f"{h}:{self.port}" for h in ("127.0.0.1", "localhost", "[::1]", host.lower()))
        self.access = new_access(token_required=not loopback, read_only=read_only, hosts=hosts)
        try:
            self.app = create_app(Settings(Path(root), self.access, max_upload_mb * 1024 * 1024))
        except BaseException:
            self.socket.close()
            raise

    @property
    def token(self) -> str | None:
        """The access token (None on loopback): shown once, when the console starts."""
        return self.access.token

    @property
    def url(self) -> str:
        """Where to open the console."""
        shown = f"[{self.host.strip('[]')}]" if ":" in self.host.strip("[]") else self.host
        return f"http://{shown}:{self.port}/" + ("login" if self.token else "")

    def run(self) -> None:
        """Serve until interrupted (Ctrl+C, SIGTERM); the app cleans up on shutdown."""
        import uvicorn

        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="on",
                                server_header=False, date_header=False)
        try:
            uvicorn.Server(config).run(sockets=[self.socket])
        finally:
            self.socket.close()
