"""A fourth audit of SPEC §4 and §8: an independent brute-force ORACLE.

Random tiny rule sets (1-3 standards with ``applies_when`` and ``effective``
dates; bool, enum and integer facts; clauses with ``when``/``unless``; tables
of every hit policy, with and without ``default:``, before the standards and
after them reading ``findings.*``; a level/tier/inspection decision) are
written as YAML, loaded with ``safetyrules.load`` and decided with
``rules.evaluate(facts, as_of=...).to_dict()``.  The oracle below computes
the same decision straight from the SPEC words, not from the engine:

* §3/§4 Kleene logic, clause status ``applies_when and when and not
  unless``, ``effective.from`` inclusive / ``until`` exclusive;
* §4 tables: ``first`` / ``unique`` / ``priority`` / ``collect``, ``default:``,
  "no row matched" and "two true rows" warnings, a given derived fact wins;
* §4 ``missing``: the unknown input facts that *could change* the clause:
  a fact is missing iff in some state of knowledge of the other unknown
  inputs (each unknown or any value) the clause is undetermined and some
  value of that fact decides it -- derived facts recomputed, so a derived
  fact is named by the inputs it still needs;
* §4 ``major_hazard``, ``findings.*`` counts, a finding's ``facts``;
* §8 ``entity``, ``level_range`` (the tables after the standards with both
  undetermined counts 0), ``next_questions`` (``settles`` by trying each
  value of one fact alone, every other fact unchanged; its order rule).

Domains are finite and exact: booleans, the enum's values, and for the
integer fact (``min: 0``, compared only with 0, 1 and 3) the values 0-4,
which stand for every integer.
"""

from __future__ import annotations

import datetime
import itertools
import tempfile
from pathlib import Path

import yaml
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import safetyrules

BOOLS = ("b1", "b2", "b3")
ENUM = ("a", "b", "c")
CONSTS = (0, 1, 3)
OUT = ("r", "o", "y", "g")
DAYS = tuple(datetime.date.fromisoformat(d) for d in ("2023-12-31", "2024-01-01", "2024-03-01", "2024-07-01"))
#: every value an input fact can take, up to equivalence under the rules
DOMAIN = {"b1": (True, False), "b2": (True, False), "b3": (True, False), "e": ENUM, "n": (0, 1, 2, 3, 4)}
INPUTS = tuple(DOMAIN)
CMP = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
       "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
#: known(p) in table rows (see the report: a table no row of which matches)
KNOWN_IN_TABLES = True
COUNTS = ("major", "general", "undetermined", "major_undetermined")


# -- expressions: an AST, its text and its Kleene value ----------------------

def text(x):
    k = x[0]
    if k == "lit":
        return "true" if x[1] else "false"
    if k == "b":
        return x[1]
    if k == "eq":
        return f"{x[1]} {'!=' if x[3] else '=='} '{x[2]}'"
    if k == "in":
        return f"{x[1]} {'not in' if x[3] else 'in'} [{', '.join(repr(v) for v in x[2])}]"
    if k == "cmp":
        return f"{x[1]} {x[2]} {x[3]}"
    if k == "cin":
        return f"'{x[2]}' {'not in' if x[3] else 'in'} {x[1]}"
    if k == "known":
        return f"known({x[1]})"
    if k == "fc":
        return f"{' + '.join('findings.' + c for c in x[1])} {x[2]} {x[3]}"
    if k == "not":
        return f"not ({text(x[1])})"
    if k in ("and", "or"):
        return "(" + f" {k} ".join(text(p) for p in x[1]) + ")"
    return f"at_least({x[1]}, {', '.join(text(p) for p in x[2])})"


