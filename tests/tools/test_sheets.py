"""table export / import: every bundled table round-trips through .xlsx and
.csv with the same data; errors name the cell (FILE!SHEET!B7)."""

import csv
import glob
import os

import openpyxl
import pytest

import safetyrules
from safetyrules.authoring.sheets import SheetError, export_table, import_table
from safetyrules.source.files import bundled_path, read_rule_file
from safetyrules.source.loader import load_yaml


def bundled_tables():
    out = []
    for f in sorted(glob.glob(os.path.join(bundled_path(), "**", "*.yaml"), recursive=True)):
        doc, _ = read_rule_file(f)
        if doc is not None and isinstance(doc.data, dict) and doc.data.get("kind") == "table":
            out.append(f)
    return out


TABLES = bundled_tables()


def test_there_are_bundled_tables():
    assert len(TABLES) >= 8


@pytest.mark.parametrize("ext", ["xlsx", "csv"])
@pytest.mark.parametrize("path", TABLES, ids=[os.path.basename(t) for t in TABLES])
def test_round_trip_is_lossless(path, ext, tmp_path, run):
    sheet = tmp_path / f"table.{ext}"
    code, out, err = run("table", "export", path, "-o", sheet)
    assert code == 0, err
    code, text, err = run("table", "import", sheet)
    assert code == 0, err
    original = read_rule_file(path)[0].data
    assert load_yaml(text).data == original
    # and back again: the imported file exports to the same cells
    again = tmp_path / "again.yaml"
    again.write_text(text, encoding="utf-8")
    sheet2 = tmp_path / f"again.{ext}"
    export_table(str(again), str(sheet2))
    assert load_yaml(import_table(str(sheet2))).data == original


def test_an_imported_table_replaces_the_original_in_a_rule_set(tmp_path, run):
    import shutil

    root = tmp_path / "std"
    shutil.copytree(bundled_path(), root)
    target = root / "grading" / "risk-level.yaml"
    sheet = tmp_path / "risk-level.xlsx"
    assert run("table", "export", target, "-o", sheet)[0] == 0
    # an author moves the orange threshold from 3 to 4 general findings in the workbook
    wb = openpyxl.load_workbook(sheet)
    ws = wb.active
    hits = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and ">= 3" in c.value]
    assert len(hits) == 1
    hits[0].value = hits[0].value.replace(">= 3", ">= 4")
    wb.save(sheet)
    assert run("table", "import", sheet, "-o", target)[0] == 0
    rules = safetyrules.load(str(root))
    facts = {"findings.major": 0, "findings.general": 3, "findings.undetermined": 0,
             "findings.major_undetermined": 0, "entity.high_risk_sector": False, "entity.major_hazard_source": False}
    t = rules.plan.table_for("risk.level")
    from safetyrules import dsl
    from safetyrules.engine.ruleset import decide_table

    vals = [dsl.evaluate_ast(n, facts) for n in t.conditions]
    assert decide_table(t, vals, []).value == "yellow"  # was orange at >= 3
    code, out, err = run("test", str(root), "-k", "risk-level")
    assert code == 1 and "3 general findings -> orange" in err  # its own example now fails, at its line


def _csv(tmp_path, rows, name="sheet.csv"):
    p = tmp_path / name
    with open(p, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return str(p)


GOOD = [
    ["safetyrules table", "1"],
    ["kind", "table"],
    ["id", "t"],
    ["output", "out"],
    [],
    ["rows", "id", "when", "then"],
    ["", "a", "x > 1", "hi"],
    ["", "b", "true", "lo"],
]


def test_good_csv_imports(tmp_path):
    text = import_table(_csv(tmp_path, GOOD))
    assert load_yaml(text).data == {"kind": "table", "id": "t", "output": "out",
                                    "rows": [{"id": "a", "when": "x > 1", "then": "hi"},
                                             {"id": "b", "when": "true", "then": "lo"}]}


@pytest.mark.parametrize(
    "change, cell, words",
    [
        (lambda g: g.__setitem__(0, ["my table"]), "A1", "safetyrules table"),
        (lambda g: g[6].__setitem__(2, "x >"), "C7", "when"),
        (lambda g: g[6].__setitem__(3, "{a: [1"), "D7", "then"),
        (lambda g: g.__setitem__(3, ["output", ""]), "B4", "no value"),
        (lambda g: g[6].__setitem__(0, "oops"), "A7", "must be empty"),
        (lambda g: g[7].append("stray"), "E8", "right of"),
        (lambda g: g.__setitem__(2, ["id", "t", "extra"]), "C3", "one value"),
        (lambda g: g.__setitem__(5, ["rows", "id", "when", "when"]), "D6", "twice"),
        (lambda g: g.__setitem__(5, ["rows", "id", "whenn", "then"]), "C6", "unknown key 'whenn'"),  # at the header cell
    ],
)
def test_errors_name_the_cell(tmp_path, run, change, cell, words):
    g = [list(r) for r in GOOD]
    change(g)
    path = _csv(tmp_path, g)
    with pytest.raises(SheetError) as ei:
        import_table(path)
    e = ei.value
    assert e.location() == f"{path}!sheet!{cell}", e.format()
    assert words in e.message
    code, out, err = run("table", "import", path)
    assert code == 2 and err.startswith(f"{path}!sheet!{cell}: error: ")


def test_xlsx_errors_name_the_worksheet(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "等级表"
    for r in GOOD:
        ws.append(r)
    ws["C7"] = "x >"
    p = str(tmp_path / "book.xlsx")
    wb.save(p)
    with pytest.raises(SheetError) as ei:
        import_table(p)
    assert ei.value.location() == f"{p}!等级表!C7"
    with pytest.raises(SheetError) as ei:
        import_table(p, sheet_name="nope")
    assert "等级表" in ei.value.message


def test_typed_workbook_cells_are_values(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in GOOD + [[], ["examples", "facts", "expect"], ["", "{x: 2}", "hi"]]:
        ws.append(r)
    ws["B1"] = 1  # typed, not text
    p = str(tmp_path / "book.xlsx")
    wb.save(p)
    data = load_yaml(import_table(p)).data
    assert data["examples"] == [{"facts": {"x": 2}, "expect": "hi"}]


def test_text_that_looks_like_a_number_stays_text(tmp_path):
    g = [list(r) for r in GOOD]
    g[6][3] = "'1.10'"
    data = load_yaml(import_table(_csv(tmp_path, g))).data
    assert data["rows"][0]["then"] == "1.10"


def test_export_refuses_a_non_table(tmp_path, run):
    code, out, err = run("table", "export", os.path.join(bundled_path(), "ruleset.yaml"), "-o", tmp_path / "x.csv")
    assert code == 2 and "kind: table" in err
    code, out, err = run("table", "export", TABLES[0], "-o", tmp_path / "x.ods")
    assert code == 2 and ".xlsx" in err
