"""Table-driven tests of every operator and function (SPEC §3), every unknown
combination included.  Each row runs through the evaluator *and* compiled
code, which must agree."""

from __future__ import annotations

import datetime

import pytest

from safetyrules import EvaluationError, dsl

T, F, U = True, False, None
D = datetime.date


def both(expr, facts=None, warnings=None):
    """The value of ``expr`` from dsl.evaluate, checked against compiled code."""
    facts = dsl.flatten(facts or {})
    w1, w2 = [], []
    value = dsl.evaluate(expr, facts, warnings=w1)
    compiled = dsl.compile_expr(dsl.parse(expr))(facts, w2)
    assert repr(compiled) == repr(value), expr
    assert w1 == w2
    if warnings is not None:
        warnings.extend(w1)
    return value


def name(v):
    return {True: "T", False: "F", None: "U"}.get(v, repr(v))


# -- Kleene truth tables -----------------------------------------------------

AND = {(T, T): T, (T, F): F, (T, U): U, (F, T): F, (F, F): F, (F, U): F, (U, T): U, (U, F): F, (U, U): U}
OR = {(T, T): T, (T, F): T, (T, U): T, (F, T): T, (F, F): F, (F, U): U, (U, T): T, (U, F): U, (U, U): U}


@pytest.mark.parametrize("a,b", list(AND), ids=lambda v: name(v))
def test_and_truth_table(a, b):
    assert both("a and b", {"a": a, "b": b}) is AND[a, b]


@pytest.mark.parametrize("a,b", list(OR), ids=lambda v: name(v))
def test_or_truth_table(a, b):
    assert both("a or b", {"a": a, "b": b}) is OR[a, b]


@pytest.mark.parametrize("a,expected", [(T, F), (F, T), (U, U)], ids=name)
def test_not_truth_table(a, expected):
    assert both("not a", {"a": a}) is expected


def test_missing_fact_is_unknown_like_null():
    assert both("a", {}) is None
    assert both("a and false", {}) is False
    assert both("a or true", {}) is True


def test_and_or_many_operands_stop_at_the_deciding_value():
    assert both("a and b and c", {"a": T, "b": U, "c": F}) is False
    assert both("a or b or c", {"a": F, "b": U, "c": T}) is True
    # the deciding operand comes first: later type errors are never reached
    assert both("false and 1", {}) is False
    assert both("true or 'x'", {}) is True
    with pytest.raises(EvaluationError):
        both("true and 1", {})


# -- comparisons ----------------------------------------------------------------

CMP_ROWS = [
    ("1 == 1", T), ("1 == 1.0", T), ("1 != 2", T), ("1 < 2", T), ("2 <= 2", T), ("3 > 2", T), ("2 >= 3", F),
    ("'a' < 'b'", T), ("'B' < 'a'", T), ("'风' > 'a'", T), ("2024-01-02 > 2023-12-31", T),
    ("true == true", T), ("true != false", T),
    # unknown on either side
    ("x == 1", U), ("1 == x", U), ("x != 1", U), ("x < 1", U), ("1 <= x", U), ("x > x", U), ("x >= 'a'", U),
    ("x == x", U),
    # == across types is false, != true
    ("1 == '1'", F), ("true == 1", F), ("'1' != 1", T), ("2024-01-01 == '2024-01-01'", F), ("[1] == 1", F),
    # lists element by element
    ("[1, 2] == [1, 2]", T), ("[1, 2] == [2, 1]", F), ("[1, 2] == [1]", F), ("[] == []", T),
    ("[1, x] == [1, 2]", U), ("[3, x] == [1, 2]", F), ("[[1], 'a'] == [[1], 'a']", T), ("[1, 2] != [1, 3]", T),
]


@pytest.mark.parametrize("expr,expected", CMP_ROWS, ids=[r[0] for r in CMP_ROWS])
def test_comparisons(expr, expected):
    assert both(expr, {}) is expected


@pytest.mark.parametrize("expr", ["'a' < 1", "1 >= true", "2024-01-01 < 1", "[1] < [2]", "true < false", "a < 1"])
def test_ordering_across_types_is_an_evaluation_error(expr):
    with pytest.raises(EvaluationError) as info:
        both(expr, {"a": "text"})
    assert "cannot order" in info.value.message
    assert info.value.line == 1 and info.value.column == 1


def test_ordering_with_unknown_is_unknown_even_across_types():
    assert both("x < 'a'", {}) is None


# -- membership -------------------------------------------------------------

IN_ROWS = [
    ("1 in [1, 2]", T), ("3 in [1, 2]", F), ("3 in []", F), ("x in [1, 2]", U), ("x in []", U),
    ("3 in [1, x]", U), ("1 in [1, x]", T), ("'a' in ['a', 'b']", T), ("1 in ['1']", F),
    ("[1] in [[1], [2]]", T), ("1 not in [1, 2]", F), ("3 not in [1, 2]", T), ("x not in [1]", U),
    ("3 not in [1, x]", U), ("1 in L", T), ("5 in L", F), ("1 in M", U), ("1 not in M", U),
]


