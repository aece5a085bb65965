"""Generate realistic test material: scanned official-document pages, image-only PDFs, phone photos.

Used by the OCR tests and by ``bench/ocr_accuracy.py``; everything is deterministic per ``seed``.
"""
from __future__ import annotations

import datetime as _dt
import io
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from archive_kit.fonts import find_cjk_font, require_cjk_font

# First line: title; a line with 〔year〕 is the document number; the last two short lines are
# the issuing body and signing date (right-aligned); other lines are body paragraphs.
SAMPLE_TEXTS: dict[str, str] = {
    "volunteer": (
        "关于开展学雷锋志愿服务月活动的通知\n"
        "渝工发〔2023〕35号\n"
        "各基层工会：\n"
        "为深入学习宣传雷锋精神，推动志愿服务制度化常态化，经研究，决定在全市职工中开展学雷锋"
        "志愿服务月活动。现将有关事项通知如下。\n"
        "一、活动时间：二〇二三年三月一日至三月三十一日。\n"
        "二、活动内容：组织职工志愿者走进社区，开展文明交通劝导、环境卫生整治、关爱空巢老人和"
        "留守儿童等志愿服务，每名志愿者服务时长不少于八小时。\n"
        "三、工作要求：各单位要加强组织领导，做好活动记录和照片留存，于四月十日前报送总结材料。\n"
        "重庆市总工会\n"
        "二〇二三年三月五日"
    ),
    "three_meetings": (
        "第一党支部二〇二三年第二季度三会一课计划\n"
        "机党发〔2023〕12号\n"
        "为严格落实三会一课制度，增强支部政治功能和组织力，结合本支部实际，制定本季度计划。\n"
        "一、支部党员大会：六月二十日召开，学习习近平新时代中国特色社会主义思想主题教育相关"
        "文件，讨论发展党员事项。\n"
        "二、支委会：每月第一周召开，研究党员教育管理、党费收缴和主题党日安排。\n"
        "三、党小组会：每月组织一次，开展批评与自我批评，交流学习心得。\n"
        "四、党课：七月一日前由支部书记讲专题党课，全体党员参加并做好学习笔记。\n"
        "中共某某局机关第一支部委员会\n"
        "二〇二三年四月三日"
    ),
    "workers_home": (
        "关于建设模范职工之家的实施方案\n"
        "工会字〔2024〕8号\n"
        "为进一步加强基层工会建设，把工会组织建设成为职工信赖的职工之家，根据上级工会有关要求，"
        "制定本方案。\n"
        "一、目标任务：健全职工代表大会制度，完善职工书屋、健身活动室和爱心驿站，开展困难职工"
        "帮扶和节日慰问，年度职工满意度达到百分之九十以上。\n"
        "二、主要措施：每季度召开一次工会委员会会议，每年举办职工运动会和读书分享活动，建立"
        "职工意见建议台账并及时反馈。\n"
        "某某公司工会委员会\n"
        "二〇二四年二月二十八日"
    ),
}

_SERIF = [
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
]
_SERIF_BOLD = [
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
]
_DOCNO = re.compile(r"〔\d{4}〕\d+号$")
_DATE_LINE = re.compile(r"^[〇零一二三四五六七八九十\d]{4}年.{1,3}月.{1,3}日$")


def _font(candidates: list[Path], px: int) -> ImageFont.FreeTypeFont:
    """A CJK font at ``px`` pixels: the first existing candidate (SC face), else any CJK font."""
    for path in candidates:
        if path.is_file():
            # Noto CJK collections: index 2 is the Simplified Chinese face
            for index in (2, 0):
                try:
                    return ImageFont.truetype(str(path), px, index=index)
                except OSError:
                    continue
    return ImageFont.truetype(str(find_cjk_font("any") or require_cjk_font("any")), px)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int,
          indent: str) -> list[str]:
    """Break ``text`` (Chinese: any character is a break point) into lines at most ``width`` px."""
    out: list[str] = []
    line = indent
    for ch in text:
        if draw.textlength(line + ch, font=font) > width and line.strip():
            # keep closing punctuation on the line it closes (禁则)
            if ch in "，。、；：！？）》〕”" and draw.textlength(line + ch, font=font) < width * 1.04:
                out.append(line + ch)
                line = ""
                continue
            out.append(line)
            line = ""
        line += ch
    if line.strip():
        out.append(line)
    return out


