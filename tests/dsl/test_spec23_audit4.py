"""A fourth black-box audit of SPEC §2 (files) and §3 (expressions).

Unlike the first three rounds (test_spec3_audit.py, test_spec23_audit3.py), this
one does not list cases: it carries its own tiny oracle of §3 (a direct reading
of the SPEC's sentences over Python values, sharing no code with the library)
and a generator of random well-typed expression *text* (random spacing and
line breaks, redundant parentheses, unary minus, mixed precedence, words that
are units or function names used as fact names, unknown facts).  The text is
compared with the oracle through ``dsl.evaluate`` and, as clauses of a rule
file with a vocabulary, through ``safetyrules.load`` (the generated-code
backend): finding / not found / undetermined must be the oracle's true / false
/ unknown.  The second half checks where a rule file's expression errors
point, for every YAML scalar style, the expected position being worked out
here from the file text."""

from __future__ import annotations

import datetime
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import safetyrules
from safetyrules import dsl

DAY = datetime.date(2024, 3, 1)

# =====================================================================================
# 1. the oracle: SPEC §3, sentence by sentence, over Python values (None = unknown)
# =====================================================================================


def kind(v):
    if type(v) is bool:
        return "b"
    if type(v) in (int, float):
        return "n"
    if type(v) is str:
        return "s"
    if type(v) is datetime.date:
        return "d"
    if type(v) is list:
        return "l"
    raise AssertionError(v)


def k_and(vals):
    # "false and unknown is false"; a false operand decides, whatever the others are
    if any(v is False for v in vals):
        return False
    return None if any(v is None for v in vals) else True


def k_or(vals):
    if any(v is True for v in vals):
        return True
    return None if any(v is None for v in vals) else False


def k_not(v):
    return None if v is None else not v


def eq(a, b):
    """`==`: unknown with an unknown operand; different types are unequal; lists
    element by element (Kleene: one unequal pair decides)."""
    if a is None or b is None:
        return None
    if kind(a) != kind(b):
        return False
    if kind(a) == "l":
        if len(a) != len(b):
            return False
        return k_and([eq(x, y) for x, y in zip(a, b)])
    return a == b


ORDER = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def compare(op, a, b):
    if op == "==":
        return eq(a, b)
    if op == "!=":
        return k_not(eq(a, b))
    if a is None or b is None:
        return None
    assert kind(a) == kind(b) and kind(a) in "nsd", (a, b)  # the generator orders one kind only
    return ORDER[op](a, b)


def member(x, items):
    # "x in [a, b] is true if x equals an element, false if it differs from all, else unknown"
    if x is None:
        return None
    return k_or([eq(x, i) for i in items])


def arith(op, a, b):
    if a is None or b is None:
        return None
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        return None  # "Division by zero is unknown"
    return a / b


class Oracle:
    def __init__(self, facts):
        self.facts = facts  # dotted name -> value (None / absent: unknown)

    def ev(self, n, env=None):
        env = env or {}
        t = n[0]
        if t == "lit":
            return n[1]
        if t == "fact":
            return self.facts.get(n[1])
        if t == "field":  # var.field inside a quantifier
            item = env[n[1]]
            return item.get(n[2]) if isinstance(item, dict) else None
        if t == "list":
            return [self.ev(x, env) for x in n[1]]
        if t == "not":
            return k_not(self.ev(n[1], env))
        if t == "and":
            return k_and([self.ev(x, env) for x in n[1]])
        if t == "or":
            return k_or([self.ev(x, env) for x in n[1]])
        if t == "cmp":
            return compare(n[1], self.ev(n[2], env), self.ev(n[3], env))
        if t == "in":
            r = member(self.ev(n[2], env), [self.ev(x, env) for x in n[3]])
            return k_not(r) if n[1] else r
        if t == "arith":
            return arith(n[1], self.ev(n[2], env), self.ev(n[3], env))
        if t == "neg":
            v = self.ev(n[1], env)
            return None if v is None else -v
        if t == "known":
            return self.facts.get(n[1]) is not None
        if t == "at_least":
            vals = [self.ev(x, env) for x in n[2]]
            tr, un = sum(v is True for v in vals), sum(v is None for v in vals)
            return True if tr >= n[1] else False if tr + un < n[1] else None
        if t == "call":
            args = [self.ev(x, env) for x in n[2]]
            if any(a is None for a in args):
                return None
            name = n[1]
            if name == "min":
                return min(args)
            if name == "max":
                return max(args)
            if name == "abs":
                return abs(args[0])
            if name == "len":
                return len(args[0])
            if name == "days":
                return (args[1] - args[0]).days
            raise AssertionError(name)
        if t == "quant":
            _, q, var, src, body = n
            items = self.facts.get(src)
            if items is None:
                return None
            vals = [self.ev(body, {**env, var: it}) for it in items]
            if q == "any":
                return k_or(vals)
            if q == "all":
                return k_and(vals)
            return None if any(v is None for v in vals) else sum(v is True for v in vals)
        raise AssertionError(t)


# =====================================================================================
# 2. the generator: well-typed expression trees, rendered as text with random layout
# =====================================================================================

#: fact name -> type.  Words that are units (m, t), function names (min, days.left,
#: known.x, count.n) and non-reserved keywords (if, for, as) are fact names here; no
#: name is a prefix of another.
FACTS = {
    "a": "b", "b.c": "b", "if.for.as": "b", "known.x": "b", "粉尘.已分离": "b",
    "n": "n", "m": "n", "min": "n", "x.y2": "n", "days.left": "n", "count.n": "i",
    "s": "s", "as.s": "s",
    "d": "d", "e.d": "d",
    "lvl": "e", "as.e": "e",  # enums: p, q, r (text without a vocabulary)
}
ENUM = ("p", "q", "r")
LIST = "L"  # items {v: bool, k: number, w: string}
FIELDS = {"v": "b", "k": "n", "w": "s"}
VARS = ("i", "x", "m", "项")  # `m` shadows the fact `m` inside the body

