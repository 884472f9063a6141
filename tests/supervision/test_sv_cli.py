"""The supervision commands as a user runs them: exit codes, located errors,
canonical JSON, --record (supervision.md §8.0)."""

import json

from sv_fixtures import COMMITMENT, SEED, vector_files, write_jsonl
import cli_fork


def cli(*args, cwd=None):
    p = cli_fork.run([*map(str, args)], capture_output=True, text=True, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def test_draw_end_to_end_with_record(tmp_path):
    f = vector_files(tmp_path)
    man, res = tmp_path / "manifest.json", tmp_path / "result.json"
    code, out, err = cli("draw", "commit", f["registry"], "--policy", f["policy"], "--history", f["history"], "--inspectors", f["inspectors"],
                         "--as-of", "2025-03-01", "--commitment", COMMITMENT, "-o", man, "--record", tmp_path / "rec")
    assert code == 0, err
    assert "manifest digest sha256:" in err
    run = json.loads((tmp_path / "rec" / "run.json").read_text())
    assert run["command"] == "draw commit" and run["inputs"]["registry"].startswith("sha256:") and run["tool"]["name"] == "safetyrules"
    assert run["manifest_digest"] in err
    code, out, err = cli("draw", "run", man, "--seed", SEED, "-o", res, "--format", "json")
    assert code == 0, err
    d = json.loads(res.read_text())
    assert [x["entity_id"] for s in d["strata"] for x in s["selected"]] == ["E001", "E010", "E106"]
    code, out, err = cli("draw", "verify", man, res, "--seed", SEED, "--registry", f["registry"], "--policy", f["policy"],
                         "--history", f["history"], "--inspectors", f["inspectors"])
    assert code == 0 and out.startswith("verified"), err
    # an edited result fails with the difference
    d["teams"][1]["inspectors"] = ["I04", "I02"]
    (tmp_path / "edited.json").write_text(json.dumps(d))
    code, out, err = cli("draw", "verify", man, tmp_path / "edited.json", "--seed", SEED)
    assert code == 1 and "error: the result differs" in err and "/teams/1/inspectors" in err
    # a wrong seed
    code, out, err = cli("draw", "run", man, "--seed", "abc")
    assert code == 1 and "does not match the manifest's commitment" in err
    # one byte of the registry changed after commit
    with open(f["registry"], "a") as fh:
        fh.write(" \n")
    code, out, err = cli("draw", "run", man, "--seed", SEED, "--registry", f["registry"])
    assert code == 1 and "differs from the one the manifest was committed with" in err


def test_draw_seed_prints_a_commitment():
    import hashlib

    code, out, err = cli("draw", "seed", "--format", "json")
    d = json.loads(out)
    assert code == 0 and len(d["seed"]) == 64 and d["commitment"] == hashlib.sha256(d["seed"].encode()).hexdigest()


def test_bad_registry_line_is_located(tmp_path):
    p = tmp_path / "r.jsonl"
    p.write_text('{"entity": {"id": "A"}, "level": "red"}\n{"entity": {"id": "B"}, "level": "purple"}\n')
    code, out, err = cli("grid", p, "--members", tmp_path / "m.csv")
    assert code == 2 and "Traceback" not in err
    (tmp_path / "m.csv").write_text("id,grid,fte,cert_no\nm1,G1,1,\n")
    code, out, err = cli("grid", p, "--members", tmp_path / "m.csv")
    assert code == 2 and err.startswith(f"{p}:2: error: level must be one of red, orange, yellow, blue")
    p.write_text('{"entity": {"id": "A"}, "level": "red"}\nnot json\n')
    code, out, err = cli("track", p, p)
    assert code == 2 and err.startswith(f"{p}:2: error: not a JSON line")


def test_bad_policy_is_located(tmp_path):
    f = vector_files(tmp_path)
    pol = tmp_path / "bad.yaml"
    pol.write_text("kind: supervision-policy\nid: x\nparameters:\n  team_size: 2\n  ratio: {value: 1}\n")
    code, out, err = cli("plan", f["registry"], "--policy", pol, "--staff", tmp_path / "s.yaml", "--year", 2025)
    assert code == 2 and f"{pol}:5:3: error: unknown policy parameter 'ratio' (did you mean 'ratios'?)" in err


def test_plan_formats_and_infeasible_exit(tmp_path):
    f = vector_files(tmp_path)
    staff = tmp_path / "s.yaml"
    staff.write_text("year: 2025\nworkdays: 248\nstaff: 2\nother_enforcement: 0\nnon_enforcement: 0\n")
    code, out, err = cli("plan", f["registry"], "--staff", staff, "--year", 2025, "--format", "json")
    assert code == 0, err
    again = cli("plan", f["registry"], "--staff", staff, "--year", 2025, "--format", "json")[1]
    assert out == again and json.loads(out)["summary"]["general"]["budget"] == 223
    code, md, err = cli("plan", f["registry"], "--staff", staff, "--year", 2025, "--format", "markdown")
    assert code == 0 and "| item | basis | units and count | key | drawn | content | method | frequency and cap | time | responsible office |" in md
    lines = [json.loads(x) for x in open(f["registry"])] + [{"entity": {"id": f"R{i}", "status": "active"}, "level": "red"} for i in range(50)]
    reg = write_jsonl(tmp_path / "big.jsonl", lines)
    code, out, err = cli("plan", reg, "--staff", staff, "--year", 2025)
    assert code == 1 and "NO — short by" in out


def test_track_gate_and_checklist_json(tmp_path):
    old = write_jsonl(tmp_path / "old.jsonl", [{"entity": {"id": "E1"}, "date": "2025-01-01", "findings": [{"standard": "s", "clause": "c", "severity": "major"}]}])
    code, out, err = cli("track", old, old, "--as-of", "2025-06-01", "--fail-on", "persisting-major", "--format", "json")
    assert code == 1 and "--fail-on persisting-major: 1" in err
    assert json.loads(out)["findings"][0]["class"] == "persisting"
    code, out, err = cli("track", old, old, "--as-of", "2025-06-01", "--fail-on", "reopened")
    assert code == 0
    code, out, err = cli("checklist", "X", "--kind", "self_check", "--format", "json", "--as-of", "2025-06-01")
    d = json.loads(out)
    assert code == 0 and d["kind"] == "self_check" and len(d["items"]) == 12 and d["entity"] == {"id": "X"}


def test_help_lists_the_commands():
    code, out, err = cli("--help")
    for c in ("plan", "draw", "grid", "track", "checklist"):
        assert c in out


def test_checklist_of_a_missing_facts_file_is_an_error_not_a_blank_checklist(tmp_path):
    for ent in (tmp_path / "no-such-entity.yaml", tmp_path):
        code, out, err = cli("checklist", ent, "--as-of", "2025-06-01")
        assert code == 2 and out == "", (code, out[:100])
        assert err.startswith(f"{ent}: error: cannot read the entity's facts file"), err
    # an entity id is still an entity id
    code, out, err = cli("checklist", "W-001", "--as-of", "2025-06-01", "--format", "json")
    assert code == 0 and json.loads(out)["entity"] == {"id": "W-001"}
