"""Property fuzzing: mutated real files into the extractors, manifest reader and schema loader.

The only acceptable outcomes are a clean result or an ``ArchiveKitError``; any other exception is
a bug. Bounded (examples and per-example deadline) so it runs in ``make test``; the seeds and
mutators are shared with the atheris harnesses under ``fuzz/``.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archive_kit.errors import ArchiveKitError
from archive_kit.extract import ExtractOptions, extract
from archive_kit.ingest.manifest import read_manifest
from archive_kit.criteria.loader import builtin_schemas, load_schema_text
from fuzz.seeds import mutate, seed_bytes

FUZZ = settings(max_examples=150, deadline=dt.timedelta(seconds=20), derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
NO_OCR = ExtractOptions(ocr=False)
SUFFIX = {"pdf": ".pdf", "docx": ".docx", "image": ".png"}


def mutations() -> st.SearchStrategy:
    """A short list of edits: (kind, position fraction, byte/length)."""
    edit = st.tuples(st.sampled_from(["flip", "set", "cut", "dup", "insert", "truncate"]),
                     st.floats(0, 1, allow_nan=False), st.integers(0, 255))
    return st.lists(edit, min_size=1, max_size=8)


def _extract(tmp: Path, fmt: str, data: bytes) -> None:
    path = tmp / f"fuzzed{SUFFIX[fmt]}"
    path.write_bytes(data)
    try:
        extract(path, fmt, NO_OCR)
    except ArchiveKitError:
        pass


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, list[bytes]]:
    """Real seed files per format (generated, plus small ones from the shared corpus)."""
    return seed_bytes(tmp_path_factory.mktemp("seeds"))


@pytest.mark.parametrize("fmt", ["pdf", "docx", "image"])
def test_mutated_files_only_raise_archive_kit_errors(fmt: str, seeds, tmp_path: Path) -> None:
    @FUZZ
    @given(st.integers(0, 1000), mutations())
    def run(which: int, edits: list) -> None:
        pool = seeds[fmt]
        _extract(tmp_path, fmt, mutate(pool[which % len(pool)], edits))

    run()


def test_mutated_docx_xml_only_raises_archive_kit_errors(seeds, tmp_path: Path) -> None:
    """Structure-aware: mutate word/document.xml inside a valid zip, so python-docx parses it."""
    base = seeds["docx"][0]
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}

    @FUZZ
    @given(mutations())
    def run(edits: list) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
            for name, data in members.items():
                out.writestr(name, mutate(data, edits) if name == "word/document.xml" else data)
        _extract(tmp_path, "docx", buf.getvalue())

    run()


MANIFEST = ("path,track,criterion,year,title,doc_number,author,date,retention,remarks\n"
            "a.pdf,文明,2.3,2023,关于志愿服务的通知,渝工发〔2023〕35号,工会,2023-03-05,D30,无\n"
            "sub/b.pdf,civilized-unit,1.1,2023年,,,,,Y,\n")


@FUZZ
@given(st.one_of(st.binary(max_size=400), mutations().map(lambda e: mutate(MANIFEST.encode("gb18030"), e)),
                 mutations().map(lambda e: mutate(MANIFEST.encode("utf-8-sig"), e))))
@example(b'path\n"unterminated')
@example(b"path\n" + b"\x00" * 10)
def test_manifest_reader_only_raises_manifest_errors(tmp_path_factory, data: bytes) -> None:
    folder = tmp_path_factory.mktemp("m", numbered=True)
    (folder / "a.pdf").write_bytes(b"%PDF-1.4")
    path = folder / "清单.csv"
    path.write_bytes(data)
    try:
        rows = read_manifest(path)
    except ArchiveKitError:
        return
    for row in rows:
        assert row.error or (row.path is not None and (row.path == folder or folder in row.path.parents))


SCHEMA = builtin_schemas()[0].source


@FUZZ
@given(st.one_of(st.text(max_size=300), mutations().map(lambda e: mutate(SCHEMA.encode("utf-8"), e).decode("utf-8", "replace"))))
@example("id: x\ncriteria: [{code: '1', name: a, children: " + "[" * 500 + "]" * 500 + "}]")
@example("a: &a [*a]")
@example("x: !!python/object/apply:os.system ['true']")
def test_schema_loader_only_raises_archive_kit_errors(text: str) -> None:
    try:
        load_schema_text(text, "fuzz.yaml")
    except ArchiveKitError:
        pass


CRASHES = Path(__file__).resolve().parent.parent / "fuzz" / "crashes"


def test_docx_whose_rels_part_is_corrupt_deflate_is_a_clean_error() -> None:
    """Found by atheris: a zlib.error escaped the Strict-package probe."""
    with pytest.raises(ArchiveKitError):
        extract(CRASHES / "docx-zlib-error-in-strict-check.docx", "docx", NO_OCR)


def test_jpeg_with_a_rational_in_an_ascii_exif_tag_is_read_or_a_clean_error() -> None:
    """Found by atheris: Pillow's exif_transpose raised AttributeError; the image is read anyway."""
    result = extract(CRASHES / "image-exif-ifdrational-in-ascii-tag.jpg", "image", NO_OCR)
    assert result.pages == 1
