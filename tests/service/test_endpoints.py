"""Every endpoint of SPEC §11 against a real server and a real HTTP client."""

from __future__ import annotations

import glob
import json
import os
import socket
import subprocess
import sys

import jsonschema
import pytest
import yaml

from safetyrules.service.schemas import canonical_json

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "facts", "*.yaml")))
DAY = "2024-03-01"


def example(name: str):
    with open(os.path.join(ROOT, "examples", "facts", name), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def problem(resp, status: int):
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == status
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    assert body["errors"] and all(set(e) == {"code", "message", "fact"} for e in body["errors"])
    return body


def test_health(client, rules):
    r = client.get("/v1/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "ruleset": {"id": rules.id, "digest": rules.digest}}


def test_ruleset_lists_every_standard_and_table(client, rules):
    body = client.get("/v1/ruleset").json()
    assert body["id"] == rules.id and body["digest"] == rules.digest
    assert [s["id"] for s in body["standards"]] == [s.id for s in rules.plan.standards]
    assert [t["id"] for t in body["tables"]] == [t.id for t in rules.plan.tables]
    spl = next(s for s in body["standards"] if s["id"] == "cn.npc.safety-production-law")
    std = rules.plan.standard("cn.npc.safety-production-law")
    assert spl["version"] == std.version and spl["title"] == dict(std.title) and spl["status"] == std.status
    assert spl["effective"]["from"] == (std.effective_from.isoformat() if std.effective_from else None)


@pytest.mark.parametrize("name", [os.path.basename(p) for p in EXAMPLES])
def test_evaluate_is_byte_identical_and_valid(client, rules, name):
    facts = example(name)
    r = client.post("/v1/evaluate", json={"facts": facts, "as_of": DAY})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.content == rules.evaluate(facts, as_of=DAY).to_json().encode("utf-8")
    schema = client.get("/v1/schema/decision").json()
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(r.json())
    facts_schema = client.get("/v1/schema/facts").json()
    jsonschema.Draft202012Validator(facts_schema).validate(facts)


def test_as_of_defaults_to_today(client, rules):
    import datetime

    r = client.post("/v1/evaluate", json={"facts": {"entity.employees": 3}})
    assert r.json()["as_of"] == datetime.date.today().isoformat()


def test_schemas_are_2020_12_and_match_the_cli(client):
    for kind in ("facts", "decision"):
        r = client.get(f"/v1/schema/{kind}")
        assert r.status_code == 200
        schema = r.json()
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)
        out = subprocess.run([sys.executable, "-m", "safetyrules", "schema", kind], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == schema


def test_facts_schema_rejects_what_the_service_rejects(client):
    schema = client.get("/v1/schema/facts").json()
    v = jsonschema.Draft202012Validator(schema)
    assert v.is_valid({"entity.employees": 3, "gas": {"alarm": {"installed": None}}})
    assert not v.is_valid({"entity.employees": "x"})
    assert not v.is_valid({"entity.nope": 1})
    assert client.post("/v1/evaluate", json={"facts": {"entity.nope": 1}}).status_code == 422


def test_openapi_document_is_valid_3_1(client):
    from openapi_spec_validator import validate

    doc = client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    assert {"/v1/health", "/v1/evaluate", "/v1/evaluate/batch", "/v1/ruleset", "/v1/schema/facts",
            "/v1/schema/decision", "/openapi.json"} <= set(doc["paths"])


# -- bad input ----------------------------------------------------------------


@pytest.mark.parametrize("body", [b'{"facts":', b"{'facts': {}}", b"", b"\xff\xfe{}", b'{"facts": {}} x', b"[" * 100000])
def test_malformed_json_is_400(client, body):
    body = problem(client.post("/v1/evaluate", content=body, headers={"content-type": "application/json"}), 400)
    assert body["errors"][0]["code"] in ("E-JSON", "E-UTF8")


@pytest.mark.parametrize("number", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_not_json_400(client, number):
    # Python's json reads them; JSON (RFC 8259) has no such numbers, and the
    # batch endpoint and the command line refuse them (E-JSON) as well
    body = problem(client.post("/v1/evaluate", content=b'{"facts": {"entity.employees": ' + number + b"}}"), 400)
    assert body["errors"][0]["code"] == "E-JSON" and "not valid JSON" in body["detail"]


def test_an_integer_of_thousands_of_digits_is_422_in_plain_words(client):
    body = problem(client.post("/v1/evaluate", content=b'{"facts": {"entity.employees": ' + b"7" * 5000 + b"}}"), 422)
    assert body["errors"][0]["code"] == "E-NUMBER"
    assert body["detail"] == "integer of 5000 digits; at most 300 are allowed"  # no Python internals


@pytest.mark.parametrize(
    "facts, fact",
    [
        ({"entity.employees": "many"}, "entity.employees"),
        ({"entity.employees": 3.5}, "entity.employees"),
        ({"entity.sector": "spaceport"}, "entity.sector"),
        ({"gas": {"alarm": {"installed": "yes"}}}, "gas.alarm.installed"),
        ({"entity.nonsense": 1}, "entity.nonsense"),
        ({"entity.employees": 1e400}, "entity.employees"),
    ],
)
def test_bad_facts_are_422_naming_the_fact(client, facts, fact):
    raw = json.dumps({"facts": facts}).replace("Infinity", "1e400")
    body = problem(client.post("/v1/evaluate", content=raw), 422)
    assert body["errors"][0]["fact"] == fact
    assert body["errors"][0]["code"] == "E-FACTS"


@pytest.mark.parametrize("doc", [[], "facts", {"facts": []}, {"nofacts": {}}, {"facts": {}, "extra": 1},
                                 {"facts": {}, "as_of": "yesterday"}, {"facts": {}, "as_of": 20240301}])
def test_bad_requests_are_422(client, doc):
    problem(client.post("/v1/evaluate", json=doc), 422)


def test_oversized_body_is_413(client):
    big = json.dumps({"facts": {"entity.name": "x" * (1 << 20)}})
    problem(client.post("/v1/evaluate", content=big), 413)


def test_oversized_chunked_body_is_refused_while_it_streams(server):
    """No Content-Length, 1.1 MiB sent and the body left unfinished: the
    413 must arrive anyway, so the server counted while reading."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"Content-Type: application/json\r\n\r\n")
        chunk = b" " * (64 * 1024)
        for _ in range(18):
            s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 413"), head[:100]


def test_unknown_path_and_method_are_problems(client):
    problem(client.get("/v1/nothing"), 404)
    problem(client.get("/v1/evaluate"), 405)


def test_slow_body_times_out_with_408():
    from service_fixtures import Server

    srv = Server("--timeout", "0.5")
    try:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
            s.sendall(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            head = s.recv(4096)
        assert head.startswith(b"HTTP/1.1 408"), head[:100]
        # a batch whose body never starts: a 408 problem too, not a 200 with an error line
        for framing in (b"Content-Length: 100", b"Transfer-Encoding: chunked"):
            with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as s:
                s.sendall(b"POST /v1/evaluate/batch HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n\r\n")
                head = s.recv(4096)
            assert head.startswith(b"HTTP/1.1 408"), (framing, head[:200])
            assert b"application/problem+json" in head, head[:300]
    finally:
        srv.stop()


# -- batch ----------------------------------------------------------------------


def test_batch_streams_one_line_per_input_line(client, rules):
    good = [example(os.path.basename(p)) for p in EXAMPLES[:3]]
    lines = [json.dumps(good[0]), "null", "{bad", "", json.dumps({"entity.nope": 1}),
             json.dumps(good[1]), "[" * 50000, json.dumps(good[2])]
    body = ("\n".join(lines) + "\n").encode() + b"\xff\xfe\n" + b'{"entity.employees": 1e999}'
    r = client.post(f"/v1/evaluate/batch?as_of={DAY}", content=body, headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    out = [json.loads(x) for x in r.text.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 5, 6, 7, 8, 9, 10]
    for o, facts in zip([out[0], out[4], out[6]], good):
        expect = rules.evaluate(facts, as_of=DAY).to_dict()
        expect["line"] = o["line"]
        assert o == expect
    for o in (out[1], out[2], out[3], out[5], out[7], out[8]):
        assert set(o) == {"line", "error"} and set(o["error"]) == {"code", "message", "fact"}
    assert out[3]["error"]["fact"] == "entity.nope"
    assert out[8]["error"]["fact"] == "entity.employees"
    assert r.text.endswith("\n")
    for line in r.text.splitlines():  # canonical JSON, line by line
        assert line == canonical_json(json.loads(line))


def test_batch_over_the_body_limit_is_413_and_bad_as_of_422(client):
    # SPEC §11: a body over --max-body (default 1 MiB) is 413, a batch's too
    # (tests/service/test_batch_body_limit.py checks the limit's edges)
    body = b'{"entity.name": "' + b"x" * (1 << 20) + b'"}\n{"entity.employees": 2}\n'
    err = problem(client.post("/v1/evaluate/batch", content=body), 413)
    assert err["errors"][0]["code"] == "E-TOO-LARGE"
    problem(client.post("/v1/evaluate/batch?as_of=someday", content=b"{}\n"), 422)


# -- concurrency ------------------------------------------------------------------


def test_50_concurrent_requests_answer_what_sequential_ones_do(server, client):
    import asyncio

    import httpx

    bodies = []
    for i, p in enumerate((EXAMPLES * 9)[:50]):
        facts = example(os.path.basename(p))
        facts.setdefault("entity", {})["employees"] = 1 + 37 * i  # every request different
        bodies.append({"facts": facts, "as_of": DAY})
    sequential = [client.post("/v1/evaluate", json=b).content for b in bodies]
    assert len(set(sequential)) >= 10  # the answers differ, so a mix-up would show

    async def all_at_once():
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=30) as ac:
            return await asyncio.gather(*(ac.post("/v1/evaluate", json=b) for b in bodies))

    concurrent = asyncio.run(all_at_once())
    assert [r.status_code for r in concurrent] == [200] * 50
    assert [r.content for r in concurrent] == sequential