@pytest.mark.parametrize("expr,expected", IN_ROWS, ids=[r[0] for r in IN_ROWS])
def test_in(expr, expected):
    assert both(expr, {"L": [1, 2]}) is expected


def test_in_needs_a_list():
    with pytest.raises(EvaluationError, match="'in' needs a list"):
        both("1 in 2")


# -- arithmetic ---------------------------------------------------------------

ARITH_ROWS = [
    ("1 + 2", 3), ("5 - 7", -2), ("3 * 4", 12), ("7 / 2", 3.5), ("6 / 3", 2.0), ("-3", -3), ("- -3", 3),
    ("2 + 3 * 4", 14), ("(2 + 3) * 4", 20), ("10 - 4 - 3", 3), ("16 / 4 / 2", 2.0), ("-2 * 3", -6),
    ("x + 1", U), ("1 - x", U), ("x * 0", U), ("0 / x", U), ("-x", U), ("x / 0", U),
]


@pytest.mark.parametrize("expr,expected", ARITH_ROWS, ids=[r[0] for r in ARITH_ROWS])
def test_arithmetic(expr, expected):
    value = both(expr, {})
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("expr", ["1 / 0", "1 / (2 - 2)", "a / b"])
def test_division_by_zero_is_unknown_with_a_warning(expr):
    warnings = []
    assert both(expr, {"a": 5, "b": 0.0}, warnings) is None
    assert [w["code"] for w in warnings] == ["W-DIV-ZERO"]
    assert warnings[0]["line"] == 1 and warnings[0]["column"] == 1


def test_division_by_zero_inside_a_condition_decided_elsewhere():
    warnings = []
    assert both("1 / 0 > 1 or true", {}, warnings) is True
    assert len(warnings) == 1


@pytest.mark.parametrize("expr", ["1 + 'a'", "true * 2", "-'a'", "2024-01-01 - 1", "[1] + [2]"])
def test_arithmetic_type_errors(expr):
    with pytest.raises(EvaluationError, match="needs (numbers|a number)"):
        both(expr)


def test_number_overflow_is_an_evaluation_error():
    with pytest.raises(EvaluationError):
        both("a / 3", {"a": 10**400})


# -- functions ------------------------------------------------------------------

FN_ROWS = [
    ("known(a)", {"a": 0}, T), ("known(a)", {"a": False}, T), ("known(a)", {}, F), ("known(a)", {"a": None}, F),
    ("known(a.b)", {"a": {"b": 1}}, T),
    ("min(3, 1, 2)", {}, 1), ("max(3, 1, 2)", {}, 3), ("min(x, 1)", {}, U), ("max(1, x)", {}, U), ("min(4)", {}, 4),
    ("min('b', 'a')", {}, "a"), ("max(2024-01-01, 2023-01-01)", {}, D(2024, 1, 1)),
    ("abs(-3)", {}, 3), ("abs(2.5)", {}, 2.5), ("abs(x)", {}, U),
    ("len([1, 2, 3])", {}, 3), ("len([])", {}, 0), ("len(L)", {"L": [1, None]}, 2), ("len(x)", {}, U),
    ("days(2024-01-01, 2024-03-01)", {}, 60), ("days(2024-03-01, 2024-01-01)", {}, -60),
    ("days(x, 2024-01-01)", {}, U), ("days(d, 2024-01-01)", {"d": D(2023, 12, 31)}, 1),
]


@pytest.mark.parametrize("expr,facts,expected", FN_ROWS, ids=[f"{r[0]}-{r[1]}" for r in FN_ROWS])
def test_functions(expr, facts, expected):
    value = both(expr, facts)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    "expr,msg",
    [("min(1, 'a')", "min\\(\\) needs"), ("max(true, false)", "max\\(\\) needs"), ("abs('a')", "abs\\(\\) needs"),
     ("len(3)", "len\\(\\) needs a list"), ("days(1, 2)", "days\\(\\) needs dates"), ("at_least('a', true)", "at_least")],
)
def test_function_type_errors(expr, msg):
    with pytest.raises(EvaluationError, match=msg):
        both(expr)


def _conds(t, u, f):
    return ", ".join(["true"] * t + ["x"] * u + ["false"] * f)


AT_LEAST_ROWS = [
    # (n, true, unknown, false) -> result: true when t >= n, false when t + u < n
    (0, 0, 0, 1, T), (1, 1, 0, 0, T), (1, 0, 1, 0, U), (1, 0, 0, 2, F), (2, 1, 1, 0, U), (2, 1, 0, 1, F),
    (2, 2, 1, 0, T), (3, 1, 1, 1, F), (2, 0, 2, 1, U), (3, 0, 3, 0, U), (1, 0, 3, 0, U), (4, 1, 2, 0, F),
]


