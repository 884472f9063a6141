"""The lint warning codes, where they are documented, and the warning record.

Shared by :mod:`safetyrules.authoring.lint` (which runs the checks), the
modules that contribute checks to it (``editions``, ``provenance_lint``) and
:mod:`safetyrules.authoring.sarif` (which describes the codes to
code-scanning UIs); kept apart so that none of those imports another and
``lint`` can import them all without a cycle.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import attrs

__all__ = ["CODES", "DOCS_URL", "ERROR_CODES", "LintWarning", "severity_of"]

# code -> (name, one-line description); docs/lint.md has an example of each.
CODES: Dict[str, Tuple[str, str]] = {
    "W101": ("constant-condition", "A condition, or part of one, is always true or always false."),
    "W201": ("table-gap", "Some input matches no row of a table that has no default."),
    "W202": ("table-overlap", "Some input matches two rows of a 'unique' table."),
    "W203": ("masked-row", "A row of a 'first' table can never be reached: earlier rows match every input it matches."),
    "W204": ("table-not-verified", "The table has too many combinations of values to verify."),
    "W205": ("unproven-table", "The level or tier table fails a property of `safetyrules prove` (a gap, a finding that lowers the level, an undetermined clause that looks safer found)."),
    "W301": ("missing-citation", "A clause's citation is empty or a placeholder."),
    "W302": ("no-examples", "A clause has no examples."),
    "W303": ("no-false-example", "A clause has no example where it is not found (expect: false)."),
    "W401": ("unused-fact", "A declared fact is read by no table, clause or decision."),
    "W402": ("exact-measurement", "'==' or '!=' compares a measured number (a fact with a unit) exactly."),
    # overlay provenance (supervision.md §8.5; safetyrules.authoring.provenance_lint)
    "L-PROV-MISSING": ("provenance-missing", "An enforcement item declares provenance but lacks its authority, document number, publication date or legal basis."),
    "L-PROV-UNPUBLISHED": ("provenance-unpublished", "An item is used before the date it was published."),
    "L-PROV-STALE": ("provenance-stale", "An item's basis was superseded more than 30 days ago, or its review date has passed."),
    "L-PROV-WEAKENS": ("provenance-weakens", "A local standard supersedes (masks or loosens) a national one."),
    "L-PROV-SCOPE": ("provenance-scope", "An item is applied to an entity outside its scope."),
    "W501": ("family-gap", "On some day of the range asked for (lint --gaps FROM:UNTIL), a standard family has no edition in force: its last edition ended and no later one is bundled."),
    "W403": ("confusable-name", "A fact name mixes scripts (Latin with Cyrillic or Greek), holds invisible or compatibility characters, or looks like another declared name."),
}
DOCS_URL = "https://github.com/safetyrules/safetyrules/blob/main/docs/lint.md"

#: The lint codes that are errors (lint exits 1 on them without --strict):
#: supervision.md §8.5 makes these provenance checks errors; L-PROV-STALE and
#: every W code are warnings.
ERROR_CODES = frozenset({"L-PROV-MISSING", "L-PROV-UNPUBLISHED", "L-PROV-WEAKENS", "L-PROV-SCOPE"})


def severity_of(code: str) -> str:
    """``"error"`` or ``"warning"``: the severity of a lint code."""
    return "error" if code in ERROR_CODES else "warning"


@attrs.frozen
class LintWarning:
    code: str
    message: str
    path: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    end_line: Optional[int] = None
    end_column: Optional[int] = None
    example: Optional[Dict[str, Any]] = None

    @property
    def name(self) -> str:
        return CODES[self.code][0]

    @property
    def severity(self) -> str:
        """``"error"`` for the codes of :data:`ERROR_CODES`, else ``"warning"``."""
        return severity_of(self.code)

    def format(self) -> str:
        loc = ":".join(str(x) for x in (self.path, self.line, self.column) if x is not None)
        return f"{loc}: {self.severity}: {self.message} [{self.code} {self.name}]"

    def diagnostic(self):
        """This warning as a :class:`safetyrules.diagnostics.Diagnostic`."""
        from safetyrules.diagnostics import Diagnostic, Location

        return Diagnostic(self.code, self.severity, self.message, Location(self.path, self.line, self.column))

    def to_dict(self) -> Dict[str, Any]:
        d: Dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
        }
        if self.end_line is not None:
            d["end_line"], d["end_column"] = self.end_line, self.end_column
        if self.example is not None:
            d["example"] = self.example
        return d
