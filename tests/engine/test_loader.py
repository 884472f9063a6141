"""The safe YAML loader: refusals with positions, YAML 1.2 scalars, and
positions inside expressions for every scalar style."""

import time

import pytest

from safetyrules.source import loader
from safetyrules.errors import RuleFileError, SafetyRulesError
from safetyrules.source.loader import load_yaml


@pytest.fixture(autouse=True, params=["libyaml", "python"])
def composer(request, monkeypatch):
    """Every test runs with libyaml's parser (when built) and the pure-Python one."""
    if request.param == "python":
        monkeypatch.setattr(loader, "_Composer", loader._PyComposer)
    elif not hasattr(loader, "_CComposer"):
        pytest.skip("PyYAML without libyaml")


@pytest.mark.parametrize(
    "text, line, column, words",
    [
        ("a: &x 1\nb: *x\n", 1, 4, "anchors"),
        ("a: !!python/object:os.system 1\n", 1, 4, "tags"),
        ("a: !custom 1\n", 1, 4, "tags"),
        ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a' (first at line 1)"),
        ("<<: {a: 1}\n", 1, 1, "merge keys"),
        ("a: [1, 2\n", 2, 1, "YAML:"),
        ("a:\n  - b\n c: 1\n", 3, 2, "YAML:"),
    ],
)
def test_refusals_are_located(text, line, column, words):
    with pytest.raises(RuleFileError) as info:
        load_yaml(text, "f.yaml")
    err = info.value
    assert (err.path, err.line, err.column) == ("f.yaml", line, column)
    assert words in err.message


def test_billion_laughs_fails_fast():
    lol = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lol += f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    t0 = time.perf_counter()
    with pytest.raises(RuleFileError):
        load_yaml(lol)
    assert time.perf_counter() - t0 < 1.0


def test_deep_nesting_is_refused_not_a_crash():
    text = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(SafetyRulesError):
        load_yaml(text)


def test_yaml_1_2_core_scalars():
    doc = load_yaml("a: yes\nb: no\nc: on\nd: 2023-05-15\ne: true\nf: 0o17\ng: 1e3\nh: ~\ni: '1'\nj: 012\n")
    assert doc.data == {
        "a": "yes", "b": "no", "c": "on", "d": "2023-05-15", "e": True,
        "f": 15, "g": 1000.0, "h": None, "i": "1", "j": 12,
    }


def test_key_and_value_positions():
    doc = load_yaml("kind: x\nitems:\n  - id: a\n    when: b\n")
    assert doc.keys[("items", 0, "when")].line == 4
    assert doc.keys[("items", 0, "when")].column == 5
    assert doc.values[("items", 0, "when")].column == 11


@pytest.mark.parametrize(
    "text, path, expr_pos, file_pos",
    [
        ('when: "x and"\n', ("when",), (1, 3), (1, 10)),
        ("when: x and y\n", ("when",), (1, 7), (1, 13)),
        ("when: 'it''s and x'\n", ("when",), (1, 10), (1, 18)),
        ("when: |\n  a and\n  b or c\n", ("when",), (2, 3), (3, 5)),
        ("when: >\n  a and\n  b or c\n", ("when",), (1, 7), (3, 3)),
        ("x:\n  when: a and\n    b\n", ("x", "when"), (1, 7), (3, 5)),
    ],
)
def test_expression_positions_map_into_the_file(text, path, expr_pos, file_pos):
    doc = load_yaml(text)
    loc = doc.scalar_mapper(path)(*expr_pos)
    assert (loc.line, loc.column) == file_pos
