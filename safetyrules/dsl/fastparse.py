"""A fast path for :func:`safetyrules.dsl.parser.parse`: a hand-written
scanner and recursive-descent parser for the grammar in ``grammar.lark``.

It builds exactly the AST (spans included) that the lark parser builds, for
every expression it accepts, and it accepts only expressions the lark parser
accepts.  Anything else — a syntax error, an unknown unit or function, a bad
escape, nesting too deep for its recursion, input it was not written for —
makes :func:`parse_fast` return ``None``, and the caller parses the text
again with lark, which raises the error with its message and position as
always.  So every error message stays the lark path's.

One error it raises itself, the lark path's exactly: an expression it read
whole that is nested past ``MAX_DEPTH`` / ``MAX_QUANTIFIER_DEPTH``
(:func:`refuse_deep` after :func:`parse_fast`, or :func:`parse_or_refuse`).  Lark would find it only after parsing the whole
text again, and its repetition rules copy a long chain's items once per
item: a 40,000-term ``x + x + … + x`` took lark seconds to refuse.  The
error is the first node past a limit in the order lark builds them (each
node after its operands; a ``+``/``*`` chain's nodes after all of the
chain's operands), at that node's span, as ``parser._Builder._mk`` raises it.

The scanner follows lark's contextual lexer: which terminals can match
depends on where the parser is.

* Where an operand may start: ``DATE`` (priority 3), ``NUMBER`` (2), then
  ``PATH`` / ``STRING``, the words ``not`` / ``true`` / ``false`` (``PATH``
  refuses reserved words, so a word is a keyword only where it is not a
  name), and ``( [ - ] )``.
* After an operand: comparisons, ``+ -``, ``* /``, the words ``and or not
  in`` matched as plain strings (lark matches ``x andy`` as ``x and y``),
  and ``( ) ] , :``.
* After a number, first a ``UNIT``; a unit spelt ``and``/``or``/``not``/
  ``in`` is that word instead (lark's "unless" rule for string terminals a
  regular expression also matches).

The terminal patterns are copied from ``grammar.lark``;
``tests/dsl/test_fastparse.py`` checks they are still the grammar's and
compares the two parsers on the bundled expressions and on generated input.

Thread safety: each call has its own parser; the one module state is
:func:`parse_fast`'s last refusal, kept per thread.
"""

from __future__ import annotations

import bisect
import datetime
import math
import re
import threading
from typing import List, Optional

from .. import units
from ..errors import ExpressionSyntaxError
from ..limits import int_digits_ok, scaled_ok
from . import ast as A

__all__ = ["parse_fast", "parse_or_refuse", "refuse_deep", "refuse_early", "MAX_LENGTH", "TERMINALS"]

# Longest expression accepted, in characters: a bound on work, far above any
# real rule (the bundled ones are under 2,000).
MAX_LENGTH = 200_000


def refuse_early(text) -> None:
    """The checks before any parsing (either parser's): text, not too long,
    not blank."""
    if not isinstance(text, str):
        raise ExpressionSyntaxError(
            f"an expression must be text, not {type(text).__name__}", line=1, column=1
        )
    if len(text) > MAX_LENGTH:
        raise ExpressionSyntaxError(
            f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}", line=1, column=1
        )
    if not text or text.isspace():  # what ``not text.strip()`` says, without the copy
        raise ExpressionSyntaxError("empty expression", line=1, column=1)

# The grammar's terminal patterns (grammar.lark), by name.
TERMINALS = {
    "DATE": r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?![\w.])",
    "NUMBER": r"([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?",
    "UNIT": r"(%LEL|%|°C|[0-9]+k_[A-Za-z]+|[A-Za-zµ°][A-Za-z0-9_]*(\/[A-Za-z][A-Za-z0-9]*)?[²³]?)",
    "PATH": r"(?!(and|or|not|in|true|false)\b)[^\W\d]\w*(\.(?!(and|or|not|in|true|false)\b)[^\W\d]\w*)*",
    "STRING": r""""([^"\\]|\\.)*"|'([^'\\]|\\.)*'""",
}

