"""SPEC §11: "a body over the limit (default 1 MiB, ``--max-body``) 413" holds
for ``POST /v1/evaluate/batch`` as for every request: the limit is the whole
JSON Lines body, not each line, and over it the answer is a 413 problem, never
a 200 stream.  A real server with a small ``--max-body`` and a real client."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from service_fixtures import Server

LIMIT = 4096
LINE = b'{"entity": {"sector": "office", "employees": 8}}\n'  # 49 bytes


@pytest.fixture(scope="module")
def small():
    srv = Server("--max-body", str(LIMIT))
    yield srv
    srv.stop()


def body_of(size: int) -> bytes:
    """Short good lines, padded with blanks to exactly ``size`` bytes."""
    n = size // len(LINE)
    return LINE * n + b" " * (size - n * len(LINE))


def is_413(resp) -> None:
    assert resp.status_code == 413, (resp.status_code, resp.text[:200])
    assert resp.headers["content-type"].startswith("application/problem+json")
    doc = resp.json()
    assert doc["status"] == 413 and doc["errors"][0]["code"] == "E-TOO-LARGE", doc
    assert str(LIMIT) in doc["detail"]


def decided(resp, lines: int) -> None:
    assert resp.status_code == 200, resp.text[:200]
    assert resp.headers["content-type"] == "application/x-ndjson"
    out = [json.loads(x) for x in resp.text.splitlines()]
    assert [o["line"] for o in out] == list(range(1, lines + 1))
    assert all("level" in o for o in out)


def chunks(body: bytes, size: int = 1000):
    for i in range(0, len(body), size):
        yield body[i:i + size]


def test_a_body_at_the_limit_is_decided(small):
    body = body_of(LIMIT)
    assert len(body) == LIMIT
    with httpx.Client(base_url=small.url, timeout=30) as c:
        decided(c.post("/v1/evaluate/batch?as_of=2024-03-01", content=body), LIMIT // len(LINE))


def test_many_short_lines_over_the_limit_are_413(small):
    # every line is short: a per-line limit would answer 200
    with httpx.Client(base_url=small.url, timeout=30) as c:
        is_413(c.post("/v1/evaluate/batch", content=body_of(LIMIT + 1)))
        is_413(c.post("/v1/evaluate/batch", content=LINE * 1000))


def test_one_long_line_is_413_not_an_error_line(small):
    body = b'{"entity.name": "' + b"x" * LIMIT + b'"}\n' + LINE
    with httpx.Client(base_url=small.url, timeout=30) as c:
        is_413(c.post("/v1/evaluate/batch", content=body))


def test_chunked_bodies_are_held_to_the_limit_too(small):
    # a generator body is sent chunked, with no Content-Length
    with httpx.Client(base_url=small.url, timeout=30) as c:
        is_413(c.post("/v1/evaluate/batch", content=chunks(body_of(LIMIT + 1))))
        decided(c.post("/v1/evaluate/batch", content=chunks(body_of(LIMIT))), LIMIT // len(LINE))


def test_an_unfinished_chunked_body_over_the_limit_is_refused_at_once(small):
    """The 413 comes as soon as the count passes the limit, before the
    body ends (the client has not finished sending)."""
    with socket.create_connection(("127.0.0.1", small.port), timeout=10) as s:
        s.sendall(b"POST /v1/evaluate/batch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"Content-Type: application/x-ndjson\r\n\r\n")
        part = LINE * 20
        for _ in range(LIMIT // len(part) + 2):
            s.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
