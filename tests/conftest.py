"""Shared fixtures: a fresh repository per test and real generated documents."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archive_kit.archive import Archive

REAL_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "real"


@pytest.fixture
def repo(tmp_path: Path) -> Archive:
    """An empty repository with the built-in tracks."""
    archive = Archive.init(tmp_path / "repo", fonds="J001", unit="测试单位")
    yield archive
    archive.close()


def run_cli(*args: str, root: Path | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run ``archive-kit`` as a user would (a real subprocess), returning the completed process."""
    cmd = [sys.executable, "-m", "archive_kit"]
    if root is not None:
        cmd += ["--root", str(root)]
    proc = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}: {proc.stderr}")
    return proc


def cli_json(*args: str, root: Path | None = None) -> tuple[int, dict]:
    """Run a ``--json`` command and parse its stdout."""
    proc = run_cli(*args, "--json", root=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the whole run: its sync API refuses to start a second one while the
    first is alive, and both the console's and the bundle site's browser tests need it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p
