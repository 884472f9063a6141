"""Run the ``examples:`` written next to the rules (``safetyrules test``).

A clause example evaluates the clause's own condition (``when`` and not
``unless``; ``applies_when`` is not part of it) on the example's facts; a
table example evaluates the table alone and applies its hit policy.  Failures
are reported against the example's own file and line, as an author wrote it.
"""

from __future__ import annotations

import datetime
import fnmatch
import os
import time
from typing import Any, Collection, Dict, List, Optional
from xml.etree import ElementTree as ET

import attrs

from safetyrules import dsl
from safetyrules.errors import SafetyRulesError
from safetyrules.engine.facts import check_facts
from safetyrules.engine.ruleset import decide_table
from safetyrules.frozen import thaw
from safetyrules.limits import parse_date

__all__ = ["ExampleResult", "run_examples", "write_junit", "example_env", "load_failure", "matches", "example_errors"]

_EXPECT_WORDS = {True: "true", False: "false", None: "unknown"}


@attrs.frozen
class ExampleResult:
    """One example's outcome."""

    suite: str  # standard or table id
    case: str  # clause id / table id, plus the example's name or number
    path: str
    line: int
    column: int
    passed: bool
    message: str = ""
    seconds: float = 0.0
    # for coverage: what the example exercised
    kind: str = "clause"  # clause | table
    target: str = ""
    value: Any = None


def _show(v: Any) -> str:
    if v is None or v is True or v is False:
        return _EXPECT_WORDS[v]
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    return repr(v) if isinstance(v, str) else str(v)


def _same(got: Any, want: Any) -> bool:
    """Example equality: unknown only equals unknown; numbers by value;
    otherwise same type and value (so ``true`` never equals ``1``)."""
    if got is None or want is None:
        return got is want
    num = (int, float)
    if isinstance(got, num) and isinstance(want, num) and not isinstance(got, bool) and not isinstance(want, bool):
        return got == want
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(_same(a, b) for a, b in zip(got, want))
    return type(got) is type(want) and got == want


def example_env(rules, facts) -> Dict[str, Any]:
    """The checked facts of an ``examples:`` entry (``as_of`` and
    ``findings.*`` counts allowed), ready for :func:`dsl.evaluate_ast`."""
    facts = thaw(facts or {})
    as_of = facts.pop("as_of", None)
    builtin = {k: facts.pop(k) for k in list(facts) if isinstance(k, str) and k.startswith("findings.")}
    env = check_facts(facts, rules.vocabulary)
    for k, v in builtin.items():
        if k not in rules.vocabulary or isinstance(v, bool) or not isinstance(v, int):
            from safetyrules.errors import FactsError

            raise FactsError(f"'{k}' must be a whole number (a findings count)", fact=k)
        env[k] = v
    env["as_of"] = parse_date(str(as_of)) if as_of else datetime.date.today()
    return env


def _fact_steps(data: Any, fact: str) -> Optional[tuple]:
    """The data path of ``fact`` (``a.b``, ``items[1].k``) inside a facts
    mapping as written, dotted keys and nested mappings alike; None if it
    is not there."""
    import re

    steps: list = []
    node, rest = data, fact
    while rest:
        if isinstance(node, list):
            m = re.match(r"\[(\d+)\]\.?", rest)
            if not m or int(m.group(1)) >= len(node):
                return None
            steps.append(int(m.group(1)))
            node, rest = node[int(m.group(1))], rest[m.end():]
            continue
        if not isinstance(node, dict):
            return None
        keys = [k for k in node if isinstance(k, str) and (rest == k or rest.startswith(k + ".") or rest.startswith(k + "["))]
        if not keys:
            return None
        k = max(keys, key=len)
        steps.append(k)
        node, rest = node[k], rest[len(k):].removeprefix(".")
    return tuple(steps)


