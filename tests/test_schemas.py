"""Criteria schemas: the built-in tracks, resolving tracks and criteria, and refusals that name the line."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from archive_kit.criteria import loader
from archive_kit.criteria.loader import builtin_schemas, json_schema, load_schema_file, load_schema_text
from archive_kit.criteria.model import Criterion, TrackSchema, code_within, natural_code_key
from archive_kit.criteria.registry import TrackRegistry
from archive_kit.errors import SchemaError, UsageError

REPO_SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"

GOOD = """\
# a small track
id: test-track
name: 测试创建
aliases: [测试, 测试创建活动]
code: CS
criteria:
  - code: "1"
    name: 组织领导
    retention: D30
    points: 40
    children:
      - code: "1.1"
        name: 领导小组
        keywords: [领导小组]
        points: 20
      - code: "1.2"
        name: 工作方案
        points: 20
        children:
          - code: "1.2.1"
            name: 年度方案
            retention: Y
  - code: 2
    name: 志愿服务
    keywords: [志愿服务]
    required: true
"""


def _refusal(tmp_path: Path, text: str, name: str = "broken.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError) as info:
        load_schema_file(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def _line_of(message: str, tmp_path: Path, name: str = "broken.yaml") -> int:
    match = re.match(rf"^{re.escape(str(tmp_path / name))}:(\d+): \S", message)
    assert match, message
    return int(match.group(1))


# --------------------------------------------------------------------------- built-ins


def test_json_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())
    assert json_schema()["$schema"].endswith("/draft/2020-12/schema")


def test_builtins_load_in_fixed_order() -> None:
    tracks = builtin_schemas()
    assert [t.id for t in tracks] == ["party-building", "civilized-unit", "workers-home"]
    assert [t.name for t in tracks] == ["党建工作先进单位", "文明单位", "职工之家"]
    assert [t.code for t in tracks] == ["DJ", "WM", "ZG"]
    for track in tracks:
        assert track.source.lstrip().startswith("#")
        assert track.source_name.endswith(f"{track.id}.yaml")


@pytest.mark.parametrize("track", builtin_schemas(), ids=lambda t: t.id)
def test_builtin_track_shape(track: TrackSchema) -> None:
    top = track.top_level()
    assert len(top) >= 6
    assert all(c.depth == 1 and c.parent is None for c in top)
    assert all(track.children(c.code) for c in top if c.points)  # every scored item has contents
    assert any(c.depth == 3 for c in track.criteria) or track.id != "party-building"
    assert sum(c.points or 0 for c in top) == 100
    assert any(c.required for c in track.criteria)
    for crit in track.criteria:
        assert crit.name and re.search(r"[\u4e00-\u9fff]", crit.name)
        kids = track.children(crit.code)
        if kids and all(k.points is not None for k in kids):
            assert sum(k.points for k in kids) == crit.points, crit.code  # type: ignore[misc]
        if not kids:
            assert crit.keywords, f"leaf {crit.code} has no keywords"
        assert track.default_retention(crit.code) in ("Y", "D30", "D10")


def test_builtins_follow_their_published_schemes() -> None:
    """Issue 11 item 9 and issue 13 item 1: the schemes named, the cadences they require, vetoes."""
    tracks = {t.id: t for t in builtin_schemas()}
    for track, scheme in (("party-building", "《中国共产党支部工作条例（试行）》"),
                          ("civilized-unit", "《全国文明单位测评体系》"), ("workers-home", "《模范职工之家考核验收评分细则》")):
        header = tracks[track].source.split("\nid:")[0]
        assert scheme in header, track
    party, civil, union = tracks["party-building"], tracks["civilized-unit"], tracks["workers-home"]
    assert (party.class_name, civil.class_name, union.class_name) == ("党建", "文明创建", "职工之家")
    sanhui = party.criterion("3.2.1")
    assert {k.name: k.cadence for k in sanhui.kinds} == {"支委会": "monthly", "党员大会": "quarterly",
                                                        "党小组会": "monthly", "党课": "quarterly"}
    assert sanhui.method == ("材料审核",) and sanhui.standard and sanhui.basis
    assert party.criterion("3.2.2").cadence == "monthly" and party.criterion("3.2.3").cadence == "yearly"
    assert union.criterion("2.1").cadence == "yearly"
    assert party.criterion("5").name == "纪律建设"
    for track, code in ((party, "8"), (civil, "10")):
        veto = track.criterion(code)
        assert veto.veto and not veto.required and veto.points is None and veto.standard
    assert not any(c.veto for c in union.criteria)
    assert union.criterion("2.3").required and union.criterion("8").name == "党政工共建"
    assert all(c.required for c in union.children("8"))
    assert civil.criterion("9.2").method == ("问卷调查", "网上测评")


def test_new_fields_load(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(GOOD.replace("code: CS", "code: CS\nclass_name: 测试类") + "    cadence: half-yearly\n    per_period: 2\n"
                    "    kinds:\n      - name: 讲座\n        cadence: yearly\n        keywords: [讲堂]\n", encoding="utf-8")
    track = load_schema_file(path)
    two = track.criterion("2")
    assert (two.cadence, two.per_period, two.periodic) == ("half-yearly", 2, True)
    assert [(k.name, k.cadence, k.per_period, k.words) for k in two.kinds] == [("讲座", "yearly", 1, ("讲座", "讲堂"))]
    assert track.class_name == "测试类" and not track.criterion("1").periodic


@pytest.mark.parametrize("track", builtin_schemas(), ids=lambda t: t.id)
def test_builtin_keywords_are_distinctive(track: TrackSchema) -> None:
    """A keyword (or a word inside it) is shared only along one branch, so auto-tagging can decide."""
    owners = [(word, crit) for crit in track.criteria for word in crit.keywords]
    for word, crit in owners:
        for other_word, other in owners:
            if other.code == crit.code or word not in other_word:
                continue
            related = code_within(other.code, crit.code) or code_within(crit.code, other.code)
            assert related, f"{word!r} ({crit.code}) is inside {other_word!r} ({other.code})"


def test_builtin_keywords_cover_typical_evidence() -> None:
    by_track = {t.id: t.keyword_index() for t in builtin_schemas()}
    assert by_track["party-building"]["三会一课"] == ["3.2.1"]
    assert by_track["party-building"]["主题党日"] == ["3.2.2"]
    assert by_track["civilized-unit"]["道德讲堂"] == ["1.3"]
    assert by_track["civilized-unit"]["志愿服务"] == ["2"]
    assert by_track["workers-home"]["职工代表大会"] == ["2.1"]
    assert by_track["workers-home"]["职工书屋"] == ["5.1"]
    assert by_track["workers-home"]["困难职工帮扶"] == ["6.1"]
    assert by_track["workers-home"]["厂务公开"] == ["2.2"]


def test_builtins_load_from_the_repo_folder_and_from_package_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Not installed: the schemas/ folder beside the package.
    repo = loader._load_builtins("archive_kit_no_such_package._schemas")
    assert [t.id for t in repo] == list(loader.BUILTIN_TRACK_IDS)
    # Installed: a real importable package holding the same files, found through importlib.resources.
    pkg = tmp_path / "installed_schemas_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    for file in REPO_SCHEMAS.iterdir():
        shutil.copy(file, pkg / file.name)
    monkeypatch.syspath_prepend(str(tmp_path))
    installed = loader._load_builtins("installed_schemas_pkg")
    assert [t.source_name for t in installed] == [str(pkg / f"{i}.yaml") for i in loader.BUILTIN_TRACK_IDS]
    assert [t.criteria for t in installed] == [t.criteria for t in repo]


# --------------------------------------------------------------------------- model


def test_good_file_loads_with_tree_order_and_coerced_int_code(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))  # a BOM, as Windows editors write
    track = load_schema_file(path)
    assert track.id == "test-track" and track.code == "CS" and track.aliases == ("测试", "测试创建活动")
    assert [c.code for c in track.criteria] == ["1", "1.1", "1.2", "1.2.1", "2"]
    assert [c.depth for c in track.criteria] == [1, 2, 2, 3, 1]
    assert track.criterion("1.2.1") == Criterion(
        code="1.2.1", name="年度方案", retention="Y", parent="1.2", depth=3
    )
    assert track.criterion("1.2.1").line == 20  # type: ignore[union-attr]
    assert track.criterion("2").required is True  # type: ignore[union-attr]
    assert track.criterion("1").points == 40.0  # type: ignore[union-attr]
    assert track.source == GOOD and track.source_name == str(path)


def test_tree_navigation() -> None:
    track = load_schema_text(GOOD, "good.yaml")
    assert [c.code for c in track.top_level()] == ["1", "2"]
    assert [c.code for c in track.children("1")] == ["1.1", "1.2"]
    assert track.children("1.1") == [] and track.children("9") == []
    assert track.ancestors("1.2.1") == ["1", "1.2"]
    assert track.ancestors("1") == [] and track.ancestors("9.9") == []
    assert [c.code for c in track.descendants("1")] == ["1.1", "1.2", "1.2.1"]
    assert track.default_retention("1.2.1") == "Y"
    assert track.default_retention("1.2") == "D30"  # inherited from 1
    assert track.default_retention("2") is None and track.default_retention("7") is None
    assert track.criterion("１．２") is not None  # full-width digits and dot


def test_natural_code_order() -> None:
    codes = ["10", "2", "1.10", "1.2", "1", "2.1", "1.2.3", "1.9"]
    assert sorted(codes, key=natural_code_key) == ["1", "1.2", "1.2.3", "1.9", "1.10", "2", "2.1", "10"]
    assert natural_code_key("2") < natural_code_key("10")
    assert natural_code_key("1.2") < natural_code_key("1.10")
    assert natural_code_key("1.2") == (1, 2)
    odd = ["2.x", "abc", "", "2.1", "3", "2", "1.a.2", "１０"]
    assert sorted(odd, key=natural_code_key) == ["", "1.a.2", "2", "2.1", "2.x", "3", "１０", "abc"]


def test_code_within() -> None:
    assert code_within("2.3.4", "2") and code_within("2", "2")
    assert not code_within("20", "2") and not code_within("2", "2.3")


# --------------------------------------------------------------------------- resolving


def test_registry_resolves_id_name_and_alias() -> None:
    registry = TrackRegistry(builtin_schemas())
    for value in ("civilized-unit", "文明单位", "文明", "文明单位创建", " Civilized-Unit ", "ＣＩＶＩＬＩＺＥＤ－ＵＮＩＴ"):
        assert registry.resolve(value).id == "civilized-unit", value  # type: ignore[union-attr]
    for value in ("party-building", "党建工作先进单位", "党建", "党建工作"):
        assert registry.resolve(value).id == "party-building", value  # type: ignore[union-attr]
    for value in ("workers-home", "职工之家", "职工之家建设", "模范职工之家", "职工小家"):
        assert registry.resolve(value).id == "workers-home", value  # type: ignore[union-attr]
    assert registry.resolve("文明单位2") is None and registry.resolve("") is None
    assert registry.get("文明") is None and registry.get("workers-home").name == "职工之家"  # type: ignore[union-attr]
    assert [t.id for t in registry.all()] == ["party-building", "civilized-unit", "workers-home"]
    assert "文明" in registry and len(registry) == 3


def test_registry_require_names_known_tracks() -> None:
    registry = TrackRegistry.builtin()
    assert registry.require("文明").id == "civilized-unit"
    with pytest.raises(UsageError) as info:
        registry.require("卫生单位")
    assert str(info.value).startswith("unknown track '卫生单位' (known: party-building 党建工作先进单位, ")
    assert info.value.exit_code == 2


def test_registry_replacement_keeps_place_and_clash_names_the_later_file() -> None:
    mine = load_schema_text(GOOD.replace("test-track", "civilized-unit").replace("测试创建\n", "文明单位\n"), "mine.yaml")
    registry = TrackRegistry(builtin_schemas() + [mine])
    assert [t.id for t in registry.all()] == ["party-building", "civilized-unit", "workers-home"]
    assert registry.resolve("文明单位") is mine and registry.resolve("文明") is None  # old aliases gone
    assert registry.resolve("测试") is mine
    clash = load_schema_text(GOOD.replace("aliases: [测试, 测试创建活动]", "aliases: [测试, 职工之家]"), "clash.yaml")
    with pytest.raises(SchemaError) as info:
        TrackRegistry(builtin_schemas() + [clash])
    assert str(info.value) == "clash.yaml:4: '职工之家' of track 'test-track' already names track 'workers-home' (职工之家)"


def test_resolve_criterion_forms() -> None:
    civilized = TrackRegistry.builtin().require("civilized-unit")

    def code(text: str) -> str | None:
        found = civilized.resolve_criterion(text)
        return found.code if found else None

    assert code("2 志愿服务") == "2"  # the contract's folder name
    assert code("2") == "2" and code("10") == "10" and code("2.3") == "2.3"
    assert code("2.3 志愿服务制度") == "2.3"
    assert code("2.3、志愿服务制度") == "2.3"
    assert code("2.3-志愿服务制度") == "2.3"
    assert code("2.3.志愿服务制度") == "2.3"
    assert code("２．３　志愿服务制度") == "2.3"
    assert code("志愿服务活动") == "2.2"  # an exact name
    assert code("（二）学雷锋志愿服务") == "2" and code("二、学雷锋志愿服务") == "2"
    assert code("9.9 否决事项") == "10"  # an unknown code, but the name is exact
    for nothing in ("2023", "2-3", "照片", "", "   ", "99", "志愿"):
        assert code(nothing) is None, nothing
    party = TrackRegistry.builtin().require("党建")
    assert party.resolve_criterion("三会一课").code == "3.2.1"  # type: ignore[union-attr]
    assert party.resolve_criterion("3.2.1 三会一课").code == "3.2.1"  # type: ignore[union-attr]


# --------------------------------------------------------------------------- refusals

BASE = """\
id: broken
name: 坏文件
criteria:
  - code: "1"
    name: 第一项
    children:
      - code: "1.1"
        name: 第一项之一
