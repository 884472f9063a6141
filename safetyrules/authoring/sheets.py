"""Decision tables as spreadsheets: ``safetyrules table export`` writes a
table rule file as an ``.xlsx`` workbook or a ``.csv`` file, and ``table
import`` turns the sheet back into a table rule file, with the same data.

The sheet (one worksheet; a CSV file is one sheet named by its file stem, as
spreadsheet programs open it) has three blocks, top to bottom, separated by
an empty row:

1. ``safetyrules table`` in A1 (and the layout version in B1), then one row
   per top-level key (``kind``, ``id``, ``title.zh``, ``output``, ``hit``,
   ``default``, ...): the key in column A, its value in column B;
2. ``rows`` in column A of a header row naming the row keys (``id``,
   ``when``, ``then``, ``title.zh``, ``cite``, ...) in B, C, ...; one table
   row per sheet row below it, column A empty;
3. ``examples`` the same way (``name``, ``facts``, ``expect``).

A cell holds a YAML value written on one line: plain text stays as it is
(``large``, ``Art. 3``), anything else is in YAML flow form (``'3'`` for the
text 3, ``{entity.scale: large}``, ``[a, b]``, ``null``); ``when`` cells and
text keys (``id``, ``cite``, ``title.*``, ``name``, ...) are text as written.
A mapping of titles is spread over ``title.zh`` / ``title.en`` columns.
YAML comments are not carried (a spreadsheet has none); everything else is,
both ways.  Errors point at the cell: ``FILE!SHEET!B7``.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import yaml

from safetyrules.authoring.fmt import KEY_ORDER
from safetyrules.errors import RuleFileError, SafetyRulesError

__all__ = ["SheetError", "export_table", "import_table", "table_to_grid", "grid_to_data", "LAYOUT_VERSION"]

LAYOUT_VERSION = 1
MAGIC = "safetyrules table"
#: keys whose cells are text as written (never YAML-decoded)
TEXT_KEYS = {"kind", "id", "version", "document", "source", "status", "description", "note", "output", "hit",
             "when", "cite", "name"}
_BLOCKS = ("rows", "examples")


class SheetError(RuleFileError):
    """An error in a spreadsheet, located at a cell: ``FILE!SHEET!B7``."""

    def __init__(self, message: str, *, file: str, sheet: str, cell: Optional[str] = None, code: str = "E-SHEET",
                 hint: Optional[str] = None) -> None:
        super().__init__(message, path=file, code=code, hint=hint)
        self.sheet = sheet
        self.cell = cell

    def location(self) -> str:
        return "!".join(x for x in (self.path or "", self.sheet, self.cell) if x)

    def format(self, severity: str = "error") -> str:
        return f"{self.location()}: {severity}: {self.message}" + (f" ({self.hint})" if self.hint else "")


def _col(i: int) -> str:
    """0-based column index → A, B, ..., Z, AA, ..."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _cell(row: int, col: int) -> str:
    return f"{_col(col)}{row + 1}"


# ---------------------------------------------------------------------------
# values <-> cells


def _load_value(text: str) -> Any:
    """A YAML flow value, read as the rule-file loader reads (YAML 1.2 core:
    dates stay text), raising RuleFileError."""
    from safetyrules.source.loader import load_yaml

    return load_yaml("v: " + text).data["v"]


def _plain_ok(s: str) -> bool:
    if not s or s != s.strip() or "\n" in s or s.startswith(("'", '"')):
        return False
    try:
        return _load_value(s) == s
    except SafetyRulesError:
        return False


def _text_key(key: str) -> bool:
    return key in TEXT_KEYS or key.startswith("title.")


def _encode(key: str, value: Any) -> str:
    if _text_key(key) and isinstance(value, str):
        return value
    if isinstance(value, str) and _plain_ok(value):
        return value
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9,
                          explicit_end=False).strip().removesuffix("\n...").strip()


def _decode(key: str, raw: Any) -> Any:
    if not isinstance(raw, str):  # a typed cell of a workbook: a number, a boolean, a date
        if isinstance(raw, datetime.datetime):
            return raw.date().isoformat() if raw.time() == datetime.time() else raw.isoformat()
        if isinstance(raw, datetime.date):
            return raw.isoformat()
        return raw
    if _text_key(key):
        return raw  # the schema makes these text: a `when` may well start with a quote or a bracket
    return _load_value(raw)


