"""No good record lost, whatever the bad lines hold (SPEC §8).

A JSON Lines batch mixing every class of bad line (``nasty_lines.py``) with
good ones goes through every batch path — a file, ``-``, ``--jobs 2`` over
both, and ``evaluate_many`` serial and parallel — and each must answer every
non-blank input line once, in input order: a decision with ``"line": N`` for
a good line, ``{"line": N, "error": {...}}`` in place for a bad one (and a
located message on stderr), exit 2."""

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import safetyrules
from nasty_lines import BAD_LINES, GOOD_LINES
from robust_fixtures import GOOD, assert_no_escape, run_cli, run_main

AS_OF = "2024-03-01"


def build(order):
    """(stream bytes, expected) — expected maps line number → ("good", i) or
    ("bad", code).  Blank lines and a CRLF ending are mixed in; blank lines
    answer nothing."""
    out, expected = [], {}
    n = 0
    for k, (kind, i) in enumerate(order):
        n += 1
        raw = GOOD_LINES[i] if kind == "good" else BAD_LINES[i][0]
        if k % 7 == 3:
            raw += b"\r"  # CRLF
        out.append(raw)
        expected[n] = ("good", i) if kind == "good" else ("bad", BAD_LINES[i][1])
        if k % 5 == 4:
            n += 1
            out.append(b"   ")
    return b"\xef\xbb\xbf" + b"\n".join(out) + b"\n", expected


def full_mix():
    order = []
    for k in range(max(len(GOOD_LINES), len(BAD_LINES))):
        if k < len(BAD_LINES):
            order.append(("bad", k))
        if k < len(GOOD_LINES):
            order.append(("good", k))
    # good lines both before and after every bad line, and a long tail
    order += [("good", k % len(GOOD_LINES)) for k in range(40)]
    return order


@pytest.fixture(scope="module")
def rules():
    return safetyrules.load(GOOD)


@pytest.fixture(scope="module")
def mix(tmp_path_factory):
    data, expected = build(full_mix())
    path = tmp_path_factory.mktemp("mix") / "mix.jsonl"
    path.write_bytes(data)
    return str(path), data, expected


def check_output(stdout_bytes, expected, rules_obj):
    """Every output line is valid UTF-8 JSON, one per non-blank input line, in
    order, good lines decided exactly as ``evaluate`` decides them."""
    text = stdout_bytes.decode("utf-8")  # strict: output is valid UTF-8
    lines = text.splitlines()
    assert len(lines) == len(expected), (len(lines), len(expected))
    for (n, (kind, what)), out in zip(sorted(expected.items()), lines):
        obj = json.loads(out)
        assert obj["line"] == n
        if kind == "good":
            assert "error" not in obj, (n, obj)
            want = json.loads(rules_obj.evaluate(json.loads(GOOD_LINES[what]), as_of=AS_OF).to_json())
            obj.pop("line")
            assert obj == want, n
        else:
            assert set(obj) == {"line", "error"}, obj
            assert set(obj["error"]) == {"code", "message", "fact"}
            assert obj["error"]["code"] == what, (n, obj)
    return lines


def test_the_mix_holds_every_class(mix):
    _, _, expected = mix
    kinds = [k for k, _ in expected.values()]
    assert kinds.count("bad") == len(BAD_LINES) and kinds.count("good") >= len(GOOD_LINES) + 40


@pytest.mark.parametrize("via", ["file", "stdin", "file-jobs2", "stdin-jobs2"])
def test_cli_answers_every_line_in_place(via, mix, rules):
    path, data, expected = mix
    args = ["evaluate", path if via.startswith("file") else "-", "--rules", GOOD, "--as-of", AS_OF, "--format", "json"]
    if via.endswith("jobs2"):
        args += ["--jobs", "2"]
    p = run_cli(*args, stdin=data if via.startswith("stdin") else None)
    err = p.stderr.decode("utf-8")
    assert_no_escape(p.returncode, err)
    assert p.returncode == 2
    check_output(p.stdout, expected, rules)
    # one located message per bad line on stderr, naming the line
    bad = sorted(n for n, (k, _) in expected.items() if k == "bad")
    msgs = [m for m in err.splitlines() if ": error: " in m]
    assert len(msgs) == len(bad)
    name = path if via.startswith("file") else "<stdin>"
    for n, m in zip(bad, msgs):
        assert m.startswith(f"{name}:{n}:") or m.startswith(f"{name}:{n}: "), (n, m)


