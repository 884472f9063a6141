"""docs/standards/ is generated from the rule files; stale pages fail here."""

import os

import safetyrules
from safetyrules.authoring.refdocs import render_all

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(REPO, "docs", "standards")


def test_reference_pages_are_up_to_date():
    rules = safetyrules.load(os.path.join(REPO, "standards"))
    stale = []
    for name, text in render_all(rules).items():
        path = os.path.join(DOCS, name)
        if not os.path.exists(path):
            stale.append(f"{name} (missing)")
            continue
        with open(path, encoding="utf-8") as fh:
            if fh.read() != text:
                stale.append(name)
    assert not stale, "run `python tools/gen_standard_docs.py`; stale: " + ", ".join(stale)


def test_every_clause_appears_with_its_citation():
    rules = safetyrules.load(os.path.join(REPO, "standards"))
    pages = render_all(rules)
    for s in rules.standards:
        page = pages[s.id + ".md"]
        for c in s.clauses:
            assert f"## {c.id} — {c.cite}".replace("|", "\\|") in page
