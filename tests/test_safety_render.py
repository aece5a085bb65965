"""Issue 9, rendering: hostile documents cannot make LibreOffice read local files or reach the
network, the LibreOffice profile cannot be hijacked, and no active content reaches bundle.pdf.

Everything is real: DOCX/RTF/ODT/DOC files built with python-docx and by editing package XML,
the installed LibreOffice, the CLI in a subprocess, a listening socket that must see nothing.
"""
from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject,
                           StreamObject, TextStringObject)

from archive_kit import office
from archive_kit.office import convert_to_pdf, soffice_path
from archive_kit.sanitize import cut_external_references
from bench.gen_docs import NOTICE_BODY, make_docx, make_pdf

needs_soffice = pytest.mark.skipif(soffice_path() is None, reason="LibreOffice is not installed")

CANARY_RGB = (17, 233, 121)  # a colour no generated page uses
CANARY_SIZE = (321, 123)     # and a pixel size no other image has
TRACK = ["--track", "文明单位", "--criterion", "2.3", "--year", "2023"]
REL_IMAGE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"


# --- hostile files ------------------------------------------------------------------------


def canary_png(path: Path) -> Path:
    """The local file an attacker wants rendered: a flat image of a colour nothing else has."""
    Image.new("RGB", CANARY_SIZE, CANARY_RGB).save(path)
    return path


def _edit_docx(path: Path, body: str, rels: str = "") -> Path:
    """A real python-docx document whose body is replaced by ``body`` and whose relationships get ``rels``."""
    import docx

    d = docx.Document()
    d.add_paragraph("外部链接测试")
    buf = io.BytesIO()
    d.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                data = re.sub(rb"<w:body>.*<w:sectPr", lambda m: b"<w:body>" + body.encode() + b"<w:sectPr",
                              data, flags=re.S)
            elif info.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", rels.encode() + b"</Relationships>")
            out.writestr(info.filename, data)
    return path


def _linked_picture(rid: str) -> str:
    """A DrawingML inline picture whose image is only linked (``r:link``), not embedded."""
    return (
        '<wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
        '<wp:extent cx="3057525" cy="1171575"/><wp:docPr id="1" name="Picture 1"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="0" name="canary.png"/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip r:link="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
        '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="3057525" cy="1171575"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline>')


def docx_linked_image(path: Path, target: str) -> Path:
    """A DOCX whose picture is an external relationship (``TargetMode="External"``) to ``target``."""
    body = (f'<w:p><w:r><w:t>正文</w:t></w:r></w:p>'
            f'<w:p><w:r><w:drawing>{_linked_picture("rIdAK")}</w:drawing></w:r></w:p>')
    rel = f'<Relationship Id="rIdAK" Type="{REL_IMAGE}" Target="{target}" TargetMode="External"/>'
    return _edit_docx(path, body, rel)


