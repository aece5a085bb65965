"""Catalogue metadata (题名, 文号, 责任者, 日期) read from the text of Chinese official documents (公文).

The text is already normalised (``textnorm.normalize_extracted``: full-width Chinese punctuation
kept as written, so values are copied as printed). Layout follows GB/T 9704: red header
(发文机关标志), document number (发文字号), title, salutation (主送机关), body, issuing body and
signing date (落款, 成文日期).
Every rule here prefers returning None to returning a wrong value: the archivist fills gaps,
but a wrong 文号 or year silently misfiles a document.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from .dates import MAX_YEAR, MIN_YEAR, iter_date_matches, parse_date

__all__ = ["DocMetadata", "extract_metadata", "file_stem", "doc_number_year", "metadata_concerns"]

TITLE_MAX = 80
AUTHOR_MAX = 40
_HEAD_LINES = 15  # the header block (red header, number, title) lives in the first lines

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_OPEN = r"〔\[(【（［﹝〖〈{"
_CLOSE = r"〕\])】）］﹞〗〉}"
# The issuer code of a 文号, perhaps with a bracketed part (某府办发（通知）〔2024〕5号).
_PREFIX = rf"[{_CJK}A-Za-z]{{1,15}}(?:[(（][{_CJK}]{{1,6}}[)）])?"
# Bracketed year, number, 号 (brackets kept as written), then the end of the line, the 签发人 of a
# report, a title after a space or in 《》: never a citation inside a sentence ("按照渝工发〔2023〕35号要求").
_NUM_TAIL = (
    rf"(?P<open>[{_OPEN}])\s*(?P<year>\d{{4}})\s*(?P<close>[{_CLOSE}])\s*(?P<no>第?\s*\d{{1,5}})\s*号"
)
_NUM_END = r"(?=\s*$|\s*签发|\s+\S|《|关于)"
# A document number line: perhaps a label (编号：, 文号：), the issuer code, bracketed year, number, 号.
_DOCNO_LINE_RE = re.compile(
    rf"^\s*(?:(?:发文字号|文号|编号|字号)\s*[:：]\s*)?(?P<prefix>{_PREFIX})\s*{_NUM_TAIL}{_NUM_END}"
)
# Inside a header line (after a red header, a secrecy mark, ...): a whole run of letters that ends
# like an issuer code (发/字/办/函/委 ...), so "根据渝工发〔2023〕35号" in a sentence never matches.
_DOCNO_ANY_RE = re.compile(
    rf"(?:^|(?<=文件)|(?<=[^{_CJK}A-Za-z]))(?P<prefix>[{_CJK}A-Za-z]{{0,14}}[发字办函委电呈复])\s*{_NUM_TAIL}{_NUM_END}"
)
# A 文号 in brackets at the end of a (web page's) title line: 关于…的决定(合工[2007]8号).
_DOCNO_SUFFIX_RE = re.compile(rf"\s*[(（]\s*(?P<prefix>{_PREFIX})\s*{_NUM_TAIL}\s*[)）]$")
_DOCNO_SHAPE_RE = re.compile(
    rf"^(?:(?:发文字号|文号|编号|字号)\s*[:：]\s*)?{_PREFIX}\s*[{_OPEN}]\s*\d{{0,4}}\s*[{_CLOSE}]\s*第?\s*\d{{0,5}}\s*号"
)
_BRACKET_PAIRS = ("〔〕", "[]", "()", "【】", "（）", "［］", "﹝﹞", "〖〗", "〈〉", "{}")
_BRACKET_YEAR_RE = re.compile(rf"[{_OPEN}]\s*(\d{{4}})\s*[{_CLOSE}]")

_TITLE_ENDINGS = (
    "通知", "意见", "方案", "决定", "报告", "总结", "计划", "纪要", "办法", "规定", "制度",
    "请示", "批复", "函", "通报", "决议", "公告", "通告", "细则", "规则", "章程", "要点",
    "安排", "记录", "签到表", "登记表", "名单", "简报", "讲话", "汇报", "规划", "守则", "公约",
    "答复", "回复", "公示", "说明", "倡议书", "条例", "指南", "须知",
)
_ORG_SUFFIXES = (
    "委员会", "委", "党组", "支部", "总支", "政府", "办公室", "办公厅", "办", "局", "厅", "部",
    "处", "科", "室", "院", "所", "中心", "公司", "集团", "工会", "会", "队", "站", "馆", "社",
    "银行", "医院", "街道", "办事处", "镇", "乡", "村", "社区", "组", "指挥部", "机关", "单位",
    "署", "团", "学校", "中学", "小学", "大学", "学院", "幼儿园", "中央",
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
# Lines a web page or an information-disclosure catalogue puts around a document: 发布日期：…,
# 浏览次数：, 索引号：…, 分类标识【D】. They neither are a title nor end the header block.
_LABEL_RE = re.compile(
    r"^(?:发布|浏览|点击|来源|信息|文章来源|时间|日期|作者|编辑|责任编辑|审核|校对|字体|索引|分类|主题|组配|"
    r"关键词|访问|生成|发文|成文|名称|有效性|废止|生效|更新)[^:：。]{0,6}[:：]"
    rf"|^[{_CJK}]{{2,8}}【[^】]*】$"
)
_SIGNER_RE = re.compile(r"^签发(?:人)?\s*[:：]")
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
_BULLET_RE = re.compile(r"^[•●◆◇■□▪*]\s*|^-\s+")
# A web page's column name before its title (政务服务丨…) and a site name after a page title.
_COLUMN_PREFIX_RE = re.compile(r"^[^丨|｜]{1,8}[丨|｜]\s*(?=\S)")
_SITE_SUFFIX_RE = re.compile(r"\s*(?:-{1,2}|[_|｜丨]|\s[–—]\s)\s*[^-–—_|｜丨]*(?:网|网站|门户|在线|首页|官网|平台|频道)\s*$")
# Document-info titles that say nothing: program defaults, templates, placeholders, file names.
_JUNK_HINT_RE = re.compile(
    r"^(?:untitled|document\s*\d*|文档\s*\d*|无标题.*|标题\s*\d*|新建.*|microsoft\s+\w+.*|powerpoint.*|"
    r".*演示文稿|presentation\s*\d*|slide\s*\d*|幻灯片.*|.*\.(?:docx?|pdf|wps|xlsx?|pptx?|txt|rtf|ofd|html?))$"
    r"|填写|请输入|点击此处|在此处|标准名称|文件名称|xxx",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DocMetadata:
    """What the catalogue needs from a document's content; None where it could not be told reliably."""

    title: str | None
    doc_number: str | None
    author: str | None
    date: _dt.date | None
    # where the title came from: "content" (the text), "hint" (the document-info title), "file_name";
    # a listing prints a file-name title in [ ] (DA/T 22-2015: a title not the document's own)
    title_source: str | None = None


