"""Tesseract engine (Debian ``tesseract-ocr`` + ``tesseract-ocr-chi-sim``), run as a subprocess.

Light (~100 MB, ~1.5 s/page) and good on clean, straight pages; weak on skewed scans.
The only place in archive-kit that starts the tesseract program.
"""
from __future__ import annotations

import csv
import functools
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

from ..errors import ArchiveKitError
from . import OcrEngine, OcrLine, OcrResult, bounding_box, register_engine

LANGS = "chi_sim+eng"
TIMEOUT_S = 180


@functools.lru_cache(maxsize=1)
def _installed_langs() -> frozenset[str]:
    """Languages tesseract reports, or empty when the program is missing or broken."""
    exe = shutil.which("tesseract")
    if not exe:
        return frozenset()
    try:
        out = subprocess.run(
            [exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    lines = (out.stdout + out.stderr).splitlines()
    return frozenset(l.strip() for l in lines if l.strip() and " " not in l.strip())


def _join_words(words: list[str]) -> str:
    """Join tesseract words: a space only between two Latin/digit words, never next to Chinese."""
    out = ""
    for w in words:
        if out and out[-1].isascii() and out[-1].isalnum() and w[0].isascii() and w[0].isalnum():
            out += " "
        out += w
    return out


def _word_corners(row: dict[str, str]) -> list[tuple[float, float]]:
    """The top-left and bottom-right corners of a TSV word row ([] when its geometry is unreadable)."""
    try:
        left, top, width, height = (float(row[k]) for k in ("left", "top", "width", "height"))
    except (KeyError, TypeError, ValueError):
        return []
    return [(left, top), (left + width, top + height)]


def parse_tsv(tsv: str) -> list[OcrLine]:
    """Turn tesseract's TSV output into lines with the mean word confidence (0..1) and the box
    around their words."""
    lines: dict[tuple[str, str, str, str], tuple[list[str], list[float], list[tuple[float, float]]]] = {}
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5":
            continue
        text = (row.get("text") or "").strip()
        try:
            conf = float(row.get("conf") or -1)
        except ValueError:
            conf = -1.0
        if not text or conf < 0:
            continue
        key = (row["page_num"], row["block_num"], row["par_num"], row["line_num"])
        words, confs, corners = lines.setdefault(key, ([], [], []))
        words.append(text)
        confs.append(conf / 100.0)
        corners.extend(_word_corners(row))
    return [OcrLine(_join_words(w), sum(c) / len(c), bounding_box(p)) for w, c, p in lines.values()]


def _dpi_of(image: Image.Image) -> int:
    """The image's resolution if plausible, else 200 (tesseract guesses badly without one)."""
    try:
        dpi = int(round(float(image.info.get("dpi", (200, 200))[0])))
    except (TypeError, ValueError, IndexError):
        dpi = 200
    return dpi if 70 <= dpi <= 1200 else 200


@register_engine
class TesseractEngine(OcrEngine):
    """``tesseract <png> stdout -l chi_sim+eng --psm 3 tsv`` with OMP_THREAD_LIMIT=threads."""

    name = "tesseract"
    install_hint = "apt-get install tesseract-ocr tesseract-ocr-chi-sim"
    # tesseract's confidences track errors poorly (0.82 on a 5°-skewed page with 57% CER,
    # 0.86 on a noisy one with 5%), so only clearly bad pages are flagged
    low_confidence = 0.6

    @classmethod
    def available(cls) -> bool:
        """True when the tesseract program and its chi_sim and eng models are installed."""
        return {"chi_sim", "eng"} <= _installed_langs()

    def recognize(self, image: Image.Image) -> OcrResult:
        """Write ``image`` as PNG to a temporary file, run tesseract on it and parse the TSV."""
        exe = shutil.which("tesseract")
        if not exe:
            raise ArchiveKitError(f"tesseract is not installed ({self.install_hint})")
        env = dict(os.environ, OMP_THREAD_LIMIT=str(self.threads))
        dpi = _dpi_of(image)
        with tempfile.TemporaryDirectory(prefix="ak-tess-") as tmp:
            png = Path(tmp) / "page.png"
            image.save(png, format="PNG", dpi=(dpi, dpi))
            cmd = [exe, str(png), "stdout", "-l", LANGS, "--psm", "3", "--dpi", str(dpi), "tsv"]
            try:
                proc = subprocess.run(
                    cmd, capture_output=True, env=env, timeout=TIMEOUT_S, check=False
                )
            except subprocess.TimeoutExpired:
                raise ArchiveKitError(f"tesseract took longer than {TIMEOUT_S} s on one page") from None
            except OSError as e:
                raise ArchiveKitError(f"cannot run tesseract: {e}") from None
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ArchiveKitError(
                f"tesseract failed (exit {proc.returncode}): {err[-1] if err else 'no message'}"
            )
        return OcrResult.from_lines(parse_tsv(proc.stdout.decode("utf-8", "replace")), image.size)
