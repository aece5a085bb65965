"""The console in a real browser (issue 12): Debian's chromium driven by Playwright against the real
``archive-kit serve`` on a free loopback port, over a real repository (a scan read by OCR included).

Each main page is saved as a screenshot under the test's output folder and copied to
/tmp/w12-console/screenshots/ to be looked at.
"""
from __future__ import annotations

import base64
import csv
import io
from pathlib import Path

import pytest

from bench.gen_docs import make_pdf
from tests.console_support import (NOTICE_TITLE, add_photo, browser, client, console_repo,  # noqa: F401
                                   console_source, doc_ids, needs_chromium, screenshot, serve)

pytestmark = [needs_chromium, pytest.mark.slow]


def _mark_inside_image(page, mark) -> None:
    """The mark is drawn over its page image, with a size."""
    box = mark.bounding_box()
    frame = mark.locator("xpath=..").locator("img.page-image").bounding_box()
    assert box and frame and box["width"] > 3 and box["height"] > 3
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    assert frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"] + 1


def _wait_images(page) -> None:
    page.wait_for_function("() => [...document.querySelectorAll('img.page-image')].slice(0, 1)"
                           ".every(i => i.complete && i.naturalWidth > 0)", timeout=60000)


def test_search_as_you_type_then_open_a_scan_with_its_hit_marked(console_source: Path, serve, browser,  # noqa: F811
                                                                 tmp_path: Path) -> None:
    served = serve(console_source)
    page = browser.new_page()
    page.goto(served.url)
    page.evaluate("window.__sameDocument = 'yes'")
    page.locator("#q").press_sequentially("文明交通劝导", delay=60)
    page.wait_for_selector("li.hit mark")
    # results follow the typing: wait for those of the whole query, not of a prefix typed before it
    page.wait_for_function("() => document.querySelector('li.hit mark').innerText === '文明交通劝导'")
    assert page.evaluate("window.__sameDocument") == "yes", "results came without a page reload"
    assert page.locator("li.hit mark").first.inner_text() == "文明交通劝导"
    with client(served) as http:
        expected = http.get("/api/search", params={"q": "文明交通劝导", "limit": 50}).json()
    assert [int(x) for x in page.locator("li.hit").evaluate_all("els => els.map(e => e.dataset.id)")] == \
        [h["id"] for h in expected["hits"]]
    assert f"共 {expected['total']} 件" in page.locator("#status").inner_text()
    meta = page.locator("li.hit .hit-meta").first.inner_text()
    assert "J001-WS·2023-D10-WM-" in meta and "2023-03-05" in meta and "1 页" in meta and "2.2 志愿服务活动" in meta
    screenshot(page, tmp_path, "01-search")
    page.keyboard.press("ArrowDown")
    assert "selected" in page.locator("li.hit").first.get_attribute("class")
    page.keyboard.press("Enter")
    page.wait_for_url("**/documents/*")
    mark = page.locator(".hit-mark").first
    mark.wait_for(state="visible")
    _wait_images(page)
    _mark_inside_image(page, mark)
    assert "第 1 /" in page.locator("#hit-count").inner_text()
    assert page.locator("#doc-title").inner_text() == "关于开展学雷锋志愿服务月活动的通知"
    assert "文件夹" in page.locator("#doc-tags").inner_text(), "where each tag came from"
    screenshot(page, tmp_path, "02-document-scan")


def test_document_view_jumps_between_hits_of_a_text_pdf(console_source: Path, serve, browser,  # noqa: F811
                                                        tmp_path: Path) -> None:
    served = serve(console_source)
    doc = doc_ids(console_source)["志愿服务活动通知.pdf"]
    page = browser.new_page()
    page.goto(f"{served.url}documents/{doc}?q=志愿服务")
    page.locator(".hit-mark.active").wait_for()
    _wait_images(page)
    total = page.locator(".hit-mark").count()
    assert total >= 3 and page.locator(".page").count() == 2
    assert page.locator("#hit-count").inner_text() == f"第 1 / {total} 处"
    page.click("#hit-next")
    assert page.locator("#hit-count").inner_text() == f"第 2 / {total} 处"
    page.click("#hit-prev")
    page.click("#hit-prev")
    assert page.locator("#hit-count").inner_text() == f"第 {total} / {total} 处"
    assert page.locator(".page").nth(1).locator(".hit-mark").count() >= 1, "hits on page 2 are marked too"
    assert page.locator("#download-original").get_attribute("href") == f"/api/documents/{doc}/original"
    screenshot(page, tmp_path, "03-document-pdf")


