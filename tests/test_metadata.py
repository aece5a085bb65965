"""Metadata from the content of official documents, on realistic layouts (GB/T 9704) and their OCR."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive_kit.metadata import DocMetadata, doc_number_year, extract_metadata
from archive_kit.textnorm import normalize_text
from tests.conftest import REAL_CORPUS

SEED_DIR = REAL_CORPUS.parent / "seed"


def meta(raw: str, **kw: str) -> DocMetadata:
    """Extract as the pipeline does: from normalised text."""
    return extract_metadata(normalize_text(raw), **kw)


NOTICE = """中共重庆市渝中区直属机关工作委员会文件

渝中直工发〔2023〕12号

关于开展2023年度“党建工作先进单位”
创建活动的通知

各机关党组织：
    为深入贯彻落实市委关于加强机关党建的部署，经研究，决定于2023年3月15日起在区级机关开展“党建工作先进单位”创建活动。现将有关事项通知如下。
    一、创建目标
    按照渝工发〔2022〕35号文件要求，各机关党组织全部达到“五好”标准。
    二、工作要求
    请各单位于2023年4月1日前将创建方案报送区直机关工委组织科。
    特此通知。

    附件：2023年度党建工作先进单位创建标准

                                中共重庆市渝中区直属机关工作委员会
                                二〇二三年三月五日

    中共重庆市渝中区直属机关工作委员会办公室        2023年3月6日印发
