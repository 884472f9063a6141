"""Fixtures of the perf tests: the bundled rule set and the golden corpus's
facts, loaded once per module that asks for them."""

import gzip
import json

import pytest

import safetyrules

from perf_fixtures import GOLDEN


@pytest.fixture(scope="module")
def bundled():
    return safetyrules.load()


@pytest.fixture(scope="module")
def golden():
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        return [json.loads(line)["facts"] for line in fh]
