"""``safetyrules ledger stats --quarter Q`` (supervision.md §8.4, HZ-3): an
enterprise's quarterly or yearly hazard statistics, due on the 15th of the next
quarter or on Jan 31, with the principal's signature as a required field."""

import json
import os

import pytest

from sv_fixtures import EXAMPLES, write_jsonl
import cli_fork

LEDGER = os.path.join(EXAMPLES, "ledger.jsonl")


def cli(*args):
    p = cli_fork.run([*map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize("q,kind,start,end,due", [
    ("2025Q1", "quarter", "2025-01-01", "2025-03-31", "2025-04-15"),
    ("2025-q2", "quarter", "2025-04-01", "2025-06-30", "2025-07-15"),
    ("2025Q4", "quarter", "2025-10-01", "2025-12-31", "2026-01-15"),
    ("2025", "year", "2025-01-01", "2025-12-31", "2026-01-31"),
])
def test_periods_and_due_dates(q, kind, start, end, due):
    from safetyrules.supervision import period_of

    p = period_of(q).to_dict()
    assert (p["kind"], p["from"], p["until"], p["due"]) == (kind, start, end, due)


def test_quarter_counts_of_the_example_ledger():
    from safetyrules.supervision import ledger_stats, period_of, read_ledger

    led = read_ledger(LEDGER)
    q1 = ledger_stats(led, period_of("2025Q1")).to_dict()
    assert q1["totals"]["found"] == {"general": 1, "major": 3, "total": 4}
    assert q1["totals"]["rectified"]["total"] == 0
    assert q1["totals"]["overdue_at_end"] == {"general": 1, "major": 0, "total": 1}  # SZ000014, deadline 2025-02-15
    assert q1["totals"]["major"]["reported_to_authority"] == 1
    q2 = ledger_stats(led, period_of("2025Q2"), entity_id="SZ000028", principal="张三").to_dict()
    [b] = q2["entities"]
    assert b["rectified"] == {"general": 0, "major": 1, "total": 1} and b["open_at_end"]["total"] == 0
    assert q2["signature"] == {"role": "principal", "required": True, "principal": "张三", "signed": True}
    assert not [w for w in q2["warnings"] if w["code"] == "W-STATS-UNSIGNED"]


def test_cli_json_is_canonical_and_the_signature_is_required(tmp_path):
    code, out, err = cli("ledger", "stats", LEDGER, "--quarter", "2025Q1", "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    assert out == json.dumps(d, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert d["period"]["due"] == "2025-04-15"
    assert d["signature"]["required"] is True and d["signature"]["principal"] is None
    assert "W-STATS-UNSIGNED" in [w["code"] for w in d["warnings"]]
    code, out, err = cli("ledger", "stats", LEDGER, "--year", "2025", "--principal", "Li Si", "--as-of", "2026-02-10")
    assert code == 0, err
    assert "due 2026-01-31" in out and "Principal person (signature, required): Li Si" in out and "W-STATS-LATE" in out
    code, out, err = cli("ledger", "stats", LEDGER, "--quarter", "2025Q1", "--format", "markdown", "--record", tmp_path / "rec")
    assert code == 0 and out.startswith("# Quarterly hazard statistics 2025Q1") and (tmp_path / "rec" / "run.json").exists()


def test_cli_errors(tmp_path):
    code, _, err = cli("ledger", "stats", LEDGER)
    assert code == 2 and "needs --quarter" in err
    code, _, err = cli("ledger", "stats", LEDGER, "--quarter", "2025Q5")
    assert code == 2 and "--quarter takes YYYYQn" in err
    bad = write_jsonl(tmp_path / "l.jsonl", [{"finding_id": "F-1", "action": "closed", "at": "2025-01-01"}])
    code, _, err = cli("ledger", "stats", bad, "--quarter", "2025Q1")
    assert code == 2 and err.startswith(f"{bad}:1: error:") and "Traceback" not in err
