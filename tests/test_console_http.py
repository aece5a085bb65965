"""The console over real HTTP (issue 12): its JSON API gives what the CLI's --json gives, and every
security rule holds (token, CSRF, read-only, CSP, 4xx for bad requests, no path from a client ever
reaching the disk). The real ``archive-kit serve`` on a free loopback port, a real repository."""
from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from archive_kit.archive import Archive
from bench.gen_docs import make_pdf
from tests.console_support import (NOTICE_TITLE, add_photo, cli, client, console_repo,  # noqa: F401
                                   console_source, csrf_of, doc_ids, private_files, read_back, serve)


@pytest.fixture
def served(console_source: Path, serve):  # noqa: F811
    """A console on the session's repository (tests using it change nothing)."""
    return serve(console_source)


def test_api_search_is_the_cli_search(console_source: Path, served) -> None:  # noqa: F811
    with client(served) as http:
        for args, params in [(["志愿服务"], {"q": "志愿服务"}),
                             (["志愿服务", "--track", "文明单位", "--criterion", "2", "--year", "2023"],
                              {"q": "志愿服务", "track": "文明单位", "criterion": "2", "year": "2023"}),
                             (["三会一课", "--limit", "1"], {"q": "三会一课", "limit": "1"}),
                             (["计划", "--track", "党建"], {"q": "计划", "track": "党建"})]:
            expected = cli(console_source, "search", *args)
            assert expected["total"] >= 1, args
            assert http.get("/api/search", params=params).json() == expected
            assert http.get("/api/search/view", params=params).json()["search"] == expected


def test_api_document_review_and_coverage_are_the_cli_json(console_source: Path, served) -> None:  # noqa: F811
    ids = doc_ids(console_source)
    with client(served) as http:
        for doc_id in ids.values():
            assert http.get(f"/api/documents/{doc_id}").json() == cli(console_source, "show", str(doc_id))
        assert http.get("/api/coverage", params={"track": "civilized-unit", "year": 2023}).json() == \
            cli(console_source, "coverage", "--track", "civilized-unit", "--year", "2023")
        assert http.get("/api/review").json()["documents"] == cli(console_source, "review")["documents"]
        assert any(d["id"] == ids["会议记录.pdf"] for d in http.get("/api/review").json()["documents"])


