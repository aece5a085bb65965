"""Catalogue metadata (题名, 文号, 责任者, 日期) read from the text of Chinese official documents (公文).

The text is already normalised (``textnorm.normalize_text``). Layout follows GB/T 9704:
red header line, document number, title, salutation, body, issuing body, signing date.
Every rule here prefers returning None to returning a wrong value: the archivist fills gaps,
but a wrong 文号 or year silently misfiles a document.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from .dates import MAX_YEAR, MIN_YEAR, iter_date_matches, parse_date

__all__ = ["DocMetadata", "extract_metadata", "doc_number_year"]

TITLE_MAX = 80
AUTHOR_MAX = 40
_HEAD_LINES = 12  # the header block (red header, number, title) lives in the first lines

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_OPEN = r"〔\[(【（［﹝〖〈{"
_CLOSE = r"〕\])】）］﹞〗〉}"
# Bracketed year, number, 号, ending its line (or followed by the 签发人 of a report), never a citation
# inside a sentence ("按照渝工发〔2023〕35号要求").
_NUM_TAIL = (
    rf"[{_OPEN}]\s*(?P<year>\d{{4}})\s*[{_CLOSE}]\s*(?P<no>第?\s*\d{{1,5}})\s*号"
    r"(?=\s*$|\s*签发人)"
)
# A document number line: issuer code, bracketed year, number, 号.
_DOCNO_LINE_RE = re.compile(rf"^\s*(?P<prefix>[{_CJK}A-Za-z]{{1,15}})\s*{_NUM_TAIL}")
# Inside a header line (after a red header, a secrecy mark, ...): a whole run of letters that ends
# like an issuer code (发/字/办/函/委 ...), so "根据渝工发〔2023〕35号" in a sentence never matches.
_DOCNO_ANY_RE = re.compile(
    rf"(?:^|(?<=文件)|(?<=[^{_CJK}A-Za-z]))(?P<prefix>[{_CJK}A-Za-z]{{0,14}}[发字办函委电呈复])\s*{_NUM_TAIL}"
)
_DOCNO_SHAPE_RE = re.compile(rf"^[{_CJK}A-Za-z]{{1,15}}\s*[{_OPEN}]\s*\d{{0,4}}\s*[{_CLOSE}]\s*第?\s*\d{{0,5}}\s*号")
_BRACKET_YEAR_RE = re.compile(rf"[{_OPEN}]\s*(\d{{4}})\s*[{_CLOSE}]")

_TITLE_ENDINGS = (
    "通知", "意见", "方案", "决定", "报告", "总结", "计划", "纪要", "办法", "规定", "制度",
    "请示", "批复", "函", "通报", "决议", "公告", "通告", "细则", "规则", "章程", "要点",
    "安排", "记录", "签到表", "登记表", "名单", "简报", "讲话", "汇报", "规划", "守则", "公约",
)
_ORG_SUFFIXES = (
    "委员会", "委", "党组", "支部", "总支", "政府", "办公室", "办公厅", "办", "局", "厅", "部",
    "处", "科", "室", "院", "所", "中心", "公司", "集团", "工会", "会", "队", "站", "馆", "社",
    "银行", "医院", "街道", "办事处", "镇", "乡", "村", "社区", "组", "指挥部", "机关", "单位",
    "署", "团", "学校", "中学", "小学", "大学", "学院", "幼儿园",
)
_SENTENCE_PUNCT = "。；;：:！!？?"
_LIST_MARKER_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.]|\d+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|第[一二三四五六七八九十\d]+[条章节])"
)
_SECRECY_RE = re.compile(
    r"^(?:(?:绝密|机密|秘密|内部)\s*(?:[★*☆]\s*[\d一二三四五六七八九十]+\s*(?:年|个月|月)?)?)?"
    r"\s*(?:特急|加急|特提|平急|急件)?$"
)
_PAGE_RE = re.compile(
    r"^(?:[-—–]\s*\d+\s*[-—–]|\d+|\d+\s*/\s*\d+|第\s*\d+\s*页(?:\s*[,，]?\s*共\s*\d+\s*页)?|共\s*\d+\s*页)$"
)
_ISSUE_RE = re.compile(r"^第\s*[\d一二三四五六七八九十百]+\s*期$")
_NUMERAL = r"[\d〇○◯零Oo一二三四五六七八九十廿卅元\s]"
# Shaped like a date, valid or not, complete or not: 2023年2月, 2023年2月30日, 200年 月 日, 2023-02-30.
_DATE_SHAPE_RE = re.compile(
    rf"^[(（]?\s*(?:{_NUMERAL}*年{_NUMERAL}*(?:月{_NUMERAL}*[日号]?)?|\d{{4}}\s*[-./]\s*\d{{1,2}}(?:\s*[-./]\s*\d{{1,2}})?)\s*[)）]?$"
)
_DATE_LABEL_RE = re.compile(r"^(?:会议|活动|签到|记录|填报|填表|报送|成文|签发|培训|学习)?(?:时间|日期)[:：]?$")
_TIME_OF_DAY_RE = re.compile(
    r"^(?:[(（]?(?:星期|周)[一二三四五六日天][)）]?)?\s*"
    r"(?:(?:上午|下午|晚上|早上|中午|晚)?\s*\d{1,2}\s*[:：点时]\s*(?:\d{1,2}\s*分?)?"
    r"(?:\s*[-—~～至到]\s*\d{1,2}\s*[:：点时]\s*(?:\d{1,2}\s*分?)?)?)?$"
)
_SEAL_RE = re.compile(r"[(（]\s*(?:盖章|章|印章|公章|签章)\s*[)）]$")
_SPACE_NEAR_CJK_RE = re.compile(rf"\s+(?=[{_CJK}\u3000-\u303f\uff00-\uffef“”‘’《》])|(?<=[{_CJK}\u3000-\u303f\uff00-\uffef“”‘’《》])\s+")


@dataclass(frozen=True)
class DocMetadata:
    """What the catalogue needs from a document's content; None where it could not be told reliably."""

    title: str | None
    doc_number: str | None
    author: str | None
    date: _dt.date | None


