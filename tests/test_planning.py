"""Inspection readiness (issue 13 items 1–3, issue 11 item 9) through the real CLI: missing periods
of periodic criteria from real documents, owners and due dates (also from a GB18030 CSV), points at
risk, and veto conditions that are confirmed, never missing."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.gen_docs import make_docx, make_pdf

from .conftest import cli_json, run_cli

BRANCH = "中共市档案局机关第一支部委员会"
MISSING_MONTHS = (4, 9)  # no 三会一课 record at all in April and September
CN_MONTH = "〇一二三四五六七八九十"


def _cn_date(month: int, day: int) -> str:
    """二〇二三年三月十五日, as records are signed."""
    m = CN_MONTH[month] if month <= 10 else "十" + CN_MONTH[month - 10]
    d = CN_MONTH[day] if day <= 10 else ("十" if day < 20 else "二十") + (CN_MONTH[day % 10] if day % 10 else "")
    return f"二〇二三年{m}月{d}日"


def _record(folder: Path, month: int, day: int, kind: str, topic: str, fmt: str) -> None:
    """A real meeting record of one kind (PDF or DOCX), dated in its text."""
    title = f"{BRANCH}2023年{month}月{kind}记录"
    body = [f"会议时间：2023年{month}月{day}日上午9:00", "会议地点：机关三楼会议室",
            "主持人：支部书记 王建国　记录人：组织委员 李红",
            f"会议议题：{topic}。与会同志结合工作实际交流发言，会议对下一步工作作出安排。"]
    name = f"2023年{month:02d}月{kind}记录.{fmt}"
    make = make_pdf if fmt == "pdf" else make_docx
    make(folder / name, title, body, signer=BRANCH, date_text=_cn_date(month, day))


@pytest.fixture(scope="module")
def meetings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A year of 三会一课 records of one branch with April and September missing: 支委会 and 党小组会
    every other month, 党员大会 and 党课 once a quarter (in months that have records)."""
    folder = tmp_path_factory.mktemp("sanhui") / "三会一课"
    folder.mkdir()
    for month in range(1, 13):
        if month in MISSING_MONTHS:
            continue
        fmt = "pdf" if month % 2 else "docx"
        _record(folder, month, 12, "支委会", "研究发展党员和党费收缴工作", fmt)
        _record(folder, month, 20, "党小组会", "学习党的二十大报告并交流心得", "docx" if fmt == "pdf" else "pdf")
        if month in (2, 5, 8, 11):
            _record(folder, month, 25, "党员大会", "通报支部工作并讨论预备党员转正", fmt)
            _record(folder, month, 27, "党课", "书记讲专题党课：牢记初心使命", fmt)
    return folder


