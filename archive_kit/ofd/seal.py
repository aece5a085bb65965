"""The picture of an electronic seal, found in a signature's DER data (GB/T 38540 / GM/T 0031).

A signature's ``SignedValue`` (and a ``Seal.esl``) is ASN.1 DER; somewhere inside, the seal's
picture is a SEQUENCE of (type IA5String such as "png" or "ofd", data OCTET STRING, width
INTEGER, height INTEGER). Rather than decode the whole signature (whose layout differs between
versions), the DER tree is walked, bounded in depth and in the number of elements, until that
shape is found. Nothing is verified here: drawing the seal says nothing about the signature.
"""
from __future__ import annotations

PICTURE_TYPES = ("png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "ofd")
_MAX_DEPTH = 16
_MAX_ELEMENTS = 20_000


def _elements(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """The DER elements between ``start`` and ``end`` as (tag, content start, content end);
    stops at the first malformed one."""
    out = []
    i = start
    while i + 2 <= end:
        tag = data[i]
        if tag & 0x1F == 0x1F:  # multi-byte tags do not occur in seal structures
            break
        length = data[i + 1]
        i += 2
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4 or i + count > end:
                break
            length = int.from_bytes(data[i:i + count], "big")
            i += count
        if i + length > end:
            break
        out.append((tag, i, i + length))
        i += length
    return out


def seal_picture(data: bytes) -> tuple[str, bytes] | None:
    """(type, bytes) of the seal picture in a signature or seal, or None when there is none."""
    budget = [_MAX_ELEMENTS]

    def walk(start: int, end: int, depth: int) -> tuple[str, bytes] | None:
        items = _elements(data, start, end)
        budget[0] -= len(items)
        if budget[0] < 0 or depth > _MAX_DEPTH:
            return None
        if len(items) >= 2 and items[0][0] == 0x16 and items[1][0] == 0x04:  # IA5String, OCTET STRING
            kind = data[items[0][1]:items[0][2]].decode("ascii", "replace").strip().lower()
            if kind in PICTURE_TYPES:
                return kind, data[items[1][1]:items[1][2]]
        for tag, a, b in items:
            if tag & 0x20:  # constructed: SEQUENCE, SET, context-specific wrappers
                found = walk(a, b, depth + 1)
                if found is not None:
                    return found
        return None

    return walk(0, len(data), 0)