def test_filter_by_criterion_gives_the_cli_results(console_source: Path, serve, browser, tmp_path: Path) -> None:  # noqa: F811
    served = serve(console_source)
    page = browser.new_page()
    page.goto(served.url)
    page.locator("#q").fill("二〇二三年")
    page.wait_for_selector("li.hit")
    everything = page.locator("li.hit").count()
    page.select_option("#f-track", "party-building")
    page.select_option("#f-criterion", "3.2")
    page.wait_for_function("() => new URLSearchParams(location.search).get('criterion') === '3.2'")
    page.wait_for_function("n => document.querySelectorAll('li.hit').length !== n", arg=everything)
    with client(served) as http:
        expected = http.get("/api/search", params={"q": "二〇二三年", "track": "party-building", "criterion": "3.2",
                                                   "limit": 50}).json()
    assert expected["total"] >= 1
    ids = [int(x) for x in page.locator("li.hit").evaluate_all("els => els.map(e => e.dataset.id)")]
    assert ids == [h["id"] for h in expected["hits"]] and len(ids) < everything
    assert all(h["criterion"].startswith("3.2") for h in expected["hits"])
    screenshot(page, tmp_path, "04-search-filtered")


def test_edit_a_tag_in_place_and_see_it_in_the_next_listing_download(console_repo: Path, serve, browser,  # noqa: F811
                                                                    tmp_path: Path) -> None:
    served = serve(console_repo)
    doc = doc_ids(console_repo)["志愿服务活动通知.pdf"]
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.goto(f"{served.url}documents/{doc}")
    page.locator(".tag-editor .tag-criterion").wait_for()
    page.select_option("#doc-tags .tag-criterion", "2.3")
    page.click("#doc-tags .tag-save")
    page.wait_for_function("() => document.querySelector('#doc-tags table.tags').innerText.includes('2.3 志愿服务制度')")
    assert dialogs and "已编号" in dialogs[0], "a numbered document asks for confirmation (--force)"
    assert "2.3 志愿服务制度 （来源：人工）" in page.locator("#doc-tags table.tags").inner_text()
    screenshot(page, tmp_path, "05-document-edited")
    page.goto(f"{served.url}outputs")
    page.select_option("#o-year", "2023")
    with page.expect_download() as info:
        page.click("button.listing-download[data-level=item][data-format=csv]")
    download = info.value
    assert download.suggested_filename == "归档文件目录-2023.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert next(r for r in rows if NOTICE_TITLE in r)
    # the item catalogue has no 测评指标 column by default (DA/T 22-2015): the box listing names the criteria
    with page.expect_download() as info:
        page.click("button.listing-download[data-level=box][data-format=csv]")
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert any("2.3" in r[-1].split("、") for r in rows[2:]), rows
    screenshot(page, tmp_path, "06-outputs")
    history = client(served).get(f"/api/documents/{doc}/view").json()["history"]
    assert "retag-numbered" in [e["action"] for e in history]


