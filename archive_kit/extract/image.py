"""Extractor for scans and photos (JPEG, PNG, TIFF incl. multi-page, BMP, GIF): OCR, and from EXIF
the date taken, the camera and the GPS position.

Every Pillow failure is turned into a one-line InputFileError here, at the edge, so a broken or
hostile image never crashes a worker: truncated files, decompression bombs, frame loops.
"""
from __future__ import annotations

import datetime as _dt
import re
import struct
import warnings
import zlib
from pathlib import Path
from typing import Iterator

from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ArchiveKitError, InputFileError
from ..ocr import OcrResult, get_engine, is_low_confidence, prepare_image
from . import ExtractOptions, Extraction, register

# Larger images are refused as possible decompression bombs (an A1 sheet at 300 dpi is 70 MP).
MAX_IMAGE_PIXELS = 100_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
# A multi-page TIFF with more frames than this is cut off with a warning.
MAX_FRAMES = 500

_PILLOW_ERRORS = (
    OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError, struct.error, EOFError,
    ZeroDivisionError, OverflowError, MemoryError, zlib.error, UnidentifiedImageError,
)
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_EXIF_DATE = re.compile(r"^\s*(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})")


def _is_heif(path: Path) -> bool:
    """True for HEIC/HEIF files (iPhone photos), which Pillow cannot read."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return False
    return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


def _reason(err: BaseException) -> str:
    """One line describing a Pillow failure, for a person."""
    msg = " ".join(str(err).split()) or type(err).__name__
    if isinstance(err, UnidentifiedImageError):
        return "not a readable image (unknown or damaged format)"
    if "truncated" in msg.lower():
        return f"image file is truncated or damaged ({msg})"
    return f"cannot read image: {msg[:200]}"


def _bomb(path: Path, pixels: int) -> InputFileError:
    return InputFileError(
        str(path), f"image is too large ({pixels:,} pixels): possible decompression bomb"
    )


def _exif_date(im: Image.Image) -> _dt.date | None:
    """EXIF DateTimeOriginal (Exif IFD tag 36867), else DateTime (306), as a date; None if absent
    or unreadable (cameras write '0000:00:00 00:00:00' and worse)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data" is expected from phones
            exif = im.getexif()
            candidates = [exif.get_ifd(0x8769).get(36867), exif.get(306)]
    except Exception:  # broken EXIF must never fail the document
        return None
    for value in candidates:
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        m = _EXIF_DATE.match(value) if isinstance(value, str) else None
        if not m:
            continue
        try:
            d = _dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            continue
        if 1900 <= d.year <= _dt.date.today().year + 1:
            return d
    return None


def _degrees(value: object, ref: object) -> float | None:
    """Decimal degrees from an EXIF GPS (degrees, minutes, seconds) triple and its N/S/E/W reference."""
    try:
        d, m, sec = (float(x) for x in value)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    deg = d + m / 60 + sec / 3600
    return -deg if str(ref).strip().upper() in ("S", "W") else deg


def _exif_facts(im: Image.Image) -> dict:
    """The camera (EXIF Make and Model) and the GPS position ("lat,lon", 6 decimals) where the file
    has them; broken EXIF gives what could be read, never an error."""
    facts: dict = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exif = im.getexif()
            camera = " ".join(str(exif.get(tag) or "").strip("\x00 ") for tag in (0x010F, 0x0110)).strip()
            gps = exif.get_ifd(0x8825)
    except Exception:  # broken EXIF must never fail the document
        return facts
    if camera:
        facts["camera"] = camera[:120]
    lat, lon = _degrees(gps.get(2), gps.get(1)), _degrees(gps.get(4), gps.get(3))
    if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
        facts["gps"] = f"{lat:.6f},{lon:.6f}"
    return facts


