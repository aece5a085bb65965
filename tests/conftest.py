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


def assert_bundle_whole(root: Path, bundle: Path, *, metadata_checks: tuple[str, ...] = ()) -> dict:
    """``verify --bundle``: the bag and every original verify, and every 四性 check passes except the
    named metadata checks (``title``, ``required_fields``) where a test's documents lack, on purpose,
    what a records office would want (a title set by hand that is not on the page, no date)."""
    proc = run_cli("verify", "--bundle", str(bundle), "--json", root=root)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = json.loads(proc.stdout)
    assert report["problems"] == [], report["problems"]
    failed = [c for c in report["checks"] if not c["ok"]]
    assert all(c["check"] in metadata_checks for c in failed), failed
    assert any(c["check"] == "sha256" and c["ok"] for c in report["checks"]), report["checks"]
    return report