def test_edit_a_title_in_place_and_see_it_in_the_next_listing_download(console_repo: Path, serve, browser,  # noqa: F811
                                                                       tmp_path: Path) -> None:
    """The issue's case: the title is changed through Archive.edit (the document is numbered, so
    the page asks first, as --force), the page's history shows the change, the listing has it."""
    served = serve(console_repo)
    doc = doc_ids(console_repo)["志愿服务活动通知.pdf"]
    before = client(served).get(f"/api/documents/{doc}").json()["title"]
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.goto(f"{served.url}documents/{doc}")
    page.locator("#doc-metadata input[name=title]").fill("关于开展学雷锋志愿服务活动的通知（修订）")
    page.click("#metadata-save")
    page.wait_for_function("() => document.querySelector('#doc-title').innerText.includes('修订')")
    assert dialogs and "已编号" in dialogs[0], "a numbered document asks for confirmation (--force)"
    page.wait_for_function("() => document.querySelector('#doc-history').innerText.includes('修改题名')")
    assert f"{before} → 关于开展学雷锋志愿服务活动的通知（修订）" in page.locator("#doc-history").inner_text()
    screenshot(page, tmp_path, "05b-document-title-edited")
    page.goto(f"{served.url}outputs")
    with page.expect_download() as info:
        page.click("button.listing-download[data-level=item][data-format=csv]")
    assert "关于开展学雷锋志愿服务活动的通知（修订）" in Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert client(served).get(f"/api/documents/{doc}").json()["title"] == "关于开展学雷锋志愿服务活动的通知（修订）"


def test_edit_a_photos_place_and_its_composed_title_in_place(console_repo: Path, serve, browser,  # noqa: F811
                                                              tmp_path: Path) -> None:
    """A photo's page offers its fields (地点, 人物, 摄影者, 背景/事由) and the 自拟题名 flag; Chromium
    sets the place and marks the title composed, the detail table shows both, the edit log has them.
    A document's page offers the flag but no photo field; a bad date is refused in Chinese."""
    photo = add_photo(console_repo, tmp_path)
    served = serve(console_repo)
    page = browser.new_page()
    page.goto(f"{served.url}documents/{doc_ids(console_repo)['会议记录.pdf']}")
    page.locator("#metadata-save").wait_for()
    assert page.locator("#doc-metadata input[name=title_composed]").count() == 1
    assert page.locator("#doc-metadata input[name=place]").count() == 0, "photo fields on a document's page"
    page.locator("#doc-metadata input[name=date]").evaluate("(i) => { i.type = 'text'; i.value = '2023-13-40'; }")
    page.click("#metadata-save")
    page.wait_for_function("() => document.querySelector('#metadata-status').classList.contains('error')")
    assert "日期无效" in page.locator("#metadata-status").inner_text()

    page.goto(f"{served.url}documents/{photo}")
    for name in ("place", "people", "photographer", "background"):
        page.locator(f"#doc-metadata input[name={name}]").wait_for()
    assert "地点" in page.locator("#doc-metadata").inner_text()
    page.locator("#doc-metadata input[name=place]").fill("重庆市渝中区解放碑")
    page.locator("#doc-metadata input[name=title_composed]").check()
    page.click("#metadata-save")
    page.wait_for_function("() => document.querySelector('#doc-history').innerText.includes('修改地点')")
    meta = page.locator("#doc-meta").inner_text()
    assert "地点\t重庆市渝中区解放碑" in meta and "自拟题名\t是" in meta, meta
    history = page.locator("#doc-history").inner_text()
    assert "（空） → 重庆市渝中区解放碑" in history and "修改题名来源" in history, history
    assert page.locator("#doc-metadata input[name=title_composed]").is_checked()
    screenshot(page, tmp_path, "05c-photo-place-edited")
    record = client(served).get(f"/api/documents/{photo}").json()
    assert (record["place"], record["title_source"]) == ("重庆市渝中区解放碑", "composed")


def test_read_only_mode_hides_the_controls_and_refuses_an_edit(console_repo: Path, serve, browser,  # noqa: F811
                                                              tmp_path: Path) -> None:
    served = serve(console_repo, "--read-only")
    doc = doc_ids(console_repo)["会议记录.pdf"]
    page = browser.new_page()
    page.goto(f"{served.url}documents/{doc}")
    page.locator("#doc-tags table").wait_for()
    _wait_images(page)
    assert page.locator("#readonly-badge").inner_text() == "只读模式"
    assert page.locator(".tag-editor").count() == 0 and page.locator("#metadata-save").count() == 0
    assert page.locator(".unlink").count() == 0
    nav = page.locator(".topbar nav").inner_text()
    assert "检索" in nav and "添加文件" not in nav and "待处理" not in nav
    status = page.evaluate("""async (id) => {
        const token = document.querySelector('meta[name=csrf-token]').content;
        const r = await fetch('/api/documents/' + id, {method: 'PATCH', headers: {'X-CSRF-Token': token,
            'Content-Type': 'application/json'}, body: JSON.stringify({track: 'civilized-unit'})});
        return [r.status, (await r.json()).error];
    }""", doc)
    assert status[0] == 403 and "只读" in status[1]
    screenshot(page, tmp_path, "07-read-only-document")
    page.goto(f"{served.url}outputs")
    page.locator("button.listing-download").first.wait_for()
    assert page.locator("#bundle-panel").count() == 0
    screenshot(page, tmp_path, "08-read-only-outputs")
    assert client(served).get(f"/api/documents/{doc}").json()["track"] is None