@dataclass(frozen=True)
class _Line:
    text: str  # stripped
    start: int  # offset of the line's first character in the document


def _lines(text: str) -> list[_Line]:
    """Non-empty lines with their offsets in ``text``."""
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            out.append(_Line(stripped, pos + raw.index(stripped[0])))
        pos += len(raw) + 1
    return out


def _tidy(s: str) -> str:
    """Drop the stray spaces OCR and extraction put next to Chinese characters; collapse the rest."""
    return re.sub(r"\s+", " ", _SPACE_NEAR_CJK_RE.sub("", s)).strip()


def _cjk_count(s: str) -> int:
    return len(re.findall(f"[{_CJK}]", s))


# ---------------------------------------------------------------- document number


def _format_docno(m: re.Match[str]) -> str | None:
    """``prefix〔year〕number号`` from a match, or None when the year is not plausible (e.g. [200])."""
    year = int(m.group("year"))
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    prefix = m.group("prefix")
    if "文件" in prefix:  # red header run into the number line by OCR
        prefix = prefix.rsplit("文件", 1)[1]
    if not prefix:
        return None
    number = re.sub(r"\s+", "", m.group("no"))
    return f"{prefix}〔{year}〕{number}号"


def _header_block(lines: list[_Line]) -> list[_Line]:
    """The first lines, up to the salutation or the first body sentence."""
    block: list[_Line] = []
    for ln in lines[:_HEAD_LINES]:
        t = _tidy(ln.text)
        if t.endswith(("：", ":", "。")) or len(t) > 60:
            break
        block.append(ln)
    return block


def _find_doc_number(lines: list[_Line]) -> str | None:
    """The document number from the header block: first at the start of a line, else inside one."""
    block = [_tidy(ln.text) for ln in _header_block(lines)]
    for t in block:
        m = _DOCNO_LINE_RE.match(t)
        if m and (found := _format_docno(m)):
            return found
    for t in block:
        for m in _DOCNO_ANY_RE.finditer(t):
            if found := _format_docno(m):
                return found
    return None


def doc_number_year(doc_number: str) -> int | None:
    """The year in a document number's brackets (渝工发〔2023〕35号 -> 2023); None if absent or implausible."""
    m = _BRACKET_YEAR_RE.search(doc_number)
    if not m:
        return None
    year = int(m.group(1))
    return year if MIN_YEAR <= year <= MAX_YEAR else None


# ---------------------------------------------------------------- title


def _is_red_header(t: str) -> bool:
    """``XX市总工会文件``: the issuing body's header line, not a title."""
    return (
        t.endswith("文件") and 4 <= len(t) <= 40 and not t.startswith("关于")
        and not any(c in t for c in _SENTENCE_PUNCT + "，,")
    )


def _is_date_line(t: str) -> bool:
    """A line that is only a date (full, partial, impossible or a template blank), perhaps in brackets."""
    inner = t.strip("()（）[]〔〕【】 ")
    return parse_date(inner) is not None or bool(_DATE_SHAPE_RE.match(t))


