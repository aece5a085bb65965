"""The ``archive-kit`` command: a thin click layer that parses, calls the library through the
``Archive`` facade, and formats.

This module holds what every command shares (the group, the repository context, the shared
options) and ``main``, where errors from the library become exit codes, in one place. The
commands live in one module per thing the user does: documents, search, records, bundles and
repository care.
"""
from __future__ import annotations

import errno
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from archive_kit import Archive
from archive_kit.errors import ArchiveKitError

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


def filter_options(func: Callable) -> Callable:
    """``--track``, ``--criterion``, ``--year``: the contract's filters."""
    func = click.option("--year", type=int, help="Year (年度).")(func)
    func = click.option("--criterion", help="Criterion code; also matches its descendants.")(func)
    return click.option("--track", help="Track id, Chinese name or alias.")(func)


class DocumentId(click.ParamType):
    """A document id argument: a whole number. One that no document can have (0, negative, beyond
    SQLite's range) is the library's one-line usage error "no document with id …"."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a document id (a whole number)", param, ctx)


DOC_ID = DocumentId()


class TaskGroup(click.Group):
    """The ``archive-kit`` group. Its ``--help`` lists the commands under what the user is doing,
    in the order of ``sections`` (each command in the order it was defined); commands filed under
    no section come last."""

    def __init__(self, *args: Any, sections: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sections: dict[str, list[str]] = {title: [] for title in sections}

    def section(self, title: str) -> Callable[..., Callable[[Callable], click.Command]]:
        """A decorator factory like ``command`` that also files each command under ``title``."""
        members = self.sections[title]

        def command(*args: Any, **kwargs: Any) -> Callable[[Callable], click.Command]:
            make = self.command(*args, **kwargs)

            def register(func: Callable) -> click.Command:
                cmd = make(func)
                members.append(cmd.name)
                return cmd

            return register

        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """One ``--help`` section per task."""
        names = [n for n in self.list_commands(ctx) if not self.commands[n].hidden]
        filed = {n for members in self.sections.values() for n in members}
        sections = [*self.sections.items(), ("Other commands", [n for n in names if n not in filed])]
        for title, members in sections:
            shown = [n for n in members if n in names]
            if shown:
                limit = formatter.width - 6 - max(len(n) for n in shown)
                rows = [(n, self.commands[n].get_short_help_str(limit)) for n in shown]
                with formatter.section(title):
                    formatter.write_dl(rows)


@click.group(cls=TaskGroup, sections=("Documents", "Search", "Records", "Bundles", "Repository care"),
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="Repository folder (default: $ARCHIVE_KIT_ROOT, else ./archive).")
@click.version_option(package_name="archive-kit")
@click.pass_context
def cli(ctx: click.Context, root: Path | None) -> None:
    """archive-kit: evidence archives for the 三创建 campaigns (ingest, tag, search, number, bundle).

    Exit codes: 0 success; 1 some inputs failed (the others were done and kept); 2 usage error;
    3 the repository is missing, locked beyond the wait, damaged or read-only; 130 interrupted.
    """
    ctx.obj = Ctx(root or Path(os.environ.get("ARCHIVE_KIT_ROOT") or "archive"))


class _WarningLines(logging.Handler):
    """Shows the library's warnings (e.g. an index that will catch up later) as ``archive-kit: warning:`` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        warn(f"{record.levelname.lower()}: {record.getMessage()}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: runs the group and turns library errors into exit codes.

    A full disk or a read-only file system met outside the repository's own error edges (a cache,
    a rendition, an output file) is still one line, with exit 3."""
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