def _init(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    run_cli("init", "--fonds", "J001", "--unit", "市档案局", root=root, check=True)
    return root


def _ingest_meetings(root: Path, folder: Path) -> None:
    code, data = cli_json("ingest", str(folder), "--track", "党建", "--criterion", "3.2.1", "--year", "2023",
                          "--no-ocr", root=root)
    assert code == 0 and not data["failed"], data["failed"]
    assert len(data["added"]) == 10 * 2 + 4 * 2
    dates = sorted(d["date"] for d in data["added"])
    assert all(d and d.startswith("2023-") for d in dates), dates
    assert not {int(d[5:7]) for d in dates} & set(MISSING_MONTHS)


def _criterion(data: dict, code: str) -> dict:
    return next(c for c in data["criteria"] if c["code"] == code)


# --------------------------------------------------------------------------- periodic evidence


def test_a_year_of_meetings_with_two_months_missing_reports_exactly_those(tmp_path: Path, meetings: Path) -> None:
    root = _init(tmp_path)
    _ingest_meetings(root, meetings)
    code, data = cli_json("coverage", "--track", "党建", "--year", "2023", root=root)
    assert code == 0
    sanhui = _criterion(data, "3.2.1")
    assert sanhui["subtree_documents"] == 28 and not sanhui["missing"]
    assert sanhui["missing_periods"] == ["2023-04", "2023-09"]
    kinds = {k["kind"]: k for k in sanhui["periods"]}
    assert kinds["支委会"]["missing_periods"] == ["2023-04", "2023-09"] and kinds["支委会"]["periods_due"] == 12
    assert kinds["党小组会"]["missing_periods"] == ["2023-04", "2023-09"]
    assert kinds["党员大会"]["missing_periods"] == [] and kinds["党课"]["missing_periods"] == []
    assert sanhui["status"] == "missing periods"
    # 主题党日 (monthly) has no record at all: every month is missing, and it is missing outright
    theme = _criterion(data, "3.2.2")
    assert theme["missing"] and len(theme["missing_periods"]) == 12
    # pro rata: 支委会 and 党小组会 miss 2 of 12 months each, 党员大会 and 党课 none: 4 × (2/12 + 2/12) / 4
    assert sanhui["points_at_risk"] == pytest.approx(round(4 * (2 / 12 * 2) / 4, 2))
    text = run_cli("coverage", "--track", "党建", "--year", "2023", root=root, check=True).stdout
    assert "no record for 2023-04, 2023-09" in text


def test_quarterly_and_half_yearly_labels_and_per_period(tmp_path: Path) -> None:
    """A custom scheme: quarterly with two records per quarter, half-yearly and yearly kinds."""
    root = _init(tmp_path)
    schema = tmp_path / "安全.yaml"
    schema.write_text(
        "id: safety\nname: 安全生产\ncriteria:\n"
        "  - code: \"1\"\n    name: 安全检查\n    points: 10\n    cadence: quarterly\n    per_period: 2\n"
        "    keywords: [安全检查]\n"
        "  - code: \"2\"\n    name: 应急演练\n    points: 6\n    keywords: [应急演练]\n    kinds:\n"
        "      - name: 消防演练\n        cadence: half-yearly\n"
        "      - name: 年度总结\n        cadence: yearly\n        keywords: [工作总结]\n", encoding="utf-8")
    run_cli("schema", "add", str(schema), root=root, check=True)
    docs = tmp_path / "docs"
    docs.mkdir()
    # quarter 1 twice, quarter 2 once, quarter 3 twice, quarter 4 not at all
    for month, day in ((1, 10), (3, 8), (5, 6), (7, 3), (8, 19)):
        make_docx(docs / f"{month}月安全检查记录.docx", f"2023年{month}月安全检查记录",
                  ["检查了消防通道和配电室。"], date_text=f"2023年{month}月{day}日")
    make_pdf(docs / "消防演练.pdf", "关于开展消防演练的总结", ["组织全体干部职工疏散演练。"], date_text="2023年10月9日")
    code, data = cli_json("ingest", str(docs / "消防演练.pdf"), "--track", "safety", "--criterion", "2",
                          "--year", "2023", "--no-ocr", root=root)
    assert code == 0 and not data["failed"]
    code, data = cli_json("ingest", str(docs), "--track", "safety", "--criterion", "1", "--year", "2023",
                          "--no-ocr", root=root)
    assert code == 0 and not data["failed"]
    code, data = cli_json("coverage", "--track", "safety", "--year", "2023", root=root)
    checks = _criterion(data, "1")
    assert checks["missing_periods"] == ["2023-Q2", "2023-Q4"]
    drills = _criterion(data, "2")
    assert {k["kind"]: k["missing_periods"] for k in drills["periods"]} == {"消防演练": ["2023-H1"],
                                                                           "年度总结": ["2023"]}
    assert drills["missing_periods"] == ["2023", "2023-H1"]
    # points at risk on known points: 10 × 2/4, and 6 × mean(1/2, 1/1)
    assert checks["points_at_risk"] == 5.0 and drills["points_at_risk"] == 4.5
    assert data["points_total"] == 16 and data["points_at_risk"] == 9.5
    assert [g["code"] for g in data["gaps"]] == ["1", "2"]
    assert "not a predicted score" in data["points_at_risk_note"]


# --------------------------------------------------------------------------- owners and due dates


def test_assign_round_trip_through_a_gb18030_csv(tmp_path: Path) -> None:
    import openpyxl

    root = _init(tmp_path)
    sheet = tmp_path / "任务分解.csv"
    sheet.write_bytes((
        "创建类别,指标编号,责任人,完成时限\r\n"
        "党建,3.2.1,组织科 张三,2023-06-30\r\n"
        "党建工作先进单位,7,办公室 李四,2023年12月31日\r\n"
        "文明单位,2.2,=HYPERLINK(\"http://x\"),2023/9/30\r\n"
        "党建,9.9,宣传科 王五,2023-06-30\r\n"
        "党建,2.1,宣传科 王五,2023-13-40\r\n"
        "职工之家,,工会 赵六,2023-05-01\r\n"
        "党建,2.2,,\r\n").encode("gb18030"))
    proc = run_cli("assign", "--csv", str(sheet), "--json", root=root)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    import json

    data = json.loads(proc.stdout)
    assert [(a["track"], a["criterion"], a["owner"], a["due"]) for a in data["assigned"]] == [
        ("party-building", "3.2.1", "组织科 张三", "2023-06-30"),
        ("party-building", "7", "办公室 李四", "2023-12-31"),
        ("civilized-unit", "2.2", "=HYPERLINK(\"http://x\")", "2023-09-30")]
    assert [f["line"] for f in data["failed"]] == [5, 6, 7]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("archive-kit: ")]
    assert len(errors) == 3 and f"{sheet}:5: unknown criterion '9.9'" in errors[0]
    assert "2023-13-40" in errors[1] and "no criterion" in errors[2]

    code, cov = cli_json("coverage", "--track", "党建", "--year", "2023", root=root)
    sanhui, duty = _criterion(cov, "3.2.1"), _criterion(cov, "7.1")
    assert (sanhui["owner"], sanhui["due"], sanhui["overdue"]) == ("组织科 张三", "2023-06-30", True)
    assert (duty["owner"], duty["due"], duty["assigned_via"]) == ("办公室 李四", "2023-12-31", "7")  # inherited
    assert _criterion(cov, "2.1")["owner"] is None
    assert [g["overdue"] for g in cov["gaps"]] == sorted((g["overdue"] for g in cov["gaps"]), reverse=True)
    assert cov["gaps"][0]["overdue"] and cov["gaps"][-1]["overdue"] is False

    out = tmp_path / "out" / "任务分解表.xlsx"
    out.parent.mkdir()
    run_cli("coverage", "--track", "文明单位", "--year", "2023", "--format", "xlsx", "--out", str(out),
            root=root, check=True)
    ws = openpyxl.load_workbook(out).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][0] == "任务分解表"
    header = rows[2] if rows[1][0] != "指标编号" else rows[1]
    at = {name: header.index(name) for name in ("指标编号", "分值", "责任人", "完成时限", "含下级文件数", "状态")}
    body = {r[at["指标编号"]]: r for r in rows[rows.index(header) + 1:]}
    volunteer = body["2.2"]
    assert volunteer[at["责任人"]] == "=HYPERLINK(\"http://x\")"  # text, never a formula
    cell = next(row for row in ws.iter_rows() if row[at["指标编号"]].value == "2.2")[at["责任人"]]
    assert cell.data_type == "s"
    assert (volunteer[at["完成时限"]], volunteer[at["分值"]], volunteer[at["含下级文件数"]]) == ("2023-09-30", 5, 0)
    assert volunteer[at["状态"]] == "missing, overdue"
    # the written CSV can be filled in and read back (its title row is skipped)
    back = tmp_path / "out" / "任务分解表.csv"
    run_cli("coverage", "--track", "文明单位", "--year", "2023", "--format", "csv", "--out", str(back),
            root=root, check=True)
    lines = back.read_text(encoding="utf-8-sig").splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("指标编号"))
    filled = [line.replace(",,,", ",创建办 周七,2024-03-31,", 1) if line.startswith("9.1,") else line
              for line in lines]
    assert filled != lines
    back.write_bytes("\r\n".join(filled).encode("gb18030"))
    code, again = cli_json("assign", "--csv", str(back), "--track", "文明", root=root)
    assert code == 0 and header_at == 1
    assert [(a["criterion"], a["owner"], a["due"]) for a in again["assigned"]] == [
        ("2.2", "=HYPERLINK(\"http://x\")", "2023-09-30"), ("9.1", "创建办 周七", "2024-03-31")]


