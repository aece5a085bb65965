"""Render a real official document's text (corpus ``gongwen/official``) as the files a unit keeps:
a DOCX and a born-digital PDF in the GB/T 9704 layout, and an image-only scan of the PDF.

The wording is the real document's: the title, 文号, issuing body and date come from the truth
table, the body and what follows the signature (attachments, 此件公开发布) from the stored text,
with the web page's own lines (发布日期, 浏览次数, 来源 ...) left out. Layout after GB/T 9704-2012:
red 发文机关标志 (the issuing body's name, with or without 文件), the 文号 centred under it, a red
rule, the title in a large bold face (wrapped like a printed title when long), the 主送机关 and
body, then the issuing body and the date right-aligned, a red seal over them on some documents.

Each document gets fixed variations from a hash of its file name, so every run renders the same
files: the header with or without 文件, a DOCX title on several paragraphs or one paragraph with
line breaks, the Title style or not, and the document-info title real PDFs carry (none, reportlab's
``untitled``, ``Microsoft Word - 文档1.docx``, a web page title with the site name appended,
``PowerPoint 演示文稿``, or the real title). Everything is written to a temporary folder by the
benchmark and never committed.
"""
from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from archive_kit.dates import parse_date
from archive_kit.fonts import require_cjk_font

RED = (230, 0, 18)
# lines a web page adds around the document: publication data, counters, sharing, editors
_CHROME_RE = re.compile(
    r"^(?:[-•·*]\s*)?(?:发布日期|发布时间|发布机构|发布人|来源|信息来源|文章来源|浏览|点击|访问次数|索引号|主题分类|"
    r"组配分类|信息分类|生成日期|发文日期|成文日期|废止时间|生效时间|名称|文号|有效性|字体|分类标识|是否同意公开|编辑|"
    r"作者|审核|校对|收藏|打印|正文|文件正文|更新时间|中央政府门户网站|政务服务|关键词|内容概述|浏览量|发布机关|"
    r"[•·]|【全媒体记者|通讯员|活动现场|文章来源)"
)
_TIMESTAMP_RE = re.compile(r"\d{1,2}:\d{2}")
_JUNK_INFO_TITLES = (None, "untitled", "Microsoft Word - 文档1.docx", "web", "PowerPoint 演示文稿", "title")
TITLE_CHARS_PER_LINE = 20


@dataclass
class Layout:
    """What is printed, in order, and the fixed variations of one rendered document."""

    name: str
    authors: list[str]
    doc_number: str
    title_lines: list[str]
    body: list[str]              # salutation first when the document has one
    date_text: str
    tail: list[str]              # after the date: 此件公开发布, attachments
    header_suffix: bool          # 发文机关标志 written "XX文件" (else the bare name)
    title_one_paragraph: bool    # DOCX: the title's lines joined by line breaks in one paragraph
    title_style: bool            # DOCX: the title paragraph(s) in Word's Title style
    seal: bool
    info_title: str | None       # the PDF's document-info title
    scan_body_chars: int = 300   # a scan keeps a short body so the signature stays on its first page
    extra: dict = field(default_factory=dict)


def _bits(name: str) -> int:
    return int(hashlib.sha256(("layout:" + name).encode("utf-8")).hexdigest(), 16)


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def wrap_title(title: str, width: int = TITLE_CHARS_PER_LINE) -> list[str]:
    """A long title on lines of about equal length, broken where a typesetter would break it.

    Good places: after the issuing body (before 关于), after 关于/印发/转发, around 《》, after 、，;
    never inside a run of digits or letters, never before closing punctuation, and 的通知 stays whole.
    """
    if len(title) <= width:
        return [title] if title else []
    n = math.ceil(len(title) / width)
    lines, start = [], 0
    for k in range(1, n):
        ideal = start + round((len(title) - start) / (n - k + 1))
        best, best_cost = ideal, None
        for pos in range(max(start + 4, ideal - 5), min(len(title) - 3, ideal + 5) + 1):
            before, after = title[pos - 1], title[pos]
            if (before.isascii() and before.isalnum() and after.isascii() and after.isalnum()) or \
                    after in "》”’）)〕」、，。：" or title[pos:].startswith(("通知", "的通知"[1:])) or before == "的":
                continue
            cost = abs(pos - ideal)
            if title[pos:].startswith("关于") or title[:pos].endswith(("关于", "印发", "转发", "》", "、", "，")) \
                    or after == "《":
                cost -= 3
            if best_cost is None or cost < best_cost:
                best, best_cost = pos, cost
        lines.append(title[start:best])
        start = best
    lines.append(title[start:])
    return lines


