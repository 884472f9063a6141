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

from safetyrules.backends.layout import FrozenList, Layout, RawItems, is_unknown
from safetyrules.frozen import FrozenDict

__all__ = ["findings_writer", "writers", "Writers", "dumps", "jsonable", "scalar", "questions", "entity"]

_PLAIN = frozenset((str, int, float, bool, type(None)))


def jsonable(value: Any) -> Any:
    """Facts → JSON-ready values (dates as ISO text)."""
    t = type(value)
    if t in _PLAIN:  # the common case, without ABC checks
        return value
    if t is FrozenDict or t is dict:  # a list fact's item (isinstance of an ABC is slow)
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime.date):
        return value.isoformat()
    if t is RawItems:  # a program's list of items, not frozen yet: a None field is unknown, as if absent
        return [{k: jsonable(x) for k, x in i.items() if x is not None} for i in value]
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    return value


# json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
# is this encoder's encode (json.dumps builds one per call with these options)
_encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode
_float_repr = float.__repr__
_int_repr = int.__repr__
_INF = float("inf")


def _flat(value: Any) -> Any:
    """The JSON text of a plain scalar (or a list of them) as ``json``
    writes it, or None for anything else (a non-finite float, a mapping,
    a nested list, another type)."""
    t = type(value)
    if t is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if t is int:
        return _int_repr(value)
    if t is float and value == value and value != _INF and value != -_INF:
        return _float_repr(value)
    if t is list:  # a list of plain scalars (a list fact's values)
        parts = []
        for v in value:
            x = _flat(v) if type(v) is not list else None
            if x is None:
                return None
            parts.append(x)
        return "[" + ",".join(parts) + "]"
    return None


def dumps(data: Any) -> str:
    """The canonical compact JSON of ``data``: exactly ``json.dumps(data,
    sort_keys=True, ensure_ascii=False, separators=(",", ":"))``, written
    directly for a dict with text keys of plain scalars and lists of them,
    or such a list (what decisions mostly hold), else by ``json``'s
    encoder."""
    t = type(data)
    if t is dict:
        parts = []
        for k in sorted(data) if all(type(k) is str for k in data) else ():
            x = _flat(data[k])
            if x is None:
                break
            parts.append(encode_basestring(k) + ":" + x)
        else:
            if len(parts) == len(data):
                return "{" + ",".join(parts) + "}"
    elif t is list:
        x = _flat(data)
        if x is not None:
            return x
    return _encode(data)


def _facts_json(pairs) -> str:
    return dumps({k: jsonable(v) for k, v in pairs if not is_unknown(v)})


_FLOAT_TEXT: Dict[float, str] = {}


def _num(v: Any) -> str:
    """``repr`` of a number (as ``json`` writes a finite one); the text of
    non-zero floats is kept (a float's ``repr`` costs several dict look-ups,
    and measured values repeat).  Zeros are not kept: ``0.0 == -0.0``."""
    if type(v) is float:
        text = _FLOAT_TEXT.get(v)
        if text is None:
            text = repr(v)
            if v:
                if len(_FLOAT_TEXT) >= 4096:
                    _FLOAT_TEXT.clear()
                _FLOAT_TEXT[v] = text
        return text
    return repr(v)


def _static(c, key: str = "facts") -> tuple:
    """``(before, after)`` the value of ``key`` (``facts`` of a finding,
    ``missing`` of an undetermined clause) in one clause's object."""
    fields = {"category": c.category, "cite": c.cite, "clause": c.id, key: 0, "severity": c.severity,
              "standard": c.standard, "status": c.status, "title": dict(c.title), "version": c.version}
    prov = getattr(c, "provenance", None)
    if prov is not None and key == "facts":  # a finding's provenance (Finding.to_dict), static per clause
        fields["provenance"] = dict(prov)
    text = dumps(fields)
    mark = encode_basestring(key) + ":0"
    cut = text.index(mark) + len(mark) - 1
    return text[:cut], text[cut + 1:]