# Each pattern skips the white space before a token (lark's ``%ignore``).
_WS = re.compile(r"\s*")
_OPERAND = re.compile(
    "\\s*(?:(?P<DATE>%s)|(?P<NUMBER>%s)|(?P<PATH>%s)|(?P<STRING>%s)|(?P<W>not|true|false)|(?P<P>[(\\[\\-\\])]))"
    % (TERMINALS["DATE"], TERMINALS["NUMBER"], TERMINALS["PATH"], TERMINALS["STRING"])
)
_OPERATOR = re.compile(r"\s*(?:(?P<COMPOP>==|!=|<=|>=|<|>)|(?P<ADDOP>[+\-])|(?P<MULOP>[*/])|(?P<W>and|or|not|in)|(?P<P>[()\],:]))")
_UNIT = re.compile(r"\s*(?P<UNIT>%s)" % TERMINALS["UNIT"])
_INT = re.compile(r"[0-9]+")

# token kinds
_END = "$END"
_ENDS_OPERAND = frozenset({"PATH", "STRING", "DATE", "true", "false", ")", "]", "UNIT"})
_KEYWORD_UNITS = {"and": "and", "or": "or", "not": "not_op", "in": "in"}
_ESCAPES = {"\\": "\\", "'": "'", '"': '"'}
_ARITY = {"known": (1, 1), "abs": (1, 1), "len": (1, 1), "days": (2, 2),
          "min": (1, None), "max": (1, None), "at_least": (2, None)}
# Deepest nesting of sub-expressions this recursive parser takes on; past it
# the (iterative) lark parser does the work.
_MAX_NESTING = 60


class _Decline(Exception):
    """This parser does not take the input; lark will."""


class _TooDeep(Exception):
    """The input read whole, but nested past a limit: ``error`` is lark's."""

    def __init__(self, error: ExpressionSyntaxError) -> None:
        super().__init__(error)
        self.error = error


def _scan(text: str):
    """The tokens of ``text``: kinds, texts, start and end offsets."""
    kinds: List[str] = []
    vals: List[str] = []
    starts: List[int] = []
    ends: List[int] = []
    add_kind, add_val, add_start, add_end = kinds.append, vals.append, starts.append, ends.append
    operand, operator, unit = _OPERAND.match, _OPERATOR.match, _UNIT.match
    ends_operand = _ENDS_OPERAND
    pos = 0
    n = len(text)
    ctx = 0  # 0: an operand may start; 1: after an operand; 2: after a number
    while pos < n:
        if ctx == 0:
            m = operand(text, pos)
            if m is None:
                break
            g = m.lastgroup
            word = m.group(g)
            kind = word if g == "W" or g == "P" else g
            ctx = 2 if kind == "NUMBER" else (1 if kind in ends_operand else 0)
        else:
            m = unit(text, pos) if ctx == 2 else None
            if m is not None:
                word = m.group("UNIT")
                kind = _KEYWORD_UNITS.get(word)  # type: ignore[assignment]
                if kind is None:
                    if word == "true" or word == "false":
                        raise _Decline
                    kind = "UNIT"
                ctx = 1 if kind == "UNIT" or kind == "not_op" else 0
            else:
                m = operator(text, pos)
                if m is None:
                    break
                g = m.lastgroup
                word = m.group(g)
                if g == "W":
                    kind = "not_op" if word == "not" else word
                elif g == "P":
                    kind = word
                else:
                    kind = g  # type: ignore[assignment]
                # after 'not' (of 'not in') comes 'in', matched as after an operand
                ctx = 1 if kind in ends_operand or kind == "not_op" else 0
        add_kind(kind)
        add_val(word)
        pos = m.end()
        add_start(pos - len(word))
        add_end(pos)
    if pos < n and _WS.match(text, pos).end() < n:
        raise _Decline  # no token here: lark says what is wrong
    kinds.append(_END)
    return kinds, vals, starts, ends


