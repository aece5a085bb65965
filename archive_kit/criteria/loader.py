"""Reading criteria schema files: YAML checked against ``criteria.schema.json`` plus the rules JSON
Schema cannot express, with every node's line tracked so each refusal is one line naming file,
line and problem.

Schemes differ by city and year, so they are data. This is the only module that imports YAML or
JSON Schema: the model and the registry it builds need neither, and extraction workers never
import it.
"""
from __future__ import annotations

import functools
import importlib.resources
import json
import os
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

import jsonschema
import yaml

from ..errors import SchemaError
from .model import Criterion, Kind, TrackSchema, normalize_name, one_line

__all__ = ["BUILTIN_TRACK_IDS", "MAX_SCHEMA_BYTES", "builtin_schemas", "json_schema", "load_schema_file",
           "load_schema_text"]

MAX_SCHEMA_BYTES = 2 * 1024 * 1024
BUILTIN_TRACK_IDS = ("party-building", "civilized-unit", "workers-home")
_JSON_SCHEMA_FILE = "criteria.schema.json"
_RESOURCE_PACKAGE = "archive_kit._schemas"

_CODE_RE = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_ID_RE = re.compile(r"[a-z0-9-]+")
_TRACK_CODE_RE = re.compile(r"[A-Z]{2,4}")


# --------------------------------------------------------------------------- built-ins


def _resource_dir(package: str = _RESOURCE_PACKAGE) -> Any:
    """Where the built-in schema files are: the installed package data, else the repo's schemas/."""
    try:
        res = importlib.resources.files(package)
        if res.joinpath(_JSON_SCHEMA_FILE).is_file():
            return res
    except (ImportError, OSError, TypeError, ValueError):
        pass
    return Path(__file__).resolve().parents[2] / "schemas"


@functools.lru_cache(maxsize=1)
def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every criteria schema file is checked against."""
    return json.loads(_resource_dir().joinpath(_JSON_SCHEMA_FILE).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json_schema())


def _load_builtins(package: str = _RESOURCE_PACKAGE) -> tuple[TrackSchema, ...]:
    base = _resource_dir(package)
    out = []
    for track_id in BUILTIN_TRACK_IDS:
        res = base.joinpath(f"{track_id}.yaml")
        out.append(load_schema_text(res.read_text(encoding="utf-8"), str(res)))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def _builtin_cache() -> tuple[TrackSchema, ...]:
    return _load_builtins()


def builtin_schemas() -> list[TrackSchema]:
    """The three built-in tracks: party-building, civilized-unit, workers-home (in that order)."""
    return list(_builtin_cache())


# --------------------------------------------------------------------------- loading


class _Problem(Exception):
    """A refusal at a line of the file; turned into a SchemaError with the file's name."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = max(1, int(line))
        self.message = one_line(message)


