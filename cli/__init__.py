"""The ``archive-kit`` command line, installed as ``archive_kit.cli`` (its source is the
repository's ``cli/`` folder). Importing it registers every command on the group ``cli``;
``main`` is the console script."""
# each module registers its commands
from . import bundles, documents, editing, planning, records, repository, search, serve  # noqa: F401
from .main import cli, main

__all__ = ["cli", "main"]