def docx_includepicture(path: Path, target: str) -> Path:
    """A DOCX as Word writes an INCLUDEPICTURE field: the instruction, then a linked picture as its result."""
    body = ('<w:p><w:r><w:t>字段</w:t></w:r></w:p><w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> INCLUDEPICTURE "{target}" \\d </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            f'<w:r><w:drawing>{_linked_picture("rIdAK")}</w:drawing></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    rel = f'<Relationship Id="rIdAK" Type="{REL_IMAGE}" Target="{target}" TargetMode="External"/>'
    return _edit_docx(path, body, rel)


def rtf_includepicture(path: Path, target: str) -> Path:
    """An RTF file with an INCLUDEPICTURE field (LibreOffice reads local targets whatever its settings)."""
    path.write_bytes(b"{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}\\f0 RTF before\\par "
                     b"{\\field{\\*\\fldinst INCLUDEPICTURE \"" + target.encode() + b"\" \\\\d}{\\fldrslt }}"
                     b"\\par after\\par}")
    return path


def odt_linked_image(path: Path, href: str) -> Path:
    """An ODT whose image frame points outside the package (``xlink:href``)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.2">'
        '<office:body><office:text><text:p>ODT 外部图片</text:p><text:p>'
        '<draw:frame draw:name="g1" text:anchor-type="as-char" svg:width="10cm" svg:height="4cm">'
        f'<draw:image xlink:href="{href}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/>'
        '</draw:frame></text:p><text:p>完</text:p></office:text></office:body></office:document-content>')
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return path


def doc_linked_image(path: Path, target: str) -> Path:
    """A Word 97 .doc with a linked picture, saved by LibreOffice itself from a linked-image DOCX."""
    work = Path(tempfile.mkdtemp(prefix="ak-test-doc-"))
    try:
        docx_linked_image(work / "linked.docx", target)
        subprocess.run([soffice_path(), f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless",
                        "--convert-to", "doc", "--outdir", str(work), str(work / "linked.docx")],
                       capture_output=True, timeout=180, check=True, env={**os.environ, "HOME": str(work)})
        shutil.copyfile(work / "linked.doc", path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert target.encode() in path.read_bytes(), "the .doc keeps the link"
    return path


def _hostile(kind: str, folder: Path, canary: Path, listener: "Listener") -> Path:
    """A hostile file of ``kind`` (``docx-http``: a DOCX linking to the listener…)."""
    fmt, how = kind.split("-")
    target = f"http://127.0.0.1:{listener.port}/{kind}.png" if how == "http" else canary.as_uri()
    maker = {"docx": docx_includepicture if how == "includepicture" else docx_linked_image,
             "rtf": rtf_includepicture, "odt": odt_linked_image, "doc": doc_linked_image}[fmt]
    return maker(folder / f"{kind}.{fmt}", target)


# --- observers ----------------------------------------------------------------------------


class Listener:
    """A local TCP socket that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.seen: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.seen.append(conn.recv(300) or b"(connected)")
            except OSError:
                self.seen.append(b"(connected)")
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


def canary_pixels(pdf: Path) -> int:
    """How many pixels of the canary colour the rendered pages show (pypdfium2)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    total = 0
    for page in doc:
        image = page.render(scale=0.6).to_pil().convert("RGB")
        total += sum(n for n, rgb in image.getcolors(1 << 22) or []
                     if all(abs(a - b) <= 10 for a, b in zip(rgb, CANARY_RGB)))
    doc.close()
    return total


def all_objects(pdf: Path) -> list:
    """Every indirect object of a PDF, resolved by pypdf (including objects in object streams)."""
    reader = PdfReader(pdf)
    out = []
    for num in range(1, int(reader.trailer.get("/Size", 0))):
        try:
            obj = reader.get_object(num)
        except Exception:  # noqa: BLE001 - free entries
            continue
        if obj is not None:
            out.append(obj)
    return out


def canary_images(pdf: Path) -> list:
    """Image XObjects of the canary's pixel size."""
    return [o for o in all_objects(pdf) if isinstance(o, StreamObject) and o.get("/Subtype") == "/Image"
            and (o.get("/Width"), o.get("/Height")) == CANARY_SIZE]


def assert_canary_absent(pdf: Path) -> None:
    assert canary_pixels(pdf) < 20, "the linked local image was rendered"
    assert not canary_images(pdf), "an image of the canary's size is in the PDF"


def _cli(*args: str, root: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess, with extra environment."""
    return subprocess.run([sys.executable, "-m", "archive_kit", "--root", str(root), *args], capture_output=True,
                          text=True, timeout=900, env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})})


def _cli_json(*args: str, root: Path, env: dict | None = None) -> tuple[int, dict]:
    proc = _cli(*args, "--json", root=root, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _ingest_and_bundle(tmp_path: Path, files: list[Path], env: dict | None = None) -> tuple[Path, dict]:
    root = tmp_path / "repo"
    assert _cli("init", "--fonds", "J001", "--unit", "测试单位", root=root, env=env).returncode == 0
    code, data = _cli_json("ingest", *map(str, files), *TRACK, "--no-ocr", root=root, env=env)
    assert code == 0 and not data["failed"], data
    code, report = _cli_json("bundle", "--track", "文明单位", "--year", "2023", "--out", str(tmp_path / "out"),
                             root=root, env=env)
    assert code == 0, report
    return tmp_path / "out" / "bundle.pdf", report


# --- 2: external links never reach bundle.pdf nor the network ---------------------------------


@needs_soffice
def test_docx_and_rtf_links_to_local_files_and_urls_stay_out_of_the_bundle(tmp_path: Path, listener: Listener) -> None:
    canary = canary_png(tmp_path / "canary.png")
    url = f"http://127.0.0.1:{listener.port}/x.png"
    files = [docx_linked_image(tmp_path / "本地链接.docx", canary.as_uri()),
             docx_linked_image(tmp_path / "网络链接.docx", url),
             rtf_includepicture(tmp_path / "字段.rtf", canary.as_uri())]
    before = canary.read_bytes()
    pdf, report = _ingest_and_bundle(tmp_path, files)
    assert report["documents"] == 3 and report["pages"] >= 3
    assert_canary_absent(pdf)
    assert listener.seen == [], f"LibreOffice connected out: {listener.seen[:2]}"
    assert canary.read_bytes() == before


@needs_soffice
@pytest.mark.parametrize("kind", ["docx-file", "docx-http", "docx-includepicture", "rtf-file",
                                  "odt-file", "odt-http", "doc-file"])
def test_every_kind_of_external_image_link_is_cut_before_conversion(kind: str, tmp_path: Path,
                                                                   listener: Listener) -> None:
    canary = canary_png(tmp_path / "canary.png")
    src = _hostile(kind, tmp_path, canary, listener)
    original = src.read_bytes()
    pdf = convert_to_pdf(src, tmp_path / "out")
    assert_canary_absent(pdf)
    assert listener.seen == [], f"LibreOffice connected out: {listener.seen[:2]}"
    assert src.read_bytes() == original, "only a temporary copy is changed"


@needs_soffice
def test_renditions_made_by_earlier_versions_are_never_used_again(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    assert _cli("init", "--fonds", "J001", "--unit", "测试单位", root=root).returncode == 0
    src = make_docx(tmp_path / "方案.docx", "文明礼仪培训方案", NOTICE_BODY)
    code, data = _cli_json("ingest", str(src), *TRACK, "--no-ocr", root=root)
    assert code == 0, data
    # what the old code cached under <sha256>.pdf may hold a leaked local file
    leaked = tmp_path / "leaked.pdf"
    Image.new("RGB", (600, 800), CANARY_RGB).save(leaked, "PDF")
    old = root / "derived" / "renditions" / f"{data['added'][0]['sha256']}.pdf"
    old.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(leaked, old)
    code, report = _cli_json("bundle", "--track", "文明单位", "--year", "2023", "--out", str(tmp_path / "out"),
                             root=root)
    assert code == 0, report
    assert canary_pixels(tmp_path / "out" / "bundle.pdf") < 20, "an old cached rendition was used"
    assert "文明礼仪" in "".join(p.extract_text() for p in PdfReader(tmp_path / "out" / "bundle.pdf").pages)


def _namespaces_work() -> bool:
    """Whether this machine lets a process have its own network namespace (asked of unshare directly)."""
    flags = ["--net"] if os.geteuid() == 0 else ["--map-root-user", "--net"]
    try:
        return subprocess.run(["unshare", *flags, "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def test_the_network_namespace_really_has_no_network(listener: Listener) -> None:
    if not _namespaces_work():
        pytest.skip("network namespaces are not available on this machine (the settings layer still holds)")
    prefix = office.no_network_prefix()
    probe = ("import socket,sys\ntry:\n socket.create_connection(('127.0.0.1', %d), timeout=3)\n"
             "except OSError as e:\n sys.exit(7)\n" % listener.port)
    proc = subprocess.run([*prefix, sys.executable, "-c", probe], capture_output=True, timeout=60)
    assert proc.returncode == 7, proc.stderr
    assert listener.seen == []


def _schema_paths(registry: Path) -> set[str]:
    """Every property path (``/org.openoffice.Office.Common/Security/Scripting/X``) the installed schema defines."""
    import xml.etree.ElementTree as ET

    oor = "{http://openoffice.org/2001/registry}"
    paths: set[str] = set()

    def walk(el, path: str) -> None:
        for child in el:
            tag, name = child.tag.rsplit("}", 1)[-1], child.get(f"{oor}name")
            if tag == "component-schema":
                walk(child, f"/{child.get(f'{oor}package')}.{name}")
            elif tag == "templates":
                continue
            elif tag in ("group", "set"):
                walk(child, f"{path}/{name}")
            elif tag == "prop":
                paths.add(f"{path}/{name}")
            else:
                walk(child, path)

    for xcd in registry.glob("*.xcd"):
        walk(ET.parse(xcd).getroot(), "")
    return paths


def test_every_libreoffice_setting_we_write_exists_in_the_installed_schema() -> None:
    exe = soffice_path()
    registry = Path(os.path.realpath(exe)).parent.parent / "share" / "registry" if exe else None
    if registry is None or not (registry / "main.xcd").is_file():
        pytest.skip("LibreOffice's registry schema is not installed")
    known = _schema_paths(registry)
    assert "/org.openoffice.Office.Common/Security/Scripting/MacroSecurityLevel" in known
    for path, name, _type, _value in office.LOCKDOWN_SETTINGS:
        assert f"{path}/{name}" in known, f"{path}/{name} is not a LibreOffice setting"


@needs_soffice
@pytest.mark.parametrize("layer,kinds", [
    ("cut", ["docx-file", "docx-http", "rtf-file", "odt-file", "odt-http"]),
    ("settings", ["docx-file", "docx-http", "odt-file", "doc-file"]),
    ("namespace", ["docx-http", "odt-http"]),
])
def test_each_layer_holds_on_its_own(layer: str, kinds: list[str], tmp_path: Path, listener: Listener,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    if layer != "cut":
        monkeypatch.setattr(office, "cut_external_references", lambda path: [])
    if layer != "settings":
        monkeypatch.setattr(office, "LOCKDOWN_SETTINGS", ())
    if layer != "namespace":
        monkeypatch.setattr(office, "no_network_prefix", lambda: ())
    elif not _namespaces_work():
        pytest.skip("network namespaces are not available on this machine")
    canary = canary_png(tmp_path / "canary.png")
    for kind in kinds:
        src = _hostile(kind, tmp_path, canary, listener)
        assert_canary_absent(convert_to_pdf(src, tmp_path / "out"))
    assert listener.seen == [], f"LibreOffice connected out: {listener.seen[:2]}"


def test_rtf_fetching_fields_are_cut_however_they_are_spelt(tmp_path: Path) -> None:
    target = b'"file:///tmp/canary.png"'
    spellings = [b"INCLUDEPICTURE", b"INCLU\\'44EPICTURE", b"{INCLUDE}{\\b PICTURE}", b"\\u73?NCLUDEPICTURE",
                 b"INCLUDE\\cf1 PICTURE", b"includetext", b"DDEAUTO", b"LINK Excel.Sheet.8",
                 b"\\uc2\\u73 xyNCLUDEPICTURE"]
    for i, spelling in enumerate(spellings):
        rtf = tmp_path / f"{i}.rtf"
        rtf.write_bytes(b"{\\rtf1\\ansi before {\\field{\\*\\fldinst " + spelling + b" " + target +
                        b"}{\\fldrslt kept}} after {\\field{\\*\\fldinst PAGE}{\\fldrslt 1}}}")
        assert cut_external_references(rtf) == ["1 linking field"], spelling
        data = rtf.read_bytes()
        assert target not in data and b"{\\fldrslt kept}" in data and b"fldinst PAGE" in data, data


def test_docx_fields_and_odt_links_are_cut_but_hyperlinks_kept(tmp_path: Path) -> None:
    body = ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> INCLUDE</w:instrText></w:r>'
            '<w:r><w:instrText>TEXT "c:/secret.txt" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/>'
            '</w:r><w:r><w:t>旧结果</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
            '<w:p><w:fldSimple w:instr=" DDEAUTO cmd /c calc "><w:r><w:t>x</w:t></w:r></w:fldSimple></w:p>'
            '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> HYPERLINK \\l "_Toc1" </w:instrText>'
            '</w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
    rels = ('<Relationship Id="rIdT" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'subDocument" Target="file:///secret.docx" TargetMode="External"/>'
            '<Relationship Id="rIdH" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'hyperlink" Target="http://example.org/" TargetMode="External"/>')
    docx = _edit_docx(tmp_path / "a.docx", body, rels)
    assert sorted(cut_external_references(docx)) == ["1 external subDocument link", "2 linking fields"]
    with zipfile.ZipFile(docx) as z:
        doc, rel = z.read("word/document.xml").decode(), z.read("word/_rels/document.xml.rels").decode()
    assert "secret" not in doc and "DDEAUTO" not in doc and "HYPERLINK" in doc and "旧结果" in doc
    assert "secret" not in rel and "http://example.org/" in rel
    odt = odt_linked_image(tmp_path / "a.odt", "../outside.png")
    assert cut_external_references(odt) == ["1 link outside the package"]
    with zipfile.ZipFile(odt) as z:
        assert z.namelist()[0] == "mimetype" and z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        assert "outside.png" not in z.read("content.xml").decode()
    untouched = odt_linked_image(tmp_path / "b.odt", "Pictures/inside.png")
    before = untouched.read_bytes()
    assert cut_external_references(untouched) == [] and untouched.read_bytes() == before


@needs_soffice
def test_a_package_whose_links_cannot_be_checked_is_not_converted(tmp_path: Path) -> None:
    docx = make_docx(tmp_path / "坏.docx", "标题", ["正文"])
    with zipfile.ZipFile(docx, "a") as z:
        z.writestr("word/_rels/header9.xml.rels", "<Relationships><Relationship Target=")
    with pytest.raises(office.OfficeError, match="links cannot be checked"):
        convert_to_pdf(docx, tmp_path / "out")


# --- 3: the profile folder --------------------------------------------------------------------


def _planted_old_profile(tmp_path: Path) -> tuple[Path, Path, Path]:
    """$TMPDIR/archive-kit-lo-<uid> pre-created by someone else, its lock files symlinked to a victim file."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    tmpdir.chmod(0o1777)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious records\n")
    old = tmpdir / f"archive-kit-lo-{os.getuid()}"
    old.mkdir(mode=0o777)
    for i in range(max(1, os.cpu_count() or 1) + 1):
        (old / f"slot{i}.lock").symlink_to(victim)
        (old / f"slot{i}").symlink_to(tmp_path)
    if os.geteuid() == 0:  # as root, make it really another user's folder
        for p in [old, *old.iterdir()]:
            os.lchown(p, 65534, 65534)
    return tmpdir, old, victim


@needs_soffice
def test_a_planted_profile_folder_is_not_used_and_nothing_is_left_behind(tmp_path: Path) -> None:
    tmpdir, old, victim = _planted_old_profile(tmp_path)
    planted = sorted(os.listdir(old))
    rtf = tmp_path / "通知.rtf"
    rtf.write_bytes(b"{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}\\f0 volunteer notice\\par}")
    root = tmp_path / "repo"
    env = {"TMPDIR": str(tmpdir)}
    assert _cli("init", "--fonds", "J001", root=root, env=env).returncode == 0
    code, data = _cli_json("ingest", str(rtf), *TRACK, "--no-ocr", root=root, env=env)
    assert code == 0 and data["added"], data  # converted by LibreOffice at ingest
    assert victim.read_text() == "precious records\n", "a planted symlink was followed and the file truncated"
    assert sorted(os.listdir(old)) == planted, "the planted folder was used"
    assert os.listdir(tmpdir) == [old.name], f"left behind: {os.listdir(tmpdir)}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo", "tmp", "victim.txt", "通知.rtf"]