def _is_chrome(line: str) -> bool:
    return bool(_CHROME_RE.match(line)) or (bool(_TIMESTAMP_RE.search(line)) and len(line) < 40 and
                                            any(parse_date(m) for m in re.findall(r"\d{4}[-年./]\S+?(?=\s|$)", line)))


def layout_from_text(name: str, text: str, truth: dict[str, str]) -> Layout:
    """Split a stored official document into header, title, body, signature and what follows."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    authors = [a for a in truth["author"].split("、") if a] if truth["author"] else []
    title, number, iso = _squash(truth["title"]), _squash(truth["doc_number"]), truth["date"]
    author_marks = {_squash(a) for a in authors} | ({_squash("".join(authors))} if authors else set())

    def dated(line: str) -> bool:
        d = parse_date(line.strip("()（） "))
        return d is not None and d.isoformat() == iso

    def heading(line: str) -> bool:
        sq = _squash(line)
        return (_is_chrome(line) or (len(sq) >= 4 and sq in title) or bool(title and title in sq)
                or bool(number and number in sq) or sq in author_marks or dated(line))

    # the body starts at the salutation (主送机关) when one comes before any sentence, else after the
    # heading lines (title, 文号, issuing body, a date under the title, the web page's lines)
    start = None
    for i, ln in enumerate(lines[:20]):
        if "。" in ln:
            break
        if ln.endswith((":", "：")) and len(ln) <= 80 and not ln.startswith("附") and not _is_chrome(ln):
            start = i
            break
    if start is None:
        first_sentence = next((i for i, ln in enumerate(lines) if "。" in ln), len(lines))
        start = 1 + max((i for i in range(min(12, first_sentence)) if heading(lines[i])), default=-1)
    end = after = len(lines)
    date_text = ""
    for i in range(start + 1, len(lines)):
        if iso and dated(lines[i]):
            end, after, date_text = i, i + 1, lines[i].strip("()（） ").replace(" ", "")
            break
        if not iso and _squash(lines[i]) in author_marks and i >= len(lines) - 6:
            end = after = i + 1
            break
    if iso and not date_text:
        y, m, d = (int(x) for x in iso.split("-"))
        date_text = f"{y}年{m}月{d}日"
    # the signature right above the date is printed by the renderer, from the truth
    while end > start and (_squash(lines[end - 1]) in author_marks or _squash(lines[end - 1]).strip("()（）") in ("盖章", "印章")):
        end -= 1
    body = [ln for ln in lines[start:end] if not _is_chrome(ln)]
    tail: list[str] = []
    skip = False
    for ln in lines[after:]:
        if _is_chrome(ln):
            skip = ln.endswith((":", "："))   # a label whose value is on the next line
            continue
        if not skip:
            tail.append(ln)
        skip = False
    bits = _bits(name)
    info = _JUNK_INFO_TITLES[(bits >> 4) % len(_JUNK_INFO_TITLES)]
    if info == "web":
        info = f"{truth['title']} - {(authors[0] if authors else '政务')}门户网站" if truth["title"] else None
    elif info == "title":
        info = truth["title"] or None
    return Layout(
        name=name, authors=authors, doc_number=truth["doc_number"], title_lines=wrap_title(truth["title"]),
        body=body, date_text=date_text, tail=tail, header_suffix=bool(bits & 1), title_one_paragraph=bool(bits & 2),
        title_style=bool(bits & 4), seal=bool(bits & 8) and bool(authors), info_title=info,
    )


# ---------------------------------------------------------------- PDF


def make_pdf(layout: Layout, path: Path, *, short: bool = False) -> dict:
    """A born-digital A4 PDF of ``layout``; returns where the seal sits (page, x, y in mm) for a scan.

    ``short`` keeps only the first ``scan_body_chars`` characters of the body and no attachment,
    for scans (one or two pages).
    """
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_margins(28, 37, 26)
    pdf.set_auto_page_break(True, margin=35)
    pdf.add_font("cjk", "", str(require_cjk_font()))
    if layout.info_title:
        pdf.set_title(layout.info_title)
    pdf.add_page()
    width = 210 - 28 - 26
    y = 37.0
    if layout.authors:
        pdf.set_text_color(*RED)
        size = 30 if max(len(a) for a in layout.authors) <= 12 else 22
        pdf.set_font("cjk", size=size)
        _fake_bold(pdf, True, RED)
        line_h = size * 0.3528 * 1.25
        if layout.header_suffix and len(layout.authors) > 1:
            block_w = max(pdf.get_string_width(a) for a in layout.authors)
            x0 = 28 + (width - block_w - pdf.get_string_width("文件") - 4) / 2
            for a in layout.authors:
                y += line_h
                pdf.text(x0 + (block_w - pdf.get_string_width(a)) / 2, y, a)
            pdf.text(x0 + block_w + 4, y - (len(layout.authors) - 1) * line_h / 2, "文件")
        else:
            names = layout.authors if not layout.header_suffix else [layout.authors[0] + "文件"]
            for a in names:
                y += line_h
                while pdf.get_string_width(a) > width and pdf.font_size_pt > 12:
                    pdf.set_font("cjk", size=pdf.font_size_pt - 2)
                pdf.text(28 + (width - pdf.get_string_width(a)) / 2, y, a)
        _fake_bold(pdf, False)
        y += 8
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("cjk", size=16)
    if layout.doc_number:
        y += 10
        pdf.text(28 + (width - pdf.get_string_width(layout.doc_number)) / 2, y, layout.doc_number)
    if layout.authors or layout.doc_number:
        y += 5
        pdf.set_draw_color(*RED)
        pdf.set_line_width(0.6)
        pdf.line(28, y, 28 + width, y)
    y += 12
    pdf.set_y(y)
    if layout.title_lines:
        pdf.set_font("cjk", size=22)
        _fake_bold(pdf, True, (0, 0, 0))
        for line in layout.title_lines:
            pdf.cell(0, 11, line, align="C", new_x="LMARGIN", new_y="NEXT")
        _fake_bold(pdf, False)
        pdf.ln(6)
    pdf.set_font("cjk", size=16)
    body, used = [], 0
    for k, para in enumerate(layout.body):
        if short and used > layout.scan_body_chars and k > 0:
            break
        body.append(para)
        used += len(para)
    for k, para in enumerate(body):
        indent = "" if k == 0 and para.endswith((":", "：")) else "\u3000\u3000"
        pdf.multi_cell(0, 8.5, indent + para, new_x="LMARGIN", new_y="NEXT")
    seal = {}
    if layout.authors or layout.date_text:
        pdf.ln(10)
        if pdf.get_y() > 297 - 35 - 8.5 * (len(layout.authors) + 1):
            pdf.add_page()
        top = pdf.get_y()
        for a in layout.authors:
            pdf.cell(width - 16, 8.5, a, align="R", new_x="LMARGIN", new_y="NEXT")
        if layout.date_text:
            pdf.cell(width - 16, 8.5, layout.date_text, align="R", new_x="LMARGIN", new_y="NEXT")
        if layout.seal:
            cx, cy = 28 + width - 16 - 25, (top + pdf.get_y()) / 2
            _draw_seal(pdf, cx, cy)
            seal = {"page": pdf.page_no() - 1, "x": cx, "y": cy, "name": layout.authors[0]}
    if layout.tail and not short:
        pdf.add_page()
        for para in layout.tail:
            pdf.multi_cell(0, 8.5, para, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return seal


def _fake_bold(pdf, on: bool, colour: tuple[int, int, int] = (0, 0, 0)) -> None:
    """Bold as Word draws it for a font without a bold face: the glyphs filled and stroked."""
    if on:
        pdf.set_draw_color(*colour)
        pdf.set_line_width(0.25)
        pdf.text_mode = "FILL_STROKE"
    else:
        pdf.text_mode = "FILL"


def _draw_seal(pdf, cx: float, cy: float, r: float = 21.0) -> None:
    """A red official seal (ring and star, no text layer) centred on the signature."""
    pdf.set_draw_color(*RED)
    pdf.set_line_width(1.0)
    pdf.circle(x=cx, y=cy, radius=r, style="D")
    pts = []
    for k in range(10):
        rad = (6.0 if k % 2 == 0 else 2.4)
        ang = -math.pi / 2 + k * math.pi / 5
        pts.append((cx + rad * math.cos(ang), cy + rad * math.sin(ang)))
    pdf.set_fill_color(*RED)
    pdf.polygon(pts, style="F")


# ---------------------------------------------------------------- DOCX


def make_docx(layout: Layout, path: Path) -> None:
    """A DOCX of ``layout`` as a unit's Word file: red header (a table for a joint 文件 header),
    文号, red rule, title, body, signature and date right-aligned, attachments after a page break."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    d = docx.Document()
    sec = d.sections[0]
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    d.core_properties.title = layout.info_title or ""

    def run(par, text: str, size: float, *, bold: bool = False, red: bool = False, font: str = "仿宋_GB2312"):
        r = par.add_run(text)
        r.font.size = Pt(size)
        r.font.bold = bold
        r.font.name = font
        r._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
        if red:
            r.font.color.rgb = RGBColor(*RED)
        return r

    def para(text: str = "", size: float = 16, align=None, **kw):
        p = d.add_paragraph()
        if align is not None:
            p.alignment = align
        if text:
            run(p, text, size, **kw)
        return p

    if layout.authors:
        if layout.header_suffix and len(layout.authors) > 1:
            t = d.add_table(rows=len(layout.authors), cols=2)
            for i, a in enumerate(layout.authors):
                cell = t.cell(i, 0)
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.DISTRIBUTE
                run(cell.paragraphs[0], a, 26, bold=True, red=True, font="方正小标宋简体")
            merged = t.cell(0, 1).merge(t.cell(len(layout.authors) - 1, 1))
            run(merged.paragraphs[0], "文件", 36, bold=True, red=True, font="方正小标宋简体")
        else:
            names = layout.authors if not layout.header_suffix else [layout.authors[0] + "文件"]
            for a in names:
                para(a, 30 if len(a) <= 12 else 22, WD_ALIGN_PARAGRAPH.CENTER, bold=True, red=True,
                     font="方正小标宋简体")
        para()
    rule = para(layout.doc_number, 16, WD_ALIGN_PARAGRAPH.CENTER)
    if layout.authors or layout.doc_number:
        pbdr = OxmlElement("w:pBdr")
        bottom = OxmlElement("w:bottom")
        for k, v in (("w:val", "single"), ("w:sz", "18"), ("w:space", "6"), ("w:color", "E60012")):
            bottom.set(qn(k), v)
        pbdr.append(bottom)
        rule._p.get_or_add_pPr().append(pbdr)
    para()
    if layout.title_lines:
        groups = [layout.title_lines] if layout.title_one_paragraph else [[ln] for ln in layout.title_lines]
        for group in groups:
            p = d.add_paragraph(style="Title" if layout.title_style else None)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for k, line in enumerate(group):
                r = run(p, line, 22, bold=True, font="方正小标宋简体")
                r.font.color.rgb = RGBColor(0, 0, 0)
                if k < len(group) - 1:
                    r.add_break(WD_BREAK.LINE)
        para()
    for k, text in enumerate(layout.body):
        p = para(text, 16)
        if not (k == 0 and text.endswith((":", "："))):
            p.paragraph_format.first_line_indent = Pt(32)
    if layout.authors or layout.date_text:
        para()
        para()
        for a in layout.authors:
            para(a, 16, WD_ALIGN_PARAGRAPH.RIGHT).paragraph_format.right_indent = Pt(64)
        if layout.date_text:
            para(layout.date_text, 16, WD_ALIGN_PARAGRAPH.RIGHT).paragraph_format.right_indent = Pt(64)
    if layout.tail:
        d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        for text in layout.tail:
            para(text, 16)
    d.save(str(path))


