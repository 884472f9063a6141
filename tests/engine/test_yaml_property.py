"""No YAML document, however malformed, escapes as anything but a
SafetyRulesError — not from the loader, the schema layer or the linker."""

import os
import tempfile

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import safetyrules
from safetyrules.errors import SafetyRulesError
from safetyrules.source.loader import load_yaml
from safetyrules.source.model import build
from safetyrules.source.schema import validate_document

from engine_fixtures import GRADING, STANDARD, VOCAB

TOKENS = ["kind:", " standard", " table", "\n", "  ", "- ", "id:", " x", "when:", ' "a and"', "{", "}", "[", "]",
          ",", ":", "&a", "*a", "!!str", "|", ">", "'", '"', "#", "clauses:", "rows:", "then:", "1", "true", "null",
          "~", "<<:", "\t", "é", "从业", "\\", "%", "@", "`", "---", "..."]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False), st.text(max_size=20),
                    st.sampled_from(["a and", "x > 3 km", "entity.sector == 'other'", "true", "major", "2023-05-15"]))
data = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(["kind", "id", "version", "clauses", "when", "cite", "severity",
                                                             "rows", "then", "output", "facts", "type", "values", "unless",
                                                             "examples", "expect", "effective", "from", "x"]), inner, max_size=5)),
    max_leaves=20,
)


def _pipeline(text):
    """Load, schema-check and build one document; the stage it got to
    (``yaml``, ``schema``, ``build``) — only SafetyRulesError may escape."""
    try:
        doc = load_yaml(text, "f.yaml")
    except SafetyRulesError:
        return "yaml"
    if not isinstance(doc.data, dict) or validate_document(doc):
        return "schema"
    try:
        build(doc)
    except SafetyRulesError:
        pass
    return "build"


# -- token soup on a rule file ----------------------------------------------------
# Soup made from a valid standard: most mutations stir expression tokens into
# its conditions (the file stays schema-valid, so the parser and the record
# builder are what the soup reaches); the rest insert YAML tokens, drop or
# repeat lines.  An all-random soup is almost never valid YAML, let alone a
# rule file, and would test the first few lines of the loader only.
BASE_LINES = [
    "kind: standard", "id: s", 'version: "1"', "clauses:", "  - id: c1", "    cite: Art. 1", "    severity: major",
    '    when: "a and b"', "  - id: c2", "    cite: Art. 2", "    severity: general", '    when: "x > 3 m"',
    '    unless: "not a"',
]
EXPR_TOKENS = ["a", "b", "x", "and", "or", "not", "(", ")", ">", "<=", "==", "!=", "3", "3 m", "0.5 km", "'t'",
               "[1, 2]", "in", "known(a)", "any(i in l: i.v > 1)", "days(d1, d2)", "2024-01-01", "min(", ",", "-",
               "*", "/", "1e309", "99999999999999999999", "é", "从业", "\\'", "true", "false", "if"]


def soup(rnd):
    lines = list(BASE_LINES)
    conds = [i for i, ln in enumerate(lines) if ln.lstrip().startswith(("when:", "unless:"))]
    for _ in range(rnd.randint(1, 4)):  # conditions of token soup, single-quoted so the YAML stays a string
        i = rnd.choice(conds)
        key = lines[i].split(":", 1)[0]
        expr = " ".join(rnd.choice(EXPR_TOKENS) for _ in range(rnd.randint(1, 8)))
        lines[i] = f"{key}: '" + expr.replace("'", "''") + "'"
    if rnd.random() < 0.15:  # and sometimes the file itself: a YAML token, a line dropped or repeated
        i = rnd.randrange(len(lines))
        r = rnd.random()
        if r < 0.5:
            lines[i] = lines[i] + rnd.choice(TOKENS)
        elif r < 0.75:
            del lines[i]
        else:
            lines.insert(i, lines[i])
    return "\n".join(lines) + "\n"


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_token_soup_only_raises_safetyrules_errors(rnd):
    _pipeline(soup(rnd))


def test_token_soup_reaches_the_record_builder():
    import random

    stages = [_pipeline(soup(random.Random(i))) for i in range(500)]
    rate = stages.count("build") / len(stages)
    assert rate >= 0.8, f"only {rate:.0%} of soups reach build()"


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_text_only_raises_safetyrules_errors(text):
    _pipeline(text)


