"""``serve``: the audit console, a local web application over the repository (issue 12)."""
from __future__ import annotations

import webbrowser

import click

from .main import Ctx, cli, pass_ctx
from .render import echo

command = cli.section("Repository care")


@command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any address but loopback requires the access token printed at start.")
@click.option("--read-only", is_flag=True, help="Search, view, board and downloads only: every change is refused.")
@click.option("--open", "open_browser", is_flag=True, help="Open the console in the default browser.")
@click.option("--max-upload-mb", type=click.IntRange(1, 1_000_000), default=200, show_default=True,
              help="Largest file the console accepts for upload.")
@pass_ctx
def serve(ctx: Ctx, port: int, host: str, read_only: bool, open_browser: bool, max_upload_mb: int) -> int:
    """Run the web console (search, pages, criteria board, fixes, outputs, uploads) until Ctrl+C."""
    from archive_kit.web import ConsoleServer

    server = ConsoleServer(ctx.root, host=host, port=port, read_only=read_only, max_upload_mb=max_upload_mb)
    echo(f"archive-kit console: {server.url}" + ("  (read-only)" if read_only else "") + "  Ctrl+C stops it")
    if server.token:
        echo(f"access token (shown only now; give it to who may use the console): {server.token}")
    if open_browser:
        webbrowser.open(server.url)
    server.run()
    return 0