def ev(x, env):
    """SPEC §3: unknown (None) follows Kleene's three-valued logic."""
    k = x[0]
    if k == "lit":
        return x[1]
    if k == "b":
        return env.get(x[1])
    if k in ("eq", "in", "cmp", "cin"):
        v = env.get(x[1])
        if v is None:
            return None
        if k == "eq":
            return (v == x[2]) != x[3]
        if k == "in":
            return (v in x[2]) != x[3]
        if k == "cmp":
            return CMP[x[2]](v, x[3])
        return (x[2] in v) != x[3]
    if k == "known":
        return x[1] in env
    if k == "fc":
        return CMP[x[2]](sum(env["findings." + c] for c in x[1]), x[3])
    if k == "not":
        v = ev(x[1], env)
        return None if v is None else not v
    if k in ("and", "or"):
        vals = [ev(p, env) for p in x[1]]
        stop = k == "or"
        if stop in vals:
            return stop
        return None if None in vals else not stop
    vals = [ev(p, env) for p in x[2]]
    t, u = vals.count(True), vals.count(None)
    return True if t >= x[1] else False if t + u < x[1] else None


def reads(x, out):
    """The fact paths an expression reads."""
    if x[0] in ("b", "eq", "in", "cmp", "cin", "known"):
        out.add(x[1])
    elif x[0] == "not":
        reads(x[1], out)
    elif x[0] in ("and", "or"):
        for p in x[1]:
            reads(p, out)
    elif x[0] == "atl":
        for p in x[2]:
            reads(p, out)
    return out


@st.composite
def conds(draw, derived, findings=False, depth=0, known=True):
    """A bool expression over the inputs, the derived ``(fact, kind, values)``
    already computed, and (grading tables) the findings counts."""
    if depth >= 2 or draw(st.integers(0, 2)) == 0:
        kinds = ["lit", "b", "b", "eq", "in", "cmp", "cmp"] + ["known"] * known
        if derived:
            kinds += ["der", "der"]
        if findings:
            kinds += ["fc", "fc", "fc"]
        k = draw(st.sampled_from(kinds))
        if k == "lit":
            return ("lit", draw(st.booleans()))
        if k == "b":
            return ("b", draw(st.sampled_from(BOOLS)))
        if k == "eq":
            return ("eq", "e", draw(st.sampled_from(ENUM)), draw(st.booleans()))
        if k == "in":
            return ("in", "e", tuple(draw(st.lists(st.sampled_from(ENUM), max_size=2, unique=True))),
                    draw(st.booleans()))
        if k == "cmp":
            return ("cmp", "n", draw(st.sampled_from(sorted(CMP))), draw(st.sampled_from(CONSTS)))
        if k == "known":
            return ("known", draw(st.sampled_from(INPUTS)))
        if k == "fc":
            names = draw(st.lists(st.sampled_from(COUNTS), min_size=1, max_size=2))
            return ("fc", tuple(names), draw(st.sampled_from([">", ">=", "=="])), draw(st.integers(0, 2)))
        fact, kind, values = draw(st.sampled_from(derived))
        if kind == "collect":
            return ("cin", fact, draw(st.sampled_from(values)), draw(st.booleans()))
        return ("eq", fact, draw(st.sampled_from(values)), draw(st.booleans()))
    k = draw(st.sampled_from(["not", "and", "and", "or", "or", "atl"]))
    sub = conds(derived, findings, depth + 1, known)
    if k == "not":
        return ("not", draw(sub))
    parts = tuple(draw(st.lists(sub, min_size=1 if k == "atl" else 2, max_size=3)))
    if k == "atl":
        return ("atl", draw(st.integers(0, 3)), parts)
    return (k, parts)


@st.composite
def tables(draw, tid, derived, findings):
    hit = draw(st.sampled_from(["first", "unique", "priority", "collect"]))
    values = tuple(draw(st.permutations(OUT)))[: draw(st.integers(2, 4))]
    rows = [(draw(conds(derived, findings, known=KNOWN_IN_TABLES)), draw(st.sampled_from(values)))
            for _ in range(draw(st.integers(1, 4)))]
    default = draw(st.sampled_from(values)) if hit != "collect" and draw(st.booleans()) else None
    return {"id": tid, "out": f"t.{tid}", "hit": hit, "values": values, "rows": rows, "default": default,
            "kind": "collect" if hit == "collect" else "enum"}


