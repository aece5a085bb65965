"""atheris (libFuzzer) harness for the extractors, the manifest reader and the schema loader.

    .venv/bin/pip install atheris
    FUZZ_TARGET=pdf .venv/bin/python fuzz/fuzz_targets.py -max_total_time=300 fuzz/corpus-pdf

FUZZ_TARGET is one of pdf, docx, image, manifest, schema. Any exception other than
ArchiveKitError is a crash: libFuzzer stops and writes the input to ``crash-<sha1>``; replay it
with the same command and the file as the only argument, then add it as a regression test.
The corpus folder is seeded from fuzz/seeds.py on first run.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import atheris  # noqa: E402

with atheris.instrument_imports():
    from archive_kit.errors import ArchiveKitError
    from archive_kit.extract import ExtractOptions, extract
    from archive_kit.ingest.manifest import read_manifest
    from archive_kit.criteria.loader import load_schema_text

TARGET = os.environ.get("FUZZ_TARGET", "pdf")
SUFFIX = {"pdf": ".pdf", "docx": ".docx", "image": ".png", "manifest": ".csv"}
WORK = Path(tempfile.mkdtemp(prefix="archive-kit-fuzz-"))
NO_OCR = ExtractOptions(ocr=False)


def one_input(data: bytes) -> None:
    """Feed one input to the chosen target; ArchiveKitError is the only accepted failure."""
    try:
        if TARGET == "schema":
            load_schema_text(data.decode("utf-8", "replace"), "fuzz.yaml")
            return
        path = WORK / f"input{SUFFIX[TARGET]}"
        path.write_bytes(data)
        if TARGET == "manifest":
            read_manifest(path)
        else:
            extract(path, TARGET, NO_OCR)
    except ArchiveKitError:
        pass


def seed_corpus(folder: Path) -> None:
    """Write the real seeds for this target into an empty corpus folder."""
    from fuzz.seeds import seed_bytes

    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()) or TARGET not in ("pdf", "docx", "image"):
        return
    for i, data in enumerate(seed_bytes(WORK)[TARGET]):
        (folder / f"seed-{i}").write_bytes(data)


def main() -> None:
    """Seed the corpus folder (first non-flag argument), then hand over to libFuzzer."""
    dirs = [a for a in sys.argv[1:] if not a.startswith("-") and not Path(a).is_file()]
    if dirs:
        seed_corpus(Path(dirs[0]))
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
