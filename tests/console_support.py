"""Shared by the console tests (issue 12): a real repository of real ingested documents, the real
``archive-kit serve`` in a subprocess on a free loopback port, and Debian's chromium for Playwright.

The repository holds a born-digital PDF and a scanned PNG filed under 文明单位 2023 / 2.2, a scanned
PDF under 党建 2023 (criterion from its content), and an untagged PDF (so ``review`` has work); the
文明单位 2023 documents are numbered, so listings exist. It is built once per session; tests that
change anything work on a copy.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

from archive_kit.archive import Archive
from bench.gen_docs import NOTICE_BODY, make_pdf
from bench.gen_scans import SAMPLE_TEXTS, make_scanned_pdf, render_text_page

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")  # Debian's; Playwright downloads none
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path("/tmp/w12-console/screenshots")
VOLUNTEER_FOLDER = Path("文明单位") / "2023" / "2.2 志愿服务活动"
NOTICE_TITLE = "关于开展志愿服务活动的通知"


@pytest.fixture(scope="session")
def console_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's repository (do not change it: use ``console_repo``)."""
    base = tmp_path_factory.mktemp("console")
    inbox = base / "台账资料"
    volunteer = inbox / VOLUNTEER_FOLDER
    volunteer.mkdir(parents=True)
    make_pdf(volunteer / "志愿服务活动通知.pdf", NOTICE_TITLE, NOTICE_BODY, doc_number="市直工委发〔2023〕35号", pages=2)
    # wider than A4's proportions: its rendition puts it on an A4 page with margins above and below
    render_text_page(SAMPLE_TEXTS["volunteer"], size=(1654, 1300), seed=2).save(volunteer / "学雷锋通知扫描.png")
    party = inbox / "党建" / "2023"
    party.mkdir(parents=True)
    make_scanned_pdf(party / "三会一课计划扫描.pdf", [render_text_page(SAMPLE_TEXTS["three_meetings"], seed=3)])
    other = inbox / "其他"
    other.mkdir()
    make_pdf(other / "会议记录.pdf", "办公室会议记录", ["会议研究了办公用品采购和值班安排等事项。"], signer=None, date_text=None)
    with Archive.init(base / "repo", fonds="J001", unit="市直机关工委") as archive:
        report = archive.ingest([inbox], jobs=2)
        assert not report.failed, report.failed
        # the archivist confirms what content only proposed (issue 11): the board and bundles count it then
        proposed = [d.id for d in archive.documents() if d.proposed_tags]
        if proposed:
            archive.tag(proposed, confirm=True)
        archive.number(track="civilized-unit", year=2023)
    return base / "repo"


@pytest.fixture
def console_repo(console_source: Path, tmp_path: Path) -> Path:
    """A copy of the session's repository that a test may change."""
    target = tmp_path / "repo"
    shutil.copytree(console_source, target)
    return target


def doc_ids(root: Path) -> dict[str, int]:
    """original_name → id of every document."""
    with Archive.open(root) as archive:
        return {d.original_name: d.id for d in archive.documents()}


@dataclass
class Served:
    """A running ``archive-kit serve``: its URL, token (if any), process and private temp folder."""

    url: str
    token: str | None
    proc: subprocess.Popen
    tmpdir: Path
    stderr: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.url.removesuffix("login").rstrip("/")


