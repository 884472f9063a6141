"""A third black-box audit of SPEC §11 (the service), aimed at what a
platform integrator's HTTP stack does that the first two rounds did not
send: HTTP/1.0 clients, compressed request bodies, ``Expect:
100-continue``, HEAD, repeated and misplaced query parameters, and the
problem+json of each of those paths.  One real ``safetyrules serve`` for
the module, on a free port, its stderr kept in a file."""

from __future__ import annotations

import datetime
import gzip
import json
import socket
import subprocess
import sys
import time
import zlib

import httpx
import jsonschema
import pytest

from service_fixtures import free_port, in_threads, serving

DAY = "2024-03-01"
OFFICE = {"entity": {"id": "E1", "sector": "office", "employees": 8}}
LINE = json.dumps(OFFICE).encode() + b"\n"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """(base URL, port, path of the server's stderr)."""
    with serving(tmp_path_factory.mktemp("serve3") / "stderr.txt", "--max-body", "200000") as s:
        yield s


def problem(resp, status, code=None):
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert set(body) == {"type", "title", "status", "detail", "errors"}, body
    assert body["status"] == status and body["detail"] and body["title"]
    assert body["errors"] and all(set(e) == {"code", "message", "fact"} for e in body["errors"])
    if code:
        assert body["errors"][0]["code"] == code, body
    return body


def expected(rules, facts, day=DAY):
    return rules.evaluate(facts, as_of=datetime.date.fromisoformat(day)).to_json().encode()


def same(got: bytes, want: bytes) -> None:
    """``got == want``, with a short message (decisions are long)."""
    if got != want:
        i = next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        raise AssertionError(f"differ at byte {i} of {len(got)}/{len(want)}: {got[max(0, i - 60):i + 60]!r}")


