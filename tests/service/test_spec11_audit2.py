"""A second black-box audit of SPEC §11 (the service), as an integrator
tests it: one real ``safetyrules serve`` for the module on a free port, its
stderr kept in a file, called by a real HTTP client (httpx) or a raw socket."""

from __future__ import annotations

import datetime
import json
import os
import socket
import subprocess
import sys
import time

import jsonschema
import pytest

from service_fixtures import free_port, in_threads, serving

DAY = "2024-03-01"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OFFICE = {"entity": {"sector": "office", "employees": 8}}
LINE = json.dumps(OFFICE).encode() + b"\n"
#: facts an integrator sends: list facts, the entity block, unknowns, nested and dotted
FACTS = [
    {"entity": {"id": "E1", "name": "名字", "grid": "G-7", "status": "active", "sector": "catering"},
     "gas": {"fuel_used": True, "alarm": {"installed": True, "working": False}}},
    {"entity.activities": ["catering", "accommodation"], "entity.sector": "accommodation", "entity.employees": 40},
    {"ammonia.ac_zones": [{"name": "A", "purpose": "packaging", "direct_evaporation": True}, {"name": "B"}],
     "entity.sector": "trade", "entity.id": "X"},
    {"dust.systems": [], "entity.employees": None, "entity.revenue": 1200.5},
    {},
]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """(base URL, port, path of the server's stderr)."""
    with serving(tmp_path_factory.mktemp("serve") / "stderr.txt") as s:
        yield s


def problem(resp, status):
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert list(body) == sorted(["type", "title", "status", "detail", "errors"]), body
    assert body["status"] == status and isinstance(body["detail"], str) and body["detail"]
    assert body["type"].startswith("urn:safetyrules:problem:") and body["title"]
    assert body["errors"] and all(set(e) == {"code", "message", "fact"} for e in body["errors"])
    return body


# -- content types and bodies -------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/health", "/v1/ruleset", "/v1/schema/facts", "/v1/schema/decision",
                                  "/openapi.json"])
def test_every_get_endpoint_is_application_json(http, path):
    r = http.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert isinstance(r.json(), dict)


@pytest.mark.parametrize("i", range(len(FACTS)))
@pytest.mark.parametrize("day", [DAY, None])
def test_evaluate_is_decision_to_json_byte_for_byte(http, rules, i, day):
    body = {"facts": FACTS[i]} if day is None else {"facts": FACTS[i], "as_of": day}
    r = http.post("/v1/evaluate", json=body)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    as_of = datetime.date.fromisoformat(day) if day else datetime.date.today()
    assert r.content == rules.evaluate(FACTS[i], as_of=as_of).to_json().encode("utf-8")


def test_entity_block_and_next_questions_come_through(http):
    d = http.post("/v1/evaluate", json={"facts": FACTS[0], "as_of": DAY}).json()
    assert d["entity"] == {"id": "E1", "name": "名字", "grid": "G-7", "status": "active", "sector": "catering"}
    assert d["next_questions"] and all(set(q) == {"fact", "settles", "major"} for q in d["next_questions"])
    assert d["level_range"]["most"] == d["level"]


@pytest.mark.parametrize("as_of", ["2024-02-30", "2024-13-01", "yesterday", "", " 2024-03-01", "2024-03-01T00:00:00",
                                   20240301, True, [], {}])
def test_a_bad_as_of_is_a_422_naming_it(http, as_of):
    body = problem(http.post("/v1/evaluate", json={"facts": {}, "as_of": as_of}), 422)
    assert body["errors"][0]["fact"] == "as_of"


@pytest.mark.parametrize("facts, fact", [({"entity.nope": 1}, "entity.nope"),
                                         ({"ammonia.ac_zones": [{"bogus": 1}]}, "ammonia.ac_zones[0].bogus"),
                                         ({"entity.activities": ["catering", "spaceport"]}, "entity.activities[1]"),
                                         ({"entity": {"id": 5}}, "entity.id")])
def test_unknown_and_bad_facts_are_422_with_the_fact(http, facts, fact):
    body = problem(http.post("/v1/evaluate", json={"facts": facts}), 422)
    assert body["errors"][0]["code"] == "E-FACTS" and body["errors"][0]["fact"] == fact