def start_console(root: Path, tmpdir: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    """Start the real CLI's console on a free port (``--port 0``) and read its URL (and token)."""
    tmpdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TMPDIR": str(tmpdir), **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "archive_kit", "--root", str(root), "serve", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    first = proc.stdout.readline()
    if "http://" not in first:
        proc.kill()
        raise AssertionError(f"the console did not start: {first!r} {proc.stderr.read()}")
    url = first.split("console: ", 1)[1].split()[0]
    token = None
    if "127.0.0.1" not in url and "localhost" not in url:
        token = proc.stdout.readline().rsplit(": ", 1)[1].strip()
    served = Served(url, token, proc, tmpdir)
    _wait_until_up(served)
    return served


def _wait_until_up(served: Served) -> None:
    import httpx

    host = served.base.replace("0.0.0.0", "127.0.0.1")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(host + "/static/console.css", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the console did not answer within 30 s")


def stop_console(served: Served) -> str:
    """Stop it as Ctrl+C would (SIGTERM/SIGINT are handled alike); returns what it wrote on stderr."""
    served.proc.terminate()
    try:
        _, err = served.proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        served.proc.kill()
        _, err = served.proc.communicate()
    assert "Traceback" not in err, err
    return err


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    """``serve(root, *args)`` starts a console; all are stopped (and checked for tracebacks) at the end."""
    started: list[Served] = []

    def start(root: Path, *args: str, env: dict[str, str] | None = None) -> Served:
        served = start_console(root, tmp_path / f"console-tmp-{len(started)}", *args, env=env)
        started.append(served)
        return served

    yield start
    for served in started:
        stop_console(served)


def client(served: Served, **kwargs: Any) -> Any:
    """An httpx client for the console (0.0.0.0 reached through 127.0.0.1)."""
    import httpx

    return httpx.Client(base_url=served.base.replace("0.0.0.0", "127.0.0.1"), timeout=120, **kwargs)


def csrf_of(http: Any) -> str:
    """The CSRF token, as a page or script gets it."""
    return http.get("/api/session").json()["csrf"]


def cli(root: Path, *args: str) -> dict:
    """``archive-kit --root ROOT ARGS --json``, parsed."""
    proc = subprocess.run([sys.executable, "-m", "archive_kit", "--root", str(root), *args, "--json"],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


# --------------------------------------------------------------------------- the browser

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="no chromium binary (Debian package chromium: make test installs it when run as root)")


@pytest.fixture
def browser(playwright_driver: Any, tmp_path: Path) -> Iterator[Any]:
    """A fresh chromium (its own user data dir) at 1366×768; pages fail the test on a script error."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
        viewport={"width": 1366, "height": 768}, accept_downloads=True, locale="zh-CN")
    errors: list[str] = []
    context.on("page", lambda page: page.on("pageerror", lambda e: errors.append(str(e))))
    yield context
    context.close()
    assert not errors, errors


def screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    """Save a screenshot under the test's output folder and copy it to /tmp/w12-console/screenshots/."""
    out = tmp_path / "screenshots" / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(out, SCREENSHOTS / out.name)
    return out


def read_back(png: bytes, box: list[float]) -> str:
    """OCR what lies inside a fraction ``box`` of a page image (padded white), to check a mark."""
    import io

    from PIL import Image, ImageOps

    from archive_kit.ocr import ocr_image

    image = Image.open(io.BytesIO(png)).convert("L")
    x0, y0, x1, y1 = box
    crop = image.crop((round(x0 * image.width) - 2, round(y0 * image.height) - 2,
                       round(x1 * image.width) + 2, round(y1 * image.height) + 2))
    crop = crop.resize((crop.width * 2, crop.height * 2))
    return ocr_image(ImageOps.expand(crop, border=40, fill=255)).text.replace("\n", "")


def private_files(tmpdir: Path) -> list[Path]:
    """Every file under a console's TMPDIR (its private work folder and page scratch space)."""
    return [p for p in tmpdir.rglob("*") if p.is_file()] if tmpdir.exists() else []


def add_photo(root: Path, base: Path, name: str = "志愿者合影.jpg") -> int:
    """A camera photo (EXIF date) added to the repository as 文明单位 2.3 evidence; its id."""
    import datetime as dt

    from bench.gen_scans import make_photo

    folder = base / "photo-in"
    folder.mkdir(parents=True, exist_ok=True)
    path = make_photo(folder / name, exif_date=dt.datetime(2023, 3, 5, 9, 30), size=(800, 600))
    with Archive.open(root) as archive:
        added = archive.ingest([path], track="civilized-unit", criterion="2.3", year=2023, ocr=False).added
        assert added and added[0].kind == "photo", added
        return added[0].id