@dataclass(frozen=True)
class _Line:
    text: str  # stripped
    start: int  # offset of the line's first character in the document


def _lines(text: str) -> list[_Line]:
    """Non-empty lines with their offsets in ``text``; list bullets (•, "- ") are not part of a line."""
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        bullet = _BULLET_RE.match(stripped)
        if bullet and stripped[bullet.end():].strip():
            stripped = stripped[bullet.end():].strip()
        if stripped:
            out.append(_Line(stripped, pos + raw.index(stripped[0])))
        pos += len(raw) + 1
    return out


def _tidy(s: str) -> str:
    """Drop the stray spaces OCR and extraction put next to Chinese characters; collapse the rest."""
    return re.sub(r"\s+", " ", _SPACE_NEAR_CJK_RE.sub("", s)).strip()


def _cjk_count(s: str) -> int:
    return len(re.findall(f"[{_CJK}]", s))


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


# ---------------------------------------------------------------- document number


def _format_docno(m: re.Match[str]) -> str | None:
    """The 文号 of a match as written (brackets kept, spaces dropped), or None when the year is not
    plausible (e.g. a template's [200])."""
    year = int(m.group("year"))
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    prefix = m.group("prefix")
    if "文件" in prefix:  # red header run into the number line by OCR
        prefix = prefix.rsplit("文件", 1)[1]
    if not prefix:
        return None
    number = re.sub(r"\s+", "", m.group("no"))
    pair = m.group("open") + m.group("close")
    if pair not in _BRACKET_PAIRS:   # 〔2009] is no one's writing but OCR's: the standard brackets
        pair = "〔〕"
    return f"{prefix}{pair[0]}{year}{pair[1]}{number}号"


def _line_doc_number(t: str) -> tuple[str | None, int]:
    """A 文号 opening line ``t`` and where it ends, or (None, 0)."""
    m = _DOCNO_LINE_RE.match(t)
    if m and (found := _format_docno(m)):
        return found, m.end()
    return None, 0