def _flatten(d: Dict[str, Any]) -> List[Tuple[str, Any]]:
    out: List[Tuple[str, Any]] = []
    for k, v in d.items():
        if k == "title" and isinstance(v, dict) and v and all(isinstance(x, str) and "." not in x for x in v):
            out += [(f"title.{lang}", text) for lang, text in v.items()]
        else:
            out.append((k, v))
    return out


def _put(d: Dict[str, Any], key: str, value: Any) -> None:
    if key.startswith("title."):
        d.setdefault("title", {})[key[len("title."):]] = value
    else:
        d[key] = value


# ---------------------------------------------------------------------------
# table data <-> grid


def table_to_grid(data: Dict[str, Any]) -> List[List[str]]:
    """A table rule file's data → rows of cell texts."""
    grid: List[List[str]] = [[MAGIC, str(LAYOUT_VERSION)]]
    for k, v in _flatten({k: v for k, v in data.items() if k not in _BLOCKS}):
        grid.append([k, _encode(k, v)])
    for block in _BLOCKS:
        items = data.get(block)
        if items is None:
            continue
        keys: List[str] = []
        flat = [_flatten(item) for item in items]
        for f in flat:
            for k, _ in f:
                if k not in keys:
                    keys.append(k)
        grid.append([])
        grid.append([block] + keys)
        for f in flat:
            m = dict(f)
            grid.append([""] + [(_encode(k, m[k]) if k in m else "") for k in keys])
    return grid


def _block_keys(block: str) -> frozenset:
    """The keys a row (``rows``) or an example (``examples``) of a table may
    have, from the table schema; empty when the schema does not say."""
    from safetyrules.source.schema import schema_for

    defs = schema_for("table").get("$defs", {})
    ref = (schema_for("table").get("properties", {}).get(block, {}).get("items") or {}).get("$ref", "")
    props = defs.get(ref.rsplit("/", 1)[-1], {}).get("properties") if ref.startswith("#/$defs/") else None
    return frozenset(props or ())


def grid_to_data(grid: Sequence[Sequence[Any]], file: str, sheet: str) -> Tuple[Dict[str, Any], Dict[tuple, str]]:
    """Rows of cells → (table data, the cell of each data path)."""

    def err(msg: str, r: int, c: int, hint: Optional[str] = None) -> SheetError:
        return SheetError(msg, file=file, sheet=sheet, cell=_cell(r, c), hint=hint)

    def text(v: Any) -> str:
        return "" if v is None else v if isinstance(v, str) else str(v)

    rows = [list(r) for r in grid]
    if not rows or text(rows[0][0] if rows[0] else "").strip() != MAGIC:
        raise err(f"not a safetyrules table sheet: A1 must say '{MAGIC}'", 0, 0,
                  hint="start from `safetyrules table export`")
    data: Dict[str, Any] = {}
    cells: Dict[tuple, str] = {}
    block: Optional[str] = None
    header: List[str] = []
    for r, row in enumerate(rows[1:], start=1):
        if not any(text(c).strip() for c in row):
            continue
        first = text(row[0]).strip() if row else ""
        if first in _BLOCKS:
            block = first
            if block in data:
                raise err(f"a second '{block}' block", r, 0)
            header = [text(c).strip() for c in row[1:]]
            while header and not header[-1]:
                header.pop()
            for c, h in enumerate(header, start=1):
                if not h:
                    raise err(f"column {_col(c)} of the '{block}' header has no key", r, c)
                if header.index(h) != c - 1:  # the second one is the mistake
                    raise err(f"key '{h}' is twice in the '{block}' header", r, c)
                allowed = _block_keys(block)
                if allowed and h.split(".")[0] not in allowed:
                    import difflib

                    close = difflib.get_close_matches(h, sorted(allowed), n=1)
                    raise err(f"unknown key '{h}' in the '{block}' header", r, c,
                              hint=f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(sorted(allowed)))
            data[block] = []
            cells[(block,)] = _cell(r, 0)
            continue
        if block is None:
            if not first:
                raise err("a key is expected in column A", r, 0)
            if len(row) < 2 or text(row[1]) == "":
                raise err(f"'{first}' has no value in column B", r, 1)
            if any(text(c).strip() for c in row[2:]):
                c = next(i for i, x in enumerate(row) if i >= 2 and text(x).strip())
                raise err(f"'{first}' takes one value, in column B; this cell should be empty", r, c)
            try:
                _put(data, first, _decode(first, row[1]))
            except SafetyRulesError as e:
                raise err(f"'{first}': {e.message}", r, 1) from None
            cells[(first.split(".")[0],)] = _cell(r, 1)
            continue
        if first:
            raise err(f"column A of a '{block}' line must be empty (it holds a block name: rows or examples)", r, 0)
        item: Dict[str, Any] = {}
        index = len(data[block])
        for c, key in enumerate(header, start=1):
            raw = row[c] if c < len(row) else None
            if raw is None or raw == "":
                continue
            try:
                _put(item, key, _decode(key, raw))
            except SafetyRulesError as e:
                raise err(f"{key}: {e.message}", r, c) from None
            cells[(block, index, key.split(".")[0])] = _cell(r, c)
        extra = [c for c in range(len(header) + 1, len(row)) if text(row[c]).strip()]
        if extra:
            raise err(f"this cell is right of the '{block}' header's last key", r, extra[0])
        cells[(block, index)] = _cell(r, 1)
        if item:
            data[block].append(item)
    return data, cells