def raw(port, request: bytes, wait: float = 10.0) -> bytes:
    """Send ``request`` on a fresh connection; everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        s.sendall(request)
        got = b""
        while True:
            try:
                data = s.recv(65536)
            except socket.timeout:
                break
            if not data:
                break
            got += data
        return got


# -- HTTP/1.0 clients ---------------------------------------------------------------


def test_an_http_1_0_batch_answer_is_not_chunked(srv, rules):
    """RFC 9112 §6.1: a server MUST NOT send Transfer-Encoding to an
    HTTP/1.0 request; the client cannot read chunks, so the answer is the
    lines themselves, delimited by Content-Length (or the close)."""
    body = LINE * 3
    got = raw(srv[1], b"POST /v1/evaluate/batch?as_of=2024-03-01 HTTP/1.0\r\nContent-Type: application/x-ndjson\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body)
    head, _, payload = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 200 " in head.split(b"\r\n")[0], head
    assert b"transfer-encoding" not in head.lower(), head
    lines = payload.splitlines()
    assert len(lines) == 3
    want = rules.evaluate(OFFICE, as_of=datetime.date(2024, 3, 1)).to_dict()
    for n, line in enumerate(lines, 1):
        assert json.loads(line) == {**want, "line": n}
    cl = [h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
    if cl:
        assert int(cl[0].split(b":")[1]) == len(payload)


def test_an_http_1_0_evaluate_answer_is_the_decision(srv, rules):
    body = json.dumps({"facts": OFFICE, "as_of": DAY}).encode()
    got = raw(srv[1], b"POST /v1/evaluate HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    head, _, payload = got.partition(b"\r\n\r\n")
    assert b" 200 " in head.split(b"\r\n")[0] and b"transfer-encoding" not in head.lower()
    same(payload, expected(rules, OFFICE))


# -- compressed request bodies -------------------------------------------------------


@pytest.mark.parametrize("coding, pack", [("gzip", gzip.compress), ("x-gzip", gzip.compress), ("deflate", zlib.compress),
                                          ("GZIP", gzip.compress), ("identity", lambda b: b)])
def test_a_compressed_evaluate_body_is_decided_as_the_plain_one(http, rules, coding, pack):
    body = json.dumps({"facts": OFFICE, "as_of": DAY}).encode()
    r = http.post("/v1/evaluate", content=pack(body), headers={"content-encoding": coding, "content-type": "application/json"})
    assert r.status_code == 200, r.text[:300]
    same(r.content, expected(rules, OFFICE))


def test_a_gzipped_batch_is_decided_line_by_line(http, rules):
    entities = [{"entity": {"id": f"E{i}", "sector": "office", "employees": i}} for i in range(50)]
    body = b"".join(json.dumps(e).encode() + b"\n" for e in entities) + b"null\n"
    plain = http.post(f"/v1/evaluate/batch?as_of={DAY}", content=body)
    packed = http.post(f"/v1/evaluate/batch?as_of={DAY}", content=gzip.compress(body),
                       headers={"content-encoding": "gzip", "content-type": "application/x-ndjson"})
    assert packed.status_code == 200 and packed.headers["content-type"] == "application/x-ndjson"
    same(packed.content, plain.content)
    assert len(packed.text.splitlines()) == 51


@pytest.mark.parametrize("coding", ["br", "compress", "zstd", "gzip, br"])
@pytest.mark.parametrize("path", ["/v1/evaluate", "/v1/evaluate/batch"])
def test_a_content_coding_the_server_cannot_read_is_415_saying_which_it_can(http, path, coding):
    # RFC 9110 §15.5.16: 415, with Accept-Encoding naming the codings accepted
    r = http.post(path, content=b"\x00\x01\x02", headers={"content-encoding": coding})
    body = problem(r, 415, "E-ENCODING")
    assert "gzip" in r.headers["accept-encoding"]
    assert coding.split(",")[-1].strip() in body["detail"]


@pytest.mark.parametrize("path", ["/v1/evaluate", "/v1/evaluate/batch"])
def test_urllib_gets_the_415_for_a_large_body_in_a_coding_not_read(srv, path):
    """urllib sends ``Connection: close`` and writes its whole body before
    it reads: the 415 must reach it, not a connection reset."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(srv[0] + path, data=b"\x28\xb5\x2f\xfd" + b"\x00" * (8 << 20),
                                 headers={"content-encoding": "zstd"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=60)
    assert info.value.code == 415 and info.value.headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.parametrize("path", ["/v1/evaluate", "/v1/evaluate/batch"])
def test_a_body_that_is_not_the_gzip_it_claims_is_400(http, path):
    body = problem(http.post(path, content=b'{"facts": {}}', headers={"content-encoding": "gzip"}), 400, "E-ENCODING")
    assert "json" not in (body["type"] + body["title"]).lower()  # the JSON was never read
    truncated = gzip.compress(json.dumps({"facts": OFFICE}).encode())[:-12]
    problem(http.post(path, content=truncated, headers={"content-encoding": "gzip"}), 400, "E-ENCODING")


@pytest.mark.parametrize("path", ["/v1/evaluate", "/v1/evaluate/batch"])
def test_a_gzip_bomb_is_held_to_the_limit_after_decoding(http, path):
    # 200,000 bytes is this server's --max-body; 50 MB of spaces packs to ~50 kB
    bomb = gzip.compress(b'{"facts": {}' + b" " * (50 << 20) + b"}\n")
    assert len(bomb) < 200_000
    problem(http.post(path, content=bomb, headers={"content-encoding": "gzip"}), 413, "E-TOO-LARGE")


def test_concatenated_gzip_members_are_one_body(http, rules):
    body = json.dumps({"facts": OFFICE, "as_of": DAY}).encode()
    two = gzip.compress(body[:10]) + gzip.compress(body[10:])
    r = http.post("/v1/evaluate", content=two, headers={"content-encoding": "gzip"})
    assert r.status_code == 200, r.text[:300]
    same(r.content, expected(rules, OFFICE))


