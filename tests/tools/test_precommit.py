"""The pre-commit hooks (.pre-commit-hooks.yaml) on a sample standards repo.

``test_hook_entries_run_on_sample_repo`` runs each hook's ``entry`` the way
pre-commit would (same arguments, same working directory) without building a
hook environment.  ``test_try_repo_at_the_documented_rev_offline`` runs the
real pre-commit on the config docs/ci.md shows, with this repository at the
``rev`` the doc pins: pre-commit installs it into a fresh virtualenv with pip,
offline (the environment variables docs/ci.md gives make the virtualenv see
this interpreter's packages and pip never use the registry).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

from tools_fixtures import GOOD_STANDARD, VOCAB, write_rules

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HOOKS_FILE = os.path.join(ROOT, ".pre-commit-hooks.yaml")

MANIFEST = """\
kind: ruleset
id: sample
include: [rules/*.yaml]
"""


def hooks():
    with open(HOOKS_FILE, encoding="utf-8") as fh:
        return {h["id"]: h for h in yaml.safe_load(fh)}


def sample_repo(tmp_path):
    d = write_rules(tmp_path / "repo", {"ruleset.yaml": MANIFEST, "rules/v.yaml": VOCAB, "rules/s.yaml": GOOD_STANDARD})
    return d


def test_hooks_file_shape():
    hs = hooks()
    for hid in ("safetyrules-validate", "safetyrules-test"):
        h = hs[hid]
        assert h["language"] == "python"
        assert h["pass_filenames"] is False
        assert h["files"] == r"\.ya?ml$"
        assert h["entry"].split()[0] == "safetyrules"
    rx = re.compile(hs["safetyrules-validate"]["files"])
    assert rx.search("standards/a.yaml") and rx.search("b.yml") and not rx.search("c.json")


def _command(hook, files):
    argv = shlex.split(hook["entry"]) + list(hook.get("args", []))
    if hook.get("pass_filenames", True):
        rx = re.compile(hook.get("files", ""))
        ex = re.compile(hook["exclude"]) if hook.get("exclude") else None
        argv += [f for f in files if rx.search(f) and not (ex and ex.search(f))]
    assert argv[0] == "safetyrules"
    return [sys.executable, "-m", "safetyrules"] + argv[1:]


def _run_hook(hook, repo):
    files = sorted(
        os.path.relpath(os.path.join(dp, f), repo).replace(os.sep, "/")
        for dp, _, fn in os.walk(repo) for f in fn
    )
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(_command(hook, files), cwd=repo, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("hid", ["safetyrules-validate", "safetyrules-test", "safetyrules-lint"])
def test_hook_entries_run_on_sample_repo(tmp_path, hid):
    repo = sample_repo(tmp_path)
    r = _run_hook(hooks()[hid], repo)
    assert r.returncode == 0, r.stdout + r.stderr


def test_fmt_hook_entry(tmp_path):
    pytest.importorskip("ruamel.yaml")
    repo = sample_repo(tmp_path)
    r = _run_hook(hooks()["safetyrules-fmt"], repo)
    assert r.returncode == 0, r.stdout + r.stderr


def test_hook_entries_fail_on_broken_rules(tmp_path):
    repo = sample_repo(tmp_path)
    with open(os.path.join(repo, "rules", "s.yaml"), "a", encoding="utf-8") as fh:
        fh.write("      - {facts: {flag: true, x: 1}, expect: true}\n")  # a wrong example
    assert _run_hook(hooks()["safetyrules-validate"], repo).returncode == 0
    r = _run_hook(hooks()["safetyrules-test"], repo)
    assert r.returncode == 1 and "expected true, got false" in r.stderr
    with open(os.path.join(repo, "rules", "s.yaml"), "a", encoding="utf-8") as fh:
        fh.write("    unknown_key: 1\n")
    r = _run_hook(hooks()["safetyrules-validate"], repo)
    assert r.returncode == 1 and "s.yaml:" in r.stderr and "Traceback" not in r.stderr


DOC = os.path.join(ROOT, "docs", "ci.md")
# pre-commit builds hook environments with pip; these make it use this
# interpreter's packages and never the network (as docs/ci.md says).
OFFLINE = {"VIRTUALENV_SYSTEM_SITE_PACKAGES": "1", "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0"}


def doc_config():
    """The .pre-commit-config.yaml block of docs/ci.md."""
    with open(DOC, encoding="utf-8") as fh:
        text = fh.read()
    block = text.split("```yaml\nrepos:", 1)[1].split("```", 1)[0]
    return yaml.safe_load("repos:" + block)


def test_doc_names_a_real_repository_and_rev():
    [repo] = doc_config()["repos"]
    assert repo["repo"] == "https://github.com/safetyrules/safetyrules"
    with open(HOOKS_FILE, encoding="utf-8") as fh:
        assert repo["repo"] in fh.read()
    rev = repo["rev"]
    if not os.path.isdir(os.path.join(ROOT, ".git")):
        pytest.skip("not a git checkout")
    p = subprocess.run(["git", "cat-file", "-e", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True)
    assert p.returncode == 0, f"docs/ci.md pins rev {rev}, which this repository does not have"
    at_rev = subprocess.run(["git", "show", f"{rev}:.pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout
    ids = {h["id"] for h in yaml.safe_load(at_rev)}
    assert {h["id"] for h in repo["hooks"]} <= ids


def _git_repo(path, env):
    for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "sample"]):
        subprocess.run(cmd, cwd=path, check=True, env=env, capture_output=True)


def test_try_repo_at_the_documented_rev_offline(tmp_path):
    """pre-commit try-repo of this repository at the rev docs/ci.md pins:
    every hook, with its default args (.), on a repository whose root is a
    rule set; no network.  (The doc's config names the same hooks at that
    rev: test_doc_names_a_real_repository_and_rev.)"""
    exe = shutil.which("pre-commit")
    assert exe, "pre-commit is in the test extra"
    if not os.path.isdir(os.path.join(ROOT, ".git")):
        pytest.skip("not a git checkout")
    [doc_repo] = doc_config()["repos"]
    rev = doc_repo["rev"]
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@e",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@e", **OFFLINE)
    env.pop("PYTHONPATH", None)
    vocab = "kind: vocabulary\nid: v\nfacts:\n  x: {type: number, unit: m, min: 0}\n  flag: {type: bool}\n"

    root_repo = write_rules(tmp_path / "root", {"ruleset.yaml": MANIFEST, "rules/v.yaml": vocab, "rules/s.yaml": GOOD_STANDARD})
    _git_repo(root_repo, env)
    r = subprocess.run([exe, "try-repo", ROOT, "--ref", rev, "--all-files"], cwd=root_repo, capture_output=True,
                       text=True, env=env, timeout=600)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    for h in hooks().values():
        assert re.search(re.escape(h["name"]) + r"\.+Passed", out), out
    # (that the hooks fail on mistakes: test_hook_entries_fail_on_broken_rules)
