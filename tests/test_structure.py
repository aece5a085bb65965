"""The library's shape, checked on its source (issue 10's module map):

- only ``archive_kit/__init__.py`` imports the facade ``archive_kit.archive``; services take
  collaborators, never ``Archive``;
- nothing imports upward: no library module imports the command line or the web layer, and the
  web layer does not import the command line;
- the command line and the web layer call the library through ``Archive`` only;
- all SQL lives in ``archive_kit/catalogue/``;
- library code never prints (it logs or calls back; the CLI decides what reaches the terminal);
- the modules an extraction worker imports do not import the schema loader's YAML / JSON Schema.
"""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "archive_kit"
CATALOGUE = PACKAGE / "catalogue"
FACADE = "archive_kit.archive"
# the command line's own entry point (``python -m archive_kit``) is where the library hands over to it
ENTRY_POINT = PACKAGE / "__main__.py"
# the console (issue 12): a layer on top of the facade, like the command line, that lives in the package
WEB = PACKAGE / "web"
UPWARD = ("cli", "web", "archive_kit.cli", "archive_kit.web")
# a statement, not prose: an upper-case SQL verb and, further on, what it works on
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|REPLACE|WITH|BEGIN|COMMIT|ROLLBACK|"
                 r"VACUUM|ANALYZE|REINDEX|ATTACH)\b[\s\S]*\b(FROM|INTO|SET|TABLE|INDEX|VIEW|WHERE|TRANSACTION|"
                 r"=|\w+\s*\()")
DB_CALLS = {"execute", "executemany", "executescript"}
OUTPUT_STREAMS = {"stdout", "stderr", "__stdout__", "__stderr__"}
# what a worker process imports to extract a file: the pool, the analyse stage, every extractor
# and the OCR registry with its Tesseract engine (RapidOCR's own model config is YAML: its business)
# the only library functions the command line may call itself: how text is shown on a terminal
PRESENTATION = {"archive_kit.formats", "archive_kit.output.tables", "archive_kit.search.snippet"}
# the console also names its downloads (a listing, a bundle, an original) with the safe-name rules
WEB_PRESENTATION = PRESENTATION | {"archive_kit.safenames"}
WORKER_MODULES = ["archive_kit.workers", "archive_kit.ingest.analyse", "archive_kit.extract",
                  "archive_kit.extract.pdf", "archive_kit.extract.docx", "archive_kit.extract.image",
                  "archive_kit.extract.office", "archive_kit.extract.ofd", "archive_kit.metadata", "archive_kit.ocr",
                  "archive_kit.ocr.tesseract", "archive_kit.ofd"]


def library_files() -> list[Path]:
    """Every source file of the library (the web layer's too)."""
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 50, "the scan sees the whole package"
    return files


def module_name(path: Path) -> str:
    """``archive_kit/bundle/build.py`` → ``archive_kit.bundle.build``; a package's ``__init__`` → the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_from(path: Path, node: ast.ImportFrom) -> str:
    """The module a ``from … import`` in ``path`` takes its names from (a relative one resolved)."""
    if not node.level:
        return node.module or ""
    here = module_name(path)
    base = (here if path.name == "__init__.py" else here.rpartition(".")[0]).split(".")
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(path: Path, tree: ast.AST) -> set[str]:
    """Every module ``path`` imports (relative imports resolved; ``from . import x`` counts ``pkg.x``)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            prefix = imported_from(path, node)
            found.add(prefix)
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
    return found