@st.composite
def models(draw):
    pre, derived = [], []
    for i in range(draw(st.integers(0, 2))):
        t = draw(tables(f"pre{i}", tuple(derived), False))
        pre.append(t)
        derived.append((t["out"], t["kind"], t["values"]))
    stds = []
    for j in range(draw(st.integers(1, 3))):
        eff = None
        if draw(st.integers(0, 2)) == 0:
            lo = draw(st.sampled_from(DAYS))
            eff = (lo, draw(st.sampled_from((None,) + tuple(d for d in DAYS if d > lo))))
        aw = draw(conds(tuple(derived))) if draw(st.booleans()) else None
        clauses = []
        for k in range(draw(st.integers(1, 3))):
            unless = draw(conds(tuple(derived))) if draw(st.integers(0, 2)) == 0 else None
            clauses.append({"id": f"c{k}", "severity": draw(st.sampled_from(["major", "general"])),
                            "when": draw(conds(tuple(derived))), "unless": unless})
        stds.append({"id": f"s{j}", "effective": eff, "applies_when": aw, "clauses": clauses})
    post = []
    for i in range(draw(st.integers(0, 2))):
        t = draw(tables(f"post{i}", tuple(derived), True))
        post.append(t)
        derived.append((t["out"], t["kind"], t["values"]))
    candidates = [o for o, kind, _ in derived if kind == "enum"] + ["e"]
    decision = {}
    for key in ("level", "tier", "inspection"):
        if draw(st.integers(0, 3)) > 0:
            # the level mostly from a grading table, as a rule set has it
            grading = [t["out"] for t in post if t["kind"] == "enum"]
            pool = grading if key == "level" and grading and draw(st.booleans()) else candidates
            decision[key] = draw(st.sampled_from(pool))
    return {"pre": pre, "stds": stds, "post": post, "decision": decision}


@st.composite
def fact_sets(draw, model):
    facts = {}
    for f in INPUTS:
        if draw(st.integers(0, 4)) < 3:
            facts[f] = draw(st.sampled_from(DOMAIN[f]))
    for t in model["pre"] + model["post"]:
        if draw(st.integers(0, 7)) == 0:
            if t["kind"] == "enum":
                facts[t["out"]] = draw(st.sampled_from(t["values"]))
            else:  # a collect table's output given as a list of its values
                facts[t["out"]] = draw(st.lists(st.sampled_from(t["values"]), unique=True, max_size=2))
    for f, vals in (("entity.id", ("E1", "")), ("entity.name", ("某店",)), ("entity.status", ("active", "closed"))):
        if draw(st.integers(0, 2)) == 0:
            facts[f] = draw(st.sampled_from(vals))
    return facts


# -- the rule files ----------------------------------------------------------

def write(model, d):
    files = {}
    vocab = {"b1": {"type": "bool"}, "b2": {"type": "bool"}, "b3": {"type": "bool"},
             "e": {"type": "enum", "values": list(ENUM)}, "n": {"type": "integer", "min": 0},
             "entity.id": {"type": "string"}, "entity.name": {"type": "string"},
             "entity.status": {"type": "enum", "values": ["active", "suspended", "closed", "relocated"]}}
    for t in model["pre"] + model["post"]:
        vocab[t["out"]] = {"type": "enum", "values": list(t["values"])}
        doc = {"kind": "table", "id": t["id"], "output": t["out"], "hit": t["hit"],
               "rows": [{"id": f"r{i}", "when": text(w), "then": then} for i, (w, then) in enumerate(t["rows"])]}
        if t["default"] is not None:
            doc["default"] = t["default"]
        files[t["id"] + ".yaml"] = doc
    for s in model["stds"]:
        doc = {"kind": "standard", "id": s["id"], "version": "1"}
        if s["effective"]:
            lo, hi = s["effective"]
            doc["effective"] = {"from": lo.isoformat(), **({"until": hi.isoformat()} if hi else {})}
        if s["applies_when"] is not None:
            doc["applies_when"] = text(s["applies_when"])
        doc["clauses"] = []
        for c in s["clauses"]:
            cd = {"id": c["id"], "cite": f"{s['id']}/{c['id']}", "severity": c["severity"], "when": text(c["when"])}
            if c["unless"] is not None:
                cd["unless"] = text(c["unless"])
            doc["clauses"].append(cd)
        files[s["id"] + ".yaml"] = doc
    files["v.yaml"] = {"kind": "vocabulary", "id": "v", "facts": vocab}
    files["ruleset.yaml"] = {"kind": "ruleset", "id": "oracle", "include": sorted(files),
                             "decision": model["decision"]}
    for name, doc in files.items():
        (d / name).write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return safetyrules.load(str(d / "ruleset.yaml"))


