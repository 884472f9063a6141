"""ruff and mypy run in CI, with the configuration in pyproject.toml; the
authoring tools, the source stage, units, linking and diagnostics are held
to the full rule set whatever per-file relaxations the config has."""

import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STRICT = ["safetyrules/authoring", "safetyrules/source", "safetyrules/units.py", "safetyrules/plan/link.py",
          "safetyrules/diagnostics.py", "safetyrules/cli/authoring.py"]


def _tool(name):
    exe = shutil.which(name)
    assert exe, f"{name} is in the test extra"
    return exe


def test_ruff_with_the_project_config():
    p = subprocess.run([_tool("ruff"), "check", "--no-cache", "safetyrules"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr


def test_ruff_without_relaxations_on_the_strict_modules():
    p = subprocess.run([_tool("ruff"), "check", "--no-cache", "--isolated", "--select", "E4,E7,E9,F", *STRICT], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr


def test_ruff_finds_what_it_should(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\ndef f():\n    return undefined_name\n", encoding="utf-8")
    p = subprocess.run([_tool("ruff"), "check", "--no-cache", "--isolated", "--select", "E4,E7,E9,F", str(bad)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "F401" in p.stdout and "F821" in p.stdout


def test_mypy_with_the_project_config(tmp_path):
    p = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "safetyrules"], cwd=ROOT, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Success" in p.stdout
