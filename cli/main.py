"""The ``archive-kit`` command: a thin click layer that parses, calls the library, and formats.

Errors from the library are mapped to exit codes here, in one place.
"""
from __future__ import annotations

import errno
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from archive_kit.archive import Archive
from archive_kit.catalogue.connection import is_document_id
from archive_kit.errors import ArchiveKitError, UsageError

from .render import echo, emit_json  # noqa: F401  (emit_json: the command modules import it from here)


class Ctx:
    """What every command needs: where the repository is, and a way to open it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def open(self) -> Archive:
        """Open the repository (exit 3 if it is missing or damaged)."""
        return Archive.open(self.root)


pass_ctx = click.make_pass_decorator(Ctx)


def json_option(func: Callable) -> Callable:
    """``--json``: stdout holds exactly one JSON document."""
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")(func)


def warn(message: str) -> None:
    """A line for people on stderr (one line, cleaned: file names and titles cannot act on the terminal)."""
    echo(f"archive-kit: {message}", err=True, one_line=True)


class DocumentId(click.ParamType):
    """A document id argument. An integer no document can have (0, negative, beyond SQLite's
    64-bit range) is the one-line usage error "no document with id …", never an overflow."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            doc_id = int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a document id (a whole number)", param, ctx)
        if not is_document_id(doc_id):
            raise UsageError(f"no document with id {doc_id}")
        return doc_id


DOC_ID = DocumentId()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="Repository folder (default: $ARCHIVE_KIT_ROOT, else ./archive).")
@click.version_option(package_name="archive-kit")
@click.pass_context
def cli(ctx: click.Context, root: Path | None) -> None:
    """archive-kit: evidence archives for the 三创建 campaigns (ingest, tag, search, number, bundle)."""
    ctx.obj = Ctx(root or Path(os.environ.get("ARCHIVE_KIT_ROOT") or "archive"))


class _WarningLines(logging.Handler):
    """Shows the library's warnings (e.g. an index that will catch up later) as ``archive-kit: warning:`` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        warn(f"{record.levelname.lower()}: {record.getMessage()}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: runs the group and turns library errors into exit codes.

    A full disk or a read-only file system met outside the repository's own error edges (a cache,
    a rendition, an output file) is still one line, with exit 3."""
    from . import documents  # noqa: F401  (registers commands)
    from . import plugins  # noqa: F401

    library = logging.getLogger("archive_kit")
    if not library.handlers:
        library.addHandler(_WarningLines(logging.WARNING))
        library.propagate = False
    try:
        code = cli.main(args=argv, prog_name="archive-kit", standalone_mode=False)
    except click.exceptions.Abort:
        warn("aborted")
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except ArchiveKitError as e:
        warn(f"error: {e}")
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        warn("interrupted; rerun the same command to finish")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            warn(f"error: disk full: could not write{where or ' a file'}; free some space and run the command again")
        elif e.errno == errno.EROFS:
            warn(f"error: read-only file system: could not write{where or ' a file'}")
        else:
            raise
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)
