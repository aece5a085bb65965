"""OFD documents (GB/T 33190-2016): detection, reading, rendering to PDF, hostile packages.

Real files come from ``../shared/corpus/ofd`` (22 OFDs, SOURCES.tsv says what each tests); the
hostile packages are built here. Expected strings were read off the files themselves.
"""
from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from archive_kit.errors import InputFileError
from archive_kit.extract import ExtractOptions
from archive_kit.ofd import ImageItem, TextItem, is_ofd, read_ofd, render_ofd_pdf
from archive_kit.ofd.extract import extract_ofd
from tests.conftest import REAL_CORPUS

OFD_CORPUS = REAL_CORPUS.parent / "ofd"
corpus = pytest.mark.skipif(not OFD_CORPUS.is_dir(), reason="shared OFD corpus (../shared/corpus/ofd) not present")
MM = 72 / 25.4

NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
OFD_XML = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} DocType="OFD" Version="1.1"><ofd:DocBody>'
           '<ofd:DocInfo><ofd:Title>测试</ofd:Title></ofd:DocInfo>'
           '<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')


def document_xml(*pages: str) -> str:
    listed = "".join(f'<ofd:Page ID="{i + 1}" BaseLoc="{loc}"/>' for i, loc in enumerate(pages))
    return (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {NS}><ofd:CommonData><ofd:MaxUnitID>9</ofd:MaxUnitID>'
            '<ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
            '<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>'
            f'<ofd:Pages>{listed}</ofd:Pages></ofd:Document>')


PUBLIC_RES = f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res {NS} BaseLoc="Res"><ofd:Fonts><ofd:Font ID="2" FontName="宋体"/></ofd:Fonts></ofd:Res>'


def page_xml(objects: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {NS}><ofd:Content><ofd:Layer ID="3">{objects}</ofd:Layer></ofd:Content></ofd:Page>'


def text_object(text: str, x: float, y: float, size: float = 5.0, obj_id: int = 4) -> str:
    return (f'<ofd:TextObject ID="{obj_id}" Boundary="{x} {y} 100 {size * 2}" Font="2" Size="{size}">'
            f'<ofd:TextCode X="0" Y="{size}" DeltaX="g {max(0, len(text) - 1)} {size}">{text}</ofd:TextCode></ofd:TextObject>')


def make_ofd(path: Path, members: dict[str, str | bytes]) -> Path:
    """An OFD package with exactly these members (a minimal valid document unless overridden)."""
    parts: dict[str, str | bytes] = {"OFD.xml": OFD_XML, "Doc_0/Document.xml": document_xml("Pages/Page_0/Content.xml"),
                                     "Doc_0/PublicRes.xml": PUBLIC_RES,
                                     "Doc_0/Pages/Page_0/Content.xml": page_xml(text_object("档案管理", 20, 20))}
    parts.update(members)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if data is not None:
                z.writestr(name, data)
    return path


def refusal(path: Path) -> str:
    """The one-line reason ``read_ofd`` refuses ``path`` with."""
    with pytest.raises(InputFileError) as info:
        read_ofd(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path)), message
    return info.value.reason


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text_and_sizes(data: bytes) -> tuple[list[str], list[tuple[float, float]]]:
    pdf = pdfium.PdfDocument(data)
    return [p.get_textpage().get_text_range() for p in pdf], [tuple(p.get_size()) for p in pdf]


# --- detection -------------------------------------------------------------------------------

@corpus
def test_every_corpus_file_is_detected_as_ofd(tmp_path: Path) -> None:
    files = sorted(OFD_CORPUS.glob("*.ofd"))
    assert len(files) == 22
    assert all(is_ofd(f) for f in files)
    assert not is_ofd(OFD_CORPUS / "SOURCES.tsv")


