"""tests/cli_fork.py (the forked ``python -m safetyrules`` many CLI tests
use) gives what a fresh ``subprocess.run`` gives: the same exit code and the
same stdout and stderr bytes, with stdin, cwd, text mode and env honoured;
and a call it cannot reproduce runs as a plain subprocess."""

import os
import subprocess
import sys

import cli_fork

FACTS = '{"entity": {"sector": "catering", "nbs_sector": "catering", "employees": 25, "revenue": 600}, "gas": {"fuel_used": true}}\n'


def _both(args, **kw):
    fork = cli_fork.run(args, **kw)
    plain = subprocess.run([sys.executable, "-m", "safetyrules", *map(str, args)], **kw)
    return fork, plain


def test_forked_calls_give_the_bytes_and_exit_code_of_a_fresh_process(tmp_path):
    (tmp_path / "f.jsonl").write_text(FACTS + '{"entity": {"employees": "eight"}}\n', encoding="utf-8")
    cases = [
        (["evaluate", "-", "--as-of", "2024-03-01", "--format", "json"], dict(input=FACTS.encode(), capture_output=True)),
        # a relative path read from cwd, an error line, exit 1 and text mode
        (["evaluate", "f.jsonl", "--as-of", "2024-03-01", "--format", "json"], dict(cwd=tmp_path, capture_output=True, text=True)),
        (["evaluate", "nope.yaml"], dict(cwd=tmp_path, capture_output=True, text=True,
                                         env={**os.environ, "SAFETYRULES_DEBUG": ""})),
        (["no-such-command"], dict(capture_output=True)),
    ]
    codes = set()
    for args, kw in cases:
        fork, plain = _both(args, **kw)
        assert (fork.returncode, fork.stdout, fork.stderr) == (plain.returncode, plain.stdout, plain.stderr), args
        assert fork.stdout or fork.stderr, args
        codes.add(plain.returncode)
    assert codes == {0, 2}, codes  # success and failure


def test_a_call_it_cannot_reproduce_runs_as_a_subprocess(monkeypatch):
    monkeypatch.delenv("SAFETYRULES_TESTS_NO_FORK", raising=False)
    calls = []
    real = subprocess.run
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd) or real(cmd, **kw))
    env = {**os.environ, "PYTHONHASHSEED": "7"}
    p = cli_fork.run(["--version"], capture_output=True, text=True, env=env)
    assert p.returncode == 0 and p.stdout.startswith("safetyrules")
    assert calls == [[sys.executable, "-m", "safetyrules", "--version"]]
    calls.clear()
    p = cli_fork.run(["--version"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.startswith("safetyrules") and calls == []
