"""``safetyrules report`` on a user's mistakes: located messages, exit 2,
never an internal error (SPEC §6: no traceback for any user error)."""

import json
import cli_fork


def run(*args):
    return cli_fork.run([*map(str, args)], capture_output=True, text=True)


def test_unwritable_out_is_a_user_error(tmp_path):
    d = tmp_path / "d.jsonl"
    d.write_text(json.dumps({"level": "red", "tier": "full", "inspection": "monthly", "major_hazard": True}) + "\n", encoding="utf-8")
    p = run("report", d, "--format", "json", "--out", tmp_path / "no" / "such" / "r.json")
    assert p.returncode == 2 and "internal error" not in p.stderr, p.stderr
    assert p.stderr.startswith(f"{tmp_path / 'no' / 'such' / 'r.json'}: error: cannot write the report"), p.stderr


def test_directory_and_bad_lines_are_named(tmp_path):
    p = run("report", tmp_path)
    assert p.returncode == 2 and p.stderr.startswith(f"{tmp_path}: error: cannot read decisions: is a directory"), p.stderr
    d = tmp_path / "d.jsonl"
    d.write_text('{bad\n' + json.dumps({"level": "red"}) + "\n", encoding="utf-8")
    p = run("report", d, "--format", "json")
    assert p.returncode == 0 and json.loads(p.stdout)["bad_lines"] == 1
    assert p.stderr.startswith(f"{d}: warning: 1 line(s) were not decisions"), p.stderr


def test_input_with_no_decision_at_all_is_a_user_error(tmp_path):
    # facts given where decisions are wanted: an error (exit 2), not an empty report
    f = tmp_path / "facts.jsonl"
    f.write_text('{"entity.id": "a", "entity.employees": 5}\n{"entity.id": "b"}\n', encoding="utf-8")
    for fmt in ("json", "html"):
        p = run("report", f, "--format", fmt)
        assert p.returncode == 2 and p.stdout == "", (p.returncode, p.stdout[:100])
        assert p.stderr.startswith(f"{f}: error: none of the 2 line(s) is a decision"), p.stderr
        assert "Traceback" not in p.stderr
    # an empty registry is still an (empty) report
    e = tmp_path / "empty.jsonl"
    e.write_text("", encoding="utf-8")
    p = run("report", e, "--format", "json")
    assert p.returncode == 0 and json.loads(p.stdout)["entities"] == 0


def test_negative_top_is_refused(tmp_path):
    d = tmp_path / "d.jsonl"
    d.write_text(json.dumps({"level": "red"}) + "\n", encoding="utf-8")
    p = run("report", d, "--top", "-1")
    assert p.returncode == 2 and "--top must be 0 or more" in p.stderr, p.stderr
