"""Dates and years as Chinese documents write them: 2023年3月5日, 二〇二三年三月五日, 2023.3.5, 20230305.

Archivists file by the signing date's year, so a date is only returned when it is a real
calendar date, and a year only when it is plausible; template placeholders such as "200年"
(digits missing) are never taken for a year.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata

__all__ = ["parse_date", "find_dates", "iter_date_matches", "parse_year", "compact_date", "chinese_date",
           "MIN_YEAR", "MAX_YEAR"]

#: Plausible years for filing (parse_year); the founding of the PRC to the end of the century.
MIN_YEAR = 1949
MAX_YEAR = 2100
#: Dates may refer further back (e.g. 1921年7月1日 in body text), so dates accept from 1900.
_MIN_DATE_YEAR = 1900

_CN_DIGIT = {
    "〇": 0, "○": 0, "◯": 0, "零": 0, "O": 0, "o": 0, "0": 0,
    "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_YEAR_CH = "〇○◯零Oo0一二三四五六七八九"
_CN_YEAR = rf"[{_YEAR_CH}](?:[ ]?[{_YEAR_CH}]){{3}}"
_CN_MONTH = "[元一二三四五六七八九十]{1,2}"
_CN_DAY = "[一二三四五六七八九十廿卅]{1,3}"

_S = r"[ \t\u3000]*"  # spaces only: a date never spans lines

# 2023年3月5日, 二〇二三年三月五日, 2023 年 3 月 5 日, 2023年三月五日 (day suffix 日 or 号).
_YMD = (
    rf"(?<!\d)(?P<y1>\d{{4}}|{_CN_YEAR}){_S}年{_S}(?P<m1>\d{{1,2}}|{_CN_MONTH}){_S}月"
    rf"{_S}(?P<d1>\d{{1,2}}|{_CN_DAY}){_S}[日号]"
)
# 2023-03-05, 2023.3.5, 2023/3/5 (one separator throughout; not part of a longer dotted number).
_SEP = r"(?<![\d.])(?P<y2>\d{4})(?P<sep>[-./])(?P<m2>\d{1,2})(?P=sep)(?P<d2>\d{1,2})(?!\d)(?!(?P=sep)\d)"
# 20230305, only as a whole token (not inside a longer run of digits or letters).
_COMPACT = r"(?<![0-9A-Za-z])(?P<y3>\d{4})(?P<m3>\d{2})(?P<d3>\d{2})(?![0-9A-Za-z])"

_DATE_RE = re.compile(f"{_YMD}|{_SEP}|{_COMPACT}")

_YEAR_WHOLE_RE = re.compile(rf"(?P<y>\d{{4}}|{_CN_YEAR})\s*(?:年度?)?")
_YEAR_MARKED_RE = re.compile(rf"(?<!\d)(?P<y>\d{{4}}|{_CN_YEAR})\s*年")
_YEAR_LEADING_RE = re.compile(r"(?P<y>\d{4})(?!\d)")


def _cn_year(s: str) -> int | None:
    """Digit-by-digit year: 二〇二三 -> 2023 (also Arabic digits and O/○ look-alikes)."""
    digits = [c for c in s if not c.isspace()]
    if len(digits) != 4:
        return None
    if all(c.isdigit() for c in digits):
        return int("".join(digits))
    try:
        return int("".join(str(_CN_DIGIT[c]) for c in digits))
    except KeyError:
        return None


def _cn_number(s: str) -> int | None:
    """A small Chinese numeral (1-39): 五, 十, 十一, 二十, 二十一, 廿三, 三十一; also Arabic digits."""
    if s.isdigit():
        return int(s)
    if s == "元":
        return 1
    s = s.replace("廿", "二十").replace("卅", "三十")
    if "十" in s:
        tens, _, units = s.partition("十")
        if "十" in units or len(tens) > 1 or len(units) > 1:
            return None
        t = _CN_DIGIT.get(tens, None) if tens else 1
        u = _CN_DIGIT.get(units, None) if units else 0
        if t is None or u is None or t == 0:
            return None
        return t * 10 + u
    if len(s) == 1 and s in _CN_DIGIT and _CN_DIGIT[s] > 0 and s not in "Oo0":
        return _CN_DIGIT[s]
    return None


def _date_from_match(m: re.Match[str]) -> _dt.date | None:
    """Build a date from a ``_DATE_RE`` match, or None when it is not a real calendar date."""
    if m.group("y1") is not None:
        y = _cn_year(m.group("y1"))
        mo = _cn_number(m.group("m1"))
        d = _cn_number(m.group("d1"))
    elif m.group("y2") is not None:
        y, mo, d = int(m.group("y2")), int(m.group("m2")), int(m.group("d2"))
    else:
        y, mo, d = int(m.group("y3")), int(m.group("m3")), int(m.group("d3"))
    if y is None or mo is None or d is None or not _MIN_DATE_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return _dt.date(y, mo, d)
    except ValueError:
        return None


def parse_date(s: str) -> _dt.date | None:
    """Parse one date string in any usual Chinese form; None if it is not exactly one real date."""
    s = unicodedata.normalize("NFKC", s).strip()
    m = _DATE_RE.fullmatch(s)
    return _date_from_match(m) if m else None


def find_dates(text: str) -> list[tuple[_dt.date, int]]:
    """Every real date in ``text`` with the character offset where it starts, in text order."""
    found: list[tuple[_dt.date, int]] = []
    for m in _DATE_RE.finditer(text):
        d = _date_from_match(m)
        if d is not None:
            found.append((d, m.start()))
    return found


def iter_date_matches(text: str) -> list[tuple[_dt.date, int, int, bool]]:
    """Like ``find_dates`` but with end offsets and whether the date is written with 年/月/日."""
    out: list[tuple[_dt.date, int, int, bool]] = []
    for m in _DATE_RE.finditer(text):
        d = _date_from_match(m)
        if d is not None:
            out.append((d, m.start(), m.end(), m.group("y1") is not None))
    return out


def _plausible(y: int | None) -> int | None:
    return y if y is not None and MIN_YEAR <= y <= MAX_YEAR else None


def parse_year(s: str) -> int | None:
    """The year a folder name or cell names (2023, 2023年度资料, 二〇二三年); None for placeholders like 200年."""
    s = unicodedata.normalize("NFKC", s).strip()
    if not s:
        return None
    m = _YEAR_WHOLE_RE.fullmatch(s)
    if m:
        return _plausible(_cn_year(m.group("y")))
    for m in _YEAR_MARKED_RE.finditer(s):
        y = _plausible(_cn_year(m.group("y")))
        if y is not None:
            return y
    m = _YEAR_LEADING_RE.match(s)
    if m:
        return _plausible(int(m.group("y")))
    return None


def compact_date(date: str | None) -> str:
    """An ISO date as the item catalogue writes it: ``2023-03-05`` → ``20230305`` (8 digits); none → ``""``."""
    return (date or "").replace("-", "")


def chinese_date(d: _dt.date) -> str:
    """A date as a cover page writes it: ``2023年3月5日`` (no leading zeros)."""
    return f"{d.year}年{d.month}月{d.day}日"
