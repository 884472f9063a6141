"""A table's reference page carries what a standard's does: version,
source and file; and each row's citation when rows have them."""

from safetyrules import load
from safetyrules.authoring.refdocs import render_table

from tools_fixtures import write_rules

from rule_files import vocabulary

VOCAB = vocabulary("""\
    n: {type: integer}
    out: {type: enum, values: [hi, lo]}
    """)

TABLE = """\
kind: table
id: t.size
version: "2017"
source: the size list, Table 1
output: out
rows:
  - {id: big, when: "n >= 10", then: hi, cite: Table 1 row 1}
  - {id: rest, when: "true", then: lo}
"""


def test_table_page_has_version_source_file_and_row_citations(tmp_path):
    root = write_rules(tmp_path, {"v.yaml": VOCAB, "tables/t.yaml": TABLE,
                                  "ruleset.yaml": "kind: ruleset\nid: r\ninclude: [v.yaml, tables/t.yaml]\n"})
    rules = load(root)
    page = render_table(rules, rules.plan.tables[0])
    assert "Version: 2017." in page
    assert "Source: the size list, Table 1" in page
    assert "File: `tables/t.yaml`" in page
    assert "| # | row | then | condition | citation |" in page
    assert "| 1 | big | `hi` | `n >= 10` | Table 1 row 1 |" in page
    assert "| 2 | rest | `lo` | `true` |  |" in page


def test_no_citation_column_without_row_citations(tmp_path):
    root = write_rules(tmp_path, {"v.yaml": VOCAB, "t.yaml": TABLE.replace(", cite: Table 1 row 1", ""),
                                  "ruleset.yaml": "kind: ruleset\nid: r\ninclude: [v.yaml, t.yaml]\n"})
    rules = load(root)
    page = render_table(rules, rules.plan.tables[0])
    assert "| # | row | then | condition |\n" in page and "citation" not in page