class _Loader(yaml.SafeLoader):
    """Safe loader that refuses aliases: schema files have no use for them and they can blow up."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: D102 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Problem(
                event.start_mark.line + 1,
                f"YAML aliases (*{event.anchor}) are not allowed in a schema file; write the value out",
            )
        return super().compose_node(parent, index)


class _Located:
    """Line numbers of the parsed data, by JSON path (tuple of keys and indices)."""

    def __init__(self, root_line: int) -> None:
        self.root_line = root_line
        self.lines: dict[tuple[Any, ...], int] = {(): root_line}
        self.raw: dict[tuple[Any, ...], str] = {}

    def line(self, path: Iterable[Any]) -> int:
        """The line of the node at ``path``, else of its nearest located ancestor."""
        p = tuple(path)
        while p and p not in self.lines:
            p = p[:-1]
        return self.lines.get(p, self.root_line)


def load_schema_file(path: str | os.PathLike[str]) -> TrackSchema:
    """Read, parse and validate one criteria schema file (UTF-8 YAML, at most 2 MB)."""
    name = one_line(os.fspath(path))
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SCHEMA_BYTES + 1)
    except OSError as exc:
        raise SchemaError(f"{name}: cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_SCHEMA_BYTES:
        raise SchemaError(f"{name}: refused: a schema file may be at most 2 MB")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SchemaError(
            f"{name}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02X}); "
            "save the file as UTF-8 (it may be GBK/GB18030)"
        ) from None
    return load_schema_text(text, name)


def load_schema_text(text: str, source_name: str) -> TrackSchema:
    """Parse and validate a criteria schema from YAML text; ``source_name`` names it in errors."""
    name = one_line(str(source_name)) or "<schema>"
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SCHEMA_BYTES:
        raise SchemaError(f"{name}: refused: a schema file may be at most 2 MB")
    try:
        return _load(text, name)
    except _Problem as problem:
        raise SchemaError(f"{name}:{problem.line}: {problem.message}") from None
    except RecursionError:
        raise SchemaError(f"{name}:1: the file is nested too deeply") from None


def _load(text: str, name: str) -> TrackSchema:
    loader: _Loader | None = None
    try:
        try:
            loader = _Loader(text)
            root = loader.get_single_node()
            if root is None:
                raise _Problem(1, "the file is empty; a schema needs id, name and criteria")
            located = _Located(root.start_mark.line + 1)
            data = _build(root, (), loader, located)
        except yaml.MarkedYAMLError as exc:
            raise _Problem(*_yaml_problem(exc, text)) from None
        except yaml.reader.ReaderError as exc:
            line = text[: exc.position].count("\n") + 1
            char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
            raise _Problem(line, f"character U+{char:04X} is not allowed in a YAML file") from None
        except yaml.YAMLError as exc:
            raise _Problem(1, f"YAML error: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()

    problems = _coerce_codes(data, located)
    problems += [_describe(err, data, located) for err in _validator().iter_errors(data)]
    if not problems:
        problems = _semantic_problems(data, located)
    if problems:
        problems.sort(key=lambda p: p[0])  # stable: at one line, our own words come first
        raise _Problem(*problems[0])
    return _to_track(data, located, text, name)


def _yaml_problem(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    mark = exc.problem_mark or exc.context_mark
    if mark is not None and exc.context_mark is not None and mark.index >= len(text.rstrip()):
        mark = exc.context_mark  # ran off the end: the unclosed bracket or quote is the real place
    line = mark.line + 1 if mark is not None else 1
    what = exc.problem or exc.context or "cannot parse"
    kind = "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
    message = f"{kind}: {what}"
    if exc.context and exc.problem:
        cm = exc.context_mark
        at = f" at line {cm.line + 1}" if cm is not None and cm.line + 1 != line else ""
        message += f" ({exc.context}{at})"
    return line, message


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _build(node: yaml.Node, path: tuple[Any, ...], loader: yaml.SafeLoader, loc: _Located) -> Any:
    """Turn a composed node into plain data, recording each entry's line under its JSON path."""
    if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
        raise _Problem(node.start_mark.line + 1, f"YAML error: the tag {_short(node.tag)} is not allowed in a schema file")
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                raise _Problem(line, "a key must be plain text") from None
            if key in result:
                raise _Problem(line, f"duplicate key '{_short(key)}' (first at line {loc.lines[path + (key,)]})")
            loc.lines[path + (key,)] = line
            result[key] = _build(value_node, path + (key,), loader, loc)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            loc.lines[path + (i,)] = item.start_mark.line + 1
            items.append(_build(item, path + (i,), loader, loc))
        return items
    if isinstance(node, yaml.ScalarNode):
        loc.raw[path] = node.value
    return loader.construct_object(node, deep=True)


def _iter_criteria(data: Any) -> Iterator[tuple[dict[Any, Any], tuple[Any, ...], str | None]]:
    """Each criterion mapping in tree order with its JSON path and its parent's code."""

    def walk(items: Any, path: tuple[Any, ...], parent: str | None) -> Iterator[Any]:
        if not isinstance(items, list):
            return
        for i, crit in enumerate(items):
            if isinstance(crit, dict):
                yield crit, path + (i,), parent
                code = crit.get("code")
                yield from walk(crit.get("children"), path + (i, "children"), code if isinstance(code, str) else None)

    if isinstance(data, dict):
        yield from walk(data.get("criteria"), ("criteria",), None)


def _coerce_codes(data: Any, loc: _Located) -> list[tuple[int, str]]:
    """Accept a bare whole number as a code (``2`` → ``"2"``); refuse numbers YAML would change."""
    problems: list[tuple[int, str]] = []
    for crit, path, _parent in _iter_criteria(data):
        value = crit.get("code")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        raw = loc.raw.get(path + ("code",), str(value))
        line = loc.line(path + ("code",))
        if isinstance(value, int) and re.fullmatch(r"[0-9]+", raw):
            crit["code"] = raw
            continue
        if isinstance(value, float) and str(value) != raw:
            why = f"YAML reads an unquoted {raw} as the number {value}"
        elif isinstance(value, float):
            why = "YAML reads an unquoted dotted code as a number (1.10 would become 1.1)"
        else:
            why = f"YAML reads an unquoted {raw} as the number {value}"
        problems.append((line, f"criterion code {raw} must be in quotes (\"{raw}\"): {why}"))
        crit["code"] = raw
    return problems


_TYPE_WORDS = {
    "string": "text",
    "array": "a list",
    "object": "a mapping of keys",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "empty",
}


def _type_word(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of keys"
    return f"a {type(value).__name__} ({_short(value)})"


def _subject(data: Any, path: tuple[Any, ...]) -> str:
    """'criterion 2.3' for a path inside a criterion, else 'the track'."""
    node, prev, subject = data, None, "the track"
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int) and prev in ("criteria", "children") and isinstance(node, dict):
            code = node.get("code")
            subject = f"criterion {code}" if isinstance(code, str) and code.strip() else "a criterion"
        prev = part
    return subject