@needs_soffice
def test_a_symlink_at_the_old_profile_path_is_not_followed(tmp_path: Path) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    attacker = tmp_path / "attacker"
    attacker.mkdir()
    (tmpdir / f"archive-kit-lo-{os.getuid()}").symlink_to(attacker)
    src = make_docx(tmp_path / "a.docx", "标题", ["正文"])
    proc = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                           "from archive_kit.office import convert_to_pdf; "
                           "convert_to_pdf(Path(sys.argv[1]), Path(sys.argv[2]))", str(src), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "TMPDIR": str(tmpdir)})
    assert proc.returncode == 0, proc.stderr
    assert list(attacker.iterdir()) == []
    assert os.listdir(tmpdir) == [f"archive-kit-lo-{os.getuid()}"]


@pytest.fixture
def fresh_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test process as if it had not converted anything yet, with its temp folder in ``tmp_path``."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    monkeypatch.setattr(office, "_swept", False)
    monkeypatch.setattr(office, "_mine", None)
    return tmpdir


@needs_soffice
def test_stale_profiles_of_killed_runs_are_removed_but_not_foreign_or_live_ones(
        tmp_path: Path, fresh_process: Path) -> None:
    tmpdir = fresh_process
    stale = tmpdir / f"{office.WORK_PREFIX}dead1234"
    (stale / "profile" / "user").mkdir(parents=True)
    stale.chmod(0o700)
    live = tmpdir / f"{office.WORK_PREFIX}live5678"
    live.mkdir(mode=0o700)
    victim_dir = tmp_path / "victim"
    victim_dir.mkdir()
    (victim_dir / "keep.txt").write_text("keep")
    (tmpdir / f"{office.WORK_PREFIX}link0000").symlink_to(victim_dir)
    foreign = tmpdir / f"{office.WORK_PREFIX}other999"
    foreign.mkdir(mode=0o700)
    if os.geteuid() == 0:
        os.chown(foreign, 65534, 65534)
    an_hour_ago = time.time() - 3600
    for folder in (stale, live, foreign):
        os.utime(folder, (an_hour_ago, an_hour_ago))
    fresh = tmpdir / f"{office.WORK_PREFIX}new00000"  # just made by a conversion that has not locked it yet
    fresh.mkdir(mode=0o700)
    fd = os.open(live, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the folder of another process, still running
    try:
        convert_to_pdf(make_docx(tmp_path / "a.docx", "标题", ["正文"]), tmp_path / "out")
    finally:
        os.close(fd)
        office._mine.remove()
    left = sorted(os.listdir(tmpdir))
    assert stale.name not in left
    assert live.name in left and fresh.name in left and f"{office.WORK_PREFIX}link0000" in left
    assert (victim_dir / "keep.txt").read_text() == "keep"
    if os.geteuid() == 0:
        assert foreign.name in left
    assert len(left) == (4 if os.geteuid() == 0 else 3), left


@needs_soffice
def test_a_timed_out_conversion_leaves_no_folder_and_no_process(tmp_path: Path) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    src = make_docx(tmp_path / "慢.docx", "标题", NOTICE_BODY)
    script = ("import sys; from pathlib import Path; from archive_kit.office import OfficeError, convert_to_pdf\n"
              "try:\n convert_to_pdf(Path(sys.argv[1]), Path(sys.argv[2]), timeout=0.05)\n"
              "except OfficeError as e:\n print(e)")
    proc = subprocess.run([sys.executable, "-c", script, str(src), str(tmp_path / "out")], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "TMPDIR": str(tmpdir)})
    assert "did not finish" in proc.stdout, proc.stderr
    assert os.listdir(tmpdir) == []
    left = subprocess.run(["pgrep", "-f", str(tmpdir)], capture_output=True, text=True).stdout
    assert not left.strip(), f"soffice processes left behind: {left}"


