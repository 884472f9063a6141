"""The parallel path under real signals, on a real subprocess: Ctrl-C ends a
``--jobs 2`` run with exit 130, no traceback, no hang and no worker left
behind; a closed stdout (``| head``) ends it quietly."""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from robust_fixtures import GOOD, REPO

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and /proc")

LINE = json.dumps({"entity.sector": "metallurgy", "contractors.present": True, "contractors.coordinated": False}) + "\n"


def _cmd(*args):
    exe = shutil.which("safetyrules")
    return ([exe] if exe else [sys.executable, "-m", "safetyrules"]) + list(args)


def _descendants(pid):
    """Every live descendant of ``pid`` (through /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/task/{p}/children") as fh:
                kids = [int(x) for x in fh.read().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start(extra=()):
    env = dict(os.environ)
    env.pop("SAFETYRULES_DEBUG", None)
    return subprocess.Popen(
        _cmd("evaluate", "-", "--rules", GOOD, "--as-of", "2024-03-01", "--format", "json", "--jobs", "2", "-q", *extra),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=env,
        start_new_session=True,  # its own process group, as a shell job is
    )


@pytest.mark.parametrize("target", ["group", "parent"])
def test_ctrl_c_during_jobs_2(target):
    p = _start()
    stop = threading.Event()
    lines = []

    def feed():  # an endless input: the run is busy when the signal comes
        try:
            while not stop.is_set():
                p.stdin.write(LINE.encode() * 200)
                p.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def drain():
        for line in p.stdout:
            lines.append(line)

    threads = [threading.Thread(target=feed, daemon=True), threading.Thread(target=drain, daemon=True)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 60
        while len(lines) < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lines and json.loads(lines[0])["line"] == 1
        workers = _descendants(p.pid)
        assert len(workers) >= 2, workers  # the pool is up: the signal meets it
        if target == "group":  # what a terminal's Ctrl-C does
            os.killpg(p.pid, signal.SIGINT)
        else:
            os.kill(p.pid, signal.SIGINT)
        p.wait(timeout=30)
    finally:
        stop.set()
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    err = p.stderr.read().decode("utf-8", "replace")
    assert p.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "interrupted" in err
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers), [w for w in workers if _alive(w)]


def test_closed_stdout_ends_jobs_2_quietly(tmp_path):
    big = tmp_path / "big.jsonl"
    big.write_text(LINE * 20000, encoding="utf-8")
    env = dict(os.environ)
    env.pop("SAFETYRULES_DEBUG", None)
    p = subprocess.Popen(
        _cmd("evaluate", str(big), "--rules", GOOD, "--as-of", "2024-03-01", "--format", "json", "--jobs", "2"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=env, start_new_session=True,
    )
    try:
        assert json.loads(p.stdout.readline())["line"] == 1
        workers = _descendants(p.pid)
        p.stdout.close()  # `| head -1` exits
        err = p.stderr.read().decode("utf-8", "replace")
        p.wait(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert "Traceback" not in err and "Exception ignored" not in err and "internal error" not in err, err
    assert p.returncode in (0, 141, -signal.SIGPIPE), (p.returncode, err)
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers)