def _locate_fact(example_pos, err: SafetyRulesError):
    """(line, column) of the fact a :class:`FactsError` names, inside the
    example at ``example_pos`` (its key when the fact is undeclared, else
    its value); the example's own position when it cannot be found."""
    fallback = (example_pos.line, example_pos.column)
    fact = getattr(err, "fact", None)
    if not fact:
        return fallback
    from safetyrules.source.files import read_rule_file

    doc, _errs = read_rule_file(example_pos.path)
    if doc is None:
        return fallback
    for path, loc in doc.values.items():
        if (loc.line, loc.column) == fallback and len(path) >= 2 and path[-2] == "examples":
            facts: Any = doc.data
            for k in path + ("facts",):
                try:
                    facts = facts[k]
                except (KeyError, IndexError, TypeError):
                    return fallback
            steps = _fact_steps(facts, fact)
            if steps is None:
                return fallback
            undeclared = err.message.startswith("unknown fact") or "not declared" in err.message
            at = doc.loc(path + ("facts",) + steps, key=undeclared)
            return (at.line, at.column)
    return fallback


def matches(pattern: Optional[str], *names: str) -> bool:
    """``test -k PATTERN``: true when ``pattern`` is None, or one of
    ``names`` contains it (case-insensitively), or matches it as a glob
    (``*``, ``?``, ``[...]``) — as pytest's ``-k`` selects by substring."""
    if not pattern:
        return True
    p = pattern.lower()
    glob = any(ch in p for ch in "*?[")
    return any((fnmatch.fnmatchcase(n.lower(), p) if glob else p in n.lower()) for n in names)


def _in_scope(only_files: Optional[Collection[str]], path: str) -> bool:
    return only_files is None or os.path.abspath(path) in only_files


def load_failure(path: str, error: SafetyRulesError) -> ExampleResult:
    """A rule set that fails to load, as one failing result (so a JUnit file
    records it as a failing test, not as 0 tests)."""
    errors = getattr(error, "errors", None) or [error]
    first = errors[0]
    text = "\n".join(e.format() for e in errors)
    return ExampleResult(
        "load", f"load {path}", first.path or path, first.line or 1, first.column or 1, False,
        f"rule set does not load ({len(errors)} error{'s' if len(errors) != 1 else ''}): {first.message}\n{text}",
        0.0, "load", path, None,
    )


def run_examples(rules, *, only_files: Optional[Collection[str]] = None, pattern: Optional[str] = None) -> List[ExampleResult]:
    """Run every example of every clause and table of a loaded rule set.

    ``only_files`` (absolute paths) keeps the examples written in those files
    (``safetyrules test`` passes an overlay's own files); ``pattern`` keeps
    those whose standard/table id, clause id or example label matches
    (:func:`matches`)."""
    results: List[ExampleResult] = []
    for c in rules.plan.clauses:
        node = c.own_condition
        for ex in c.examples:
            label = f"{c.id} example {ex.index + 1}" + (f" ({ex.name})" if ex.name else "")
            if not _in_scope(only_files, ex.position.path) or not matches(pattern, c.standard, c.id, f"{c.standard}:{c.id}", label, ex.name or ""):
                continue
            t0 = time.perf_counter()
            where = (ex.position.line, ex.position.column)
            try:
                env = example_env(rules, ex.facts)
                got = dsl.evaluate_ast(node, env)
                want = None if ex.expect in (None, "unknown") else ex.expect
                ok = got is want
                msg = "" if ok else f"{label}: expected {_show(want)}, got {_show(got)}"
                if not ok and got is None:
                    miss = dsl.missing(node, env)
                    if miss:
                        msg += f" (missing: {', '.join(miss)})"
            except SafetyRulesError as err:
                ok, got, msg = False, None, f"{label}: {err.message}" + (f" ({err.hint})" if getattr(err, "hint", None) else "")
                where = _locate_fact(ex.position, err)
            results.append(
                ExampleResult(c.standard, label, ex.position.path, *where, ok, msg,
                              time.perf_counter() - t0, "clause", f"{c.standard}/{c.id}", got)
            )
    for t in rules.plan.tables:
        for ex in t.examples:
            label = f"{t.id} example {ex.index + 1}" + (f" ({ex.name})" if ex.name else "")
            if not _in_scope(only_files, ex.position.path) or not matches(pattern, t.id, label, ex.name or ""):
                continue
            t0 = time.perf_counter()
            where = (ex.position.line, ex.position.column)
            try:
                env = example_env(rules, ex.facts)
                vals = [dsl.evaluate_ast(n, env) for n in t.conditions]
                res = decide_table(t, vals, [])
                got = res.value if res.known else None
                want = None if ex.expect in (None, "unknown") else thaw(ex.expect)
                ok = _same(got, want)
                msg = "" if ok else f"{label}: expected {_show(want)}, got {_show(got)}"
            except SafetyRulesError as err:
                ok, got, msg = False, None, f"{label}: {err.message}" + (f" ({err.hint})" if getattr(err, "hint", None) else "")
                where = _locate_fact(ex.position, err)
            results.append(
                ExampleResult(t.id, label, ex.position.path, *where, ok, msg,
                              time.perf_counter() - t0, "table", t.id, got)
            )
    return results


