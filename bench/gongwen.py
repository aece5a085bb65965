"""The real-document corpus of issue 11 (``tests/corpus/gongwen``): its truth tables and the fixed split.

The corpus was collected by hand from public sources (``tests/corpus/gongwen/SOURCES.tsv`` names
each file's source); it lives in the repository so that the benchmarks (``bench/metadata.py``,
``bench/classify.py``) and the floor tests measure the same real documents on every machine
(``--corpus`` points the benchmarks elsewhere).

The split is fixed so that rules are developed on one half and checked on the other: the files
of each set sorted by the SHA-256 of their name, the first half (rounded up) is ``dev``, the rest
``held-out``. Adding files to the corpus moves some files between halves; say so when reporting.
"""
from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO / "tests" / "corpus" / "gongwen"
SPLITS = ("dev", "held-out")


def read_truth(corpus: Path, subset: str) -> list[dict[str, str]]:
    """Rows of ``<corpus>/<subset>/truth.tsv`` (tab-separated, a header row), empty cells as ""."""
    path = corpus / subset / "truth.tsv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in rows if row.get("file")]


def hash_order(names) -> list[str]:
    """File names sorted by the SHA-256 of the name: a fixed order that does not follow the names."""
    return sorted(names, key=lambda n: hashlib.sha256(n.encode("utf-8")).hexdigest())


def split_of(names: list[str]) -> dict[str, str]:
    """``dev`` or ``held-out`` for every file name (see the module docstring)."""
    ranked = hash_order(names)
    half = (len(ranked) + 1) // 2
    return {n: ("dev" if i < half else "held-out") for i, n in enumerate(ranked)}


def squash(value: str | None) -> str:
    """A field compared after whitespace normalisation: every whitespace run removed."""
    return re.sub(r"\s+", "", value or "")


def judge(expected: str, got: str | None) -> str:
    """``right`` (equal, both empty included), ``empty`` (a value was expected, none given) or ``wrong``."""
    e, g = squash(expected), squash(got)
    if e == g:
        return "right"
    return "empty" if not g else "wrong"


def tally(outcomes: list[str]) -> dict[str, float | int]:
    """Counts of right / empty / wrong and the accuracy (right / all) of a list of outcomes."""
    n = len(outcomes)
    right = outcomes.count("right")
    return {"n": n, "right": right, "empty": outcomes.count("empty"), "wrong": outcomes.count("wrong"),
            "accuracy": round(right / n, 4) if n else 0.0}