_ORIENTATION_OPS = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,), 3: (Image.Transpose.ROTATE_180,), 4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,), 6: (Image.Transpose.ROTATE_270,), 7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _upright(frame: Image.Image) -> Image.Image:
    """The frame turned by its EXIF orientation; unchanged if the orientation tag is broken.

    Pillow's ``exif_transpose`` re-writes the whole EXIF block and fails on malformed tags
    elsewhere in it (found by fuzzing), so then the orientation alone is applied by hand.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ImageOps.exif_transpose(frame)
    except (*_PILLOW_ERRORS, AttributeError):
        pass
    try:
        orientation = int(frame.getexif().get(0x0112, 1))
    except (*_PILLOW_ERRORS, AttributeError):
        return frame
    for op in _ORIENTATION_OPS.get(orientation, ()):
        frame = frame.transpose(op)
    return frame


def _open(path: Path) -> Image.Image:
    """Image.open with the decompression-bomb warning turned into an error."""
    if _is_heif(path):
        raise InputFileError(str(path), "HEIC images are not supported; convert to JPEG")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Corrupt EXIF data": handled by _exif_date
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        m = re.search(r"\((\d+) pixels\)", str(e))
        raise _bomb(path, int(m[1]) if m else 0) from None
    except FileNotFoundError:
        raise InputFileError(str(path), "file not found") from None
    except _PILLOW_ERRORS as e:
        raise InputFileError(str(path), _reason(e)) from None
    return im


def _iter_pages(
    im: Image.Image, path: Path, warn: list[str], for_ocr: bool
) -> Iterator[Image.Image]:
    """Decoded, upright pages one at a time (sized for OCR if ``for_ocr``): every TIFF frame, the
    first frame of anything else. Pillow failures become InputFileError; the caller's are not."""
    try:
        multi = im.format == "TIFF" and getattr(im, "is_animated", False)
    except _PILLOW_ERRORS as e:
        raise InputFileError(str(path), _reason(e)) from None
    seen_offsets: set[int] = set()
    index = 0
    while True:
        try:
            w, h = im.size
            if w * h > MAX_IMAGE_PIXELS:
                raise _bomb(path, w * h)
            offsets = getattr(im, "_frame_pos", None)  # Pillow's TIFF IFD offsets, if exposed
            if multi and isinstance(offsets, list) and index < len(offsets):
                if offsets[index] in seen_offsets:
                    warn.append(f"TIFF frame {index + 1} repeats an earlier frame; stopped there")
                    return
                seen_offsets.add(offsets[index])
            im.load()
            page = _upright(im.copy())
            if for_ocr:
                page = prepare_image(page)
        except ArchiveKitError:
            raise
        except _PILLOW_ERRORS as e:
            where = f" (page {index + 1})" if index else ""
            raise InputFileError(str(path), _reason(e) + where) from None
        yield page
        if not multi:
            return
        index += 1
        if index >= MAX_FRAMES:
            warn.append(f"more than {MAX_FRAMES} TIFF frames; only the first {MAX_FRAMES} read")
            return
        try:
            im.seek(index)
        except EOFError:
            return
        except _PILLOW_ERRORS as e:
            raise InputFileError(str(path), _reason(e) + f" (page {index + 1})") from None


@register("image")
def extract_image(path: Path, options: ExtractOptions) -> Extraction:
    """Extract an image file: pages = frame count, text by OCR if enabled, EXIF date as date_hint."""
    path = Path(path)
    warn: list[str] = []
    results: list[OcrResult] = []
    count = 0
    with _open(path) as im:
        date = _exif_date(im)
        exif = _exif_facts(im)
        if date:
            exif["taken"] = date.isoformat()
        engine = get_engine(options.ocr_engine, options.threads) if options.ocr else None
        for page in _iter_pages(im, path, warn, for_ocr=engine is not None):
            count += 1
            if engine is not None:
                results.append(engine.recognize(page))
            page.close()
    if count == 0:
        raise InputFileError(str(path), "image has no readable frames")
    result = Extraction(text="", pages=count, date_hint=date, warnings=warn, exif=exif)
    if not options.ocr:
        return result
    result.ocr = True
    result.text = "\n\n".join(r.text for r in results if r.text)
    confs = [r.confidence for r in results if r.confidence is not None]
    result.ocr_confidence = sum(confs) / len(confs) if confs else None
    result.low_confidence_pages = [
        i for i, r in enumerate(results, 1) if is_low_confidence(r, options.ocr_engine)
    ]
    result.ocr_pages = [r.layout(i) for i, r in enumerate(results, 1) if r.lines]
    return result
