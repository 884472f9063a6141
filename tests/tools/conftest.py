"""Helpers for the tools tests: small rule sets written into tmp_path, and
running the command line in-process."""

import pytest

from safetyrules.cli.main import main
from tools_fixtures import GOOD_STANDARD, VOCAB, write_rules  # noqa: F401


@pytest.fixture
def rules_dir(tmp_path):
    def make(files, sub="rules"):
        return write_rules(tmp_path / sub, files)

    return make


@pytest.fixture
def run(capsys):
    """Run the CLI; returns (exit code, stdout, stderr)."""

    def go(*argv):
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return go