def test_is_ofd_needs_ofd_xml_at_the_package_root(tmp_path: Path) -> None:
    assert is_ofd(make_ofd(tmp_path / "a.ofd", {}))
    lower = make_ofd(tmp_path / "lower.ofd", {"OFD.xml": None, "ofd.xml": OFD_XML})  # type: ignore[dict-item]
    assert is_ofd(lower)
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(nested, "w") as z:
        z.writestr("sub/OFD.xml", OFD_XML)
    docx_like = tmp_path / "x.docx"
    with zipfile.ZipFile(docx_like, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    (tmp_path / "t.txt").write_text("OFD.xml", encoding="utf-8")
    assert not is_ofd(nested) and not is_ofd(docx_like) and not is_ofd(tmp_path / "t.txt")
    assert not is_ofd(tmp_path / "missing.ofd")


# --- reading real files ------------------------------------------------------------------------

REAL_TEXTS = [
    ("invoice_zhejiang_vat_2020.ofd", 1, ["浙江增值税电子普通发票", "发票号码：83089647", "江苏京利华新材料有限公司",
                                          "（小写）¥526.00", "开票日期：2020年07月23日"]),
    ("invoice_chongqing_5p_list.ofd", 5, ["重庆增值税电子普通发票", "12235358", "销售货物或者提供应税劳务、服务清单"]),
    ("invoice_beijing_5p_drawparam.ofd", 5, ["北京增值税电子普通发票", "71500013", "百望股份有限公司"]),
    ("invoice_nuonuo_pageblock.ofd", 1, ["浙江增值税电子普通发票", "发票号码：99934328", "杭州融运科技有限公司"]),
    ("invoice_wuhan_metro_2024_test.ofd", 1, ["湖北增值税电子普通发票", "开票日期:2024年11月07日", "武汉地铁集团有限公司"]),
    ("invoice_guizhou_vat_special.ofd", 1, ["贵州增值税电子专用发票", "中国移动通信集团贵州有限公司黔南分公司"]),
    ("gov_doc_processing_form.ofd", 1, ["市政府文件处理", "市委主要领导同志调研后续落实事项的通知", "收文登记人 陈小明"]),
    ("permit_construction_2p.ofd", 2, ["建筑工程施工许可证", "编号420000202012394121", "建筑工程施工许可证附件"]),
    ("magazine_article_3p_composite.ofd", 3, ["勇立潮头", "建设新时代海关数字档案室", "文/海关总署"]),
    ("manual_3p_embedded_fonts.ofd", 3, ["可信安全浏览器", "Web应用开发指南", "3.3.3 API"]),
    ("standard_excerpt_4p.ofd", 4, ["11.4字型变换", "CodePosition xs:int TextCode中字符编码的起始位置"]),
    ("cover_page_patterns.ofd", 1, ["信息系统密码应用测评要求", "中国密码学会密评联委会", "二〇二〇年十二月"]),
    ("poems_11p_embedded_otf.ofd", 11, ["1、一日不见兮，思之如狂。", "《凤求凰·琴歌》"]),
    ("essay_nalaizhuyi_2p.ofd", 2, ["拿来主义", "鲁迅"]),
    ("conformance_path_with_spaces.ofd", 2, ["本样例测试阅读器对ZIP结构的支持情况"]),
    ("conformance_zip_entries_at_end.ofd", 2, ["BMP格式", "符合标准的阅读器应同时看到以上的多个图片"]),
    ("conformance_path_escape_chars.ofd", 2, ["GIF格式", "二值BMP"]),
    ("case_filing_nonstd_paths.ofd", 2, ["立案决定书", "立案侦查。", "（存根）"]),
    ("seal_text_circular.ofd", 1, ["全国统一发票监制章", "国家税务总局", "上海市税务局"]),
    ("land_use_approval_images.ofd", 1, ["临沧建投开发投资有限公司", "2018-530902-70-01-002747"]),
    ("exploration_license_missing_image.ofd", 2, ["矿产资源勘查许可证", "探矿权人应在批准的勘查范围内依法进行勘查活动"]),
]


@corpus
@pytest.mark.parametrize("name,pages,expected", REAL_TEXTS, ids=[r[0] for r in REAL_TEXTS])
def test_real_files_read_with_their_text_and_page_count(name: str, pages: int, expected: list[str]) -> None:
    doc = read_ofd(OFD_CORPUS / name)
    assert doc.page_count == pages
    for phrase in expected:
        assert phrase in doc.text, phrase


@corpus
def test_essay_opens_in_reading_order() -> None:
    doc = read_ofd(OFD_CORPUS / "essay_nalaizhuyi_2p.ofd")
    assert doc.pages[0].lines[:2] == ["拿来主义", "鲁迅"]
    assert flat(doc.pages[0].text).startswith("拿来主义鲁迅中国一向是所谓“闭关主义”，自己不去，别人也不许来。"
                                              "自从给枪炮打破了大门之后")
    assert flat(doc.pages[1].text).startswith("怕给他的东西染污了，徘徊不敢走进门，是孱头；")


@corpus
def test_every_page_of_a_shared_template_has_the_template_text() -> None:
    # one template serves the list pages 2-5; its labels must be on each of them
    doc = read_ofd(OFD_CORPUS / "invoice_beijing_5p_drawparam.ofd")
    for page in doc.pages[1:]:
        assert "销售货物或者提供应税劳务、服务清单" in page.text and "项目名称" in page.text


@corpus
def test_text_only_reachable_through_composite_objects_is_read() -> None:
    doc = read_ofd(OFD_CORPUS / "magazine_article_3p_composite.ofd")
    assert all(len(flat(p.text)) > 1000 for p in doc.pages)


@corpus
def test_docinfo_metadata() -> None:
    invoice = read_ofd(OFD_CORPUS / "invoice_zhejiang_vat_2020.ofd")
    assert invoice.metadata["Author"] == "China Tax"
    assert invoice.creation_date == dt.date(2020, 7, 23)
    assert invoice.custom_data["发票号码"] == "83089647" and invoice.custom_data["合计金额"] == "510.68"
    sample = read_ofd(OFD_CORPUS / "conformance_path_with_spaces.ofd")
    assert sample.title == "6.2.004_2 路径中含有空格"
    assert sample.metadata["Author"] == "OFD样例研制组" and sample.metadata["ModDate"] == "2015-02-26"
    assert sample.metadata["Creator"] == "手写"
    scan = read_ofd(OFD_CORPUS / "scanned_images_only_2p.ofd")
    assert scan.metadata["Creator"] == "WPS 文字"
    assert scan.creation_date == dt.date(2022, 7, 8)  # written as D:20220708103442+02'34'
    case = read_ofd(OFD_CORPUS / "case_filing_nonstd_paths.ofd")
    assert case.metadata["CreatorVersion"] == "3.2.0.272" and case.custom_data["元数据名称_2"] == "立案决定书"


@corpus
def test_circular_seal_reads_along_its_arcs_not_in_textcode_order() -> None:
    doc = read_ofd(OFD_CORPUS / "seal_text_circular.ofd")
    lines = doc.pages[0].lines
    assert "全国统一发票监制章" in lines and "上海市税务局" in lines and "国家税务总局" in lines
    assert "章制监票发一统国全" not in flat(doc.text)  # the order its TextCodes are written in
    assert "Edited by Foxit PDF Editor" in lines  # proportional Latin text keeps its letters in order


@corpus
def test_fake_bold_duplicates_are_read_once() -> None:
    doc = read_ofd(OFD_CORPUS / "permit_construction_2p.ofd")
    page = doc.pages[1]  # its template draws every label twice, a hair apart
    assert page.lines[0] == "建筑工程施工许可证附件"
    assert flat(page.text).count("施工许可证编号") == 1 and "建建" not in flat(page.text)


@corpus
def test_scan_only_file_has_no_text_and_renders_its_two_images() -> None:
    doc = read_ofd(OFD_CORPUS / "scanned_images_only_2p.ofd")  # resources under DOC_0/, referenced as Doc_0/
    assert doc.page_count == 2 and doc.text == ""
    assert [len(p.images) for p in doc.pages] == [1, 1] and not doc.warnings
    pdf = pdfium.PdfDocument(render_ofd_pdf(doc))
    assert len(pdf) == 2
    for page in pdf:
        kinds = [obj.type for obj in page.get_objects()]
        assert kinds.count(pdfium.raw.FPDF_PAGEOBJ_IMAGE) == 1
        assert page.get_textpage().get_text_range().strip() == ""


@corpus
def test_missing_image_is_a_warning_not_a_failure() -> None:
    doc = read_ofd(OFD_CORPUS / "exploration_license_missing_image.ofd")
    assert doc.page_count == 2 and "矿产资源勘查许可证" in doc.text
    assert any("image_135.PNG" in w and "missing" in w for w in doc.warnings), doc.warnings
    assert len(render_ofd_pdf(doc)) > 1000


@corpus
def test_every_corpus_file_is_read_or_refused_in_one_line() -> None:
    for path in sorted(OFD_CORPUS.glob("*.ofd")):
        try:
            doc = read_ofd(path)
        except InputFileError as e:  # anything else escaping fails the test
            assert "\n" not in str(e), str(e)
            continue
        assert doc.page_count >= 1
        assert all(p.width > 0 and p.height > 0 for p in doc.pages), path.name
        assert all("\n" not in w for w in doc.warnings), path.name


def test_docinfo_keywords_subject_and_custom_data(tmp_path: Path) -> None:
    info = ('<ofd:DocInfo><ofd:Title>关于开展志愿服务的通知</ofd:Title><ofd:Subject>志愿服务</ofd:Subject>'
            '<ofd:Keywords><ofd:Keyword>文明单位</ofd:Keyword><ofd:Keyword>志愿</ofd:Keyword></ofd:Keywords>'
            '<ofd:CreationDate>2023-03-05</ofd:CreationDate><ofd:Creator>WPS 文字</ofd:Creator>'
            '<ofd:CustomDatas><ofd:CustomData Name="文号">渝工发〔2023〕35号</ofd:CustomData></ofd:CustomDatas></ofd:DocInfo>')
    ofd = re.sub("<ofd:DocInfo>.*</ofd:DocInfo>", info, OFD_XML)
    doc = read_ofd(make_ofd(tmp_path / "info.ofd", {"OFD.xml": ofd}))
    assert doc.title == "关于开展志愿服务的通知" and doc.metadata["Subject"] == "志愿服务"
    assert doc.metadata["Keywords"] == "文明单位; 志愿" and doc.metadata["Creator"] == "WPS 文字"
    assert doc.creation_date == dt.date(2023, 3, 5) and doc.custom_data == {"文号": "渝工发〔2023〕35号"}


# --- hostile and broken packages ----------------------------------------------------------------

def test_zip_bomb_is_refused_without_unpacking(tmp_path: Path) -> None:
    path = make_ofd(tmp_path / "bomb.ofd", {"Doc_0/Res/zeros.bin": b"\0" * (60 * 1024 * 1024)})
    assert path.stat().st_size < 1024 * 1024
    assert is_ofd(path)  # detection reads the zip directory only; reading refuses it
    assert refusal(path) == "refused: OFD unpacks to 60 MB (possible zip bomb)"


def test_zip_that_lies_about_its_size_is_refused(tmp_path: Path) -> None:
    path = make_ofd(tmp_path / "liar.ofd", {"Doc_0/Res/big.bin": b"x" * 100})
    data = bytearray(path.read_bytes())
    entry = data.rfind(b"PK\x01\x02", 0, data.find(b"Doc_0/Res/big.bin", data.find(b"PK\x01\x02")))
    struct.pack_into("<I", data, entry + 24, 900 * 1024 * 1024)  # central directory: uncompressed size
    path.write_bytes(bytes(data))
    assert refusal(path) == "refused: OFD unpacks to 900 MB (possible zip bomb)"


def test_xml_with_millions_of_elements_is_refused_before_parsing(tmp_path: Path) -> None:
    flood = page_xml("<ofd:PageBlock/>" * 2_000_001)
    reason = refusal(make_ofd(tmp_path / "flood.ofd", {"Doc_0/Pages/Page_0/Content.xml": flood}))
    assert reason == "refused: OFD part Doc_0/Pages/Page_0/Content.xml has more than 2,000,000 XML tags"


def test_xml_entity_expansion_is_refused(tmp_path: Path) -> None:
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
              '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]>'
              f'<ofd:OFD {NS}><ofd:DocBody><ofd:DocInfo><ofd:Title>&lol3;</ofd:Title></ofd:DocInfo>'
              '<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
    reason = refusal(make_ofd(tmp_path / "laughs.ofd", {"OFD.xml": laughs}))
    assert reason.startswith("refused: OFD part OFD.xml declares a DTD or entities"), reason


def test_external_dtd_is_refused(tmp_path: Path) -> None:
    page = ('<?xml version="1.0"?><!DOCTYPE ofd:Page SYSTEM "http://example.invalid/x.dtd">'
            + page_xml(text_object("x", 1, 1)).split("?>", 1)[1])
    reason = refusal(make_ofd(tmp_path / "dtd.ofd", {"Doc_0/Pages/Page_0/Content.xml": page}))
    assert reason.startswith("refused: OFD part Doc_0/Pages/Page_0/Content.xml declares a DTD"), reason


@pytest.mark.parametrize("member", ["../evil.xml", "Doc_0/../../evil.xml", "/etc/evil.xml"])
def test_member_paths_escaping_the_package_are_refused(tmp_path: Path, member: str) -> None:
    path = make_ofd(tmp_path / "escape.ofd", {member: "<x/>"})
    reason = refusal(path)
    assert reason == f"refused: OFD part {member!r} points outside the package", reason


def test_page_pointing_outside_the_package_is_refused(tmp_path: Path) -> None:
    path = make_ofd(tmp_path / "out.ofd", {"Doc_0/Document.xml": document_xml("../../../etc/passwd")})
    assert refusal(path) == "refused: OFD reference '../../../etc/passwd' points outside the package"


def test_missing_parts_are_refused_with_what_is_missing(tmp_path: Path) -> None:
    assert refusal(make_ofd(tmp_path / "a.ofd", {"Doc_0/Document.xml": None})) == \
        "damaged OFD: Document.xml is missing (Doc_0/Document.xml)"  # type: ignore[dict-item]
    assert refusal(make_ofd(tmp_path / "b.ofd", {"Doc_0/Pages/Page_0/Content.xml": None})) == \
        "damaged OFD: page 1 (Doc_0/Pages/Page_0/Content.xml) is missing from the package"  # type: ignore[dict-item]
    assert refusal(make_ofd(tmp_path / "c.ofd", {"OFD.xml": None})) == \
        "damaged OFD: OFD.xml is missing (not an OFD package)"  # type: ignore[dict-item]
    assert refusal(make_ofd(tmp_path / "d.ofd", {"Doc_0/Document.xml": "<ofd:Document"})) == \
        "damaged OFD: part Doc_0/Document.xml is not well-formed XML (line 1)"
    (tmp_path / "e.ofd").write_bytes(b"PK\x03\x04 not really a zip")
    assert refusal(tmp_path / "e.ofd").startswith("damaged OFD: the zip structure cannot be read")


def test_nesting_and_self_reference_are_refused(tmp_path: Path) -> None:
    deep = "<ofd:PageBlock ID=\"5\">" * 60 + text_object("深", 10, 10) + "</ofd:PageBlock>" * 60
    reason = refusal(make_ofd(tmp_path / "deep.ofd", {"Doc_0/Pages/Page_0/Content.xml": page_xml(deep)}))
    assert reason == "refused: OFD page blocks or composite objects are nested too deeply"
    loop_res = (f'<?xml version="1.0"?><ofd:Res {NS}><ofd:CompositeGraphicUnits><ofd:CompositeGraphicUnit ID="7" '
                'Width="10" Height="10"><ofd:Content><ofd:CompositeObject ID="8" Boundary="0 0 10 10" ResourceID="7"/>'
                '</ofd:Content></ofd:CompositeGraphicUnit></ofd:CompositeGraphicUnits></ofd:Res>')
    doc = document_xml("Pages/Page_0/Content.xml").replace("<ofd:PublicRes>", "<ofd:DocumentRes>Loop.xml</ofd:DocumentRes><ofd:PublicRes>")
    loop = page_xml('<ofd:CompositeObject ID="9" Boundary="0 0 10 10" ResourceID="7"/>')
    reason = refusal(make_ofd(tmp_path / "loop.ofd", {"Doc_0/Document.xml": doc, "Doc_0/Loop.xml": loop_res,
                                                      "Doc_0/Pages/Page_0/Content.xml": loop}))
    assert reason == "refused: OFD page blocks or composite objects are nested too deeply"


def test_off_page_text_and_overprinted_copies_are_dropped(tmp_path: Path) -> None:
    objects = (text_object("档案管理", 20, 20, obj_id=4)
               + text_object("档案管理", 20.08, 20.05, obj_id=5)     # "fake bold": the same text a hair apart
               + text_object("页外文字", 20, 400, obj_id=6)           # below the page
               + text_object("左外", -80, 50, obj_id=7)               # left of the page
               + text_object("第二行", 20, 40, obj_id=8))
    doc = read_ofd(make_ofd(tmp_path / "t.ofd", {"Doc_0/Pages/Page_0/Content.xml": page_xml(objects)}))
    assert doc.pages[0].lines == ["档案管理", "第二行"]
    data = render_ofd_pdf(doc)
    texts, _ = pdf_text_and_sizes(data)
    assert Counter(flat(texts[0])) == Counter("档案管理第二行")


def test_case_insensitive_paths_relative_and_absolute_locations(tmp_path: Path) -> None:
    ofd = OFD_XML.replace("Doc_0/Document.xml", "/doc_0/document.XML")
    doc = document_xml("/DOC_0/pages/PAGE_0/content.xml", "Pages/Page_1/Content.xml")
    path = make_ofd(tmp_path / "case.ofd", {"OFD.xml": ofd, "Doc_0/Document.xml": doc,
                                            "Doc_0/Pages/Page_1/Content.xml": page_xml(text_object("第二页", 20, 20))})
    read = read_ofd(path)
    assert [p.text for p in read.pages] == ["档案管理", "第二页"]


# --- rendering ---------------------------------------------------------------------------------

RENDERED = ["invoice_zhejiang_vat_2020.ofd", "invoice_chongqing_5p_list.ofd", "essay_nalaizhuyi_2p.ofd",
            "seal_text_circular.ofd", "conformance_path_with_spaces.ofd", "permit_construction_2p.ofd",
            "poems_11p_embedded_otf.ofd"]


@corpus
@pytest.mark.parametrize("name", RENDERED)
def test_rendered_pdf_has_the_pages_sizes_and_text_of_the_ofd(name: str) -> None:
    doc = read_ofd(OFD_CORPUS / name)
    texts, sizes = pdf_text_and_sizes(render_ofd_pdf(doc))
    assert len(texts) == doc.page_count
    for page, text, (w, h) in zip(doc.pages, texts, sizes):
        assert abs(w - page.width * MM) < 0.5 and abs(h - page.height * MM) < 0.5
        assert Counter(flat(text)) == Counter(flat(page.text)), page.index  # the same characters, no more
    if name == "invoice_chongqing_5p_list.ofd":  # an invoice page, then its list on A4
        assert [round(s[1] / MM) for s in sizes] == [140, 297, 297, 297, 297]


@corpus
def test_rendered_pdf_draws_images_paths_and_real_text() -> None:
    doc = read_ofd(OFD_CORPUS / "conformance_path_with_spaces.ofd")  # BMP, JPEG, PNG, TIFF, GIF, 1-bit BMP
    assert sorted({i.format for i in doc.pages[0].items if isinstance(i, ImageItem)}) == ["BMP", "GIF", "JPEG", "PNG", "TIFF"]
    page = pdfium.PdfDocument(render_ofd_pdf(doc))[0]
    kinds = Counter(obj.type for obj in page.get_objects())
    assert kinds[pdfium.raw.FPDF_PAGEOBJ_IMAGE] == 6
    assert kinds[pdfium.raw.FPDF_PAGEOBJ_PATH] > 0 and kinds[pdfium.raw.FPDF_PAGEOBJ_TEXT] > 0
    bitmap = page.render(scale=0.5).to_pil().convert("L")
    assert bitmap.getextrema()[0] < 50  # something dark was drawn


@corpus
def test_render_accepts_a_path_and_refuses_like_the_reader(tmp_path: Path) -> None:
    assert render_ofd_pdf(OFD_CORPUS / "seal_text_circular.ofd").startswith(b"%PDF")
    with pytest.raises(InputFileError):
        render_ofd_pdf(make_ofd(tmp_path / "x.ofd", {"OFD.xml": None}))  # type: ignore[dict-item]


# --- extraction for the registry ---------------------------------------------------------------

@corpus
def test_extract_gives_text_pages_and_hints() -> None:
    found = extract_ofd(OFD_CORPUS / "conformance_path_with_spaces.ofd", ExtractOptions(ocr=False))
    assert found.pages == 2 and found.title_hint == "6.2.004_2 路径中含有空格"
    assert found.date_hint == dt.date(2015, 2, 26) and "本样例测试阅读器对ZIP结构的支持情况" in found.text
    scan = extract_ofd(OFD_CORPUS / "scanned_images_only_2p.ofd", ExtractOptions(ocr=False))
    assert scan.text == "" and scan.pages == 2 and "OCR was off" in scan.warnings[0]


@corpus
@pytest.mark.slow
def test_extract_ocrs_image_only_pages() -> None:
    found = extract_ofd(OFD_CORPUS / "scanned_images_only_2p.ofd", ExtractOptions(ocr=True))
    assert found.ocr and found.pages == 2
    assert [p.count("祖国") for p in found.text.split("\f")] == [1, 1]  # the title on the projected slide



@corpus
def test_signature_seals_are_drawn_but_not_read() -> None:
    permit = read_ofd(OFD_CORPUS / "permit_construction_2p.ofd")  # its seals are PNG pictures
    seals = [i for i in permit.pages[0].items if isinstance(i, ImageItem) and i.data is not None]
    assert len(seals) == 1 and seals[0].format == "PNG" and seals[0].matrix == (45.0, 0.0, 0.0, 45.0, 87.0, 140.0)
    invoice = read_ofd(OFD_CORPUS / "invoice_zhejiang_vat_2020.ofd")  # its seal is itself an OFD drawing
    assert "seal1" in invoice.parts and "浙江省税务局" not in invoice.text
    page = pdfium.PdfDocument(render_ofd_pdf(invoice))[0]
    scale = 4
    image = page.render(scale=scale).to_pil().convert("RGB")
    box = [round(v * MM * scale) for v in (90, 8, 120, 28)]  # the StampAnnot's Boundary, in pixels
    pixels = image.crop(box).tobytes()
    red = sum(1 for k in range(0, len(pixels), 3) if pixels[k] > 180 and pixels[k + 1] < 90 and pixels[k + 2] < 90)
    assert red > 500, red
    assert "浙江省税务局" not in page.get_textpage().get_text_range()


@corpus
def test_pattern_fill_is_tiled_as_a_watermark_not_painted_black() -> None:
    doc = read_ofd(OFD_CORPUS / "cover_page_patterns.ofd")  # a page-size path filled with a "严禁复制" pattern
    tiles = [i for i in doc.pages[0].items if isinstance(i, TextItem) and i.annotation and i.clips]
    assert len(tiles) >= 10 and "严禁复制" not in doc.text
    page = pdfium.PdfDocument(render_ofd_pdf(doc))[0]
    gray = page.render(scale=0.5).to_pil().convert("L")
    assert gray.getextrema() != (0, 0)  # not a black page
    histogram = gray.histogram()
    assert sum(histogram[:60]) < sum(histogram) * 0.05  # mostly light: text and a faint watermark
    assert sum(histogram[150:250]) > 1000  # the watermark's grey
    assert "严禁复制" not in page.get_textpage().get_text_range()