# -- the oracle --------------------------------------------------------------

def table(t, env):
    """SPEC §4: (value or None, warning code or None)."""
    vals = [ev(w, env) for w, _ in t["rows"]]
    thens = [then for _, then in t["rows"]]
    if t["hit"] == "collect":
        if None in vals:
            return None, None
        return [v for v in t["values"] if any(x and th == v for x, th in zip(vals, thens))], None
    trues = [i for i, v in enumerate(vals) if v is True]
    if t["hit"] == "first":
        for v, th in zip(vals, thens):
            if v is None:
                return None, None
            if v:
                return th, None
    elif t["hit"] == "unique":
        if len(trues) > 1:
            return None, "E-TABLE-OVERLAP"
        if trues:
            return (None if None in vals else thens[trues[0]]), None
    else:  # priority: the true row whose output comes first in values
        if trues:
            best = min(t["values"].index(thens[i]) for i in trues)
            if any(v is None and t["values"].index(th) < best for v, th in zip(vals, thens)):
                return None, None
            return t["values"][best], None
    if None in vals:
        return None, None
    if t["default"] is not None:
        return t["default"], None
    return None, "W-NO-ROW"


def run_tables(ts, env, outputs, warnings):
    for t in ts:
        if t["out"] in env and t["out"] in outputs.get("__given", ()):
            outputs[t["out"]] = env[t["out"]]
            continue
        v, w = table(t, env)
        outputs[t["out"]] = v
        if v is not None:
            env[t["out"]] = v
        if w:
            warnings.append((w, t["id"]))


def decide(model, facts, day, zero_undetermined=False):
    """Statuses of the clauses, outputs, warnings and counts for these facts."""
    env = dict(facts)
    given = {t["out"] for t in model["pre"] + model["post"] if t["out"] in facts}
    outputs, warnings = {"__given": given}, []
    run_tables(model["pre"], env, outputs, warnings)
    status = {}
    for s in model["stds"]:
        if s["effective"]:
            lo, hi = s["effective"]
            if day < lo or (hi is not None and day >= hi):
                continue
        aw = True if s["applies_when"] is None else ev(s["applies_when"], env)
        if aw is False:
            continue
        for c in s["clauses"]:
            when = ev(c["when"], env)
            unless = False if c["unless"] is None else ev(c["unless"], env)
            # clause = applies_when and when and not unless (Kleene)
            parts = [aw, when, None if unless is None else not unless]
            v = False if False in parts else None if None in parts else True
            status[(s["id"], c["id"])] = v
    sev = {(s["id"], c["id"]): c["severity"] for s in model["stds"] for c in s["clauses"]}
    counts = {
        "findings.major": sum(1 for k, v in status.items() if v is True and sev[k] == "major"),
        "findings.general": sum(1 for k, v in status.items() if v is True and sev[k] == "general"),
        "findings.undetermined": sum(1 for v in status.values() if v is None),
        "findings.major_undetermined": sum(1 for k, v in status.items() if v is None and sev[k] == "major"),
    }
    if zero_undetermined:
        counts["findings.undetermined"] = counts["findings.major_undetermined"] = 0
    env.update(counts)
    run_tables(model["post"], env, outputs, warnings)
    del outputs["__given"]
    picked = {k: (outputs[f] if f in outputs else facts.get(f)) for k, f in model["decision"].items()}
    return {"status": status, "outputs": outputs, "warnings": warnings, "picked": picked, "env": env}


ATOMS = ("b", "eq", "in", "cmp", "cin", "known")


def occurrences(x, out):
    """How many atoms of ``x`` read each fact."""
    if x[0] in ATOMS:
        out[x[1]] = out.get(x[1], 0) + 1
    elif x[0] == "not":
        occurrences(x[1], out)
    elif x[0] in ("and", "or"):
        for p in x[1]:
            occurrences(p, out)
    elif x[0] == "atl":
        for p in x[2]:
            occurrences(p, out)
    return out


