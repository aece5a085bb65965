"""What `pip install .` puts on a machine, and the ways archive-kit is started: the CLI lives inside
the package (``archive_kit.cli``, from the repository's ``cli/`` folder), no top-level ``cli`` is
installed, and ``python -m archive_kit`` runs from a wheel, an editable install and a bare checkout.

The children run with ``python -S`` and an explicit ``sys.path`` (the wheel or the checkout first,
then the dependencies' site-packages): ``-S`` skips the ``.pth`` files, so the development venv's
editable install cannot answer for what a plain ``pip install .`` would put there."""
from __future__ import annotations

import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# what the build reads (pyproject.toml names README.md as the long description)
SOURCES = ("pyproject.toml", "README.md", "archive_kit", "cli", "schemas")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the checkout (so the build writes nothing into the working tree)."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(work / "dist")],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    (built,) = (work / "dist").glob("archive_kit-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path) -> Path:
    """The wheel's contents unpacked as site-packages would hold them."""
    target = wheel.parent.parent / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    return target


def _python(first: Path, code: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a child that sees ``first``, then the dependencies, and nothing else of ours."""
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    boot = f"import sys; sys.path[:] = [{str(first)!r}] + [p for p in sys.path if p] + {deps!r}\n"
    return subprocess.run([sys.executable, "-S", "-c", boot + code], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_the_wheel_installs_the_cli_inside_the_package_and_no_top_level_cli(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/", 1)[0] for n in names if not n.split("/", 1)[0].endswith(".dist-info")}
    assert tops == {"archive_kit"}, tops
    assert "archive_kit/cli/__init__.py" in names and "archive_kit/cli/main.py" in names
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    scripts = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "archive-kit = archive_kit.cli:main" in scripts, scripts


def test_the_wheel_holds_every_source_file_of_the_package(wheel: Path) -> None:
    """A subpackage missing from pyproject.toml's ``packages`` would pass every test run from the
    checkout and be missing after ``pip install .``."""
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"archive_kit/{p.relative_to(ROOT / 'archive_kit').as_posix()}" for p in (ROOT / "archive_kit").rglob("*.py")}
    expected |= {f"archive_kit/cli/{p.relative_to(ROOT / 'cli').as_posix()}" for p in (ROOT / "cli").rglob("*.py")}
    expected |= {f"archive_kit/_schemas/{p.name}" for p in (ROOT / "schemas").iterdir() if p.suffix in (".yaml", ".json")}
    assert sorted(expected - names) == []


def test_import_cli_fails_after_install_and_the_command_works(installed: Path, tmp_path: Path) -> None:
    proc = _python(installed, "import cli", cwd=tmp_path)
    assert proc.returncode == 1 and "No module named 'cli'" in proc.stderr, proc.stderr
    # what the console script `archive-kit = archive_kit.cli:main` runs
    proc = _python(installed, "sys.argv = ['archive-kit', '--help']\nfrom archive_kit.cli import main\nmain()",
                   cwd=tmp_path)
    assert proc.returncode == 0 and "Usage: archive-kit" in proc.stdout, proc.stderr
    assert str(installed) in _python(installed, "import archive_kit.cli as c; print(c.__file__)", tmp_path).stdout
    proc = _python(installed, "import runpy; sys.argv = ['archive_kit', 'doctor', '--json']\n"
                   "runpy.run_module('archive_kit', run_name='__main__', alter_sys=True)", cwd=tmp_path)
    assert proc.returncode == 0 and '"office_conversion"' in proc.stdout, proc.stderr


def test_python_m_archive_kit_runs_from_a_checkout_that_is_not_installed(tmp_path: Path) -> None:
    """``python -m archive_kit`` at the repository root finds ``archive_kit/`` there before any
    installed copy (as the tests do with ``pythonpath = ["."]``): its CLI is the ``cli/`` beside it."""
    proc = _python(ROOT, "import runpy; sys.argv = ['archive_kit', 'schema', '--help']\n"
                   "runpy.run_module('archive_kit', run_name='__main__', alter_sys=True)", cwd=tmp_path)
    assert proc.returncode == 0 and "Usage: archive-kit schema" in proc.stdout, proc.stderr
    proc = _python(ROOT, "import runpy; sys.argv = ['archive_kit', '--help']\n"
                   "runpy.run_module('archive_kit', run_name='__main__', alter_sys=True)\n", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = _python(ROOT, "import archive_kit.__main__ as m; c = m.load_cli(); print(c.__file__, c.__name__)\n"
                   "print(sorted(n for n in sys.modules if n == 'cli' or n.startswith('cli.')))", tmp_path)
    assert proc.stdout.split() == [str(ROOT / "cli" / "__init__.py"), "archive_kit.cli", "[]"], proc.stderr


BENCH_SCRIPTS = sorted(p.name for p in (ROOT / "bench").glob("*.py") if "__main__" in p.read_text(encoding="utf-8"))


@pytest.mark.parametrize("script", BENCH_SCRIPTS)
def test_every_bench_script_starts_from_the_repository_root(script: str) -> None:
    """``python bench/x.py`` puts ``bench/`` (not the repository root) first on sys.path: each script
    must find its sibling modules (``bench.gen_text``…) all the same. ``--help`` imports everything
    the script needs and stops."""
    proc = subprocess.run([sys.executable, f"bench/{script}", "--help"], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0 and "usage:" in proc.stdout, proc.stderr