def _is_noise(t: str) -> bool:
    """Lines above a title that are not the title: header, number, secrecy, page, issue, date, rules."""
    return (
        _is_red_header(t)
        or t == "文件"
        or bool(_DOCNO_SHAPE_RE.match(t))
        or t.startswith("签发人")
        or bool(_SECRECY_RE.match(t))
        or bool(_PAGE_RE.match(t))
        or bool(_ISSUE_RE.match(t))
        or _is_date_line(t)
        or _cjk_count(t) == 0
    )


def _is_title_start(t: str) -> bool:
    """Could this line open a title? Short, no sentence punctuation, not a numbered body item."""
    if len(t) > TITLE_MAX or _cjk_count(t) < 2 or _LIST_MARKER_RE.match(t):
        return False
    if any(c in t for c in _SENTENCE_PUNCT):
        return False
    if t.endswith(("，", ",", "、")):
        return False
    if len(t) > 40 and not (t.startswith("关于") or t.endswith(_TITLE_ENDINGS)):
        return False
    return True


def _is_title_continuation(t: str) -> bool:
    """Could ``t`` be the wrapped rest of a title? Short, no sentence punctuation, no salutation."""
    if _is_noise(t) or _LIST_MARKER_RE.match(t) or len(t) > 40 or t.startswith(("各", "(", "（", "—", "-")):
        return False
    if any(c in t for c in _SENTENCE_PUNCT):
        return False
    if t.endswith(_TITLE_ENDINGS):
        return True
    return not any(c in t for c in "，,") and not _is_org_name(t)


def _find_title(lines: list[_Line]) -> str | None:
    """The heading: first meaningful line after header/number/secrecy lines, joined with wrapped lines.

    A wrapped title is only joined when the joined text ends like a title (通知, 方案, ...), so a
    first body line without punctuation is never glued on.
    """
    tidy = [_tidy(ln.text) for ln in lines[:_HEAD_LINES]]
    # A joint red header spreads the bodies' names over lines above the one with 文件: skip them all.
    headers = [k for k, t in enumerate(tidy[:5]) if t == "文件" or _is_red_header(t)]
    i = headers[-1] + 1 if headers else 0
    while i < len(tidy) and _is_noise(tidy[i]):
        i += 1
    if i == len(tidy) or not _is_title_start(tidy[i]):
        return None
    title = joined = tidy[i]
    if title.endswith(_TITLE_ENDINGS):
        return title
    for t in tidy[i + 1 : i + 3]:
        if not _is_title_continuation(t) or len(joined) + len(t) > TITLE_MAX:
            break
        joined += t
        if joined.endswith(_TITLE_ENDINGS):
            return joined
    return title


def _file_stem(file_name: str) -> str | None:
    """The original file name without folders (``/`` or Windows ``\\``) and extension: a photo's title.

    A backslash starting one of ``readable_name``'s escapes (``caf\\xe9.jpg``) is not a folder.
    """
    name = re.split(r"/|\\(?![xu][0-9a-f]{2})", file_name.strip())[-1]
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name).strip()
    return stem or None


# ---------------------------------------------------------------- author and date


def _clean_org(t: str) -> str:
    return _SEAL_RE.sub("", _tidy(t)).strip()


def _is_org_name(t: str) -> bool:
    """A line naming an organisation (中共XX区委员会, XX市文明办, XX公司工会委员会), not a sentence."""
    t = _clean_org(t)
    if not 3 <= len(t) <= AUTHOR_MAX or re.search(r"\d", t):
        return False
    if any(c in t for c in _SENTENCE_PUNCT + "，,、。"):
        return False
    if t.startswith(("关于", "附件", "抄送", "主题词", "联系人", "特此", "以上")):
        return False
    if _cjk_count(t) < max(2, 0.5 * len(t)):
        return False
    return t.endswith(_ORG_SUFFIXES)


@dataclass(frozen=True)
class _DateHit:
    date: _dt.date
    start: int
    line_no: int
    kind: str  # "alone", "org" (issuing body then date), "label" (时间：...), "inline"
    org: str | None = None


def _classify(line: _Line, line_no: int, start: int, end: int, d: _dt.date, ymd: bool) -> _DateHit:
    """How a date sits on its line: alone, after the issuing body, after a 时间/日期 label, or in a sentence."""
    before = line.text[: start - line.start].strip()
    after = line.text[end - line.start :].strip()
    if before.strip("(（[【〔 ") == "" and after.strip(")）]】〕 ") == "":
        return _DateHit(d, start, line_no, "alone")
    if after == "" and _is_org_name(before):
        return _DateHit(d, start, line_no, "org", _clean_org(before))
    if ymd and _DATE_LABEL_RE.match(before) and _TIME_OF_DAY_RE.match(after):
        return _DateHit(d, start, line_no, "label")
    return _DateHit(d, start, line_no, "inline")