def atoms(exprs):
    todo, out = list(exprs), []
    while todo:
        x = todo.pop()
        if x[0] in ATOMS:
            out.append(x)
        elif x[0] == "not":
            todo.append(x[1])
        elif x[0] in ("and", "or"):
            todo.extend(x[1])
        elif x[0] == "atl":
            todo.extend(x[2])
    return out


def all_exprs(model):
    out = [w for t in model["pre"] + model["post"] for w, _ in t["rows"]]
    for s in model["stds"]:
        out += [x for x in [s["applies_when"]] + [c[k] for c in s["clauses"] for k in ("when", "unless")]
                if x is not None]
    return out


def closure(model, exprs):
    """``exprs`` and the rows of every table they read, transitively."""
    tabs = {t["out"]: t for t in model["pre"] + model["post"]}
    out, todo, seen = list(exprs), list(exprs), set()
    while todo:
        for f in reads(todo.pop(), set()):
            if f in tabs and f not in seen:
                seen.add(f)
                rows = [w for w, _ in tabs[f]["rows"]]
                out += rows
                todo += rows
    return out


def upper(model, facts, paths):
    """Every unknown input a value of ``paths`` can depend on at all: the
    unknown inputs among them, and for a derived fact not given every input
    its table's rows read (a table after the standards reads every clause)."""
    tabs = {t["out"]: t for t in model["pre"] + model["post"]}
    out, todo, seen = set(), list(paths), set()
    while todo:
        f = todo.pop()
        if f in seen or f in facts:
            continue
        seen.add(f)
        if f in DOMAIN:
            out.add(f)
        elif f in tabs:
            # a table no input can decide (no row matched, two true rows)
            # is asked for itself: a given derived fact wins (SPEC §4)
            out.add(f)
            for w, _ in tabs[f]["rows"]:
                todo.extend(reads(w, set()))
            if tabs[f] in model["post"]:
                out |= set(DOMAIN) - set(facts)
    return out


