"""Office files cut off from the outside before LibreOffice sees them.

A document can make the program that renders it fetch things: an OOXML package (DOCX, XLSX)
through external relationships (``TargetMode="External"``: pictures linked with ``r:link``,
attached templates, sub-documents, linked OLE objects, links to other workbooks), Word field codes
(INCLUDEPICTURE, INCLUDETEXT, LINK, DDE…) in DOCX and RTF, an ODF package through an
``xlink:href`` that points outside it. LibreOffice follows several of these while converting
(a linked ``file:///`` picture lands in the PDF, an ``http://`` one is requested), so each is cut,
in the private copy that is converted and never in the original:

- OOXML: every external relationship except a hyperlink is dropped (what used it renders empty);
- DOCX and RTF: a field whose instruction can fetch is blanked (it shows its last result);
- ODF: every ``xlink:href`` that leaves the package is removed, except on hyperlinks.

Binary formats (.doc, .wps, .xls) are not edited; for them, and as further layers for every
format, LibreOffice runs with linked content blocked and without a network (see office.py).
"""
from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
import zlib
from pathlib import Path

from .errors import InputFileError
from .formats import check_zip_size

XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# letters of a field instruction (any case, spacing or hiding) that make it fetch something:
# INCLUDEPICTURE, INCLUDETEXT, INCLUDE, IMPORT, LINK, DDE, DDEAUTO, DATABASE
FETCHING_FIELDS = ("INCLUDE", "IMPORT", "LINK", "DDE", "DATABASE")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


class UncheckableError(ValueError):
    """The file's links cannot be checked (a damaged package or XML part), so it must not be rendered."""


def cut_external_references(path: Path) -> list[str]:
    """Cut, in place, whatever in the file at ``path`` could make a renderer fetch something.

    ``path`` must be a private copy. Returns one short phrase per kind of thing cut (empty when
    the file had none); raises UncheckableError when a package or one of its XML parts is damaged.
    """
    with open(path, "rb") as f:
        head = f.read(64)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return _cut_rtf(path)
    if zipfile.is_zipfile(path):
        return _cut_package(path)
    return []


def fetches(instruction: str) -> bool:
    """True when a field instruction can fetch content from outside the document.

    Only the letters count (so ``INCLUDE PICTURE`` split by formatting or full-width letters
    are caught); HYPERLINK fields (tables of contents are full of them) are left alone, and a
    harmless field caught by accident just shows its last result.
    """
    letters = re.sub(r"[^A-Z]", "", unicodedata.normalize("NFKC", instruction).upper()).replace("HYPERLINK", "")
    return any(word in letters for word in FETCHING_FIELDS)


def _summary(counts: dict[str, int]) -> list[str]:
    """``{"image link": 2}`` as ``["2 image link(s)"]``."""
    return [f"{n} {what}{'s' if n > 1 else ''}" for what, n in counts.items() if n]


# --- zip packages (OOXML, ODF) ---------------------------------------------------------------


def _cut_package(path: Path) -> list[str]:
    """Rewrite the package with its external relationships, fetching fields and outside hrefs cut."""
    counts: dict[str, int] = {}
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            try:
                check_zip_size(path, infos)
            except InputFileError as e:
                raise UncheckableError(e.reason) from None
            changed: dict[int, bytes] = {}
            for i, info in enumerate(infos):
                with z.open(info) as f:
                    head = f.read(64)
                if not _looks_like_xml(head):  # pictures, fonts, embedded objects: never unpacked here
                    continue
                fixed = _cut_member(info.filename, z.read(info), counts)
                if fixed is not None:
                    changed[i] = fixed
            if not changed:
                return []
            tmp = path.with_name(path.name + ".cut")
            with zipfile.ZipFile(tmp, "w") as out:
                for i, info in enumerate(infos):
                    copy = zipfile.ZipInfo(info.filename, info.date_time)
                    copy.external_attr = info.external_attr
                    copy.compress_type = info.compress_type if info.compress_type == zipfile.ZIP_STORED \
                        else zipfile.ZIP_DEFLATED
                    out.writestr(copy, changed[i] if i in changed else z.read(info))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError, RuntimeError,
            zlib.error) as e:
        raise UncheckableError(f"damaged package ({type(e).__name__}: {e})") from None
    os.replace(tmp, path)
    return _summary(counts)