# ---------------------------------------------------------------------------
# files


def _sheet_name(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def _limit() -> int:
    """The size limit of a rule file (docs/authoring.md: 16 MiB), which a
    sheet and the table made from it are held to as well."""
    from safetyrules.source import loader

    return loader.MAX_BYTES


def _check_size(path: str) -> None:
    try:
        size = os.path.getsize(path)
    except OSError:
        return  # reading it says why
    if size > _limit():
        raise SheetError(f"the sheet is larger than {_limit()} bytes, the limit of a rule file", file=path,
                         sheet=_sheet_name(path), code="E-FILES")


def _bounded_rows(rows, path: str, sheet: str) -> List[List[Any]]:
    """The rows of a worksheet, refusing one whose cells hold more text than
    a rule file may (an .xlsx is compressed: a small file can unpack to
    gigabytes)."""
    out: List[List[Any]] = []
    total = 0
    for r in rows:
        row = list(r)
        total += sum(len(str(v)) for v in row if v is not None) + len(row)
        if total > _limit():
            raise SheetError(f"the sheet is larger than {_limit()} bytes, the limit of a rule file", file=path,
                             sheet=sheet, code="E-FILES")
        out.append(row)
    return out


def _read_grid(path: str, sheet_name: Optional[str]) -> Tuple[List[List[Any]], str]:
    _check_size(path)
    if path.lower().endswith(".csv"):
        try:
            with open(path, encoding="utf-8-sig", newline="") as fh:
                return [list(r) for r in csv.reader(fh)], _sheet_name(path)
        except OSError as exc:
            raise SheetError(f"cannot read file: {exc.strerror}", file=path, sheet="", code="E-FILES") from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SheetError(f"not a UTF-8 CSV file ({exc})", file=path, sheet=_sheet_name(path), code="E-FILES") from None
    if not path.lower().endswith(".xlsx"):
        raise SheetError("a sheet is an .xlsx workbook or a .csv file", file=path, sheet="", code="E-FILES")
    openpyxl = _openpyxl(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise SheetError(f"cannot read file: {exc.strerror or exc}", file=path, sheet="", code="E-FILES") from None
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise SheetError(f"not an .xlsx workbook ({type(exc).__name__})", file=path, sheet="", code="E-FILES") from None
    try:
        if sheet_name is not None and sheet_name not in wb.sheetnames:
            raise SheetError(f"no worksheet '{sheet_name}' (the workbook has {', '.join(wb.sheetnames)})",
                             file=path, sheet=sheet_name, code="E-FILES")
        ws = wb[sheet_name] if sheet_name is not None else wb.worksheets[0]
        return _bounded_rows(ws.iter_rows(values_only=True), path, ws.title), ws.title
    finally:
        wb.close()


def _openpyxl(path: str):
    try:
        import openpyxl
    except ImportError:
        raise SheetError("reading and writing .xlsx needs openpyxl", file=path, sheet="", code="E-DEPENDENCY",
                         hint="pip install 'safetyrules[sheets]'") from None
    return openpyxl


def _ordered(d: Any, order: Sequence[str]) -> Any:
    """``d`` with its keys in ``order`` (the others after, as they came)."""
    if not isinstance(d, dict):
        return d
    rank = {k: i for i, k in enumerate(order)}
    keys = list(d)
    out = {k: d[k] for k in sorted(keys, key=lambda k: (rank.get(k, len(rank)), keys.index(k)))}
    if isinstance(out.get("title"), dict):
        out["title"] = _ordered(out["title"], KEY_ORDER["title"])
    return out


def _dump(data: Dict[str, Any]) -> str:
    """Table data → rule-file YAML text (rows and examples one flow mapping
    per line, as the bundled files are written), keys in the canonical order
    of ``safetyrules fmt`` so that ``fmt --check`` accepts the file."""

    def one(v: Any) -> str:
        return yaml.safe_dump(v, default_flow_style=True, allow_unicode=True, width=10**9,
                              sort_keys=False).strip().removesuffix("\n...").strip()

    data = _ordered(data, KEY_ORDER["table"])
    for block, order in (("rows", KEY_ORDER["row"]), ("examples", KEY_ORDER["example"])):
        if isinstance(data.get(block), list):
            data[block] = [_ordered(item, order) for item in data[block]]
    out = []
    for k, v in data.items():
        if k in _BLOCKS and isinstance(v, list):
            if not v:
                out.append(f"{k}: []")
                continue
            out.append(f"{k}:")
            out += [f"  - {one(item)}" for item in v]
        else:
            out.append(f"{k}: {one(v)}")
    return "\n".join(out) + "\n"


def import_table(path: str, sheet_name: Optional[str] = None) -> str:
    """A sheet → the text of a table rule file, checked against the table
    schema and the expression grammar (errors at their cell)."""
    from safetyrules import dsl
    from safetyrules.source.loader import load_yaml
    from safetyrules.source.schema import validate_document

    grid, sheet = _read_grid(path, sheet_name)
    data, cells = grid_to_data(grid, path, sheet)
    text = _dump(data)
    if len(text) > _limit():  # cells YAML must escape grow: say so, not 'PATH:1:1: file is larger'
        raise SheetError(f"the table would be larger than {_limit()} bytes, the limit of a rule file", file=path,
                         sheet=sheet, code="E-FILES")
    doc = load_yaml(text, path)
    problems = validate_document(doc) if isinstance(doc.data, dict) else []
    for e in problems:
        raise SheetError(e.message, file=path, sheet=sheet, cell=_cell_for(doc, e, cells), code=e.code or "E-SCHEMA",
                         hint=e.hint)
    for i, row in enumerate(data.get("rows") or []):
        try:
            dsl.parse(row["when"])
        except SafetyRulesError as e:
            raise SheetError(f"when: {e.message}", file=path, sheet=sheet, cell=cells.get(("rows", i, "when")),
                             code=e.code or "E-SYNTAX") from None
    return text


def _cell_for(doc, err, cells: Dict[tuple, str]) -> Optional[str]:
    """The cell of a schema error: the deepest data path with a cell whose
    position in the generated YAML is at or before the error's line."""
    best = None
    for key, cell in cells.items():
        try:
            loc = doc.loc(key)
        except Exception:
            continue
        if loc.line == err.line:
            if best is None or len(key) > len(best[0]):
                best = (key, cell)
    return best[1] if best else None


def export_table(rule_file: str, out: str) -> None:
    """Write a table rule file as a sheet (``.xlsx`` or ``.csv`` by ``out``'s suffix)."""
    from safetyrules.source.files import read_rule_file

    doc, errors = read_rule_file(rule_file)
    if errors:
        raise errors[0]
    if doc is None or not isinstance(doc.data, dict) or doc.data.get("kind") != "table":
        raise RuleFileError("not a table rule file (kind: table)", path=rule_file, line=1, column=1, code="E-SCHEMA")
    grid = table_to_grid(doc.data)
    write_grid(grid, out)


def write_grid(grid: List[List[str]], out: str) -> None:
    """Cells → an ``.xlsx`` (every cell a text cell) or ``.csv`` (UTF-8 with a BOM, for spreadsheet programs)."""
    if out.lower().endswith(".csv"):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(grid)
        with open(out, "w", encoding="utf-8-sig", newline="") as fh:
            fh.write(buf.getvalue())
        return
    if not out.lower().endswith(".xlsx"):
        raise SheetError("a sheet is an .xlsx workbook or a .csv file", file=out, sheet="", code="E-FILES")
    openpyxl = _openpyxl(out)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = _sheet_name(out)[:31] or "table"
    for r, row in enumerate(grid, start=1):
        for c, v in enumerate(row, start=1):
            if v != "":
                cell = ws.cell(row=r, column=c, value=v)
                cell.data_type = "s"  # text, so Excel never turns '1.10' into 1.1
    wb.save(out)
