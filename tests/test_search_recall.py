"""The grep guarantee on generated documents: every substring finds its document, every hit holds the term."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from archive_kit.search import IndexDoc, open_index
from archive_kit.search.analysis import fold
from archive_kit.textnorm import normalize_text
from archive_kit.textnorm import CJK_CLASS
from bench.gen_text import generate

_JOIN_LINES = re.compile(f"(?<=[{CJK_CLASS}\u3000-\u303f\uff00-\uffef])\n(?=[{CJK_CLASS}\u3000-\u303f\uff00-\uffef])")


def _doc(g) -> IndexDoc:  # type: ignore[no-untyped-def]
    return IndexDoc(g.id, "0" * 64, g.title, g.file_name, g.text, g.track, g.criterion, g.year,
                    "pdf", None, None, None, (g.track,), (f"{g.track}:{g.criterion}", g.criterion))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    gens = generate(200, seed=11, chars=600)
    ix = open_index(Path(tmp_path_factory.mktemp("recall")) / "ix")
    ix.add(_doc(g) for g in gens)
    yield ix, gens
    ix.close()


def test_every_substring_of_a_document_finds_that_document(corpus) -> None:  # type: ignore[no-untyped-def]
    ix, gens = corpus
    rng = random.Random(2024)
    misses, checked = [], 0
    while checked < 2000:
        g = rng.choice(gens)
        text = _JOIN_LINES.sub("", normalize_text(g.text))
        n = rng.randint(2, 6)
        start = rng.randrange(0, len(text) - n)
        sub = text[start:start + n]
        if sub != sub.strip() or any(c in sub for c in ' "\n'):
            continue
        checked += 1
        ids = {h.id for h in ix.search(sub, limit=1000).hits}
        if g.id not in ids:
            misses.append(sub)
    assert misses == []


def test_every_hit_contains_the_term_and_total_is_exact(corpus) -> None:  # type: ignore[no-untyped-def]
    ix, gens = corpus
    folded = {g.id: fold(normalize_text(g.title + "\x00" + g.file_name + "\x00" + g.text)) for g in gens}
    for q in ["职工之家", "建职工", "文明单", "家", "工发〔", "号", "创新工作室职工", "小家"]:
        res = ix.search(q, limit=1000)
        want = {i for i, t in folded.items() if fold(q) in t}
        assert {h.id for h in res.hits} == want and res.total == len(want), q