def test_text_output_escapes_control_characters(mix):
    path, _, _ = mix
    p = run_cli("evaluate", path, "--rules", GOOD, "--as-of", AS_OF, "--explain")
    assert p.returncode == 2
    out = p.stdout.decode("utf-8")
    assert "\x1b" not in out and "\x07" not in out
    assert all(c in "\n" or c >= " " for c in out)


def _entities(data):
    from safetyrules.engine.reader import iter_jsonl_bytes

    return list(iter_jsonl_bytes(data.splitlines(keepends=True), "mix.jsonl"))


def _api_results(rules, data, jobs):
    """The API path: the reader's entities, bad ones as ``None`` records
    (what a caller holding parsed records has), through evaluate_many."""
    ents = _entities(data)
    records = [e.facts if e.ok else None for e in ents]
    return ents, list(rules.evaluate_many(records, as_of=AS_OF, jobs=jobs, chunksize=7))


@pytest.mark.parametrize("jobs", [1, 2])
def test_evaluate_many_keeps_every_record(jobs, mix, rules):
    _, data, expected = mix
    ents, results = _api_results(rules, data, jobs)
    assert [e.line for e in ents] == sorted(expected)
    assert len(results) == len(ents)
    for e, r in zip(ents, results):
        kind, what = expected[e.line]
        if kind == "good":
            assert isinstance(r, safetyrules.engine.decision.Decision), (e.line, r)
            assert r.to_json() == rules.evaluate(json.loads(GOOD_LINES[what]), as_of=AS_OF).to_json()
        else:
            assert isinstance(r, safetyrules.SafetyRulesError), (e.line, r)
            if e.ok:  # parsed, refused by the check: the same error as evaluate gives
                assert r.code == what


# -- property: any order, any subset ----------------------------------------

_LINE = st.one_of(
    st.tuples(st.just("good"), st.integers(0, len(GOOD_LINES) - 1)),
    st.tuples(st.just("bad"), st.integers(0, len(BAD_LINES) - 1)),
)
REACHED = {"good": 0, "bad": 0}


@settings(max_examples=60, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=30))
def test_any_mix_through_the_reader_and_evaluate(rules, order):
    data, expected = build(order)
    ents = _entities(data)
    assert [e.line for e in ents] == sorted(expected)
    for e in ents:
        kind, what = expected[e.line]
        if not e.ok:
            assert kind == "bad" and e.error.code == what and e.error.line == e.line
            REACHED["bad"] += 1
            continue
        try:
            d = rules.evaluate(e.facts, as_of=AS_OF)
        except safetyrules.SafetyRulesError as err:
            assert kind == "bad" and err.code == what, (e.line, err)
            REACHED["bad"] += 1
            continue
        assert kind == "good", (e.line, what)
        json.loads(d.to_json().encode("utf-8"))
        REACHED["good"] += 1


def test_the_property_reached_both_kinds():
    # runs after the property (file order): both branches were exercised
    print(f"batch property reached: {REACHED}")
    assert REACHED["good"] > 20 and REACHED["bad"] > 20, REACHED


def test_dev_stdin_holding_a_yaml_file_is_read_once(rules):
    # one read: the entity is decided, not lost to a second read of the pipe
    p = run_cli("evaluate", "/dev/stdin", "--rules", GOOD, "--as-of", AS_OF, "--format", "json",
                stdin=b"entity:\n  sector: metallurgy\ncontractors.present: true\ncontractors.coordinated: false\n")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["level"] == "red" and "line" not in d
