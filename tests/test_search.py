"""Search index behaviour on a real Whoosh index on disk."""
from __future__ import annotations

import io
import multiprocessing as mp
import pickle
import struct
from pathlib import Path

import pytest

from archive_kit.errors import LockTimeout, RepositoryError, UsageError
from archive_kit.search import IndexDoc, highlight_terminal, open_index, parse_query


def doc(i: int, text: str, title: str = "无题", file_name: str = "a.pdf", year: int | None = 2023,
        track: str = "职工之家", criteria: tuple[str, ...] = ()) -> IndexDoc:
    return IndexDoc(i, f"{i:064x}", title, file_name, text, track, None, year, "pdf", None, None,
                    None, (track,), criteria)


DOCS = [
    doc(1, "关于创建职工之家的通知。渝工发〔2023〕35号。", year=2023,
        criteria=("职工之家:1.2", "职工之家:1", "1.2", "1")),
    doc(2, "文明单位创建办要求：推行PDCA循环管理。", track="文明单位", year=2022,
        criteria=("文明单位:2.1", "文明单位:2", "2.1", "2")),
    doc(3, "职工书屋建设。\n劳动竞赛在职工之\n家举行。", year=2021),
    doc(4, "年度总结", title="模范职工小家申报材料", year=2020),
    doc(5, "附件", file_name="渝工办〔2019〕7号批复.pdf", year=2019),
    doc(6, "繁體文件：職工之家建設", year=2018),
]


@pytest.fixture()
def ix(tmp_path: Path):  # type: ignore[no-untyped-def]
    index = open_index(tmp_path / "index", lock_timeout=5)
    index.add(DOCS)
    yield index
    index.close()


def ids(res) -> set[int]:  # type: ignore[no-untyped-def]
    return {h.id for h in res.hits}


def test_parse_query_splits_terms_and_keeps_phrases() -> None:
    terms = parse_query('職工之家  "Annual  Report" ３５号')
    assert [t.folded for t in terms] == ["职工之家", "annual report", "35号"]
    assert terms[1].phrase
    with pytest.raises(UsageError):
        parse_query("  \u3000 ")


def test_chinese_term_matches_across_word_boundaries_and_line_breaks(ix) -> None:  # type: ignore[no-untyped-def]
    assert ids(ix.search("职工之家")) == {1, 3, 6}
    assert ids(ix.search("建职工")) == {1}
    assert ids(ix.search("创建办")) == {2}
    assert ids(ix.search("之家举行")) == {3}


def test_single_character_and_and_semantics(ix) -> None:  # type: ignore[no-untyped-def]
    assert ids(ix.search("屋")) == {3}
    assert ids(ix.search("职工 竞赛")) == {3}
    assert ids(ix.search("职工 PDCA")) == set()
    assert ids(ix.search('"PDCA循环"')) == {2}


def test_document_numbers_years_and_latin(ix) -> None:  # type: ignore[no-untyped-def]
    assert ids(ix.search("〔2023〕35号")) == {1}
    assert ids(ix.search("35号")) == {1}
    assert ids(ix.search("2023")) == {1}
    assert ids(ix.search("pdca循环")) == {2}
    assert ids(ix.search("ＰＤＣＡ")) == {2}


def test_traditional_and_simplified_find_each_other(ix) -> None:  # type: ignore[no-untyped-def]
    assert ids(ix.search("職工之家")) == {1, 3, 6}
    assert 6 in ids(ix.search("职工之家建设"))


def test_title_and_file_name_only_matches(ix) -> None:  # type: ignore[no-untyped-def]
    res = ix.search("模范职工小家")
    assert ids(res) == {4} and "【模范职工小家】" in res.hits[0].snippet
    res = ix.search("〔2019〕7号")
    assert ids(res) == {5} and "【〔2019〕7号】" in res.hits[0].snippet


