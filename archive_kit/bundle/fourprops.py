"""四性检测 (after DA/T 70-2018): the authenticity, integrity, usability and security of a bundle's
items, checked from the bundle folder alone (``data/originals.json`` records what the catalogue said
at build time), so the report can be made again wherever the bundle travels.

- authenticity: each original's SHA-256 and SM3 against what the bundle recorded; catalogue
  metadata consistent with the file (page count; for a PDF with a text layer, the title on the
  first page and the date on the first or last page);
- integrity: item count, item numbers continuous with no gaps (漏号) in a whole-year bundle,
  required catalogue fields filled, every original present;
- usability: each file opens (and had a rendition in bundle.pdf), its format is on the accepted
  list, every font of bundle.pdf is embedded;
- security: no encryption, no JavaScript, launch actions or embedded files in the PDFs, no macros
  in Office files.

SM3 comes from ``hashlib.new("sm3")`` (OpenSSL 1.1.1 and later build it in); where this Python's
OpenSSL lacks it, the SM3 checks pass as *skipped* with that reason, and SHA-256 still guards
fixity. Every check is one ``Check`` with a reason a person understands; nothing here raises on a
hostile file.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Iterator

from ..catalogue.documents import BRACKETED_TITLE_SOURCES
from ..dates import find_dates
from ..errors import ArchiveKitError
from ..formats import OLE_MAGIC, detect
from ..output.tables import Column, Sheet
from ..search.analysis import fold
from ..store import CHUNK
from ..textnorm import normalize_text
from .bag import ORIGINALS, ORIGINALS_JSON

REPORT_NAME = "四性检测报告"
PROPERTIES = ("authenticity", "integrity", "usability", "security")
PROPERTY_NAMES = {"authenticity": "真实性", "integrity": "完整性", "usability": "可用性", "security": "安全性"}
# catalogue fields every item needs (DA/T 22-2015 归档文件目录), as originals.json names them
REQUIRED_FIELDS = {"archival_code": "档号", "item_number": "件号", "title": "题名", "date": "日期",
                   "retention": "保管期限", "pages": "页数"}
ACCEPTED_FORMATS = {"pdf": "PDF", "ofd": "OFD", "docx": "DOCX", "doc": "DOC", "wps": "WPS", "xlsx": "XLSX",
                    "xls": "XLS"}
ACCEPTED_IMAGES = {"JPEG", "PNG", "TIFF"}
# OLE directory entries (UTF-16) of a VBA project in .doc/.xls/.wps
MACRO_MARKS = ("_VBA_PROJECT".encode("utf-16-le"), "Macros".encode("utf-16-le"))
_SKIPPED_SM3 = "skipped: this Python's OpenSSL has no SM3 (SHA-256 still checked)"


@dataclass(frozen=True)
class Check:
    """One 四性 check: which property, what was checked, of which item (None: the whole bundle).

    ``item`` is the item number, which a class's documents (WS) and photos (ZP) share; ``code``
    names the item unambiguously: its archival code (档号), or its file name where it has none."""

    property: str
    check: str
    item: int | None
    ok: bool
    reason: str
    code: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The contract's ``{"property", "check", "item", "ok", "reason"}`` and ``code``."""
        return asdict(self)


def sm3_available() -> bool:
    """True when this Python's hashlib (OpenSSL) provides SM3."""
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


def digests(path: Path) -> tuple[str, str | None]:
    """(SHA-256, SM3 or None where SM3 is unavailable) of a file, read once in blocks."""
    sha = hashlib.sha256()
    sm3 = hashlib.new("sm3") if sm3_available() else None
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            sha.update(block)
            if sm3 is not None:
                sm3.update(block)
    return sha.hexdigest(), sm3.hexdigest() if sm3 is not None else None


def _squash(text: str) -> str:
    """Text folded as search folds it, without any whitespace: for "is this title on the page"."""
    return "".join(fold(normalize_text(text)).split())


class _Item:
    """One recorded original and what was found in its file (opened once, for every check)."""

    def __init__(self, bundle: Path, name: str, rec: dict[str, Any]) -> None:
        self.name, self.rec = name, rec
        self.path = bundle / "data" / ORIGINALS / name
        number = rec.get("item_number")
        self.number = number if isinstance(number, int) else None
        self.where = f"data/{ORIGINALS}/{name}"
        code = rec.get("archival_code")
        self.code = code if isinstance(code, str) and code else name