def test_non_loopback_bind_without_the_token_is_refused(console_source: Path, serve, browser,  # noqa: F811
                                                        tmp_path: Path) -> None:
    served = serve(console_source, "--host", "0.0.0.0")
    base = served.base.replace("0.0.0.0", "127.0.0.1")
    page = browser.new_page()
    response = page.goto(base + "/api/search?q=志愿")
    assert response.status == 401
    page.goto(base + "/board")
    assert "/login" in page.url
    page.fill("#token", "not-the-token")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.locator("#login-error").wait_for()
    assert "访问令牌不正确" in page.locator("#login-error").inner_text()
    screenshot(page, tmp_path, "09-login")
    page.fill("#token", served.token)
    page.click("button[type=submit]")
    page.wait_for_url("**/board*")
    page.wait_for_selector("button.cell")
    page.goto(base + "/")
    page.locator("#q").fill("三会一课")
    page.wait_for_selector("li.hit mark")


def test_upload_reports_the_broken_file_and_ingests_the_good_ones(console_repo: Path, serve, browser,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    served = serve(console_repo)
    good = make_pdf(tmp_path / "a.pdf", "关于表彰优秀志愿者的决定", ["决定表彰一批优秀志愿者。"]).read_bytes()
    other = make_pdf(tmp_path / "b.pdf", "志愿服务站点名单", ["本年度设立志愿服务站点十个。"]).read_bytes()
    files = [{"name": "表彰决定.pdf", "b64": base64.b64encode(good).decode()},
             {"name": "损坏的扫描件.pdf", "b64": base64.b64encode(b"%PDF-1.4\n1 0 obj <<\n" + b"\x00" * 300).decode()},
             {"name": "站点名单.pdf", "b64": base64.b64encode(other).decode()}]
    page = browser.new_page()
    page.goto(f"{served.url}upload")
    page.select_option("#u-track", "civilized-unit")
    page.fill("#u-year", "2023")
    transfer = page.evaluate_handle("""(files) => {
        const dt = new DataTransfer();
        for (const f of files) {
            const bytes = Uint8Array.from(atob(f.b64), c => c.charCodeAt(0));
            dt.items.add(new File([bytes], f.name, {type: 'application/pdf'}));
        }
        return dt;
    }""", files)
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    page.wait_for_function("() => document.querySelector('#upload-status').innerText.includes('入库完成')",
                           timeout=300000)
    rows = page.locator("#upload-results tbody tr")
    results = {rows.nth(i).locator("td").first.inner_text(): rows.nth(i).locator("td.result").inner_text()
               for i in range(rows.count())}
    assert results["表彰决定.pdf"].startswith("已入库") and results["站点名单.pdf"].startswith("已入库")
    assert results["损坏的扫描件.pdf"].startswith("失败：PDF 文件已损坏"), results  # in Chinese, then the library's line
    screenshot(page, tmp_path, "10-upload")
    with client(served) as http:
        assert http.get("/api/search", params={"q": "优秀志愿者"}).json()["total"] == 1
        added = http.get("/api/search", params={"q": "志愿服务站点"}).json()["hits"][0]
        record = http.get(f"/api/documents/{added['id']}").json()
    assert (record["original_name"], record["source_path"], record["track"], record["year"]) == \
        ("站点名单.pdf", "站点名单.pdf", "civilized-unit", 2023)


def test_board_review_and_a_bundle_with_its_progress_bar(console_repo: Path, serve, browser,  # noqa: F811
                                                         tmp_path: Path) -> None:
    served = serve(console_repo)
    page = browser.new_page()
    page.goto(f"{served.url}board?track=party-building")
    page.wait_for_selector("button.cell")
    assert page.locator("button.cell.gap-required").count() >= 1, "必备 gaps are red"
    red = page.locator("button.cell.gap-required").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert red == "rgb(209, 36, 47)"
    page.locator("button.cell[data-code='3.2.1'][data-year='2023']").click()
    page.wait_for_selector("#cell-panel ol.cell-docs a")
    assert "三会一课" in page.locator("#cell-panel").inner_text()
    screenshot(page, tmp_path, "11-board")

    page.goto(f"{served.url}board?track=civilized-unit")
    page.locator("button.cell[data-code='2'][data-year='2023']").click()
    page.wait_for_selector("#cell-panel ol.cell-docs a")
    with client(served) as http:
        order = http.get("/api/board/cell", params={"track": "civilized-unit", "year": 2023, "criterion": "2"}).json()
    titles = page.locator("#cell-panel ol.cell-docs a").all_inner_texts()
    assert titles == [d["title"] for d in order["documents"]] and len(titles) == 2

    page.goto(f"{served.url}review")
    page.wait_for_selector(".review-item")
    assert "缺少创建类别" in page.locator(".review-item").first.inner_text()
    screenshot(page, tmp_path, "12-review")
    doc = doc_ids(console_repo)["会议记录.pdf"]
    item = page.locator(f".review-item[data-id='{doc}']")
    item.locator(".tag-track").select_option("civilized-unit")
    item.locator(".tag-criterion").select_option("9.1")
    item.locator(".tag-year").fill("2023")
    item.locator(".tag-save").click()
    page.wait_for_function(f"() => !document.querySelector(\".review-item[data-id='{doc}']\")")

    page.goto(f"{served.url}outputs?track=civilized-unit&year=2023")
    page.locator("#bundle-start").click()
    page.locator("#bundle-download").wait_for(timeout=300000)
    width = page.locator("#bundle-fill").evaluate("e => e.style.width")
    assert width == "100%"
    assert "完成：3 件" in page.locator("#bundle-status").inner_text()
    screenshot(page, tmp_path, "13-bundle")
    with page.expect_download() as info:
        page.click("#bundle-download")
    assert info.value.suggested_filename.endswith(".zip")


def test_review_confirms_tags_content_only_proposed(console_repo: Path, serve, browser,  # noqa: F811
                                                    tmp_path: Path) -> None:
    """A criterion proposed from content alone is listed in 待处理 with a confirm button; one click
    makes it the archivist's decision (as ``tag --confirm``), logged, and the document leaves the list."""
    from archive_kit.archive import Archive

    inbox = tmp_path / "新材料" / "党建" / "2023"
    inbox.mkdir(parents=True)
    make_pdf(inbox / "党支部活动记录.pdf", "第一党支部三会一课情况记录",
             ["本季度召开支部党员大会一次、支委会三次，上党课一次，落实三会一课制度。"])
    with Archive.open(console_repo) as archive:
        assert not archive.ingest([tmp_path / "新材料"]).failed
    doc = doc_ids(console_repo)["党支部活动记录.pdf"]
    with Archive.open(console_repo) as archive:
        proposed = archive.get(doc).proposed_tags
    assert proposed, "the fixture needs a criterion proposed from content alone"

    served = serve(console_repo)
    page = browser.new_page()
    page.goto(f"{served.url}review")
    item = page.locator(f".review-item[data-id='{doc}']")
    item.wait_for()
    assert "仅由内容自动推断" in item.inner_text()
    screenshot(page, tmp_path, "12-review-proposed")
    item.locator(".tag-confirm").click()
    page.wait_for_function(f"() => !document.querySelector(\".review-item[data-id='{doc}']\")")
    with Archive.open(console_repo) as archive:
        after = archive.get(doc)
        history = archive.history(doc)
    assert after.proposed_tags == [] and after.tags_confirmed
    assert any("(confirmed)" in str(e.get("after")) for e in history["edits"]), history
