"""A facts file that holds no mapping (empty, null, one value) is a user
error in the user's words, located, exit 2, no traceback — the same for YAML
and JSON (no Python type names such as NoneType)."""


import pytest

import safetyrules
from safetyrules.errors import FactsError
import cli_fork

CASES = [
    ("empty.yaml", "", "1:1", "the facts file is empty"),
    ("comments.yaml", "# nothing here\n\n", "1:1", "the facts file is empty"),
    ("blank.json", "  \n", "1:1", "the facts file is empty"),
    ("null.yaml", "null\n", "1:1", "the facts file holds null"),
    ("null.json", "null\n", "1:1", "the facts file holds null"),
    ("number.yaml", "# a count\n42\n", "2:1", "the facts file holds a number"),
    ("text.json", '"hello"', "1:1", "the facts file holds text"),
    # a list of no entities decides nothing: a mistake, as an empty file is
    ("empty-list.yaml", "[]\n", "1:1", "the facts file holds an empty list"),
    ("empty-list-later.yaml", "# none yet\n\n  [ ]\n", "3:3", "the facts file holds an empty list"),
    ("empty-list.json", "[]", "1:1", "the facts file holds an empty list"),
]


def run(*args):
    return cli_fork.run([*map(str, args)], capture_output=True, text=True)


@pytest.mark.parametrize("name,text,where,words", CASES, ids=[c[0] for c in CASES])
def test_evaluate_names_the_file_in_the_users_words(tmp_path, name, text, where, words):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    r = run("evaluate", p)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith(f"{p}:{where}: error: {words}"), r.stderr
    assert "mapping of fact names to values" in r.stderr
    for bad in ("NoneType", "Traceback", "got int", "got str", "Expecting value"):
        assert bad not in r.stderr, r.stderr
    assert r.stdout == ""


def test_other_files_still_decided(tmp_path):
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    (tmp_path / "ok.yaml").write_text("entity: {sector: trade}\n", encoding="utf-8")
    r = run("evaluate", "--format", "json", tmp_path / "empty.yaml", tmp_path / "ok.yaml")
    assert r.returncode == 2
    assert "empty.yaml:1:1: error: the facts file is empty" in r.stderr
    assert '"level"' in r.stdout


def test_api_empty_list_file_is_one_error(tmp_path):
    p = tmp_path / "none.yaml"
    p.write_text("[]\n", encoding="utf-8")
    out = list(safetyrules.load().evaluate_many(str(p), as_of="2024-03-01"))
    assert len(out) == 1 and isinstance(out[0], FactsError), out
    assert (out[0].path, out[0].line, out[0].column) == (str(p), 1, 1)
    assert "empty list" in out[0].message


def test_api_words():
    with pytest.raises(FactsError, match="got null$"):
        safetyrules.load().evaluate(None)


@pytest.mark.parametrize("text,words", [
    ("entity.employees: &a 3\nentity.revenue: *a\n", "YAML anchors (&name) are not allowed in facts files"),
    ("entity.employees: !!int 3\n", "are not allowed in facts files"),
    ("base: &b {x: 1}\n<<: *b\n", "not allowed in facts files"),
])
def test_yaml_refusals_speak_of_facts_files(tmp_path, text, words):
    p = tmp_path / "facts.yaml"
    p.write_text(text, encoding="utf-8")
    r = run("evaluate", p)
    assert r.returncode == 2 and words in r.stderr, r.stderr
    assert "rule files" not in r.stderr