def doc_number_year(doc_number: str) -> int | None:
    """The year in a document number's brackets (渝工发〔2023〕35号 -> 2023); None if absent or implausible."""
    m = _BRACKET_YEAR_RE.search(doc_number)
    if not m:
        return None
    year = int(m.group(1))
    return year if MIN_YEAR <= year <= MAX_YEAR else None


# ---------------------------------------------------------------- the header block and the title


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


def _is_label(t: str) -> bool:
    """A web page's or catalogue's ``label：value`` line (发布日期：…), or a leading 签发人： line."""
    return bool(_LABEL_RE.match(t)) or bool(_SIGNER_RE.match(t))


def _is_noise(t: str) -> bool:
    """Lines around a title that are not the title: header, number, signer, secrecy, page, issue, date,
    labels, lines without Chinese."""
    return (
        _is_red_header(t)
        or t == "文件"
        or bool(_DOCNO_SHAPE_RE.match(t))
        or _is_label(t)
        or bool(_SECRECY_RE.match(t))
        or bool(_PAGE_RE.match(t))
        or bool(_ISSUE_RE.match(t))
        or _is_date_line(t)
        or _cjk_count(t) == 0
    )


def _ends_like_title(t: str) -> bool:
    return t.endswith(_TITLE_ENDINGS)


_PAIRS = ("《》", "“”", "()", "（）", "〔〕", "[]", "【】")


def _balanced(t: str) -> bool:
    """Every bracket and quote closed: a line cut out of a wrapped sentence often is not."""
    return all(t.count(a) == t.count(b) for a, b in _PAIRS)


def _is_title_part(t: str, *, first: bool) -> bool:
    """Could ``t`` be a line of a title (``first``: its first line)? No sentence punctuation, not a list
    item, not a salutation; a later line is short, as a wrapped title's lines are."""
    if _is_noise(t) or _cjk_count(t) < 2 or _LIST_MARKER_RE.match(t) or len(t) > TITLE_MAX:
        return False
    if any(c in t for c in _SENTENCE_PUNCT):
        return False
    if first:
        return len(t) <= 40 or t.startswith("关于") or "关于" in t[:AUTHOR_MAX] or _ends_like_title(t)
    return len(t) <= 40 and not t.startswith(("—", "-"))


def _may_be_heading(t: str) -> bool:
    """A line that may stand alone as a heading without a document type (a news report's headline),
    not an organisation's name nor a wrapped line of an addressee list or a sentence."""
    return _balanced(t) and not (_is_org_name(t) or t.startswith("各") or any(c in t for c in "，,")
                                 or t.count("、") > 1 or t.endswith("、"))


def _starts_well(t: str) -> bool:
    """A title's usual opening: the issuing body, 关于, or a verb of transmission."""
    return t.startswith(("关于", "印发", "转发", "批转")) or "关于" in t[:AUTHOR_MAX] or _is_org_name(t)


@dataclass
class _Candidate:
    start: int
    end: int
    title: str
    doc_number: str | None
    complete: bool


def _title_part(t: str) -> tuple[str, str | None]:
    """A header line as a title part: without a web column prefix (政务服务丨), a leading 文号
    (胜发〔2022〕4号 关于…), enclosing 《》, or a 文号 in brackets at its end; and that 文号."""
    t = _COLUMN_PREFIX_RE.sub("", t)
    number, end = _line_doc_number(t)
    if number and t[end:].strip():
        t = t[end:].strip()
    else:
        number = None
    if t.startswith("《") and t.endswith("》") and t.count("《") == 1:
        t = t[1:-1]
    m = _DOCNO_SUFFIX_RE.search(t)
    if m and (found := _format_docno(m)):
        t, number = t[: m.start()].strip(), found
    return t, number


@dataclass
class _Header:
    """The header block of a document: its lines, where the red header ends, the 文号, the title."""

    lines: list[str]
    header_run: list[str]   # the issuing body's name(s) at the top (a red header without 文件)
    red_header: list[str]   # names of a ``XX文件`` red header (a joint one spreads over lines)
    doc_number: str | None
    title: str | None
    titles: list[str]       # every complete title in the block (a page title may name the issuer)


