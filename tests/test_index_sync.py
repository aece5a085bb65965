"""The index is derived and always catches up with the catalogue, the source of truth."""
from __future__ import annotations

from pathlib import Path

from archive_kit.archive import Archive
from bench.gen_docs import NOTICE_BODY, make_pdf
from tests.conftest import cli_json


def test_a_catalogue_ahead_of_the_index_is_caught_up_by_the_next_command(repo: Archive, tmp_path: Path) -> None:
    """As if killed between the catalogue commit and the index write: the queue survives, search catches up."""
    p = make_pdf(tmp_path / "a.pdf", "关于开展道德讲堂活动的通知", NOTICE_BODY)
    doc = repo.ingest([p], track="civilized-unit", criterion="1.3", year=2023, ocr=False).added[0]
    with repo.catalogue.transaction():  # a tag change committed to the catalogue only
        repo.catalogue.update_document(doc.id, {"year": 2024, "year_source": "manual"})
    assert repo.catalogue.pending_index(), "the change is queued for the index"
    rc, data = cli_json("search", "道德讲堂", "--year", "2024", root=repo.root)
    assert rc == 0 and [h["id"] for h in data["hits"]] == [doc.id]
    assert not repo.catalogue.pending_index(), "the queue is drained once the index has it"
    rc, data = cli_json("search", "道德讲堂", "--year", "2023", root=repo.root)
    assert data["total"] == 0


def test_reindex_gives_the_same_hits_as_incremental_indexing(repo: Archive, tmp_path: Path) -> None:
    titles = ["关于开展道德讲堂活动的通知", "职工之家建设工作总结", "三会一课制度执行情况", "学雷锋志愿服务月方案"]
    for i, t in enumerate(titles):
        make_pdf(tmp_path / f"{i}.pdf", t, NOTICE_BODY[i:] + [f"第{i}号附件：{t}"])
    repo.ingest([tmp_path], year=2023, ocr=False)
    queries = ["道德讲堂", "职工之家", "会一", "志愿服务", "附件", "〔2023〕", "通知 活动", "\"工作总结\""]
    before = {q: [(h.id, h.snippet) for h in repo.search(q, limit=50).hits] for q in queries}
    totals = {q: repo.search(q).total for q in queries}
    assert repo.reindex() == len(titles)
    after = {q: [(h.id, h.snippet) for h in repo.search(q, limit=50).hits] for q in queries}
    assert after == before
    assert {q: repo.search(q).total for q in queries} == totals
    assert totals["道德讲堂"] == 1 and totals["附件"] == 4


def test_a_missing_index_is_rebuilt_before_a_search_finds_nothing(repo: Archive, tmp_path: Path) -> None:
    import shutil

    p = make_pdf(tmp_path / "a.pdf", "关于开展道德讲堂活动的通知", NOTICE_BODY)
    repo.ingest([p], ocr=False)
    repo.close()
    shutil.rmtree(repo.root / "index")
    rc, data = cli_json("search", "道德讲堂", root=repo.root)
    assert rc == 0 and data["total"] == 1
    rc, data = cli_json("verify", root=repo.root)
    assert data["ok"], data