def test_assign_one_criterion_and_its_mistakes(tmp_path: Path) -> None:
    root = _init(tmp_path)
    code, data = cli_json("assign", "职工之家:2.1", "--owner", "工会 赵六", "--due", "2023-03-31", root=root)
    assert code == 0 and data["assigned"] == [{"track": "workers-home", "criterion": "2.1", "owner": "工会 赵六",
                                              "due": "2023-03-31"}]
    for args, words in ((["职工之家:9.9", "--owner", "x"], "unknown criterion '9.9'"),
                        (["nope:1", "--owner", "x"], "unknown track 'nope'"),
                        (["职工之家:2.1", "--owner", "x", "--due", "2023-02-30"], "2023-02-30"),
                        (["职工之家:2.1", "--owner", "  "], "owner must not be empty"),
                        (["职工之家:2.1"], "needs --owner"),
                        ([], "either TRACK:CODE")):
        proc = run_cli("assign", *args, root=root)
        assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)
    missing = run_cli("assign", "--csv", str(tmp_path / "无.csv"), root=root)
    assert missing.returncode == 1 and "无.csv: cannot read" in missing.stderr
    code, cov = cli_json("coverage", "--track", "职工之家", "--year", "2023", root=root)
    assert (_criterion(cov, "2.1")["owner"], _criterion(cov, "2.1")["due"]) == ("工会 赵六", "2023-03-31")


