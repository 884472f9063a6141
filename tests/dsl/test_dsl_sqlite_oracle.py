"""Differential test against SQLite's NULL semantics (stdlib ``sqlite3``).

SQL's three-valued logic is Kleene's, which SPEC §3 adopts: SQLite is an
oracle nobody on this project wrote.  Random boolean/arithmetic expressions
with unknown facts are translated into one SELECT (facts bound as
parameters, booleans as 0/1, unknown as NULL) and must give the same value.
"""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given

import strategies as S
from safetyrules import dsl
from safetyrules.dsl import ast as A

_SQL_OP = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def to_sql(node):
    """SQL text for ``node``; facts become named parameters."""
    if isinstance(node, A.Path):
        return f":{node.name}"
    if isinstance(node, A.Number):
        # REAL literals keep SQLite from integer division
        return repr(float(node.value))
    if isinstance(node, A.Boolean):
        return "1" if node.value else "0"
    if isinstance(node, A.Not):
        return f"(NOT {to_sql(node.operand)})"
    if isinstance(node, (A.And, A.Or)):
        word = " AND " if isinstance(node, A.And) else " OR "
        return "(" + word.join(to_sql(o) for o in node.operands) + ")"
    if isinstance(node, A.Compare):
        if node.op in ("in", "not in"):
            items = ", ".join(to_sql(i) for i in node.right.items)
            return f"({to_sql(node.left)} {node.op.upper()} ({items}))"
        return f"({to_sql(node.left)} {_SQL_OP[node.op]} {to_sql(node.right)})"
    if isinstance(node, A.Arith):
        left, right = to_sql(node.left), to_sql(node.right)
        if node.op == "/":  # SQLite: x / 0 is NULL, as SPEC's division by zero is unknown
            return f"(CAST({left} AS REAL) / {right})"
        return f"({left} {node.op} {right})"
    if isinstance(node, A.Neg):
        return f"(- {to_sql(node.operand)})"
    if isinstance(node, A.Call):
        if node.name == "known":
            return f"({to_sql(node.args[0])} IS NOT NULL)"
        return f"{node.name}(" + ", ".join(to_sql(a) for a in node.args) + ")"
    raise AssertionError(node)


@pytest.fixture(scope="module")
def db():
    con = sqlite3.connect(":memory:")
    yield con
    con.close()


def sqlite_value(con, node, facts, kind):
    params = {k: (int(v) if isinstance(v, bool) else v) for k, v in facts.items()}
    (value,) = con.execute(f"SELECT {to_sql(node)}", params).fetchone()
    if kind == "bool" and value is not None:
        return bool(value)
    return value


_CON = sqlite3.connect(":memory:")


@given(S.sql_exprs(), S.sql_facts())
def test_same_result_as_sqlite(kind_node, facts):
    kind, node = kind_node
    ours = dsl.evaluate_ast(node, facts)
    theirs = sqlite_value(_CON, node, facts, kind)
    if kind == "bool":
        assert ours is theirs, (dsl.unparse(node), to_sql(node))
    else:
        assert (ours is None and theirs is None) or ours == pytest.approx(theirs, rel=1e-12, abs=1e-12), (
            dsl.unparse(node),
            to_sql(node),
        )
    compiled = dsl.compile_expr(node)(facts)
    if ours is None or kind == "bool":
        assert compiled is ours, (dsl.unparse(node), compiled, ours)  # unknown included: None is None
    else:
        assert compiled == pytest.approx(ours, rel=1e-12, abs=1e-12), (dsl.unparse(node), compiled, ours)


@pytest.mark.parametrize(
    "text,sql",
    [
        ("p and q", "SELECT NULL AND 0"),
        ("p or q", "SELECT NULL OR 0"),
        ("not p", "SELECT NOT NULL"),
        ("3 in [1, p]", "SELECT 3 IN (1, NULL)"),
        ("m / 0", "SELECT 1.0 / 0"),
    ],
)
def test_known_sqlite_null_cases(db, text, sql):
    (theirs,) = db.execute(sql).fetchone()
    ours = dsl.evaluate(text, {"p": None, "q": False, "m": 1})
    assert ours == theirs or (ours is False and theirs == 0)


def test_empty_list_is_where_spec_and_sqlite_differ(db):
    """SQLite: NULL IN () is 0.  SPEC §3: `unknown in [...]` is unknown."""
    assert db.execute("SELECT NULL IN ()").fetchone() == (0,)
    assert dsl.evaluate("m in []", {}) is None