@pytest.mark.parametrize("raw, status", [(b"", 400), (b"[]", 422), (b'"facts"', 422), (b"null", 422), (b"3", 422),
                                         (b"{", 400), (b"\xff", 400), ('{"facts": {}}'.encode("utf-16"), 400),
                                         (b'{"facts": {}, "facts": {}}', 400)])
def test_bodies_that_are_not_a_request(http, raw, status):
    problem(http.post("/v1/evaluate", content=raw, headers={"content-type": "application/json"}), status)


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "application/x-ndjson", None])
def test_any_content_type_with_a_json_body_is_decided(http, ctype):
    # curl -d sends form-urlencoded; the docs' examples rely on it
    headers = {"content-type": ctype} if ctype else {}
    r = http.post("/v1/evaluate", content=json.dumps({"facts": OFFICE, "as_of": DAY}), headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"


@pytest.mark.parametrize("method, path, status", [("GET", "/v1/evaluate", 405), ("PUT", "/v1/evaluate", 405),
                                                  ("DELETE", "/v1/health", 405), ("POST", "/v1/ruleset", 405),
                                                  ("GET", "/v1/evaluate/batch", 405), ("GET", "/v2/health", 404),
                                                  ("GET", "/", 404), ("POST", "/v1/evaluate/batches", 404)])
def test_wrong_method_and_unknown_path(http, method, path, status):
    problem(http.request(method, path), status)


def test_a_body_over_the_limit_is_413(http):
    big = json.dumps({"facts": {"entity.name": "x" * (1 << 20)}}).encode()
    assert problem(http.post("/v1/evaluate", content=big), 413)["errors"][0]["code"] == "E-TOO-LARGE"


@pytest.mark.parametrize("path", ["/v1/evaluate", "/v1/evaluate/batch"])
@pytest.mark.parametrize("chunked", [False, True])
def test_urllib_gets_the_413_for_a_body_far_over_the_limit(srv, path, chunked):
    """urllib sends ``Connection: close`` and writes the whole body before
    it reads: the answer must still be the 413 problem, not a reset."""
    import urllib.error
    import urllib.request

    body = b'{"facts": {"entity.name": "' + b"x" * (12 << 20) + b'"}}'
    data = (body[i:i + (1 << 16)] for i in range(0, len(body), 1 << 16)) if chunked else body
    req = urllib.request.Request(srv[0] + path, data=data, headers={"content-type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=60)
    assert info.value.code == 413 and info.value.headers["content-type"] == "application/problem+json"
    assert json.loads(info.value.read())["errors"][0]["code"] == "E-TOO-LARGE"


# -- batch ----------------------------------------------------------------------------


NASTY = [LINE.rstrip(b"\n"), b"null", b"[]", b'"text"', b"42", b"{bad", b"", b"   ", b"\xff\xfe{}", b"[" * 100000,
         b'{"a":' * 3000 + b"1" + b"}" * 3000, b'{"entity.employees": 1e999}', b'{"entity.employees": ' + b"9" * 400 + b"}",
         b'{"entity.employees": NaN}', b'{"entity.employees": 3}\r', b'\xef\xbb\xbf{"entity.employees": 4}',
         b'{"entity.id": "\xe4\xb8\xad"}', b'{"entity.employees": 3, "entity.employees": 4}',
         b'{"facts": {"entity.employees": 3}}', b'{"entity.employees": 5}']


def test_batch_answers_what_evaluate_on_the_command_line_prints(http, tmp_path):
    """Every line, good or bad (a BOM on a later line is not JSON), the
    same bytes as ``evaluate --format json`` over the same file; the last
    line has no newline."""
    body = b"\n".join(NASTY)
    path = tmp_path / "in.jsonl"
    path.write_bytes(body)
    r = http.post(f"/v1/evaluate/batch?as_of={DAY}", content=body, headers={"content-type": "application/x-ndjson"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    cli = subprocess.run([sys.executable, "-m", "safetyrules", "evaluate", str(path), "--format", "json", "--as-of", DAY],
                         capture_output=True)
    assert cli.returncode == 2 and b"Traceback" not in cli.stderr
    assert r.content == cli.stdout
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert [o["line"] for o in lines] == [n for n, raw in enumerate(NASTY, 1) if raw.strip()]
    assert json.loads(r.text.splitlines()[15])["error"]["code"] == "E-JSON"  # line 16, the BOM


def test_batch_keeps_order_with_crlf_and_many_lines(http, rules):
    entities = [{"entity": {"id": f"E{i}", "sector": "office", "employees": i}} for i in range(400)]
    body = b"\r\n".join(json.dumps(e).encode() for e in entities)  # CRLF, no final newline
    r = http.post("/v1/evaluate/batch", params={"as_of": DAY}, content=body)
    out = [json.loads(x) for x in r.text.splitlines()]
    assert [o["line"] for o in out] == list(range(1, 401))
    assert [o["entity"]["id"] for o in out] == [f"E{i}" for i in range(400)]
    expect = rules.evaluate(entities[123], as_of=datetime.date(2024, 3, 1)).to_dict()
    expect["line"] = 124
    assert out[123] == expect


@pytest.mark.parametrize("as_of", ["2024-02-30", "someday", ""])
def test_batch_bad_as_of_is_a_problem(http, as_of):
    assert problem(http.post("/v1/evaluate/batch", params={"as_of": as_of}, content=LINE), 422)["errors"][0]["fact"] == "as_of"


def test_batch_streams_the_first_line_before_the_body_ends(srv):
    with socket.create_connection(("127.0.0.1", srv[1]), timeout=10) as s:
        s.sendall(b"POST /v1/evaluate/batch?as_of=2024-03-01 HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-ndjson\r\nContent-Length: %d\r\n\r\n" % (2 * len(LINE)) + LINE)
        got, deadline = b"", time.monotonic() + 10
        while b'"line":1' not in got and time.monotonic() < deadline:
            got += s.recv(65536)
        assert got.startswith(b"HTTP/1.1 200") and b'"line":1' in got
        s.sendall(LINE)
        while b'"line":2' not in got and time.monotonic() < deadline:
            got += s.recv(65536)
        assert b'"line":2' in got


# -- concurrency ----------------------------------------------------------------------


def test_sixteen_threads_answer_what_one_at_a_time_does(srv, http):
    jobs = []
    for i in range(32):
        facts = json.loads(json.dumps(FACTS[i % len(FACTS)]))
        if "entity" in facts:
            facts["entity"]["employees"] = 1 + 97 * i
        else:
            facts["entity.employees"] = 1 + 97 * i
        facts["entity.grid" if "entity" not in facts else "entity"] = (
            f"G{i}" if "entity" not in facts else {**facts["entity"], "grid": f"G{i}"})  # every answer differs
        if i % 4 == 3:
            jobs.append(("/v1/evaluate/batch?as_of=" + DAY, (json.dumps(facts) + "\n").encode() * 3 + b"null\n"))
        else:
            jobs.append(("/v1/evaluate", json.dumps({"facts": facts, "as_of": DAY}).encode()))
    sequential = [http.post(p, content=b).content for p, b in jobs]
    assert len(set(sequential)) == len(jobs)
    results = in_threads(srv[0], 16, jobs, lambda c, job: c.post(job[0], content=job[1]).content)
    assert results == sequential


# -- schemas and OpenAPI ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["facts", "decision"])
def test_schemas_are_valid_2020_12_and_the_cli_prints_them(http, kind):
    served = http.get(f"/v1/schema/{kind}").json()
    jsonschema.validators.validator_for(served).check_schema(served)
    assert jsonschema.validators.validator_for(served) is jsonschema.Draft202012Validator
    out = subprocess.run([sys.executable, "-m", "safetyrules", "schema", kind], capture_output=True, text=True)
    assert out.returncode == 0 and json.loads(out.stdout) == served


def test_schemas_validate_real_facts_and_decisions_and_reject_bad_facts(http):
    facts_v = jsonschema.Draft202012Validator(http.get("/v1/schema/facts").json())
    dec_v = jsonschema.Draft202012Validator(http.get("/v1/schema/decision").json(),
                                            format_checker=jsonschema.FormatChecker())
    for facts in FACTS:
        facts_v.validate(facts)
        dec_v.validate(http.post("/v1/evaluate", json={"facts": facts, "as_of": DAY}).json())
    for bad in ({"entity.employees": "eight"}, {"entity.sector": "spaceport"}, {"entity.nope": 1},
                {"ammonia.ac_zones": [{"bogus": 1}]}, {"entity": {"id": 5}}):
        assert not facts_v.is_valid(bad), bad
        assert http.post("/v1/evaluate", json={"facts": bad}).status_code == 422


def test_openapi_is_3_1_and_covers_every_endpoint(http):
    from openapi_spec_validator import validate

    doc = http.get("/openapi.json").json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    paths = doc["paths"]
    for path, method in [("/v1/health", "get"), ("/v1/evaluate", "post"), ("/v1/evaluate/batch", "post"),
                         ("/v1/ruleset", "get"), ("/v1/schema/facts", "get"), ("/v1/schema/decision", "get"),
                         ("/openapi.json", "get")]:
        assert method in paths[path], path
    assert "application/x-ndjson" in paths["/v1/evaluate/batch"]["post"]["responses"]["200"]["content"]
    for status in ("400", "413", "422"):
        assert "application/problem+json" in paths["/v1/evaluate"]["post"]["responses"][status]["content"]


def test_ruleset_has_each_standard_and_table(http, rules):
    body = http.get("/v1/ruleset").json()
    assert (body["id"], body["digest"]) == (rules.id, rules.digest)
    for key, items in (("standards", rules.plan.standards), ("tables", rules.plan.tables)):
        assert [x["id"] for x in body[key]] == [x.id for x in items]
        for x in body[key]:
            assert {"id", "version", "title", "effective", "status"} <= set(x)
            assert set(x["effective"]) == {"from", "until"} and x["status"] in ("verified", "provisional")
    gb = next(s for s in body["standards"] if s["id"] == "cn.gb35181.2017")
    assert gb["effective"] == {"from": "2018-07-01", "until": "2025-11-01"} and gb["version"] == "2017"


# -- no traceback, ever -------------------------------------------------------------------


def test_a_client_that_leaves_mid_body_leaves_no_traceback(srv, http):
    for path in (b"/v1/evaluate", b"/v1/evaluate/batch"):
        for framing, part in ((b"Content-Length: 1000", b"{"), (b"Transfer-Encoding: chunked", b"5\r\n{\"a\":\r\n"),
                              (b"Content-Length: 1000", LINE * 2)):
            s = socket.create_connection(("127.0.0.1", srv[1]), timeout=10)
            s.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n" + framing + b"\r\n\r\n" + part)
            time.sleep(0.2)
            s.close()
    time.sleep(0.5)
    assert http.get("/v1/health").status_code == 200
    log = srv[2].read_text(errors="replace")
    assert "Traceback" not in log and "Exception in ASGI" not in log, log[-2000:]


def test_zz_the_server_wrote_no_traceback_in_the_whole_module(srv):
    log = srv[2].read_text(errors="replace")
    assert "Traceback" not in log and "ERROR" not in log, log[-2000:]


# -- serve on a user's mistakes -------------------------------------------------------------


@pytest.mark.parametrize("args, words", [(("--max-body", "0"), "--max-body"), (("--max-body", "-5"), "--max-body"),
                                         (("--max-body", "1MiB"), "--max-body"), (("--rules", "/nonexistent"), "/nonexistent"),
                                         (("--port", "70000"), "--port"), (("--timeout", "0"), "--timeout")])
def test_serve_refuses_bad_options_with_exit_2(tmp_path, args, words):
    out = subprocess.run([sys.executable, "-m", "safetyrules", "serve", "--port", str(free_port()), *args],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_serve_refuses_a_broken_rule_file(tmp_path):
    bad = tmp_path / "ruleset.yaml"
    bad.write_text("kind: ruleset\nid: x\ninclude: [nothing/*.yaml]\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "safetyrules", "serve", "--rules", str(bad), "--port", str(free_port())],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and f"{bad}:" in out.stderr and "error:" in out.stderr and "Traceback" not in out.stderr