def _names(names) -> str:
    # dumps(list(names)) for text names
    if all(type(n) is str for n in names):
        return "[" + ",".join(map(encode_basestring, names)) + "]"
    return dumps(list(names))


def scalar(value: Any) -> str:
    """``dumps(value)`` for one value, faster for the common types."""
    if value is None:
        return "null"
    t = type(value)
    if t is str:
        return encode_basestring(value)
    if t is bool:
        return "true" if value else "false"
    if t is int:
        return int.__repr__(value)
    return dumps(value)


def questions(nq) -> str:
    """The ``next_questions`` array of a decision's questions (mappings
    of ``fact``, ``settles``, ``major``): exactly ``dumps([{"fact": ...,
    "settles": [...], "major": ...}, ...])``, written key by key (sorted:
    fact, major, settles) when each is text / an int / texts."""
    out = []
    for q in nq:
        fact, settles, major = q["fact"], q["settles"], q["major"]
        if type(fact) is not str or type(major) is not int or not all(type(x) is str for x in settles):
            return dumps([{"fact": x["fact"], "settles": list(x["settles"]), "major": x["major"]} for x in nq])
        out.append('{"fact":' + encode_basestring(fact) + ',"major":' + _int_repr(major) + ',"settles":['
                   + ",".join(map(encode_basestring, settles)) + "]}")
    return "[" + ",".join(out) + "]"


_ENTITY_KEYS = {k: encode_basestring(k) + ":" for k in ("grid", "id", "name", "sector", "status")}


def entity(block: Mapping[str, Any]) -> str:
    """The ``entity`` object of a decision (``dumps(dict(block))``): the
    usual keys with text values written directly."""
    parts = []
    for k in sorted(block):
        v = block[k]
        key = _ENTITY_KEYS.get(k)
        if key is None or type(v) is not str:
            return dumps(dict(block))
        parts.append(key + encode_basestring(v))
    return "{" + ",".join(parts) + "}"


def _output_json(value: Any) -> str:
    # as Decision.to_dict writes an output: unknown (None / NaN) is null, then jsonable
    if value is None or (type(value) is float and value != value):
        return "null"
    t = type(value)
    if t is str or t is bool or t is int:
        return scalar(value)
    return dumps(jsonable(value))


class Writers:
    """The JSON writers of one layout's decisions (see :func:`writers`):
    ``findings(clause_values, values)`` (generated), ``outputs(values)``
    and the static ``ruleset`` object."""

    __slots__ = ("layout", "findings", "ruleset", "_outputs", "_days", "_und", "_write_outputs")

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.findings = _build(layout)
        plan = layout.plan
        self.ruleset = dumps({"id": plan.id, "digest": plan.digest})
        self._days: Dict[Any, str] = {}
        self._und = tuple(_static(c, "missing") for c in layout.clauses)
        names = sorted(set(layout.outputs))
        self._outputs = tuple((("{" if j == 0 else ",") + encode_basestring(o) + ":", layout.index.get(o))
                              for j, o in enumerate(names))
        self._write_outputs = _build_outputs(self._outputs)

    def undetermined(self, clause_values: tuple, per_clause: tuple) -> str:
        """The ``undetermined`` array: each undetermined clause (None in
        ``clause_values``) with its missing facts (``per_clause``)."""
        out = []
        for (pre, post), v, names in zip(self._und, clause_values, per_clause):
            if v is None:
                out.append(pre + _names(names) + post)
        return "[" + ",".join(out) + "]"

    def day(self, as_of: datetime.date) -> str:
        """The JSON text of ``as_of`` (its ISO form), kept per day."""
        text = self._days.get(as_of)
        if text is None:
            if len(self._days) >= 64:
                self._days.clear()
            text = self._days[as_of] = dumps(as_of.isoformat())
        return text

    def outputs(self, values: tuple) -> str:
        """The ``outputs`` object of a result's ``values`` (every table
        output in name order; unknown as null)."""
        return self._write_outputs(values)


