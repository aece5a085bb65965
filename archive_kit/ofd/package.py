"""The OFD container: a ZIP package opened as hostile input.

An OFD file (GB/T 33190-2016) is a ZIP whose root holds ``OFD.xml``; every other part is
reached through paths written inside the XML. Producers are careless with those paths (wrong
letter case, absolute or relative forms, spaces, backslashes), so members are looked up
case-insensitively after normalising the path. Everything is bounded: member count, unpacked
size (``formats.check_zip_size``), the bytes read from each member, and XML is parsed with
defusedxml (no DTD, no entities, no network). Member names or references that climb out of the
package (``../``, absolute file-system paths) are refused.
"""
from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from pathlib import Path
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

from ..errors import InputFileError
from ..formats import check_zip_size, read_member_head

MAX_MEMBERS = 20_000                # a real OFD has tens to a few thousand parts
MAX_XML_BYTES = 64 * 1024 * 1024    # one XML part, unpacked
MAX_XML_TAGS = 2_000_000            # ... and its tags: a parsed element costs far more memory than its bytes
MAX_MEDIA_BYTES = 128 * 1024 * 1024  # one image or font, unpacked
# the exceptions a damaged zip member can raise while it is being read
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError, zlib.error)


def local_name(tag: str) -> str:
    """An element's name without its namespace: producers use both OFD namespaces, or none."""
    return tag.rsplit("}", 1)[-1]


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as text: names without the UTF-8 flag are re-read as UTF-8, then GB18030."""
    name = info.filename
    if not info.flag_bits & 0x800:
        raw = name.encode("cp437", "replace")
        for encoding in ("utf-8", "gb18030"):
            try:
                name = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return name.replace("\\", "/")


def _escapes(name: str) -> bool:
    """True when a member name is absolute or climbs above the package root."""
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return True
    depth = 0
    for part in name.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


class OfdPackage:
    """An open OFD package: bounded reads and case-insensitive lookup of its members.

    Opened from a file or from bytes (a package nested in another, such as a seal); use it as a
    context manager. ``name`` (the path by default) names it in every error message.
    """

    def __init__(self, path: Path | bytes, name: str | None = None) -> None:
        self.path = Path(name or "") if isinstance(path, bytes) else Path(path)
        self.name = name or str(path)
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(path) if isinstance(path, bytes) else self.path)
            infos = self._zip.infolist()
        except FileNotFoundError:
            raise InputFileError(self.name, "cannot read file: it does not exist") from None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as e:
            raise InputFileError(self.name, f"damaged OFD: the zip structure cannot be read ({e})") from None
        try:
            if len(infos) > MAX_MEMBERS:
                raise InputFileError(self.name, f"refused: OFD package has {len(infos):,} parts (limit {MAX_MEMBERS:,})")
            try:
                check_zip_size(Path(self.name), infos)
            except InputFileError as e:  # the same refusal, saying what kind of package it is
                raise InputFileError(self.name, e.reason.replace("refused:", "refused: OFD", 1)) from None
            self._infos: dict[str, zipfile.ZipInfo] = {}
            self._lower: dict[str, str] = {}
            for info in infos:
                name = _member_name(info)
                if _escapes(name):
                    raise InputFileError(self.name, f"refused: OFD part {name!r} points outside the package")
                if info.is_dir() or name.endswith("/"):
                    continue
                name = posixpath.normpath(name)
                self._infos[name] = info
                self._lower.setdefault(name.lower(), name)
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> "OfdPackage":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying zip file."""
        self._zip.close()

    def resolve(self, base_dir: str, loc: str) -> str:
        """The package path ``loc`` names, read from a part in folder ``base_dir``.

        ``/x`` is relative to the package root, anything else to ``base_dir``; ``.`` and ``..``
        are resolved, and a reference that climbs above the root is refused.
        """
        loc = loc.strip().replace("\\", "/")
        parts: list[str] = [] if loc.startswith("/") else [p for p in base_dir.split("/") if p]
        for part in loc.split("/"):
            part = part.strip()
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    raise InputFileError(self.name, f"refused: OFD reference {loc!r} points outside the package")
                parts.pop()
            else:
                parts.append(part)
        return "/".join(parts)

    def find(self, path: str) -> str | None:
        """The member stored under ``path`` (exact, then ignoring case, then URL-unescaped), or None."""
        for candidate in (path, unquote(path)):
            if candidate in self._infos:
                return candidate
            hit = self._lower.get(candidate.lower())
            if hit is not None:
                return hit
        return None

    def locate(self, base_dir: str, loc: str) -> str | None:
        """``find(resolve(base_dir, loc))``: the member a reference points to, or None."""
        return self.find(self.resolve(base_dir, loc))

    def read(self, member: str, limit: int = MAX_MEDIA_BYTES) -> bytes:
        """A member's bytes; more than ``limit`` unpacked bytes is refused, never unpacked."""
        try:
            data = read_member_head(self._zip, self._infos[member].filename, limit + 1)
        except ZIP_ERRORS as e:
            raise InputFileError(self.name, f"damaged OFD: part {member} cannot be unpacked ({type(e).__name__})") from None
        if len(data) > limit:
            raise InputFileError(self.name, f"refused: OFD part {member} unpacks to more than {limit // (1024 * 1024)} MB")
        return data

    def xml(self, member: str) -> Element:
        """A member parsed as XML with defusedxml: no DTD, no entity expansion, no external access."""
        import defusedxml.ElementTree as SafeET
        from defusedxml import DefusedXmlException

        data = self.read(member, MAX_XML_BYTES)
        if data.count(b"<") > MAX_XML_TAGS:  # counted before parsing, in C, so memory stays bounded
            raise InputFileError(self.name, f"refused: OFD part {member} has more than {MAX_XML_TAGS:,} XML tags")
        try:
            return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except DefusedXmlException as e:
            raise InputFileError(self.name, f"refused: OFD part {member} declares a DTD or entities ({type(e).__name__})") from None
        except ParseError as e:
            line = e.position[0] if getattr(e, "position", None) else "?"
            raise InputFileError(self.name, f"damaged OFD: part {member} is not well-formed XML (line {line})") from None
        except (ValueError, RecursionError) as e:
            raise InputFileError(self.name, f"damaged OFD: part {member} cannot be parsed ({type(e).__name__})") from None


def folder(member: str) -> str:
    """The folder a member lives in ('' for the package root)."""
    return posixpath.dirname(member)
