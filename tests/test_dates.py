"""Dates and years as archivists meet them: Chinese numerals, dotted forms, placeholders, impossible days."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive_kit.dates import chinese_date, compact_date, find_dates, parse_date, parse_year

D = dt.date(2023, 3, 5)


@pytest.mark.parametrize(
    "s",
    [
        "2023年3月5日",
        "2023年03月05日",
        "2023 年 3 月 5 日",
        "2023年3月5号",
        "二〇二三年三月五日",
        "二○二三年三月五日",
        "二零二三年三月五日",
        "二O二三年三月五日",
        "二 O 二三年三月五日",
        "２０２３年３月５日",  # full-width digits, as a caller may pass raw text
        "2023-03-05",
        "2023.3.5",
        "2023/3/5",
        "20230305",
        " 2023-3-5 ",
    ],
)
def test_parse_date_forms(s: str) -> None:
    assert parse_date(s) == D


@pytest.mark.parametrize(
    "s, expected",
    [
        ("二〇二三年十月十日", dt.date(2023, 10, 10)),
        ("二〇二三年十一月十一日", dt.date(2023, 11, 11)),
        ("二〇二三年十二月二十一日", dt.date(2023, 12, 21)),
        ("二〇二三年十二月三十一日", dt.date(2023, 12, 31)),
        ("二〇二三年一月二十日", dt.date(2023, 1, 20)),
        ("二〇二四年二月二十九日", dt.date(2024, 2, 29)),
        ("一九四九年十月一日", dt.date(1949, 10, 1)),
        ("二〇二三年元月三日", dt.date(2023, 1, 3)),
        ("2023年三月五日", D),
    ],
)
def test_parse_date_chinese_numerals(s: str, expected: dt.date) -> None:
    assert parse_date(s) == expected


@pytest.mark.parametrize(
    "s",
    [
        "2023年2月30日",
        "二〇二三年二月二十九日",  # 2023 is not a leap year
        "2023年13月1日",
        "2023年4月31日",
        "2023-02-30",
        "20230230",
        "2023.0.5",
        "二〇二三年十三月一日",
        "二〇二三年三月三十二日",
        "200年3月5日",  # template placeholder
        "20  年3月5日",
        "2023-3/5",  # mixed separators
        "2023年3月",  # no day
        "2023年3月5日召开",  # more than one date string
        "",
        "今天",
    ],
)
def test_parse_date_rejects(s: str) -> None:
    assert parse_date(s) is None


def test_find_dates_in_order_with_offsets() -> None:
    text = "会议于2023年3月5日召开。\n二〇二三年三月六日\n附件日期2023.3.7,编号20230308。"
    found = find_dates(text)
    assert [d for d, _ in found] == [D, dt.date(2023, 3, 6), dt.date(2023, 3, 7), dt.date(2023, 3, 8)]
    for d, off in found:
        assert text[off] in "2二"
    assert found[0][1] == text.index("2023年")


def test_find_dates_skips_invalid_and_non_dates() -> None:
    text = "2023年2月30日无效;版本v1.2023.3.5;电话02368812345;身份证500101199001011234;2023年3月5日有效"
    assert find_dates(text) == [(D, text.rindex("2023年3月5日"))]


def test_find_dates_never_spans_lines() -> None:
    assert find_dates("2023年\n3月5日") == []


def test_find_dates_none_in_placeholder_template() -> None:
    assert find_dates("在200年的基础上,力争在200年底200年初建成,按照工委[200]10号文件") == []


@pytest.mark.parametrize(
    "s, year",
    [
        ("2023", 2023),
        ("2023年", 2023),
        ("2023年度", 2023),
        ("二〇二三年", 2023),
        ("二〇二三年度", 2023),
        ("2023年度资料", 2023),
        ("2023年度党建工作台账", 2023),
        ("党建资料2023年", 2023),
        ("2023-03-05 活动照片", 2023),
        ("2023_文明单位", 2023),
        ("１９４９年", 1949),
        ("2100", 2100),
    ],
)
def test_parse_year(s: str, year: int) -> None:
    assert parse_year(s) == year


@pytest.mark.parametrize(
    "s",
    ["200年", "20  年", "200年度资料", "20年", "1948", "2101年", "12023", "3.2 党员教育管理", "", "资料", "第2023号文件夹"],
)
def test_parse_year_rejects(s: str) -> None:
    assert parse_year(s) is None


_CN = "〇一二三四五六七八九"


def _cn_small(n: int) -> str:
    tens, units = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else _CN[tens] + "十")) + (_CN[units] if units else "")


@given(st.dates(min_value=dt.date(1949, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_every_written_form_round_trips(d: dt.date) -> None:
    cn_year = "".join(_CN[int(c)] for c in str(d.year))
    forms = [
        f"{d.year}年{d.month}月{d.day}日",
        f"{cn_year}年{_cn_small(d.month)}月{_cn_small(d.day)}日",
        d.isoformat(),
        f"{d.year}.{d.month}.{d.day}",
        f"{d.year}/{d.month}/{d.day}",
        d.strftime("%Y%m%d"),
    ]
    for form in forms:
        assert parse_date(form) == d, form
        assert find_dates(f"落款:\n{form}\n") == [(d, 4)], form


def test_formatting_helpers() -> None:
    assert compact_date("2023-03-05") == "20230305"
    assert compact_date(None) == compact_date("") == ""
    assert chinese_date(D) == "2023年3月5日"


@given(st.dates(min_value=dt.date(1949, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_formatted_dates_parse_back(d: dt.date) -> None:
    """What the listings and the bundle cover write, the date parser reads back as the same date."""
    assert parse_date(compact_date(d.isoformat())) == d
    assert parse_date(chinese_date(d)) == d
