"""Benchmark 4 — load: read, check, plan and compile the bundled rule set.

What a user's first decision costs, in a new Python process per run:
``import safetyrules``, then ``rules = safetyrules.load()`` and the first
``rules.evaluate(facts)`` (which generates and compiles the program of the
standards in force that day), timed from inside the process, wall and CPU
seconds.  The target (issue 9) is load + first evaluate ≤ 0.3 s.

A second new process per run splits the same work into its stages by timing
the functions ``load()`` calls (the stage functions are wrapped; the wrapping
itself costs a few microseconds a call):

* read    — find the files, read them, YAML → data with positions
* check   — schema of each file, records and expression parsing, linking
            (names, types, units, order)
* plan    — the frozen plan and the RuleSet
* compile — the first decision's program: generated and compiled

Both run from the repository (``cwd`` is its root), so they time this
checkout, not an installed copy.  The machine is shared: CPU seconds are the
steadier figure; runs alternate between the two processes.

    python benchmarks/bench_load.py [--runs 5] [--facts examples/facts/steel-plant.yaml] [--against DIR]
    python benchmarks/bench_load.py --chain 40000 [--runs 3]

``--chain N`` times the refusal of an N-term ``x + x + … + x`` (past the
nesting limit): ``dsl.parse`` (the fast parser reads it whole and raises
lark's error itself) against ``dsl.parser.parse_lark`` (lark alone, what
``dsl.parse`` used to fall back to after the fast parser declined),
interleaved, in this process.

``--against DIR`` times a second checkout too (a directory holding its
``safetyrules/`` package, e.g. ``git archive COMMIT safetyrules | tar -x -C
DIR``, with ``DIR/standards`` a link to this checkout's ``standards/`` so
both read the same rules): its runs interleave with this checkout's, one of
each per round, so the ratio is of the same moments of a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import _common as C

DAY = "2025-01-01"

# one user's first decision, timed from inside a new process
TOTAL = r"""
import json, sys, time
facts = json.loads(sys.argv[1])
clock, cpu = time.perf_counter, time.process_time
w0, c0 = clock(), cpu()
import safetyrules
w1, c1 = clock(), cpu()
rules = safetyrules.load()
w2, c2 = clock(), cpu()
decision = rules.evaluate(facts, as_of=sys.argv[2])
w3, c3 = clock(), cpu()
rules.evaluate(facts, as_of=sys.argv[2])
w4, c4 = clock(), cpu()
print(json.dumps({
    "import": [w1 - w0, c1 - c0],
    "load": [w2 - w1, c2 - c1],
    "first_evaluate": [w3 - w2, c3 - c2],
    "second_evaluate": [w4 - w3, c4 - c3],
    "level": decision.outputs.get("level") if hasattr(decision, "outputs") else None,
    "dont_write_bytecode": bool(sys.flags.dont_write_bytecode),
}))
"""

# the same work, split into its stages by wrapping the functions load() calls
SPLIT = r"""
import json, sys, time
facts = json.loads(sys.argv[1])
clock, cpu = time.perf_counter, time.process_time
import safetyrules
from safetyrules.engine import ruleset as R
from safetyrules.plan import build as B, link as L

acc = {}
def wrap(mod, name, stage):
    fn = getattr(mod, name)
    def timed(*a, **k):
        w, c = clock(), cpu()
        try:
            return fn(*a, **k)
        finally:
            t = acc.setdefault(stage, [0.0, 0.0])
            t[0] += clock() - w
            t[1] += cpu() - c
    setattr(mod, name, timed)

for name, stage in [("find_files", "read"), ("read_rule_file", "read"), ("expand_includes", "read"),
                    ("validate_document", "check"), ("build", "check"), ("link", "check"),
                    ("digest_groups", "read")]:
    wrap(L, name, stage)