@needs_soffice
def test_the_reused_profile_is_locked_down_anew_and_dropped_after_a_failure(
        tmp_path: Path, fresh_process: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    convert_to_pdf(make_docx(tmp_path / "a.docx", "标题", ["正文"]), tmp_path / "out")
    mine = office._mine
    try:
        assert list(mine.path.iterdir()) == [mine.profile], "nothing of the conversion is left but the profile"
        assert stat.S_IMODE(mine.path.stat().st_mode) == 0o700 and mine.path.stat().st_uid == os.getuid()
        # a previous document's run left the profile weakened: the next conversion must not trust it
        settings = mine.profile / "user" / "registrymodifications.xcu"
        block = '"BlockUntrustedRefererLinks" oor:op="fuse"><value>'
        settings.write_text(settings.read_text().replace(block + "true", block + "false"))
        assert "<value>false" in settings.read_text()
        monkeypatch.setattr(office, "cut_external_references", lambda path: [])  # only the settings hold
        canary = canary_png(tmp_path / "canary.png")
        assert_canary_absent(convert_to_pdf(docx_linked_image(tmp_path / "linked.docx", canary.as_uri()),
                                            tmp_path / "out"))
        with pytest.raises(office.OfficeError, match="did not finish"):
            convert_to_pdf(make_docx(tmp_path / "慢.docx", "标题", NOTICE_BODY), tmp_path / "out", timeout=0.05)
        assert list(mine.path.iterdir()) == [], "a killed run's profile is thrown away"
        assert convert_to_pdf(make_docx(tmp_path / "b.docx", "标题", ["正文"]), tmp_path / "out").is_file()
    finally:
        mine.remove()
    assert os.listdir(fresh_process) == []


# --- 6: active content never reaches bundle.pdf -----------------------------------------------


def _js(writer: PdfWriter, code: str):
    return writer._add_object(DictionaryObject({NameObject("/Type"): NameObject("/Action"),
                                                NameObject("/S"): NameObject("/JavaScript"),
                                                NameObject("/JS"): TextStringObject(code)}))


def _annot(writer: PdfWriter, page, subtype: str, extra: dict) -> None:
    annot = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject(subtype),
                              NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (50, 50, 150, 100)])})
    annot.update({NameObject(k): v for k, v in extra.items()})
    page.setdefault(NameObject("/Annots"), ArrayObject()).append(writer._add_object(annot))