def _describe(err: jsonschema.ValidationError, data: Any, loc: _Located) -> tuple[int, str]:
    """Turn a jsonschema error into (line, one message a person understands)."""
    path = tuple(err.absolute_path)
    subject = _subject(data, path)
    field_name = next((p for p in reversed(path) if isinstance(p, str)), None)
    if path and isinstance(path[-1], int):
        what = f"an entry of '{field_name}'"
    else:
        what = f"'{field_name}'" if field_name else "the file"
    value = err.instance
    kind = err.validator
    line = loc.line(path)
    if kind == "anyOf" and err.context:  # e.g. method: one name or a list of names; say what the value missed
        own = [e for e in err.context if e.validator != "type"] or list(err.context)
        return _describe(max(own, key=lambda e: len(e.absolute_path)), data, loc)
    if kind == "additionalProperties" and isinstance(value, dict):
        allowed = list(err.schema.get("properties", {}))
        extra = [k for k in value if k not in allowed]
        key = extra[0] if extra else "?"
        line = loc.line(path + (key,))
        return line, f"unknown key '{_short(key)}' in {subject} (allowed: {', '.join(allowed)})"
    if kind == "required" and isinstance(value, dict):
        missing = [k for k in err.validator_value if k not in value]
        return line, f"{subject} is missing '{missing[0] if missing else '?'}'"
    if kind == "type":
        expected = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        words = " or ".join(_TYPE_WORDS.get(t, t) for t in expected)
        if not path:
            return line, f"the file must be a mapping with id, name and criteria, not {_type_word(value)}"
        hint = "; put it in quotes" if "string" in expected and isinstance(value, (int, float)) else ""
        return line, f"{subject}: {what} must be {words}, not {_type_word(value)}{hint}"
    if kind == "pattern":
        if path == ("id",):
            return line, f"id '{_short(value)}' must be lowercase letters, digits and '-' (like civilized-unit)"
        if path == ("code",):
            return line, f"track code '{_short(value)}' must be 2 to 4 capital letters (like WM)"
        if field_name == "code":
            return line, f"criterion code '{_short(value)}' must be numbers joined by dots (like 2 or 2.3)"
        return line, f"{subject}: {what} '{_short(value)}' does not match {err.validator_value}"
    if kind == "enum":
        choices = ", ".join(str(c) for c in err.validator_value)
        return line, f"{subject}: {field_name or what} '{_short(value)}' must be one of {choices}"
    if kind == "minimum":
        if err.validator_value > 0:
            return line, f"{subject}: {what} must be at least {err.validator_value} (got {_short(value)})"
        return line, f"{subject}: {what} must not be negative (got {_short(value)})"
    if kind == "maximum":
        return line, f"{subject}: {what} must be at most {err.validator_value} (got {_short(value)})"
    if kind == "minLength":
        return line, f"{subject}: {what} must not be empty"
    if kind == "maxLength":
        return line, f"{subject}: {what} is longer than {err.validator_value} characters"
    if kind == "minItems":
        return line, f"{subject}: {what} must not be an empty list"
    return line, f"{subject}: {what}: {err.message}"


def _semantic_problems(data: dict[str, Any], loc: _Located) -> list[tuple[int, str]]:
    """Rules beyond JSON Schema: exact patterns, blank text, unique codes, nesting, aliases."""
    problems: list[tuple[int, str]] = []

    def at(path: tuple[Any, ...], message: str) -> None:
        problems.append((loc.line(path), message))

    if not _ID_RE.fullmatch(data["id"]):
        at(("id",), f"id '{_short(data['id'])}' must be lowercase letters, digits and '-' (like civilized-unit)")
    if not data["name"].strip():
        at(("name",), "the track's 'name' must not be blank")
    if "code" in data and not _TRACK_CODE_RE.fullmatch(data["code"]):
        at(("code",), f"track code '{_short(data['code'])}' must be 2 to 4 capital letters (like WM)")
    seen = {normalize_name(data["id"]): "the track's id", normalize_name(data["name"]): "the track's name"}
    for i, alias in enumerate(data.get("aliases", [])):
        norm = normalize_name(alias)
        if not norm:
            at(("aliases", i), "an alias must not be blank")
        elif norm in seen:
            at(("aliases", i), f"alias '{_short(alias)}' repeats {seen[norm]}")
        else:
            seen[norm] = f"alias '{_short(alias)}' (line {loc.line(('aliases', i))})"

    first_line: dict[str, int] = {}
    for crit, path, parent in _iter_criteria(data):
        code = crit["code"]
        code_path = path + ("code",)
        if not _CODE_RE.fullmatch(code):
            at(code_path, f"criterion code '{_short(code)}' must be numbers joined by dots (like 2 or 2.3)")
            continue
        if code in first_line:
            at(code_path, f"duplicate criterion code '{code}' (first at line {first_line[code]})")
        else:
            first_line[code] = loc.line(code_path)
        if parent is not None and not code.startswith(parent + "."):
            at(code_path, f"criterion code '{code}' is under '{parent}', so it must start with '{parent}.'")
        if not crit["name"].strip():
            at(path + ("name",), f"criterion {code}: 'name' must not be blank")
        for k, word in enumerate(crit.get("keywords", [])):
            if not word.strip():
                at(path + ("keywords", k), f"criterion {code}: a keyword must not be blank")
        problems += _periodic_problems(crit, path, code, loc)
        if crit.get("veto") and crit.get("required"):
            at(path + ("veto",), f"criterion {code}: a veto condition (一票否决) is confirmed, not evidenced; "
                                 "drop 'required' (veto and required exclude each other)")
        for key in ("standard", "basis"):
            if key in crit and not crit[key].strip():
                at(path + (key,), f"criterion {code}: '{key}' must not be blank")
    if "class_name" in data and not data["class_name"].strip():
        at(("class_name",), "the track's 'class_name' must not be blank")
    return problems


