"""The generated program reads only the facts its conditions read, and is as
strict as ever about the rest: an undeclared, wrong-typed, out-of-range or
otherwise irregular fact that no condition reads still gives exactly the
reference path's error (the program gives up on it), and a regular one is
decided on the generated path with the reference's decision."""

import copy
import datetime

import pytest

from safetyrules.engine.decision import Decision
from safetyrules.errors import SafetyRulesError

from perf_fixtures import dotted as _dotted
import rule_files
from rule_files import ruleset, standard, vocabulary

FILES = {
    "v.yaml": vocabulary("""\
        site.open: {type: bool}
        site.staff: {type: integer, min: 0}
        site.kind: {type: enum, values: [shop, plant]}
        site.opened: {type: date}
        site.area: {type: number}
        site.name: {type: string}
        site.cranes: {type: list, item: {age: {type: integer}, kind: {type: enum, values: [gantry, bridge]}, since: {type: date}}}
        site.tags: {type: list, values: [a, b]}
        other.flag: {type: bool}
        other.deep.level: {type: integer, max: 5}
        """, id="u"),
    "s.yaml": standard("""\
        - {id: c1, cite: "1", severity: major, title: {en: c1}, when: "site.open"}
        """, title="s"),
    "ruleset.yaml": ruleset("u", ["v.yaml", "s.yaml"]),
}

DAY = datetime.date(2024, 6, 1)

BASE = {
    "site": {"open": True, "staff": 3, "kind": "shop", "opened": datetime.date(2020, 1, 1), "area": 2.5, "name": "某厂",
             "cranes": [{"age": 3, "kind": "gantry"}, {"age": None}], "tags": ["a", "b"]},
    "other": {"flag": False, "deep": {"level": 5}},
}

# (path of keys, value) set into a copy of BASE; "..." deletes
IRREGULAR = [
    (("site", "staff"), -1), (("site", "staff"), "3"), (("site", "staff"), 3.0), (("site", "staff"), True),
    (("site", "staff"), 10**5000), (("site", "kind"), "mine"), (("site", "kind"), ["shop"]),
    (("site", "opened"), "2020-13-01"), (("site", "opened"), datetime.datetime(2020, 1, 1, 12)),
    (("site", "area"), float("nan")), (("site", "area"), float("inf")), (("site", "area"), "2"),
    (("site", "name"), "\ud800"), (("site", "name"), 5),
    (("site", "cranes"), [{"age": 3, "colour": "red"}]), (("site", "cranes"), [{"since": "2020-01-01"}]),
    (("site", "cranes"), [{"age": {"x": 1}}]), (("site", "cranes"), "x"), (("site", "cranes"), [3]),
    (("site", "tags"), ["c"]), (("site", "tags"), [None]),
    (("other", "deep", "level"), 6), (("other", "deep"), {}), (("other", "deep"), None), (("other",), {}),
    (("other",), None), (("other", "nope"), 1), (("nope",), 1), (("findings.major",), 1), (("as_of",), "2024-01-01"),
    (("site", "open"), {"x": 1}), (("site", "staff"), {"x": 1}), (("site", "cranes"), {"age": 1}),
]

REGULAR = [
    (("site", "staff"), None), (("site", "staff"), "..."), (("site", "opened"), "2021-03-04"),
    (("site", "area"), 7), (("site", "cranes"), []), (("site", "cranes"), None), (("site", "tags"), []),
    (("other",), "..."), (("other", "deep", "level"), None), (("site", "open"), None), (("site", "open"), False),
]


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return rule_files.load(tmp_path_factory, "unread", FILES, dedent=True, entry="ruleset.yaml")


def _set(rec, path, value):
    rec = copy.deepcopy(rec)
    node = rec
    for k in path[:-1]:
        node = node.setdefault(k, {})
        if not isinstance(node, dict):
            return rec
    if value == "...":
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return rec


def _same_as_reference(rules, facts):
    prog = rules.program(DAY)
    got = prog.run(copy.deepcopy(facts), DAY)
    try:
        ref = rules.reference(copy.deepcopy(facts), DAY, prog.layout)
    except SafetyRulesError as err:
        assert got is None, f"the program accepted what the reference refuses: {err.message}"
        with pytest.raises(SafetyRulesError) as raised:
            rules.evaluate(copy.deepcopy(facts), DAY)
        assert (type(raised.value), raised.value.message) == (type(err), err.message)
        return got
    if got is not None:
        assert Decision(prog.layout, got, DAY).to_dict() == Decision(prog.layout, ref, DAY).to_dict()
    assert rules.evaluate(copy.deepcopy(facts), DAY).to_dict() == Decision(prog.layout, ref, DAY).to_dict()
    return got


def test_the_program_reads_only_what_conditions_read(rules):
    prog = rules.program(DAY)
    assert "'open'" in prog.source
    for unread in ("'staff'", "'kind'", "'cranes'", "'level'"):
        assert unread not in prog.source


@pytest.mark.parametrize("dotted", [False, True])
@pytest.mark.parametrize("path,value", IRREGULAR, ids=[f"{'.'.join(p)}-{i}" for i, (p, _) in enumerate(IRREGULAR)])
def test_irregular_unread_fact_gives_the_reference_result(rules, path, value, dotted):
    rec = _set(BASE, path, value)
    if dotted:
        rec = _dotted(rec)
    assert _same_as_reference(rules, rec) is None


@pytest.mark.parametrize("dotted", [False, True])
@pytest.mark.parametrize("path,value", REGULAR + [((), None)], ids=lambda x: None)
def test_regular_unread_fact_runs_on_the_generated_path(rules, path, value, dotted):
    rec = _set(BASE, path, value) if path else copy.deepcopy(BASE)
    if dotted:
        rec = _dotted(rec)
    assert _same_as_reference(rules, rec) is not None