def _looks_like_xml(data: bytes) -> bool:
    """True for XML in UTF-8 or UTF-16 (parts need not be named .xml: content types name them)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def _mentions(data: bytes, word: str) -> bool:
    """True when ``word`` occurs in the bytes as UTF-8 or UTF-16 text."""
    return any(word.encode(enc) in data for enc in ("utf-8", "utf-16-le", "utf-16-be"))


def _cut_member(name: str, data: bytes, counts: dict[str, int]) -> bytes | None:
    """The new bytes of an XML member when something in it was cut, else None."""
    is_rels = name.lower().endswith(".rels")
    if not (is_rels or _mentions(data, "instr") or _mentions(data, "href")):
        return None
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        tree = etree.parse(io.BytesIO(data), parser)
    except etree.XMLSyntaxError as e:
        raise UncheckableError(f"damaged part {name} ({e})") from None
    root = tree.getroot()
    cut = _cut_relationships(root, counts) if is_rels else _cut_fields(root, counts) + _cut_hrefs(root, counts)
    if not cut:
        return None
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=tree.docinfo.standalone)


def _local(node) -> str:
    """The local name of an element or attribute tag (``{ns}name`` → ``name``)."""
    tag = node if isinstance(node, str) else node.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _cut_relationships(root, counts: dict[str, int]) -> int:
    """Drop every external relationship but hyperlinks; returns how many."""
    n = 0
    for rel in list(root.iter()):
        if _local(rel) != "Relationship" or (rel.get("TargetMode") or "").strip().lower() != "external":
            continue
        kind = (rel.get("Type") or "").rstrip("/").rsplit("/", 1)[-1] or "unknown"
        if kind.lower() == "hyperlink":
            continue
        rel.getparent().remove(rel)
        what = f"external {kind} link"
        counts[what] = counts.get(what, 0) + 1
        n += 1
    return n


def _attr(el, local: str) -> str | None:
    """An attribute by local name, whatever its namespace (``w:instr``, Strict OOXML…)."""
    return next((v for k, v in el.attrib.items() if _local(k) == local), None)


def _cut_fields(root, counts: dict[str, int]) -> int:
    """Blank the instructions of WordprocessingML fields that fetch (simple and complex fields)."""
    n = 0

    def blank(parts: list) -> None:
        nonlocal n
        if parts and fetches("".join(p.text or "" for p in parts)):
            for p in parts:
                p.text = ""
            n += 1

    open_fields: list[list] = []  # the instruction elements of each complex field begun and not ended
    for el in root.iter():
        name = _local(el)
        if name == "fldSimple":
            for key, value in el.attrib.items():
                if _local(key) == "instr" and fetches(value):
                    el.attrib[key] = ""
                    n += 1
        elif name == "fldChar":
            kind = _attr(el, "fldCharType")
            if kind == "begin":
                open_fields.append([])
            elif kind == "end" and open_fields:
                blank(open_fields.pop())
        elif name in ("instrText", "delInstrText"):
            if open_fields:
                open_fields[-1].append(el)
            else:
                blank([el])
    for parts in open_fields:
        blank(parts)
    if n:
        counts["linking field"] = counts.get("linking field", 0) + n
    return n


def _outside_package(href: str) -> bool:
    """True when an ODF ``xlink:href`` leaves the package (a URL, an absolute path, or ``../``)."""
    href = href.strip().replace("\\", "/")
    if not href or href.startswith("#"):
        return False
    if _SCHEME.match(href) or href.startswith("/"):
        return True
    depth = 0
    for part in href.split("/"):
        depth += -1 if part == ".." else (0 if part in ("", ".") else 1)
        if depth < 0:
            return True
    return False


def _cut_hrefs(root, counts: dict[str, int]) -> int:
    """Remove ``xlink:href`` values that leave the package, except on hyperlinks (``text:a``, ``draw:a``)."""
    n = 0
    for el in root.iter():
        href = el.get(XLINK_HREF)
        if href is not None and _local(el) != "a" and _outside_package(href):
            del el.attrib[XLINK_HREF]
            n += 1
    if n:
        counts["link outside the package"] = counts.get("link outside the package", 0) + n
    return n


# --- RTF -------------------------------------------------------------------------------------

_RTF_TOKEN = re.compile(rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([^\\{}]+)", re.S)


def _cut_rtf(path: Path) -> list[str]:
    """Blank every RTF field instruction (``{\\*\\fldinst …}``) that fetches; the result stays."""
    data = path.read_bytes()
    if b"fldinst" not in data:
        return []
    spans = _rtf_fetching_instructions(data)
    if not spans:
        return []
    out, last = [], 0
    for start, end in spans:
        out += [data[last:start], b"{\\*\\fldinst }"]
        last = end
    out.append(data[last:])
    path.write_bytes(b"".join(out))
    return _summary({"linking field": len(spans)})


def _rtf_fetching_instructions(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of each outermost ``\\fldinst`` group whose text fetches.

    The instruction's text is read as Word reads it: control words vanish, ``\\'hh`` and ``\\uN``
    are characters (with their ``\\ucN`` fallback skipped), nested groups add their text, and
    ``\\binN`` data is skipped; so a keyword split or escaped to hide it is still seen.
    """
    groups: list[dict] = []  # open groups: start offset, \uc, whether a \fldinst group, its text
    spans: list[tuple[int, int]] = []
    skip = 0  # fallback characters still to skip after a \uN

    def emit(text: str) -> None:
        for g in groups:
            if g["fldinst"]:
                g["text"].append(text)

    pos, n = 0, len(data)
    while pos < n:
        m = _RTF_TOKEN.match(data, pos)
        if m is None:  # a lone backslash at the end
            break
        end = m.end()
        word, num, hexa, sym, brace, text = m.groups()
        if brace == b"{":
            groups.append({"start": pos, "uc": groups[-1]["uc"] if groups else 1, "fldinst": False, "text": []})
            skip = 0
        elif brace == b"}":
            if groups:
                g = groups.pop()
                if g["fldinst"] and fetches("".join(g["text"])):
                    spans.append((g["start"], end))
            skip = 0
        elif word is not None:
            if word == b"bin":
                end = min(n, end + max(0, int(num or 0)))
            elif word == b"fldinst" and groups:
                groups[-1]["fldinst"] = True
            elif word == b"uc" and groups:
                groups[-1]["uc"] = max(0, int(num or 1))
            elif word == b"u" and num is not None:
                emit(chr(int(num) % 65536))
                skip = groups[-1]["uc"] if groups else 1
        elif hexa is not None or sym is not None:
            if skip:
                skip -= 1
            else:
                emit(chr(int(hexa, 16)) if hexa is not None else sym.decode("latin-1"))
        elif text:
            take = text.replace(b"\r", b"").replace(b"\n", b"")
            emit(take[skip:].decode("latin-1"))
            skip = max(0, skip - len(take))
        pos = end
    for g in groups:  # groups never closed: the instruction runs to the end of the file
        if g["fldinst"] and fetches("".join(g["text"])):
            spans.append((g["start"], n))
    spans.sort()
    outer: list[tuple[int, int]] = []
    for start, end in spans:
        if not outer or start >= outer[-1][1]:
            outer.append((start, end))
    return outer