def four_property_checks(bundle: Path, expected_items: int | None = None) -> list[Check]:
    """Every 四性 check of the bundle folder ``bundle``, bundle-wide checks first, then per item.

    The item count is checked against ``expected_items`` (at build time) or else the bag-info's
    ``Item-Count``."""
    checks: list[Check] = []
    try:
        recorded = json.loads((bundle / "data" / ORIGINALS_JSON).read_text(encoding="utf-8"))
        if not isinstance(recorded, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as e:
        return [Check("integrity", "item_count", None, False, f"data/{ORIGINALS_JSON} cannot be read ({e})")]
    items = [_Item(bundle, n, r if isinstance(r, dict) else {}) for n, r in sorted(recorded.items())]
    items.sort(key=lambda i: (i.number is None, i.number or 0, i.name))
    checks += _bundle_checks(bundle, items, expected_items)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # pdftotext runs while pypdf parses
        for found in pool.map(lambda item: [replace(c, code=item.code) for c in _item_checks(item)], items):
            checks += found
    return checks


# ----------------------------------------------------------------------------------- bundle-wide


def _bag_info(bundle: Path) -> dict[str, str]:
    """bag-info.txt as a dict (empty when absent: the checks still run at build time, before it)."""
    try:
        text = (bundle / "bag-info.txt").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in text.splitlines()) if k.strip()}


def _bundle_checks(bundle: Path, items: list[_Item], expected: int | None) -> Iterator[Check]:
    folder = bundle / "data" / ORIGINALS
    present = sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    extra = sorted(set(present) - {i.name for i in items})
    declared = _bag_info(bundle).get("Item-Count")
    if expected is None and declared is not None:
        expected = int(declared) if declared.isdigit() else -1
    ok = not extra and expected in (None, len(items))
    yield Check("integrity", "item_count", None, ok,
                f"{len(items)} item(s) recorded" + (f", {expected} declared (bag-info Item-Count)"
                                                   if expected is not None else "")
                + (f"; files no item records: {', '.join(extra)}" if extra else ""))
    yield _numbering(bundle, items)
    pdf = bundle / "bundle.pdf"
    reader, why = _open_pdf(pdf)
    if reader is None:
        yield Check("usability", "opens", None, False, f"bundle.pdf: {why}")
        return
    unembedded = _unembedded_fonts(reader)
    yield Check("usability", "fonts_embedded", None, not unembedded,
                "bundle.pdf: every font is embedded" if not unembedded else
                f"bundle.pdf: font(s) not embedded: {', '.join(sorted(unembedded)[:5])}")
    yield from _pdf_security(reader, None, "bundle.pdf")


def _numbering(bundle: Path, items: list[_Item]) -> Check:
    """Item numbers of each class (DA/T 22: year, retention period, track) of the bundle's own
    track and year run 1..n with no gap (漏号) nor repeat; a class's photos have their own sequence."""
    info = _bag_info(bundle)
    if info.get("Criterion"):
        return Check("integrity", "item_numbers", None, True,
                     "criterion bundle: it holds a part of the year's numbers, continuity not checked")
    track, year = info.get("Track"), info.get("Year")
    classes: dict[str, list[int]] = {}
    for i in items:
        if i.number is not None and (track is None or i.rec.get("track") == track) \
                and (year is None or str(i.rec.get("year")) == year):
            # a class's photos (门类 ZP) are numbered apart from its documents
            photos = "·照片" if i.rec.get("kind") == "photo" else ""
            classes.setdefault(str(i.rec.get("retention") or "-") + photos, []).append(i.number)
    if not classes:
        return Check("integrity", "item_numbers", None, not items, "no numbered item" if items else "no items")
    reasons, spans = [], []
    for retention, own in sorted(classes.items()):
        missing = sorted(set(range(1, max(own) + 1)) - set(own))
        repeated = sorted({n for n in own if own.count(n) > 1})
        spans.append(f"{retention} 0001–{max(own):04d}")
        if missing:
            reasons.append(f"{retention}: missing item number(s) (漏号): " + ", ".join(f"{n:04d}" for n in missing[:20]))
        if repeated:
            reasons.append(f"{retention}: repeated item number(s): " + ", ".join(f"{n:04d}" for n in repeated[:20]))
    return Check("integrity", "item_numbers", None, not reasons,
                 "; ".join(reasons) or f"continuous: {', '.join(spans)}")