def active_pdf(path: Path, src: Path, smuggle: bool = False) -> Path:
    """A real text PDF armed with every kind of active content; with ``smuggle``, its page's
    resources also reach a script and the whole document catalog (so a copied drawing carries them)."""
    w = PdfWriter(clone_from=src)
    page = w.pages[0]
    launch = w._add_object(DictionaryObject({NameObject("/S"): NameObject("/Launch"),
                                             NameObject("/F"): TextStringObject("cmd.exe AKCANARY-launch")}))
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): _js(w, "app.alert('AKCANARY page open')"),
                                                NameObject("/C"): launch})
    page[NameObject("/PieceInfo")] = DictionaryObject({NameObject("/AKApp"): DictionaryObject({
        NameObject("/Private"): TextStringObject("AKCANARY private data of the page")})})
    w._root_object[NameObject("/OpenAction")] = _js(w, "app.alert('AKCANARY document open')")
    names = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("ak"),
                                                                 _js(w, "app.alert('AKCANARY names tree')")])})
    w._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): w._add_object(names)})
    w.add_attachment("秘密.txt", b"AKCANARY embedded file")
    file_uri = DictionaryObject({NameObject("/S"): NameObject("/URI"),
                                 NameObject("/URI"): TextStringObject("file:///etc/passwd")})
    _annot(w, page, "/Link", {"/A": launch})
    _annot(w, page, "/Link", {"/A": file_uri})
    ef = w._add_object(_embedded_file(b"AKCANARY attached file"))
    spec = DictionaryObject({NameObject("/Type"): NameObject("/Filespec"), NameObject("/F"): TextStringObject("x.exe"),
                             NameObject("/EF"): DictionaryObject({NameObject("/F"): ef})})
    _annot(w, page, "/FileAttachment", {"/FS": spec})
    _annot(w, page, "/RichMedia", {"/RichMediaContent": DictionaryObject({NameObject("/Assets"): DictionaryObject()})})
    if smuggle:
        res = page["/Resources"].get_object()
        res[NameObject("/ExtGState")] = DictionaryObject({NameObject("/AKGS"): DictionaryObject({
            NameObject("/AA"): DictionaryObject({NameObject("/O"): _js(w, "app.alert('AKCANARY smuggled')")}),
            NameObject("/AKScript"): _js(w, "app.alert('AKCANARY smuggled under any name')"),
            NameObject("/AKLaunch"): launch, NameObject("/AKFile"): ef})})
        res[NameObject("/Properties")] = DictionaryObject({NameObject("/AKMC"): w._root_object.indirect_reference})
    with open(path, "wb") as f:
        w.write(f)
    return path