class _Parser:
    __slots__ = ("text", "k", "v", "s", "e", "i", "few", "nest", "lines", "built")

    def __init__(self, text: str) -> None:
        self.text = text
        self.k, self.v, self.s, self.e = _scan(text)
        self.i = 0
        # Each node owns a token of its own (an operator, a bracket, a name,
        # a literal; a quantifier its '('), so no chain of nested nodes is
        # longer than the tokens are many: with few tokens the limits cannot
        # be reached, and the depth of each node need not be kept.
        self.few = len(self.k) - 1 <= A.MAX_DEPTH and self.k.count("(") <= A.MAX_QUANTIFIER_DEPTH
        # past that, the inner nodes in the order lark builds them, to find
        # the error lark gives for a tree past the limits (_limit_error)
        self.built: Optional[list] = None if self.few else []
        self.nest = 0
        if "\n" in text:
            self.lines = [0] + [m.end() for m in re.finditer("\n", text)]
        else:
            self.lines = None

    # -- positions -------------------------------------------------------
    def _lc(self, pos: int):
        lines = self.lines
        if lines is None:
            return 1, pos + 1
        li = bisect.bisect_right(lines, pos) - 1
        return li + 1, pos - lines[li] + 1

    def span(self, j: int) -> A.Span:
        """The span of token ``j`` (lark's line/column and end line/column)."""
        if self.lines is None:
            return _span(1, self.s[j] + 1, 1, self.e[j] + 1)
        line, col = self._lc(self.s[j])
        end_line, end_col = self._lc(self.e[j])
        return _span(line, col, end_line, end_col)

    def span2(self, j: int, k: int) -> A.Span:
        """From the start of token ``j`` to the end of token ``k``."""
        if self.lines is None:
            return _span(1, self.s[j] + 1, 1, self.e[k] + 1)
        line, col = self._lc(self.s[j])
        end_line, end_col = self._lc(self.e[k])
        return _span(line, col, end_line, end_col)

    # -- grammar ---------------------------------------------------------
    def parse(self) -> A.Node:
        node = self.expr()
        if self.k[self.i] != _END:
            raise _Decline
        if not self.few and _too_deep(node):
            error = _limit_error(self.built)
            if error is None:  # pragma: no cover - _too_deep and _limit_error read the same limits
                raise _Decline
            raise _TooDeep(error)
        return node

    def expr(self) -> A.Node:
        self.nest += 1
        if self.nest > _MAX_NESTING:
            raise _Decline
        first = self.and_()
        if self.k[self.i] == "or":
            ops = [first]
            while self.k[self.i] == "or":
                self.i += 1
                ops.append(self.and_())
            first = A.Or(tuple(ops), span=_join(ops[0].span, ops[-1].span))
            if self.built is not None:
                self.built.append(first)
        self.nest -= 1
        return first

    def and_(self) -> A.Node:
        first = self.not_()
        if self.k[self.i] == "and":
            ops = [first]
            while self.k[self.i] == "and":
                self.i += 1
                ops.append(self.not_())
            node = A.And(tuple(ops), span=_join(ops[0].span, ops[-1].span))
            if self.built is not None:
                self.built.append(node)
            return node
        return first

    def not_(self) -> A.Node:
        if self.k[self.i] == "not":
            j = self.i
            self.i += 1
            self.nest += 1
            if self.nest > _MAX_NESTING:
                raise _Decline
            operand = self.not_()
            self.nest -= 1
            node = A.Not(operand, span=_join(self.span(j), operand.span))
            if self.built is not None:
                self.built.append(node)
            return node
        return self.comparison()

    def comparison(self) -> A.Node:
        left = self.sum_()
        kind = self.k[self.i]
        if kind == "COMPOP":
            op = self.v[self.i]
            self.i += 1
        elif kind == "in":
            op = "in"
            self.i += 1
        elif kind == "not_op":
            if self.k[self.i + 1] != "in":
                raise _Decline
            op = "not in"
            self.i += 2
        else:
            return left
        right = self.sum_()
        node = A.Compare(op, left, right, span=_join(left.span, right.span))
        if self.built is not None:
            self.built.append(node)
        return node

    def sum_(self) -> A.Node:
        node = self.product()
        if self.k[self.i] == "ADDOP":
            chain = []
            while self.k[self.i] == "ADDOP":
                op = self.v[self.i]
                self.i += 1
                right = self.product()
                node = A.Arith(op, node, right, span=_join(node.span, right.span))
                chain.append(node)
            if self.built is not None:
                self.built += chain  # lark makes a chain's nodes once all its operands are read
        return node

    def product(self) -> A.Node:
        node = self.unary()
        if self.k[self.i] == "MULOP":
            chain = []
            while self.k[self.i] == "MULOP":
                op = self.v[self.i]
                self.i += 1
                right = self.unary()
                node = A.Arith(op, node, right, span=_join(node.span, right.span))
                chain.append(node)
            if self.built is not None:
                self.built += chain
        return node

    def unary(self) -> A.Node:
        if self.k[self.i] == "-":
            j = self.i
            self.i += 1
            self.nest += 1
            if self.nest > _MAX_NESTING:
                raise _Decline
            operand = self.unary()
            self.nest -= 1
            node = A.Neg(operand, span=_join(self.span(j), operand.span))
            if self.built is not None:
                self.built.append(node)
            return node
        return self.atom()

    def atom(self) -> A.Node:
        i = self.i
        kind = self.k[i]
        if kind == "PATH":
            if self.k[i + 1] == "(":
                return self.call()
            self.i = i + 1
            name = self.v[i]
            for seg in name.split("."):
                if seg in A.RESERVED:
                    raise _Decline
            return A.Path(name, span=self.span(i))
        if kind == "NUMBER":
            return self.number()
        if kind == "(":
            self.i = i + 1
            inner = self.expr()
            if self.k[self.i] != ")":
                raise _Decline
            self.i += 1
            return inner  # parentheses only group; the node keeps its own span
        if kind == "STRING":
            self.i = i + 1
            return A.String(_unescape(self.v[i]), span=self.span(i))
        if kind == "true" or kind == "false":
            self.i = i + 1
            return A.Boolean(kind == "true", span=self.span(i))
        if kind == "DATE":
            self.i = i + 1
            try:
                value = datetime.date.fromisoformat(self.v[i])
            except ValueError:
                raise _Decline from None
            return A.Date(value, span=self.span(i))
        if kind == "[":
            self.i = i + 1
            elems = []
            if self.k[self.i] != "]":
                elems.append(self.expr())
                while self.k[self.i] == ",":
                    self.i += 1
                    if self.k[self.i] == "]":
                        break
                    elems.append(self.expr())
            if self.k[self.i] != "]":
                raise _Decline
            j = self.i
            self.i += 1
            node = A.ListLit(tuple(elems), span=self.span2(i, j))
            if self.built is not None:
                self.built.append(node)
            return node
        raise _Decline

    def number(self) -> A.Node:
        i = self.i
        text = self.v[i]
        if _INT.fullmatch(text):
            if not int_digits_ok(text):
                raise _Decline
            value = int(text)
        else:
            value = float(text)
            if not math.isfinite(value):
                raise _Decline
        unit = None
        if self.k[i + 1] == "UNIT":
            unit = self.v[i + 1]
            found = units.lookup(unit)
            if found is None or not scaled_ok(value, found.factor):
                raise _Decline
            self.i = i + 2
            span = self.span2(i, i + 1)
        else:
            self.i = i + 1
            span = self.span(i)
        return A.Number(value, unit, span=span)

    def call(self) -> A.Node:
        j = self.i
        name = self.v[j]
        self.i = j + 2
        args: list = []
        if self.k[self.i] != ")":
            args.append(self.arg())
            while self.k[self.i] == ",":
                self.i += 1
                args.append(self.arg())
        if self.k[self.i] != ")":
            raise _Decline
        span = self.span2(j, self.i)
        self.i += 1
        if name in A.QUANTIFIERS:
            if len(args) != 1 or not isinstance(args[0], tuple):
                raise _Decline
            head, body = args[0]
            if not (
                type(head) is A.Compare
                and head.op == "in"
                and type(head.left) is A.Path
                and "." not in head.left.name
            ):
                raise _Decline
            node = A.Quantifier(name, head.left.name, head.right, body, span=span)
            if self.built is not None:
                self.built.append(node)
            return node
        if name not in A.FUNCTIONS:
            raise _Decline
        for a in args:
            if isinstance(a, tuple):
                raise _Decline
        lo, hi = _ARITY[name]
        if len(args) < lo or (hi is not None and len(args) > hi):
            raise _Decline
        if name == "known" and type(args[0]) is not A.Path:
            raise _Decline
        node = A.Call(name, tuple(args), span=span)
        if self.built is not None:
            self.built.append(node)
        return node

    def arg(self):
        head = self.expr()
        if self.k[self.i] == ":":
            self.i += 1
            return (head, self.expr())
        return head