# ----------------------------------------------------------------------------------- per item


def _item_checks(item: _Item) -> Iterator[Check]:
    rec, n = item.rec, item.number
    empty = [label for key, label in REQUIRED_FIELDS.items() if rec.get(key) in (None, "", 0)]
    yield Check("integrity", "required_fields", n, not empty,
                f"empty: {', '.join(empty)}" if empty else "档号, 件号, 题名, 日期, 保管期限, 页数 filled")
    if not item.path.is_file():
        yield Check("integrity", "original_present", n, False, f"{item.where}: original is missing")
        return
    yield Check("integrity", "original_present", n, True, item.where)
    yield from _fixity(item)
    try:
        kind = detect(item.path)
    except ArchiveKitError as e:
        yield Check("usability", "format", n, False, f"{item.where}: {e}")
        return
    yield from _by_format(item, kind)
    yield Check("usability", "renders", n, rec.get("rendition") is not False,
                "rendered into bundle.pdf" if rec.get("rendition") is not False else
                "no rendition could be made: bundle.pdf holds a placeholder page for it")


def _fixity(item: _Item) -> Iterator[Check]:
    n, rec = item.number, item.rec
    try:
        sha, sm3 = digests(item.path)
    except OSError as e:
        yield Check("authenticity", "sha256", n, False, f"{item.where}: cannot be read ({e.strerror or e})")
        return
    want = rec.get("sha256")
    yield Check("authenticity", "sha256", n, sha == want,
                f"SHA-256 {sha[:16]}… matches" if sha == want else
                f"{item.where}: SHA-256 {sha[:16]}… differs from the recorded {str(want)[:16]}… (altered)")
    want_sm3 = rec.get("sm3")
    if sm3 is None:
        yield Check("authenticity", "sm3", n, True, _SKIPPED_SM3)
    elif not want_sm3:
        yield Check("authenticity", "sm3", n, True, "skipped: the bundle recorded no SM3 for this item")
    else:
        yield Check("authenticity", "sm3", n, sm3 == want_sm3,
                    f"SM3 {sm3[:16]}… matches" if sm3 == want_sm3 else
                    f"{item.where}: SM3 {sm3[:16]}… differs from the recorded {want_sm3[:16]}… (altered)")


def _by_format(item: _Item, kind: str) -> Iterator[Check]:
    """Format, opening, metadata consistency and security, each as the file's format allows."""
    n = item.number
    if kind == "pdf":
        yield Check("usability", "format", n, True, "PDF")
        reader, why = _open_pdf(item.path)
        if reader is None:
            yield Check("usability", "opens", n, False, f"{item.where}: {why}")
            yield Check("security", "encryption", n, "password" not in why, why)
            return
        yield Check("usability", "opens", n, True, f"PDF, {len(reader.pages)} page(s)")
        yield from _pdf_metadata(item, reader)
        yield from _pdf_security(reader, n, item.where)
        return
    if kind == "image":
        yield from _image(item)
        return
    label = ACCEPTED_FORMATS.get(kind)
    yield Check("usability", "format", n, label is not None,
                label or f"format {kind.upper()} is not on the accepted list (PDF, OFD, DOCX, DOC, WPS, XLSX, "
                         "XLS, JPEG, PNG, TIFF)")
    yield from _office_or_ofd(item, kind)


