"""The ``safetyrules evaluate REGISTRY`` command as a user runs it (its own
process): the same file as ``rules.evaluate_table`` written in-process, with
neither pandas (pyarrow would import it on its first ``pyarrow.array``) nor
the other commands' modules imported; ``main()`` called by a program leaves
pandas importable."""

import datetime
import importlib
import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

import safetyrules
from safetyrules.cli import registry as cli_registry

from registry_fixtures import write_rules
from test_registry_columnar_paths import rows, table_of

DAY = datetime.date(2024, 3, 1)
cli_main = importlib.import_module("safetyrules.cli.main")  # the module (safetyrules.cli.main is also a function)

# runs the command as ``python -m safetyrules`` does, then reports what it imported
PROBE = """
import atexit, json, runpy, sys
def report():
    mods = sys.modules
    sys.stderr.write("\\nPROBE " + json.dumps({
        "pandas": mods.get("pandas") is not None,
        "lint": "safetyrules.authoring.lint" in mods,
        "supervision": "safetyrules.cli.supervision" in mods,
    }) + "\\n")
atexit.register(report)
sys.argv = ["safetyrules"] + sys.argv[1:]
runpy.run_module("safetyrules", run_name="__main__", alter_sys=True)
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("polars_cli")
    rules_path = write_rules(str(tmp))
    path = str(tmp / "registry.parquet")
    pq.write_table(table_of(rows(45)), path)
    return rules_path, safetyrules.load(rules_path), path


def _run(args, cwd):
    env = dict(os.environ)
    env.pop("SAFETYRULES_DEBUG", None)
    done = subprocess.run([sys.executable, "-c", PROBE] + args, cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("PROBE ")][-1]
    return done.returncode, json.loads(line[len("PROBE "):]), done.stderr


@pytest.mark.parametrize("backend", ("polars", "duckdb", "python"))
def test_the_command_writes_the_in_process_result_without_pandas(setup, backend, tmp_path):
    rules_path, rules, path = setup
    expected = tmp_path / "expected.parquet"
    cli_registry.write_result(rules.evaluate_table(path, backend=backend, as_of=DAY), str(expected))
    out = tmp_path / "out.parquet"
    code, seen, err = _run(["evaluate", path, "--rules", rules_path, "--as-of", "2024-03-01",
                            "--backend", backend, "--out", str(out)], str(tmp_path))
    assert code == 0, err
    assert out.read_bytes() == expected.read_bytes()
    assert seen == {"pandas": False, "lint": False, "supervision": False}


def test_other_commands_still_register_every_module(tmp_path):
    code, seen, err = _run(["validate"], str(tmp_path))
    assert code == 0, err
    assert seen["lint"] and seen["supervision"]


def test_main_called_by_a_program_leaves_pandas_importable(setup, tmp_path):
    rules_path, _, path = setup
    assert cli_main.main(["evaluate", path, "--rules", rules_path, "--as-of", "2024-03-01",
                          "--backend", "polars", "--out", str(tmp_path / "o.parquet")]) == 0
    assert not any(isinstance(f, cli_registry._NoPandas) for f in sys.meta_path)


def test_the_command_word():
    assert cli_main._command(["evaluate", "x.parquet"]) == "evaluate"
    assert cli_main._command(["--version"]) is None
    assert cli_main._command(["-h", "validate"]) == "validate"
    assert cli_main._extra_commands("evaluate") == []
    assert len(cli_main._extra_commands("validate")) == len(cli_main.COMMAND_MODULES)
