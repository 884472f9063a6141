"""Write a golden corpus of decisions: bundled rule set on mutated example entities
(with heavy gaps) and on several as_of dates."""
import sys, json, random, datetime, os
root = sys.argv[1]; out = sys.argv[2]
sys.path.insert(0, root); sys.path.insert(0, os.path.join(root, "benchmarks"))
import safetyrules
import entities as E
rules = safetyrules.load(os.path.join(root, "standards"))
rng = random.Random(20261201)
bases = E.examples()
dates = ["2016-01-01", "2018-06-01", "2023-05-14", "2023-05-15", "2024-06-01", "2025-11-01", "2026-12-01"]
n = 0
with open(out, "w") as fh:
    for i in range(1500):
        name, base = bases[i % len(bases)]
        missing = [0.0, 0.05, 0.3, 0.7][i % 4]
        facts = E.mutate(base, rng, flips=rng.randint(0, 4), missing=missing)
        as_of = dates[rng.randrange(len(dates))]
        try:
            d = rules.evaluate(facts, as_of=as_of).to_dict()
        except safetyrules.SafetyRulesError as e:
            d = {"error": type(e).__name__, "message": str(e)}
        d.pop("ruleset", None)
        fh.write(json.dumps({"facts": facts, "as_of": as_of, "decision": d}, sort_keys=True, ensure_ascii=False, default=str) + "\n")
        n += 1
print(n)
