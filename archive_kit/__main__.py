"""``python -m archive_kit`` runs the command line, ``archive_kit.cli``.

Installed (``pip install .`` or ``pip install -e .``), ``archive_kit.cli`` is the repository's
``cli/`` folder, mapped by setuptools' ``package-dir``. A source checkout that is not installed,
or whose ``archive_kit/`` is found before the installed one (``python -m archive_kit`` at the
repository root, the tests' ``pythonpath = ["."]``), has no such mapping: there the ``cli/``
folder beside ``archive_kit/`` is loaded under the same name, and never as a top-level ``cli``.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

CLI = "archive_kit.cli"


def load_cli() -> ModuleType:
    """The ``archive_kit.cli`` package: the installed one, else the checkout's ``cli/`` folder."""
    try:
        return importlib.import_module(CLI)
    except ModuleNotFoundError as e:
        if e.name != CLI:
            raise
        source = Path(__file__).resolve().parent.parent / "cli" / "__init__.py"
        if not source.is_file():
            raise
    spec = importlib.util.spec_from_file_location(CLI, source, submodule_search_locations=[str(source.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[CLI] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[CLI]
        raise
    return module


if __name__ == "__main__":
    load_cli().main()
