"""Metadata from the content of official documents, on realistic layouts (GB/T 9704) and their OCR."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive_kit.metadata import DocMetadata, doc_number_year, extract_metadata, metadata_concerns
from archive_kit.textnorm import normalize_extracted
from tests.conftest import REAL_CORPUS

SEED_DIR = REAL_CORPUS.parent / "seed"


def meta(raw: str, **kw: str) -> DocMetadata:
    """Extract as the pipeline does: from text normalised as the extractors normalise it."""
    return extract_metadata(normalize_extracted(raw), **kw)


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
        title_source="content",
    )


def test_content_title_beats_a_different_hint_and_the_file_name() -> None:
    m = meta(NOTICE, title_hint="  关于开展创建活动的通知 ", file_name="扫描件001.pdf")
    assert m.title == "关于开展2023年度“党建工作先进单位”创建活动的通知"
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
def test_doc_number_brackets_are_kept_as_written(line: str) -> None:
    """The catalogue copies the 文号 as the document prints it (照录): only spaces go."""
    text = f"重庆市总工会文件\n{line}\n关于表彰先进职工之家的决定\n各区县总工会：\n正文。"
    assert meta(text).doc_number == normalize_extracted(line).replace(" ", "")


@pytest.mark.parametrize(
    "line, expected",
    [
        ("X党发[2023]12号", "X党发[2023]12号"),
        ("渝中办字(2023)7号", "渝中办字(2023)7号"),
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


def test_joint_signature_on_two_lines_names_both_bodies() -> None:
    m = meta(SEVERAL_BODIES)
    assert m.author == "重庆市渝中区总工会、重庆市渝中区精神文明建设委员会办公室"
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
    assert m == DocMetadata(title="2023-03-05 学雷锋志愿服务活动", doc_number=None, author=None, date=None,
                            title_source="file_name")
    assert meta("   \n  ", file_name=r"D:\资料\IMG_20230305_101500.jpg").title == "IMG_20230305_101500"
    assert meta("") == DocMetadata(None, None, None, None)


def test_body_only_text_has_no_title_and_falls_back_to_file_name() -> None:
    text = "今天上午，我单位组织全体职工到社区开展志愿服务活动，共清理垃圾二十余袋。"
    assert meta(text).title is None
    assert meta(text, file_name="志愿服务简讯.docx").title == "志愿服务简讯"


@pytest.mark.skipif(not SEED_DIR.is_dir(), reason=f"seed corpus not present at {SEED_DIR}")
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


def test_joint_red_header_is_skipped_for_title_and_names_both_bodies() -> None:
    text = (
        "中共重庆市渝中区委组织部\n重庆市渝中区人力资源和社会保障局\n文件\n"
        "渝中组发〔2023〕9号\n关于做好2023年度考核工作的通知\n各单位：\n请认真做好考核。\n"
    )
    m = meta(text)
    assert m.title == "关于做好2023年度考核工作的通知"
    assert m.doc_number == "渝中组发〔2023〕9号"
    assert m.author == "中共重庆市渝中区委组织部、重庆市渝中区人力资源和社会保障局"
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


# ---------------------------------------------------------------- patterns of real official documents
# (issue 11: each text below is written for the test, in the shape real documents take)

BODY = "各科室：\n根据上级工作安排，现将有关事项通知如下，请认真抓好落实。\n"
JUNK_HINTS = [
    "untitled", "Microsoft Word - 文档1.docx", "Document1", "PowerPoint 演示文稿", "标题", "（填写标准名称）",
    "无标题", "新建 Microsoft Word 文档.docx", "关于开展防汛检查的通知.doc", "k",
]


@pytest.mark.parametrize("hint", JUNK_HINTS + ["关于开展防汛检查工作的通知 - 某某县人民政府门户网站"])
def test_a_document_info_title_never_beats_the_content_title(hint: str) -> None:
    text = "某某县水利局文件\n县水发〔2024〕6号\n关于开展2024年汛前安全大检查的通知\n" + BODY
    assert meta(text, title_hint=hint).title == "关于开展2024年汛前安全大检查的通知"


@pytest.mark.parametrize("hint", JUNK_HINTS)
def test_a_junk_document_info_title_is_no_title_at_all(hint: str) -> None:
    text = BODY + "某某县水利局\n2024年5月7日\n"
    assert meta(text, title_hint=hint).title is None
    assert meta(text, title_hint=hint, file_name="扫描件.pdf").title == "扫描件"


def test_a_web_page_title_hint_loses_its_site_name() -> None:
    text = BODY + "某某县水利局\n2024年5月7日\n"
    for hint in ("关于开展防汛检查工作的通知 - 某某县人民政府门户网站", "关于开展防汛检查工作的通知_某某网",
                 "关于开展防汛检查工作的通知|中国某某网"):
        assert meta(text, title_hint=hint).title == "关于开展防汛检查工作的通知"


def test_a_hint_picks_between_two_titles_of_the_content() -> None:
    text = "关于某某路段施工的说明\n关于区人大代表第12号建议的答复\n张某代表：\n您的建议收悉。\n"
    assert meta(text).title == "关于区人大代表第12号建议的答复"
    assert meta(text, title_hint="关于某某路段施工的说明").title == "关于某某路段施工的说明"


def test_pdf_with_reportlab_untitled_is_catalogued_under_its_first_line(tmp_path: Path) -> None:
    from fpdf import FPDF

    from archive_kit.extract import ExtractOptions, extract
    from archive_kit.fonts import require_cjk_font

    pdf = FPDF()
    pdf.add_font("cjk", "", str(require_cjk_font()))
    pdf.set_font("cjk", size=14)
    pdf.set_title("untitled")
    pdf.add_page()
    for line in ("关于开展理论学习中心组学习的通知", "各党支部：", "现将本季度学习安排通知如下。", "机关党委", "2024年3月5日"):
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "a.pdf"))
    ext = extract(tmp_path / "a.pdf", "pdf", ExtractOptions(ocr=False))
    assert ext.title_hint == "untitled"
    m = extract_metadata(ext.text, title_hint=ext.title_hint, file_name="a.pdf")
    assert m.title == "关于开展理论学习中心组学习的通知"


@pytest.mark.parametrize(
    "text, title, author",
    [
        # a red header without 文件 and without a 文号 line, then the title
        ("某某市统计局\n关于报送2024年第一季度统计报表的通知\n" + BODY + "某某市统计局\n2024年4月2日\n",
         "关于报送2024年第一季度统计报表的通知", "某某市统计局"),
        # the same, the title repeating the issuing body on its first line
        ("某某市统计局\n某某市统计局关于报送2024年\n第一季度统计报表的通知\n" + BODY,
         "某某市统计局关于报送2024年第一季度统计报表的通知", "某某市统计局"),
        # a red header and no title at all: the issuing body is no title
        ("某某市统计局\n" + BODY + "某某市统计局\n2024年4月2日\n", None, "某某市统计局"),
        # a red header then the 文号: the header is the issuing body when there is no signature
        ("某某县人民政府\n某政发〔2024〕3号\n关于调整县城区停车收费标准的通知\n" + BODY + "2024年1月5日\n",
         "关于调整县城区停车收费标准的通知", "某某县人民政府"),
    ],
)
def test_red_header_without_number_line(text: str, title: str | None, author: str) -> None:
    m = meta(text)
    assert (m.title, m.author) == (title, author)


@pytest.mark.parametrize(
    "text, title",
    [
        # a line ending with 、 is the first line of a wrapped title, not a sentence
        ("某某区总工会文件\n某工发〔2024〕2号\n关于表彰2023年度先进职工之家、\n优秀工会工作者的决定\n" + BODY,
         "关于表彰2023年度先进职工之家、优秀工会工作者的决定"),
        # three lines, the first the issuing body alone (after the 文号): all three are the title
        ("某政发〔2024〕11号\n某某县人民政府\n关于印发《某某县2024年度\n重点工作任务分解方案》的通知\n" + BODY,
         "某某县人民政府关于印发《某某县2024年度重点工作任务分解方案》的通知"),
        # two lines without any header, the second starting with the document type's object
        ("某某县人民政府关于进一步加强\n农村集体资产管理的意见\n" + BODY, "某某县人民政府关于进一步加强农村集体资产管理的意见"),
    ],
)
def test_multi_line_titles_are_joined_and_never_lose_their_first_line(text: str, title: str) -> None:
    assert meta(text).title == title


def test_full_width_brackets_in_a_title_are_kept_as_written() -> None:
    text = "某某市人民政府文件\n某府发〔2024〕8号\n关于印发《某某市国土空间总体规划（2021—2035年）》的通知\n" + BODY
    assert meta(text).title == "关于印发《某某市国土空间总体规划（2021—2035年）》的通知"


def test_full_width_brackets_survive_docx_extraction(tmp_path: Path) -> None:
    import docx

    from archive_kit.extract import ExtractOptions, extract

    d = docx.Document()
    for line in ("某某市人民政府", "关于印发《某某市养老服务体系建设规划（2024—2028年）》的通知", "各区县人民政府：",
                 "现将规划印发给你们，请认真贯彻执行。", "某某市人民政府", "2024年6月3日"):
        d.add_paragraph(line)
    d.save(str(tmp_path / "a.docx"))
    ext = extract(tmp_path / "a.docx", "docx", ExtractOptions(ocr=False))
    m = extract_metadata(ext.text, title_hint=ext.title_hint)
    assert m.title == "关于印发《某某市养老服务体系建设规划（2024—2028年）》的通知"
    assert "各区县人民政府：" in ext.text  # full-width colon as written, too


@pytest.mark.parametrize("lead", ["签发：王某某", "签发人：王某某", "签发人: 王某某", "签发人：\n王某某", "签发："])
def test_a_leading_signer_line_is_not_the_title(lead: str) -> None:
    text = f"{lead}\n关于申请拨付2024年度职工书屋建设经费的请示\n区总工会：\n妥否，请批示。\n某某公司工会委员会\n2024年2月1日\n"
    m = meta(text)
    assert m.title == "关于申请拨付2024年度职工书屋建设经费的请示"
    assert m.author == "某某公司工会委员会"


@pytest.mark.parametrize(
    "line, number",
    [
        ("某工发〔2024〕7 号", "某工发〔2024〕7号"),
        ("编号：某办发〔2024〕12号", "某办发〔2024〕12号"),
        ("文号：某办发〔2024〕12号", "某办发〔2024〕12号"),
        ("某府办发（通知）〔2024〕5号", "某府办发（通知）〔2024〕5号"),
        ("某工[2007]8号", "某工[2007]8号"),
        ("某政办(2011)129号", "某政办(2011)129号"),
        ("某政办（2011）129号", "某政办（2011）129号"),
        ("某政〔2009]22号", "某政〔2009〕22号"),   # brackets no one writes: OCR misread one of them
    ],
)
def test_doc_number_patterns_of_real_documents(line: str, number: str) -> None:
    text = f"某某县人民政府办公室文件\n{line}\n关于做好2024年春节期间安全生产工作的通知\n" + BODY
    m = meta(text)
    assert m.doc_number == number
    assert m.title == "关于做好2024年春节期间安全生产工作的通知"


@pytest.mark.parametrize(
    "first, title, number",
    [
        # a web page's title line: the title with the 文号 in brackets after it
        ("关于表彰2023年度五好职工之家的决定(某工[2008]3号)", "关于表彰2023年度五好职工之家的决定", "某工[2008]3号"),
        # a database line: the 文号, a space, the title
        ("某发〔2022〕4号 关于召开2021年度组织生活会的通知", "关于召开2021年度组织生活会的通知", "某发〔2022〕4号"),
        # the 文号 run into the title in book-title marks
        ("某府〔2017〕32号《某某市人民政府关于印发河道管理办法的通知》", "某某市人民政府关于印发河道管理办法的通知",
         "某府〔2017〕32号"),
    ],
)
def test_number_and_title_on_one_line(first: str, title: str, number: str) -> None:
    m = meta(first + "\n" + BODY)
    assert (m.title, m.doc_number) == (title, number)


def test_the_documents_own_title_after_its_number_beats_a_page_title_above() -> None:
    text = "某某市文明办关于开展“我们的节日·端午”主题活动的通知\n2024-06-01 10:07\n市文明办发〔2024〕9号\n" \
           "关于开展“我们的节日·端午”主题活动的通知\n" + BODY
    m = meta(text)
    assert m.title == "关于开展“我们的节日·端午”主题活动的通知"
    assert m.doc_number == "市文明办发〔2024〕9号"
    assert m.author == "某某市文明办"  # named in the title above


def test_web_page_labels_above_the_number_do_not_end_the_header() -> None:
    text = "某某市人民政府\n关于深化“放管服”改革的实施意见\n- 发布日期:2021-07-19\n- 浏览次数:\n某政字〔2021〕30号\n" + BODY
    m = meta(text)
    assert m.doc_number == "某政字〔2021〕30号"
    assert m.title == "某某市人民政府关于深化“放管服”改革的实施意见"


def test_author_from_the_title_when_there_is_no_signature() -> None:
    text = "某某省人民政府关于深化预算管理制度改革的实施意见\n各市人民政府：\n为深化改革，提出如下意见。\n一、总体要求\n"
    assert meta(text).author == "某某省人民政府"


SEALED = """某某市总工会文件
某工发〔2024〕15号
关于表彰2023年度模范职工之家的决定
各区县总工会：
经评审，决定表彰以下单位。
附件：模范职工之家名单
{signature}
二O二四年一月十七日
"""


@pytest.mark.parametrize(
    "signature",
    [
        "某某市总工会",
        "市总\n某某市总工会",            # seal text read above the name
        "某某市总工会\n会工总",            # seal text read between name and date
        "某某市总工会\n（印章）",
    ],
)
def test_signature_under_a_red_seal(signature: str) -> None:
    m = meta(SEALED.format(signature=signature))
    assert m.author == "某某市总工会"
    assert m.date == dt.date(2024, 1, 17)


ATTACHED = """某某县人民政府文件
某政发〔2024〕21号
某某县人民政府关于印发《某某县农村人居环境整治方案》的通知
各乡镇人民政府，县直各部门：
现将《某某县农村人居环境整治方案》印发给你们，请认真贯彻执行。
某某县人民政府
2024年5月6日
（此件公开发布）
某某县农村人居环境整治方案
为持续改善农村人居环境，制定本方案。
一、总体要求
以村庄清洁行动为抓手，全面提升村容村貌，到年底前完成整治任务。
二、主要任务
（一）推进农村厕所革命。各乡镇于2024年10月31日前完成改厕任务。
（二）加强生活垃圾治理。建立户分类、村收集、镇转运的收运体系。
（三）开展村庄清洁行动。每月组织一次集中清洁活动。
三、保障措施
各乡镇、各部门要加强组织领导，落实工作责任，确保方案落到实处。
附件：某某县农村人居环境整治任务分解表
某某县农村人居环境整治工作领导小组办公室
2024年4月30日
"""


def test_signature_followed_by_an_attached_plan() -> None:
    m = meta(ATTACHED)
    assert m.author == "某某县人民政府"
    assert m.date == dt.date(2024, 5, 6)
    assert m.doc_number == "某政发〔2024〕21号"


@pytest.mark.parametrize(
    "written, date",
    [
        ("二〇二三年三月五日", dt.date(2023, 3, 5)),
        ("二OO七年一月十七日", dt.date(2007, 1, 17)),
        ("二○一一年八月九日", dt.date(2011, 8, 9)),
        ("二0一九年十二月三十一日", dt.date(2019, 12, 31)),
    ],
)
def test_signing_dates_in_chinese_numerals(written: str, date: dt.date) -> None:
    text = "关于召开年度工作会议的通知\n" + BODY + f"某某县人民政府办公室\n{written}\n"
    m = meta(text)
    assert m.date == date
    assert m.author == "某某县人民政府办公室"


# ---------------------------------------------------------------- the real corpus

GONGWEN = Path(__file__).resolve().parent / "corpus" / "gongwen"
# right answers (of 16 dev / 15 held-out documents) bench/metadata.py measured when these rules were
# made (README, Ingest → Metadata): title, 文号, 责任者, date; a regression breaks the floor
FLOOR = {
    "text": {"dev": (16, 16, 12, 16), "held-out": (15, 15, 12, 15)},
    "docx": {"dev": (16, 16, 16, 16), "held-out": (15, 15, 14, 15)},
    "pdf": {"dev": (16, 16, 16, 16), "held-out": (15, 15, 14, 15)},
}


@pytest.mark.slow
@pytest.mark.skipif(not (GONGWEN / "official" / "truth.tsv").is_file(),
                    reason=f"real corpus not present at {GONGWEN} (see bench/gongwen.py)")
def test_real_official_documents_keep_their_measured_accuracy(tmp_path: Path) -> None:
    """The stored texts, and DOCX and PDF renderings of them in the GB/T 9704 layout, read back by the
    real extractors (the OCRed scans are measured by bench/metadata.py only: too slow for a test)."""
    from bench.metadata import FIELDS, measure

    out = measure(GONGWEN, ("text", "docx", "pdf"), workdir=tmp_path)
    for variant, by_split in FLOOR.items():
        for split, floor in by_split.items():
            got = out["results"][variant][split]
            for field, least in zip(FIELDS, floor):
                assert got[field]["right"] >= least, (variant, split, field, got[field], out["misses"][variant])


# ---------------------------------------------------------------- review flags for suspicious metadata


@pytest.mark.parametrize(
    "title, author",
    [
        ("某某市总工会", "某某市总工会"),            # the issuing body taken as the title
        ("某某市总工会文件", "某某市总工会"),        # the red header taken as the title
        ("总工会", "某某市总工会"),                  # a title contained in the issuing body
        ("中共某某县委员会组织部", None),            # an organisation's name, no author to compare with
    ],
)
def test_a_title_that_is_the_issuing_body_or_red_header_is_flagged(title: str, author: str | None) -> None:
    reasons = metadata_concerns(DocMetadata(title, None, author, dt.date(2023, 3, 5)))
    assert any("title" in r and title in r for r in reasons), reasons


@pytest.mark.parametrize(
    "title, number, author, date, missing",
    [
        ("关于开展道德讲堂活动的通知", None, None, dt.date(2023, 3, 5), "author"),
        ("关于开展道德讲堂活动的通知", None, "某某市文明办", None, "date"),
        ("2023年工作要点", "某文明办发〔2023〕2号", "某某市文明办", None, "date"),   # a 文号 makes it a 公文
        ("关于申请拨付职工书屋经费的请示", None, None, None, "author"),
    ],
)
def test_an_official_document_without_date_or_author_is_flagged(
        title: str, number: str | None, author: str | None, date: dt.date | None, missing: str) -> None:
    reasons = metadata_concerns(DocMetadata(title, number, author, date))
    assert any(missing in r for r in reasons), reasons


@pytest.mark.parametrize(
    "m",
    [
        DocMetadata("关于开展道德讲堂活动的通知", "某文明办发〔2023〕2号", "某某市文明办", dt.date(2023, 3, 5)),
        DocMetadata("职工书屋借阅登记表", None, None, None),   # no 公文: a form has neither
        DocMetadata("会议记录", None, None, dt.date(2023, 3, 5)),
        DocMetadata(None, None, None, None),                  # no title at all: review's other reasons
    ],
)
def test_sound_metadata_raises_no_concern(m: DocMetadata) -> None:
    assert metadata_concerns(m) == []


def test_review_lists_suspicious_titles_and_unsigned_official_documents(tmp_path: Path) -> None:
    """Through the real CLI: a title a manifest set to the issuing body, and a 通知 whose 落款 was not
    found, are listed by ``review`` with their reasons."""
    import csv

    import docx

    from archive_kit.archive import Archive
    from tests.conftest import cli_json

    root = tmp_path / "repo"
    Archive.init(root).close()
    src = tmp_path / "src"
    src.mkdir()
    for name, lines in (
        ("a.docx", ["关于报送年度工作总结的通知", "各基层工会：", "请于3月底前报送材料。", "某某市总工会", "2023年3月5日"]),
        ("b.docx", ["关于报送年度工作总结的通知", "各基层工会：", "请于3月底前报送材料。"]),
    ):
        d = docx.Document()
        for line in lines:
            d.add_paragraph(line)
        d.save(str(src / name))
    with open(src / "清单.csv", "w", encoding="gb18030", newline="") as f:
        csv.writer(f).writerows([["路径", "类别", "指标", "年度", "题名"],
                                 ["a.docx", "职工之家", "1.1", "2023", "某某市总工会"],
                                 ["b.docx", "职工之家", "1.1", "2023", ""]])
    assert cli_json("ingest", "--manifest", str(src / "清单.csv"), "--no-ocr", root=root)[0] == 0
    rc, data = cli_json("review", root=root)
    reasons = {doc["original_name"]: doc["review_reasons"] for doc in data["documents"]}
    assert any("title" in r and "某某市总工会" in r for r in reasons.get("a.docx", [])), reasons
    assert any("author" in r for r in reasons.get("b.docx", [])), reasons
    assert any("date" in r for r in reasons.get("b.docx", [])), reasons