def parsed() -> list[tuple[Path, ast.AST]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"), str(path))) for path in library_files()]


def _is(name: str, module: str) -> bool:
    return name == module or name.startswith(module + ".")


def test_only_the_package_root_imports_the_facade() -> None:
    """Services take collaborators (Catalogue, ObjectStore, Repo…), never ``Archive``."""
    importers = sorted(str(path.relative_to(ROOT)) for path, tree in parsed()
                       if path != PACKAGE / "archive.py" and any(_is(m, FACADE) for m in imports_of(path, tree)))
    assert importers == ["archive_kit/__init__.py"]
    # the issue's own check, word for word
    grep = subprocess.run(["grep", "-rln", r"archive_kit.archive\|from \.archive import\|from \.\.archive import",
                           "archive_kit/"], cwd=ROOT, capture_output=True, text=True)
    assert set(grep.stdout.split()) - {"archive_kit/archive.py"} == {"archive_kit/__init__.py"}


def _names_archive(tree: ast.AST) -> list[str]:
    """Where a module names the ``Archive`` class: in code, or in an annotation (also a quoted one)."""
    found = [f"line {n.lineno}" for n in ast.walk(tree)
             if isinstance(n, ast.Name) and n.id == "Archive" or isinstance(n, ast.Attribute) and n.attr == "Archive"]
    for n in ast.walk(tree):
        if isinstance(n, ast.arg) and n.annotation is not None:
            notes = [n.annotation]
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.returns is not None:
            notes = [n.returns]
        elif isinstance(n, ast.AnnAssign):
            notes = [n.annotation]
        else:
            continue
        found += [f"line {n.lineno}: {ast.unparse(a)}" for a in notes if re.search(r"\bArchive\b", ast.unparse(a))]
    return found


def test_no_service_takes_or_names_archive() -> None:
    """No module other than the facade, the package root and the web layer (which works through
    the facade, as the command line does) names the ``Archive`` class, not even in a type hint
    under ``TYPE_CHECKING``."""
    named = {str(path.relative_to(ROOT)): _names_archive(tree) for path, tree in parsed()
             if path not in (PACKAGE / "archive.py", PACKAGE / "__init__.py") and WEB not in path.parents}
    assert {path: where for path, where in named.items() if where} == {}


def test_nothing_imports_upward() -> None:
    """The library never imports the command line or the web layer (they sit on top of it), and
    the web layer never imports the command line; only ``python -m archive_kit`` hands over to
    the command line."""
    def above(path: Path) -> tuple[str, ...]:
        return ("cli", "archive_kit.cli") if WEB in path.parents else UPWARD

    upward = {str(path.relative_to(ROOT)): sorted(m for m in imports_of(path, tree) if any(_is(m, u) for u in above(path)))
              for path, tree in parsed() if path != ENTRY_POINT}
    assert {path: mods for path, mods in upward.items() if mods} == {}


@pytest.mark.parametrize("layer", ["cli", "web"])
def test_the_command_line_and_the_console_call_the_facade_only(layer: str) -> None:
    """``cli/`` and ``archive_kit/web/`` do their work through ``Archive``: from the rest of the
    library they take types, errors and constants, and functions only to present text (no service
    called behind the facade)."""
    import importlib
    import importlib.util
    import inspect

    folder, allowed = (ROOT / "cli", PRESENTATION) if layer == "cli" else (WEB, WEB_PRESENTATION)
    files = sorted(folder.glob("*.py"))
    assert len(files) > 5
    behind: dict[str, list[str]] = {}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found = [f"import {a.name}" for n in ast.walk(tree) if isinstance(n, ast.Import)
                 for a in n.names if _is(a.name, "archive_kit") and not _is(a.name, "archive_kit.web")]
        for n in ast.walk(tree):
            if not isinstance(n, ast.ImportFrom):
                continue
            source = imported_from(path, n)  # the web layer's imports are relative
            if not _is(source, "archive_kit") or _is(source, "archive_kit.web"):
                continue
            module = importlib.import_module(source)
            for a in n.names:
                obj = getattr(module, a.name, None)
                if inspect.ismodule(obj) or obj is None and importlib.util.find_spec(f"{source}.{a.name}"):
                    found.append(f"from {source} import {a.name} (a module)")
                elif inspect.isfunction(obj) and obj.__module__ not in allowed:
                    found.append(f"from {source} import {a.name} ({obj.__module__}.{obj.__name__})")
        if found:
            behind[path.name] = found
    assert behind == {}


def _sql_literals(tree: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and SQL.search(n.value)]


def test_all_sql_lives_in_the_catalogue() -> None:
    """No ``.execute(``, no ``sqlite3`` and no SQL statement anywhere outside ``catalogue/``."""
    outside: dict[str, list[str]] = {}
    inside = 0
    for path, tree in parsed():
        if CATALOGUE in path.parents:
            inside += len(_sql_literals(tree))
            continue
        found = [f"line {n.lineno}: .{n.func.attr}(" for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in DB_CALLS]
        found += [f"imports {m}" for m in imports_of(path, tree) if _is(m, "sqlite3")]
        found += [f"SQL {s.strip()[:50]!r}" for s in _sql_literals(tree)]
        if found:
            outside[str(path.relative_to(ROOT))] = found
    assert outside == {}
    assert inside > 20, "the SQL detector finds the catalogue's statements (so it would find others)"


def test_library_code_never_prints() -> None:
    """No ``print``, no writes to ``sys.stdout``/``sys.stderr``, no click: progress and warnings
    go through ``logging`` or callbacks, and the CLI decides what reaches the terminal."""
    printing: dict[str, list[str]] = {}
    for path, tree in parsed():
        found = [f"line {n.lineno}: print(" for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("print", "pprint")]
        found += [f"line {n.lineno}: sys.{n.attr}" for n in ast.walk(tree)
                  if isinstance(n, ast.Attribute) and n.attr in OUTPUT_STREAMS
                  and isinstance(n.value, ast.Name) and n.value.id == "sys"]
        found += [f"line {n.lineno}: from sys import {a.name}" for n in ast.walk(tree)
                  if isinstance(n, ast.ImportFrom) and n.module == "sys" for a in n.names if a.name in OUTPUT_STREAMS]
        found += [f"imports {m}" for m in imports_of(path, tree) if _is(m, "click") or _is(m, "pprint")]
        if found:
            printing[str(path.relative_to(ROOT))] = found
    assert printing == {}


@pytest.mark.parametrize("module", WORKER_MODULES)
def test_extraction_worker_modules_import_neither_yaml_nor_jsonschema(module: str) -> None:
    """Only ``criteria.loader`` reads YAML schemas; a worker that extracts text must not pay for
    (or be exposed to) YAML and JSON Schema by importing it."""
    script = (f"import sys, {module}\n"
              "loaded = sorted(m for m in ('yaml', 'jsonschema', 'archive_kit.criteria.loader') if m in sys.modules)\n"
              "assert not loaded, loaded\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"importing {module}: {proc.stderr.strip().splitlines()[-1:]}"
