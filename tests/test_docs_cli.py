"""docs/cli.md, the command-line and JSON interface users read, kept in step with the code.

The command reference in it is generated (``python docs/gen_cli.py``) from every command's live
``--help``; these tests fail when a command, an option or a help text changed without it. The
JSON shapes are written by hand; the real ``--json`` output of every command, run on a small
repository, must not hold a field they leave out, and the contract's fields must all be there.
"""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from archive_kit.__main__ import load_cli
from bench.gen_docs import NOTICE_BODY, make_pdf
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "cli.md"
CONTRACT = ROOT.parent / "shared" / "CONTRACT.md"
REGENERATE = "python docs/gen_cli.py"


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_cli", ROOT / "docs" / "gen_cli.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> dict[str, click.Command]:
    """Every command and subcommand by the words that name it (walked here, not by the generator)."""
    out: dict[str, click.Command] = {}
    for name, cmd in group.commands.items():
        if cmd.hidden:
            continue
        out[" ".join((*prefix, name))] = cmd
        if isinstance(cmd, click.Group):
            out.update(_commands(cmd, (*prefix, name)))
    return out


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_docs_cli_md_is_up_to_date_with_the_command_line() -> None:
    text = DOC.read_text(encoding="utf-8")
    fresh = _generator().updated(text, load_cli().cli)
    assert fresh == text, f"docs/cli.md is stale: regenerate it with `{REGENERATE}`"


def test_every_command_and_option_in_docs_cli_md_matches_the_live_help() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = dict(re.findall(r"^#### `archive-kit ([^`]+)`\n\n```text\n(.*?)\n```$", text, re.M | re.S))
    group = load_cli().cli
    commands = _commands(group)
    assert sorted(blocks) == sorted(commands), f"commands in docs/cli.md differ from the CLI: run `{REGENERATE}`"
    for name, cmd in commands.items():
        live = CliRunner().invoke(group, [*name.split(), "--help"], prog_name="archive-kit", terminal_width=80)
        assert live.exit_code == 0, live.output
        assert blocks[name] == live.output.rstrip(), f"`archive-kit {name} --help` changed: run `{REGENERATE}`"
        documented = _flat(blocks[name])
        assert _flat(cmd.help or "") in documented, name
        for param in cmd.params:
            if isinstance(param, click.Option):
                assert all(opt in documented for opt in param.opts), (name, param.opts)
                assert _flat(param.help or "") in documented, (name, param.opts)


