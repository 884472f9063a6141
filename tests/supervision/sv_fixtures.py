"""Shared inputs of the supervision tests: the §8.2 test vector, written as files."""

import json
import os

SEED = "5f2c1d9e0b7a4c3e8d6f1a2b3c4d5e6f"
COMMITMENT = "81c444a187739367feac59c59af8d1fea4a0567a7cb964c28923036ab4e7477a"
POOL_DIGEST = "b30d059c3b1402ba78eb57366b9171542b15317daaa7c57870f3371530410f0c"

POLICY = """kind: supervision-policy
id: test.vector
parameters:
  ratios: {value: {yellow: "0.20", blue: "0.05"}, source: "supervision.md §8.2 test vector", status: policy}
  min_per_stratum: 1
  team_size: 2
  load_cap: 2
  rotation_window: 1
"""


def entity(eid, level, **extra):
    ent = {"id": eid, "status": "active", "major_hazard_source": False, "high_risk_sector": False, "scale": "small"}
    ent.update(extra)
    return {"entity": ent, "level": level}


def vector_lines():
    return [entity(f"E{i:03d}", "yellow") for i in range(1, 11)] + [entity(f"E{i:03d}", "blue") for i in range(101, 107)]


def inspectors(conflict=True):
    out = [{"id": f"I0{i}", "name": f"Inspector {i}", "unit": "County bureau", "cert_no": f"C-{i}", "cert_valid_until": "2027-12-31"} for i in range(1, 6)]
    if conflict:
        out[2]["conflicts"] = [{"entity_id": "E001", "relation": "relative", "declared": True}]
    return out


HISTORY = [{"inspection_id": "H1", "entity_id": "E010", "date": "2023-06-01", "channel": "enforcement", "kind": "random", "inspectors": ["I05"], "open_findings": 0}]


def write_jsonl(path, objs):
    with open(path, "w", encoding="utf-8") as fh:
        for o in objs:
            fh.write(json.dumps(o, ensure_ascii=False) + "\n")
    return str(path)


def vector_files(tmp_path, lines=None, conflict=True):
    d = {}
    d["registry"] = write_jsonl(tmp_path / "registry.jsonl", lines if lines is not None else vector_lines())
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    d["policy"] = str(tmp_path / "policy.yaml")
    d["history"] = write_jsonl(tmp_path / "history.jsonl", HISTORY)
    (tmp_path / "inspectors.json").write_text(json.dumps(inspectors(conflict)), encoding="utf-8")
    d["inspectors"] = str(tmp_path / "inspectors.json")
    return d


EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "supervision")