def _header_lines(lines: list[_Line]) -> list[str]:
    """The first lines, up to the salutation (主送机关) or the first body sentence."""
    block: list[str] = []
    for ln in lines[:_HEAD_LINES]:
        t = _tidy(ln.text)
        if block and _SIGNER_RE.match(block[-1]) and block[-1].endswith((":", "：")) and _cjk_count(t) <= 4:
            block[-1] += t   # 签发人： with the signer's name on the next line
            continue
        if _is_label(t) or _DOCNO_SHAPE_RE.match(t):
            block.append(t)
            continue
        if t.endswith(("：", ":", "。")) or "。" in t or _LIST_MARKER_RE.match(t):
            break
        if any(c in t for c in "，,") and not _ends_like_title(t):   # a sentence, wrapped
            break
        if len(t) > 60 and not ("关于" in t or _ends_like_title(_title_part(t)[0])):
            break
        block.append(t)
    return block


def _red_header(block: list[str]) -> tuple[int, list[str]]:
    """Index after a ``XX文件`` red header in the first lines (0 if none) and the names it gives.

    A joint header spreads the bodies' names over lines above the 文件 line; a table header may put
    some after a bare 文件 line.
    """
    marks = [k for k, t in enumerate(block[:5]) if t == "文件" or _is_red_header(t)]
    if not marks:
        return 0, []
    k = marks[-1]
    names = [t for t in block[:k] if _is_org_name(t)] if all(_is_org_name(t) for t in block[:k]) else []
    own = block[k][: -len("文件")]
    if own and _is_org_name(own):
        names.append(_clean_org(own))
    end = k + 1
    while block[k] == "文件" and end < len(block) and len(names) < 4 and _is_org_name(block[end]):
        names.append(_clean_org(block[end]))
        end += 1
    return end, names


def _header_run(block: list[str], start: int) -> tuple[list[str], set[int]]:
    """The issuing body's name(s) alone at the top, before any 文号 (a red header without 文件), and
    the lines of it that open no title.

    They open no title when the title follows them (关于…, or the name again on the title's first
    line); they do when a 文号 comes after the title, which puts the name on the title's first line
    (GB/T 9704 puts the 文号 before the title).
    """
    end = start
    while end < min(len(block), start + 4) and not _DOCNO_SHAPE_RE.match(block[end]) and (
            _is_org_name(block[end]) or _is_noise(block[end])):
        end += 1
    names = [t for t in block[start:end] if _is_org_name(t)]
    if len(names) >= 2 and _squash(names[-1]) in {_squash(t) for t in names[:-1]}:
        names.pop()   # the title's first line repeats the header's name
    follows = block[end] if end < len(block) else ""
    opens_nothing = bool(names) and (follows.startswith("关于") or any(
        _squash(follows).startswith(_squash(t)) for t in names)) and not any(
        _DOCNO_SHAPE_RE.match(t) for t in block[end:])
    return names, {i for i in range(start, end) if opens_nothing and _is_org_name(block[i])}


def _block_doc_number(block: list[str]) -> str | None:
    """The 文号 of the header block: first at the start of a line, else inside one."""
    for t in block:
        if found := _line_doc_number(t)[0]:
            return found
    for t in block:
        m = _DOCNO_ANY_RE.search(t)
        if m and (found := _format_docno(m)):
            return found
    return None


def _title_candidates(block: list[str], start: int) -> list[_Candidate]:
    """Every run of one to four lines from ``start`` on that reads as a title (or its beginning)."""
    candidates: list[_Candidate] = []
    for i in range(start, len(block)):
        joined, number = _title_part(block[i])
        if not _is_title_part(joined, first=True):
            continue
        for j in range(i, min(len(block), i + 4)):
            if j > i:
                part, more = _title_part(block[j])
                if not _is_title_part(part, first=False) or len(joined) + len(part) > TITLE_MAX:
                    break
                if _ends_like_title(joined) and (_ends_like_title(part) or part.startswith("关于")):
                    break   # two titles one above the other (a page's and the document's)
                joined, number = joined + part, more or number
            candidates.append(_Candidate(i, j, joined, number, _ends_like_title(joined) and _balanced(joined)))
    return candidates


