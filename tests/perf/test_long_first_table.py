"""A `first` table with thousands of rows evaluates (its chain used to be one
if/elif per row, which CPython's compiler could not nest past ~1,500 rows:
'generated code ... does not compile: maximum recursion depth exceeded'),
and the flat form keeps the hit policy: first true row, an unknown row before
it makes the output unknown, every row false gives the default or a warning."""

import pytest

import safetyrules


def _rules(tmp_path, n, default):
    rows = "".join(f"  - {{when: 'x < {k} and y', then: {k}}}\n" for k in range(1, n + 1))
    (tmp_path / "v.yaml").write_text(
        "kind: vocabulary\nid: t.v\nfacts:\n  x: {type: number}\n  y: {type: bool}\n  out: {type: number}\n",
        encoding="utf-8",
    )
    (tmp_path / "t.yaml").write_text(
        f"kind: table\nid: t.long\noutput: out\nrows:\n{rows}" + (f"default: {default}\n" if default is not None else ""),
        encoding="utf-8",
    )
    return safetyrules.load(str(tmp_path))


@pytest.mark.parametrize("n", [70, 2000])
def test_a_long_first_table_keeps_the_hit_policy(tmp_path, n):
    rules = _rules(tmp_path, n, default=None)
    assert rules.evaluate({"x": 10.5, "y": True}).outputs["out"] == 11
    assert rules.evaluate({"x": 0, "y": True}).outputs["out"] == 1
    assert rules.evaluate({"x": 10.5, "y": False}).outputs["out"] is None  # every row false
    none = rules.evaluate({"x": n + 5, "y": True})
    assert none.outputs["out"] is None and [w["code"] for w in none.warnings] == ["W-NO-ROW"]
    unknown = rules.evaluate({"x": 10.5})  # y unknown: the first row is unknown
    assert unknown.outputs["out"] is None and unknown.warnings == ()  # unknown, not "no row"
    # the generated program is what ran (a compile failure raises, never falls back)
    assert "for _once in (0,):" in rules.program(None).source


def test_a_long_first_table_with_a_default(tmp_path):
    rules = _rules(tmp_path, 2000, default=-1)
    assert rules.evaluate({"x": 5000, "y": True}).outputs["out"] == -1
    assert rules.evaluate({"x": 1999.5, "y": True}).outputs["out"] == 2000
    assert rules.evaluate({"x": 5000, "y": True}).warnings == ()
