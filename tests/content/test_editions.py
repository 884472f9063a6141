"""Editions by date: standard families, the days none of their editions is
in force (Plan.family_gaps, lint --gaps / W501)."""

import datetime
import subprocess
import sys

import pytest

import safetyrules
from safetyrules.authoring.editions import gap_spans, parse_range
from safetyrules.authoring.lint import lint

D = datetime.date

VOCAB = """\
kind: vocabulary
id: v
facts:
  a: {type: bool}
"""


def standard(sid, family, frm, until=None, supersedes=None):
    eff = f"from: {frm}" + (f", until: {until}" if until else "") + (f", supersedes: [{supersedes}]" if supersedes else "")
    return f"""\
kind: standard
id: {sid}
effective: {{{eff}}}
family: {family}
source: test
clauses:
  - id: c1
    cite: "1"
    severity: general
    title: {{en: a}}
    when: "a"
    examples:
      - {{facts: {{a: true}}, expect: true}}
      - {{facts: {{a: false}}, expect: false}}
"""


@pytest.fixture
def editions(tmp_path):
    (tmp_path / "v.yaml").write_text(VOCAB, encoding="utf-8")
    # fire: 2017 edition until 2020-01-01, a gap, then the 2021 edition from 2021-01-01
    (tmp_path / "f17.yaml").write_text(standard("f17", "fire", "2017-01-01", "2020-01-01"), encoding="utf-8")
    (tmp_path / "f21.yaml").write_text(standard("f21", "fire", "2021-01-01", supersedes="f17"), encoding="utf-8")
    # gas: one edition that never ends -> never a gap (and none before it starts)
    (tmp_path / "g.yaml").write_text(standard("g", "gas", "2019-06-01"), encoding="utf-8")
    return safetyrules.load(str(tmp_path))


def test_family_gap_between_editions(editions):
    plan = editions.plan
    assert [g.family for g in plan.family_gaps(D(2019, 12, 31))] == []
    (gap,) = plan.family_gaps(D(2020, 1, 1))
    assert (gap.family, gap.last, gap.ended, gap.next_from) == ("fire", "f17", D(2020, 1, 1), D(2021, 1, 1))
    assert "2021-01-01" in gap.message(D(2020, 6, 1))
    assert plan.family_gaps(D(2021, 1, 1)) == ()
    # before a family's first edition starts there is no gap (gas from 2019-06-01)
    assert plan.family_gaps(D(2010, 1, 1)) == ()


def test_gap_spans_over_a_range(editions):
    (span,) = gap_spans(editions.plan, D(2015, 1, 1), D(2030, 1, 1))
    assert (span.family, span.start, span.end, span.last) == ("fire", D(2020, 1, 1), D(2021, 1, 1), "f17")
    assert gap_spans(editions.plan, D(2021, 1, 1), D(2030, 1, 1)) == ()
    (inside,) = gap_spans(editions.plan, D(2020, 3, 1), D(2020, 4, 1))
    assert (inside.start, inside.end) == (D(2020, 3, 1), D(2021, 1, 1))


def test_lint_reports_gaps_only_when_asked(editions):
    assert not [w for w in lint(editions) if w.code == "W501"]
    (w,) = [w for w in lint(editions, gaps=(D(2015, 1, 1), D(2030, 1, 1))) if w.code == "W501"]
    assert w.path.endswith("f17.yaml") and "from 2020-01-01 until 2021-01-01" in w.message


def test_bundled_set_gaps_today_fire_and_coal():
    rules = safetyrules.load()
    spans = gap_spans(rules.plan, D(2024, 1, 1), D(2027, 1, 1))
    assert [(s.family, s.start, s.end) for s in spans] == [
        ("coal-mines", D(2026, 7, 1), None),
        ("fire", D(2025, 11, 1), None),
    ]


def test_cli_lint_gaps(editions, tmp_path):
    cmd = [sys.executable, "-m", "safetyrules", "lint", str(tmp_path), "--disable", "W401"]
    ok = subprocess.run(cmd, capture_output=True, text=True)
    assert "W501" not in ok.stdout
    out = subprocess.run(cmd + ["--gaps", "2015-01-01:2030-01-01", "--strict"], capture_output=True, text=True)
    assert out.returncode == 1 and "W501 family-gap" in out.stdout
    bad = subprocess.run(cmd + ["--gaps", "2030-01-01:2015-01-01"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("text", ["2020-01-01", "2020-01-01:x", "2021-01-01:2020-01-01"])
def test_parse_range_refuses(text):
    with pytest.raises(ValueError):
        parse_range(text)
