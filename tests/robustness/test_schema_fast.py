"""The fast validity test of rule files (``schema.is_valid``: the schema
turned into closures once) says valid exactly when jsonschema's
Draft202012Validator does, on every rule file in the repository and on
thousands of edits of them (keys dropped, added, misspelt; values of the
wrong type, out of a pattern or an enum; floats that are whole numbers).
``validate_document`` returns no error only for a file it calls valid, and
jsonschema's located errors for any other."""

from __future__ import annotations

import copy
import glob
import os
import random

import jsonschema

from safetyrules.errors import RuleFileError
from safetyrules.source import schema as S
from safetyrules.source.loader import load_yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _documents():
    out = []
    for pattern in ("standards/**/*.yaml", "examples/**/*.yaml", "tests/**/*.yaml"):
        for f in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
            try:
                with open(f, encoding="utf-8-sig") as fh:
                    doc = load_yaml(fh.read(), f)
            except (UnicodeDecodeError, RuleFileError):
                continue
            if isinstance(doc.data, dict) and doc.data.get("kind") in S.KINDS:
                out.append(doc.data)
    return out


PALETTE = [
    None, True, False, 0, 1, -1, 2.5, 1.0, 0.0, "", "x", "a b", "1abc", "Ab.c-d", "é名", "2024-01-01", "2024-1-1",
    "major", "general", "verified", "first", "enum", "list", "integer", "unknown", [], ["a"], ["a", "a"], [1, 1],
    [None], {}, {"zh": "名"}, {"xx": 1}, {"en": 1}, {"type": "enum"}, {"type": "list"}, {"type": "enum", "values": ["a"]},
]


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))


def _at(node, path):
    for k in path:
        node = node[k]
    return node


def _mutate(data, rnd):
    data = copy.deepcopy(data)
    for _ in range(rnd.randint(1, 3)):
        paths = list(_paths(data))
        path = rnd.choice(paths)
        if not path:
            continue
        parent, last = _at(data, path[:-1]), path[-1]
        op = rnd.random()
        if op < 0.5:
            parent[last] = copy.deepcopy(rnd.choice(PALETTE))
        elif op < 0.7:
            del parent[last]
        elif op < 0.85 and isinstance(parent, dict):
            parent[rnd.choice(["extra", "when_", "titles", "zh", "en-US", "x1", last + "s"])] = copy.deepcopy(rnd.choice(PALETTE))
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[last]))
    return data


_VALIDATORS: dict = {}


def _check(data, seen):
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind not in S.KINDS:
        return
    fast = S.is_valid(kind, data)
    slow = _VALIDATORS.setdefault(kind, jsonschema.Draft202012Validator(S.schema_for(kind))).is_valid(data)
    assert fast is None or fast == slow, (kind, data)
    seen.append((fast, slow))


def test_every_kind_has_closures():
    for kind in S.KINDS:
        assert S._fast_valid(kind) is not None, kind


def test_rule_files_agree():
    docs = _documents()
    assert len(docs) > 30
    seen = []
    for d in docs:
        _check(d, seen)
    assert all(f is not None for f, _ in seen)


def test_edited_rule_files_agree():
    rnd = random.Random(4)
    docs = [d for d in _documents() if len(str(d)) < 20000]
    seen = []
    for _ in range(800):
        _check(_mutate(rnd.choice(docs), rnd), seen)
    decided = [s for f, s in seen if f is not None]
    # the closures decide nearly every case, and the edits reach both answers
    assert len(decided) > 0.95 * len(seen)
    assert True in decided and False in decided


def test_validate_document_errors_unchanged():
    """An invalid file still gets jsonschema's located errors."""
    text = "kind: table\nid: t\noutput: x\nrows:\n  - when: a == 1\n    then: 1\n    thn: 2\n"
    doc = load_yaml(text, "t.yaml")
    errs = S.validate_document(doc)
    assert errs and (errs[0].line, errs[0].column) == (7, 5) and "thn" in errs[0].message
    ok = load_yaml("kind: table\nid: t\noutput: x\nrows:\n  - when: a == 1\n    then: 1\n", "t.yaml")
    assert S.validate_document(ok) == []


def test_every_value_at_every_place():
    """The smallest file of each kind (one with examples, for a standard),
    every place in it given every value of the palette in turn."""
    by_kind = {}
    for d in _documents():
        if d["kind"] == "standard" and not any(c.get("examples") for c in d.get("clauses") or ()):
            continue
        size = len(str(d))
        if d["kind"] not in by_kind or size < by_kind[d["kind"]][0]:
            by_kind[d["kind"]] = (size, d)
    assert set(by_kind) == set(S.KINDS)
    seen = []
    for _, d in by_kind.values():
        paths = [p for p in _paths(d) if p][:120]
        for p in paths:
            for value in PALETTE:
                e = copy.deepcopy(d)
                _at(e, p[:-1])[p[-1]] = copy.deepcopy(value)
                _check(e, seen)
    assert len(seen) > 1000 and sum(f is None for f, _ in seen) < 0.05 * len(seen)
    assert {False, True} <= {s for _, s in seen}