def test_snippet_marks_matches_and_terminal_highlight(ix) -> None:  # type: ignore[no-untyped-def]
    res = ix.search("职工之家")
    snippets = {h.id: h.snippet for h in res.hits}
    assert "【职工之家】" in snippets[1]
    assert "【職工之家】" in snippets[6]
    assert "【职工之 家】" in snippets[3]
    assert "\x1b[" in highlight_terminal(snippets[1]) and "【" not in highlight_terminal(snippets[1])


def test_filters_by_year_track_and_criterion_keys(ix) -> None:  # type: ignore[no-untyped-def]
    assert ids(ix.search("职工", year=2021)) == {3}
    assert ids(ix.search("创建", track="文明单位")) == {2}
    assert ids(ix.search("创建", criterion="职工之家:1")) == {1}
    assert ids(ix.search("创建", criterion="1.2")) == {1}
    assert ids(ix.search("创建", criterion="9.9")) == set()


def test_total_counts_all_matches_while_hits_are_limited(ix) -> None:  # type: ignore[no-untyped-def]
    res = ix.search("职工", limit=2)
    assert res.total == 4 and len(res.hits) == 2


def test_whole_word_matches_rank_first(tmp_path: Path) -> None:
    index = open_index(tmp_path / "ix")
    index.add([doc(1, "国家庭院"), doc(2, "家庭教育"), doc(3, "幸福家庭")])
    res = index.search("家庭")
    assert res.total == 3 and res.hits[-1].id == 1
    index.close()


def test_add_replaces_by_id_delete_and_ids(ix) -> None:  # type: ignore[no-untyped-def]
    assert ix.ids() == {1, 2, 3, 4, 5, 6}
    ix.add([doc(1, "内容已更换")])
    assert ids(ix.search("职工之家")) == {3, 6}
    assert ids(ix.search("已更换")) == {1}
    ix.delete([3, 99])
    assert ix.ids() == {1, 2, 4, 5, 6}
    assert ids(ix.search("职工之家")) == {6}


def test_rebuild_gives_the_same_hits_as_incremental_add(ix, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = {q: (ix.search(q).total, ids(ix.search(q))) for q in ["职工", "家", "〔2023〕35号", "職工之家"]}
    ix.rebuild(DOCS)
    after = {q: (ix.search(q).total, ids(ix.search(q))) for q in before}
    assert before == after and ix.ids() == {1, 2, 3, 4, 5, 6}
    other = open_index(tmp_path / "index")  # a second handle sees the swapped index too
    assert ids(other.search("职工之家")) == {1, 3, 6}
    other.close()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".index.rebuild")]


def _writer(path: str, start: int) -> None:
    index = open_index(Path(path), lock_timeout=60)
    for k in range(5):
        index.add([doc(start + k, f"并发写入测试{start + k}号")])
    index.close()


def test_two_processes_writing_at_once_both_succeed(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    open_index(path).close()
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), s)) for s in (100, 200)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    index = open_index(path)
    assert index.ids() == {*range(100, 105), *range(200, 205)}
    assert index.search("并发写入").total == 10
    index.close()


def test_lock_held_too_long_raises_lock_timeout(tmp_path: Path) -> None:
    index = open_index(tmp_path / "ix", lock_timeout=0.3)
    held = index._ix.writer()
    try:
        with pytest.raises(LockTimeout, match="another archive-kit process"):
            index.add([doc(1, "锁")])
    finally:
        held.cancel()
    index.add([doc(1, "锁")])
    assert index.ids() == {1}
    index.close()


def _hold_lock_then_die(path: str) -> None:
    import os
    import signal
    index = open_index(Path(path))
    index._ix.writer()
    os.kill(os.getpid(), signal.SIGKILL)


def test_lock_of_a_killed_writer_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    open_index(path).close()
    p = mp.get_context("spawn").Process(target=_hold_lock_then_die, args=(str(path),))
    p.start()
    p.join(60)
    index = open_index(path, lock_timeout=2)
    index.add([doc(1, "写入")])
    assert index.ids() == {1}
    index.close()


