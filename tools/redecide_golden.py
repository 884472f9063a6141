"""Re-decide the golden corpus's entities with the rules in this tree.

    python tools/redecide_golden.py [tests/data/golden-decisions.jsonl.gz]

Keeps each entity's facts and as_of; replaces its decision (without the
``ruleset`` block and the v1 keys the golden test leaves out), and prints
how many decisions changed in which fields.  Run it only after a deliberate
change to the bundled rules, and say in the commit what changed and why.
"""
import collections
import gzip
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import safetyrules  # noqa: E402

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "tests", "data", "golden-decisions.jsonl.gz")
rules = safetyrules.load()
with gzip.open(path, "rt", encoding="utf-8") as fh:
    cases = [json.loads(line) for line in fh]
changed = collections.Counter()
out = []
for c in cases:
    d = rules.evaluate(c["facts"], as_of=c["as_of"]).to_dict()
    for k in ("ruleset", "entity", "level_range", "next_questions"):
        d.pop(k, None)
    for k in set(d) | set(c["decision"]):
        if d.get(k) != c["decision"].get(k):
            changed[k] += 1
    out.append(json.dumps({"facts": c["facts"], "as_of": c["as_of"], "decision": d}, sort_keys=True, ensure_ascii=False) + "\n")
with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as fh:
    fh.write("".join(out).encode("utf-8"))  # mtime 0: the same decisions give the same bytes
print(len(out), "entities;", dict(changed) or "no change")