def test_the_generator_says_a_stale_file_is_stale_and_rewrites_it(tmp_path: Path) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text(DOC.read_text(encoding="utf-8").replace("Print one JSON document on stdout.",
                                                             "Print JSON."), encoding="utf-8")
    script = [sys.executable, str(ROOT / "docs" / "gen_cli.py")]
    proc = subprocess.run([*script, "--check", "--file", str(stale)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "stale" in proc.stderr and REGENERATE in proc.stderr, proc.stderr
    proc = subprocess.run([*script, "--file", str(stale)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert stale.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")
    assert subprocess.run([*script, "--check", "--file", str(stale)], timeout=300).returncode == 0


# --- the JSON shapes ---------------------------------------------------------------------------


def _documented_json() -> dict[str, Any]:
    """The ``<!-- json: NAME -->`` blocks of docs/cli.md, with ``"<document>"`` resolved."""
    text = DOC.read_text(encoding="utf-8")
    blocks = {name: json.loads(body) for name, body in
              re.findall(r"^<!-- json: ([\w-]+) -->\n```json\n(.*?)\n```$", text, re.M | re.S)}

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and re.fullmatch(r"<[\w-]+>", value):
            return blocks[value[1:-1]]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    return {name: resolve(block) for name, block in blocks.items()}


def _merged(items: list[Any]) -> Any:
    """One documented list element standing for all (objects: the union of their fields)."""
    if all(isinstance(i, dict) for i in items):
        out: dict[str, Any] = {}
        for item in items:
            for key, value in item.items():
                out.setdefault(key, value)
        return out
    return items[0]


def _undocumented(doc: Any, real: Any, where: str) -> list[str]:
    """The fields of ``real`` that the documented example ``doc`` leaves out, as paths.
    ``{"…": "…"}`` documents an object whose fields vary (a log entry's ``detail``)."""
    if isinstance(real, dict):
        if not isinstance(doc, dict):
            return [f"{where} is an object"]
        if "…" in doc:
            return []
        out = [f"{where}.{k}" for k in real if k not in doc]
        for key in real.keys() & doc.keys():
            out += _undocumented(doc[key], real[key], f"{where}.{key}")
        return out
    if isinstance(real, list) and real:
        if not isinstance(doc, list) or not doc:
            return [f"{where}[] has elements the documentation does not show"]
        return [p for item in real for p in _undocumented(_merged(doc), item, f"{where}[]")]
    return []


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Every ``--json`` command run for real on a small repository that gives each list something."""
    tmp = tmp_path_factory.mktemp("json")
    root = tmp / "repo"
    inbox = tmp / "台账资料"
    filed = inbox / "文明单位" / "2023" / "2.3 志愿服务"
    filed.mkdir(parents=True)
    make_pdf(filed / "通知.pdf", "关于开展志愿服务活动的通知", NOTICE_BODY, doc_number="市直工委发〔2023〕5号",
             date_text="2023年3月5日")
    (inbox / "2022").mkdir()
    make_pdf(inbox / "2022" / "安排.pdf", "关于做好有关事项的通知", ["请各单位按时报送材料。"], date_text="2023年4月1日")
    make_pdf(filed.parent / "材料.pdf", "关于报送有关材料的通知", ["请各单位按时报送材料。"])  # no criterion: unplaced
    shutil.copy(filed / "通知.pdf", inbox / "副本.pdf")
    (inbox / "bad.pdf").write_bytes(b"%PDF-1.4 truncated")
    (inbox / "~$签到表.docx").write_bytes(b"lock")
    runs: dict[str, list[dict[str, Any]]] = {}

    def run(name: str, *args: str, code: int = 0) -> dict[str, Any]:
        proc = run_cli(*args, "--json", root=root)
        assert proc.returncode == code and "Traceback" not in proc.stderr, (args, proc.returncode, proc.stderr)
        data = json.loads(proc.stdout)
        runs.setdefault(name, []).append(data)
        return data

    run_cli("init", root=root, check=True)
    added = run("ingest", "ingest", str(inbox), "--no-ocr", code=1)["added"]
    notice = next(str(d["id"]) for d in added if d["title"] == "关于开展志愿服务活动的通知")
    run("show", "show", notice, "--text")
    run("list", "tag", notice, "--link", "workers-home:4.1")
    run("list", "list")
    run("review", "review")
    run("search", "search", "志愿服务")
    run("reindex", "reindex")
    run("number", "number", code=1)
    run("number", "number", "--renumber", "--track", "文明单位", "--year", "2023")
    run("number", "number", "--freeze", "--track", "文明单位", "--year", "2023")
    run("log", "log")
    run("coverage", "coverage", "--track", "文明单位", "--year", "2023")
    run("bundle", "bundle", "--track", "文明单位", "--year", "2023", "--out", str(tmp / "迎检"), "--zip")
    run("verify-bundle", "verify-bundle", str(tmp / "迎检"))
    run("verify-bundle", "verify", "--bundle", str(tmp / "迎检"))
    run("verify", "verify")
    schema = ROOT / "schemas" / "workers-home.yaml"
    run("schema-add", "schema", "add", str(schema))
    run("schema-list", "schema", "list")
    run("schema-update", "schema", "update", "--dry-run")
    run("schema-show", "schema", "show", "文明单位")
    run("doctor", "doctor")
    # damage, so that verify and repair have problems, notes and actions to show
    obj = next(p for p in (root / "objects").rglob("*") if p.is_file())
    obj.parent.chmod(0o755)
    obj.unlink()
    (obj.parent / ".tmp-left-over").write_bytes(b"x")
    run("verify", "verify", code=3)
    run("repair", "repair", code=3)
    # each list the documentation describes held something at least once, so its fields were compared
    first = {name: results[0] for name, results in runs.items()}
    for name, field in [("ingest", "duplicates"), ("ingest", "failed"), ("ingest", "skipped"), ("review", "documents"),
                        ("number", "skipped"), ("log", "log"), ("coverage", "unplaced"), ("bundle", "missing")]:
        assert first[name][field], (name, field)
    assert all(runs["number"][i][f] for i, f in ((0, "numbered"), (1, "renumbered_units"), (2, "frozen_units")))
    assert runs["list"][0]["documents"][0]["links"] and any(c["documents"] for c in first["bundle"]["contents"])
    assert runs["verify"][-1]["problems"] and runs["verify"][-1]["notes"]
    assert first["repair"]["actions"] and first["repair"]["problems"]
    return runs


def test_every_field_the_json_commands_print_is_in_docs_cli_md(outputs: dict[str, list[dict[str, Any]]]) -> None:
    documented = _documented_json()
    assert sorted(set(documented) - {"document"}) == sorted(outputs), "a JSON block has no command here, or v.v."
    for name, results in outputs.items():
        for real in results:
            assert set(documented[name]) == set(real), (name, sorted(documented[name]), sorted(real))
            assert _undocumented(documented[name], real, name) == [], f"docs/cli.md lacks these fields of {name}"


def test_docs_cli_md_keeps_every_field_the_contract_names() -> None:
    if not CONTRACT.is_file():
        pytest.skip(f"the shared contract is not beside the repository ({CONTRACT})")
    contract = CONTRACT.read_text(encoding="utf-8")
    shapes = contract[contract.index("## JSON shapes"):]
    shapes = shapes[:shapes.index("\n## ", 1)]
    named = set(re.findall(r'"([a-z_]+)"', shapes))
    assert len(named) > 30, named   # the section was found and read

    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value).union(*(keys(v) for v in value.values()))
        if isinstance(value, list):
            return set().union(*(keys(v) for v in value))
        return set()

    documented = set().union(*(keys(block) for block in _documented_json().values()))
    assert sorted(named - documented) == []
