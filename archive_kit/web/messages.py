"""The library's error lines in Chinese, for the people reading them in the console.

The library (and so the CLI) words its errors in English; the console shows the archivist a
Chinese sentence for the failures met at the inspection table (an upload that cannot be read, an
unknown id, a numbered document, a locked or read-only repository), followed by the library's own
line in parentheses, so nothing it said (a file name, a page, a limit) is lost. The mapping is a
small table of the library's phrases; a line none of them names is shown as it is. The JSON API
keeps the library's line in ``error`` (scripts may match it) and adds the Chinese one as
``message``; CLI messages are never changed.
"""
from __future__ import annotations

import re

# (the library's phrase, what it says in Chinese); the first phrase found in a line decides
PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), zh) for p, zh in (
    (r"password-protected PDF", "PDF 文件设有密码，无法打开"),
    (r"encrypted PDF", "PDF 文件已加密，无法打开"),
    (r"PDF has no pages", "PDF 文件没有页面"),
    (r"not a PDF", "文件内容不是 PDF（已损坏或扩展名有误）"),
    (r"damaged PDF|damaged or unreadable PDF", "PDF 文件已损坏，无法读取"),
    (r"pages need OCR, more than the limit", "需要文字识别的页数超过上限"),
    (r"scanned pages could not be rendered", "扫描页无法转换为图像进行文字识别"),
    (r"Strict Open XML Word", "不支持 Strict Open XML 格式的 Word 文件，请另存为普通 .docx"),
    (r"not a Word document", "文件内容不是 Word 文档（已损坏或扩展名有误）"),
    (r"damaged Word document", "Word 文档已损坏，无法读取"),
    (r"possible zip bomb", "文件解压后过大，已拒绝（可能是恶意压缩包）"),
    (r"HEIC (images|photos) are not supported", "不支持 HEIC 图片，请转换为 JPEG"),
    (r"image has no readable frames|image: the content does not match", "图片已损坏或格式与扩展名不符"),
    (r"file is empty \(0 bytes\)", "文件为空（0 字节）"),
    (r"unsupported (file )?format|not a supported format", "不支持此文件格式"),
    (r"timed out|took longer than", "处理超时，已放弃此文件"),
    (r"memory limit|out of memory", "处理此文件所需内存超过上限，已放弃"),
    (r"cannot read file", "无法读取文件"),
    (r"no document with id", "没有此编号的文件"),
    (r"unknown criterion", "测评指标不存在"),
    (r"unknown track", "创建类别不存在"),
    (r"is numbered .*--force", "此文件已编号，修改需要确认（编号保持不变）"),
    # a metadata edit refused (editing.check_edits): the same lines as `edit` on the command line
    (r"is not a real day written YYYY-MM-DD", "日期无效，请按 YYYY-MM-DD 填写真实的日期（如 2023-03-05）"),
    (r"secrecy \(密级\) .* is not one of", "密级不在本库设定的密级之内（不标密级的单位请留空）"),
    (r"^retention .* is not one of", "保管期限只能是 Y（永久）、D30（30年）或 D10（10年）"),
    (r"^title_composed .* must be true", "自拟题名只能选“是”或“否”"),
    (r"^kind .* is not one of", "门类只能是照片或文书"),
    (r"has \d+ characters \(at most \d+\)", "填写的内容过长"),
    (r"contains a control character", "填写的内容含有控制字符"),
    (r"^title cannot be empty", "题名不能为空"),
    (r"^nothing to change", "没有要修改的内容"),
    (r"empty search query", "检索词为空，请至少输入一个词"),
    (r"repository is read-only", "档案库为只读，不能修改"),
    (r"kept the catalogue locked", "档案库正被其他程序使用，请稍后再试"),
    (r"[Nn]o space left|disk is full", "磁盘空间已满"),
))


def in_chinese(line: str) -> str:
    """``line`` (an error line of the library) as a Chinese sentence with the original line in
    parentheses, or ``line`` itself when no phrase of the table is in it."""
    for pattern, chinese in PHRASES:
        if pattern.search(line):
            return f"{chinese}（{line}）"
    return line