def render_text_page(
    text: str,
    *,
    size: tuple[int, int] = (1654, 2339),
    font_px: int = 40,
    skew_deg: float = 0.0,
    noise: float = 0.0,
    blur: float = 0.0,
    seed: int = 0,
) -> Image.Image:
    """Draw an official document page (A4 at 200 dpi by default) as a grey scan: centred title and
    document number, indented wrapped body, right-aligned signature and date; then degrade it.

    ``noise`` 0..1 adds Gaussian grain (sigma = 60*noise grey levels) and salt-and-pepper dots
    (2% * noise of pixels); ``skew_deg`` rotates the page; ``blur`` is a Gaussian radius in px.
    """
    w, h = size
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    body_font = _font(_SERIF, font_px)
    title_font = _font(_SERIF_BOLD, round(font_px * 1.35))
    margin_x, y = round(w * 0.14), round(h * 0.09)
    text_w = w - 2 * margin_x
    line_gap = round(font_px * 0.75)
    bottom = h - round(h * 0.06)
    raw = [l.strip() for l in text.strip().splitlines() if l.strip()]
    closing = 2 if len(raw) >= 4 and _DATE_LINE.match(raw[-1]) else 0
    for i, para in enumerate(raw):
        if i == 0:
            for line in _wrap(draw, para, title_font, text_w, ""):
                lw = draw.textlength(line, font=title_font)
                draw.text(((w - lw) / 2, y), line, font=title_font, fill=0)
                y += title_font.size + line_gap
            y += line_gap
        elif _DOCNO.search(para):
            lw = draw.textlength(para, font=body_font)
            draw.text(((w - lw) / 2, y), para, font=body_font, fill=0)
            y += font_px + 2 * line_gap
        elif closing and i >= len(raw) - closing:
            if i == len(raw) - closing:
                y += 2 * line_gap
            lw = draw.textlength(para, font=body_font)
            draw.text((w - margin_x - lw - font_px * 2, y), para, font=body_font, fill=0)
            y += font_px + line_gap
        else:
            indent = "" if para.endswith("：") and len(para) < 20 else "\u3000\u3000"
            for line in _wrap(draw, para, body_font, text_w, indent):
                if y + font_px > bottom:
                    break
                draw.text((margin_x, y), line, font=body_font, fill=0)
                y += font_px + line_gap
        if y + font_px > bottom:
            break
    if skew_deg:
        page = page.rotate(skew_deg, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    if blur:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        rng = np.random.default_rng(seed)
        arr = np.asarray(page, dtype=np.float32)
        arr = arr + rng.normal(0.0, 60.0 * noise, arr.shape)
        dots = rng.random(arr.shape)
        arr[dots < 0.01 * noise] = 0
        arr[dots > 1 - 0.01 * noise] = 255
        page = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
    page.info["dpi"] = (200, 200)
    return page


def make_scanned_pdf(path: Path, pages: list[Image.Image], dpi: int = 200) -> Path:
    """Write ``pages`` as an image-only PDF (what a scanner produces), one image per page."""
    import img2pdf

    blobs = []
    for im in pages:
        buf = io.BytesIO()
        im.convert("L" if im.mode in ("L", "1") else "RGB").save(buf, format="PNG", dpi=(dpi, dpi))
        blobs.append(buf.getvalue())
    Path(path).write_bytes(img2pdf.convert(blobs))
    return Path(path)


# inverse of what ImageOps.exif_transpose applies for each orientation value
_STORE_AS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def make_photo(
    path: Path,
    *,
    exif_date: _dt.datetime | None = None,
    orientation: int | None = None,
    with_text: str | None = None,
    size: tuple[int, int] = (1600, 1200),
    seed: int = 0,
) -> Path:
    """Write a phone-style JPEG: a coloured scene, optionally a sheet of paper with ``with_text``
    on it, stored rotated so that EXIF ``orientation`` turns it upright, with EXIF dates."""
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    scene = np.stack(
        [90 + 60 * xx / w, 120 + 50 * yy / h, 150 - 40 * xx / w], axis=-1
    ) + rng.normal(0, 6, (h, w, 3))
    photo = Image.fromarray(np.clip(scene, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(photo)
    for _ in range(6):  # some furniture / people-shaped blobs
        x0, y0 = int(rng.integers(0, w - 200)), int(rng.integers(0, h - 200))
        colour = tuple(int(c) for c in rng.integers(30, 200, 3))
        draw.ellipse((x0, y0, x0 + int(rng.integers(80, 300)), y0 + int(rng.integers(80, 300))),
                     fill=colour)
    if with_text:
        sheet_w, sheet_h = int(w * 0.8), int(h * 0.8)
        sheet = render_text_page(with_text, size=(sheet_w, sheet_h), font_px=max(24, sheet_w // 30))
        photo.paste(sheet.convert("RGB"), ((w - sheet_w) // 2, (h - sheet_h) // 2))
    photo = photo.filter(ImageFilter.GaussianBlur(0.6))
    if orientation in _STORE_AS:
        photo = photo.transpose(_STORE_AS[orientation])
    exif = Image.Exif()
    exif[0x010F] = "Huawei"  # Make
    exif[0x0110] = "ELS-AN00"  # Model
    if orientation:
        exif[0x0112] = orientation
    if exif_date:
        stamp = exif_date.strftime("%Y:%m:%d %H:%M:%S")
        exif[0x0132] = stamp  # DateTime
        exif.get_ifd(0x8769)[0x9003] = stamp  # DateTimeOriginal
    photo.save(path, format="JPEG", quality=88, exif=exif.tobytes())
    return Path(path)