def oracle(model, facts, day):
    base = decide(model, facts, day)
    unknown = [f for f in INPUTS if f not in facts]
    # every state of knowledge of the unknown inputs: each unknown, or a value
    states = {}
    for combo in itertools.product(*[(None,) + DOMAIN[f] for f in unknown]):
        extra = {f: v for f, v in zip(unknown, combo) if v is not None}
        r = decide(model, {**facts, **extra}, day)
        states[combo] = (r["status"], r["picked"])

    # known(p) is never unknown, so giving p is no refinement: the facts
    # read through known() stay absent in the states tried for the others
    # (what they mask stays masked: docs/decision.md asks for p first), and
    # p itself is missing when giving it changes the result in some state
    # (`a and not known(p)`: a found clause may become undetermined)
    knowns = {x[1] for x in atoms(all_exprs(model)) if x[0] == "known"} & set(unknown)
    table_knowns = {x[1] for t in model["pre"] + model["post"] for x in atoms([w for w, _ in t["rows"]])
                    if x[0] == "known"} & set(unknown)

    def could_change(pick, ks=knowns):
        """The unknown inputs some value of which changes ``pick(state)``
        (from unknown to known, but for a fact of ``ks``, those read through
        known()) in some state."""
        kpos = [unknown.index(f) for f in sorted(ks)]
        out = set()
        for i, f in enumerate(unknown):
            for combo, st_ in states.items():
                if combo[i] is not None or any(combo[j] is not None for j in kpos if j != i):
                    continue
                was = pick(st_)
                if f not in ks and was is not None:
                    continue
                if any(pick(states[combo[:i] + (v,) + combo[i + 1:]]) != was for v in DOMAIN[f]):
                    out.add(f)
                    break
        return out

    sev = {(s["id"], c["id"]): c["severity"] for s in model["stds"] for c in s["clauses"]}
    und = [k for k, v in base["status"].items() if v is None]
    missing, bounds = {}, {}
    for k in und:
        s = next(s for s in model["stds"] if s["id"] == k[0])
        c = next(c for c in s["clauses"] if c["id"] == k[1])
        exprs = [x for x in (s["applies_when"], c["when"], c["unless"]) if x is not None]
        occ, read = {}, set()
        for x in exprs:
            occurrences(x, occ)
            reads(x, read)
        # the known() calls this clause reads, itself or through its tables
        ks = {x[1] for x in atoms(closure(model, exprs)) if x[0] == "known"} & set(unknown)
        exact = sorted(could_change(lambda st_, k=k: st_[0].get(k, False), ks))
        # read once, and no unknown derived fact: the Kleene tree's unknown
        # parts (the engine's reading of §4) are exactly the facts that can
        # change it; else facts shared by several atoms may be named though
        # no consistent value of the others lets them decide (`n <= 1 and
        # (e == 'b' or n != 3) and n > 3`: e), so bounds only
        once = all(occ[f] == 1 for f in read if f in unknown) and not any(
            f not in DOMAIN and f not in base["env"] for f in read)
        missing[k] = exact
        most = upper(model, facts, read)
        # a table row reading an absent p through known(p) may change even a
        # known derived fact when p is given: the engine does not look into
        # known derived facts (docs/decision.md), so p is not asked of it
        lower = set(exact) - (table_knowns & (upper(model, {}, read) - {f for f in read if f in DOMAIN}))
        bounds[k] = (lower, most, once and lower == set(exact))
    # the decision's own unknown outputs (docs/decision.md: `missing` also
    # holds the facts that could settle an unknown level, tier or inspection)
    out_exact, out_upper = set(), set()
    for key, v in base["picked"].items():
        if v is None:
            out_exact |= could_change(lambda st_, key=key: st_[1][key])
            out_upper |= upper(model, facts, [model["decision"][key]])
    none = (None,) * len(unknown)

    values = {t["out"]: t["values"] for t in model["pre"] + model["post"]}

    def question(f):
        """§8: the clauses some value of ``f`` alone settles."""
        if f in DOMAIN:
            i = unknown.index(f)
            tried = [states[none[:i] + (v,) + none[i + 1:]][0] for v in DOMAIN[f]]
        else:  # a derived fact named for itself
            tried = [decide(model, {**facts, f: v}, day)["status"] for v in values[f]]
        settles = sorted(f"{k[0]}:{k[1]}" for k in und if any(t.get(k, False) is not None for t in tried))
        return {"fact": f, "settles": settles, "major": sum(1 for k in settles if sev[tuple(k.split(":"))] == "major")}

    order = [(s["id"], c["id"]) for s in sorted(model["stds"], key=lambda s: s["id"]) for c in s["clauses"]]
    findings = []
    for k in order:
        if base["status"].get(k) is True:
            s = next(s for s in model["stds"] if s["id"] == k[0])
            c = next(c for c in s["clauses"] if c["id"] == k[1])
            read = reads(c["when"], set())
            if c["unless"] is not None:
                reads(c["unless"], read)
            env = base["env"]
            findings.append({"standard": k[0], "clause": k[1], "severity": c["severity"],
                             "cite": f"{k[0]}/{k[1]}", "facts": {f: env[f] for f in sorted(read) if f in env}})
    undetermined = [{"standard": k[0], "clause": k[1], "severity": sev[k]} for k in order if k in missing]
    majors = [v for k, v in base["status"].items() if sev[k] == "major"]
    major_hazard = True if True in majors else False if None not in majors else None
    least = base["picked"].get("level")
    level_fact = model["decision"].get("level")
    if level_fact in {t["out"] for t in model["post"]} and level_fact not in facts:
        least = decide(model, facts, day, zero_undetermined=True)["picked"]["level"]
    entity = {f.split(".")[1]: v for f, v in facts.items() if f.startswith("entity.")}
    return {
        "findings": findings, "undetermined": undetermined, "major_hazard": major_hazard,
        "outputs": base["outputs"], "given": sorted(f for f in facts if f.startswith("t.")),
        "warnings": sorted(base["warnings"]), "level": base["picked"].get("level"),
        "tier": base["picked"].get("tier"), "inspection": base["picked"].get("inspection"),
        "level_range": {"least": least, "most": base["picked"].get("level")},
        "entity": entity or None, "bounds": bounds, "question": question,
        # (a grading table may change through a clause a given p turns
        # from decided to undetermined: not asked of the engine either)
        "out_exact": out_exact - knowns, "out_upper": out_upper,
    }