# --------------------------------------------------------------------------- veto conditions


def test_veto_conditions_are_confirmed_never_missing(tmp_path: Path) -> None:
    root = _init(tmp_path)
    for track, veto in (("文明单位", "10"), ("党建", "8")):
        code, data = cli_json("coverage", "--track", track, "--year", "2023", root=root)
        row = _criterion(data, veto)
        assert row["veto"] and not row["missing"] and row["status"] == "confirm (一票否决)"
        assert row["points_at_risk"] is None
        assert veto not in data["missing"] and veto not in data["missing_required"]
        assert veto not in [g["code"] for g in data["gaps"]]
        assert [v["code"] for v in data["veto_conditions"]] == [veto] and data["veto_conditions"][0]["standard"]
        text = run_cli("coverage", "--track", track, "--year", "2023", root=root, check=True).stdout
        veto_lines = [line for line in text.splitlines() if line.lstrip().startswith(veto + " ")]
        assert veto_lines and all("MISSING" not in line and "missing" not in line for line in veto_lines)
        assert f"confirm (一票否决): {veto} " in text


def test_a_catalogue_without_assignments_upgrades_on_opening(tmp_path: Path) -> None:
    """A repository made before the assignments table (catalogue format 4) gets it when opened."""
    import sqlite3

    from archive_kit.catalogue.connection import SCHEMA_VERSION

    root = _init(tmp_path)
    with sqlite3.connect(root / "catalogue.sqlite") as db:
        db.execute("DROP TABLE assignments")
        db.execute("PRAGMA user_version = 4")
    code, data = cli_json("assign", "党建:3.2.2", "--owner", "组织科", "--due", "2023-12-31", root=root)
    assert code == 0 and data["assigned"][0]["criterion"] == "3.2.2"
    with sqlite3.connect(root / "catalogue.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 6
    code, cov = cli_json("coverage", "--track", "党建", "--year", "2023", root=root)
    assert _criterion(cov, "3.2.2")["owner"] == "组织科"
