"""The one-pass YAML reader (``load_yaml``: libyaml events → data and
positions) gives exactly what the composer path gives (``load_yaml_composed``:
PyYAML's composer with the guard on each node, then a pass over the tree):
the same data, key/value/scalar positions, and, for a bad file, the same
first error at the same line and column."""

from __future__ import annotations

import glob
import os
import random

import pytest

from safetyrules.errors import RuleFileError
from safetyrules.source import loader as L

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(L._CParser is None, reason="PyYAML without libyaml: one reader only")


def _outcome(fn, text):
    try:
        d = fn(text, "f.yaml")
    except RuleFileError as e:
        return ("error", str(e), e.line, e.column, e.code)
    scalars = {k: (v.start, v.end, v.style) for k, v in d.scalars.items()}
    return ("ok", repr(d.data), d.data, dict(d.values), dict(d.keys), scalars)


def _same(text):
    assert _outcome(L.load_yaml, text) == _outcome(L.load_yaml_composed, text), repr(text[:200])


def _rule_files():
    out = []
    for pattern in ("standards/**/*.yaml", "examples/**/*.yaml", "tests/**/*.yaml"):
        out += glob.glob(os.path.join(ROOT, pattern), recursive=True)
    texts = []
    for f in sorted(out):
        with open(f, "rb") as fh:
            raw = fh.read()
        try:
            texts.append(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:  # the corpus's not-UTF-8 files
            continue
    return texts


SNIPPETS = [
    "",
    "---\n",
    "# only a comment\n",
    "plain",
    "a: 1\n---\nb: 2\n",
    "&a x",
    "a: *b",
    "a: !!str 3",
    "a: ! x",
    "? [a, b]\n: 1\nc: 1\nc: 2",
    "? {a: 1}\n: b\nc: .nan",
    "<<: {a: 1}",
    "'<<': 1",
    "a: 1\na: 2",
    "x: 1e999\ny: &a 3",
    "x: 1e999\ny: [",
    "a: [1, 2, {b: 3, b: 4}]",
    "[" * 70 + "]" * 70,
    "[" * 64 + "]" * 64,
    "[" * 65 + "]" * 65,
    "- " * 70 + "x",
    "a: .inf",
    "a: -.Inf\nb: 1",
    "a: " + "9" * 5000,
    "a: 0x" + "f" * 9000,
    "a: 0o17\nb: 0x1F\nc: ~\nd: Null\ne: TRUE\nf: yes\ng: 2023-05-15\nh: 1_000\n1: x\ntrue: y\nnull: z\n'': e",
    "a:\n  - b\n  - c: d\n    e: f\n",
    "a: |\n  x == 1 and\n  y > 2\nb: >\n  folded\n  text\n",
    "\x01",
    "a: \x85b",
    "a: 'x\n",
    "{a: 1, a: 2, b: !x y}",
    "- 1\n- 2\n- {? [x]: 2}\n- 3",
    "{? [x]: 2, a: 1, a: 2}",
    "a: {b: [c, {d: e}], f: g}\nh: [i, j]\n",
]


@pytest.mark.parametrize("text", SNIPPETS)
def test_snippets(text):
    _same(text)


def test_every_yaml_file_in_the_repository():
    texts = _rule_files()
    assert len(texts) > 30
    for text in texts:
        _same(text)


def test_mutated_rule_files():
    """Random edits of real files (mostly broken YAML, some duplicate keys,
    anchors, tags, flow collections): the same outcome every time."""
    rnd = random.Random(9)
    texts = [t for t in _rule_files() if len(t) < 6000]
    chars = "&*!:-[]{}?'\"\n #<>,|.0123456789ab"
    outcomes = set()
    for _ in range(600):
        t = rnd.choice(texts)
        for _ in range(rnd.randint(1, 4)):
            k = rnd.randrange(len(t) + 1)
            op = rnd.random()
            if op < 0.4:
                t = t[:k] + rnd.choice(chars) + t[k:]
            elif op < 0.7:
                t = t[:k] + t[k + rnd.randint(1, 5):]
            else:
                lines = t.split("\n")
                lines.insert(rnd.randrange(len(lines)), lines[rnd.randrange(len(lines))])
                t = "\n".join(lines)
        a = _outcome(L.load_yaml, t)
        assert a == _outcome(L.load_yaml_composed, t), repr(t[:200])
        outcomes.add(a[0] if a[0] == "ok" else a[4])
    # the edits reach both readable files and errors of the YAML layer
    assert {"ok", "E-YAML"} <= outcomes