@pytest.mark.parametrize("n,t,u,f,expected", AT_LEAST_ROWS, ids=[f"n{r[0]}-t{r[1]}-u{r[2]}-f{r[3]}" for r in AT_LEAST_ROWS])
def test_at_least_counts_true_and_unknown(n, t, u, f, expected):
    assert both(f"at_least({n}, {_conds(t, u, f)})") is expected


def test_at_least_with_unknown_n():
    assert both("at_least(n, true)") is None


# -- quantifiers --------------------------------------------------------------

ITEMS = {
    "none": [],
    "t": [{"v": 5}],
    "tf": [{"v": 5}, {"v": 1}],
    "ff": [{"v": 1}, {"v": 0}],
    "tu": [{"v": 5}, {}],
    "fu": [{"v": 1}, {"v": None}],
    "tt": [{"v": 5}, {"v": 9}],
    "uu": [{}, {"v": None}],
}
QUANT = {
    # kind: {case: expected}   (condition: x.v > 3)
    "any": {"none": F, "t": T, "tf": T, "ff": F, "tu": T, "fu": U, "tt": T, "uu": U, "missing": U},
    "all": {"none": T, "t": T, "tf": F, "ff": F, "tu": U, "fu": F, "tt": T, "uu": U, "missing": U},
    "count": {"none": 0, "t": 1, "tf": 1, "ff": 0, "tu": U, "fu": U, "tt": 2, "uu": U, "missing": U},
    "sum": {"none": 0, "t": 5, "tf": 6, "ff": 1, "tu": U, "fu": U, "tt": 14, "uu": U, "missing": U},
}


@pytest.mark.parametrize(
    "kind,case", [(k, c) for k in QUANT for c in QUANT[k]], ids=[f"{k}-{c}" for k in QUANT for c in QUANT[k]]
)
def test_quantifiers_with_unknown_items_and_unknown_list(kind, case):
    body = "x.v" if kind == "sum" else "x.v > 3"
    facts = {} if case == "missing" else {"L": ITEMS[case]}
    value = both(f"{kind}(x in L: {body})", facts)
    expected = QUANT[kind][case]
    assert value == expected and type(value) is type(expected)


def test_quantifier_over_a_list_literal_and_nested_quantifiers():
    assert both("any(x in [1, 2, 3]: x > 2)") is True
    assert both("count(x in [1, 2, 3]: x > 1)") == 2
    facts = {"sites": [{"cranes": [{"age": 3}, {"age": 12}]}, {"cranes": []}]}
    assert both("any(s in sites: any(c in s.cranes: c.age > 10))", facts) is True
    assert both("all(s in sites: any(c in s.cranes: c.age > 10))", facts) is False


def test_quantifier_type_errors():
    with pytest.raises(EvaluationError, match="needs a list"):
        both("any(x in 3: x)")
    with pytest.raises(EvaluationError, match="any\\(\\)"):
        both("any(x in [1]: x)")
    with pytest.raises(EvaluationError, match="sum\\(\\) needs numbers"):
        both("sum(x in ['a']: x)")


# -- literals, strings, names -------------------------------------------------


@pytest.mark.parametrize(
    "expr,expected",
    [
        (r"'it\'s'", "it's"), (r'"say \"hi\""', 'say "hi"'), (r"'back\\slash'", "back\\slash"),
        ("'双引号\"在单引号里'", '双引号"在单引号里'), ('"\'"', "'"), ("''", ""), ("'a' == \"a\"", True),
        ("2023-05-15", D(2023, 5, 15)), ("1.5e3", 1500.0), (".5", 0.5), ("[1, 'a', true]", [1, "a", True]),
    ],
)
def test_literals_and_string_escapes(expr, expected):
    value = both(expr)
    assert value == expected and type(value) is type(expected)


def test_unicode_fact_names():
    facts = {"粉尘": {"除尘系统": {"已分离": False}}, "企业.员工数": 12}
    assert both("not 粉尘.除尘系统.已分离 and 企业.员工数 >= 10", facts) is True
    assert both("known(粉尘.除尘系统.已分离)", facts) is True


def test_non_reserved_words_are_fact_segments():
    assert both("if.for.as == 1", {"if": {"for": {"as": 1}}}) is True


# -- units without a vocabulary: SI base units ---------------------------------


@pytest.mark.parametrize(
    "expr,expected",
    [("0.03 km", 30), ("30 mm", 0.03), ("2 t", 2000), ("100 g", 0.1), ("0.5 MPa", 500000), ("3 min", 180),
     ("1 d", 86400), ("2 m2", 2), ("1 L", 0.001), ("5 %", 5), ("3 10k_CNY", 30000)],
)
def test_unit_literals_convert_to_base_units(expr, expected):
    value = both(expr)
    assert value == expected and type(value) is type(expected)


def test_unit_literal_compared_with_a_fact_in_base_units():
    assert both("height >= 0.03 km", {"height": 30}) is True
    assert both("height > 0.03 km", {"height": 30}) is False