def _too_deep(root: A.Node) -> bool:
    """Whether the tree is past the parser's limits (parser._Builder._mk):
    more than MAX_DEPTH nodes on one path down, or more than
    MAX_QUANTIFIER_DEPTH quantifiers.  A node's depth there only grows
    towards the root, so the deepest path decides (iterative)."""
    children, quantifier = A.children, A.Quantifier
    max_d, max_q = A.MAX_DEPTH, A.MAX_QUANTIFIER_DEPTH
    stack = [(root, 1, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        node, d, q = pop()
        if type(node) is quantifier:
            q += 1
            if q > max_q:
                return True
        if d > max_d:
            return True
        for kid in children(node):
            push((kid, d + 1, q))
    return False


def _limit_error(built: List[A.Node]) -> Optional[ExpressionSyntaxError]:
    """The error ``parser._Builder._mk`` raises for the first of ``built``
    (inner nodes, in lark's order) past ``MAX_DEPTH`` levels or
    ``MAX_QUANTIFIER_DEPTH`` quantifiers; a leaf is one level.  Its messages
    and position, word for word."""
    children, quantifier = A.children, A.Quantifier
    max_d, max_q = A.MAX_DEPTH, A.MAX_QUANTIFIER_DEPTH
    leaf = (1, 0)
    depth = {}
    get = depth.get
    for node in built:
        d, q = 1, 0
        for kid in children(node):
            kd, kq = get(id(kid), leaf)
            if kd >= d:
                d = kd + 1
            if kq > q:
                q = kq
        if d > max_d:
            return _limit(f"expression nested deeper than {max_d} levels; split it into smaller conditions", node.span)
        if type(node) is quantifier:
            q += 1
            if q > max_q:
                return _limit(f"any/all/count/sum nested deeper than {max_q} levels; split it into smaller conditions", node.span)
        depth[id(node)] = (d, q)
    return None


def _limit(message: str, span: A.Span) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(message, line=span.line, column=span.column,
                                 end_line=span.end_line, end_column=span.end_column, hint=None)


def _join(a: A.Span, b: A.Span) -> A.Span:
    return _span(a.line, a.column, b.end_line, b.end_column)


_new = object.__new__
_Span = A.Span
_set_line, _set_column, _set_end_line, _set_end_column = (
    _Span.__dict__[name].__set__ for name in ("line", "column", "end_line", "end_column"))


def _span(line: int, column: int, end_line: int, end_column: int) -> A.Span:
    """``A.Span(line, column, end_line, end_column)`` without attrs' frozen
    ``__init__`` (a ``object.__setattr__`` call per field): the same
    object, made some ten thousand times a rule set."""
    span = _new(_Span)
    _set_line(span, line)
    _set_column(span, column)
    _set_end_line(span, end_line)
    _set_end_column(span, end_column)
    return span


def _unescape(tok: str) -> str:
    body = tok[1:-1]
    if "\\" not in body:
        return body
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1] if i + 1 < len(body) else ""
            if nxt not in _ESCAPES:
                raise _Decline
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


#: this thread's last refusal (text, error) of an expression read whole but
#: nested past the limits, for :func:`refuse_deep` (each thread its own)
_REFUSED = threading.local()


def parse_fast(text: str) -> Optional[A.Node]:
    """The AST of ``text`` as the lark parser builds it, or ``None`` when
    this parser leaves ``text`` to lark (any error, or input past its limits)."""
    try:
        return _Parser(text).parse()
    except _Decline:
        return None
    except _TooDeep as exc:
        _REFUSED.last = (text, exc.error)
        return None
    except RecursionError:
        return None


def refuse_deep(text: str) -> None:
    """After :func:`parse_fast` declined ``text`` on this thread: raise the
    error lark would raise for it when the fast parser read it whole and
    found it nested past the limits (see the module's notes); otherwise
    nothing (lark reads it)."""
    got = getattr(_REFUSED, "last", None)
    if got is None:
        return
    _REFUSED.last = None
    if got[0] is text:
        raise got[1]


def parse_or_refuse(text: str) -> Optional[A.Node]:
    """:func:`parse_fast`, but an expression read whole and nested past the
    limits raises lark's :class:`ExpressionSyntaxError` (as
    :func:`refuse_deep`) instead of being left to lark."""
    try:
        return _Parser(text).parse()
    except _Decline:
        return None
    except _TooDeep as exc:
        raise exc.error from None
    except RecursionError:
        return None
