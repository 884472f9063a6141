"""docs/supervision.md is true: every command it shows runs, in order, in a
copy of examples/supervision, with the exit status and the output lines shown."""

import os
import re
import shutil
import subprocess
import sys

from sv_fixtures import EXAMPLES

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "supervision.md")


def blocks():
    text = open(DOC, encoding="utf-8").read()
    for body in re.findall(r"```console\n(.*?)```", text, re.S):
        lines = body.rstrip("\n").split("\n")
        assert lines[0].startswith("$ "), lines[0]
        cmd = lines[0][2:]
        rest = lines[1:]
        code = 0
        if rest and re.fullmatch(r"\[exit \d+\]", rest[-1]):
            code = int(rest[-1][6:-1])
            rest = rest[:-1]
        yield cmd, code, rest


def _env():
    """The checkout's package, not whatever copy is installed: the commands
    run in a temporary directory."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    return dict(os.environ, PYTHONPATH=os.pathsep.join([root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))


def test_the_walk_through_runs_as_shown(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "examples" / "supervision")
    seen = 0
    for cmd, code, shown in blocks():
        argv = cmd.split()
        argv = [sys.executable, "-m", "safetyrules", *argv[1:]] if argv[0] == "safetyrules" else [sys.executable, *argv[1:]]
        p = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=_env())
        assert p.returncode == code, (cmd, p.returncode, p.stderr[-500:])
        got = set((p.stdout + p.stderr).splitlines())
        if cmd == "safetyrules draw seed":
            assert re.search(r"^seed       [0-9a-f]{64}$", p.stdout, re.M) and re.search(r"^commitment [0-9a-f]{64}$", p.stdout, re.M)
            continue
        for line in shown:
            if line and "…" not in line:
                assert line in got, (cmd, line)
        seen += 1
    assert seen >= 9


def test_the_parameter_table_is_the_policy_defaults():
    from safetyrules.supervision.policy import default_policy

    text = open(DOC, encoding="utf-8").read()
    for p in default_policy().params.values():
        assert f"| `{p.name}` |" in text and f"| {p.status} | {p.source} |" in text, p.name


def test_the_policy_example_loads(tmp_path):
    from safetyrules import supervision as sv

    text = open(DOC, encoding="utf-8").read()
    block = re.search(r"## The policy file.*?```yaml\n(.*?)```", text, re.S).group(1)
    (tmp_path / "p.yaml").write_text(block, encoding="utf-8")
    pol = sv.load_policy(str(tmp_path / "p.yaml"))
    assert pol["caps"] == "cn.sx.2025" and pol.params["caps"].source == "县应急管理局 2026 年执法计划"
    assert pol.params["key_inspection"].status == "partial" and pol["exclude_recent_days"] == 365
    assert pol["qualifications"] == {"hazardous_chemicals": ["hazchem"]} and pol["stock_cutoff"] == "2023-12-31"
    assert pol.ratios()[0]["yellow"] == __import__("fractions").Fraction(1, 10)
