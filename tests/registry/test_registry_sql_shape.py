"""The shape of the generated SQL where it decides the speed: a list
quantifier's body is written (and so evaluated) once per item, and the
one-SELECT form and the Spark stages are the same query."""

import datetime

import pytest

import safetyrules
from safetyrules.backends.sql import compile_select, compile_stages

from registry_fixtures import write_rules


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    return safetyrules.load(write_rules(str(tmp_path_factory.mktemp("shape"))))


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_quantifier_body_once(rules, dialect):
    sql = rules.to_sql(dialect=dialect, as_of="2024-03-01")
    field = '."age"' if dialect == "duckdb" else ".`age`"
    # any(c in cranes: c.age > 10 and not c.ok): one body, not one per test
    assert sql.count(f"{field} > ") == 1, sql
    assert sql.lstrip().upper().startswith("SELECT") and sql.count(";") == 0


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
def test_stages_nest_into_the_one_select(rules, dialect):
    plan = rules.plan.specialise(datetime.date(2024, 3, 1))
    stages = compile_stages(plan, dialect, "facts")
    assert stages.sql() == compile_select(plan, dialect, "facts")
    names = [c.rsplit(" AS ", 1)[1] for layer in stages.layers for c in layer]
    assert len(names) == len(set(names))  # every stage adds new columns only
    # the scale table and the standard's applies_when read nothing of each
    # other: the counts come after both, the grade table after the counts
    assert len(stages.layers) >= 3
