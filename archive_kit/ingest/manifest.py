"""Manifest CSV (``ingest --manifest``): per-file tags and metadata, as Excel saves it.

Excel in China saves CSV in GB18030 (ANSI), sometimes UTF-8 with BOM; both are read. Headers may be
the contract's English names or their usual Chinese column titles.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ManifestError

COLUMNS = ("path", "track", "criterion", "year", "title", "doc_number", "author", "date", "retention", "remarks",
           "secrecy", "title_composed", "kind", "place", "people", "photographer", "background")
HEADER_ALIASES = {
    "路径": "path", "文件": "path", "文件路径": "path", "文件名": "path",
    "类别": "track", "创建类别": "track", "指标": "criterion", "测评指标": "criterion", "指标编号": "criterion",
    "年度": "year", "题名": "title", "标题": "title", "文号": "doc_number", "文件编号": "doc_number",
    "责任者": "author", "日期": "date", "成文日期": "date", "保管期限": "retention", "备注": "remarks", "密级": "secrecy",
    "自拟题名": "title_composed",
    "门类": "kind", "拍摄时间": "date", "时间": "date", "地点": "place", "人物": "people",
    "摄影者": "photographer", "背景": "background", "事由": "background", "背景/事由": "background",
}
# a ``title_composed`` (自拟题名) cell: the row's title was composed by the archivist (listed in [ ]) or not
YES = ("1", "yes", "y", "true", "是", "√", "✓")
NO = ("0", "no", "n", "false", "否")
MAX_BYTES = 50 * 1024 * 1024
# the longest sensible cell per column (characters); a longer one (a pasted document, a broken
# export) fails its own row, naming the line and the column, and the other rows go on
MAX_CELL = {"path": 4096, "title": 1000, "remarks": 5000}
MAX_OTHER_CELL = 1000


@dataclass
class ManifestRow:
    """One row: the file it names (resolved), its values, and a problem if the row is unusable."""

    line: int
    raw_path: str
    path: Path | None
    values: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def decode_csv_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030, the encoding Excel uses on Chinese Windows."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def read_csv_text(path: Path, what: str, max_bytes: int) -> str:
    """A person's CSV file (a manifest, an assignment list) as text; a file that is too big, cannot
    be read or is neither UTF-8 nor GB18030 is a one-line ManifestError naming it and ``what`` it is."""
    name = str(path)
    try:
        if path.stat().st_size > max_bytes:
            raise ManifestError(f"{name}: {what} is larger than {max_bytes // (1024 * 1024)} MB")
        return decode_csv_bytes(path.read_bytes())
    except OSError as e:
        raise ManifestError(f"{name}: cannot read {what}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ManifestError(f"{name}: {what} is neither UTF-8 nor GB18030 text") from None


def read_manifest(path: Path) -> list[ManifestRow]:
    """Parse a manifest; a file that cannot be read at all raises ManifestError, bad rows carry ``error``."""
    name = str(path)
    text = read_csv_text(path, "manifest", MAX_BYTES)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))  # a huge cell is judged per row, below
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
    except csv.Error as e:
        raise ManifestError(f"{name}: not a readable CSV file ({e})") from None
    if not header:
        raise ManifestError(f"{name}: manifest is empty")
    keys = [HEADER_ALIASES.get(h.strip(), h.strip().lower()) for h in header]
    if "path" not in keys:
        raise ManifestError(f"{name}: manifest has no 'path' column (header: {', '.join(header)[:120]})")
    base = path.resolve().parent
    rows: list[ManifestRow] = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            values = {k: c.strip() for k, c in zip(keys, cells) if k in COLUMNS and c.strip()}
            rows.append(_row(line, values, base))
    except csv.Error as e:
        raise ManifestError(f"{name}: line {reader.line_num}: broken CSV ({e})") from None
    _refuse_repeats(rows)
    return rows


def _row(line: int, values: dict[str, str], base: Path) -> ManifestRow:
    """One row: its path resolved, or the reason it cannot be used (a cell too long for its column)."""
    raw = values.pop("path", "")
    limits = {k: MAX_CELL.get(k, MAX_OTHER_CELL) for k in ("path", *values)}
    too_long = next((k for k, v in (("path", raw), *values.items()) if len(v) > limits[k]), None)
    if too_long == "path":
        return ManifestRow(line, raw[:60] + "…", None, {}, f"the path cell has {len(raw)} characters "
                           f"(at most {limits['path']}); fix the manifest")
    row = _resolve_row(line, raw, values, base)
    if too_long and row.error is None:
        row.error = (f"the {too_long} cell has {len(values[too_long])} characters (at most {limits[too_long]}); "
                     "fix the manifest (the file is not ingested until then)")
        row.values = {}
    return row


def _refuse_repeats(rows: list[ManifestRow]) -> None:
    """Rows naming the same file (after resolving ``./`` and the like) fail together: which row's
    values are right is the archivist's decision, so the file waits until the manifest is fixed."""
    lines: dict[Path, list[int]] = {}
    for row in rows:
        if row.path is not None:
            lines.setdefault(row.path, []).append(row.line)
    for row in rows:
        same = lines.get(row.path, []) if row.path is not None else []
        if len(same) > 1 and row.error is None:
            listed = ", ".join(str(n) for n in same[:-1]) + f" and {same[-1]}"
            row.error = (f"lines {listed} name the same file; fix the manifest "
                         "(the file is not ingested with either row's values until then)")


def _resolve_row(line: int, raw: str, values: dict[str, str], base: Path) -> ManifestRow:
    """Resolve a row's path against the manifest's folder; refuse paths that leave it."""
    if not raw:
        return ManifestRow(line, raw, None, values, "the path cell is empty")
    if any(ord(c) < 32 or ord(c) == 127 for c in raw):
        return ManifestRow(line, raw, None, values, "the path cell contains a control character; refused")
    rel = Path(raw.replace("\\", "/"))
    try:
        target = (base / rel).resolve() if not rel.is_absolute() else rel.resolve()
        if target != base and base not in target.parents:
            return ManifestRow(line, raw, None, values, "path leaves the manifest's folder; refused")
        if not target.exists():
            return ManifestRow(line, raw, target, values, "file named in the manifest does not exist")
    except (OSError, RuntimeError, ValueError) as e:
        why = getattr(e, "strerror", None) or str(e)
        return ManifestRow(line, raw, None, values, f"the path cannot be used ({why})")
    return ManifestRow(line, raw, target, values)
