"""Generators of realistic born-digital evidence: Chinese PDFs (embedded CJK font) and DOCX files.

Used by tests, the demo and the benchmarks, so every one of them works on real files.
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Sequence

from archive_kit.fonts import require_cjk_font

UNIT = "市直机关工委"
NOTICE_BODY = [
    "为深入学习贯彻党的二十大精神，进一步加强机关党的建设，经研究，决定在全市直属机关开展志愿服务活动。现将有关事项通知如下：",
    "一、活动主题。以“奉献、友爱、互助、进步”为主题，组织党员干部深入社区开展志愿服务。",
    "二、活动时间。2023年3月至12月，每月第一个星期五为集中服务日。",
    "三、工作要求。各党支部要高度重视，认真组织，做好活动记录和台账资料的收集整理工作。",
]
PHRASES = [
    "三会一课", "主题党日", "志愿服务", "道德讲堂", "职工之家", "职工书屋", "困难职工帮扶", "文明创建",
    "理论学习中心组", "廉政教育", "民主生活会", "组织生活会", "职工代表大会", "厂务公开", "文明礼仪",
    "学雷锋", "党风廉政建设", "谈心谈话", "发展党员", "党费收缴", "文体活动", "劳动竞赛", "健康体检",
]
SENTENCES = [
    "各部门要提高政治站位，把{p}作为一项重要政治任务抓紧抓实。",
    "会议传达学习了上级关于{p}的文件精神，并结合实际研究部署了下一阶段工作。",
    "本年度共组织开展{p}活动{n}次，参与干部职工{m}人次，取得了良好成效。",
    "要建立健全{p}工作长效机制，确保各项任务落到实处。",
    "对照测评体系要求，认真梳理{p}方面存在的问题和不足，制定整改措施。",
    "{u}召开专题会议，研究{p}有关事项，形成会议纪要。",
]


def _font(pdf) -> str:
    """Register the CJK TrueType font with fpdf2 and return its family name."""
    pdf.add_font("cjk", "", str(require_cjk_font()))
    return "cjk"


def make_pdf(path: Path, title: str, paragraphs: Sequence[str], *, doc_number: str | None = None,
             signer: str | None = UNIT, date_text: str | None = "2023年3月5日", pages: int = 1) -> Path:
    """A born-digital Chinese PDF laid out like an official document, CJK font embedded."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    family = _font(pdf)
    for page in range(pages):
        pdf.add_page()
        if page == 0:
            if doc_number:
                pdf.set_font(family, size=12)
                pdf.cell(0, 10, doc_number, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(family, size=18)
            pdf.multi_cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, size=12)
        for para in paragraphs:
            pdf.multi_cell(0, 8, para, new_x="LMARGIN", new_y="NEXT")
        if page == pages - 1:
            pdf.ln(10)
            for line in (signer, date_text):
                if line:
                    pdf.cell(0, 8, line, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def make_docx(path: Path, title: str, paragraphs: Sequence[str], *, doc_number: str | None = None,
              signer: str | None = UNIT, date_text: str | None = "2023年3月5日",
              table: Sequence[Sequence[str]] | None = None) -> Path:
    """A DOCX official document with a Title-styled heading and optionally a table."""
    import docx

    d = docx.Document()
    if doc_number:
        d.add_paragraph(doc_number)
    d.add_heading(title, level=0)
    for para in paragraphs:
        d.add_paragraph(para)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    for line in (signer, date_text):
        if line:
            d.add_paragraph(line)
    d.save(str(path))
    return path


def random_paragraphs(rng: random.Random, n: int) -> list[str]:
    """``n`` paragraphs of realistic campaign-report Chinese."""
    out = []
    for _ in range(n):
        sents = [rng.choice(SENTENCES).format(p=rng.choice(PHRASES), n=rng.randint(2, 30),
                                              m=rng.randint(20, 900), u=UNIT) for _ in range(rng.randint(3, 7))]
        out.append("".join(sents))
    return out


def make_corpus(folder: Path, n: int, *, seed: int = 1, pages: tuple[int, int] = (1, 5),
                kinds: tuple[str, ...] = ("pdf", "docx")) -> list[Path]:
    """``n`` born-digital documents, taking turns among ``kinds`` (PDF and DOCX), 1–5 pages of Chinese each."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        p = rng.choice(PHRASES)
        year = rng.choice([2022, 2023, 2024])
        title = f"关于开展{p}工作的通知（第{i + 1}号）"
        number = f"市直工委发〔{year}〕{i + 1}号"
        n_pages = rng.randint(*pages)
        paras = random_paragraphs(rng, 3 * n_pages)
        date_text = f"{year}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"
        if kinds[i % len(kinds)] == "docx":
            out.append(make_docx(folder / f"doc{i:05d}.docx", title, paras, doc_number=number, date_text=date_text))
        else:
            out.append(make_pdf(folder / f"doc{i:05d}.pdf", title, paras, doc_number=number, date_text=date_text,
                                pages=1))
    return out
