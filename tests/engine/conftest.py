"""Fixtures for the engine tests."""

import textwrap

import pytest

from engine_fixtures import GRADING, MANIFEST, STANDARD, VOCAB


@pytest.fixture
def write(tmp_path):
    """write({'name.yaml': text, ...}) → the directory."""

    def _write(files):
        for name, text in files.items():
            p = tmp_path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text), encoding="utf-8")
        return tmp_path

    return _write


@pytest.fixture
def basic(write):
    return write({"v.yaml": VOCAB, "s1.yaml": STANDARD, "grade.yaml": GRADING, "ruleset.yaml": MANIFEST})