# -- Expect, HEAD, query strings -----------------------------------------------------------


def test_expect_100_continue_then_the_decision_and_no_continue_before_a_413(srv, rules):
    body = json.dumps({"facts": OFFICE, "as_of": DAY}).encode()
    with socket.create_connection(("127.0.0.1", srv[1]), timeout=10) as s:
        s.sendall(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
        assert s.recv(1000).startswith(b"HTTP/1.1 100 ")
        s.sendall(body)
        got = b""
        while expected(rules, OFFICE) not in got:
            data = s.recv(65536)
            assert data
            got += data
    got = raw(srv[1], b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n"
                      b"Content-Length: 5000000\r\n\r\n", wait=5)
    assert got.startswith(b"HTTP/1.1 413 "), got[:200]
    assert b"application/problem+json" in got


@pytest.mark.parametrize("path", ["/v1/health", "/v1/ruleset", "/v1/schema/facts", "/v1/schema/decision", "/openapi.json"])
def test_head_answers_the_get_headers_without_a_body(http, path):
    g, h = http.get(path), http.head(path)
    assert h.status_code == 200 and h.content == b""
    assert h.headers["content-type"] == g.headers["content-type"] == "application/json"
    assert int(h.headers["content-length"]) == len(g.content)


def test_a_batch_with_two_different_as_of_is_refused_not_a_guess(http):
    body = problem(http.post("/v1/evaluate/batch?as_of=2024-03-01&as_of=2026-01-01", content=LINE), 422, "E-REQUEST")
    assert body["errors"][0]["fact"] == "as_of"
    same_day = http.post("/v1/evaluate/batch?as_of=2024-03-01&as_of=2024-03-01", content=LINE)
    assert same_day.status_code == 200 and json.loads(same_day.text)["as_of"] == DAY


def test_unknown_query_parameters_change_nothing(http, rules):
    r = http.post(f"/v1/evaluate/batch?as_of={DAY}&trace=1&x=&y", content=LINE)
    assert json.loads(r.text) == {**rules.evaluate(OFFICE, as_of=datetime.date(2024, 3, 1)).to_dict(), "line": 1}
    assert http.get("/v1/health?probe=1&probe=2").content == http.get("/v1/health").content


def test_as_of_as_a_query_parameter_of_evaluate_is_not_silently_today(http, rules):
    """The batch takes ``?as_of=``; an integrator who sends it to
    ``/v1/evaluate`` too gets that day's decision, not today's (the body's
    ``as_of`` is the SPEC's; a query that disagrees with it is a 422)."""
    r = http.post(f"/v1/evaluate?as_of={DAY}", json={"facts": OFFICE})
    assert r.status_code == 200, r.text[:300]
    same(r.content, expected(rules, OFFICE))
    same_day = http.post(f"/v1/evaluate?as_of={DAY}", json={"facts": OFFICE, "as_of": DAY})
    same(same_day.content, expected(rules, OFFICE))
    body = problem(http.post("/v1/evaluate?as_of=2026-01-01", json={"facts": OFFICE, "as_of": DAY}), 422, "E-REQUEST")
    assert body["errors"][0]["fact"] == "as_of"
    assert problem(http.post("/v1/evaluate?as_of=someday", json={"facts": OFFICE}), 422)["errors"][0]["fact"] == "as_of"


@pytest.mark.parametrize("accept", ["application/xml", "text/html", "*/*", "application/problem+json", "application/x-ndjson"])
def test_the_answer_does_not_depend_on_accept(http, rules, accept):
    r = http.post("/v1/evaluate", json={"facts": OFFICE, "as_of": DAY}, headers={"accept": accept})
    assert r.status_code == 200, r.text[:300]
    same(r.content, expected(rules, OFFICE))


# -- the OpenAPI document describes what is answered ------------------------------------------


def test_openapi_lists_every_problem_status_the_endpoints_answer(http):
    doc = http.get("/openapi.json").json()
    for path in ("/v1/evaluate", "/v1/evaluate/batch"):
        responses = doc["paths"][path]["post"]["responses"]
        for status in ("413", "415", "422"):
            assert "application/problem+json" in responses[status]["content"], (path, status)
    assert "400" in doc["paths"]["/v1/evaluate"]["post"]["responses"]


def test_openapi_request_schema_accepts_what_the_server_accepts(http):
    doc = http.get("/openapi.json").json()
    comp = doc["components"]["schemas"]
    req = {**comp["EvaluateRequest"], "$defs": comp}
    req = json.loads(json.dumps(req).replace("#/components/schemas/", "#/$defs/"))
    v = jsonschema.Draft202012Validator(req)
    for body in ({"facts": OFFICE}, {"facts": OFFICE, "as_of": DAY}, {"facts": {}, "as_of": None}):
        assert http.post("/v1/evaluate", json=body).status_code == 200
        assert v.is_valid(body), body
    for body in ({"facts": OFFICE, "as_of": 20240301}, {"facts": OFFICE, "extra": 1}, {"as_of": DAY}):
        assert http.post("/v1/evaluate", json=body).status_code == 422
        assert not v.is_valid(body), body


# -- serve's options reach every worker ---------------------------------------------------------


def test_allow_outside_includes_reaches_every_worker(tmp_path):
    """``serve --workers 2 --allow-outside-includes``: the workers load the
    rule set in processes of their own, and must trust it as the command
    did (they raised the include error, with a traceback, and never served)."""
    import pathlib
    import shutil

    root = pathlib.Path(__file__).resolve().parents[2]
    shutil.copytree(root / "examples" / "overlay" / "local", tmp_path / "local")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "ruleset.yaml").write_text(
        "kind: ruleset\nid: outside.overlay\nextends: cn.default\ninclude: [../local/*.yaml]\n"
        "units:\n  A: {dimension: current}\n  mA: {base: A, factor: 0.001}\n", encoding="utf-8")
    port = free_port()
    err = tmp_path / "stderr.txt"
    with open(err, "wb") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "safetyrules", "serve", "--port", str(port), "--workers", "2",
                                 "--rules", str(tmp_path / "m" / "ruleset.yaml"), "--allow-outside-includes"],
                                stdout=subprocess.DEVNULL, stderr=fh)
    try:
        deadline, ids = time.monotonic() + 90, set()
        while len(ids) < 1:
            assert proc.poll() is None and "Traceback" not in err.read_text(errors="replace"), err.read_text()[-1500:]
            assert time.monotonic() < deadline, "no worker answered"
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2)
                ids.add(r.json()["ruleset"]["id"])
            except httpx.HTTPError:
                time.sleep(0.2)
        assert ids == {"outside.overlay"}
        for _ in range(8):  # both workers, most likely
            assert httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5).json()["ruleset"]["id"] == "outside.overlay"
        time.sleep(1)
        assert "Traceback" not in err.read_text(errors="replace"), err.read_text()[-1500:]
    finally:
        proc.terminate()
        proc.wait(20)