"""


def test_notice_with_red_header_number_two_line_title_and_signature() -> None:
    m = meta(NOTICE)
    assert m == DocMetadata(
        title="关于开展2023年度“党建工作先进单位”创建活动的通知",
        doc_number="渝中直工发〔2023〕12号",
        author="中共重庆市渝中区直属机关工作委员会",
        date=dt.date(2023, 3, 5),
    )


def test_title_hint_wins_and_file_name_is_not_used_when_text_has_a_title() -> None:
    m = meta(NOTICE, title_hint="  关于开展创建活动的通知 ", file_name="扫描件001.pdf")
    assert m.title == "关于开展创建活动的通知"
    m = meta(NOTICE, file_name="扫描件001.pdf")
    assert m.title == "关于开展2023年度“党建工作先进单位”创建活动的通知"


MINUTES = """关于职工之家建设工作的会议纪要
2023年3月10日，公司工会在三楼会议室召开工会委员会会议，研究职工之家建设工作。会议由工会主席张明主持。
会议议定事项如下：
一、职工书屋于2023年4月30日前完成图书更新，由宣传委员负责。
二、筹备2023年职工运动会，经费从工会经费中列支。
参会人员：张明、李红、王强、赵丽
重庆某某实业有限公司工会委员会
2023年3月12日
"""


def test_minutes_prefers_the_closing_date_over_dates_in_the_body() -> None:
    m = meta(MINUTES)
    assert m.title == "关于职工之家建设工作的会议纪要"
    assert m.doc_number is None
    assert m.author == "重庆某某实业有限公司工会委员会"
    assert m.date == dt.date(2023, 3, 12)


PLAN = """重庆市渝北区文化馆
2023年文明单位创建工作计划
为巩固全国文明单位创建成果，根据区文明委2023年工作要点，结合我馆实际，制定本计划。
一、指导思想
以习近平新时代中国特色社会主义思想为指导，深入开展群众性精神文明创建活动。
二、工作措施
（一）加强思想道德建设。每季度开展一次道德讲堂。
（二）深化志愿服务。组织干部职工参加“学雷锋”志愿服务活动。
三、时间安排
全年分三个阶段实施，12月底前完成自查。
重庆市渝北区文化馆
2023年2月
"""


def test_plan_without_number_and_with_year_month_only() -> None:
    m = meta(PLAN)
    assert m.title == "重庆市渝北区文化馆2023年文明单位创建工作计划"
    assert m.doc_number is None
    assert m.author == "重庆市渝北区文化馆"
    assert m.date is None  # "2023年2月" has no day: better none than a made-up one


SIGN_IN = """某某局机关第一党支部2023年3月主题党日活动签到表
时间：2023年3月28日 下午3:00
地点：三楼会议室
序号  姓名  职务  签名
1  张  三  书记  张三
2  李  四  委员  李四
3  王  五  党员  王五
"""


def test_sign_in_sheet_takes_labelled_date_and_has_no_author() -> None:
    m = meta(SIGN_IN)
    assert m.title == "某某局机关第一党支部2023年3月主题党日活动签到表"
    assert m.date == dt.date(2023, 3, 28)
    assert m.doc_number is None
    assert m.author is None


MEETING_RECORD = """支部委员会会议记录
时间：二〇二三年四月六日
地点：党员活动室
主持人：张明
记录人：李红
会议内容：
1.传达学习上级文件精神。
2.研究2023年5月4日青年节活动安排。
"""


def test_meeting_record_uses_the_record_date_not_an_agenda_date() -> None:
    m = meta(MEETING_RECORD)
    assert m.title == "支部委员会会议记录"
    assert m.date == dt.date(2023, 4, 6)
    assert m.author is None


OCR_NOTICE = """重 庆 市 总 工 会 文 件
渝 工 发 〔 2023 〕 35 号
秘密★1年
特急
关 于 开 展 2023 年 度 “ 模 范 职 工 之 家 ”
评 选 工 作 的 通 知
各 区 县 总 工 会 ：
为 进 一 步 加 强 基 层 工 会 建 设 ， 现 就 评 选 工 作 通 知 如 下 。
请 于 2023 年 5 月 1 0 日 前 报 送 材 料 。
重 庆 市 总 工 会
二 〇 二 三 年 四 月 十 日
- 2 -
"""


def test_ocr_text_with_stray_spaces() -> None:
    m = meta(OCR_NOTICE)
    assert m.title == "关于开展2023年度“模范职工之家”评选工作的通知"
    assert m.doc_number == "渝工发〔2023〕35号"
    assert m.author == "重庆市总工会"
    assert m.date == dt.date(2023, 4, 10)


@pytest.mark.parametrize(
    "line",
    [
        "渝工发〔2023〕35号",
        "渝工发[2023]35号",
        "渝工发(2023)35号",
        "渝工发（2023）35号",
        "渝工发【2023】35号",
        "渝工发［2023］35号",
        "渝工发 [ 2023 ] 35 号",
    ],
)
def test_doc_number_bracket_variants_normalise_to_tortoise_shell(line: str) -> None:
    text = f"重庆市总工会文件\n{line}\n关于表彰先进职工之家的决定\n各区县总工会：\n正文。"
    assert meta(text).doc_number == "渝工发〔2023〕35号"


@pytest.mark.parametrize(
    "line, expected",
    [
        ("X党发[2023]12号", "X党发〔2023〕12号"),
        ("渝中办字(2023)7号", "渝中办字〔2023〕7号"),
        ("区文明办函〔2024〕第3号", "区文明办函〔2024〕第3号"),
        ("渝工发〔2023〕35号 签发人：张明", "渝工发〔2023〕35号"),
        ("重庆市总工会文件渝工发〔2023〕35号", "渝工发〔2023〕35号"),
    ],
)
def test_doc_number_forms(line: str, expected: str) -> None:
    text = f"{line}\n关于报送2023年工作总结的请示\n市总工会：\n正文。"
    assert meta(text).doc_number == expected


def test_doc_number_cited_in_body_is_not_this_documents_number() -> None:
    text = (
        "关于转发创建工作文件的通知\n各部室：\n"
        "现将渝工发〔2023〕35号文件转发给你们，请认真贯彻执行。\n"
        "又及，根据(2023)年度安排，请于3月底前报送。\n"
        "重庆市某某局办公室\n2023年3月8日\n"
    )
    m = meta(text)
    assert m.doc_number is None
    assert m.title == "关于转发创建工作文件的通知"
    assert m.author == "重庆市某某局办公室"
    assert m.date == dt.date(2023, 3, 8)


def test_template_placeholder_year_is_never_taken() -> None:
    text = (
        "重庆市总工会文件\n渝工发[200]35号\n关于开展创建活动的通知\n各区县总工会：\n"
        "在200年的基础上，力争在200年底建成“合格职工之家”。\n重庆市总工会\n200年 月 日\n"
    )
    m = meta(text)
    assert m.doc_number is None
    assert m.date is None
    assert m.title == "关于开展创建活动的通知"
    assert m.author == "重庆市总工会"


def test_invalid_signing_date_gives_none() -> None:
    text = "关于召开职工代表大会的通知\n各部门：\n定于下周召开职代会。\n某某公司工会委员会\n2023年2月30日\n"
    m = meta(text)
    assert m.date is None
    assert m.author == "某某公司工会委员会"


SEVERAL_BODIES = """重庆市渝中区总工会文件
渝中工发〔2023〕18号
关于联合开展“文明职工之家”共建活动的通知
各街道总工会、区级机关工会：
经区委宣传部、区文明办、团区委研究，决定联合开展共建活动。区总工会负责组织协调，区文明办负责考核验收。
重庆市渝中区总工会
重庆市渝中区精神文明建设委员会办公室
2023年5月4日
"""


def test_several_bodies_named_takes_the_first_signatory() -> None:
    m = meta(SEVERAL_BODIES)
    assert m.author == "重庆市渝中区总工会"
    assert m.doc_number == "渝中工发〔2023〕18号"
    assert m.date == dt.date(2023, 5, 4)


def test_author_falls_back_to_red_header_without_signature() -> None:
    text = "重庆市总工会办公室文件\n渝工办发〔2023〕3号\n关于调整工会经费的通知\n各单位：\n经研究，决定调整。\n2023年1月9日\n"
    m = meta(text)
    assert m.author == "重庆市总工会办公室"
    assert m.date == dt.date(2023, 1, 9)


def test_issuing_body_and_date_on_one_line() -> None:
    text = "关于表彰优秀志愿者的决定\n各部室：\n现予表彰。\n重庆市某某区文明办    2023年12月1日\n"
    m = meta(text)
    assert m.author == "重庆市某某区文明办"
    assert m.date == dt.date(2023, 12, 1)


def test_no_long_sentence_or_full_stop_line_as_author() -> None:
    text = (
        "关于开展读书活动的通知\n各工会小组：\n"
        "全体会员要积极参加读书分享会并提交读书心得体会至工会办公室。\n"
        "特此通知。\n2023年4月23日\n"
    )
    m = meta(text)
    assert m.author is None
    assert m.date == dt.date(2023, 4, 23)


def test_photo_without_text_is_titled_by_file_name() -> None:
    m = meta("", file_name="照片/2023-03-05 学雷锋志愿服务活动.JPG")
    assert m == DocMetadata(title="2023-03-05 学雷锋志愿服务活动", doc_number=None, author=None, date=None)
    assert meta("   \n  ", file_name=r"D:\资料\IMG_20230305_101500.jpg").title == "IMG_20230305_101500"
    assert meta("") == DocMetadata(None, None, None, None)


def test_body_only_text_has_no_title_and_falls_back_to_file_name() -> None:
    text = "今天上午，我单位组织全体职工到社区开展志愿服务活动，共清理垃圾二十余袋。"
    assert meta(text).title is None
    assert meta(text, file_name="志愿服务简讯.docx").title == "志愿服务简讯"


@pytest.mark.skipif(not any(SEED_DIR.glob("*.txt")), reason=f"seed corpus not present ({SEED_DIR})")
def test_seed_planning_document() -> None:
    (seed,) = SEED_DIR.glob("*.txt")
    m = meta(seed.read_text(encoding="utf-8"), file_name=seed.name)
    assert m.title == "创建“党建工作先进单位、文明单位和职工之家”活动规划的意见"
    assert m.doc_number is None  # only "[200]10号"-style placeholders and citations in the body
    assert m.date is None  # the site's upload timestamp is not the document's date
    assert m.author is None


@pytest.mark.parametrize(
    "number, year",
    [
        ("渝工发〔2023〕35号", 2023),
        ("X党发[2022]12号", 2022),
        ("渝中办字(2021)7号", 2021),
        ("渝工发【2024】1号", 2024),
        ("渝工发[200]35号", None),
        ("渝工发〔1850〕1号", None),
        ("第35号", None),
        ("", None),
    ],
)
def test_doc_number_year(number: str, year: int | None) -> None:
    assert doc_number_year(number) == year


def test_metadata_is_frozen() -> None:
    m = DocMetadata(None, None, None, None)
    with pytest.raises(AttributeError):
        m.title = "x"  # type: ignore[misc]


def test_joint_red_header_is_skipped_for_title_and_gives_first_body() -> None:
    text = (
        "中共重庆市渝中区委组织部\n重庆市渝中区人力资源和社会保障局\n文件\n"
        "渝中组发〔2023〕9号\n关于做好2023年度考核工作的通知\n各单位：\n请认真做好考核。\n"
    )
    m = meta(text)
    assert m.title == "关于做好2023年度考核工作的通知"
    assert m.doc_number == "渝中组发〔2023〕9号"
    assert m.author == "中共重庆市渝中区委组织部"
    assert m.date is None


def test_seal_placeholder_between_body_and_date() -> None:
    text = "关于申报模范职工之家的请示\n区总工会：\n妥否，请批示。\n重庆某某物流有限公司工会委员会\n（盖章）\n2023年6月1日\n"
    m = meta(text)
    assert m.author == "重庆某某物流有限公司工会委员会"
    assert m.date == dt.date(2023, 6, 1)


def test_list_of_units_at_the_end_is_not_a_signature() -> None:
    text = (
        "关于表彰2023年度模范职工之家的决定\n各区县总工会：\n经评审，决定表彰以下单位。\n"
        "附件：模范职工之家名单\n重庆某某实业有限公司工会\n重庆市某某局机关工会\n"
        "重庆市某某医院工会\n重庆市某某中学工会\n"
    )
    m = meta(text)
    assert m.author is None
    assert m.date is None


@given(st.text(alphabet="关于通知文件工会委员会年月日号〔〕[]()2035一二〇十：。，\n 渝发X", max_size=300))
def test_never_raises_and_author_is_a_name(text: str) -> None:
    m = extract_metadata(text)
    if m.author is not None:
        assert len(m.author) <= 40 and not m.author.endswith("。")
    if m.title is not None:
        assert len(m.title) <= 80
    if m.doc_number is not None:
        assert doc_number_year(m.doc_number) is not None


@pytest.mark.parametrize(
    "text, title",
    [
        # a heading without a document type is not glued to the first (wrapped) body line
        ("某某局机关开展学雷锋志愿服务活动\n3月5日上午局机关组织青年干部\n到社区开展志愿服务\n", "某某局机关开展学雷锋志愿服务活动"),
        # a salutation that lost its colon in OCR is not part of the title
        ("关于开展职工读书月活动\n各工会小组\n为营造读书氛围，现开展读书月活动。\n", "关于开展职工读书月活动"),
        # a three-line title
        ("关于印发《重庆市某某区2023年度\n文明单位创建工作测评体系》\n的通知\n各单位：\n", "关于印发《重庆市某某区2023年度文明单位创建工作测评体系》的通知"),
        # secrecy, urgency and page-number lines are skipped
        ("- 1 -\n秘密★1年\n特急\n关于做好节日期间安全工作的紧急通知\n各单位：\n", "关于做好节日期间安全工作的紧急通知"),
        # a date line right under the title ends it
        ("在2023年工会工作会议上的讲话\n（2023年2月20日）\n同志们：\n", "在2023年工会工作会议上的讲话"),
    ],
)
def test_title_edge_cases(text: str, title: str) -> None:
    assert meta(text).title == title


@pytest.mark.parametrize(
    "text",
    [
        "根据渝工发〔2023〕35号文件精神，现将有关事项通知如下。\n重庆市某某局\n2023年3月1日\n",
        "关于转发文件的通知\n按照渝工发〔2023〕35号要求\n各单位：\n",
        "学习记录\n学习市委渝委发[2023]1号文件精神\n",
    ],
)
def test_cited_numbers_are_not_taken(text: str) -> None:
    assert meta(text).doc_number is None
