"""A fourth black-box audit of SPEC §11 (the service): the two JSON Schemas
it serves are used, not only checked — the facts schema must accept exactly
the facts the service decides and refuse exactly those it answers 422 for
(every spelling of a dotted path the engine reads, groups, empty mappings,
one fact given twice), every decision validates against the decision
schema, real answers validate against the OpenAPI document's response
schemas, and a date is a date as the documents say (RFC 3339 full-date).
One real ``safetyrules serve`` for the module."""

from __future__ import annotations

import datetime
import gzip
import json
import os
import socket
import subprocess
import sys
import time

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service_fixtures import serving

DAY = "2024-03-01"
HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "data", "golden-decisions.jsonl.gz")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """(base URL, port, path of the server's stderr)."""
    with serving(tmp_path_factory.mktemp("serve4") / "stderr.txt") as s:
        yield s


@pytest.fixture(scope="module")
def facts_v(http):
    return jsonschema.Draft202012Validator(http.get("/v1/schema/facts").json(), format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def decision_v(http):
    return jsonschema.Draft202012Validator(http.get("/v1/schema/decision").json(),
                                           format_checker=jsonschema.FormatChecker())


def decide(http, facts):
    r = http.post("/v1/evaluate", json={"facts": facts, "as_of": DAY})
    assert r.status_code in (200, 422), (r.status_code, r.text[:300])
    return r


def agree(http, facts_v, facts):
    r = decide(http, facts)
    ok = facts_v.is_valid(facts)
    why = r.json()["detail"] if r.status_code == 422 else "decided"
    assert ok == (r.status_code == 200), (facts, "schema valid" if ok else "schema invalid", why)
    return r


# -- the facts schema, spelling by spelling ---------------------------------------------------------

SPELLINGS = [
    # every spelling of gas.alarm.installed the engine reads
    {"gas.alarm.installed": True},
    {"gas": {"alarm.installed": True}},
    {"gas": {"alarm": {"installed": True}}},
    {"gas.alarm": {"installed": True}},
    {"hazchem.substances": [{"name": "x", "quantity": 2}]},
    {"hazchem": {"substances": [{"name": "x", "quantity": 2}]}},
    # (an empty mapping on a fact, which the engine reads as unknown, is
    # left out of the schema: see docs/service.md)
    {"gas": {"alarm": {"installed": None}}},
    # a group has no value of its own: null, {} or a scalar there is a 422
    {"entity": None},
    {"entity": {}},
    {"gas": {"alarm": None}},
    {"gas": {"alarm": {}}},
    {"gas.alarm": None},
    {"gas.alarm": {}},
    {"entity": 3},
    # one fact given twice, in any two spellings, is a 422
    {"entity.employees": 1, "entity": {"employees": 2}},
    {"entity.employees": None, "entity": {"employees": None}},
    {"gas.alarm.installed": True, "gas.alarm": {"installed": True}},
    {"gas.alarm": {"installed": True}, "gas": {"alarm.installed": True}},
    {"gas.alarm": {"installed": True}, "gas": {"alarm": {"installed": False}}},
    {"gas": {"alarm.installed": True, "alarm": {"installed": True}}},
    {"gas.alarm.installed": True, "gas": {"alarm": {"installed": True}}},
    # ... but two facts of one group, each given once, in different spellings are fine
    {"gas.alarm.installed": True, "gas": {"alarm": {"working": False}}},
    {"gas.alarm": {"installed": True}, "gas": {"alarm.working": False, "fuel_used": True}},
    {"entity.employees": 5, "entity": {"sector": "office"}},
    # unknown parts
    {"gas.alarm": {"bogus": True}},
    {"gas.al": {"arm": True}},
    {"entity.employees": {"x": 1}},
]


@pytest.mark.parametrize("facts", SPELLINGS, ids=[json.dumps(f) for f in SPELLINGS])
def test_facts_schema_and_service_agree_on_every_spelling(http, facts_v, facts):
    agree(http, facts_v, facts)


def test_an_empty_mapping_for_an_entity_fact_is_not_given_in_the_entity_block(http, decision_v):
    """SPEC §8: the ``entity`` block has the keys that were given; ``{}``
    is the fact unknown (docs/errors.md), so not given — it was copied into
    the block as ``"status": {}``, which the decision schema refuses."""
    facts = {"entity": {"id": "E1", "status": {}, "sector": {}}, "entity.grid": {}}
    r = decide(http, facts)
    assert r.status_code == 200 and r.json()["entity"] == {"id": "E1"}, r.text[:300]
    decision_v.validate(r.json())
    line = http.post("/v1/evaluate/batch", params={"as_of": DAY}, content=json.dumps(facts).encode())
    assert json.loads(line.text)["entity"] == {"id": "E1"}


# -- the facts schema against random facts over the bundled vocabulary ------------------------------


def _value(spec, valid: bool):
    """A strategy of values for ``spec`` (FactSpec): valid ones, or ones the
    engine refuses."""
    t = spec.type
    lo = spec.min
    if valid:
        if t == "bool":
            s = st.booleans()
        elif t == "integer":
            lo_i = int(lo) if lo is not None else -10 ** 6
            hi_i = int(spec.max) if spec.max is not None else lo_i + 10 ** 12
            s = st.integers(lo_i, hi_i) | st.integers(max(lo_i, -10 ** 6), min(hi_i, 10 ** 6)).map(float)
        elif t == "number":
            s = st.floats(lo if lo is not None else -1e12, spec.max if spec.max is not None else 1e12,
                          allow_nan=False) | st.integers(int(lo) if lo is not None else -99, 10 ** 9)
        elif t == "enum":
            s = st.sampled_from(list(spec.values))
        elif t == "string":
            s = st.text(max_size=6)
        elif t == "date":
            s = st.dates().map(datetime.date.isoformat)
        elif t == "list" and not spec.item:
            s = st.lists(st.sampled_from(list(spec.values)), max_size=3)
        else:
            fields = sorted(spec.item)
            s = st.lists(st.fixed_dictionaries({}, optional={f: st.none() | _value(spec.item[f], True) for f in fields}),
                         max_size=2)
        return st.none() | s
    wrong = [st.just("x"), st.just({"a": 1}), st.just([1])]
    if t != "bool":
        wrong.append(st.booleans())
    if t == "integer":
        wrong.append(st.just(3.5))
    if t in ("integer", "number") and lo is not None:
        wrong.append(st.just(lo - 1))
    if t in ("bool", "enum", "string", "list", "date"):
        wrong.append(st.integers(-3, 3))
    if t == "enum":
        wrong.append(st.just(spec.values[0] + "_nope"))
    if t == "date":
        wrong.append(st.sampled_from(["2024-02-30", "20240301", "2024-W10-5", "01.03.2024"]))
    if t == "list" and not spec.item:
        wrong.append(st.just(["nope"]))
        wrong.append(st.just([None]))
    elif t == "list":
        wrong.append(st.just([None]))
        wrong.append(st.just([{"bogus_field": 1}]))
        field = sorted(spec.item)[0]
        wrong.append(_value(spec.item[field], False).map(lambda v, f=field: [{f: v}]))
    return st.one_of(wrong)


def _spell(name: str, value, cuts):
    """``name`` = ``value`` nested at the segment boundaries in ``cuts``."""
    parts = name.split(".")
    keys, start = [], 0
    for i in range(1, len(parts)):
        if i in cuts:
            keys.append(".".join(parts[start:i]))
            start = i
    keys.append(".".join(parts[start:]))
    for k in reversed(keys[1:]):
        value = {k: value}
    return keys[0], value


def _merge(into: dict, key, value) -> bool:
    """Put ``value`` at ``key`` of ``into``, merging mappings; False where a
    different value is already there."""
    if key not in into:
        into[key] = value
        return True
    old = into[key]
    if isinstance(old, dict) and isinstance(value, dict) and old and value:
        return all(_merge(old, k, v) for k, v in value.items())
    return False


@st.composite
def entity_facts(draw, plan):
    names = draw(st.lists(st.sampled_from(plan.input_facts()), min_size=1, max_size=4, unique=True))
    out: dict = {}
    for name in names:
        valid = draw(st.booleans())
        value = draw(_value(plan.facts[name], valid))
        cuts = draw(st.sets(st.integers(1, name.count("."))) if "." in name else st.just(set()))
        _merge(out, *_spell(name, value, cuts))
        if draw(st.integers(0, 9)) == 0:  # the same fact again, in another spelling
            _merge(out, *_spell(name, value, set(range(1, name.count(".") + 1)) - cuts))
    if draw(st.integers(0, 9)) == 0:  # a group with no value of its own
        name = draw(st.sampled_from([n for n in plan.input_facts() if "." in n]))
        _merge(out, name.rsplit(".", 1)[0], draw(st.sampled_from([None, {}, 1])))
    return out


@settings(max_examples=120, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_facts_schema_accepts_exactly_what_the_service_decides(http, facts_v, decision_v, rules, data):
    facts = data.draw(entity_facts(rules.plan))
    r = agree(http, facts_v, facts)
    if r.status_code == 200:
        decision_v.validate(r.json())


@pytest.mark.parametrize("kind", ["facts", "decision"])
def test_safetyrules_schema_prints_the_bytes_the_service_answers(http, kind):
    out = subprocess.run([sys.executable, "-m", "safetyrules", "schema", kind], capture_output=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout == http.get(f"/v1/schema/{kind}").content + b"\n"


# -- the decision schema and the golden corpus ---------------------------------------------------------


def test_golden_facts_and_decisions_validate_and_the_service_answers_their_bytes(http, rules, decision_v, facts_v):
    with gzip.open(GOLDEN, "rt", encoding="utf-8") as fh:
        cases = [json.loads(line) for line in fh]
    assert len(cases) >= 700
    for i, case in enumerate(cases):
        facts_v.validate(case["facts"])  # every one: the engine decides them all
        if i % 4:
            continue  # a decision costs ~10 ms to write out: every fourth one
        day = datetime.date.fromisoformat(case["as_of"]) if case["as_of"] else None
        decision = rules.evaluate(case["facts"], as_of=day)
        decision_v.validate(decision.to_dict())
        if i % 36 == 0:  # a sample through the service, byte for byte
            r = http.post("/v1/evaluate", json={"facts": case["facts"], "as_of": case["as_of"]})
            assert r.status_code == 200 and r.content == decision.to_json().encode(), i


# -- dates are RFC 3339 full-dates, as the schemas say --------------------------------------------------


@pytest.mark.parametrize("as_of", ["20240301", "2024-W10-5", "2024-W10", "2024-060"])
def test_an_as_of_that_is_not_yyyy_mm_dd_is_a_422_as_the_schema_says(http, as_of):
    fmt = jsonschema.FormatChecker()
    assert not fmt.conforms(as_of, "date")
    r = http.post("/v1/evaluate", json={"facts": {}, "as_of": as_of})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text[:200]
    assert r.json()["errors"][0]["fact"] == "as_of"
    r = http.post("/v1/evaluate", params={"as_of": as_of}, json={"facts": {}})
    assert r.status_code == 422, r.text[:200]
    r = http.post("/v1/evaluate/batch", params={"as_of": as_of}, content=b"{}\n")
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text[:200]


# -- real answers against the OpenAPI document ------------------------------------------------------------


@pytest.fixture(scope="module")
def openapi(http):
    return http.get("/openapi.json").json()


def _response_validator(doc, schema):
    # the document's components as $defs of the response schema, so that
    # its "#/components/schemas/..." references resolve
    text = json.dumps({**schema, "$defs": doc["components"]["schemas"]}).replace("#/components/schemas/", "#/$defs/")
    return jsonschema.Draft202012Validator(json.loads(text), format_checker=jsonschema.FormatChecker())


REQUESTS = [
    ("GET", "/v1/health", None, {}),
    ("GET", "/v1/ruleset", None, {}),
    ("GET", "/v1/schema/facts", None, {}),
    ("GET", "/v1/schema/decision", None, {}),
    ("GET", "/openapi.json", None, {}),
    ("POST", "/v1/evaluate", json.dumps({"facts": {"entity": {"id": "E1", "sector": "office"}}, "as_of": DAY}), {}),
    ("POST", "/v1/evaluate", '{"facts": ', {}),
    ("POST", "/v1/evaluate", json.dumps({"facts": {"entity.employees": "x"}}), {}),
    ("POST", "/v1/evaluate", json.dumps({"facts": {"entity.name": "x" * (1 << 20)}}), {}),
    ("POST", "/v1/evaluate", "{}", {"content-encoding": "br"}),
    ("POST", "/v1/evaluate/batch?as_of=nope", "{}\n", {}),
    ("POST", "/v1/evaluate/batch", "x" * ((1 << 20) + 1), {}),
]


@pytest.mark.parametrize("method, path, body, headers", REQUESTS, ids=[f"{m} {p[:30]} {str(b)[:20]}" for m, p, b, _ in REQUESTS])
def test_real_answers_validate_against_the_openapi_response_schemas(http, openapi, method, path, body, headers):
    r = http.request(method, path, content=body, headers=headers)
    op = openapi["paths"][path.split("?")[0]][method.lower()]
    assert str(r.status_code) in op["responses"], (path, r.status_code)
    content = op["responses"][str(r.status_code)]["content"]
    ctype = r.headers["content-type"].split(";")[0]
    assert ctype in content, (path, r.status_code, ctype)
    if ctype.endswith("json"):
        _response_validator(openapi, content[ctype]["schema"]).validate(r.json())


# -- a chunked batch streams ------------------------------------------------------------------------------

LINE = b'{"entity": {"id": "E1", "sector": "office", "employees": 8}}\n'


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _read_until(s, got: bytes, needle: bytes, seconds: float = 15) -> bytes:
    deadline = time.monotonic() + seconds
    while needle not in got and time.monotonic() < deadline:
        data = s.recv(65536)
        if not data:
            break
        got += data
    return got


def test_a_slow_chunked_batch_answers_its_first_line_before_the_last_is_sent(srv):
    """SPEC §11: the batch's answer is streamed.  A client that sends its
    lines chunked (no Content-Length), one at a time, waiting for each
    answer, got nothing until it had sent the whole body."""
    with socket.create_connection(("127.0.0.1", srv[1]), timeout=20) as s:
        s.sendall(b"POST /v1/evaluate/batch?as_of=2024-03-01 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"Content-Type: application/x-ndjson\r\n\r\n" + _chunk(LINE))
        got = _read_until(s, b"", b'"line":1')
        assert got.startswith(b"HTTP/1.1 200") and b'"line":1' in got, got[:300]
        s.sendall(_chunk(b"not json\n"))
        got = _read_until(s, got, b'"line":2')
        assert b'"line":2' in got and b"E-JSON" in got, got[-300:]
        s.sendall(_chunk(LINE.rstrip(b"\n")) + b"0\r\n\r\n")
        got = _read_until(s, got, b"\r\n0\r\n\r\n")
    body = b"".join(got.split(b"\r\n\r\n", 1)[1:])
    assert b'"line":3' in body and body.endswith(b"0\r\n\r\n"), body[-300:]


def test_zz_the_server_wrote_no_traceback_in_the_whole_module(srv):
    text = srv[2].read_text(errors="replace")
    assert "Traceback" not in text, text[-3000:]