def test_corrupt_index_raises_repository_error(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    index = open_index(path)
    index.add(DOCS)
    index.close()
    for f in path.iterdir():
        if f.suffix == ".toc":
            f.write_bytes(b"garbage")
    with pytest.raises(RepositoryError, match="archive-kit reindex"):
        open_index(path)


def test_rebuild_in_worker_chunks_replaces_repeated_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive_kit.search import whoosh_index
    monkeypatch.setattr(whoosh_index, "CHUNK_DOCS", 2)      # 4 chunks: built by the worker pool
    index = open_index(tmp_path / "ix")
    again = [doc(1, "内容已更换"), doc(3, "第三份改过")]        # id 1 in a later chunk, id 3 in its own
    index.rebuild([*DOCS[:3], again[1], *DOCS[3:], again[0]])
    assert index.ids() == {1, 2, 3, 4, 5, 6}
    assert ids(index.search("职工之家")) == {6}
    assert ids(index.search("已更换")) == {1} and ids(index.search("改过")) == {3}
    assert index.search("家").total == len({d.id for d in DOCS if "家" in d.text + d.title} - {1, 3})
    index.add([doc(7, "职工之家")])
    index.delete([6])
    assert ids(index.search("职工之家")) == {7}
    index.close()


def _compound_parts(data: bytes, segment_id: str) -> tuple[dict[str, bytes], dict]:
    """Split a compound ``.seg`` file into its sub-files, checking that every byte is accounted for.

    The container is: an 8-byte directory position and a 4-byte directory length (big-endian), the
    sub-files one after another, then the pickled directory ({name: offset, length, modified}) and
    the pickled options. Returns ({sub-file suffix: bytes}, {"options": …, "dir": [(suffix, length)]})."""
    dirpos, dirlen = struct.unpack("!qi", data[:12])
    assert dirpos + dirlen == len(data), "bytes after the compound directory"
    tail = io.BytesIO(data[dirpos:])
    directory, options = pickle.load(tail), pickle.load(tail)
    assert tail.tell() == dirlen, "bytes between the directory and the options"
    parts: dict[str, bytes] = {}
    pos = 12
    for name, entry in sorted(directory.items(), key=lambda kv: kv[1]["offset"]):
        assert entry["offset"] == pos, f"{name}: a gap or overlap in the compound file"
        assert name.startswith(segment_id + "."), name
        parts[name[len(segment_id):]] = data[pos:pos + entry["length"]]
        pos += entry["length"]
    assert pos == dirpos, "bytes between the last sub-file and the directory"
    return parts, {"options": options, "dir": sorted((n[len(segment_id):], e["length"]) for n, e in directory.items())}


def _segment_files(folder: Path) -> list:  # type: ignore[type-arg]
    """Everything the index in ``folder`` holds, per segment in TOC order, for a byte comparison:
    each segment file (compound ``.seg`` unpacked into its sub-files) by suffix, with its bytes,
    and the TOC's record of the segment (document count, deletions, compound or not)."""
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    toc = TOC.read(FileStorage(str(folder)), "MAIN")
    out = []
    for seg in toc.segments:
        sid = seg.segment_id()
        files: dict[str, bytes] = {}
        container = None
        for f in sorted(folder.glob(sid + ".*")):
            if f.suffix == ".seg":
                files, container = _compound_parts(f.read_bytes(), sid)
            else:
                files[f.name[len(sid):]] = f.read_bytes()
        assert files, f"no files for segment {sid}"
        out.append({"class": type(seg).__name__, "docs": seg.doc_count_all(), "deleted": sorted(seg.deleted_docs()),
                    "compound": seg.compound, "container": container, "files": files})
    return out


def test_array_writer_writes_what_whoosh_segment_writer_writes(tmp_path: Path) -> None:
    """ArrayPostingWriter's segments are byte for byte those of Whoosh's own SegmentWriter.

    After each of three commits (a first segment with a deletion, a second one kept apart with
    ``merge=False`` holding multi-block terms, then ``optimize=True`` merging everything), every
    file of every segment is compared: each sub-file of a compound ``.seg`` (terms, postings,
    every column (``content`` included), stored fields, lengths) byte for byte, and the container
    byte for byte except its pickled directory. The directory may differ only where Whoosh itself
    writes something nondeterministic: the sub-file names carry the segment's random id, each
    entry records the sub-file's modification time, and the sub-files are packed in the order
    ``os.listdir`` returns them, which for randomly named files differs from one index to the other
    (so offsets differ; each sub-file's length and bytes must not). The TOC is compared by what it
    records of each segment, as it is a pickle holding the same random segment ids."""
    from whoosh import index as windex
    from whoosh.writing import SegmentWriter

    from archive_kit.search.analysis import make_schema
    from archive_kit.search.whoosh_compat import ArrayPostingWriter
    from archive_kit.search.whoosh_index import _fields

    many = [doc(100 + i, "职工之家" * (i % 3 + 1) + f"第{i}号" + "文明单位" * 40) for i in range(300)]
    commits = ((DOCS, {}), (many, {"merge": False}), (DOCS[:2], {"optimize": True}))
    snapshots: dict[str, list] = {}  # type: ignore[type-arg]
    for cls in (SegmentWriter, ArrayPostingWriter):
        folder = tmp_path / cls.__name__
        folder.mkdir()
        ix = windex.create_in(str(folder), make_schema(), indexname="MAIN")
        for batch, kwargs in commits:
            w = cls(ix)
            w.delete_by_term("id", "2")
            for d in batch:
                w.add_document(**_fields(d))
            w.commit(**kwargs)
            snapshots.setdefault(cls.__name__, []).append(_segment_files(folder))
        ix.close()
    ours, whoosh = snapshots["ArrayPostingWriter"], snapshots["SegmentWriter"]
    assert [len(s) for s in whoosh] == [1, 2, 1]       # the commits made what the docstring says
    assert {".trm", ".pst", ".content.col", "._content_len.col", "._stored.col"} <= set(whoosh[1][1]["files"]), (
        sorted(whoosh[1][1]["files"]))
    for n, (mine, theirs) in enumerate(zip(ours, whoosh), 1):
        assert len(mine) == len(theirs), f"commit {n}: segment count"
        for k, (a, b) in enumerate(zip(mine, theirs)):
            assert sorted(a["files"]) == sorted(b["files"]), f"commit {n}, segment {k}: file names"
            for suffix in b["files"]:
                assert a["files"][suffix] == b["files"][suffix], f"commit {n}, segment {k}: {suffix} differs"
            assert a == b, f"commit {n}, segment {k}: TOC record or container directory differs"


def test_whoosh_index_implements_the_search_protocol_with_its_signatures() -> None:
    """The rest of the code types the index as ``SearchIndex``; the engine must really be one."""
    import inspect

    from archive_kit.search import SearchIndex, WhooshIndex

    names = [n for n, v in vars(SearchIndex).items() if inspect.isfunction(v) and not n.startswith("_")]
    assert {"add", "delete", "search", "count", "ids", "check", "rebuild", "close"} <= set(names)
    for name in names:
        want = inspect.signature(getattr(SearchIndex, name)).parameters
        got = inspect.signature(getattr(WhooshIndex, name)).parameters
        assert [(p.name, p.kind, p.default) for p in got.values()] == \
            [(p.name, p.kind, p.default) for p in want.values()], name


def test_whoosh_internals_are_used_in_one_module_only() -> None:
    """Only whoosh_compat.py imports Whoosh's codec, writer or storage internals or touches the
    private names it uses; elsewhere only Whoosh's public modules, and outside the search package
    no Whoosh at all and no ``WhooshIndex``."""
    import ast

    package = Path(__file__).resolve().parent.parent / "archive_kit"
    public = {"whoosh", "whoosh.index", "whoosh.fields", "whoosh.formats", "whoosh.columns"}
    internal = {"TOC", "clean_files", "SegmentWriter", "W3LeafMatcher", "_finalize_segment", "_close_segment",
                "_read_ids", "_read_weights", "_next_block", "_postwriter", "_blocklimit", "_write_block",
                "deleted_docs_set", "WRITELOCK", "_lk", "perdocwriter", "fieldwriter"}
    used_by_compat: set[str] = set()
    for path in package.rglob("*.py"):
        rel = path.relative_to(package).as_posix()
        tree = ast.parse(path.read_text("utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
                   and n.module.split(".")[0] == "whoosh"}
        modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
                    if a.name.split(".")[0] == "whoosh"}
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
        names |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.keyword) and n.arg}
        names |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        if rel == "search/whoosh_compat.py":
            used_by_compat = names | modules
            continue
        if not rel.startswith("search/"):
            assert not modules and "WhooshIndex" not in names, rel
        assert modules <= public, (rel, modules - public)
        assert not names & internal, (rel, names & internal)
    assert internal | {"whoosh.codec.whoosh3", "whoosh.writing"} <= used_by_compat   # the list is not stale


