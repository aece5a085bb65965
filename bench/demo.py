"""``make demo``: a small realistic evidence set run through archive-kit as an archivist would.

Generates a Chinese PDF notice, a DOCX sign-in sheet, a scanned page and an event photo in the
folder convention, then runs init → ingest → list → review → search → number → listing → bundle.
"""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the repository root: bench.*, this archive_kit

from bench.gen_docs import NOTICE_BODY, make_docx, make_pdf  # noqa: E402
from bench.gen_scans import SAMPLE_TEXTS, make_photo, make_scanned_pdf, render_text_page  # noqa: E402

OUT = ROOT / "demo-out"


def make_samples(inbox: Path) -> None:
    """Write the sample evidence in the `<track>/<year>/<criterion>/` convention."""
    volunteer = inbox / "文明单位" / "2023" / "2 学雷锋志愿服务"
    party = inbox / "党建" / "2023" / "3.2.1 三会一课"
    loose = inbox / "未分类"
    for folder in (volunteer, party, loose):
        folder.mkdir(parents=True, exist_ok=True)
    make_pdf(volunteer / "关于开展学雷锋志愿服务活动的通知.pdf", "关于开展学雷锋志愿服务活动的通知", NOTICE_BODY,
             doc_number="市直工委发〔2023〕12号", date_text="二〇二三年三月五日")
    make_docx(volunteer / "志愿服务活动签到表.docx", "学雷锋志愿服务活动签到表",
              ["活动时间：2023年3月10日", "活动地点：新华社区"],
              table=[["序号", "姓名", "部门", "签名"], ["1", "张三", "办公室", "张三"], ["2", "李四", "组织科", "李四"]],
              date_text="2023年3月10日")
    text = list(SAMPLE_TEXTS.values())[1]
    make_scanned_pdf(party / "党支部委员会会议记录（扫描件）.pdf", [render_text_page(text, noise=0.1, skew_deg=1.5)])
    make_photo(loose / "职工书屋读书分享会.jpg", exif_date=dt.datetime(2023, 4, 23, 15, 30), orientation=None,
               with_text=None)


def run(*args: str) -> None:
    """Show and run one archive-kit command."""
    cmd = [sys.executable, "-m", "archive_kit", "--root", str(OUT / "archive"), *args]
    print(f"\n$ archive-kit {' '.join(args)}", flush=True)
    subprocess.run(cmd, cwd=ROOT)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=f"Writes into {OUT}.").parse_args()
    if OUT.exists():
        shutil.rmtree(OUT)
    inbox = OUT / "台账资料"
    make_samples(inbox)
    print(f"Sample evidence written to {inbox}")
    run("init", "--fonds", "J001", "--unit", "示范市直机关工委")
    run("doctor")
    run("ingest", str(inbox))
    run("list")
    run("review")
    run("tag", "4", "--link", "文明单位:6.2")  # the reading event counts for 文明单位 too
    run("search", "志愿服务")
    run("search", "三会一课", "--year", "2023")
    run("search", "〔2023〕12号")
    run("number", "--year", "2023")
    run("coverage", "--track", "文明单位", "--year", "2023")
    run("listing", "--format", "xlsx", "--out", str(OUT / "归档文件目录.xlsx"), "--year", "2023")
    run("bundle", "--track", "文明单位", "--year", "2023", "--out", str(OUT / "迎检资料-文明单位-2023"))
    run("verify")
    print(f"\nEverything the demo made is in {OUT}")


if __name__ == "__main__":
    main()
