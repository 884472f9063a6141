"""The one error hierarchy of safetyrules.

Every error the library raises on purpose derives from :class:`SafetyRulesError`
and carries where it happened: a rule file position (``path``, ``line``,
``column``, 1-based), a fact path, or an expression position.  Errors have a
stable ``code`` (documented in ``docs/errors.md``) so tools can filter them.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "SafetyRulesError",
    "ExpressionError",
    "ExpressionSyntaxError",
    "CheckError",
    "EvaluationError",
    "RuleFileError",
    "RuleSetError",
    "FactsError",
]


class SafetyRulesError(Exception):
    """Base of every error safetyrules raises on purpose.

    Attributes: ``message`` (one sentence), ``code`` (stable, e.g. ``E-SYNTAX``),
    ``path``/``line``/``column`` (1-based; ``None`` where not known),
    ``end_line``/``end_column`` and ``hint`` (a did-you-mean, or ``None``).
    """

    code = "E-SAFETYRULES"

    def __init__(
        self,
        message: str,
        *,
        path: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
        end_line: Optional[int] = None,
        end_column: Optional[int] = None,
        code: Optional[str] = None,
        hint: Optional[str] = None,
    ) -> None:
        message = _writable(message)
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.hint = _writable(hint)
        if code is not None:
            self.code = code

    def location(self) -> str:
        """``PATH:LINE:COL`` as far as it is known (may be empty)."""
        parts = []
        if self.path is not None:
            parts.append(str(self.path))
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def format(self, severity: str = "error") -> str:
        """The one-line form printed by the command line."""
        loc = self.location()
        text = self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return f"{loc}: {severity}: {text}" if loc else f"{severity}: {text}"

    def __str__(self) -> str:
        return self.format()

    def __reduce__(self):  # keep errors picklable across process pools
        return (
            _rebuild,
            (
                type(self),
                self.message,
                dict(self.__dict__),
            ),
        )


def _writable(text):
    """``text`` as UTF-8 can carry it: a lone surrogate (from a fact name or
    value given through the API, ``{"\\ud800": 1}``) becomes its escape
    ``\\ud800``, so an error echoing input can always be printed and sent as
    JSON (it made ``str(err)`` and the service's 422 fail with
    UnicodeEncodeError)."""
    if type(text) is str and not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _rebuild(cls, message, state):
    obj = cls.__new__(cls)
    Exception.__init__(obj, message)
    obj.__dict__.update(state)
    return obj


class ExpressionError(SafetyRulesError):
    """An error inside one expression; ``line``/``column`` are relative to the
    expression text (line 1, column 1 is its first character) until a rule-file
    loader maps them into the file with :meth:`relocate`."""

    code = "E-EXPR"

    def relocate(self, path, line_of, column_of) -> "ExpressionError":
        """Map expression-relative positions into a file (in place)."""
        self.path = path
        if self.line is not None:
            ln, col = self.line, self.column or 1
            self.line, self.column = line_of(ln, col), column_of(ln, col)
        if self.end_line is not None:
            ln, col = self.end_line, self.end_column or 1
            self.end_line, self.end_column = line_of(ln, col), column_of(ln, col)
        return self


class ExpressionSyntaxError(ExpressionError):
    """The expression text does not parse."""

    code = "E-SYNTAX"


class CheckError(ExpressionError):
    """The expression parses but is wrong against the vocabulary: an unknown
    name, a type mismatch, incompatible units, an undeclared enum value."""

    code = "E-CHECK"


class EvaluationError(ExpressionError):
    """A run-time type error when evaluating without a vocabulary
    (``'a' < 1``, ``1 and true``)."""

    code = "E-EVAL"


class RuleFileError(SafetyRulesError):
    """A rule file is malformed: YAML, schema, or a reference between files.
    ``path``, ``line`` and ``column`` locate it."""

    code = "E-RULEFILE"


class RuleSetError(RuleFileError):
    """Several rule-file errors collected from one load; ``errors`` holds them,
    best first, and the message is the first."""

    code = "E-RULESET"

    def __init__(self, errors) -> None:
        errors = list(errors)
        first = errors[0]
        more = len(errors) - 1
        msg = first.message + (f" (and {more} more error{'s' if more > 1 else ''})" if more else "")
        super().__init__(
            msg,
            path=first.path,
            line=first.line,
            column=first.column,
            code=first.code,
            hint=first.hint,
        )
        self.errors = errors


class FactsError(SafetyRulesError):
    """Input facts are wrong: an undeclared fact, a value of the wrong type, an
    unknown enum value.  ``fact`` is the dotted path; ``line`` is the input
    line for JSON Lines."""

    code = "E-FACTS"

    def __init__(self, message: str, *, fact: Optional[str] = None, **kw) -> None:
        super().__init__(message, **kw)
        self.fact = _writable(fact)