def _date_hits(text: str, lines: list[_Line]) -> list[_DateHit]:
    hits: list[_DateHit] = []
    li = 0
    for d, start, end, ymd in iter_date_matches(text):
        if d.year < MIN_YEAR:
            continue
        while li + 1 < len(lines) and lines[li + 1].start <= start:
            li += 1
        hits.append(_classify(lines[li], li, start, end, d, ymd))
    return hits


def _final_part_start(text: str, lines: list[_Line]) -> int:
    """Offset where the final part begins: the last 30% of lines or the last 400 characters."""
    by_lines = lines[int(len(lines) * 0.7)].start if lines else 0
    return min(by_lines, max(0, len(text) - 400))


def _choose_date(hits: list[_DateHit], final_start: int) -> _DateHit | None:
    """Signing date: a date alone on its line in the final part; else a date alone (or labelled) anywhere;
    else the last date in the final part."""
    final = [h for h in hits if h.start >= final_start]
    for pool, kinds in (
        (final, ("alone", "org")),
        (hits, ("alone", "org", "label")),
        (final, ("alone", "org", "label", "inline")),
    ):
        chosen = [h for h in pool if h.kind in kinds]
        if chosen:
            return chosen[-1]
    return None


_SEAL_LINE_RE = re.compile(r"^[(（]?\s*(?:盖章|印章|公章|章|签章|签字|签名)\s*[)）]?$")
_MAX_SIGNATORIES = 3


def _signature_author(lines: list[_Line], end_line: int, below: str | None = None) -> str | None:
    """The issuing body in the lines just above ``end_line``: the first of up to three name lines.

    ``below`` is a name already found on the date line itself. More consecutive name lines than
    joint documents have means a list (e.g. an attachment naming units), so None.
    """
    names: list[str] = [below] if below else []
    j = end_line - 1
    while j >= 0 and _SEAL_LINE_RE.match(_tidy(lines[j].text)):
        j -= 1
    while j >= 0 and len(names) <= _MAX_SIGNATORIES and _is_org_name(lines[j].text):
        names.append(_clean_org(lines[j].text))
        j -= 1
    if not names or len(names) > _MAX_SIGNATORIES:
        return None
    return names[-1]


def _header_author(lines: list[_Line]) -> str | None:
    """The issuing body from the red header: ``XX市总工会文件`` -> XX市总工会; a joint header's first name."""
    head = [_tidy(ln.text) for ln in lines[:5]]
    for k, t in enumerate(head):
        if t == "文件" or _is_red_header(t):
            if k > 0 and all(_is_org_name(x) for x in head[:k]):
                return _clean_org(head[0])
            name = t[: -len("文件")]
            return name if _is_org_name(name) else None
    return None


def _find_author(lines: list[_Line], hit: _DateHit | None, final_start: int) -> str | None:
    """From the signature block (before the signing date, or at the very end), else the red header."""
    if hit is not None and hit.start >= final_start and hit.kind in ("alone", "org"):
        if found := _signature_author(lines, hit.line_no, hit.org):
            return found
    else:
        # No usable dated signature: the last lines, skipping a bare (possibly partial) date line.
        end = len(lines)
        while end > 0 and lines[end - 1].start >= final_start and _is_date_line(_tidy(lines[end - 1].text)):
            end -= 1
        if end > 0 and lines[end - 1].start >= final_start and (found := _signature_author(lines, end)):
            return found
    return _header_author(lines)


# ---------------------------------------------------------------- entry point


def extract_metadata(
    text: str, *, title_hint: str | None = None, file_name: str | None = None
) -> DocMetadata:
    """Title, document number, issuing body and signing date from a document's normalised text.

    ``title_hint`` (a DOCX title-style paragraph) wins for the title; ``file_name`` is the fallback title.
    """
    lines = _lines(text)
    title = _tidy(title_hint) if title_hint and title_hint.strip() else None
    if title is None:
        title = _find_title(lines)
    if title is None and file_name:
        title = _file_stem(file_name)
    final_start = _final_part_start(text, lines)
    hit = _choose_date(_date_hits(text, lines), final_start)
    return DocMetadata(
        title=title,
        doc_number=_find_doc_number(lines),
        author=_find_author(lines, hit, final_start),
        date=hit.date if hit else None,
    )
