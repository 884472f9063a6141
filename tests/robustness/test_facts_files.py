"""Nasty facts files (``corpus/facts/``) through ``evaluate`` and the reader:
each is an error naming the file (and the line and column where the input
has one), exit 2, never exit 70 or a traceback; the good entities of a file
holding a list are still decided."""

import json
import os

import pytest

import safetyrules
from safetyrules.engine.reader import iter_entities
from robust_fixtures import FACTS_CORPUS, GOOD, assert_no_escape, run_main

CASES = sorted(os.listdir(FACTS_CORPUS))


def test_the_corpus_is_there():
    assert len(CASES) >= 15


@pytest.mark.parametrize("name", CASES)
def test_evaluate_names_the_file(name):
    path = os.path.join(FACTS_CORPUS, name)
    code, out, err = run_main("evaluate", path, "--rules", GOOD, "--as-of", "2024-03-01", "--format", "json")
    assert_no_escape(code, err)
    assert code == 2, (out, err)
    msgs = [m for m in err.splitlines() if ": error: " in m]
    assert msgs and all(m.startswith(path) for m in msgs), err
    out.encode("utf-8")  # whatever was decided printed as valid UTF-8
    for line in out.splitlines():
        json.loads(line)


@pytest.mark.parametrize("name", CASES)
def test_the_reader_gives_located_errors_or_entities(name):
    rules = safetyrules.load(GOOD)
    ents = list(iter_entities([os.path.join(FACTS_CORPUS, name)]))
    assert ents
    for e in ents:
        if e.error is not None:
            assert isinstance(e.error, safetyrules.FactsError) and e.error.path
            continue
        try:
            rules.evaluate(e.facts, as_of="2024-03-01").to_json().encode("utf-8")
        except safetyrules.SafetyRulesError:
            pass


def test_a_list_file_decides_its_good_entities():
    code, out, err = run_main("evaluate", os.path.join(FACTS_CORPUS, "list_with_null.json"), "--rules", GOOD,
                              "--as-of", "2024-03-01", "--format", "json")
    assert code == 2
    assert len(out.splitlines()) == 1 and json.loads(out)["level"]
    assert err.count(": error: ") == 2