def test_an_unknown_whoosh_version_is_one_clear_error(tmp_path: Path) -> None:
    """A Whoosh whose internals were never tested stops a search with one line naming both versions."""
    import os
    import subprocess
    import sys

    from archive_kit.search.whoosh_compat import TESTED, check_version

    for known in TESTED:
        check_version((*known, 9)[:3])
    for unknown in ((2, 7, 4), (3, 55, 0), (5, 5, 0), (6, 0, 0)):
        with pytest.raises(RepositoryError, match=r"Whoosh " + r"\.".join(map(str, unknown))):
            check_version(unknown)
    root = tmp_path / "repo"
    from tests.conftest import run_cli

    run_cli("init", "--fonds", "J001", "--unit", "测试单位", root=root, check=True)
    script = ("import runpy, sys, whoosh; whoosh.__version__ = (9, 1, 0); "
              f"sys.argv = ['archive-kit', '--root', {str(root)!r}, 'search', '职工']; "
              "runpy.run_module('archive_kit', run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Whoosh 9.1.0" in lines[0] and "whoosh3" in lines[0], proc.stderr


def test_check_reads_the_index_back_and_finds_a_document_indexed_twice(tmp_path: Path) -> None:
    from whoosh import index as windex

    from archive_kit.search.whoosh_index import _fields

    path = tmp_path / "ix"
    index = open_index(path)
    index.add(DOCS)
    assert index.check() == {d.id for d in DOCS} == index.ids()
    index.close()
    raw = windex.open_dir(str(path), indexname="MAIN")
    with raw.writer() as w:                      # as a writer that forgot to delete the old copy would
        w.add_document(**_fields(DOCS[2]))
    raw.close()
    index = open_index(path)
    with pytest.raises(RepositoryError, match=r"document\(s\) 3 indexed twice.*archive-kit reindex"):
        index.check()
    index.close()


def test_search_json_is_the_contract_shape(repo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`search --json`: query, total, hits with the contract's keys in its order, filled from the catalogue."""
    import json

    from bench.gen_docs import NOTICE_BODY, make_pdf
    from tests.conftest import run_cli

    p = make_pdf(tmp_path / "a.pdf", "关于开展道德讲堂活动的通知", NOTICE_BODY)
    doc = repo.ingest([p], track="civilized-unit", criterion="1.3", year=2023, ocr=False).added[0]
    proc = run_cli("search", "道德讲堂", "--json", root=repo.root, check=True)
    data = json.loads(proc.stdout)
    assert list(data) == ["query", "total", "hits"] and data["query"] == "道德讲堂" and data["total"] == 1
    (hit,) = data["hits"]
    assert list(hit) == ["id", "sha256", "title", "track", "criterion", "year", "score", "snippet"]
    assert (hit["id"], hit["sha256"], hit["title"], hit["track"], hit["criterion"], hit["year"]) == (
        doc.id, doc.sha256, doc.title, "civilized-unit", "1.3", 2023)
    assert isinstance(hit["score"], float) and hit["score"] > 0 and "【道德讲堂】" in hit["snippet"]
