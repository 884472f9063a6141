"""A generated JSON writer for a decision's findings, per layout.

``to_json()`` must give exactly the bytes of ``json.dumps(to_dict(),
sort_keys=True, ensure_ascii=False, separators=(",", ":"))``.  The findings
are most of those bytes and mostly static: for each clause, everything but
its ``facts`` is written once, here, by ``json.dumps`` itself; the generated
function joins those fragments with the facts of the found clauses, each
value written as ``json`` writes it (``repr`` of numbers, ``true`` /
``false``, the pre-encoded text of enum values, ``encode_basestring`` of
other text).  A finding with an unknown or list-valued fact takes the
general path (``json.dumps`` of its facts).

Generated from the layout (checked plan data) only: every fragment is a
named constant, never source text.
"""

from __future__ import annotations

import datetime
import json
import threading
from json.encoder import encode_basestring
from typing import Any, Callable, Dict, List, Mapping

from safetyrules.backends.layout import Layout, is_unknown

__all__ = ["findings_writer", "dumps", "jsonable"]

_PLAIN = frozenset((str, int, float, bool, type(None)))


def jsonable(value: Any) -> Any:
    """Facts → JSON-ready values (dates as ISO text)."""
    if type(value) in _PLAIN:  # the common case, without ABC checks
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def dumps(data: Any) -> str:
    """The canonical compact JSON of ``data``."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _facts_json(pairs) -> str:
    return dumps({k: jsonable(v) for k, v in pairs if not is_unknown(v)})


def _static(c) -> tuple:
    """``(before facts, after facts)`` of one clause's finding object."""
    fields = {"category": c.category, "cite": c.cite, "clause": c.id, "facts": 0, "severity": c.severity,
              "standard": c.standard, "status": c.status, "title": dict(c.title), "version": c.version}
    text = dumps(fields)
    cut = text.index('"facts":0') + len('"facts":')
    return text[:cut], text[cut + 1:]


_lock = threading.Lock()
_cache: Dict[int, Callable] = {}


def findings_writer(layout: Layout) -> Callable[[tuple, tuple], str]:
    """``write(clause_values, values) -> str``: the JSON array of the
    findings, for results of ``layout`` (generated once per layout)."""
    fn = _cache.get(id(layout))
    if fn is not None and fn.layout is layout:  # type: ignore[attr-defined]
        return fn
    with _lock:
        fn = _build(layout)
        fn.layout = layout  # type: ignore[attr-defined]
        if len(_cache) > 256:
            _cache.clear()
        _cache[id(layout)] = fn
    return fn


def _value_code(name: str, v: str, layout: Layout, ns: Dict[str, Any], n: List[int]):
    """(expression writing local ``v`` as JSON, expression true when it is
    known), or None when the general path should write it."""
    plan = layout.plan
    spec = plan.facts.get(name)
    if spec is None:
        spec = plan.types.get(name)
    kind = getattr(spec, "type", None)
    if kind == "bool":
        return f"_B[{v}]", f"{v} is not None"
    if kind in ("integer", "number"):
        return f"_repr({v})", f"({v} is not None and {v} == {v})"
    if kind == "enum" and spec.values:
        n[0] += 1
        table = f"_E{n[0]}"
        ns[table] = {x: encode_basestring(x) for x in spec.values}
        return f"{table}[{v}]", f"{v} is not None"
    if kind == "string":
        return f"_str({v})", f"{v} is not None"
    if kind == "date":
        return f"_date({v})", f"{v} is not None"
    return None


def _build(layout: Layout) -> Callable:
    ns: Dict[str, Any] = {"_repr": repr, "_str": encode_basestring, "_facts": _facts_json,
                          "_B": {True: "true", False: "false"},
                          "_date": lambda d: '"' + d.isoformat() + '"'}
    n = [0]
    keys = layout.keys
    val_locals = [f"v{i}" for i in range(len(keys))]
    clause_locals = [f"c{i}" for i in range(len(layout.clauses))]
    lines = ["def write(cv, vals):"]
    if keys:
        lines.append(f"    {', '.join(val_locals)}{',' if len(keys) == 1 else ''} = vals")
    if clause_locals:
        lines.append(f"    {', '.join(clause_locals)}{',' if len(clause_locals) == 1 else ''} = cv")
    lines.append("    out = []")
    for i, c in enumerate(layout.clauses):
        pre, post = _static(c)
        ns[f"_P{i}"], ns[f"_S{i}"] = pre, post
        reads = sorted(layout.clause_reads[i])
        parts: List[str] = []
        known: List[str] = []
        general = False
        for j, (name, k) in enumerate(reads):
            got = _value_code(name, val_locals[k], layout, ns, n)
            if got is None:
                general = True
                break
            ns[f"_K{i}_{j}"] = ("{" if j == 0 else ",") + encode_basestring(name) + ":"
            parts.append(f"{{_K{i}_{j}}}{{{got[0]}}}")
            known.append(got[1])
        pairs = "(" + "".join(f"({name!r}, {val_locals[k]}), " for name, k in reads) + ")"
        slow = f"_P{i} + _facts({pairs}) + _S{i}"
        lines.append(f"    if {clause_locals[i]} is True:")
        if general or not reads:
            lines.append(f"        out.append({slow})" if reads else f"        out.append(_P{i} + '{{}}' + _S{i})")
            continue
        fast = "f'{_P" + str(i) + "}" + "".join(parts) + "}}{_S" + str(i) + "}'"
        lines.append(f"        if {' and '.join(known)}: out.append({fast})")
        lines.append(f"        else: out.append({slow})")
    lines.append("    return '[' + ','.join(out) + ']'")
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<safetyrules-json>", "exec"), ns)  # noqa: S102 - generated from the layout only
    fn = ns["write"]
    fn.source = source  # type: ignore[attr-defined]
    return fn
