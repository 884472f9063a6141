"""Bad supervision inputs as a user makes them: each is a located error and
exit 2, never an internal error (supervision.md §8.0 "Exit codes and errors")."""


from sv_fixtures import vector_files
import cli_fork


def cli(*args, cwd=None):
    p = cli_fork.run([*map(str, args)], capture_output=True, text=True, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def _no_traceback(err):
    assert "Traceback" not in err and "internal error" not in err, err


def test_grid_members_missing_or_not_utf8(tmp_path):
    f = vector_files(tmp_path)
    code, _, err = cli("grid", f["registry"], "--members", tmp_path / "nope.csv")
    _no_traceback(err)
    assert code == 2 and err.startswith(f"{tmp_path / 'nope.csv'}: error: cannot read members"), err
    (tmp_path / "bin.csv").write_bytes(b"id,grid\n\xff\xfe,G1\n")
    code, _, err = cli("grid", f["registry"], "--members", tmp_path / "bin.csv")
    _no_traceback(err)
    assert code == 2 and "bin.csv: error: members is not UTF-8" in err, err


def test_grid_moves_not_utf8(tmp_path):
    f = vector_files(tmp_path)
    (tmp_path / "m.csv").write_text("id,grid,fte\nM1,G001,1\n", encoding="utf-8")
    (tmp_path / "moves.csv").write_bytes(b"entity_id,to_grid\nE001,\xff\n")
    code, _, err = cli("grid", f["registry"], "--members", tmp_path / "m.csv", "--move", tmp_path / "moves.csv")
    _no_traceback(err)
    assert code == 2 and "moves.csv: error: moves is not UTF-8" in err, err


def test_policy_condition_error_points_at_the_token(tmp_path):
    f = vector_files(tmp_path)
    pol = tmp_path / "p.yaml"
    pol.write_text('kind: supervision-policy\nid: p\nkey_inspection:\n  any_of: "risk.level == "\n', encoding="utf-8")
    code, _, err = cli("draw", "commit", f["registry"], "--policy", pol, "--inspectors", f["inspectors"], "--as-of", "2025-03-01", "--commitment", "00")
    assert code == 2 and err.startswith(f"{pol}:4:25: error: bad condition"), err
    # a cap row's condition, in the section spelling
    pol.write_text('kind: supervision-policy\nid: p\ncaps:\n  rows:\n    - {when: "true", max: 2}\n    - {when: "entity.sector = 1", max: 3}\n',
                   encoding="utf-8")
    code, _, err = cli("draw", "commit", f["registry"], "--policy", pol, "--inspectors", f["inspectors"], "--as-of", "2025-03-01", "--commitment", "00")
    assert code == 2 and err.startswith(f"{pol}:6:29: error: bad condition 'entity.sector = 1'"), err


def test_json_policy_errors_have_line_and_column(tmp_path):
    f = vector_files(tmp_path)
    pol = tmp_path / "p.json"
    pol.write_text('{"kind": "supervision-policy",\n "id": "p",\n "parameters": {"team_sise": 2}}\n', encoding="utf-8")
    code, _, err = cli("draw", "commit", f["registry"], "--policy", pol, "--inspectors", f["inspectors"], "--as-of", "2025-03-01", "--commitment", "00")
    assert code == 2 and err.startswith(f"{pol}:3:17: error: unknown policy parameter 'team_sise'"), err
    pol.write_text('{"kind": "supervision-policy",\n "id": [1,}\n', encoding="utf-8")
    code, _, err = cli("draw", "commit", f["registry"], "--policy", pol, "--inspectors", f["inspectors"], "--as-of", "2025-03-01", "--commitment", "00")
    assert code == 2 and err.startswith(f"{pol}:2:11: error: policy is not JSON"), err


def test_validate_checks_policy_files(tmp_path):
    import os

    from sv_fixtures import EXAMPLES

    good = os.path.join(EXAMPLES, "policy.yaml")
    code, out, err = cli("validate", good)
    assert code == 0 and out.startswith(f"{good}: ok — supervision policy example.district.2025"), (out, err)
    bad = tmp_path / "p.yaml"
    bad.write_text("kind: supervision-policy\nid: p\nparameters:\n  team_sise: 2\n", encoding="utf-8")
    code, out, err = cli("validate", bad)
    assert code == 1 and err.startswith(f"{bad}:4:3: error: unknown policy parameter 'team_sise'"), (out, err)
    # with a rule set: both are checked, the bad one fails the run
    code, out, err = cli("validate", bad, os.path.join(EXAMPLES, "..", "..", "standards"))
    assert code == 1 and "ok — " in out and "team_sise" in err


def test_track_text_without_a_ledger_says_so(tmp_path):
    from sv_fixtures import write_jsonl

    old = write_jsonl(tmp_path / "old.jsonl", [{"entity": {"id": "E1"}, "level": "blue", "findings": [], "undetermined": []}])
    code, out, err = cli("track", old, old, "--as-of", "2025-03-01")
    assert code == 0, err
    assert "ledger: none given" in out and "ledger None" not in out


def test_run_record_holds_the_rule_set_digest(tmp_path):
    import json

    from sv_fixtures import write_jsonl

    reg = write_jsonl(tmp_path / "g.jsonl", [{"entity": {"id": "E1", "status": "active"}, "level": "blue",
                                              "ruleset": {"id": "cn.default", "digest": "sha256:abc"}}])
    (tmp_path / "v").mkdir()
    f = vector_files(tmp_path / "v")
    code, _, err = cli("draw", "commit", reg, "--inspectors", f["inspectors"], "--as-of", "2025-03-01",
                       "--commitment", "81c444a187739367feac59c59af8d1fea4a0567a7cb964c28923036ab4e7477a",
                       "-o", tmp_path / "m.json", "--record", tmp_path / "rec")
    assert code == 0, err
    run = json.loads((tmp_path / "rec" / "run.json").read_text())
    assert run["ruleset_digests"] == ["sha256:abc"] and run["manifest_digest"].startswith("sha256:")


def test_checklist_facts_errors_are_located(tmp_path):
    y = tmp_path / "e.yaml"
    y.write_text("entity:\n  employees: many\n", encoding="utf-8")
    code, _, err = cli("checklist", y, "--as-of", "2025-06-01")
    assert code == 2 and err.startswith(f"{y}:2:14: error: fact 'entity.employees'"), err
    j = tmp_path / "e.json"
    j.write_text('{\n  "entity": {"employees": "many"}\n}\n', encoding="utf-8")
    code, _, err = cli("checklist", j, "--as-of", "2025-06-01")
    assert code == 2 and err.startswith(f"{j}:2:27: error: fact 'entity.employees'"), err
    a = tmp_path / "answers.yaml"
    a.write_text("gas:\n  used: maybe\n", encoding="utf-8")
    code, _, err = cli("checklist", "W-001", "--kind", "self_check", "--answers", a, "--as-of", "2025-06-01")
    assert code == 2 and err.startswith(f"{a}:2:9: error: fact 'gas.used'"), err


def test_plan_year_mismatch_points_at_the_staff_year(tmp_path):
    import os

    from sv_fixtures import EXAMPLES

    f = vector_files(tmp_path)
    staff = os.path.join(EXAMPLES, "staff-2025.yaml")
    code, _, err = cli("plan", f["registry"], "--staff", staff, "--year", "2024")
    assert code == 2 and err.startswith(f"{staff}:4:7: error: the staff file is for 2025"), err


def test_move_of_an_unknown_entity_names_its_line(tmp_path):
    f = vector_files(tmp_path)
    (tmp_path / "m.csv").write_text("id,grid,fte\nM1,G001,1\n", encoding="utf-8")
    moves = tmp_path / "moves.csv"
    moves.write_text("entity_id,to_grid\nE001,G002\nNOPE,G002\n", encoding="utf-8")
    code, _, err = cli("grid", f["registry"], "--members", tmp_path / "m.csv", "--move", moves)
    assert code == 2 and err.startswith(f"{moves}:3: error: move of unknown entity 'NOPE'"), err


def test_replace_of_an_entity_outside_the_pool_is_refused(tmp_path):
    from sv_fixtures import COMMITMENT, SEED

    f = vector_files(tmp_path)
    man = tmp_path / "m.json"
    code, _, err = cli("draw", "commit", f["registry"], "--policy", f["policy"], "--history", f["history"], "--inspectors", f["inspectors"],
                       "--as-of", "2025-03-01", "--commitment", COMMITMENT, "-o", man)
    assert code == 0, err
    code, _, err = cli("draw", "run", man, "--seed", SEED, "--replace", "E999=closed")
    assert code == 2 and "not in the manifest's pool" in err, err
    code, out, err = cli("draw", "run", man, "--seed", SEED, "--replace", "E001=closed", "--format", "json")
    assert code == 0 and '"replaces":"E001"' in out, err


def test_validate_recognises_a_json_policy_whatever_its_key_order(tmp_path):
    pol = tmp_path / "p.json"
    pol.write_text('{"id": "p", "kind": "supervision-policy", "team_size": 0}\n', encoding="utf-8")
    code, out, err = cli("validate", pol)
    assert code == 1 and err.startswith(f"{pol}:1:56: error: team_size must be a positive integer"), (out, err)


def test_year_and_budget_out_of_range(tmp_path):
    import os

    from sv_fixtures import COMMITMENT, EXAMPLES

    f = vector_files(tmp_path)
    members = os.path.join(EXAMPLES, "members.csv")
    for year in ("99999", "0"):
        code, _, err = cli("grid", f["registry"], "--members", members, "--year", year)
        _no_traceback(err)
        assert code == 2 and "--year must be a year between 1 and 9998" in err, err
    code, _, err = cli("draw", "commit", f["registry"], "--inspectors", f["inspectors"], "--as-of", "2025-03-01",
                       "--commitment", COMMITMENT, "--budget", "-5")
    assert code == 2 and "--budget is a number of entities" in err, err
