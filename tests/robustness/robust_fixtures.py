"""Shared helpers of the robustness suite (a module with a unique name: every
test folder has its own conftest.py)."""

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
GOOD = os.path.join(CORPUS, "good")
RULES_CORPUS = os.path.join(CORPUS, "rules")
FACTS_CORPUS = os.path.join(CORPUS, "facts")
REPO = os.path.dirname(os.path.dirname(HERE))

#: The first line of a located message: PATH:LINE:COL: error: (or PATH:LINE:).
LOCATED = re.compile(r"^(?P<path>[^\n:]+):(?P<line>\d+)(?::(?P<col>\d+))?: error: \S", re.M)
LOCATED_COL = re.compile(r"^(?P<path>[^\n:]+):(?P<line>\d+):(?P<col>\d+): error: \S", re.M)


def run_main(*argv, stdin_bytes=None):
    """Run the command line in this process → (exit code, stdout, stderr).

    In-process (no interpreter start) so a corpus of hundreds of inputs runs
    in seconds; :func:`safetyrules.cli.main.main` is what the console script
    calls, with the same exception handling (exit 70 for a bug)."""
    from safetyrules.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if stdin_bytes is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin_bytes), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def run_cli(*args, stdin=None, timeout=120, **kw):
    """Run the command line as a user does: a real subprocess."""
    exe = shutil.which("safetyrules")
    cmd = [exe] if exe else [sys.executable, "-m", "safetyrules"]
    env = dict(os.environ)
    env.pop("SAFETYRULES_DEBUG", None)
    return subprocess.run(cmd + list(args), input=stdin, capture_output=True, timeout=timeout, env=env, cwd=REPO, **kw)


def assert_no_escape(code, stderr):
    """The contract for a user mistake: exit 0/1/2, never a bug's exit 70 or
    a traceback."""
    assert code in (0, 1, 2), (code, stderr[-2000:])
    assert "internal error" not in stderr, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-2000:]


def copy_good(dst):
    """The good rule set's files (no manifest) into ``dst``."""
    os.makedirs(dst, exist_ok=True)
    for name in os.listdir(GOOD):
        if name != "ruleset.yaml":
            shutil.copy(os.path.join(GOOD, name), os.path.join(dst, name))
    return dst