def _embedded_file(data: bytes) -> DecodedStreamObject:
    s = DecodedStreamObject()
    s.set_data(data)
    s[NameObject("/Type")] = NameObject("/EmbeddedFile")
    return s


FORBIDDEN_KEYS = {"/JS", "/JavaScript", "/OpenAction", "/AA", "/EmbeddedFiles", "/EF", "/RichMediaContent"}
FORBIDDEN_NAMES = {"/JavaScript", "/Launch", "/EmbeddedFile", "/RichMedia", "/FileAttachment"}


def active_content(pdf: Path) -> list[str]:
    """Everything in a PDF's objects that can act: forbidden keys and names, file: URIs, the canary text."""
    found = []

    def walk(obj, depth=0):
        if depth > 50:
            return
        if isinstance(obj, DictionaryObject):
            for k, v in obj.items():
                if k in FORBIDDEN_KEYS:
                    found.append(k)
                walk(v, depth + 1)
        elif isinstance(obj, ArrayObject):
            for v in obj:
                walk(v, depth + 1)
        elif isinstance(obj, NameObject) and obj in FORBIDDEN_NAMES:
            found.append(str(obj))
        elif isinstance(obj, (str, bytes)) and ("AKCANARY" in str(obj) or str(obj).lower().startswith("file:")):
            found.append(repr(obj)[:60])

    for obj in all_objects(pdf):
        walk(obj if not isinstance(obj, StreamObject) else DictionaryObject(obj))
        if isinstance(obj, StreamObject):
            try:
                if b"AKCANARY" in obj.get_data():
                    found.append("stream data")
            except Exception:  # noqa: BLE001 - undecodable image data
                pass
    return found