# -- whole load -----------------------------------------------------------------------
# A random *standard* for the rule set of engine_fixtures: clauses whose
# conditions are drawn from well-typed, ill-typed and malformed expressions
# over its vocabulary; most documents load, so evaluation is reached.
GOOD_EXPRS = ["contractors.present", "not contractors.coordinated", "entity.employees >= 10", "site.distance < 0.5 km",
              "entity.sector in ['metallurgy', 'other']", "site.opened < 2024-01-01", "site.score * 2 > 1",
              "known(entity.revenue)", "any(c in cranes: c.age > 5 year)", "count(c in cranes: c.kind == 'gantry') >= 1",
              "days(site.opened, as_of) > 90", "entity.revenue / 10 > 3", "tags != 'a'"]
BAD_EXPRS = ["entity.employees > 3 kg", "entity.sector == 'steel'", "nosuch.fact", "contractors.present and", "site.score"]


def _expr(rnd):
    if rnd.random() < 0.03:
        return rnd.choice(BAD_EXPRS)
    parts = [rnd.choice(GOOD_EXPRS) for _ in range(rnd.randint(1, 3))]
    return f" {rnd.choice(['and', 'or'])} ".join(f"({p})" for p in parts)


def random_standard(rnd):
    clauses = []
    for i in range(rnd.randint(1, 4)):
        c = {"id": f"c{i}", "cite": f"Art. {i}", "severity": rnd.choice(["major", "general"]), "when": _expr(rnd)}
        if rnd.random() < 0.3:
            c["unless"] = _expr(rnd)
        clauses.append(c)
    doc = {"kind": "standard", "id": "random", "version": "1", "clauses": clauses}
    if rnd.random() < 0.3:
        doc["applies_when"] = _expr(rnd)
    if rnd.random() < 0.02:
        doc["severty"] = "major"  # a schema error
    return doc


def random_facts(rnd):
    pool = {"contractors.present": [True, False], "contractors.coordinated": [True, False],
            "entity.sector": ["metallurgy", "machinery", "other"], "entity.employees": [0, 9, 10, 500],
            "site.distance": [0, 499.9, 500, 2000], "site.opened": ["2023-01-01", "2024-06-01"],
            "site.score": [0, 0.5, 1], "entity.revenue": [0, 40], "tags": ["a", "b"],
            "cranes": [[], [{"age": 3, "kind": "gantry"}], [{"age": 11}]]}
    return {k: rnd.choice(v) for k, v in pool.items() if rnd.random() < 0.7}


def _whole_load(rnd):
    """Load the random standard with the fixture rule set and decide a random
    entity → "decided", or "refused" (a located load error)."""
    doc = random_standard(rnd)
    with tempfile.TemporaryDirectory() as d:
        for name, text in (("v.yaml", VOCAB), ("s.yaml", STANDARD), ("g.yaml", GRADING), ("random.yaml", yaml.safe_dump(doc, allow_unicode=True))):
            with open(os.path.join(d, name), "w", encoding="utf-8") as fh:
                fh.write(text)
        try:
            rules = safetyrules.load(d)
        except SafetyRulesError as exc:
            errs = getattr(exc, "errors", None) or [exc]
            assert all(e.path and e.path.endswith("random.yaml") and (e.line or 0) >= 1 for e in errs), [e.format() for e in errs]
            return "refused"
        facts = random_facts(rnd)
        dec = rules.evaluate(facts, as_of="2024-01-01")
        d1 = dec.to_dict()
        ids = {(f["standard"], f["clause"]) for f in d1["findings"]} | {(u["standard"], u["clause"]) for u in d1["undetermined"]}
        assert ids <= {(s.id, c.id) for s in rules.standards for c in s.clauses}
        assert dec.to_json() == rules.evaluate(facts, as_of="2024-01-01").to_json()
        return "decided"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_random_rule_documents_through_the_whole_load(rnd):
    _whole_load(rnd)


def test_whole_load_mostly_reaches_a_decision():
    import random

    outcomes = [_whole_load(random.Random(i)) for i in range(60)]
    rate = outcomes.count("decided") / len(outcomes)
    assert 0.8 <= rate < 1.0, f"{rate:.0%} of random documents reach evaluate"  # and some are refused
