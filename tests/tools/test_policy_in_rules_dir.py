"""A directory of rule files that also holds a ``kind: supervision-policy``
file: ``validate`` checks the policy as a policy and the rule files as a rule
set; ``test`` and ``lint`` leave the policy out (it is no rule file)."""


from tools_fixtures import GOOD_STANDARD, VOCAB, write_rules
import cli_fork

POLICY = """\
kind: supervision-policy
id: example.policy
parameters:
  team_size: {value: 2, source: "行政处罚法 Art. 42", status: verified}
"""


def cli(*args):
    p = cli_fork.run([*map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def _dir(tmp_path, policy=POLICY):
    return write_rules(tmp_path / "rules", {"vocab.yaml": VOCAB, "std.yaml": GOOD_STANDARD, "sub/policy.yaml": policy})


def test_validate_dir_checks_the_policy_as_a_policy(tmp_path):
    d = _dir(tmp_path)
    code, out, err = cli("validate", d)
    assert code == 0, err
    assert "unknown kind" not in err
    assert "policy.yaml: ok — supervision policy example.policy" in out
    assert f"{d}: ok — 12 facts" in out


def test_validate_dir_reports_a_bad_policy(tmp_path):
    d = _dir(tmp_path, POLICY.replace("value: 2", "value: -2"))
    code, out, err = cli("validate", d)
    assert code == 1
    assert "policy.yaml:4:" in err and "team_size" in err and "unknown kind" not in err
    assert f"{d}: ok" in out  # the rule files themselves are fine


def test_test_and_lint_dir_leave_the_policy_out(tmp_path):
    d = _dir(tmp_path)
    code, out, err = cli("test", d)
    assert code == 0 and "2 passed, 0 failed" in out, err
    code, out, err = cli("lint", d)
    assert "unknown kind" not in out + err and "error" not in out + err


def test_directory_of_policies_only(tmp_path):
    d = write_rules(tmp_path / "p", {"policy.yaml": POLICY})
    code, out, err = cli("validate", d)
    assert code == 0 and "supervision policy example.policy" in out, err
    code, out, err = cli("lint", d)
    assert code != 0 and "only supervision policies" in out + err


def test_rule_set_digest_leaves_the_policy_out(tmp_path):
    import safetyrules

    d = _dir(tmp_path)
    with_policy = safetyrules.load(d).digest
    (tmp_path / "rules" / "sub" / "policy.yaml").unlink()
    assert safetyrules.load(d).digest == with_policy