_lock = threading.Lock()
_cache: Dict[int, Writers] = {}


def writers(layout: Layout) -> Writers:
    """The :class:`Writers` of ``layout`` (generated once per layout)."""
    w = _cache.get(id(layout))
    if w is not None and w.layout is layout:
        return w
    with _lock:
        w = _cache.get(id(layout))
        if w is None or w.layout is not layout:
            w = Writers(layout)
            if len(_cache) > 256:
                _cache.clear()
            _cache[id(layout)] = w
    return w


def findings_writer(layout: Layout) -> Callable[[tuple, tuple], str]:
    """``write(clause_values, values) -> str``: the JSON array of the
    findings, for results of ``layout`` (generated once per layout)."""
    return writers(layout).findings


def _value_code(name: str, v: str, layout: Layout, ns: Dict[str, Any], n: List[int]):
    """(expression writing local ``v`` as JSON, expression true when it is
    known), or None when the general path should write it."""
    plan = layout.plan
    spec = plan.facts.get(name)
    if spec is None:
        spec = plan.types.get(name)
    kind = getattr(spec, "type", None)
    if kind == "list" or any(t.output == name and t.hit == "collect" for t in plan.tables):
        # a list of values (whatever its values' declared type): as the
        # general path writes it (jsonable, then dumps), texts directly
        # (known: not None nor NaN; a list is never NaN, and its == is Python code)
        return f"_lst({v})", f"({v} is not None and (type({v}) is not float or {v} == {v}))"
    if kind == "bool":
        return f"_B[{v}]", f"{v} is not None"
    if kind == "integer":
        return f"_repr({v})", f"({v} is not None and {v} == {v})"
    if kind == "number":
        return f"_num({v})", f"({v} is not None and {v} == {v})"
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


def _build_outputs(outputs) -> Callable[[tuple], str]:
    """``write(values)``: the ``outputs`` object, each output written
    inline as :func:`_output_json` writes it (text, booleans, ints and
    lists of text directly; anything else, NaN included, by
    ``_output_json``).
    ``outputs``: (the key's text with its ``{`` or ``,``, the value's index
    or None); generated from those only (keys are named constants)."""
    if not outputs:
        return lambda values: "{}"
    ns: Dict[str, Any] = {"_str": encode_basestring, "_repr": _int_repr, "_oj": _output_json, "_lst": _lst,
                          "_FL": FrozenList}
    lines = ["def write(vals):"]
    parts = []
    for j, (key, i) in enumerate(outputs):
        ns[f"_K{j}"] = key
        if i is None:
            parts.append(f"_K{j} + 'null'")
            continue
        x = f"x{j}"
        lines.append(f"    {x} = vals[{i}]")
        parts.append(f"_K{j} + ('null' if {x} is None else _str({x}) if type({x}) is str else 'true' if {x} is True"
                     f" else 'false' if {x} is False else _repr({x}) if type({x}) is int else _lst({x}) if type({x}) is _FL"
                     f" else _oj({x}))")
    lines.append("    return " + " + ".join(parts) + " + '}'")
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<safetyrules-json-outputs>", "exec"), ns)  # noqa: S102 - generated from the layout only
    fn = ns["write"]
    fn.source = source  # type: ignore[attr-defined]
    return fn


def _lst(value: Any) -> str:
    """``dumps(jsonable(value))`` of a list fact's (or a collect output's)
    value; a list or tuple of texts written directly."""
    t = type(value)
    if t is FrozenList or t is list or t is tuple:
        for x in value:
            if type(x) is not str:
                break
        else:
            return "[" + ",".join(map(encode_basestring, value)) + "]"
    return dumps(jsonable(value))


