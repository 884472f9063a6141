"""docs/standards/ is generated from every bundled rule set; stale pages fail here."""

import glob
import os

import pytest

import safetyrules
from safetyrules.authoring.refdocs import bundled_rule_sets, render_bundled

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STANDARDS = os.path.join(REPO, "standards")
DOCS = os.path.join(REPO, "docs", "standards")
HAND_WRITTEN = {"not-encoded.md", "sectors.md"}


@pytest.fixture(scope="module")
def rule_sets():
    return [safetyrules.load(p) for p in bundled_rule_sets(STANDARDS)]


@pytest.fixture(scope="module")
def pages(rule_sets):
    return render_bundled(rule_sets)


def test_every_bundled_rule_set_is_rendered(rule_sets):
    ids = [r.id for r in rule_sets]
    assert ids[0] == "cn.default"
    assert {"cn.default.lec", "cn.hazchem-risk-grading", "cn.selfcheck"} <= set(ids)
    manifests = bundled_rule_sets(STANDARDS)
    for path in glob.glob(os.path.join(STANDARDS, "ruleset*.yaml")) + glob.glob(os.path.join(STANDARDS, "*", "ruleset.yaml")):
        assert path in manifests, path


def test_reference_pages_are_up_to_date(pages):
    stale = []
    for name, text in pages.items():
        path = os.path.join(DOCS, name)
        if not os.path.exists(path):
            stale.append(f"{name} (missing)")
            continue
        with open(path, encoding="utf-8") as fh:
            if fh.read() != text:
                stale.append(name)
    assert not stale, "run `python tools/gen_standard_docs.py`; stale: " + ", ".join(stale)


def test_no_page_is_left_over_from_a_removed_rule(pages):
    on_disk = {os.path.basename(p) for p in glob.glob(os.path.join(DOCS, "*.md"))}
    left_over = on_disk - set(pages) - HAND_WRITTEN
    assert not left_over, "generated pages no rule file makes any more: " + ", ".join(sorted(left_over))


def test_every_clause_and_table_of_every_rule_set_has_its_page(rule_sets, pages):
    for rules in rule_sets:
        for s in rules.standards:
            page = pages[s.id + ".md"]
            for c in s.clauses:
                assert f"## {c.id} — {c.cite}".replace("|", "\\|") in page, (rules.id, s.id, c.id)
        for t in rules.plan.tables:
            assert f"Table `{t.id}`" in pages[t.id + ".md"], (rules.id, t.id)
        if rules.id != "cn.default":
            assert f"(ruleset.{rules.id}.md)" in pages["index.md"]


def test_two_rule_sets_that_render_one_page_differently_are_refused(rule_sets):
    default = rule_sets[0]

    class Proxy:
        def __init__(self, inner, **over):
            self._inner, self._over = inner, over

        def __getattr__(self, name):
            return self._over[name] if name in self._over else getattr(self._inner, name)

    first = default.standards[0]
    changed = Proxy(first, title={"zh": "改", "en": "changed"})
    other = Proxy(default, id="cn.test.renamed", standards=[changed] + list(default.standards[1:]))
    assert render_bundled([default, Proxy(default, id="cn.test.same")])  # identical pages: accepted
    with pytest.raises(ValueError, match="differently"):
        render_bundled([default, other])