def test_unknown_ids_are_404_and_never_a_traceback(console_source: Path, served) -> None:  # noqa: F811
    doc = doc_ids(console_source)["志愿服务活动通知.pdf"]
    with client(served) as http:
        for path in ("/api/documents/999999", "/api/documents/99999999999999999999999999", "/api/documents/0",
                     f"/api/documents/{doc}/pages/99.png", f"/api/documents/{doc}/pages/0.png",
                     "/api/documents/999/pages", "/api/documents/999/original", "/api/jobs/nope",
                     "/api/documents/abc", "/api/no-such-thing"):
            r = http.get(path)
            assert r.status_code == 404, (path, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/json") and r.json()["status"] == 404, path
            assert "Traceback" not in r.text
        page = http.get("/documents/999999", headers={"Accept": "text/html"})
        assert page.status_code == 404 and "未找到" in page.text and "no document with id 999999" in page.text
        assert "Traceback" not in page.text


def test_malformed_queries_are_400(served) -> None:  # noqa: F811
    with client(served) as http:
        for params in ({"q": ""}, {"q": '""'}, {"q": "志愿", "year": "二〇二三"}, {"q": "志愿", "limit": "0"},
                       {"q": "志愿", "limit": "many"}, {"q": "志愿", "track": "no-such-track"}):
            r = http.get("/api/search", params=params)
            assert r.status_code == 400, (params, r.text)
            assert r.json()["error"] and r.json()["title"] == "请求有误"
        assert http.get("/api/coverage", params={"track": "文明单位"}).status_code == 400
        assert http.get("/api/listing", params={"level": "shelf", "format": "csv"}).status_code == 400
        assert http.get("/api/board").status_code == 400


def test_every_response_carries_the_security_headers(console_source: Path, served) -> None:  # noqa: F811
    doc = doc_ids(console_source)["志愿服务活动通知.pdf"]
    with client(served) as http:
        for path in ("/", f"/documents/{doc}", "/board", "/api/search?q=志愿", "/api/documents/999999",
                     f"/api/documents/{doc}/pages/1.png", "/static/console.js", f"/api/documents/{doc}/original"):
            r = http.get(path)
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp, path
            assert "script-src 'self'" in csp or "sandbox" in csp, path
            assert r.headers["x-content-type-options"] == "nosniff", path
            assert r.headers["x-frame-options"] == "DENY", path
        page = http.get("/").text
        assert "<script>" not in page and "onclick" not in page and "https://" not in page, \
            "no inline script, no inline handler, nothing from the network"
        original = http.get(f"/api/documents/{doc}/original")
        assert original.headers["content-disposition"].startswith("attachment")
        assert original.headers["content-type"] == "application/octet-stream"


def test_state_changes_need_the_csrf_token_and_a_local_origin(console_repo: Path, serve) -> None:  # noqa: F811
    served = serve(console_repo)
    doc = doc_ids(console_repo)["会议记录.pdf"]
    change = {"track": "civilized-unit", "criterion": "2.3", "year": 2023}
    with client(served) as http:
        assert http.patch(f"/api/documents/{doc}", json=change).status_code == 403
        assert http.patch(f"/api/documents/{doc}", json=change, headers={"X-CSRF-Token": "forged"}).status_code == 403
        assert http.post("/api/uploads").status_code == 403
        assert http.post("/api/bundles", json={"track": "civilized-unit", "year": 2023}).status_code == 403
        token = csrf_of(http)
        evil = http.patch(f"/api/documents/{doc}", json=change,
                          headers={"X-CSRF-Token": token, "Origin": "http://evil.example"})
        assert evil.status_code == 403
        assert http.get(f"/api/documents/{doc}").json()["criterion"] is None, "a refused request changes nothing"
        ok = http.patch(f"/api/documents/{doc}", json=change, headers={"X-CSRF-Token": token})
        assert ok.status_code == 200, ok.text
        assert (ok.json()["criterion"], ok.json()["tag_sources"]["criterion"]) == ("2.3", "manual")
        assert ok.json() == cli(console_repo, "show", str(doc))


def test_host_header_must_name_the_console(served) -> None:  # noqa: F811
    with client(served) as http:
        r = http.get("/api/search", params={"q": "志愿"}, headers={"Host": "evil.example"})
        assert r.status_code == 400
        assert http.get("/api/search", params={"q": "志愿"}).status_code == 200


def test_patch_refuses_bad_fields_and_changes_nothing(console_repo: Path, serve) -> None:  # noqa: F811
    served = serve(console_repo)
    doc = doc_ids(console_repo)["会议记录.pdf"]
    with client(served) as http:
        headers = {"X-CSRF-Token": csrf_of(http)}
        before = http.get(f"/api/documents/{doc}").json()
        for body, status in [(b"{not json", 400), (b"[1, 2]", 400), (b'{"colour": "red"}', 400),
                             (b'{"year": "2023"}', 400), (b'{"track": "no-such-track"}', 400),
                             (b'{"track": "civilized-unit", "criterion": "99.9"}', 400),
                             (b'{"link": ["civilized-unit"]}', 400), (b'{"force": "yes"}', 400),
                             (b'{"confirm": "yes"}', 400),
                             (b"x" * 70000, 413)]:
            r = http.patch(f"/api/documents/{doc}", content=body, headers={**headers, "Content-Type": "application/json"})
            assert r.status_code == status, (body[:40], r.status_code, r.text)
            assert "Traceback" not in r.text
        assert http.get(f"/api/documents/{doc}").json() == before


def test_metadata_edits_go_through_archive_edit_and_its_log(console_repo: Path, serve) -> None:  # noqa: F811
    """PATCH takes the fields ``edit`` takes: the record is ``show --json``'s, the change is in the
    edit log the page shows, a bad value is refused and changes nothing (tags in the same body neither)."""
    served = serve(console_repo)
    doc = doc_ids(console_repo)["会议记录.pdf"]
    with client(served) as http:
        headers = {"X-CSRF-Token": csrf_of(http)}
        before = http.get(f"/api/documents/{doc}").json()
        assert before["title"] == "办公室会议记录" and before["doc_number"] is None
        bad = http.patch(f"/api/documents/{doc}", json={"date": "2023-02-30", "track": "civilized-unit"},
                         headers=headers)
        assert bad.status_code == 400 and "date" in bad.json()["error"], bad.text
        assert http.get(f"/api/documents/{doc}").json() == before, "nothing changed, the tags neither"
        ok = http.patch(f"/api/documents/{doc}", json={"title": "二〇二三年第一次办公室会议记录", "doc_number": "办〔2023〕1号"},
                        headers=headers)
        assert ok.status_code == 200, ok.text
        assert (ok.json()["title"], ok.json()["doc_number"]) == ("二〇二三年第一次办公室会议记录", "办〔2023〕1号")
        assert ok.json() == cli(console_repo, "show", str(doc))
        history = http.get(f"/api/documents/{doc}/view").json()["history"]
        assert [(e["field"], e["action_label"], e["detail"]) for e in history if e["action"] == "edit"] == [
            ("title", "修改题名", "办公室会议记录 → 二〇二三年第一次办公室会议记录"),
            ("doc_number", "修改文号", "（空） → 办〔2023〕1号"),
            ("title_source", "修改题名来源", "content → manual")]  # typed by a person: transcribed, not composed
        assert http.get("/api/search", params={"q": "第一次办公室会议"}).json()["total"] == 1


def test_edits_cover_the_composed_title_flag_and_the_photo_fields(console_repo: Path, serve,  # noqa: F811
                                                                  tmp_path: Path) -> None:
    """Every field ``edit`` takes is editable here too: ``title_composed`` (自拟题名, listed in [ ])
    and a photo's 地点, 人物, 摄影者, 背景/事由; each change is in the edit log; a bad value is refused
    with the CLI's line and a Chinese one, and changes nothing; without the CSRF token nothing."""
    photo = add_photo(console_repo, tmp_path)
    served = serve(console_repo)
    doc = doc_ids(console_repo)["会议记录.pdf"]
    with client(served) as http:
        headers = {"X-CSRF-Token": csrf_of(http)}
        assert http.patch(f"/api/documents/{photo}", json={"place": "解放碑"}).status_code == 403
        ok = http.patch(f"/api/documents/{doc}", json={"title_composed": True}, headers=headers)
        assert ok.status_code == 200 and ok.json()["title_source"] == "composed", ok.text
        assert ok.json() == cli(console_repo, "show", str(doc))
        fields = {"place": "重庆市渝中区解放碑", "people": "张三（左一）、李四", "photographer": "王五",
                  "background": "学雷锋志愿服务月启动仪式"}
        ok = http.patch(f"/api/documents/{photo}", json=fields, headers=headers)
        assert ok.status_code == 200, ok.text
        assert {k: ok.json()[k] for k in fields} == fields and ok.json() == cli(console_repo, "show", str(photo))
        history = http.get(f"/api/documents/{photo}/view").json()["history"]
        assert [(e["field"], e["action_label"], e["detail"]) for e in history if e["action"] == "edit"] == [
            ("place", "修改地点", "（空） → 重庆市渝中区解放碑"), ("people", "修改人物", "（空） → 张三（左一）、李四"),
            ("photographer", "修改摄影者", "（空） → 王五"),
            ("background", "修改背景/事由", "（空） → 学雷锋志愿服务月启动仪式")]
        edits = cli(console_repo, "show", str(doc), "--history")["history"]
        assert [(e["field"], e["after"]) for e in edits] == [("title_source", "composed")]
        before = http.get(f"/api/documents/{photo}").json()
        for body, field, chinese in [({"date": "2023-13-40", "place": "别处"}, "date", "日期"),
                                     ({"secrecy": "绝密级", "people": "别人"}, "secrecy", "密级"),
                                     ({"retention": "D99"}, "retention", "保管期限"),
                                     ({"title_composed": "yes"}, "title_composed", "自拟题名"),
                                     ({"photographer": "x" * 1001}, "photographer", "过长")]:
            bad = http.patch(f"/api/documents/{photo}", json=body, headers=headers)
            assert bad.status_code == 400 and field in bad.json()["error"], bad.text
            message = bad.json()["message"]
            assert chinese in message and "\n" not in message and bad.json()["error"] in message, message
        assert http.get(f"/api/documents/{photo}").json() == before, "a refused edit changes nothing"


def test_numbered_document_needs_force_and_is_logged(console_repo: Path, serve) -> None:  # noqa: F811
    served = serve(console_repo)
    doc = doc_ids(console_repo)["志愿服务活动通知.pdf"]
    with client(served) as http:
        headers = {"X-CSRF-Token": csrf_of(http)}
        refused = http.patch(f"/api/documents/{doc}", json={"criterion": "2.3"}, headers=headers)
        assert refused.status_code == 409 and "--force" in refused.json()["error"]
        done = http.patch(f"/api/documents/{doc}", json={"criterion": "2.3", "force": True}, headers=headers)
        assert done.status_code == 200 and done.json()["criterion"] == "2.3"
        assert done.json()["archival_code"] == refused.json().get("archival_code", done.json()["archival_code"])
        history = http.get(f"/api/documents/{doc}/view").json()["history"]
        labels = {e["action"]: e["action_label"] for e in history}
        assert labels["retag-numbered"] == "已编号文件改分类" and labels["number"] == "编号"
        assert [e["detail"] for e in history if e["action"] == "edit" and e["field"] == "criterion"][-1].endswith("→ 2.3")


def _changing_routes(root: Path, workdir: Path) -> list[tuple[str, str]]:
    """(method, path) of every route of the console that is not a GET: the app's own route table."""
    from starlette.routing import Route

    from archive_kit.web.app import Settings, create_app
    from archive_kit.web.security import Access

    app = create_app(Settings(root, Access(csrf="x"), workdir=workdir))
    try:
        return [(method, route.path) for route in app.routes if isinstance(route, Route)
                for method in sorted((route.methods or set()) - {"GET", "HEAD"})]
    finally:
        app.state.console.close()


def test_read_only_refuses_every_state_change(console_repo: Path, serve, tmp_path: Path) -> None:  # noqa: F811
    served = serve(console_repo, "--read-only")
    doc = doc_ids(console_repo)["会议记录.pdf"]
    before = (console_repo / "catalogue.sqlite").read_bytes()
    changing = [(m, p.replace("{doc_id:int}", str(doc)).replace("{batch}", "b"))
                for m, p in _changing_routes(console_repo, tmp_path) if p not in ("/login", "/logout")]
    assert {("PATCH", f"/api/documents/{doc}"), ("POST", "/api/uploads"), ("POST", "/api/bundles")} <= set(changing)
    with client(served) as http:
        headers = {"X-CSRF-Token": csrf_of(http)}
        for method, path in changing:
            r = http.request(method, path, json={"track": "civilized-unit"}, headers=headers)
            assert r.status_code == 403 and "只读" in r.json()["error"], (method, path, r.text)
        for path in ("/", f"/documents/{doc}", "/board", "/outputs", "/api/search?q=会议",
                     f"/api/documents/{doc}/pages/1.png", "/api/board?track=文明单位",
                     "/api/listing?level=item&format=csv"):
            assert http.get(path).status_code == 200, path
        assert http.get("/upload").status_code == 403
    assert (console_repo / "catalogue.sqlite").read_bytes() == before


def test_non_loopback_bind_requires_the_token(console_source: Path, serve) -> None:  # noqa: F811
    served = serve(console_source, "--host", "0.0.0.0")
    assert served.token and len(served.token) >= 32
    with client(served, follow_redirects=False) as http:
        assert http.get("/api/search", params={"q": "志愿"}).status_code == 401
        assert http.get("/api/search", params={"q": "志愿"}, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert http.get("/api/search", params={"q": "志愿"},
                        headers={"Authorization": "Bearer " + served.token[:-1]}).status_code == 401
        page = http.get("/board")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert http.get("/login").status_code == 200 and http.get("/static/console.css").status_code == 200
        ok = http.get("/api/search", params={"q": "志愿"}, headers={"Authorization": f"Bearer {served.token}"})
        assert ok.status_code == 200 and ok.json()["total"] >= 1
        wrong = http.post("/login", content="token=guess&next=%2Fboard",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert wrong.status_code == 401 and "访问令牌不正确" in wrong.text and "archive_kit_session" not in wrong.headers.get("set-cookie", "")
        right = http.post("/login", content=f"token={served.token}&next=%2Fboard",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert right.status_code == 303 and right.headers["location"] == "/board"
        cookie = right.cookies["archive_kit_session"]
        assert served.token not in cookie, "the cookie holds no token"
        assert "httponly" in right.headers["set-cookie"].lower() and "samesite=strict" in right.headers["set-cookie"].lower()
        assert http.get("/board", cookies={"archive_kit_session": cookie}).status_code == 200
        doc = doc_ids(console_source)["会议记录.pdf"]
        no_csrf = http.patch(f"/api/documents/{doc}", json={"year": 2023}, cookies={"archive_kit_session": cookie})
        assert no_csrf.status_code == 403, "a cookie alone (what a browser sends by itself) changes nothing"


def test_loopback_needs_no_token(served) -> None:  # noqa: F811
    assert served.token is None
    with client(served) as http:
        assert http.get("/api/search", params={"q": "志愿"}).status_code == 200
        assert http.get("/login", follow_redirects=False).status_code == 303


def test_marks_sit_on_the_words_of_text_pdfs_scans_and_photos(console_source: Path, served) -> None:  # noqa: F811
    """Each mark's box, cut out of the served page image and read again by OCR, holds the term."""
    ids = doc_ids(console_source)
    with client(served) as http:
        for name, term in [("志愿服务活动通知.pdf", "志愿服务"), ("学雷锋通知扫描.png", "文明交通劝导"),
                           ("三会一课计划扫描.pdf", "三会一课")]:
            view = http.get(f"/api/documents/{ids[name]}/pages", params={"q": term}).json()
            assert view["marks"] >= 1, (name, view)
            first = view["hits"][0]
            png = http.get(f"/api/documents/{ids[name]}/pages/{first['page']}.png")
            assert png.headers["content-type"] == "image/png"
            seen = read_back(png.content, first["marks"][0]["box"])
            assert term in seen and len(seen) <= len(term) + 2, (name, seen)  # the term, not its whole line
            assert http.get(f"/api/documents/{ids[name]}/pages", params={"q": "不存在的词语"}).json()["marks"] == 0


def test_page_images_are_cached_by_content_hash_and_rebuildable(console_repo: Path, serve) -> None:  # noqa: F811
    served = serve(console_repo)
    ids = doc_ids(console_repo)
    with Archive.open(console_repo) as archive:
        sha = archive.get(ids["志愿服务活动通知.pdf"]).sha256
    cached = console_repo / "derived" / "pages" / sha[:2] / f"{sha}.p2.v1.png"
    with client(served) as http:
        first = http.get(f"/api/documents/{ids['志愿服务活动通知.pdf']}/pages/2.png").content
        assert cached.read_bytes() == first
        import shutil

        shutil.rmtree(console_repo / "derived" / "pages")
        assert http.get(f"/api/documents/{ids['志愿服务活动通知.pdf']}/pages/2.png").content == first
        assert cached.is_file()


def test_board_shows_owners_due_dates_and_overdue_gaps(console_repo: Path, serve) -> None:  # noqa: F811
    """issue 13: the plan's 责任分解 reaches the board — owner and due date per criterion (from
    ``assign``), and per year the missing periods and whether the gap is past its due date."""
    cli(console_repo, "assign", "文明单位:1.4", "--owner", "宣传科 李四", "--due", "2023-06-30")
    served = serve(console_repo)
    with client(served) as http:
        board = http.get("/api/board", params={"track": "文明单位"}).json()
    coverage = cli(console_repo, "coverage", "--track", "文明单位", "--year", "2023")
    row = next(r for r in board["criteria"] if r["code"] == "1.4")
    assert (row["owner"], row["due"]) == ("宣传科 李四", "2023-06-30")
    expected = next(r for r in coverage["criteria"] if r["code"] == "1.4")
    cell = row["cells"]["2023"]
    assert cell["overdue"] is expected["overdue"] and cell["missing_periods"] == expected["missing_periods"]
    assert cell["overdue"] is (expected["missing"] is True)   # due in 2023, long past: a gap there is overdue
    others = [r for r in board["criteria"] if r["code"] != "1.4" and not r["code"].startswith("1.4.")]
    assert all(r["owner"] is None for r in others)


def test_listing_download_is_the_cli_listing(console_source: Path, served, tmp_path: Path) -> None:  # noqa: F811
    with client(served) as http:
        r = http.get("/api/listing", params={"level": "item", "format": "csv", "year": 2023})
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        assert "filename*=UTF-8''" in r.headers["content-disposition"]
        assert str(console_source) not in r.headers["content-disposition"]
        out = tmp_path / "cli.csv"
        proc = __import__("subprocess").run(
            [__import__("sys").executable, "-m", "archive_kit", "--root", str(console_source), "listing", "--format",
             "csv", "--out", str(out), "--year", "2023"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert r.content == out.read_bytes()
        assert "J001-WS·2023-D10-WM-0001" in r.content.decode("utf-8-sig")
        for level, fmt in [("box", "xlsx"), ("spine", "pdf"), ("remarks", "docx"), ("item", "pdf")]:
            assert http.get("/api/listing", params={"level": level, "format": fmt}).status_code == 200, (level, fmt)
        nothing = http.get("/api/listing", params={"level": "item", "format": "csv", "year": 1999})
        assert nothing.status_code == 400 and "no numbered documents" in nothing.json()["error"]
    assert not private_files(served.tmpdir / ""), "listings leave nothing behind in the work folder"


def test_bundle_job_reports_progress_and_gives_the_zip(console_repo: Path, serve) -> None:  # noqa: F811
    served = serve(console_repo)
    with client(served) as http:
        job = http.post("/api/bundles", json={"track": "文明单位", "year": 2023},
                        headers={"X-CSRF-Token": csrf_of(http)})
        assert job.status_code == 202, job.text
        seen = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            state = http.get(f"/api/jobs/{job.json()['id']}").json()
            seen.append((state["done"], state["total"]))
            if state["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert state["state"] == "done", state
        assert seen == sorted(seen) and state["done"] == state["total"] > 0
        result = state["result"]
        assert result["documents"] == 2 and "/" not in result["path"] and "/" not in result["zip"]
        z = http.get(state["download"])
        assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
        names = zipfile.ZipFile(io.BytesIO(z.content)).namelist()
        assert any(n.endswith("/bundle.pdf") for n in names) and any("/data/originals/" in n for n in names)
        bad = http.post("/api/bundles", json={"track": "文明单位", "year": "2023"}, headers={"X-CSRF-Token": csrf_of(http)})
        assert bad.status_code == 400


def _upload(http, batch: str, name: str, data: bytes, headers: dict) -> object:
    from urllib.parse import quote

    return http.post(f"/api/uploads/{batch}/files", content=data,
                     headers={**headers, "X-File-Name": quote(name), "Content-Type": "application/octet-stream"})


def _ingest(http, batch: str, headers: dict, **options) -> dict:
    job = http.post(f"/api/uploads/{batch}/ingest", json=options, headers=headers)
    assert job.status_code == 202, job.text
    for _ in range(3000):
        state = http.get(f"/api/jobs/{job.json()['id']}").json()
        if state["state"] in ("done", "failed"):
            return state
        time.sleep(0.1)
    raise AssertionError("ingest job did not finish")


def test_oversized_upload_is_413_and_changes_nothing(console_repo: Path, serve, tmp_path: Path) -> None:  # noqa: F811
    served = serve(console_repo, "--max-upload-mb", "1")
    count = len(doc_ids(console_repo))
    big = make_pdf(tmp_path / "big.pdf", "大文件", ["填充"]).read_bytes() + b"%" + b"0" * (1024 * 1024 + 10)
    with client(served) as http:
        headers = {"X-CSRF-Token": csrf_of(http)}
        batch = http.post("/api/uploads", headers=headers).json()["batch"]
        declared = _upload(http, batch, "大文件.pdf", big, headers)
        assert declared.status_code == 413 and declared.json()["limit"] == 1024 * 1024

        def stream():  # no Content-Length: counted while it arrives
            for i in range(0, len(big), 65536):
                yield big[i:i + 65536]

        from urllib.parse import quote

        streamed = http.post(f"/api/uploads/{batch}/files", content=stream(),
                             headers={**headers, "X-File-Name": quote("大文件.pdf")})
        assert streamed.status_code == 413
        assert not [p for p in private_files(served.tmpdir) if p.suffix == ".pdf"], "nothing of it is kept"
        nothing = http.post(f"/api/uploads/{batch}/ingest", json={}, headers=headers)
        assert nothing.status_code == 400 and "no files" in nothing.json()["error"]
    assert len(doc_ids(console_repo)) == count


def test_uploaded_names_are_data_never_paths(console_repo: Path, serve, tmp_path: Path) -> None:  # noqa: F811
    served = serve(console_repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    names = ["../../outside/逃逸.pdf", "..\\..\\outside\\反斜杠.pdf", "/etc/passwd", "C:\\Windows\\win.ini"]
    files = [make_pdf(tmp_path / f"src{i}.pdf", f"路径测试文件{i}号", [f"第{i}个上传文件的正文。"]).read_bytes()
             for i in range(len(names))]
    with client(served) as http:
        headers = {"X-CSRF-Token": csrf_of(http)}
        batch = http.post("/api/uploads", headers=headers).json()["batch"]
        for name, data in zip(names, files):
            assert _upload(http, batch, name, data, headers).status_code == 201
        saved = sorted(p.name for p in private_files(served.tmpdir))
        assert saved == ["0001.pdf", "0002.pdf", "0003", "0004.ini"], saved
        state = _ingest(http, batch, headers)
    assert not any(outside.iterdir()) and not Path("/etc/逃逸.pdf").exists()
    assert state["state"] == "done", state
    report = state["result"]
    assert sorted(d["original_name"] for d in report["added"]) == ["passwd", "win.ini", "反斜杠.pdf", "逃逸.pdf"]
    assert all(d["source_path"] == d["original_name"] for d in report["added"])
    assert str(served.tmpdir) not in str(report)
    assert not private_files(served.tmpdir), "the batch is removed after its ingest"


def test_upload_ingests_good_files_and_reports_broken_ones(console_repo: Path, serve, tmp_path: Path) -> None:  # noqa: F811
    served = serve(console_repo)
    good = make_pdf(tmp_path / "good.pdf", "关于表彰优秀志愿者的决定", ["表彰一批优秀志愿者。"]).read_bytes()
    with client(served) as http:
        headers = {"X-CSRF-Token": csrf_of(http)}
        batch = http.post("/api/uploads", headers=headers).json()["batch"]
        for name, data in [("表彰决定.pdf", good), ("损坏.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50),
                           ("伪装.docx", "这不是Word文件".encode() * 40), ("空文件.pdf", b"")]:
            assert _upload(http, batch, name, data, headers).status_code == 201
        state = _ingest(http, batch, headers, track="文明单位", year=2023)
    report = state["result"]
    assert [d["original_name"] for d in report["added"]] == ["表彰决定.pdf"]
    assert report["added"][0]["track"] == "civilized-unit" and report["added"][0]["tag_sources"]["track"] == "cli"
    failed = {f["path"]: f["error"] for f in report["failed"]}
    assert set(failed) == {"损坏.pdf", "伪装.docx", "空文件.pdf"}, failed
    assert "empty" in failed["空文件.pdf"] and "Word" in failed["伪装.docx"]
    # the people reading it get Chinese, with the library's line kept after it
    messages = {f["path"]: f["message"] for f in report["failed"]}
    assert messages["空文件.pdf"] == f"文件为空（0 字节）（{failed['空文件.pdf']}）", messages
    assert messages["伪装.docx"].startswith("文件内容不是 Word 文档") and failed["伪装.docx"] in messages["伪装.docx"]
    assert messages["损坏.pdf"].startswith("PDF 文件已损坏") and failed["损坏.pdf"] in messages["损坏.pdf"]
    assert str(served.tmpdir) not in str(report)
    with client(served) as http:
        assert http.get("/api/search", params={"q": "优秀志愿者"}).json()["total"] == 1


def test_serve_opens_the_browser_when_asked(console_source: Path, serve, tmp_path: Path) -> None:  # noqa: F811
    opened = tmp_path / "opened.txt"
    served = serve(console_source, "--open", env={"BROWSER": f"/bin/sh -c 'echo \"$0\" > {opened}' %s"})
    for _ in range(100):
        if opened.exists() and opened.read_text().strip():
            break
        time.sleep(0.1)
    assert opened.read_text().strip() == served.url


def test_serve_refuses_a_missing_repository_and_a_busy_port(console_source: Path, served, tmp_path: Path) -> None:  # noqa: F811
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "archive_kit", *args], capture_output=True, text=True,
                              timeout=60)

    missing = run("--root", str(tmp_path / "nowhere"), "serve", "--port", "0")
    assert missing.returncode == 3 and "no archive-kit repository" in missing.stderr
    assert "Traceback" not in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
    port = served.base.rsplit(":", 1)[1]
    busy = run("--root", str(console_source), "serve", "--port", port)
    assert busy.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    assert "Traceback" not in busy.stderr


def _start_raw_upload(served, name: str, declared: int, body: bytes = b"") -> tuple[Any, str, str]:
    """A new upload batch, and an upload into it begun on a raw socket (its headers declaring
    ``declared`` bytes, then ``body``) and left unfinished: the socket, the CSRF token, the batch."""
    import socket

    with client(served) as http:
        token = csrf_of(http)
        batch = http.post("/api/uploads", headers={"X-CSRF-Token": token}).json()["batch"]
    host, port = served.base.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(f"POST /api/uploads/{batch}/files HTTP/1.1\r\nHost: {host}:{port}\r\nX-CSRF-Token: {token}\r\n"
                 f"X-File-Name: {name}\r\nContent-Length: {declared}\r\n\r\n".encode() + body)
    return sock, token, batch


def test_an_upload_declared_too_large_is_refused_before_its_body_is_read(console_repo: Path, serve) -> None:  # noqa: F811
    served = serve(console_repo, "--max-upload-mb", "1")
    sock, _, _ = _start_raw_upload(served, "big.pdf", 2_000_000)  # and no body at all
    with sock:
        answer = sock.recv(4096).decode("utf-8", "replace")
    assert answer.startswith("HTTP/1.1 413"), answer


def test_an_upload_cut_off_midway_is_dropped_quietly(console_repo: Path, serve) -> None:  # noqa: F811
    """A browser closed during an upload: the partial file is removed and the server logs no traceback
    (the ``serve`` fixture checks its stderr when it stops it)."""
    served = serve(console_repo)
    sock, token, batch = _start_raw_upload(served, "half.pdf", 100_000, b"%PDF-1.4\n" * 1000)
    with sock:
        time.sleep(0.5)
    for _ in range(50):
        if not [p for p in private_files(served.tmpdir) if p.name == "0001.pdf"]:
            break
        time.sleep(0.1)
    assert not [p for p in private_files(served.tmpdir) if p.name == "0001.pdf"]
    with client(served) as http:
        ingest = http.post(f"/api/uploads/{batch}/ingest", headers={"X-CSRF-Token": token}, json={})
    assert ingest.status_code == 400 and "no files" in ingest.json()["error"]


def test_library_errors_reach_the_browser_in_chinese_and_the_cli_in_english(console_source: Path, served) -> None:  # noqa: F811
    """The console adds a Chinese ``message`` (and shows it on its error page); ``error`` stays
    the library's line, and the command line's message is not changed."""
    import subprocess
    import sys

    with client(served) as http:
        api = http.get("/api/documents/999999")
        page = http.get("/documents/999999", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.json()["error"] == "no document with id 999999"
    assert api.json()["message"] == "没有此编号的文件（no document with id 999999）"
    assert page.status_code == 404 and "没有此编号的文件" in page.text
    shown = subprocess.run([sys.executable, "-m", "archive_kit", "--root", str(console_source), "show", "999999"],
                           capture_output=True, text=True, timeout=120)
    assert shown.returncode == 2 and "no document with id 999999" in shown.stderr and "没有此编号" not in shown.stderr