def _original_annotations(pdf: Path) -> list:
    """Annotation dictionaries of the armed page (recognised by their rectangle) present in a PDF."""
    return [o for o in all_objects(pdf) if isinstance(o, DictionaryObject)
            and [float(v) for v in o.get("/Rect", [])] == [50.0, 50.0, 150.0, 100.0]]


def test_active_content_is_removed_from_the_bundle_and_the_original_kept(tmp_path: Path) -> None:
    plain = make_pdf(tmp_path / "plain.pdf", "关于开展志愿服务活动的通知", NOTICE_BODY, pages=2)
    armed = active_pdf(tmp_path / "带脚本.pdf", plain)
    smuggling = active_pdf(tmp_path / "夹带.pdf", plain, smuggle=True)
    assert len(set(active_content(armed))) >= 8 and _original_annotations(armed), "the test PDFs really are armed"
    pdf, report = _ingest_and_bundle(tmp_path, [armed, smuggling])
    assert active_content(pdf) == []
    assert _original_annotations(pdf) == [], "the pages' annotations stay behind"
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert text.count("志愿服务活动的通知") >= 2, "the pages themselves are kept"
    for original in (armed, smuggling):
        digest = hashlib.sha256(original.read_bytes()).hexdigest()
        assert [p for p in (tmp_path / "out" / "data").rglob("*") if p.is_file()
                and hashlib.sha256(p.read_bytes()).hexdigest() == digest], "the original, byte-identical, is in the bag"
    code, listed = _cli_json("list", root=tmp_path / "repo")
    for doc in listed["documents"]:
        # one note per document on what was removed (a page shrunk for the 归档章 has a note of its own)
        (note,) = [n for n in report["notes"] if n.startswith(doc["archival_code"]) and "active content" in n]
        for what in ("JavaScript", "Launch", "embedded file", "RichMedia", "file: link", "document open action"):
            assert what in note, note