def test_port_0_says_which_port_it_picked(tmp_path):
    """``--port 0 picks a free one``: and says which, on stderr, since
    nothing else tells the user where the server is."""
    import re

    proc = subprocess.Popen([sys.executable, "-m", "safetyrules", "serve", "--port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    import threading

    got = []
    reader = threading.Thread(target=lambda: got.append(proc.stderr.readline()), daemon=True)
    reader.start()
    try:
        reader.join(60)
        line = got[0] if got else ""
        found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert found and int(found.group(1)) > 0, line
        url, deadline = found.group(0), time.monotonic() + 60
        while True:
            try:
                r = httpx.get(url + "/v1/health", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None, "nothing listens where it said"
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["ruleset"]["id"] in line
    finally:
        proc.terminate()
        proc.wait(20)


def test_concurrent_coded_chunked_and_http_1_0_requests_answer_what_sequential_ones_do(srv, http):
    """The new ways in (gzip, deflate, chunked, ?as_of= on evaluate,
    HTTP/1.0) under concurrency: each answer is the one the same request
    gets alone."""
    jobs = []
    for i in range(24):
        facts = {"entity": {"id": f"C{i}", "sector": ("office", "catering", "retail")[i % 3], "employees": 3 + 41 * i},
                 "gas.fuel_used": bool(i % 2)}
        one = json.dumps({"facts": facts, "as_of": DAY}).encode()
        lines = (json.dumps(facts).encode() + b"\n") * 2 + b"{bad\n"
        kind = i % 6
        if kind == 0:
            jobs.append(("/v1/evaluate", gzip.compress(one), {"content-encoding": "gzip"}))
        elif kind == 1:
            jobs.append((f"/v1/evaluate/batch?as_of={DAY}", zlib.compress(lines), {"content-encoding": "deflate"}))
        elif kind == 2:
            jobs.append((f"/v1/evaluate?as_of={DAY}", json.dumps({"facts": facts}).encode(), {}))
        elif kind == 3:
            jobs.append((f"/v1/evaluate/batch?as_of={DAY}", iter([lines[:7], lines[7:]]), {}))  # chunked
        elif kind == 4:
            jobs.append(("raw", b"POST /v1/evaluate/batch?as_of=2024-03-01 HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(lines) + lines, {}))
        else:
            jobs.append(("/v1/evaluate", one, {}))

    def call(client, job):
        path, body, headers = job
        if path == "raw":
            return raw(srv[1], body).partition(b"\r\n\r\n")[2]
        if isinstance(body, list):
            body = iter(body)
        return client.post(path, content=body, headers=headers).content

    jobs = [(p, list(b) if not isinstance(b, bytes) else b, h) for p, b, h in jobs]
    sequential = [call(http, j) for j in jobs]
    assert len(set(sequential)) == len(jobs) and all(sequential)
    results = in_threads(srv[0], 12, jobs, call)
    for n, (got, want) in enumerate(zip(results, sequential)):
        assert got == want, (n, jobs[n][0], len(got or b""), len(want))


def test_an_http_1_0_answer_is_held_to_its_limit_with_an_error_line(monkeypatch, rules):
    """The HTTP/1.0 answer is gathered before it is sent (it needs its
    length): past ``HTTP10_ANSWER_LIMIT`` bytes an ``E-TOO-LARGE`` line,
    numbered after the last line answered, ends it. In process, through
    the ASGI app, with the limit made small."""
    import asyncio

    from safetyrules.service import app as service_app

    monkeypatch.setattr(service_app, "HTTP10_ANSWER_LIMIT", 2 * len(expected(rules, OFFICE)) + 200)
    asgi = service_app.create_app(rules)
    body = LINE * 5
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.0", "method": "POST", "scheme": "http",
             "path": "/v1/evaluate/batch", "raw_path": b"/v1/evaluate/batch", "query_string": b"as_of=2024-03-01",
             "root_path": "", "headers": [(b"content-length", str(len(body)).encode())], "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 80)}
    asyncio.run(asgi(scope, receive, send))
    assert sent[0]["status"] == 200
    headers = dict(sent[0]["headers"])
    payload = b"".join(m.get("body", b"") for m in sent[1:])
    assert int(headers[b"content-length"]) == len(payload) and b"transfer-encoding" not in headers
    lines = [json.loads(x) for x in payload.splitlines()]
    assert [x["line"] for x in lines] == [1, 2, 3]
    assert "error" not in lines[1] and lines[2]["error"]["code"] == "E-TOO-LARGE"


def test_zz_the_server_wrote_no_traceback_in_the_whole_module(srv):
    log = srv[2].read_text(errors="replace")
    assert "Traceback" not in log and "ERROR" not in log, log[-2000:]
