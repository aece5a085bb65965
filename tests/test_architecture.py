"""The library's shape, checked: what extraction workers import."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.gen_docs import NOTICE_BODY, make_docx, make_pdf

ROOT = Path(__file__).resolve().parent.parent

# Runs the extraction entry point (what an ingest worker process runs for each file) on real
# files in a fresh interpreter, then reports which of the schema loader's libraries got imported.
_EXTRACT_SCRIPT = """
import json, sys
from archive_kit.extract import ExtractOptions
from archive_kit.ingest.analyse import analyse

texts = []
for path, fmt in json.loads(sys.argv[1]):
    extraction, meta = analyse(path, fmt, ExtractOptions(ocr=False), path.rsplit("/", 1)[-1])
    texts.append(extraction.text)
print(json.dumps({"texts": texts, "loaded": sorted(m for m in ("yaml", "jsonschema") if m in sys.modules)}))
"""


def test_extraction_workers_import_neither_yaml_nor_jsonschema(tmp_path: Path) -> None:
    """Only ``criteria.loader`` reads YAML schemas; extracting a born-digital PDF or DOCX needs
    neither YAML nor JSON Schema. (An OCR engine's own dependencies are its business: RapidOCR
    reads its model config with YAML, so scans are not part of this check.)"""
    pdf = make_pdf(tmp_path / "通知.pdf", "关于开展志愿服务活动的通知", NOTICE_BODY,
                   doc_number="市直工委发〔2023〕12号", date_text="二〇二三年三月五日")
    docx = make_docx(tmp_path / "签到表.docx", "志愿服务活动签到表", ["活动时间：2023年3月10日"],
                     date_text="2023年3月10日")
    files = json.dumps([[str(pdf), "pdf"], [str(docx), "docx"]])
    proc = subprocess.run([sys.executable, "-c", _EXTRACT_SCRIPT, files], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert "志愿服务" in result["texts"][0] and "签到表" in result["texts"][1], "the files were really extracted"
    assert result["loaded"] == [], f"extraction imported {result['loaded']}"
