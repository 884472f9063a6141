"""One diagnostic model; the code registry is complete and docs/errors.md is
generated from it; errors are ranked best first (not file order)."""

import os
import re

import pytest

import safetyrules
from safetyrules import diagnostics as D
from safetyrules.authoring.codes import CODES, ERROR_CODES
from safetyrules.errors import FactsError, RuleFileError, RuleSetError

from tools_fixtures import write_rules

from rule_files import standard

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# every code shape the library uses: E-..., W-..., lint W101, diff D100, L-PROV-...
CODE = re.compile(r"""["'](E-[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*|W-[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*|[WD][1-9][0-9]{2}|L-PROV-[A-Z]+)["']""")


def codes_in_source():
    found = {}
    for dp, _, fn in os.walk(os.path.join(ROOT, "safetyrules")):
        for f in fn:
            if f.endswith(".py") and f != "diagnostics.py":
                with open(os.path.join(dp, f), encoding="utf-8") as fh:
                    for code in CODE.findall(fh.read()):
                        found.setdefault(code, os.path.relpath(os.path.join(dp, f), ROOT))
    return found


def test_every_code_in_the_source_is_registered():
    found = codes_in_source()
    assert {"E-SCHEMA", "W-NO-ROW", "W101", "D200", "E-SHEET"} <= set(found)  # the scan sees them
    missing = sorted(f"{c} ({where})" for c, where in found.items() if c not in D.REGISTRY)
    assert not missing, "register in safetyrules/diagnostics.py: " + ", ".join(missing)


def test_every_registered_code_exists():
    stale = sorted(set(D.REGISTRY) - set(codes_in_source()))
    assert not stale, f"registered but raised nowhere: {stale}"


def test_lint_codes_agree_with_the_registry():
    for code, (name, text) in CODES.items():
        info = D.REGISTRY[code]
        want = "error" if code in ERROR_CODES else "warning"  # supervision.md §8.5's provenance errors
        assert (info.name, info.summary, info.severity, info.area) == (name, text, want, "lint")


def test_docs_errors_md_is_generated_and_current():
    with open(os.path.join(ROOT, "docs", "errors.md"), encoding="utf-8") as fh:
        text = fh.read()
    assert D.codes_markdown() in text, "run `python -m safetyrules.diagnostics --write`"
    assert D._main([]) == 0
    for code in D.REGISTRY:
        assert f"`{code}`" in text


def test_diagnostic_from_a_rule_file_error():
    e = RuleFileError("bad", path="a.yaml", line=3, column=4, code="E-SCHEMA", hint="try this")
    d = D.from_error(e)
    assert d == D.Diagnostic("E-SCHEMA", "error", "bad", D.Location("a.yaml", 3, 4), "try this")
    assert d.format() == "a.yaml:3:4: error: bad (try this) [E-SCHEMA]"
    assert d.to_dict()["location"] == {"path": "a.yaml", "line": 3, "column": 4}


def test_diagnostic_from_a_facts_error_and_a_sheet_error():
    d = D.from_error(FactsError("must be a whole number", fact="entity.employees"))
    assert d.location.fact == "entity.employees" and d.code == "E-FACTS"
    from safetyrules.authoring.sheets import SheetError

    d = D.from_error(SheetError("no value", file="t.xlsx", sheet="等级", cell="B7"))
    assert str(d.location) == "t.xlsx!等级!B7" and d.location.line is None


def test_diagnostic_from_decision_warnings(tmp_path):
    d = write_rules(tmp_path / "w", {
        "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  x: {type: integer}\n  out: {type: enum, values: [a, b]}\n",
        "t.yaml": "kind: table\nid: t\noutput: out\nhit: unique\nrows:\n  - {when: 'x > 1', then: a}\n  - {when: 'x > 2', then: b}\n",
    })
    rules = safetyrules.load(d)
    for facts, code, severity in (({"x": 0}, "W-NO-ROW", "warning"), ({"x": 5}, "E-TABLE-OVERLAP", "error")):
        [w] = rules.evaluate(facts).to_dict()["warnings"]
        diag = D.from_warning(w)
        assert (diag.code, diag.severity) == (code, severity) and diag.message
        assert diag.code in D.REGISTRY and D.REGISTRY[diag.code].severity == severity


def test_lint_warning_diagnostic(tmp_path):
    from safetyrules.authoring.lint import lint

    d = write_rules(tmp_path / "r", {"v.yaml": "kind: vocabulary\nid: v\nfacts:\n  x: {type: bool}\n"})
    [w] = lint(safetyrules.load(d))
    diag = w.diagnostic()
    assert (diag.code, diag.severity) == ("W401", "warning") and diag.location.line == 4


BAD_VOCAB = "kind: vocabulary\nid: v\nfacts:\n  a: {type: bool}\n"
# Three expressions naming the same undeclared fact, one type error before
# them in the file, and a schema error in a later file.
BAD_STD = standard("""\
    - {id: c0, cite: x, severity: major, when: "a > 3"}
    - {id: c1, cite: x, severity: major, when: "missing.fact"}
    - {id: c2, cite: x, severity: major, when: "a and missing.fact"}
    - {id: c3, cite: x, severity: major, when: "not missing.fact"}
    """)
BAD_LATER = "kind: standard\nid: z\nversion: '1'\nclauses:\n  - {id: c, cite: x, severity: majr, when: a}\n"


def test_errors_are_ranked_best_first_not_in_file_order(tmp_path):
    d = write_rules(tmp_path / "r", {"a.yaml": BAD_VOCAB, "b.yaml": BAD_STD, "z.yaml": BAD_LATER})
    with pytest.raises(RuleSetError) as ei:
        safetyrules.load(d)
    errs = ei.value.errors
    codes = [e.code for e in errs]
    # the schema error of the last file first (an earlier stage), then the
    # cause shared by three errors, then the lone type error
    assert codes[0] == "E-SCHEMA" and errs[0].path.endswith("z.yaml")
    assert [e.line for e in errs[1:4]] == [6, 7, 8] and all("missing.fact" in e.message for e in errs[1:4])
    assert errs[4].line == 5
    in_file_order = sorted(errs, key=lambda e: (e.path, e.line, e.column))
    assert errs != in_file_order


def test_rank_is_stable_for_equal_keys():
    a = RuleFileError("x", path="a", line=1, column=1, code="E-CHECK")
    b = RuleFileError("y", path="a", line=1, column=1, code="E-CHECK")
    assert D.rank([a, b]) == [a, b]
