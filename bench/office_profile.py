"""What a fresh LibreOffice profile costs per conversion, against reusing one (the old slot scheme).

Converts the same DOCX N times each way, interleaved so load from other processes hits both
alike: soffice with a new profile folder every time, and soffice with one profile reused (both
with archive-kit's locked-down settings and network namespace); then N times through
``office.convert_to_pdf`` itself (private folder, link cutting, the process's profile reused
with its settings written anew).
Usage: python bench/office_profile.py [--runs N] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: bench.*, this archive_kit

from archive_kit import office  # noqa: E402
from bench.gen_docs import NOTICE_BODY, make_docx  # noqa: E402


def soffice_once(src: Path, profile: Path, out: Path) -> float:
    """Seconds for one soffice conversion with ``profile`` (seeded with the locked-down settings if new)."""
    registry = profile / "user" / "registrymodifications.xcu"
    if not registry.exists():
        registry.parent.mkdir(parents=True)
        registry.write_text(office._registry(office.LOCKDOWN_SETTINGS), "utf-8")
    cmd = [*office.no_network_prefix(), office.soffice_path(), f"-env:UserInstallation={profile.as_uri()}",
           "--headless", "--norestore", "--convert-to", "pdf", "--outdir", str(out), str(src)]
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True, env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"})
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=12)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if office.soffice_path() is None:
        sys.exit("LibreOffice is not installed")
    with tempfile.TemporaryDirectory(prefix="ak-bench-office-") as tmp:
        tmp_path = Path(tmp)
        src = make_docx(tmp_path / "notice.docx", "关于开展志愿服务活动的通知", NOTICE_BODY)
        reused = tmp_path / "reused"
        soffice_once(src, reused, tmp_path)  # the first start fills the reused profile
        fresh_s, reused_s, pipeline_s = [], [], []
        for i in range(args.runs):
            fresh_s.append(soffice_once(src, tmp_path / f"fresh{i}", tmp_path))
            reused_s.append(soffice_once(src, reused, tmp_path))
            start = time.perf_counter()
            office.convert_to_pdf(src, tmp_path / "pipeline")
            pipeline_s.append(time.perf_counter() - start)
    result = {"runs": args.runs, "cores": os.cpu_count(), "namespace": bool(office.no_network_prefix()),
              "fresh_profile_median_s": round(statistics.median(fresh_s), 3),
              "reused_profile_median_s": round(statistics.median(reused_s), 3),
              "convert_to_pdf_median_s": round(statistics.median(pipeline_s), 3)}
    result["fresh_extra_s"] = round(result["fresh_profile_median_s"] - result["reused_profile_median_s"], 3)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:26} {value}")


if __name__ == "__main__":
    main()