def _expect_loc(example_pos):
    """(line, column) of an example's ``expect:`` value (the example's own
    position when it cannot be found)."""
    from safetyrules.source.files import read_rule_file

    doc, _errs = read_rule_file(example_pos.path)
    if doc is not None:
        for path, loc in doc.values.items():
            if (loc.line, loc.column) == (example_pos.line, example_pos.column) and len(path) >= 2 and path[-2] == "examples":
                at = doc.loc(path + ("expect",))
                return at.line, at.column
    return example_pos.line, example_pos.column


def example_errors(rules, *, only_files: Optional[Collection[str]] = None) -> List[SafetyRulesError]:
    """What ``validate`` (and ``lint``) find wrong in the ``examples:`` of a
    loaded rule set without running them: a fact no vocabulary declares, a
    value of the wrong type or out of bounds (each at the fact, as ``test``
    reports it), and a table example expecting a value outside the output's
    declared ``values``.  ``only_files`` as for :func:`run_examples`."""
    from safetyrules.errors import RuleFileError

    out: List[SafetyRulesError] = []

    def facts_ok(ex, label) -> None:
        try:
            example_env(rules, ex.facts)
        except SafetyRulesError as err:
            line, column = _locate_fact(ex.position, err)
            hint = getattr(err, "hint", None)
            fact = getattr(err, "fact", None)
            if hint is None and fact and err.message.startswith("unknown fact"):
                import difflib

                close = difflib.get_close_matches(fact, [k for k in rules.vocabulary if isinstance(k, str)], n=1)
                hint = f"did you mean '{close[0]}'?" if close else None
            out.append(RuleFileError(f"{label}: {err.message}", path=ex.position.path, line=line, column=column,
                                     code=getattr(err, "code", None) or "E-FACTS", hint=hint))

    for c in rules.plan.clauses:
        for ex in c.examples:
            if _in_scope(only_files, ex.position.path):
                facts_ok(ex, f"{c.id} example {ex.index + 1}" + (f" ({ex.name})" if ex.name else ""))
    for t in rules.plan.tables:
        values = tuple(t.output_values or ())
        for ex in t.examples:
            if not _in_scope(only_files, ex.position.path):
                continue
            label = f"{t.id} example {ex.index + 1}" + (f" ({ex.name})" if ex.name else "")
            facts_ok(ex, label)
            want = thaw(ex.expect)
            if not values or want is None or want == "unknown":
                continue
            wanted = want if isinstance(want, list) else [want]
            bad = [w for w in wanted if not isinstance(w, str) or w not in values]
            if bad:
                line, column = _expect_loc(ex.position)
                out.append(RuleFileError(
                    f"{label}: expect {_show(bad[0])} is not one of the declared values ({', '.join(values)}) for '{t.output}'",
                    path=ex.position.path, line=line, column=column, code="E-CHECK"))
    return out


def write_junit(results: List[ExampleResult], path: str) -> None:
    """Write results as JUnit XML (one testsuite per standard/table)."""
    suites: Dict[str, List[ExampleResult]] = {}
    for r in results:
        suites.setdefault(r.suite, []).append(r)
    root = ET.Element(
        "testsuites",
        name="safetyrules",
        tests=str(len(results)),
        failures=str(sum(not r.passed for r in results)),
    )
    for name in sorted(suites):
        rs = suites[name]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=name,
            tests=str(len(rs)),
            failures=str(sum(not r.passed for r in rs)),
            time=f"{sum(r.seconds for r in rs):.6f}",
        )
        for r in rs:
            case = ET.SubElement(
                suite, "testcase", classname=name, name=r.case, file=r.path, line=str(r.line), time=f"{r.seconds:.6f}"
            )
            if not r.passed:
                fail = ET.SubElement(case, "failure", message=r.message)
                fail.text = f"{r.path}:{r.line}:{r.column}: {r.message}"
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