# ---------------------------------------------------------------- scan


def make_scan(pdf_path: Path, out: Path, seal: dict, *, dpi: int = 200, seed: int = 0) -> Path:
    """An image-only PDF of ``pdf_path`` as a colour scanner makes it: each page rendered to PNG at
    ``dpi``, the red seal stamped over the signature with its ring text, slightly rotated, grainy."""
    import img2pdf
    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    doc = pdfium.PdfDocument(str(pdf_path))
    rng = np.random.default_rng(seed)
    blobs = []
    try:
        for i in range(len(doc)):
            page = doc[i].render(scale=dpi / 72).to_pil().convert("RGB")
            if seal and seal.get("page") == i:
                px = dpi / 25.4
                stamp = Image.new("RGBA", page.size, (0, 0, 0, 0))
                draw = ImageDraw.Draw(stamp)
                cx, cy, r = seal["x"] * px, seal["y"] * px, 21 * px
                draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=RED + (200,), width=int(px))
                font = ImageFont.truetype(str(require_cjk_font()), int(4.2 * px))
                name = seal["name"]
                span = min(math.radians(250), math.radians(24) * len(name))
                for k, ch in enumerate(name):
                    ang = -math.pi / 2 - span / 2 + span * (k + 0.5) / len(name)
                    glyph = Image.new("RGBA", (int(6 * px), int(6 * px)), (0, 0, 0, 0))
                    ImageDraw.Draw(glyph).text((int(0.9 * px), int(0.6 * px)), ch, font=font, fill=RED + (200,))
                    glyph = glyph.rotate(-math.degrees(ang) - 90, resample=Image.Resampling.BICUBIC)
                    gx, gy = cx + 0.78 * r * math.cos(ang), cy + 0.78 * r * math.sin(ang)
                    stamp.alpha_composite(glyph, (int(gx - glyph.width / 2), int(gy - glyph.height / 2)))
                star = [(cx + (6 if k % 2 == 0 else 2.4) * px * math.cos(-math.pi / 2 + k * math.pi / 5),
                         cy + (6 if k % 2 == 0 else 2.4) * px * math.sin(-math.pi / 2 + k * math.pi / 5))
                        for k in range(10)]
                draw.polygon(star, fill=RED + (200,))
                page = Image.alpha_composite(page.convert("RGBA"), stamp).convert("RGB")
            page = page.rotate(0.4, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
            arr = np.asarray(page, dtype=np.float32) + rng.normal(0.0, 7.0, (page.height, page.width, 1))
            page = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB").filter(ImageFilter.GaussianBlur(0.5))
            buf = io.BytesIO()
            page.save(buf, format="PNG", dpi=(dpi, dpi))
            blobs.append(buf.getvalue())
    finally:
        doc.close()
    out.write_bytes(img2pdf.convert(blobs))
    return out