def compare(want, got, where):
    for key in ("major_hazard", "outputs", "given", "level", "tier", "inspection", "level_range"):
        assert got.get(key) == want[key], (key, where, got.get(key), want[key])
    assert got.get("entity") == want["entity"], ("entity", where)
    findings = [{k: f[k] for k in ("standard", "clause", "severity", "cite", "facts")} for f in got["findings"]]
    assert findings == want["findings"], ("findings", where, findings, want["findings"])
    und = [{k: u[k] for k in ("standard", "clause", "severity")} for u in got["undetermined"]]
    assert und == want["undetermined"], ("undetermined", where, und, want["undetermined"])
    asked = set()
    for u in got["undetermined"]:
        exact, most, once = want["bounds"][(u["standard"], u["clause"])]
        m = u["missing"]
        assert m == sorted(set(m)), ("missing sorted", where, m)
        assert (set(m) == exact) if once else (exact <= set(m) <= most), ("missing", where, u, exact, most)
        asked |= set(m)
    # §8: next_questions holds every fact of missing once, each with what
    # one value of it alone settles, in the order rule
    facts = [q["fact"] for q in got["next_questions"]]
    assert len(facts) == len(set(facts)), ("next_questions once", where, facts)
    assert sorted(facts) == got["missing"], ("next_questions = missing", where)
    assert asked | want["out_exact"] <= set(facts) <= asked | want["out_upper"], \
        ("next_questions facts", where, facts, asked, want["out_exact"], want["out_upper"])
    questions = [want["question"](f) for f in facts]
    questions.sort(key=lambda q: (q["major"] == 0, -len(q["settles"]), q["fact"]))
    assert got["next_questions"] == questions, ("next_questions", where, got["next_questions"], questions)
    # family-gap (docs/decision.md): no edition of a standard family in force
    warnings = sorted((w["code"], w.get("table")) for w in got["warnings"] if w["code"] != "family-gap")
    assert warnings == want["warnings"], ("warnings", where, warnings, want["warnings"])


COMPARED = [0]