def _periodic_problems(crit: dict[str, Any], path: tuple[Any, ...], code: str,
                       loc: _Located) -> list[tuple[int, str]]:
    """per_period needs a cadence; kinds need distinct, non-blank names and keywords."""
    problems: list[tuple[int, str]] = []
    if "per_period" in crit and "cadence" not in crit:
        problems.append((loc.line(path + ("per_period",)), f"criterion {code}: 'per_period' needs a 'cadence' "
                                                            "(monthly, quarterly, half-yearly or yearly)"))
    seen: dict[str, int] = {}
    for i, kind in enumerate(crit.get("kinds", [])):
        norm = normalize_name(kind["name"])
        name_path = path + ("kinds", i, "name")
        if not norm:
            problems.append((loc.line(name_path), f"criterion {code}: a kind's 'name' must not be blank"))
        elif norm in seen:
            problems.append((loc.line(name_path), f"criterion {code}: kind '{_short(kind['name'])}' is listed "
                                                  f"twice (first at line {seen[norm]})"))
        else:
            seen[norm] = loc.line(name_path)
        for k, word in enumerate(kind.get("keywords", [])):
            if not word.strip():
                problems.append((loc.line(path + ("kinds", i, "keywords", k)),
                                 f"criterion {code}: a keyword of kind '{_short(kind['name'])}' must not be blank"))
    return problems


def _to_track(data: dict[str, Any], loc: _Located, text: str, name: str) -> TrackSchema:
    criteria: list[Criterion] = []
    for crit, path, parent in _iter_criteria(data):
        keywords = tuple(dict.fromkeys(w.strip() for w in crit.get("keywords", [])))
        points = crit.get("points")
        method = crit.get("method", ())
        criteria.append(
            Criterion(
                code=crit["code"],
                name=crit["name"].strip(),
                keywords=keywords,
                retention=crit.get("retention"),
                points=float(points) if points is not None else None,
                required=bool(crit.get("required", False)),
                parent=parent,
                depth=sum(1 for p in path if p in ("criteria", "children")),
                line=loc.line(path),
                cadence=crit.get("cadence"),
                per_period=crit.get("per_period", 1),
                kinds=tuple(Kind(k["name"].strip(), k["cadence"], k.get("per_period", 1),
                                 tuple(dict.fromkeys(w.strip() for w in k.get("keywords", []))))
                            for k in crit.get("kinds", [])),
                standard=crit["standard"].strip() if "standard" in crit else None,
                basis=crit["basis"].strip() if "basis" in crit else None,
                method=(method,) if isinstance(method, str) else tuple(dict.fromkeys(method)),
                veto=bool(crit.get("veto", False)),
            )
        )
    aliases = tuple(a.strip() for a in data.get("aliases", []))
    key_lines = [(normalize_name(data["id"]), loc.line(("id",))), (normalize_name(data["name"]), loc.line(("name",)))]
    key_lines += [(normalize_name(a), loc.line(("aliases", i))) for i, a in enumerate(aliases)]
    return TrackSchema(
        id=data["id"],
        name=data["name"].strip(),
        aliases=aliases,
        code=data.get("code"),
        criteria=tuple(criteria),
        source=text,
        source_name=name,
        description=data.get("description", "").strip(),
        class_name=data["class_name"].strip() if "class_name" in data else None,
        key_lines=tuple(key_lines),
    )


def _short(value: Any, limit: int = 60) -> str:
    """A value quoted in a message: one line, at most ``limit`` characters."""
    text = one_line(str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"