NUMBERS = st.one_of(st.integers(-3, 12), st.sampled_from([0.5, 2.5, -1.5, 0.25, 1e3]), st.just(0))
TEXTS = st.text(alphabet="aBé'\"\\ z风", max_size=3)
DATES = st.sampled_from([datetime.date(2023, 5, 15), datetime.date(2024, 1, 1), datetime.date(2024, 2, 29),
                         datetime.date(2023, 12, 31)])

# precedence levels, loosest first (SPEC §3): or; and; not; comparisons; + -; * /; unary -
OR, AND, NOT, CMP, ADD, MUL, NEG, ATOM = range(1, 9)


class Gen:
    """Draws a typed tree; ``vocab`` restricts it to what a vocabulary accepts
    (no comparison across types, no days() arithmetic)."""

    def __init__(self, draw, vocab):
        self.draw, self.vocab = draw, vocab

    def facts_of(self, ty, scope=()):
        # a fact whose first word a quantifier binds would read the item instead
        return [k for k, v in FACTS.items() if (v == ty or (ty == "n" and v == "i")) and k.split(".")[0] not in scope]

    def leaf(self, ty, scope):
        d = self.draw
        opts = ["lit", "fact", "fact"]
        fields = list(scope) if any(FIELDS[f] == ty for f in FIELDS) else []
        if fields:
            opts.append("field")
        choice = d(st.sampled_from(opts))
        if choice == "field":
            var = d(st.sampled_from(fields))
            f = d(st.sampled_from([f for f, t in FIELDS.items() if t == ty]))
            return ("field", var, f)
        if choice == "fact":
            return ("fact", d(st.sampled_from(self.facts_of(ty, scope))))
        return ("lit", d({"b": st.booleans(), "n": NUMBERS, "s": TEXTS, "d": DATES, "e": st.sampled_from(ENUM)}[ty]))

    def expr(self, ty, depth, scope=()):
        d = self.draw
        if depth <= 0 or d(st.integers(0, 3)) == 0:
            return self.leaf(ty, scope)
        sub = depth - 1
        if ty == "b":
            prod = d(st.sampled_from(["not", "and", "or", "ord", "eq", "in", "known", "at_least", "quant", "listeq"]))
            if prod == "not":
                return ("not", self.expr("b", sub, scope))
            if prod in ("and", "or"):
                return (prod, [self.expr("b", sub, scope) for _ in range(d(st.integers(2, 4)))])
            if prod == "ord":
                k = d(st.sampled_from("nnsd"))
                return ("cmp", d(st.sampled_from(sorted(ORDER))), self.expr(k, sub, scope), self.expr(k, sub, scope))
            if prod == "eq":
                k1 = d(st.sampled_from("bnnsde"))
                k2 = k1 if self.vocab or d(st.integers(0, 4)) else d(st.sampled_from("bnsd"))
                return ("cmp", d(st.sampled_from(["==", "!="])), self.expr(k1, sub, scope), self.expr(k2, sub, scope))
            if prod == "listeq":
                size = d(st.integers(0, 2))
                left = ("list", [self.expr("n", sub // 2, scope) for _ in range(size)])
                right = ("list", [self.expr("n", sub // 2, scope) for _ in range(size + d(st.sampled_from([0, 0, 1])))])
                return ("cmp", d(st.sampled_from(["==", "!="])), left, right)
            if prod == "in":
                k = d(st.sampled_from("nnse"))
                items = [self.expr(k, sub // 2, scope) for _ in range(d(st.integers(0 if not self.vocab else 1, 3)))]
                return ("in", d(st.booleans()), self.expr(k, sub, scope), items)
            if prod == "known":
                return ("known", d(st.sampled_from([k for k in sorted(FACTS) if k.split(".")[0] not in scope])))
            if prod == "at_least":
                conds = [self.expr("b", sub, scope) for _ in range(d(st.integers(1, 4)))]
                return ("at_least", d(st.integers(0, len(conds) + 1)), conds)
            var = d(st.sampled_from(VARS))
            return ("quant", d(st.sampled_from(["any", "all"])), var, LIST, self.expr("b", sub, scope + (var,)))
        if ty == "n":
            prod = d(st.sampled_from(["arith", "arith", "neg", "abs", "minmax", "len", "days", "count"]))
            if prod == "arith":
                return ("arith", d(st.sampled_from("+-*/")), self.expr("n", sub, scope), self.expr("n", sub, scope))
            if prod == "neg":
                return ("neg", self.expr("n", sub, scope))
            if prod == "abs":
                return ("call", "abs", [self.expr("n", sub, scope)])
            if prod == "minmax":
                return ("call", d(st.sampled_from(["min", "max"])), [self.expr("n", sub, scope) for _ in range(d(st.integers(1, 3)))])
            if prod == "len":
                return ("call", "len", [("fact", LIST)])
            if prod == "days" and not self.vocab:
                return ("call", "days", [self.expr("d", sub, scope), self.expr("d", sub, scope)])
            var = d(st.sampled_from(VARS))
            return ("quant", "count", var, LIST, self.expr("b", sub, scope + (var,)))
        if ty == "e":
            return self.leaf(ty, scope)  # enum values have no order: no min/max
        if ty in "sd":
            if d(st.booleans()):
                return ("call", d(st.sampled_from(["min", "max"])), [self.expr(ty, sub, scope) for _ in range(d(st.integers(1, 3)))])
            return self.leaf(ty, scope)
        raise AssertionError(ty)


WORDY = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.'\"")


def _wordy(ch):
    return ch in WORDY or ord(ch) > 127


class Render:
    """Tree -> text.  Parentheses where precedence needs them, and sometimes
    where it does not; random blanks (spaces, tabs, line breaks) between tokens,
    none where two words would run together."""

    def __init__(self, rnd):
        self.rnd = rnd  # a random.Random drawn by hypothesis: layout needs no shrinking

    def number(self, v):
        d = self.rnd
        if type(v) is int:
            text = str(abs(v))
        elif v == 1e3:
            text = d.choice(["1e3", "1000.0", "1.0e3", "1E3", "10e2"])
        else:
            text = repr(abs(v))
        return ["-", text] if v < 0 else [text]

    def string(self, v):
        q = self.rnd.choice(["'", '"'])
        out = []
        for ch in v:
            if ch == "\\" or ch == q or (ch in "'\"" and self.rnd.random() < 0.5):
                out.append("\\" + ch)
            else:
                out.append(ch)
        return q + "".join(out) + q

    def atom(self, v):
        if type(v) is bool:
            return ["true" if v else "false"], ATOM
        if type(v) in (int, float):
            toks = self.number(v)
            return toks, (NEG if len(toks) == 2 else ATOM)
        if type(v) is str:
            return [self.string(v)], ATOM
        return [v.isoformat()], ATOM

    def tokens(self, n):
        """(tokens, level) of a node."""
        t = n[0]
        r = self.wrap
        if t == "lit":
            return self.atom(n[1])
        if t == "fact":
            return [n[1]], ATOM
        if t == "field":
            return [f"{n[1]}.{n[2]}"], ATOM
        if t == "list":
            return ["["] + self.commas(n[1]) + ["]"], ATOM
        if t == "not":
            return ["not"] + r(n[1], NOT), NOT
        if t in ("and", "or"):
            lvl = AND if t == "and" else OR
            out = []
            for i, x in enumerate(n[1]):
                if i:
                    out.append(t)
                out += r(x, lvl + 1)
            return out, lvl
        if t == "cmp":
            return r(n[2], ADD) + [n[1]] + r(n[3], ADD), CMP
        if t == "in":
            op = ["not", "in"] if n[1] else ["in"]
            return r(n[2], ADD) + op + ["["] + self.commas(n[3]) + ["]"], CMP
        if t == "arith":
            lvl = ADD if n[1] in "+-" else MUL
            return r(n[2], lvl) + [n[1]] + r(n[3], lvl + 1), lvl
        if t == "neg":
            return ["-"] + r(n[1], NEG), NEG
        if t == "known":
            return ["known", "(", n[1], ")"], ATOM
        if t == "at_least":
            return ["at_least", "(", str(n[1]), ","] + self.commas(n[2]) + [")"], ATOM
        if t == "call":
            return [n[1], "("] + self.commas(n[2]) + [")"], ATOM
        if t == "quant":
            return [n[1], "(", n[2], "in", n[3], ":"] + r(n[4], 1) + [")"], ATOM
        raise AssertionError(t)

    def commas(self, items):
        out = []
        for i, x in enumerate(items):
            if i:
                out.append(",")
            out += self.wrap(x, 1)
        return out

    def wrap(self, n, need):
        toks, lvl = self.tokens(n)
        if lvl < need or self.rnd.random() < 0.1:
            return ["("] + toks + [")"]
        return toks

    def text(self, n):
        toks = self.wrap(n, 1)
        out = [self.rnd.choice(["", "", " ", "\n"])]
        prev = ""
        for tok in toks:
            need = bool(prev) and _wordy(prev[-1]) and _wordy(tok[0])
            # `2024 -1-1` must not read as a date: no glued binary minus after a number
            need = need or (tok == "-" and prev[-1:].isdigit())
            blank = self.rnd.choice(["", "", " ", " ", "  ", "\t", "\n  "])
            out.append(blank if blank or not need else " ")
            out.append(tok)
            prev = tok
        out.append(self.rnd.choice(["", " ", "\n"]))
        return "".join(out)


_VALUES = {
    "b": lambda r: r.random() < 0.5,
    "n": lambda r: r.choice([r.randint(-3, 12), r.choice([0.5, 2.5, -1.5, 0.25, 1e3]), 0]),
    "i": lambda r: r.randint(-3, 12),
    "e": lambda r: r.choice(ENUM),
    "s": lambda r: "".join(r.choice("aBé'\"\\ z风") for _ in range(r.randint(0, 3))),
    "d": lambda r: r.choice([datetime.date(2023, 5, 15), datetime.date(2024, 1, 1), datetime.date(2024, 2, 29),
                             datetime.date(2023, 12, 31)]),
}


def random_facts(r):
    """Facts, each absent, null (both unknown) or a value of its type; drawn from
    a ``random.Random`` that hypothesis draws (fast; the failure prints them)."""
    facts = {}
    for name, ty in FACTS.items():
        how = r.randint(0, 3)
        if how:
            facts[name] = None if how == 1 else _VALUES[ty](r)
    how = r.randint(0, 5)
    if how == 1:
        facts[LIST] = None
    elif how:
        facts[LIST] = [{f: (None if r.random() < 0.25 else _VALUES[t](r)) for f, t in FIELDS.items() if r.randint(0, 4)}
                       for _ in range(r.randint(0, 3))]
    return facts


def nest(facts, draw):
    """Some dotted keys given as nested mappings ("the same thing", SPEC §2)."""
    out = {}
    for k, v in facts.items():
        head, dot, rest = k.partition(".")
        if dot and draw(st.booleans()):
            out.setdefault(head, {})[rest] = v
        else:
            out[k] = v
    return out


def same(got, want):
    if want is None or type(want) is bool:
        return got is want
    if kind(want) == "n":
        return type(got) in (int, float) and got == want
    return type(got) is type(want) and got == want


@st.composite
def dsl_case(draw):
    ty = draw(st.sampled_from("bbbbnsd"))
    node = Gen(draw, vocab=False).expr(ty, draw(st.integers(1, 5)))
    rnd = draw(st.randoms(use_true_random=False))
    return Render(rnd).text(node), node, random_facts(rnd)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(dsl_case(), st.data())
def test_dsl_evaluate_agrees_with_the_oracle(case, data):
    text, node, facts = case
    want = Oracle(facts).ev(node)
    got = dsl.evaluate(text, nest(facts, data.draw))
    assert same(got, want), (text, facts, got, want)


# -- the same expressions as clauses of a rule file (checked, compiled to Python) ---------

_TYPES = {"b": "bool", "n": "number", "i": "integer", "s": "string", "d": "date", "e": "enum, values: [p, q, r]"}


def _vocabulary():
    lines = ["kind: vocabulary", "id: v", "facts:"]
    lines += [f"  {json.dumps(name, ensure_ascii=False)}: {{type: {_TYPES[ty]}}}" for name, ty in FACTS.items()]
    item = ", ".join(f"{f}: {{type: {_TYPES[t]}}}" for f, t in FIELDS.items())
    lines.append(f"  {LIST}: {{type: list, item: {{{item}}}}}")
    return "\n".join(lines) + "\n"


def load_clauses(directory, conditions):
    (directory / "v.yaml").write_text(_vocabulary(), encoding="utf-8")
    body = "".join(
        f"  - {{id: c{i}, cite: X, severity: general, when: {json.dumps(c, ensure_ascii=False)}}}\n"
        for i, c in enumerate(conditions)
    )
    (directory / "s.yaml").write_text(f'kind: standard\nid: s\nversion: "1"\nclauses:\n{body}', encoding="utf-8")
    (directory / "ruleset.yaml").write_text("kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\ndecision: {}\n", encoding="utf-8")
    return safetyrules.load(str(directory))


def statuses(rules, facts):
    d = rules.evaluate(facts, as_of=DAY).to_dict()
    out = {}
    for f in d["findings"]:
        out[f["clause"]] = True
    for u in d["undetermined"]:
        out[u["clause"]] = None
    return out


@st.composite
def rule_case(draw):
    nodes = [Gen(draw, vocab=True).expr("b", draw(st.integers(1, 4))) for _ in range(30)]
    rnd = draw(st.randoms(use_true_random=False))
    texts = [Render(rnd).text(n) for n in nodes]
    facts = [random_facts(rnd) for _ in range(4)]
    return texts, nodes, facts


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(rule_case(), st.data())
def test_rule_file_clauses_agree_with_the_oracle(tmp_path_factory, case, data):
    texts, nodes, fact_maps = case
    rules = load_clauses(tmp_path_factory.mktemp("oracle"), texts)
    for facts in fact_maps:
        given_facts = nest(facts, data.draw)
        for name, ty in FACTS.items():  # date facts also as ISO text (SPEC §2)
            if ty == "d" and given_facts.get(name) is not None and data.draw(st.booleans()):
                given_facts[name] = given_facts[name].isoformat()
        got = statuses(rules, given_facts)
        for i, (text, node) in enumerate(zip(texts, nodes)):
            want = Oracle(facts).ev(node)
            assert got.get(f"c{i}", False) is want, (text, facts, got.get(f"c{i}", False), want)


# =====================================================================================
# 3. SPEC §2 "pointing at the offending node — for an expression, at the offending
#    token inside it", for every YAML scalar style
# =====================================================================================
#
# Each clause's `when` is PREFIX + TOKEN + SUFFIX (a well-typed prefix, then the one
# fault).  The rule file is written here, scalar by scalar, by an encoder per YAML
# style that notes the source offset at which the token's first character is
# written; the expected LINE:COL is worked out from that offset alone.

import random  # noqa: E402

LOC_VOCAB = """\
kind: vocabulary
id: v
facts:
  a: {type: bool}
  n: {type: number}
  h: {type: number, unit: m}
  s: {type: string}
  e: {type: enum, values: [p, q]}
  粉尘.浓度: {type: number, unit: mg/m3}
"""

#: (text before the token, the token, text after, words of the message)
FAULTS = [
    ("", "nosuch.fact", " or a", "unknown fact"),  # unknown fact
    ("e == ", "'zz'", "", "not a declared value"),  # enum value outside `values`
    ("e in ['p', ", "'zz'", "]", "not a declared value"),
    ("n ", "=", " 1", "'=='"),  # bad token
    ("n > 1 ", "&&", " a", "'and'"),
    ("n > 1 or ", "$", "", "unexpected character"),
    ("n > ", "3 m", "", "has no unit"),  # a unit where the fact has none
    ("not ", "n", "", "needs a condition"),  # type error
    ("n + ", "'x'", " > 1", "needs a number"),
    ("", "'abc", "", "unterminated string"),
    ("", "knwon", "(a)", "unknown function"),
]

#: well-typed prefixes: quotes, backslashes, tabs, non-ASCII, lists, line breaks
PREFIXES = [
    "",
    "a and ",
    "s == 'it\\'s' and ",
    's != "say \\"hi\\"" and\t',
    "s < '\\\\ 风' and ",
    "(n > 1 or not a) and\n",
    "粉尘.浓度 > 2 mg/m3 and ",
    "e in ['p', \"q\"] and s == '#x: y' and ",
]


def _pos(text, index):
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


class Source:
    """The file being written; ``mark()`` notes where the token starts."""

    def __init__(self):
        self.parts, self.mark_at = [], None

    def __iadd__(self, s):
        self.parts.append(s)
        return self

    def mark(self):
        self.mark_at = sum(map(len, self.parts))

    def text(self):
        return "".join(self.parts)


def _breakable(value, i):
    """Whether the blank at value[i] may be written as a line break (folding
    turns it back into one space): one space between two non-blanks."""
    return value[i] == " " and 0 < i < len(value) - 1 and value[i - 1] not in " \t\n" and value[i + 1] not in " \t\n"


def enc_plain(out, value, tok, ind, rnd, flow=False):
    for i, ch in enumerate(value):
        if i == tok:
            out.mark()
        if _breakable(value, i) and rnd.random() < 0.3:
            out += "\n" + " " * ind
        else:
            out += ch


def enc_single(out, value, tok, ind, rnd):
    out += "'"
    for i, ch in enumerate(value):
        if i == tok:
            out.mark()
        if ch == "\n":
            out += "\n\n" + " " * ind  # an empty line is one line break
        elif _breakable(value, i) and rnd.random() < 0.3:
            out += "\n" + " " * ind
        else:
            out += "''" if ch == "'" else ch
    out += "'"


def enc_double(out, value, tok, ind, rnd):
    out += '"'
    for i, ch in enumerate(value):
        if i == tok:
            out.mark()
        r = rnd.random()
        if ch == '"':
            out += '\\"'
        elif ch == "\\":
            out += "\\\\"
        elif ch == "\n":
            out += rnd.choice(["\\n", "\n\n" + " " * ind])
        elif ch == "\t":
            out += rnd.choice(["\\t", "\t", "\\x09", "\\u0009"])
        elif _breakable(value, i) and r < 0.2:
            out += "\n" + " " * ind
        elif ch == " " and r < 0.35:
            out += rnd.choice(["\\ ", "\\x20", "\\u0020", "\\U00000020"])
        elif r < 0.1:
            out += rnd.choice([f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}", f"\\u{ord(ch):04X}"])
        else:
            out += ch
        if r > 0.93 and i + 1 < len(value) and value[i + 1] not in " \t":
            out += "\\\n" + " " * rnd.randint(ind, ind + 3)  # an escaped line break: nothing
    out += '"'


def enc_block(out, value, tok, ind, rnd, header):
    out += header
    if rnd.random() < 0.3:
        out += "   # a comment"
    out += "\n" + " " * ind
    folded = header.startswith(">")
    for i, ch in enumerate(value):
        if i == tok:
            out.mark()
        if ch == "\n":
            out += ("\n\n" if folded else "\n") + " " * ind
        elif folded and _breakable(value, i) and rnd.random() < 0.4:
            out += "\n" + " " * ind
        else:
            out += ch
    out += "\n"


def _plain_ok(value, flow):
    bad = (": ", " #", "\n", "\t") + ((",", "[", "]", "{", "}") if flow else ())
    return value[:1].isalpha() and not any(b in value for b in bad) and not value.endswith(":")


STYLES = ["plain", "single", "double", "|", "|-", "|+", "|2", ">", ">-", ">+",
          "flow-double", "flow-single", "flow-plain", "flow-multiline", "list-at-zero", "list-deep", "crlf"]


def write_clause(out, i, value, tok, style, rnd):
    """One clause, its `when` in ``style``; returns False when the style cannot
    hold the value (a plain scalar with ': ', a block scalar with a tab...)."""
    cid = f"c{i}"
    if style.startswith("flow"):
        out += f"  - {{id: {cid}, cite: X, severity: major,"
        out += "\n      when: " if style == "flow-multiline" else " when: "
        if style == "flow-plain":
            if not _plain_ok(value, True):
                return False
            enc_plain(out, value, tok, 6, rnd)
        elif style == "flow-single":
            enc_single(out, value, tok, 6, rnd)
        else:
            enc_double(out, value, tok, 6, rnd)
        out += "}\n"
        return True
    dash, ind = {"list-at-zero": ("- ", 2), "list-deep": ("      -   ", 10)}.get(style, ("  - ", 4))
    out += f"{dash}id: {cid}\n" + " " * ind + "cite: X\n" + " " * ind + "severity: major\n" + " " * ind + "when: "
    if style in ("plain", "list-at-zero"):
        if not _plain_ok(value, False):
            return False
        enc_plain(out, value, tok, ind + 2, rnd)
        out += "\n"
    elif style == "single":
        enc_single(out, value, tok, ind + 2, rnd)
        out += "\n"
    elif style in ("double", "list-deep", "crlf"):
        enc_double(out, value, tok, ind + 2, rnd)
        out += "\n"
    else:
        if "\t" in value:
            return False  # a tab is fine in a block scalar; kept out only to keep lines simple
        if style == "|2":
            out += "|2"
            out += "\n" + " " * (ind + 2)
            for j, ch in enumerate(value):
                if j == tok:
                    out.mark()
                out += ("\n" + " " * (ind + 2)) if ch == "\n" else ch
            out += "\n"
        else:
            enc_block(out, value, tok, ind + 2, rnd, style)
    return True


def located_file(style, seed):
    """(file text, [(first and last line of the clause, expected line, expected
    column, words)])."""
    rnd = random.Random(seed)
    head = 'kind: standard\nid: s\nversion: "1"\nclauses:\n'
    text, want = head, []
    for i, (before, token, after, words) in enumerate(FAULTS):
        for _ in range(20):
            prefix = rnd.choice(PREFIXES)
            value = prefix + before + token + after
            out = Source()
            out += text
            if write_clause(out, i, value, len(prefix) + len(before), style, rnd):
                break
        else:
            continue
        first = text.count("\n") + 1
        text = out.text()
        want.append(((first, text.count("\n")), *_pos(text, out.mark_at), words))
    if style == "crlf":
        text = text.replace("\n", "\r\n")
    return text, want


def _errors(directory, text):
    (directory / "v.yaml").write_text(LOC_VOCAB, encoding="utf-8")
    (directory / "s.yaml").write_bytes(text.encode("utf-8"))
    (directory / "ruleset.yaml").write_text("kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\ndecision: {}\n", encoding="utf-8")
    with pytest.raises(safetyrules.RuleFileError) as e:
        safetyrules.load(str(directory))
    return [x for x in (getattr(e.value, "errors", None) or [e.value]) if x.path.endswith("s.yaml")]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("style", STYLES)
def test_an_expression_error_points_at_the_offending_token_in_every_scalar_style(tmp_path, style, seed):
    text, want = located_file(style, seed)
    errors = _errors(tmp_path, text)
    lines = text.replace("\r\n", "\n").split("\n")
    assert len(errors) == len(want), ([e.message for e in errors], want)
    for span, line, column, words in want:
        (err,) = [e for e in errors if span[0] <= e.line <= span[1]]
        cid = lines[span[0] - 1].strip()[:20]
        shown = lines[line - 1][column - 1:column + 11]
        assert words in err.message, (cid, err.message)
        assert (err.line, err.column) == (line, column), (cid, err.message, shown, lines[err.line - 1][err.column - 1:err.column + 11])


# -- §2 "comparing incompatible dimensions ... is a load error", at the offending token -------
#
# A unit that does not fit pointed at the start of the comparison (`h` of `h > 3 kg`, `abs`
# of `abs(h) > 2 kg`, `x.age` of `any(x in L: x.age > 3 m)`) while the same mistake in a
# list (`h in [1 m, 2 kg]`), a unit on a unitless fact (`n > 3 m`) and dsl.evaluate
# (`10 m == 10 kg`) point at the literal: the literal is the token at fault, and between
# two facts the second one.

UNIT_CASES = [
    ("h > ", "3 kg", ""),
    ("a and ", "3 kg", " < h"),  # the literal on the left
    ("abs(h) > ", "2 kg", ""),
    ("h + ", "2 kg", " > 1 m"),
    ("any(x in L: x.age > ", "3 m", ")"),
    ("h > ", "mass", ""),  # two facts: the second
    ("min(h, ", "2 kg", ") > 1 m"),
    ("h in [1 m, ", "2 kg", "]"),
]

UNIT_VOCAB = LOC_VOCAB + "  mass: {type: number, unit: t}\n  L: {type: list, item: {age: {type: integer, unit: year}}}\n"


def test_a_unit_of_another_dimension_points_at_the_literal(tmp_path):
    (tmp_path / "v.yaml").write_text(UNIT_VOCAB, encoding="utf-8")
    lines, want = [], []
    for i, (before, token, after) in enumerate(UNIT_CASES):
        value = before + token + after
        line = f"  - {{id: c{i}, cite: X, severity: major, when: {json.dumps(value)}}}"
        want.append((5 + i, line.index('"') + 2 + len(before)))
        lines.append(line)
    (tmp_path / "s.yaml").write_text('kind: standard\nid: s\nversion: "1"\nclauses:\n' + "\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\ndecision: {}\n", encoding="utf-8")
    with pytest.raises(safetyrules.RuleFileError) as e:
        safetyrules.load(str(tmp_path))
    got = sorted((x.line, x.column) for x in e.value.errors if "different quantities" in x.message)
    assert got == want, [x.message for x in e.value.errors]


# -- §2 "comparing an enum fact with a value outside its declared values" -----------------------
#
# Lists compare element by element (§3), so `[e] == ['zz']` compares e with 'zz': it loaded.
# And enum values have no order (docs/expressions.md), but min()/max() of an enum fact
# ordered them as text, `min(e, 'zz')` loading without a word.

@pytest.mark.parametrize(
    "before, token, after, words",
    [
        ("[e] == [", "'zz'", "]", "not a declared value"),
        ("[n, e] != [1, ", "'zz'", "]", "not a declared value"),
        ("", "min", "(e, 'p') == 'p'", "no order"),
        ("max(s, 'b') < 'c' and ", "max", "('q', e) == 'q'", "no order"),
    ],
)
def test_enum_values_outside_values_and_without_order_are_load_errors(tmp_path, before, token, after, words):
    value = before + token + after
    line = f"  - {{id: c1, cite: X, severity: major, when: {json.dumps(value)}}}"
    (tmp_path / "v.yaml").write_text(LOC_VOCAB, encoding="utf-8")
    (tmp_path / "s.yaml").write_text('kind: standard\nid: s\nversion: "1"\nclauses:\n' + line + "\n", encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\ndecision: {}\n", encoding="utf-8")
    with pytest.raises(safetyrules.RuleFileError) as e:
        safetyrules.load(str(tmp_path))
    (err,) = e.value.errors
    assert words in err.message
    assert (err.line, err.column) == (5, line.index('"') + 2 + len(before))


def test_enum_lists_and_min_of_text_still_load(tmp_path):
    conds = ["[e] == ['p']", "[e, n] != ['q', 1]", "min(s, 'b') == 'a'", "max(s) < 'c'", "e in ['p', 'q']"]
    (tmp_path / "v.yaml").write_text(LOC_VOCAB, encoding="utf-8")
    body = "".join(f"  - {{id: c{i}, cite: X, severity: major, when: {json.dumps(c)}}}\n" for i, c in enumerate(conds))
    (tmp_path / "s.yaml").write_text('kind: standard\nid: s\nversion: "1"\nclauses:\n' + body, encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\ndecision: {}\n", encoding="utf-8")
    rules = safetyrules.load(str(tmp_path))
    got = statuses(rules, {"e": "p", "n": 1, "s": "a"})
    assert got == {"c0": True, "c1": True, "c2": True, "c3": True, "c4": True}


# -- §3 "A bare number compared with a fact takes the fact's unit", in a list too --------------
#
# `x in [a, b]` is x compared with each element (§3), so in `w in [1 m, 2]` (w in cm) the
# bare 2 is 2 cm.  It took the unit of the list's first literal: 2 m.

BARE = ["w in [1 m, 2]", "w in [2, 1 m]", "w not in [1 m, 2]", "h in [1, 200 cm]", "w in [h, 2]"]


@pytest.mark.parametrize(
    "facts, want",
    [({"w": 2, "h": 5}, [True, True, False, False, True]), ({"w": 100, "h": 2}, [True, True, False, True, False]),
     ({"w": 200, "h": 2}, [False, False, True, True, True]), ({"w": 150, "h": 1.5}, [False, False, True, False, True])],
)
def test_a_bare_number_in_a_list_takes_the_unit_of_the_fact_it_is_compared_with(tmp_path, facts, want):
    (tmp_path / "v.yaml").write_text(LOC_VOCAB + "  w: {type: number, unit: cm}\n", encoding="utf-8")
    body = "".join(f"  - {{id: c{i}, cite: X, severity: major, when: {json.dumps(c)}}}\n" for i, c in enumerate(BARE))
    (tmp_path / "s.yaml").write_text('kind: standard\nid: s\nversion: "1"\nclauses:\n' + body, encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\ndecision: {}\n", encoding="utf-8")
    got = statuses(safetyrules.load(str(tmp_path)), facts)
    assert [got.get(f"c{i}", False) for i in range(len(BARE))] == want


# -- the same for `applies_when`, `unless` and a table row's `when` ------------------------------

def write_value(out, value, tok, style, ind, rnd):
    """A scalar after `key: `, continuation lines at ``ind``; False where the
    style cannot hold the value."""
    if style == "plain":
        if not _plain_ok(value, False):
            return False
        enc_plain(out, value, tok, ind, rnd)
        out += "\n"
    elif style == "single":
        enc_single(out, value, tok, ind, rnd)
        out += "\n"
    elif style == "double":
        enc_double(out, value, tok, ind, rnd)
        out += "\n"
    else:
        if "\t" in value:
            return False
        enc_block(out, value, tok, ind, rnd, style)
    return True


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("style", ["plain", "single", "double", "|", ">-"])
def test_errors_in_applies_when_unless_and_table_rows_point_at_the_token(tmp_path, style, seed):
    rnd = random.Random(seed)
    want = {}

    def faulty(out, key, ind, name):
        before, token, after, _ = rnd.choice([FAULTS[0], FAULTS[1], FAULTS[6], FAULTS[7]])
        for _ in range(20):
            prefix = rnd.choice(PREFIXES)
            value = prefix + before + token + after
            trial = Source()
            trial.parts = list(out.parts)
            trial += key + ": "
            if write_value(trial, value, len(prefix) + len(before), style, ind, rnd):
                out.parts, out.mark_at = trial.parts, trial.mark_at
                want[name] = _pos(out.text(), out.mark_at)
                return
        raise AssertionError("no prefix fits")

    s = Source()
    s += 'kind: standard\nid: s\nversion: "1"\n'
    faulty(s, "applies_when", 2, "applies_when")
    s += "clauses:\n  - id: c1\n    cite: X\n    severity: major\n    when: a\n"
    faulty(s, "    unless", 6, "unless")
    t = Source()
    t += "kind: table\nid: t\noutput: out\nrows:\n  - then: lo\n"
    faulty(t, "    when", 6, "row")
    (tmp_path / "v.yaml").write_text(LOC_VOCAB + "  out: {type: enum, values: [lo, hi]}\n", encoding="utf-8")
    (tmp_path / "s.yaml").write_text(s.text(), encoding="utf-8")
    (tmp_path / "t.yaml").write_text(t.text(), encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml, t.yaml]\ndecision: {}\n", encoding="utf-8")
    with pytest.raises(safetyrules.RuleFileError) as e:
        safetyrules.load(str(tmp_path))
    got = sorted((x.path.rsplit("/", 1)[-1], x.line, x.column) for x in e.value.errors)
    assert got == sorted([("s.yaml", *want["applies_when"]), ("s.yaml", *want["unless"]), ("t.yaml", *want["row"])]), (
        s.text(), t.text(), [x.message for x in e.value.errors])


# -- §3 "Without a vocabulary, facts are in SI base units and unit literals convert to them" ----
#
# So with a vocabulary whose facts are in m and kg, a condition means what dsl.evaluate
# makes of it: unit literals of every size (cm, km, g, t), bare numbers beside facts,
# sums, scaling by plain numbers, min/max/abs, `in` lists.  Values and literals are
# chosen so that every conversion is exact.

QFACTS = {"len.a": "m", "len.b": "m", "wt": "kg"}
QLITS = {"m": [("2", "m"), ("150", "cm"), ("500", "mm"), ("0.5", "km"), ("1", "m"), ("1000", "mm")],
         "kg": [("1500", "g"), ("0.5", "t"), ("2", "kg"), ("1", "t")]}
QVALUES = [0, 0.5, 1, 1.5, 2, 500, 1000]


def qexpr(r, dim, depth):
    """Text of a quantity of ``dim`` ('m' or 'kg')."""
    c = r.randint(0, 8) if depth > 0 else r.randint(0, 2)
    if c == 0:
        return r.choice([k for k, v in QFACTS.items() if v == dim])
    if c == 1:
        v, u = r.choice(QLITS[dim])
        return f"{v} {u}"
    if c == 2:
        return r.choice(["(" + qexpr(r, dim, depth - 1) + ")", r.choice([k for k, v in QFACTS.items() if v == dim])])
    if c in (3, 4):
        return f"({qexpr(r, dim, depth - 1)} {r.choice('+-')} {qexpr(r, dim, depth - 1)})"
    if c == 5:
        return f"{qexpr(r, dim, depth - 1)} {r.choice('*/')} {r.choice(['2', '4', '0.5'])}"
    if c == 6:
        return f"-{qexpr(r, dim, depth - 1)}"
    if c == 7:
        return f"abs({qexpr(r, dim, depth - 1)})"
    return f"{r.choice(['min', 'max'])}({qexpr(r, dim, depth - 1)}, {qexpr(r, dim, depth - 1)})"


def qcond(r, depth):
    dim = r.choice(["m", "m", "kg"])
    c = r.randint(0, 4)
    if c == 0 and depth:
        return f"({qcond(r, depth - 1)} {r.choice(['and', 'or'])} {qcond(r, depth - 1)})"
    # a bare number only beside a fact ("takes the fact's unit", here SI): beside a
    # literal or a computed value the SPEC does not say which unit it takes
    fact = r.choice([k for k, v in QFACTS.items() if v == dim])
    if c == 1:
        left = fact if r.random() < 0.5 else qexpr(r, dim, 1)
        bare = left == fact
        items = ", ".join(qexpr(r, dim, 1) if not bare or r.random() < 0.6 else r.choice(["1", "0.5", "2"]) for _ in range(r.randint(1, 3)))
        return f"{left} {r.choice(['in', 'not in'])} [{items}]"
    left, right = qexpr(r, dim, 2), qexpr(r, dim, 2)
    if r.random() < 0.3:
        left, right = fact, r.choice(["1", "0.5", "1000", "0"])
    return f"{left} {r.choice(['==', '!=', '<', '<=', '>', '>='])} {right}"


def test_with_si_units_a_vocabulary_means_what_dsl_evaluate_does(tmp_path):
    r = random.Random(4)
    conds = [qcond(r, 2) for _ in range(60)]
    vocab = "kind: vocabulary\nid: v\nfacts:\n" + "".join(f"  {k}: {{type: number, unit: {u}}}\n" for k, u in QFACTS.items())
    (tmp_path / "v.yaml").write_text(vocab, encoding="utf-8")
    body = "".join(f"  - {{id: c{i}, cite: X, severity: major, when: {json.dumps(c)}}}\n" for i, c in enumerate(conds))
    (tmp_path / "s.yaml").write_text('kind: standard\nid: s\nversion: "1"\nclauses:\n' + body, encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\ndecision: {}\n", encoding="utf-8")
    rules = safetyrules.load(str(tmp_path))
    seen = set()
    for _ in range(12):
        facts = {k: r.choice(QVALUES + [None]) for k in QFACTS}
        got = statuses(rules, facts)
        for i, c in enumerate(conds):
            want = dsl.evaluate(c, facts)
            seen.add(want)
            assert got.get(f"c{i}", False) is want, (c, facts)
    assert seen == {True, False, None}


# A literal on the left of `in`, or first in min()/max(), met the list's facts in the
# literal's unit without converting them: `0.5 km in [len.a]` compared 0.5 with 500 (m).

LITERAL_FIRST = [
    ("0.5 km in [len.a]", {"len.a": 500}, True),
    ("0.5 km not in [max(len.a, 1 m), 2 m]", {"len.a": 500}, False),
    ("1100 mm in [len.a, 3 m]", {"len.a": 1.1}, True),
    ("min(1 km, len.a) == 500 m", {"len.a": 500}, True),
    ("max(500 mm, len.a) == 1.1 m", {"len.a": 1.1}, True),
    ("max(500 mm, len.a) > 1 m", {"len.a": 1.1}, True),
    ("min(2 t, wt) < 1 t", {"wt": 500}, True),
]


def test_a_literal_first_meets_the_facts_in_their_unit(tmp_path):
    vocab = "kind: vocabulary\nid: v\nfacts:\n" + "".join(f"  {k}: {{type: number, unit: {u}}}\n" for k, u in QFACTS.items())
    (tmp_path / "v.yaml").write_text(vocab, encoding="utf-8")
    body = "".join(f"  - {{id: c{i}, cite: X, severity: major, when: {json.dumps(c)}}}\n" for i, (c, _, _) in enumerate(LITERAL_FIRST))
    (tmp_path / "s.yaml").write_text('kind: standard\nid: s\nversion: "1"\nclauses:\n' + body, encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text("kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\ndecision: {}\n", encoding="utf-8")
    rules = safetyrules.load(str(tmp_path))
    got = [statuses(rules, facts).get(f"c{i}", False) for i, (_, facts, _) in enumerate(LITERAL_FIRST)]
    assert got == [want for _, _, want in LITERAL_FIRST]
    assert [dsl.evaluate(c, facts) for c, facts, _ in LITERAL_FIRST] == got
