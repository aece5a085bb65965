"""The offline inspector site (``bundle --site``), opened from file:// in Debian's headless Chromium
through Playwright: search in the browser, item pages, links into bundle.pdf and the originals,
hostile titles shown as text, no request leaving file://, and the site under the bag's tag manifest.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from pypdf import PdfReader

from bench.gen_docs import NOTICE_BODY, make_pdf
from tests.conftest import cli_json
from tests.test_fourprops import manifest_repo

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no chromium binary at /usr/bin/chromium "
                                "(Debian's chromium package); Playwright cannot download browsers here")
# drawn on the page and given as the catalogue title: markup that would run if it became HTML
HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><script>alert(1)</script>环境卫生&amp;检查"
WASTE_TITLE = "垃圾分类宣传周活动记录"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """A repository of three real PDFs (one with a hostile title) and its bundle with --site, via the CLI."""
    base = tmp_path_factory.mktemp("site")
    ev = base / "evidence"
    ev.mkdir()
    make_pdf(ev / "notice.pdf", "关于开展志愿服务活动的通知", NOTICE_BODY, pages=2)
    # "垃圾减量" is split over two paragraphs (a line break in the extracted text)
    make_pdf(ev / "waste.pdf", WASTE_TITLE, ["各科室要做好厨余垃圾", "减量工作，开展垃圾分类宣传。"],
             date_text="2023年5月6日")
    make_pdf(ev / "hostile.pdf", HOSTILE, ["检查各办公区域的环境卫生情况。"], date_text="2023年6月1日")
    # two retention periods: two classes, each numbered from 0001
    root = manifest_repo(base, [["evidence/notice.pdf", "2.3", "关于开展志愿服务活动的通知", "2023-03-05", "D30"],
                                ["evidence/waste.pdf", "7.1", WASTE_TITLE, "2023-05-06", "D10"],
                                ["evidence/hostile.pdf", "7.1", HOSTILE, "2023-06-01", "D10"]])
    out = base / "bundle"
    code, report = cli_json("bundle", "--track", "文明单位", "--year", "2023", "--out", str(out), "--site", root=root)
    assert code == 0, report
    return root, out, report, ev


@pytest.fixture(scope="module")
def browser(playwright_driver):
    b = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
    yield b
    b.close()


def _open(browser, url: str):
    """A page that records dialogs, script errors and every request that is not file://."""
    page = browser.new_page()
    page.seen = {"dialogs": [], "errors": [], "remote": []}
    page.on("dialog", lambda d: (page.seen["dialogs"].append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: page.seen["errors"].append(str(e)))
    page.on("request", lambda r: None if r.url.startswith("file:") else page.seen["remote"].append(r.url))
    page.goto(url)
    return page


def _placed(report: dict, title: str) -> dict:
    return next(d for s in report["contents"] for d in s["documents"] if d["title"] == title)


def test_search_finds_the_item_and_leads_to_its_pdf_page_and_original(site, browser) -> None:
    root, out, report, ev = site
    page = _open(browser, (out / "index.html").as_uri())
    # a Chinese term across a line break of the text, a traditional spelling, and AND of terms
    for query in ("垃圾减量", "垃圾減量", "厨余 宣传"):
        page.fill("#q", query)
        hits = page.locator("#hits a.hit")
        assert hits.count() == 1, query
        assert hits.first.inner_text() == WASTE_TITLE
    page.fill("#q", "垃圾减量 志愿服务")
    assert page.locator("#hits a.hit").count() == 0, "all terms must match"
    page.fill("#q", "志愿服务")
    assert "关于开展志愿服务活动的通知" in page.locator("#hits").inner_text()
    page.fill("#q", "垃圾减量")
    page.locator("#hits a.hit").first.click()
    page.wait_for_url("**/site/items/*.html")
    placed = _placed(report, WASTE_TITLE)
    assert placed["archival_code"] in page.inner_text("table.meta")
    href = page.locator("a.pdf").get_attribute("href")
    target = urlparse(page.locator("a.pdf").evaluate("a => a.href"))
    assert Path(unquote(target.path)) == out / "bundle.pdf"
    assert target.fragment == f"page={placed['pdf_page']}", href
    text = PdfReader(out / "bundle.pdf").pages[placed["pdf_page"] - 1].extract_text().replace("\n", "")
    assert WASTE_TITLE in text and placed["archival_code"].rsplit("-", 1)[1] in text
    original = Path(unquote(urlparse(page.locator("a.original").evaluate("a => a.href")).path))
    assert original.parent == out / "data" / "originals"
    assert hashlib.sha256(original.read_bytes()).digest() == hashlib.sha256((ev / "waste.pdf").read_bytes()).digest()
    assert page.seen == {"dialogs": [], "errors": [], "remote": []}


def test_every_item_has_its_own_page(site, browser) -> None:
    """Item numbers repeat across classes (D30 0001, D10 0001): each item still gets its page."""
    root, out, report, ev = site
    codes = {d["archival_code"] for s in report["contents"] for d in s["documents"]}
    assert len(codes) == 3 and len({c.rsplit("-", 1)[1] for c in codes}) < 3, codes
    pages = sorted((out / "site" / "items").glob("*.html"))
    assert len(pages) == 3
    for code in codes:
        assert sum(code in p.read_text(encoding="utf-8") for p in pages) == 1, code
    page = _open(browser, (out / "index.html").as_uri())
    hrefs = page.locator("ul.items a").evaluate_all("links => links.map(a => a.href)")
    assert len(set(hrefs)) == 3


def test_a_hostile_title_shows_as_text_everywhere(site, browser) -> None:
    root, out, report, ev = site
    page = _open(browser, (out / "index.html").as_uri())
    assert HOSTILE in page.inner_text("main"), "the tree shows the title as text"
    page.fill("#q", "环境卫生")
    assert HOSTILE in page.locator("#hits").inner_text(), "the search hit shows it as text"
    page.locator("#hits a.hit", has_text="onerror").click()
    page.wait_for_url("**/site/items/*.html")
    assert HOSTILE in page.inner_text("h1")
    assert page.locator("img").count() == 0 and page.locator("main script").count() == 0
    assert page.title() != "pwned"
    assert page.seen == {"dialogs": [], "errors": [], "remote": []}


def test_the_site_is_under_the_tag_manifest(site, tmp_path: Path) -> None:
    root, out, report, ev = site
    listed = (out / "tagmanifest-sha256.txt").read_text(encoding="utf-8")
    for rel in ("index.html", "site/site.js", "site/search-data.js", "site/site.css"):
        assert f"  {rel}\n" in listed, rel
    code, data = cli_json("verify", "--bundle", str(out), root=root)
    assert code == 0 and data["ok"], [c for c in data["checks"] if not c["ok"]]
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    data_js = copy / "site" / "search-data.js"
    data_js.write_text(data_js.read_text(encoding="utf-8").replace("垃圾", "拉圾"), encoding="utf-8")
    code, data = cli_json("verify", "--bundle", str(copy), root=root)
    assert code == 1 and not data["ok"]
    failed = [c for c in data["checks"] if not c["ok"]]
    assert [(c["property"], c["check"]) for c in failed] == [("authenticity", "bag_fixity")], failed
    assert "search-data.js" in failed[0]["reason"]