def _choose_title(block: list[str], start: int, candidates: list[_Candidate], header_lines: set[int],
                  hint: str | None) -> _Candidate | None:
    """The best complete candidate; without one, the first line that may stand alone as a heading.

    A usable hint (the document-info title) picks among the candidates; a title printed twice (page
    title and document) is confirmed; a title after the 文号 line is where GB/T 9704 puts it, so it
    beats a page title above; one opening with the red header's lines is not a title. Then the
    later one, then the longest whose first line opens titles (issuing body, 关于) or follows the
    文号, a label or the top; else the shortest.
    """
    complete = [c for c in candidates if c.complete]
    if not complete:
        return next((c for c in candidates if c.start == c.end and c.start not in header_lines
                     and _may_be_heading(c.title)), None)
    texts = [_squash(c.title) for c in complete]
    numbered_at = next((i for i, t in enumerate(block) if _line_doc_number(t)[0]), None)
    hint_sq = _squash(hint) if hint else None

    def key(c: _Candidate) -> tuple:
        sq = _squash(c.title)
        score = (10 if sq == hint_sq else 0) + (2 if texts.count(sq) > 1 else 0)
        score += 1 if numbered_at is not None and c.start > numbered_at else 0
        score -= 2 if c.start in header_lines else 0
        good = _starts_well(block[c.start]) or c.start == start or _is_noise(block[c.start - 1])
        return score, c.end, good, -c.start if good else c.start

    return max(complete, key=key)


def _analyse_header(lines: list[_Line], hint: str | None) -> _Header:
    """Find the red header, the 文号 and the title in the header block (see ``_choose_title``)."""
    block = _header_lines(lines)
    start, red = _red_header(block)
    header_run, header_lines = _header_run(block, start)
    candidates = _title_candidates(block, start)
    chosen = _choose_title(block, start, candidates, header_lines, hint)
    doc_number = _block_doc_number(block) or (chosen.doc_number if chosen else None) or next(
        (c.doc_number for c in candidates if c.doc_number), None)
    return _Header(block, header_run, red, doc_number, chosen.title if chosen else None,
                   [c.title for c in candidates if c.complete])


def _clean_hint(hint: str | None) -> str | None:
    """A document-info title worth using: no program default, template placeholder or file name, and
    without the site name a web page's title carries; None otherwise."""
    if not hint or not hint.strip():
        return None
    t = _tidy(_SITE_SUFFIX_RE.sub("", hint.strip()))
    if _JUNK_HINT_RE.search(t) or _cjk_count(t) < 4 or _is_org_name(t):
        return None
    if t[0] in "（(【[〔" and t[-1] in "）)】]〕":   # a bracketed placeholder
        return None
    return t if _is_title_part(t, first=True) else None


def file_stem(file_name: str) -> str | None:
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
    """Signing date when no signature names a body: a date alone on its line in the final part; else a
    date alone (or labelled) anywhere; else the last date in the final part."""
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
_SEAL_FRAGMENT_RE = re.compile(rf"^[{_CJK}★☆]{{1,4}}$")
_MAX_SIGNATORIES = 3


def _signature_author(lines: list[_Line], end_line: int, below: str | None = None) -> str | None:
    """The issuing body(ies) in the lines just above ``end_line``, top down, joint bodies joined with 、.

    ``below`` is a name already found on the date line itself. A seal's placeholder or up to two
    fragments of its ring text read by OCR (short runs of characters) may sit between the names and
    the date. More consecutive name lines than joint documents have means a list (e.g. an attachment
    naming units), so None.
    """
    names: list[str] = [below] if below else []
    j = end_line - 1
    skipped = 0
    while j >= 0 and not names and skipped < 3 and (
            _SEAL_LINE_RE.match(_tidy(lines[j].text))
            or (_SEAL_FRAGMENT_RE.match(_tidy(lines[j].text)) and not _is_org_name(lines[j].text))):
        j -= 1
        skipped += 1
    while j >= 0 and len(names) <= _MAX_SIGNATORIES and _is_org_name(lines[j].text):
        names.append(_clean_org(lines[j].text))
        j -= 1
    if not names or len(names) > _MAX_SIGNATORIES:
        return None
    return "、".join(reversed(names))


def _signature(lines: list[_Line], hits: list[_DateHit], body_start: int) -> tuple[str, _DateHit] | None:
    """The first signature after the header: the issuing body's name(s) right above a date alone on
    its line (or on the same line). What follows it (此件公开发布, an attached 方案 with its own
    signature) does not move it."""
    for hit in hits:
        if hit.line_no < body_start or hit.kind not in ("alone", "org"):
            continue
        if found := _signature_author(lines, hit.line_no, hit.org):
            return found, hit
    return None


