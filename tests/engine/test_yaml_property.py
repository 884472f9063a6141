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
    try:
        doc = load_yaml(text, "f.yaml")
        if doc.data is not None and not validate_document(doc):
            build(doc)
    except SafetyRulesError:
        pass


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_token_soup_only_raises_safetyrules_errors(text):
    _pipeline(text)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_text_only_raises_safetyrules_errors(text):
    _pipeline(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data, st.sampled_from(["standard", "table", "vocabulary", "ruleset"]))
def test_random_rule_documents_through_the_whole_load(doc, kind):
    if isinstance(doc, dict):
        doc = {"kind": kind, **doc}
    with tempfile.TemporaryDirectory() as d:
        for name, text in (("v.yaml", VOCAB), ("s.yaml", STANDARD), ("g.yaml", GRADING)):
            with open(os.path.join(d, name), "w", encoding="utf-8") as fh:
                fh.write(text)
        with open(os.path.join(d, "random.yaml"), "w", encoding="utf-8") as fh:
            fh.write(yaml.safe_dump(doc, allow_unicode=True))
        try:
            rules = safetyrules.load(d)
        except SafetyRulesError:
            return
        rules.evaluate({}, as_of="2024-01-01")