@settings(max_examples=40, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(st.data())
def test_the_engine_decides_as_the_spec_oracle_on_random_rule_sets(data):
    model = data.draw(models(), label="model")
    with tempfile.TemporaryDirectory() as d:
        rules = write(model, Path(d))
        for _ in range(data.draw(st.integers(1, 4), label="records")):
            facts = data.draw(fact_sets(model), label="facts")
            day = data.draw(st.sampled_from(DAYS), label="as_of")
            got = rules.evaluate(facts, as_of=day).to_dict()
            compare(oracle(model, facts, day), got, (facts, day.isoformat()))
            COMPARED[0] += 1


# -- regressions the oracle found ---------------------------------------------

LEVEL_NOT_GRADED = {
    "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  b: {type: bool}\n  n: {type: integer}\n"
              "  e: {type: enum, values: [red, blue]}\n  t: {type: enum, values: [red, blue]}\n",
    "s.yaml": 'kind: standard\nid: s\nversion: "1"\nclauses:\n'
              '  - {id: c, cite: C, severity: major, when: "b"}\n',
    "t.yaml": "kind: table\nid: t\noutput: t\nrows:\n  - {when: \"n > 1\", then: red}\n"
              "  - {when: \"true\", then: blue}\n",
}


def test_level_range_of_a_level_no_table_after_the_standards_gives(tmp_path):
    """SPEC §8: 'least is what the level table gives when every undetermined
    clause is counted as not found'.  A level that is an input fact, or the
    output of a table before the standards, does not depend on the counts, so
    least is the level itself, record after record (least was kept from the
    first record decided: {'e': 'blue'} gave least 'red', most 'blue')."""
    for level in ("e", "t"):
        d = tmp_path / level
        d.mkdir()
        files = dict(LEVEL_NOT_GRADED, **{"ruleset.yaml": "kind: ruleset\nid: m\ninclude: [v.yaml, s.yaml, t.yaml]\n"
                                                          f"decision: {{level: {level}}}\n"})
        for name, body in files.items():
            (d / name).write_text(body, encoding="utf-8")
        rules = safetyrules.load(str(d))
        for facts in ({"e": "red", "n": 2}, {"e": "blue", "n": 0}, {"e": "red", "n": 5}, {}):
            got = rules.evaluate(facts, as_of=DAYS[2]).to_dict()
            assert got["undetermined"] or "b" in facts
            assert got["level_range"] == {"least": got["level"], "most": got["level"]}, (level, facts)


def test_a_fact_read_through_several_known_calls_is_missing_when_giving_it_changes_the_part(tmp_path):
    """SPEC §4 'missing names the unknown input facts that could change the
    result'; docs/decision.md: a fact read through known(p) is missing when
    giving it could change a known part of an unknown condition.  Giving p
    makes every known(p) true at once (each call was tried alone, so p in
    `known(p) and known(p)` was never named)."""
    from safetyrules import dsl

    for expr in ("b or (known(p) and known(p))", "b or (known(p) and (known(p) or c))", "b and not (known(p) or known(p))"):
        assert "p" in dsl.missing(dsl.parse(expr), {}), expr
    files = {
        "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  b: {type: bool}\n  c: {type: bool}\n  p: {type: bool}\n",
        "s.yaml": 'kind: standard\nid: s\nversion: "1"\nclauses:\n'
                  '  - {id: k, cite: K, severity: major, when: "b or (known(p) and known(p) and not c)"}\n',
        "ruleset.yaml": "kind: ruleset\nid: m\ninclude: [v.yaml, s.yaml]\n",
    }
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    got = safetyrules.load(str(tmp_path)).evaluate({"c": False}, as_of=DAYS[2]).to_dict()
    assert got["undetermined"][0]["missing"] == ["b", "p"]
    assert {"fact": "p", "settles": ["s:k"], "major": 1} in got["next_questions"]


def test_a_table_no_row_of_which_decides_names_what_its_known_calls_read(tmp_path):
    """SPEC §4: 'missing names the unknown input facts that could change the
    result (for a derived fact, the inputs it still needs)'.  A table left
    unknown with no row unknown (no row matched; two true rows of a unique
    table) still needs p when a row reads known(p) and giving p changes that
    row: p was never named (the derived fact itself was)."""
    files = {
        "v.yaml": "kind: vocabulary\nid: v\nfacts:\n  p: {type: bool}\n  q: {type: integer}\n"
                  "  t: {type: enum, values: [red, blue]}\n  u: {type: enum, values: [red, blue]}\n",
        "t.yaml": "kind: table\nid: t\noutput: t\nrows:\n  - {when: \"known(p)\", then: red}\n",
        "u.yaml": "kind: table\nid: u\noutput: u\nhit: unique\nrows:\n  - {when: \"true\", then: red}\n"
                  "  - {when: \"not known(q)\", then: blue}\n",
        "s.yaml": 'kind: standard\nid: s\nversion: "1"\nclauses:\n'
                  '  - {id: k, cite: K, severity: major, when: "t == \'red\'"}\n'
                  '  - {id: j, cite: J, severity: general, when: "u == \'red\'"}\n',
        "ruleset.yaml": "kind: ruleset\nid: m\ninclude: [v.yaml, t.yaml, u.yaml, s.yaml]\n",
    }
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    got = safetyrules.load(str(tmp_path)).evaluate({}, as_of=DAYS[2]).to_dict()
    assert sorted(w["code"] for w in got["warnings"]) == ["E-TABLE-OVERLAP", "W-NO-ROW"]
    assert [(u["clause"], u["missing"]) for u in got["undetermined"]] == [("k", ["p"]), ("j", ["q"])]
    assert got["next_questions"] == [{"fact": "p", "settles": ["s:k"], "major": 1},
                                     {"fact": "q", "settles": ["s:j"], "major": 0}]