"""

BROKEN = {
    # what is wrong: (text, line, words the message must contain)
    "duplicate code": (BASE + '  - code: "1"\n    name: 重复\n', 9, "duplicate criterion code '1' (first at line 4)"),
    "bad code pattern": (BASE.replace('"1.1"', '"1.a"'), 7, "criterion code '1.a'"),
    "child not under parent": (BASE.replace('"1.1"', '"2.1"'), 7, "must start with '1.'"),
    "unknown key": (BASE + "        score: 3\n", 9, "unknown key 'score' in criterion 1.1"),
    "bad retention": (BASE + "        retention: D5\n", 9, "retention 'D5' must be one of Y, D30, D10"),
    "yaml syntax": (BASE.replace("name: 第一项之一", "name: 第一项之一: 又一"), 8, "YAML syntax error"),
    "unclosed bracket": (BASE + "        keywords: [台账, 照片\n", 9, "YAML syntax error"),
    "missing name": (BASE.replace("        name: 第一项之一\n", "        keywords: [台账]\n"), 7, "criterion 1.1 is missing 'name'"),
    "float code 1.10": (BASE.replace('"1.1"', "1.10"), 7, "YAML reads an unquoted 1.10 as the number 1.1"),
    "float code 1.2": (BASE.replace('"1.1"', "1.2"), 7, 'must be in quotes ("1.2")'),
    "missing track name": (BASE.replace("name: 坏文件\n", ""), 1, "the track is missing 'name'"),
    "bad id": ("# comment\n" + BASE.replace("id: broken", "id: Broken Track"), 2, "id 'Broken Track'"),
    "bad track code": (BASE.replace("name: 坏文件", "name: 坏文件\ncode: wm"), 3, "track code 'wm'"),
    "negative points": (BASE + "        points: -5\n", 9, "must not be negative"),
    "keywords not a list": (BASE + "        keywords: 台账\n", 9, "'keywords' must be a list, not text"),
    "name is a number": (BASE.replace("name: 第一项之一", "name: 2023"), 8, "put it in quotes"),
    "duplicate key": (BASE + "        name: 又一个\n", 9, "duplicate key 'name' (first at line 8)"),
    "alias repeats name": (BASE.replace("name: 坏文件", "name: 坏文件\naliases: [坏, 坏文件]"), 3, "alias '坏文件' repeats"),
    "yaml alias": (BASE.replace("name: 第一项之一", "name: &n 第一项之一") + '  - code: "2"\n    name: *n\n', 10, "YAML aliases"),
    "unsafe tag": (BASE + "        keywords: !!python/object/apply:os.system [ls]\n", 9, "YAML error"),
    "unsafe scalar tag": (BASE + "        retention: !!python/name:os.system ''\n", 9, "YAML error"),
    "empty file": ("", 1, "the file is empty"),
    "not a mapping": ("- 文明\n- 职工之家\n", 1, "must be a mapping"),
    "no criteria": ("id: x\nname: 空\ncriteria: []\n", 3, "'criteria' must not be an empty list"),
    "control character": (BASE + "        keywords: [a\x01]\n", 9, "U+0001"),
    "blank name": (BASE.replace("name: 第一项之一", 'name: "  "'), 8, "must not be blank"),
    "two documents": (BASE + "---\nid: again\n", 9, "YAML syntax error"),
    # the fields of the second round: periodic evidence, how a criterion is judged, veto, class name
    "bad cadence": (BASE + "        cadence: weekly\n", 9,
                    "criterion 1.1: cadence 'weekly' must be one of monthly, quarterly, half-yearly, yearly"),
    "per_period without cadence": (BASE + "        per_period: 2\n", 9, "criterion 1.1: 'per_period' needs a 'cadence'"),
    "per_period zero": (BASE + "        cadence: monthly\n        per_period: 0\n", 10, "must be at least 1 (got 0)"),
    "per_period text": (BASE + "        cadence: monthly\n        per_period: 两次\n", 10, "'per_period' must be a whole number"),
    "kind without cadence": (BASE + "        kinds:\n          - name: 支委会\n", 10, "criterion 1.1 is missing 'cadence'"),
    "kind bad cadence": (BASE + "        kinds:\n          - name: 党课\n            cadence: 每季度\n", 11,
                         "cadence '每季度' must be one of"),
    "kind twice": (BASE + "        kinds:\n          - name: 党课\n            cadence: quarterly\n"
                   "          - name: 党课\n            cadence: yearly\n", 12, "kind '党课' is listed twice (first at line 10)"),
    "kind unknown key": (BASE + "        kinds:\n          - name: 党课\n            cadence: quarterly\n            every: 3\n",
                         12, "unknown key 'every' in criterion 1.1"),
    "kinds empty": (BASE + "        kinds: []\n", 9, "'kinds' must not be an empty list"),
    "bad method": (BASE + "        method: 现场查看\n", 9,
                   "criterion 1.1: method '现场查看' must be one of 材料审核, 实地考察, 问卷调查, 网上测评"),
    "bad method in a list": (BASE + "        method: [材料审核, 现场查看]\n", 9, "method '现场查看' must be one of"),
    "veto not boolean": (BASE + "        veto: 是\n", 9, "criterion 1.1: 'veto' must be true or false, not text"),
    "veto and required": (BASE + "        veto: true\n        required: true\n", 9, "veto and required exclude each other"),
    "standard not text": (BASE + "        standard: 3\n", 9, "criterion 1.1: 'standard' must be text"),
    "blank basis": (BASE + '        basis: "  "\n', 9, "criterion 1.1: 'basis' must not be blank"),
    "class_name too long": (BASE.replace("name: 坏文件", "name: 坏文件\nclass_name: " + "长" * 21), 3,
                            "'class_name' is longer than 20 characters"),
    "blank class_name": (BASE.replace("name: 坏文件", 'name: 坏文件\nclass_name: " "'), 3, "'class_name' must not be blank"),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_broken_file_is_refused_naming_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, words = BROKEN[case]
    message = _refusal(tmp_path, text)
    assert _line_of(message, tmp_path) == line, message
    assert words in message, message


def test_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(BASE.encode("utf-8") + "        keywords: [志愿服务]\n".encode("gb18030"))
    with pytest.raises(SchemaError) as info:
        load_schema_file(path)
    assert str(info.value).startswith(f"{path}:9: not UTF-8 text")


def test_large_and_missing_files_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text(BASE + "#" + "x" * (2 * 1024 * 1024) + "\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="at most 2 MB"):
        load_schema_file(big)
    with pytest.raises(SchemaError, match="at most 2 MB"):
        load_schema_text(big.read_text(encoding="utf-8"), "big.yaml")
    with pytest.raises(SchemaError, match=r"missing\.yaml: cannot read"):
        load_schema_file(tmp_path / "missing.yaml")


def test_text_errors_use_the_given_source_name() -> None:
    with pytest.raises(SchemaError) as info:
        load_schema_text(BASE.replace('"1.1"', '"1.1.x"'), "upload:文明.yaml")
    assert str(info.value).startswith("upload:文明.yaml:7: criterion code '1.1.x'")
    assert info.value.exit_code == 1