wrap(B, "build_plan", "plan")
wrap(R, "RuleSet", "plan")
wrap(R, "compile_program", "compile")
w0, c0 = clock(), cpu()
rules = safetyrules.load()
rules.evaluate(facts, as_of=sys.argv[2])
acc["total"] = [clock() - w0, cpu() - c0]
print(json.dumps(acc))
"""


def _run(script: str, facts: str, tree: str = C.ROOT) -> dict:
    env = dict(os.environ)
    if tree != C.ROOT:  # the other checkout's package first on the path
        env["PYTHONPATH"] = tree + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run(
        [sys.executable, "-c", script, facts, DAY], capture_output=True, text=True, cwd=tree, check=True, env=env
    )
    return json.loads(out.stdout)


DIGEST = "import safetyrules, sys; print(safetyrules.__file__, safetyrules.load().digest)"


def _against(tree: str, facts: str, runs: int) -> None:
    """Load + first evaluate of this checkout and of ``tree``, interleaved."""
    for t in (C.ROOT, tree):
        env = dict(os.environ, PYTHONPATH=t) if t != C.ROOT else None
        out = subprocess.run([sys.executable, "-c", DIGEST], capture_output=True, text=True, cwd=t, check=True, env=env)
        print(f"{'this checkout' if t == C.ROOT else 'against'}: {out.stdout.strip()}")
    rows = {C.ROOT: [], tree: []}
    for i in range(runs + 1):
        for t in ((C.ROOT, tree) if i % 2 else (tree, C.ROOT)):
            r = _run(TOTAL, facts, t)
            if i:
                rows[t].append(r)

    def first(t, k):
        return statistics.median(r["load"][k] + r["first_evaluate"][k] for r in rows[t])

    print(f"\nload() + first evaluate, {runs} interleaved rounds (+1 warm-up), medians:")
    print(C.table(["checkout", "wall s", "CPU s"],
                  [["this checkout", first(C.ROOT, 0), first(C.ROOT, 1)], [tree, first(tree, 0), first(tree, 1)]]))
    print(f"this / against: {first(C.ROOT, 0) / first(tree, 0):.2f} wall, {first(C.ROOT, 1) / first(tree, 1):.2f} CPU")


def _chain(n: int, runs: int) -> None:
    from safetyrules import dsl
    from safetyrules.dsl import parser
    from safetyrules.errors import SafetyRulesError

    text = " + ".join(["x"] * n)
    got = {"dsl.parse": [], "parser.parse_lark": []}
    for _ in range(runs):
        for name, fn in (("dsl.parse", dsl.parse), ("parser.parse_lark", parser.parse_lark)):
            w, c = time.perf_counter(), time.process_time()
            try:
                fn(text)
                raise SystemExit(f"{name} accepted a {n}-term chain")
            except SafetyRulesError as err:
                message = str(err)
            got[name].append((time.perf_counter() - w, time.process_time() - c, message))
    same = {r[2] for rows in got.values() for r in rows}
    print(f"refusing a {n}-term x + x + ... + x, {runs} interleaved rounds, medians:")
    print(C.table(["parser", "wall s", "CPU s"],
                  [[k, statistics.median(r[0] for r in v), statistics.median(r[1] for r in v)] for k, v in got.items()]))
    print(f"errors: {'the same' if len(same) == 1 else 'DIFFERENT'}: {sorted(same)[0]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--facts", default=os.path.join("examples", "facts", "steel-plant.yaml"),
                    help="the entity of the first decision (a facts file)")
    ap.add_argument("--against", metavar="DIR", help="also time the checkout in DIR, interleaved (see above)")
    ap.add_argument("--chain", type=int, metavar="N", help="time refusing an N-term chain instead (see above)")
    args = ap.parse_args()
    sys.path.insert(0, C.ROOT)
    import safetyrules

    if args.chain:
        _chain(args.chain, args.runs)
        return

    facts = json.dumps(safetyrules.read_facts(os.path.join(C.ROOT, args.facts)))
    if args.against:
        _against(os.path.abspath(args.against), facts, args.runs)
        return
    m = C.machine()
    C.print_machine(m)
    totals, splits = [], []
    for i in range(args.runs + 1):  # the first round is the warm-up (file cache)
        t, s = _run(TOTAL, facts), _run(SPLIT, facts)
        if i:
            totals.append(t)
            splits.append(s)

    def med(rows, key, k):
        return statistics.median(r[key][k] for r in rows if key in r)

    user = [
        ["import safetyrules", "import"],
        ["safetyrules.load()", "load"],
        ["first rules.evaluate(facts) (compiles the day's program)", "first_evaluate"],
        ["second rules.evaluate(facts)", "second_evaluate"],
    ]
    rows = [[label, med(totals, key, 0), med(totals, key, 1)] for label, key in user]
    first = [t["load"][0] + t["first_evaluate"][0] for t in totals]
    first_cpu = [t["load"][1] + t["first_evaluate"][1] for t in totals]
    rows.append(["load() + first evaluate", statistics.median(first), statistics.median(first_cpu)])
    print()
    print(f"A new process per run, {args.runs} runs (+1 warm-up), first decision of {args.facts} on {DAY}:")
    print(C.table(["what a user calls", "wall s (median)", "CPU s (median)"], rows))
    stages = [
        ["read: files, YAML", "read"],
        ["check: schema, records + expressions, link", "check"],
        ["plan: frozen plan, RuleSet", "plan"],
        ["compile: the day's program (generate + compile)", "compile"],
        ["total (load + first evaluate, wrapped)", "total"],
    ]
    srows = [[label, med(splits, key, 0), med(splits, key, 1)] for label, key in stages]
    print()
    print("The same work split into stages (another new process per run):")
    print(C.table(["stage", "wall s (median)", "CPU s (median)"], srows))
    front = [s["read"][0] + s["check"][0] + s["plan"][0] for s in splits]
    front_cpu = [s["read"][1] + s["check"][1] + s["plan"][1] for s in splits]
    print(f"\nread + check + plan: {statistics.median(front):.3f} s wall, {statistics.median(front_cpu):.3f} s CPU "
          "(median of the runs' sums; target <= 0.16 s)")
    if totals[0].get("dont_write_bytecode"):
        print("\nnote: PYTHONDONTWRITEBYTECODE is set, so the import compiles every module from source")
    print(f"\nload + check + plan + compile (load() + first evaluate): {statistics.median(first):.3f} s wall, "
          f"{statistics.median(first_cpu):.3f} s CPU (target <= 0.3 s); "
          f"with the import {statistics.median(first) + med(totals, 'import', 0):.3f} s wall")
    C.write_results("load", {
        "machine": m,
        "command": f"python benchmarks/bench_load.py --runs {args.runs}",
        "facts": args.facts,
        "as_of": DAY,
        "median": {key: {"wall_s": med(totals, key, 0), "cpu_s": med(totals, key, 1)} for _, key in user},
        "load_plus_first_evaluate": {"wall_s": statistics.median(first), "cpu_s": statistics.median(first_cpu)},
        "stages": {key: {"wall_s": med(splits, key, 0), "cpu_s": med(splits, key, 1)} for _, key in stages},
        "read_check_plan": {"wall_s": statistics.median(front), "cpu_s": statistics.median(front_cpu)},
        "runs": totals,
        "stage_runs": splits,
    })


if __name__ == "__main__":
    main()