def _build(layout: Layout) -> Callable:
    ns: Dict[str, Any] = {"_repr": repr, "_num": _num, "_str": encode_basestring, "_facts": _facts_json, "_lst": _lst,
                          "_B": {True: "true", False: "false"},
                          "_date": lambda d: '"' + d.isoformat() + '"'}
    n = [0]
    keys = layout.keys
    clause_locals = [f"c{i}" for i in range(len(layout.clauses))]
    # per value read by some clause: how to write it (None: the general path)
    read = sorted({k for reads in layout.clause_reads for _, k in reads})
    code: Dict[int, Any] = {}
    for k in read:
        code[k] = _value_code(keys[k], f"v{k}", layout, ns, n)
        if code[k] is not None:
            ns[f"_N{k}"] = encode_basestring(keys[k]) + ":"
    for i, c in enumerate(layout.clauses):
        ns[f"_P{i}"], ns[f"_S{i}"] = _static(c)

    written = [k for k in read if code[k] is not None]

    def blocks(pad: str, eager: bool) -> List[str]:
        # one block per clause: if found, its finding's text.  Lazy: each
        # value it reads taken from ``vals`` and written there (findings are
        # few: no value is written, nor even read, for a clause not found).
        # Eager: every value was written once before (many findings)
        out: List[str] = []
        for i in range(len(layout.clauses)):
            reads = sorted(layout.clause_reads[i])
            out.append(f"{pad}if {clause_locals[i]} is True:")
            if not reads:
                out.append(f"{pad}    ap(_P{i} + '{{}}' + _S{i})")
                continue
            if any(code[k] is None for _, k in reads):
                pairs = "(" + "".join(f"(_R{i}_{j}, vals[{k}]), " for j, (_, k) in enumerate(reads)) + ")"
                for j, (name, _) in enumerate(reads):
                    ns[f"_R{i}_{j}"] = name
                out.append(f"{pad}    ap(_P{i} + _facts({pairs}) + _S{i})")
                continue
            ks = sorted({k for _, k in reads})
            if not eager:
                out.append(f"{pad}    {', '.join(f'v{k}' for k in ks)}{',' if len(ks) == 1 else ''} = "
                           f"{', '.join(f'vals[{k}]' for k in ks)}{',' if len(ks) == 1 else ''}")
                for k in ks:
                    text, known = code[k]
                    out.append(f"{pad}    q{k} = (_N{k} + {text}) if {known} else None")
            qs = [f"q{k}" for _, k in reads]
            fast = "f'{_P" + str(i) + "}{{" + ",".join("{" + q + "}" for q in qs) + "}}{_S" + str(i) + "}'"
            out.append(f"{pad}    if {' and '.join(q + ' is not None' for q in qs)}: ap({fast})")
            out.append(f"{pad}    else: ap(_P{i} + '{{' + ','.join([q for q in ({', '.join(qs)},) if q is not None])"
                       f" + '}}' + _S{i})")
        return out

    lines = ["def write(cv, vals):"]
    if clause_locals:
        lines.append(f"    {', '.join(clause_locals)}{',' if len(clause_locals) == 1 else ''} = cv")
    lines.append("    out = []")
    lines.append("    ap = out.append")
    n_reads = sum(len(r) for r in layout.clause_reads)
    if written and n_reads > len(written):
        # with many findings (their reads at least as many as the values:
        # the peer workload finds ~30 of 80 clauses) each value is written
        # once, up front, instead of once per finding reading it
        eager = max(1, -(-len(read) * len(layout.clauses) // n_reads))  # ceil(values / mean reads)
        lines.append(f"    if cv.count(True) >= {eager}:")
        for k in written:
            text, known = code[k]
            lines.append(f"        v{k} = vals[{k}]")
            lines.append(f"        q{k} = (_N{k} + {text}) if {known} else None")
        lines.extend(blocks("        ", True))
        lines.append("    else:")
        lines.extend(blocks("        ", False) or ["        pass"])
    else:
        lines.extend(blocks("    ", False))
    lines.append("    return '[' + ','.join(out) + ']'")
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<safetyrules-json>", "exec"), ns)  # noqa: S102 - generated from the layout only
    fn = ns["write"]
    fn.source = source  # type: ignore[attr-defined]
    return fn