def _header_author(header: _Header) -> str | None:
    """The issuing body from the red header (``XX市总工会文件``, or its name alone at the top)."""
    names = header.red_header or header.header_run
    return "、".join(_clean_org(n) for n in names) if names else None


def _title_author(header: _Header) -> str | None:
    """The issuing body the title opens with (某某县人民政府关于…的意见), or that another title of the
    block puts before the same words (a page title 某某市文明办关于开展… over the document's 关于开展…)."""
    if not header.title:
        return None
    for t in [header.title] + header.titles:
        org, sep, rest = t.partition("关于")
        if sep and _is_org_name(org) and (t == header.title or _squash(sep + rest) == _squash(header.title)):
            return org
    return None


def _agree_with_header(author: str, header: str | None) -> str:
    """The header's spelling where OCR misread one character of the signature (合服市总工会 under a seal)."""
    if header and len(header) == len(author) >= 4 and sum(a != b for a, b in zip(author, header)) == 1:
        return header
    return author


def _find_author_and_date(text: str, lines: list[_Line], header: _Header) -> tuple[str | None, _dt.date | None]:
    """Issuing body and signing date: the first signature after the header; else the last dated line of
    the final part and the names above it; then the red header, then the body a title opens with."""
    hits = _date_hits(text, lines)
    final_start = _final_part_start(text, lines)
    from_header = _header_author(header)
    sig = _signature(lines, hits, len(header.lines))
    if sig is not None:
        return _agree_with_header(sig[0], from_header), sig[1].date
    hit = _choose_date(hits, final_start)
    author = None
    if hit is None or hit.start < final_start or hit.kind not in ("alone", "org"):
        # No usable dated signature: the last lines, skipping a bare (possibly partial) date line.
        end = len(lines)
        while end > 0 and lines[end - 1].start >= final_start and _is_date_line(_tidy(lines[end - 1].text)):
            end -= 1
        if end > 0 and lines[end - 1].start >= final_start:
            author = _signature_author(lines, end)
    if author is None and header.red_header:
        author = from_header
    return author or _title_author(header) or from_header, hit.date if hit else None


# ---------------------------------------------------------------- entry point


def extract_metadata(
    text: str, *, title_hint: str | None = None, file_name: str | None = None
) -> DocMetadata:
    """Title, document number, issuing body and signing date from a document's normalised text.

    ``title_hint`` (a document-info title, a DOCX Title-style paragraph) never beats the content's
    title: it only picks among titles the content offers, or stands in when the content has none
    and the hint is no program default, placeholder or file name. ``file_name`` is the last resort.
    ``title_source`` says which of the three gave the title.
    """
    lines = _lines(text)
    hint = _clean_hint(title_hint)
    header = _analyse_header(lines, hint)
    title, source = (header.title, "content") if header.title else (hint, "hint")
    if title is None and file_name:
        title, source = file_stem(file_name), "file_name"
    author, date = _find_author_and_date(text, lines, header)
    return DocMetadata(title=title, doc_number=header.doc_number, author=author, date=date,
                       title_source=source if title else None)


# ---------------------------------------------------------------- review


# The kinds of 公文 (党政机关公文处理工作条例, art. 8) a title ends with: such a document is signed and dated.
_OFFICIAL_KINDS = ("决议", "决定", "命令", "令", "公报", "公告", "通告", "意见", "通知", "通报", "报告", "请示",
                   "批复", "议案", "函", "纪要")


def metadata_concerns(meta: DocMetadata) -> list[str]:
    """Why a person should check a document's catalogue fields before they are listed.

    A title that is the issuing body, part of it, its red header or an organisation's name is what
    the extractor falls back on when it misreads a header; a 公文 (a 文号, or a title naming one of the
    kinds of 公文) always has a 责任者 and a 成文日期, so a missing one was not found, not absent.
    """
    reasons: list[str] = []
    title = _squash(meta.title or "")
    author = _squash(meta.author or "")
    if title and (_is_red_header(title) or _is_org_name(title) or (author and title in author)):
        reasons.append(f"title {meta.title!r} looks like the issuing body or red header, not a title: check it")
    if meta.doc_number or (title and title.endswith(_OFFICIAL_KINDS)):
        for name, value in (("author (责任者)", meta.author), ("date (成文日期)", meta.date)):
            if value is None:
                reasons.append(f"official document without {name}: the extractor found none, set it by hand")
    return reasons