def _open_pdf(path: Path) -> tuple[Any, str]:
    """(reader, "") or (None, why); an encrypted PDF is refused here (it needs a password)."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            return None, "encrypted PDF (password or permissions set)"
        if not reader.pages:
            return None, "PDF has no pages"
        return reader, ""
    except RecursionError:
        return None, "damaged PDF: its structure nests too deeply"
    except Exception as e:  # noqa: BLE001 - pypdf raises anything on a broken file
        return None, f"damaged or unreadable PDF ({type(e).__name__})"


def _page_text(path: Path, reader: Any, index: int) -> str:
    """Text of one page: poppler's ``pdftotext`` where installed (several times faster than pypdf on
    CJK fonts), else pypdf; a page neither can read has no usable text layer."""
    exe = shutil.which("pdftotext")
    if exe:
        try:
            proc = subprocess.run([exe, "-q", "-enc", "UTF-8", "-f", str(index + 1), "-l", str(index + 1), "--",
                                   str(path), "-"], capture_output=True, timeout=60, check=False)
            if proc.returncode == 0:
                return proc.stdout.decode("utf-8", "replace")
        except (OSError, subprocess.SubprocessError):
            pass
    try:
        return reader.pages[index].extract_text() or ""
    except Exception:  # noqa: BLE001 - a page pypdf cannot parse has no usable text layer
        return ""


def _pdf_metadata(item: _Item, reader: Any) -> Iterator[Check]:
    """Page count, the title on the first page and the date on the first or last page."""
    n, rec = item.number, item.rec
    pages, want = len(reader.pages), rec.get("pages")
    yield Check("authenticity", "page_count", n, want == pages,
                f"{pages} page(s), as catalogued" if want == pages else
                f"the file has {pages} page(s), the catalogue says {want}")
    first = _page_text(item.path, reader, 0)
    if not first.strip():
        yield Check("authenticity", "title", n, True, "first page has no text layer: title not checked")
        yield Check("authenticity", "date", n, True, "first page has no text layer: date not checked")
        return
    title = str(rec.get("title") or "").strip()
    source = rec.get("title_source")
    if source in BRACKETED_TITLE_SOURCES:
        what = "composed by the archivist" if source == "composed" else "taken from the file name"
        yield Check("authenticity", "title", n, True, f"title {what} (listed in [ ]): not looked for on the page")
    elif "title_source" not in rec and title.startswith("[") and title.endswith("]"):  # a bundle older than it
        yield Check("authenticity", "title", n, True, "title written by the archivist ([ ]): not on the page")
    else:
        found = bool(title) and _squash(title) in _squash(first)
        yield Check("authenticity", "title", n, found, "title found on the first page" if found else
                    "catalogue title not found in the first page's text (a title the archivist wrote belongs "
                    "in [ ])")
    date = rec.get("date")
    dates = {d.isoformat() for d, _ in find_dates(normalize_text(first))}
    if date not in dates and pages > 1:  # a 公文 is dated at its end
        dates |= {d.isoformat() for d, _ in find_dates(normalize_text(_page_text(item.path, reader, pages - 1)))}
    if not date or not dates:
        yield Check("authenticity", "date", n, True, "no date to compare: not checked")
    else:
        yield Check("authenticity", "date", n, date in dates, f"date {date} found in the text" if date in dates
                    else f"catalogue date {date} not among the dates on the first and last page "
                         f"({', '.join(sorted(dates)[:4])})")


def _unembedded_fonts(reader: Any) -> set[str]:
    """Base names of the fonts of any page that carry no embedded font program (Type3 fonts are
    drawn by the file itself and count as embedded)."""
    missing: set[str] = set()
    seen: set[int] = set()
    for page in reader.pages:
        try:
            fonts = (page.get("/Resources") or {}).get_object().get("/Font")
            fonts = fonts.get_object() if fonts is not None else {}
            refs = list(fonts.values())
        except Exception:  # noqa: BLE001 - a broken resource dictionary holds no font
            continue
        for ref in refs:
            key = getattr(ref, "idnum", None) or id(ref)
            if key in seen:
                continue
            seen.add(key)
            try:
                font = ref.get_object()
                if font.get("/Subtype") == "/Type3":
                    continue
                desc_font = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
                desc = desc_font.get("/FontDescriptor")
                desc = desc.get_object() if desc is not None else {}
                if not any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    missing.add(str(font.get("/BaseFont", "?")).lstrip("/"))
            except Exception:  # noqa: BLE001 - a broken font dictionary is a font not embedded
                missing.add("(damaged font dictionary)")
    return missing


def _pdf_security(reader: Any, n: int | None, where: str) -> Iterator[Check]:
    from .pdf import active_content

    yield Check("security", "encryption", n, True, f"{where}: not encrypted")
    found = active_content(reader)
    yield Check("security", "active_content", n, not found,
                f"{where}: no JavaScript, launch actions or embedded files" if not found else
                f"{where}: holds {', '.join(sorted(found))}")


def _image(item: _Item) -> Iterator[Check]:
    from PIL import Image

    n = item.number
    try:
        with Image.open(item.path) as im:
            fmt = im.format or "?"
            frames = getattr(im, "n_frames", 1)
            im.load()
    except Exception as e:  # noqa: BLE001 - Pillow raises anything on a broken image
        yield Check("usability", "format", n, False, f"{item.where}: image cannot be read ({type(e).__name__})")
        yield Check("usability", "opens", n, False, f"{item.where}: image cannot be decoded")
        return
    yield Check("usability", "format", n, fmt in ACCEPTED_IMAGES,
                fmt if fmt in ACCEPTED_IMAGES else f"image format {fmt} is not on the accepted list (JPEG, PNG, TIFF)")
    yield Check("usability", "opens", n, True, f"{fmt} image decodes")
    want = item.rec.get("pages")
    yield Check("authenticity", "page_count", n, want in (None, frames),
                f"{frames} frame(s)" if want in (None, frames) else f"the image has {frames} frame(s), "
                                                                     f"the catalogue says {want}")
    yield Check("security", "encryption", n, True, "images carry no encryption")


def _office_or_ofd(item: _Item, kind: str) -> Iterator[Check]:
    """Zip packages (DOCX, XLSX, OFD) and OLE files (DOC, WPS, XLS): opens, encryption, macros."""
    n = item.number
    with open(item.path, "rb") as f:
        head = f.read(8)
    if head.startswith(OLE_MAGIC):
        data = item.path.read_bytes()
        encrypted = "EncryptedPackage".encode("utf-16-le") in data
        yield Check("usability", "opens", n, True, "OLE compound file")
        yield Check("security", "encryption", n, not encrypted,
                    "password-protected Office file" if encrypted else "not encrypted")
        macros = any(m in data for m in MACRO_MARKS)
        yield Check("security", "macros", n, not macros, "holds a VBA macro project" if macros else "no macros")
        return
    try:
        with zipfile.ZipFile(item.path) as z:
            names = z.namelist()
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as e:
        yield Check("usability", "opens", n, False, f"{item.where}: damaged package ({type(e).__name__})")
        return
    yield Check("usability", "opens", n, bad is None, "package reads" if bad is None else f"damaged member {bad}")
    yield Check("security", "encryption", n, True, "not encrypted")
    if kind != "ofd":
        macros = [m for m in names if m.lower().endswith("vbaproject.bin")]
        yield Check("security", "macros", n, not macros, f"holds a VBA macro project ({macros[0]})" if macros
                    else "no macros")


# ----------------------------------------------------------------------------------- the report file


def write_report(bundle: Path, checks: list[Check]) -> None:
    """Write 四性检测报告.json and 四性检测报告.xlsx (text cells only: formula-safe) into ``bundle``."""
    from .tables import save_fixed_xlsx

    data = {"ok": all(c.ok for c in checks), "standard": "DA/T 70-2018",
            "checks": [c.to_json() for c in checks]}
    (bundle / f"{REPORT_NAME}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n",
                                               encoding="utf-8")
    columns = [Column("检测项目", 1.2), Column("检测内容", 1.6), Column("档号", 2.6), Column("件号", 0.8, "C"),
               Column("结果", 0.8, "C"), Column("说明", 6.0)]
    rows = [[f"{PROPERTY_NAMES[c.property]} {c.property}", c.check, c.code or "", f"{c.item:04d}" if c.item else "",
             "通过" if c.ok else "不通过", c.reason] for c in checks]
    sheet = Sheet(f"{REPORT_NAME}（DA/T 70-2018）", "通过" if data["ok"] else "不通过", columns, rows, name="四性检测")
    save_fixed_xlsx([sheet], bundle / f"{REPORT_NAME}.xlsx", creator="archive-kit")
