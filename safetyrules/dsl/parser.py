"""Text → AST: one cached LALR parser over ``grammar.lark`` and a transformer
that builds :mod:`safetyrules.dsl.ast` nodes while parsing.

The transformer runs inside the LALR parser (no recursive tree walk), so deep
input cannot exhaust the stack here; nesting deeper than ``MAX_DEPTH`` (or
``any``/``all``/``count``/``sum`` nested deeper than ``MAX_QUANTIFIER_DEPTH``)
is refused with an :class:`ExpressionSyntaxError`.  Lark's exceptions never
escape: they are translated into plain-word messages with a position.

Thread safety: the one parser is shared by every thread, and lark keeps each
parse's state in that call; the depth bookkeeping is this module's only
mutable state, and it lives in a ``threading.local``, fresh for every call
of :func:`parse`, so one thread's parse never sees (or resets) another's.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import math
import re
import threading
from importlib import resources
from typing import Dict, Optional, Tuple

import lark
from lark import Token

from .. import units
from ..errors import ExpressionSyntaxError, SafetyRulesError
from ..limits import MAX_INT_DIGITS, int_digits_ok, scaled_ok
from . import ast as A
from .fastparse import MAX_LENGTH, parse_fast, refuse_deep, refuse_early

__all__ = ["parse", "parse_lark"]


def _pos(tok: Token) -> A.Span:
    return A.Span(tok.line, tok.column, tok.end_line, tok.end_column)


def _join(a: A.Span, b: A.Span) -> A.Span:
    return A.Span(a.line, a.column, b.end_line, b.end_column)


def _err(msg: str, span: A.Span, hint: Optional[str] = None) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(
        msg,
        line=span.line,
        column=span.column,
        end_line=span.end_line,
        end_column=span.end_column,
        hint=hint,
    )


def _did_you_mean(word: str, choices) -> Optional[str]:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


_ESCAPES = {"\\": "\\", "'": "'", '"': '"'}


class _Builder(lark.Transformer):
    """Called by the LALR parser for each reduced rule (bottom-up)."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self._local = threading.local()

    # -- per-call state --------------------------------------------------
    def begin(self) -> None:
        """Start a parse on this thread: fresh depth bookkeeping."""
        self._local.depth = {}

    def end(self) -> None:
        self._local.depth = None

    # -- helpers -------------------------------------------------------
    def _mk(self, node: A.Node, *kids: A.Node) -> A.Node:
        # id(node) -> (operator depth, quantifier depth); only this thread's
        # current parse writes or reads this dict.
        depth: Dict[int, Tuple[int, int]] = self._local.depth
        d = 1 + max((depth.get(id(k), (1, 0))[0] for k in kids), default=0)
        if d > A.MAX_DEPTH:
            raise _err(
                f"expression nested deeper than {A.MAX_DEPTH} levels; split it into smaller conditions",
                node.span,
            )
        q = max((depth.get(id(k), (1, 0))[1] for k in kids), default=0)
        if isinstance(node, A.Quantifier):
            q += 1
            if q > A.MAX_QUANTIFIER_DEPTH:
                raise _err(
                    f"any/all/count/sum nested deeper than {A.MAX_QUANTIFIER_DEPTH} levels; "
                    "split it into smaller conditions",
                    node.span,
                )
        depth[id(node)] = (d, q)
        return node

    def __default__(self, data, children, meta):
        # Lark's own helper rules for repetition ("__x_star_1") are inlined
        # into their parent when returned as trees; any other rule without a
        # builder is a grammar bug.
        if str(data).startswith("_"):
            return lark.Tree(data, children, meta)
        raise AssertionError(f"grammar rule {data!r} has no AST builder")  # pragma: no cover

    # -- boolean -------------------------------------------------------
    def or_(self, items):
        if len(items) == 1:  # lark keeps aliased "?" rules; a lone operand is itself
            return items[0]
        ops = tuple(items[0::2])
        return self._mk(A.Or(ops, span=_join(ops[0].span, ops[-1].span)), *ops)

    def and_(self, items):
        if len(items) == 1:
            return items[0]
        ops = tuple(items[0::2])
        return self._mk(A.And(ops, span=_join(ops[0].span, ops[-1].span)), *ops)

    def not_(self, items):
        tok, operand = items
        return self._mk(A.Not(operand, span=_join(_pos(tok), operand.span)), operand)

    def comp_op(self, items):
        if len(items) == 2:
            return Token("COMPOP", "not in", start_pos=items[0].start_pos,
                         line=items[0].line, column=items[0].column,
                         end_line=items[1].end_line, end_column=items[1].end_column)
        return items[0]

    def compare(self, items):
        left, op, right = items
        return self._mk(
            A.Compare(str(op), left, right, span=_join(left.span, right.span)), left, right
        )

    def arith(self, items):
        node = items[0]
        for i in range(1, len(items), 2):
            right = items[i + 1]
            node = self._mk(
                A.Arith(str(items[i]), node, right, span=_join(node.span, right.span)),
                node,
                right,
            )
        return node

    def neg(self, items):
        tok, operand = items
        return self._mk(A.Neg(operand, span=_join(_pos(tok), operand.span)), operand)

    # -- atoms ---------------------------------------------------------
    def number(self, items):
        tok = items[0]
        text = str(tok)
        if re.fullmatch(r"[0-9]+", text):
            if not int_digits_ok(text):
                # int() itself refuses past 4,300 digits, with a ValueError
                raise _err(f"number {text[:10]}… has more than {MAX_INT_DIGITS} digits", _pos(tok))
            value = int(text)
        else:
            value = float(text)
            if not math.isfinite(value):
                raise _err(f"number {text} is too large", _pos(tok))
        span = _pos(tok)
        unit = None
        if len(items) > 1 and items[1] is not None:
            utok = items[1]
            unit = str(utok)
            span = _join(span, _pos(utok))
            if units.lookup(unit) is None:
                raise _err(
                    f"unknown unit '{unit}'",
                    _pos(utok),
                    _did_you_mean(unit, units.known_unit_names()),
                )
            if not scaled_ok(value, units.lookup(unit).factor):
                raise _err(f"number {text} {unit} is too large", span)
        return self._mk(A.Number(value, unit, span=span))

    def string(self, items):
        tok = items[0]
        body = str(tok)[1:-1]
        out = []
        i = 0
        while i < len(body):
            ch = body[i]
            if ch == "\\":
                nxt = body[i + 1] if i + 1 < len(body) else ""
                if nxt not in _ESCAPES:
                    raise _err(
                        f"unknown escape '\\{nxt}' in string; only \\\\, \\' and \\\" are allowed",
                        _pos(tok),
                    )
                out.append(_ESCAPES[nxt])
                i += 2
            else:
                out.append(ch)
                i += 1
        return self._mk(A.String("".join(out), span=_pos(tok)))

    def true(self, items):
        return self._mk(A.Boolean(True, span=_pos(items[0])))

    def false(self, items):
        return self._mk(A.Boolean(False, span=_pos(items[0])))

    def date(self, items):
        tok = items[0]
        try:
            value = datetime.date.fromisoformat(str(tok))
        except ValueError:
            raise _err(f"'{tok}' is not a calendar date", _pos(tok)) from None
        return self._mk(A.Date(value, span=_pos(tok)))

    def list_(self, items):
        lsq, *rest = items
        rsq = rest[-1]
        elems = tuple(x for x in rest[:-1] if x is not None)
        return self._mk(A.ListLit(elems, span=_join(_pos(lsq), _pos(rsq))), *elems)

    def path(self, items):
        tok = items[0]
        name = str(tok)
        for seg in name.split("."):
            if seg in A.RESERVED:
                raise _err(f"'{seg}' is a reserved word and cannot be part of a fact name", _pos(tok))
        return self._mk(A.Path(name, span=_pos(tok)))

    def paren(self, items):
        inner = items[1]
        # Parentheses only group; the node keeps its own span.
        return inner

    def binder(self, items):
        left, _colon, body = items
        return ("binder", left, body, _colon)

    def call(self, items):
        tok, _lpar, *args, rpar = items
        args = [a for a in args if a is not None]
        name = str(tok)
        span = _join(_pos(tok), _pos(rpar))
        if name in A.QUANTIFIERS:
            return self._quantifier(name, args, span, tok)
        for a in args:
            if isinstance(a, tuple):
                raise _err(f"':' is only allowed in any(), all(), count() and sum()", _pos(a[3]))
        if name not in A.FUNCTIONS:
            raise _err(
                f"unknown function '{name}'",
                _pos(tok),
                _did_you_mean(name, sorted(A.FUNCTIONS | A.QUANTIFIERS)),
            )
        arity = {"known": (1, 1), "abs": (1, 1), "len": (1, 1), "days": (2, 2),
                 "min": (1, None), "max": (1, None), "at_least": (2, None)}[name]
        lo, hi = arity
        if len(args) < lo or (hi is not None and len(args) > hi):
            want = f"{lo}" if lo == hi else f"at least {lo}"
            raise _err(f"{name}() takes {want} argument{'s' if lo != 1 else ''}, got {len(args)}", span)
        if name == "known" and not isinstance(args[0], A.Path):
            raise _err("known() takes a fact name, e.g. known(dust.removal.separated)", args[0].span)
        return self._mk(A.Call(name, tuple(args), span=span), *args)

    def _quantifier(self, name, args, span, tok):
        usage = f"{name}() is written {name}(x in LIST: condition)"
        if len(args) != 1 or not isinstance(args[0], tuple):
            raise _err(usage, span)
        _tag, head, body, _colon = args[0]
        if not (
            isinstance(head, A.Compare)
            and head.op == "in"
            and isinstance(head.left, A.Path)
            and "." not in head.left.name
        ):
            raise _err(usage, head.span)
        return self._mk(
            A.Quantifier(name, head.left.name, head.right, body, span=span), head.right, body
        )


