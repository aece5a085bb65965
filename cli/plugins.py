"""Imports the command modules beyond the core ones, so each feature's CLI lives in its own file."""
from . import numbering  # noqa: F401
from . import bundles  # noqa: F401
from . import serve  # noqa: F401