_GRAMMAR_FILE = "grammar.lark"


@functools.lru_cache(maxsize=1)
def _grammar_text() -> str:
    return resources.files(__package__).joinpath(_GRAMMAR_FILE).read_text(encoding="utf-8")


class _Parser:
    """The one LALR parser, shared by all threads (see the module's notes)."""

    def __init__(self) -> None:
        self.builder = _Builder()
        self.lark = lark.Lark(
            _grammar_text(),
            parser="lalr",
            lexer="contextual",
            transformer=self.builder,
            maybe_placeholders=True,
        )


@functools.lru_cache(maxsize=1)
def _parser() -> _Parser:
    return _Parser()


_TOKEN_WORDS = {
    "PATH": "a fact name",
    "NUMBER": "a number",
    "STRING": "a string",
    "DATE": "a date",
    "TRUE": "'true'",
    "FALSE": "'false'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COLON": "':'",
    "COMMA": "','",
    "OR": "'or'",
    "AND": "'and'",
    "NOT": "'not'",
    "IN": "'in'",
    "COMPOP": "a comparison",
    "ADDOP": "'+' or '-'",
    "MULOP": "'*' or '/'",
    "MINUS": "'-'",
    "UNIT": "a unit",
    "$END": "the end of the expression",
}
_OPERAND_STARTS = {"PATH", "NUMBER", "STRING", "DATE", "TRUE", "FALSE", "LPAR", "LSQB", "MINUS", "NOT"}
_PREV_TOKEN = re.compile(
    r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|not\s+in|[\w.%°²³/]+|==|!=|<=|>=|[^\s\w])\s*$"""
)


def _previous_token(text: str, pos: int) -> Optional[str]:
    m = _PREV_TOKEN.search(text[:pos])
    return m.group(1) if m else None


def _describe(expected) -> str:
    words = sorted({_TOKEN_WORDS.get(t, t.lower()) for t in expected if not t.startswith("__")})
    if not words:
        return "something else"
    if len(words) > 4:
        words = words[:4] + ["…"]
    return ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1]


def _line_col(text: str, pos: int):
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _translate(text: str, exc: Exception) -> ExpressionSyntaxError:
    """A lark exception → a plain-word ExpressionSyntaxError."""
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        pos = exc.pos_in_stream
        ch = text[pos] if pos < len(text) else ""
        line, col = _line_col(text, pos)
        if ch in "'\"":
            msg = "unterminated string: add the closing quote"
        elif ch == "=":
            msg = "unexpected '='; use '==' to compare"
        elif ch == "&" or ch == "|":
            msg = f"unexpected '{ch}'; write 'and' / 'or'"
        elif ch == "." and re.match(r"\.(and|or|not|in|true|false)\b", text[pos:]):
            word = re.match(r"\.(\w+)", text[pos:]).group(1)
            msg = f"'{word}' is a reserved word and cannot be part of a fact name"
        elif ch == "!":
            msg = "unexpected '!'; write 'not' or '!='"
        else:
            prev = _previous_token(text, pos)
            msg = f"unexpected character {ch!r}" + (f" after '{prev}'" if prev else "")
        return ExpressionSyntaxError(msg, line=line, column=col, end_line=line, end_column=col + 1)
    if isinstance(exc, lark.exceptions.UnexpectedInput):
        tok = getattr(exc, "token", None)
        expected = set(getattr(exc, "expected", None) or getattr(exc, "accepts", None) or ())
        at_end = tok is None or tok.type == "$END"
        if at_end:
            pos = len(text.rstrip())
            line, col = _line_col(text, pos)
            end_line, end_col = line, col
            shown = "the end"
        else:
            pos = tok.start_pos
            line, col = tok.line, tok.column
            end_line, end_col = tok.end_line, tok.end_column
            shown = f"'{tok}'"
        prev = _previous_token(text, pos)
        if (
            not at_end
            and tok.type in ("COMPOP", "IN")
            and "COMPOP" not in expected
            and expected & {"AND", "OR", "$END", "RPAR"}
        ):
            msg = "comparisons cannot be chained; write 'a < b and b < c'"
        elif expected & _OPERAND_STARTS and not expected - _OPERAND_STARTS - {"RSQB", "RPAR", "COLON"}:
            if prev is None:
                msg = "expected an expression" if at_end else f"expected an operand, found {shown}"
            else:
                msg = f"expected an operand after '{prev}'" + ("" if at_end else f", found {shown}")
        elif expected & {"AND", "OR", "COMPOP", "ADDOP", "MULOP"} and not at_end:
            msg = f"unexpected {shown}" + (f" after '{prev}'" if prev else "")
            msg += ": expected an operator such as 'and', 'or', '==' or '+'"
            if "$END" in expected:
                msg += ", or the end of the expression"
        elif at_end:
            msg = f"unexpected end of expression: expected {_describe(expected)}"
            if prev is not None:
                msg += f" after '{prev}'"
        else:
            msg = f"unexpected {shown}" + (f" after '{prev}'" if prev else "")
            msg += f": expected {_describe(expected)}"
        return ExpressionSyntaxError(msg, line=line, column=col, end_line=end_line, end_column=end_col)
    return ExpressionSyntaxError(f"cannot parse expression: {exc}", line=1, column=1)


def parse(text: str) -> A.Node:
    """Parse expression text into an AST.

    Raises :class:`ExpressionSyntaxError` (a :class:`SafetyRulesError`) with a
    1-based line and column relative to ``text`` for any malformed input.
    """
    refuse_early(text)
    # The hand-written parser (fastparse.py) builds the same AST several
    # times faster; it leaves any input it does not accept (every error among
    # them) to lark, which raises the error.
    node = parse_fast(text)
    if node is not None:
        return node
    refuse_deep(text)  # read whole but nested too deep: lark's error, without lark
    return _parse_lark(text)


def parse_lark(text: str) -> A.Node:
    """:func:`parse` by the lark parser alone (the reference the fast path is
    tested against; also what :func:`parse` does for input the fast path
    leaves alone)."""
    refuse_early(text)
    return _parse_lark(text)


def _parse_lark(text: str) -> A.Node:
    p = _parser()
    p.builder.begin()
    try:
        return p.lark.parse(text)
    except SafetyRulesError:
        raise
    except lark.exceptions.LarkError as exc:
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, SafetyRulesError):
            raise inner from None
        raise _translate(text, exc) from None
    except RecursionError:  # defensive: the LALR parser itself is iterative
        raise ExpressionSyntaxError("expression is nested too deeply", line=1, column=1) from None
    finally:
        p.builder.end()
