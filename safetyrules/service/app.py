"""The ASGI application of ``safetyrules serve`` (SPEC §11), on Starlette.

Everything an answer depends on but the request is computed once, when the
app is built, from the immutable :class:`~safetyrules.engine.ruleset.RuleSet`:
the health, rule-set, schema and OpenAPI bodies are fixed bytes.  Requests
share nothing else, so concurrent requests answer what sequential ones would.

Evaluation runs on the event loop itself: one decision takes tens of
microseconds, far less than handing it to a thread would cost.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import re
import zlib
from typing import Any, AsyncIterator, Dict, List, Optional

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from safetyrules.errors import SafetyRulesError
from safetyrules.limits import MAX_INT_DIGITS, int_digits_ok, parse_date
from safetyrules.service.openapi import openapi_document
from safetyrules.service.problems import Problem, error_entry
from safetyrules.service.schemas import canonical_json, decision_schema, facts_schema

__all__ = ["create_app", "app_from_env", "DEFAULT_MAX_BODY", "DEFAULT_TIMEOUT", "ruleset_summary"]

DEFAULT_MAX_BODY = 1 << 20  # 1 MiB (SPEC §11)
DEFAULT_TIMEOUT = 30.0  # seconds to receive a request body
#: most bytes of an over-limit body read and dropped before the 413 on a
#: connection that closes after it (see ``_Service._drain_if_closing``)
DRAIN_LIMIT = 256 << 20
#: most bytes of the answer to an HTTP/1.0 batch (it is gathered before it
#: is sent: see ``_Service._send_with_length``)
HTTP10_ANSWER_LIMIT = 4 << 30
#: seconds without new data after which a chunked batch body that has
#: started is answered while it streams (see ``_Service._held``)
BATCH_PAUSE = 0.5

JSON = "application/json"
PROBLEM = "application/problem+json"
NDJSON = "application/x-ndjson"
SCHEMA = JSON  # the schemas are JSON documents, served as every JSON answer is


def ruleset_summary(rules) -> Dict[str, Any]:
    """``GET /v1/ruleset``: id, digest and every standard and table."""

    def item(x, effective_from=None, effective_until=None):
        return {
            "id": x.id,
            "version": x.version,
            "title": dict(x.title),
            "effective": {
                "from": effective_from.isoformat() if effective_from else None,
                "until": effective_until.isoformat() if effective_until else None,
            },
            "status": x.status,
        }

    plan = rules.plan
    return {
        "id": plan.id,
        "digest": plan.digest,
        "title": dict(plan.title),
        "decision": dict(plan.decision),
        "standards": [
            {**item(s, s.effective_from, s.effective_until), "document": s.document,
             "supersedes": list(s.supersedes), "clauses": len(s.clauses)}
            for s in plan.standards
        ],
        "tables": [{**item(t), "output": t.output, "hit": t.hit, "rows": len(t.rows)} for t in plan.tables],
    }


def _json_kind(value: Any) -> str:
    """What a JSON value is, in JSON's words (null, an array, a string …)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _no_dupes(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


class _NotJson(ValueError):
    """``NaN``/``Infinity``: Python's json reads them, JSON has no such thing."""


class _TooManyDigits(ValueError):
    pass


def _no_constants(name: str) -> Any:
    raise _NotJson(f"{name} is not valid JSON (numbers must be finite)")


def _int(text: str) -> int:
    # checked before converting, as the facts reader does (E-NUMBER there too):
    # no Python message about int_max_str_digits, and no quadratic conversion
    if not int_digits_ok(text):
        raise _TooManyDigits(f"integer of {len(text.lstrip('+-'))} digits; at most {MAX_INT_DIGITS} are allowed")
    return int(text)


def _parse_json(raw: bytes, what: str = "body") -> Any:
    """Bytes → JSON value; a :class:`Problem` 400 when it is not JSON
    (``NaN`` and ``Infinity`` included), 422 ``E-NUMBER`` for an integer of
    more digits than any fact can hold."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem.single(400, "E-UTF8", f"the {what} is not UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text, object_pairs_hook=_no_dupes, parse_constant=_no_constants, parse_int=_int)
    except RecursionError:
        raise Problem.single(400, "E-JSON", "the JSON is nested too deeply") from None
    except _NotJson as exc:
        raise Problem.single(400, "E-JSON", f"malformed JSON: {exc}") from None
    except _TooManyDigits as exc:
        raise Problem.single(422, "E-NUMBER", str(exc)) from None
    except ValueError as exc:
        msg = getattr(exc, "msg", None) or str(exc)
        where = f" at line {exc.lineno} column {exc.colno}" if hasattr(exc, "lineno") else ""
        raise Problem.single(400, "E-JSON", f"malformed JSON: {msg}{where}") from None


#: the request content codings read (RFC 9110 §8.4.1), by their name: the
#: ``wbits`` of :func:`zlib.decompressobj` (gzip; deflate is the zlib format)
CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
ACCEPT_ENCODING = "gzip, deflate"


def _coding(request: Request) -> Optional[str]:
    """The body's content coding (None: as sent); a :class:`Problem` 415,
    naming the codings read, for any other (RFC 9110 §15.5.16)."""
    names = [c.strip().lower() for c in request.headers.get("content-encoding", "").split(",")]
    names = [c for c in names if c and c != "identity"]
    if not names:
        return None
    if len(names) == 1 and names[0] in CODINGS:
        return names[0]
    raise Problem.single(415, "E-ENCODING",
                         f"the body's content coding {', '.join(names)!s} is not read here; send it as is, or with "
                         f"Content-Encoding: gzip or deflate", headers={"Accept-Encoding": ACCEPT_ENCODING})


async def _decoded(chunks: AsyncIterator[bytes], coding: str) -> AsyncIterator[bytes]:
    """The chunks of a ``coding``-coded body, decoded, in pieces of at most
    64 KiB (so that the limit on the body stops a small body that decodes
    to a huge one as soon as it passes it); gzip members one after another
    are one body (RFC 1952 §2.2)."""
    wbits = CODINGS[coding]
    d = zlib.decompressobj(wbits)
    pending = False  # d has read input and not reached its end
    async for chunk in chunks:
        data = chunk
        while data:
            try:
                out = d.decompress(data, 1 << 16)
            except zlib.error as exc:
                raise Problem.single(400, "E-ENCODING", f"the body is not valid {coding} data ({exc})") from None
            if d.eof:
                data, d, pending = d.unused_data, zlib.decompressobj(wbits), False
            else:
                data, pending = d.unconsumed_tail, True
            if out:
                yield out
    if pending:
        raise Problem.single(400, "E-ENCODING", f"the body's {coding} data ends before its end")


def _query_as_of(request: Request) -> Optional[str]:
    """The ``as_of`` query parameter (None when absent); given twice with
    different values it is a 422, not a guess at which one was meant."""
    values = request.query_params.getlist("as_of")
    if len(set(values)) > 1:
        raise Problem.single(422, "E-REQUEST", f"as_of is given {len(values)} times with different values "
                             f"({', '.join(map(repr, values))}); give it once", "as_of")
    return values[0] if values else None


_FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _as_of(value: Any) -> Optional[datetime.date]:
    """A date as the schemas say (RFC 3339 full-date, ``2024-03-01``): not
    the other ISO 8601 forms Python reads (``20240301``, ``2024-W10-5``)."""
    if value is None:
        return None
    if isinstance(value, str) and _FULL_DATE.fullmatch(value):
        try:
            return parse_date(value)
        except ValueError:
            pass
    raise Problem.single(422, "E-FACTS", f"as_of must be a date like 2024-03-01, got {value!r}", "as_of")


class _Service:
    """The handlers, bound to one rule set and its limits."""

    def __init__(self, rules, max_body: int, timeout: float) -> None:
        self.rules = rules
        self.max_body = max_body
        self.timeout = timeout
        plan = rules.plan
        self.health_body = canonical_json({"status": "ok", "ruleset": {"id": plan.id, "digest": plan.digest}}).encode()
        self.ruleset_body = canonical_json(ruleset_summary(rules)).encode()
        self.facts_body = canonical_json(facts_schema(plan)).encode()
        self.decision_body = canonical_json(decision_schema(plan)).encode()
        self.openapi_body = canonical_json(openapi_document(plan)).encode()
        # the engine compiles its program on the first decision: do it now,
        # before the server listens, not in the first client's request
        # (1.5 s there, and in each worker process); it changes no answer
        try:
            rules.evaluate({}).to_json()
        except SafetyRulesError:  # pragma: no cover - a rule set that cannot decide {} still serves
            pass

    # -- bodies ------------------------------------------------------------
    def _check_length(self, request: Request, limit: int) -> None:
        cl = request.headers.get("content-length")
        if cl is not None and cl.strip().isdigit() and int(cl) > limit:
            raise Problem.single(413, "E-TOO-LARGE", f"the body is {int(cl)} bytes; the limit is {limit}")

    def _body_chunks(self, request: Request) -> AsyncIterator[bytes]:
        """The body as it arrives, decoded when it has a content coding
        (a :class:`Problem` 415, at once, for a coding not read)."""
        coding = _coding(request)
        chunks = self._chunks(request)
        return _decoded(chunks, coding) if coding else chunks

    async def _chunks(self, request: Request) -> AsyncIterator[bytes]:
        """The body as it arrives; each chunk must come within the timeout."""
        stream = request.stream().__aiter__()
        while True:
            try:
                chunk = await asyncio.wait_for(stream.__anext__(), self.timeout)
            except StopAsyncIteration:
                return
            except asyncio.TimeoutError:
                raise Problem.single(408, "E-TIMEOUT", f"no body data for {self.timeout:g} s") from None
            except ClientDisconnect:
                # the client went away mid-body: nobody reads the answer, but
                # it is an answer (a problem), not an error in the server's log
                raise Problem.single(400, "E-DISCONNECT", "the client closed the connection before the body ended") from None
            if chunk:
                yield chunk

    async def _body(self, request: Request) -> bytes:
        """The whole body, refused (413) as soon as it passes the limit —
        while it streams, not after it has all been read."""
        limit = self.max_body
        try:
            _coding(request)  # a coding not read is a 415 whatever the length
            self._check_length(request, limit)
            return await self._read_all(self._body_chunks(request))
        except Problem as p:
            if p.status in (413, 415):  # refused unread: see _drain_if_closing
                await self._drain_if_closing(request)
            raise

    async def _drain_if_closing(self, request: Request) -> None:
        """Before a 413 (or 415) on a connection that closes after the answer
        (``Connection: close``, as urllib sends, or HTTP/1.0): read and drop
        the rest of the body (up to ``DRAIN_LIMIT`` bytes), so that the
        close is orderly and the client, still writing, reads the 413 rather
        than a connection reset.  A kept-alive connection needs none of
        this: the server reads the unread body past the answer itself, so
        the 413 goes out at once."""
        closing = request.scope.get("http_version") == "1.0" or "close" in request.headers.get("connection", "").lower()
        if not closing or "100-continue" in request.headers.get("expect", "").lower():
            # a client that waits for "100 Continue" sends no body after a
            # final answer (RFC 9110 §10.1.1): reading would invite it to
            return
        receive = request.receive
        n = 0
        while n <= DRAIN_LIMIT:
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except (asyncio.TimeoutError, ClientDisconnect):
                return
            if message.get("type") != "http.request":
                return
            n += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    async def _read_all(self, chunks: AsyncIterator[bytes]) -> bytes:
        limit = self.max_body
        parts: List[bytes] = []
        n = 0
        async for chunk in chunks:
            n += len(chunk)
            if n > limit:
                raise Problem.single(413, "E-TOO-LARGE", f"the body is over the limit of {limit} bytes")
            parts.append(chunk)
        return b"".join(parts)

    # -- endpoints -----------------------------------------------------------
    async def health(self, request: Request) -> Response:
        return Response(self.health_body, media_type=JSON)

    async def ruleset(self, request: Request) -> Response:
        return Response(self.ruleset_body, media_type=JSON)

    async def schema_facts(self, request: Request) -> Response:
        return Response(self.facts_body, media_type=SCHEMA)

    async def schema_decision(self, request: Request) -> Response:
        return Response(self.decision_body, media_type=SCHEMA)

    async def openapi(self, request: Request) -> Response:
        return Response(self.openapi_body, media_type=JSON)

    async def evaluate(self, request: Request) -> Response:
        doc = _parse_json(await self._body(request))
        if not isinstance(doc, dict):
            raise Problem.single(422, "E-REQUEST", 'the body must be a JSON object {"facts": {...}, "as_of": "YYYY-MM-DD"}')
        extra = sorted(set(doc) - {"facts", "as_of"})
        if extra:
            raise Problem.single(422, "E-REQUEST", f"unknown request key {extra[0]!r} (keys: facts, as_of)")
        if "facts" not in doc:
            raise Problem.single(422, "E-REQUEST", 'the body has no "facts"')
        facts = doc["facts"]
        if not isinstance(facts, dict):
            raise Problem.single(422, "E-FACTS", f'"facts" must be a JSON object, got {_json_kind(facts)}')
        day = _as_of(doc.get("as_of"))
        query = _query_as_of(request)
        if query is not None:
            # the batch's way of giving the date, sent here too: that day,
            # never silently today; one that contradicts the body's is a 422
            asked = _as_of(query)
            if day is not None and asked != day:
                raise Problem.single(422, "E-REQUEST", f"as_of is {doc.get('as_of')!r} in the body and {query!r} "
                                     "in the query; give it once", "as_of")
            day = asked
        # decided in a worker thread: a long decision (an entity with
        # thousands of list items) must not stop the event loop, so health
        # checks and other requests are answered meanwhile (the rule set is
        # safe to share between threads)
        body = await run_in_threadpool(self._decide_json, facts, day)
        return Response(body, media_type=JSON)

    def _decide_json(self, facts: Dict[str, Any], day) -> bytes:
        try:
            decision = self.rules.evaluate(facts, as_of=day)
            return decision.to_json().encode("utf-8")
        except SafetyRulesError as err:
            entry = error_entry(err)  # detail as errors[0].message: with its did-you-mean
            raise Problem(422, entry["message"], [entry]) from None

    async def evaluate_batch(self, scope, receive, send) -> None:
        """A raw ASGI endpoint: the request body is read while the answer
        streams, which Starlette's StreamingResponse does not allow (it
        listens for a disconnect on the same channel).

        The body is held to ``max_body`` as a whole, as every request body is
        (SPEC §11): over it, the answer is 413, never a 200 stream.  With a
        ``Content-Length`` the limit is checked at once and the answer streams
        while the body is read; a chunked body (no length) is read up to the
        limit before the 200 starts, until it ends or pauses (``_held``).
        Either way the 200 waits for the body's first data, so a client that
        sends none for ``--timeout`` seconds gets a 408 problem; a pause
        later, once the answer streams, is an ``E-TIMEOUT`` line."""
        request = Request(scope, receive)
        try:
            day = _as_of(_query_as_of(request))
            _coding(request)
            self._check_length(request, self.max_body)
            chunks = self._body_chunks(request)
            if _coding(request):
                # a coded body's length says nothing of what it decodes to
                chunks = _once(await self._read_all(chunks))
            elif request.headers.get("content-length") is None:
                # chunked: read while it comes (413 past the limit), and
                # start answering when it ends or pauses (a client that
                # streams its lines and waits for their answers)
                chunks = await self._held(chunks)
            else:
                chunks = await _started(chunks)
        except Problem as p:
            if p.status in (413, 415):  # refused unread: see _drain_if_closing
                await self._drain_if_closing(request)
            await _problem_response(p)(scope, receive, send)
            return
        if scope.get("http_version") == "1.0":
            await self._send_with_length(self._batch_lines(chunks, day), send)
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", NDJSON.encode())]})
        async for part in self._batch_lines(chunks, day):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _held(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """A body of unknown length (chunked), read up to the limit (a
        :class:`Problem` 413 past it) until it ends — or until, once its
        first data has come, no more comes for ``BATCH_PAUSE`` seconds: then
        the chunks read so far, and the rest as it comes (past the limit
        after that, an ``E-TOO-LARGE`` line ends the answer).  A client that
        sends its whole body at once gets the 413 of an over-limit body; one
        that streams lines and waits gets their answers meanwhile."""
        it = chunks.__aiter__()
        parts: List[bytes] = []
        n = 0
        while True:
            nxt = asyncio.ensure_future(it.__anext__())
            if parts:
                done, _ = await asyncio.wait({nxt}, timeout=BATCH_PAUSE)
                if not done:  # a pause: answer what has come, then the rest
                    return _then(parts, nxt, it)
            try:
                chunk = await nxt
            except StopAsyncIteration:
                return _once(b"".join(parts))
            n += len(chunk)
            if n > self.max_body:
                raise Problem.single(413, "E-TOO-LARGE", f"the body is over the limit of {self.max_body} bytes")
            parts.append(chunk)

    @staticmethod
    async def _send_with_length(parts: AsyncIterator[bytes], send) -> None:
        """The answer to an HTTP/1.0 batch: such a client reads no chunked
        answer (RFC 9112 §6.1), and the server chunks every answer sent
        without a length, so the lines are gathered first — in memory up
        to 32 MiB, then in a temporary file, up to ``HTTP10_ANSWER_LIMIT``
        bytes (then an ``E-TOO-LARGE`` line ends them) — and go out with
        their ``Content-Length``."""
        import tempfile

        with tempfile.SpooledTemporaryFile(max_size=32 << 20) as spool:
            n = lines = 0
            last = b""  # the last line written
            async for part in parts:
                if n + len(part) <= HTTP10_ANSWER_LIMIT:
                    spool.write(part)
                    n += len(part)
                    lines += part.count(b"\n")
                    last = part[part.rfind(b"\n", 0, len(part) - 1) + 1:]
                    continue
                for line in part.splitlines(keepends=True):  # the lines that fit, then the stop
                    if n + len(line) > HTTP10_ANSWER_LIMIT:
                        break
                    spool.write(line)
                    n += len(line)
                    lines += 1
                    last = line
                stop = canonical_json({"line": json.loads(last)["line"] + 1 if last else 1, "error": {
                    "code": "E-TOO-LARGE", "fact": None,
                    "message": f"the answer is over {HTTP10_ANSWER_LIMIT >> 20} MiB, the most an HTTP/1.0 answer "
                               f"is held to, after {lines} line(s); send the batch over HTTP/1.1 to stream it"}}).encode() + b"\n"
                spool.write(stop)
                n += len(stop)
                break
            spool.seek(0)
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", NDJSON.encode()), (b"content-length", str(n).encode())]})
            while True:
                piece = await run_in_threadpool(spool.read, 1 << 20)
                if not piece:
                    break
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _decide_line(self, n: int, raw: bytes, day) -> bytes:
        # the command line's reader of JSON Lines, so that a bad line gives
        # the same error code here as in `evaluate` (E-ENCODING, E-JSON,
        # E-DEPTH, E-ENTITY, ...)
        from safetyrules.engine.reader import iter_jsonl_bytes

        # the reader drops a byte-order mark on its first line only: a later
        # line goes in second (after a blank one), so that a BOM there is the
        # E-JSON it is in `evaluate`
        got = list(iter_jsonl_bytes([raw] if n == 1 else [b"", raw]))
        if not got:
            return b""
        if got[0].error is not None:
            return self._error_line(n, error_entry(got[0].error))
        data = got[0].facts
        try:
            decision = self.rules.evaluate(data, as_of=day)
        except SafetyRulesError as err:
            return self._error_line(n, error_entry(err))
        out = decision.to_dict()
        out["line"] = n
        return canonical_json(out).encode("utf-8") + b"\n"

    @staticmethod
    def _error_line(n: int, entry: Dict[str, Any]) -> bytes:
        return canonical_json({"line": n, "error": entry}).encode("utf-8") + b"\n"

    async def _batch_lines(self, chunks: AsyncIterator[bytes], day) -> AsyncIterator[bytes]:
        # the unfinished line is held up to limits.MAX_JSONL_LINE_BYTES (as
        # every reader of JSON Lines holds it): past that it is dropped as it
        # comes and answered as that line's E-FILES error when it ends; only
        # a chunk's new bytes are searched for the end of a line
        from safetyrules import limits
        from safetyrules.engine.reader import LongLine

        buf = bytearray()
        n = 0  # lines consumed
        total = 0
        limit = self.max_body
        line_limit = limits.MAX_JSONL_LINE_BYTES
        dropping: Optional[int] = None  # the bytes of an over-long line dropped so far
        try:
            async for chunk in chunks:
                total += len(chunk)
                if total > limit:  # only if a Content-Length understated the body
                    yield self._error_line(n + 1, {"code": "E-TOO-LARGE", "message": f"the body is over the limit of {limit} bytes; stopped", "fact": None})
                    return
                out: List[bytes] = []
                if dropping is not None:
                    i = chunk.find(b"\n")
                    if i < 0:
                        dropping += len(chunk)
                        continue
                    n += 1
                    out.append(self._decide_line(n, LongLine(dropping + i), day))
                    dropping = None
                    chunk = chunk[i + 1:]
                scan = len(buf)  # the bytes before hold no end of line
                buf += chunk
                start = 0
                while True:
                    i = buf.find(b"\n", max(start, scan))
                    if i < 0:
                        break
                    line = bytes(buf[start:i])
                    start = i + 1
                    n += 1
                    if line.strip():
                        out.append(self._decide_line(n, line, day))
                del buf[:start]
                if len(buf) > line_limit:
                    dropping = len(buf)
                    buf = bytearray()
                if out:
                    yield b"".join(out)
        except Problem as p:  # timeout while streaming: say so in band
            yield self._error_line(n + 1, p.errors[0])
            return
        if dropping is not None:
            yield self._decide_line(n + 1, LongLine(dropping), day)
        elif buf.strip():
            yield self._decide_line(n + 1, bytes(buf), day)


async def _started(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``chunks`` once its first chunk has come (a :class:`Problem` 408 if
    it does not come in time), that chunk first."""
    it = chunks.__aiter__()
    try:
        first = await it.__anext__()
    except StopAsyncIteration:
        return _once(b"")

    async def rest() -> AsyncIterator[bytes]:
        yield first
        async for chunk in it:
            yield chunk

    return rest()


async def _then(parts: List[bytes], nxt: "asyncio.Future", it: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``parts``, then the chunk ``nxt`` will be, then the rest of ``it``."""
    for part in parts:
        yield part
    try:
        yield await nxt
    except StopAsyncIteration:
        return
    async for chunk in it:
        yield chunk


async def _once(body: bytes) -> AsyncIterator[bytes]:
    """A body already read, as the chunks of one."""
    if body:
        yield body


class _AsgiEndpoint:
    """Marks a bound method as an ASGI app for Starlette's router."""

    def __init__(self, fn) -> None:
        self.fn = fn

    async def __call__(self, scope, receive, send) -> None:
        await self.fn(scope, receive, send)


def _problem_response(p: Problem) -> Response:
    return Response(canonical_json(p.to_dict()).encode("utf-8"), status_code=p.status, media_type=PROBLEM,
                    headers=p.headers or None)


def create_app(
    rules=None,
    *,
    rules_path: Optional[str] = None,
    max_body: int = DEFAULT_MAX_BODY,
    timeout: float = DEFAULT_TIMEOUT,
) -> Starlette:
    """The ASGI app serving ``rules`` (or the rule set at ``rules_path``;
    the bundled one when both are None)."""
    if rules is None:
        from safetyrules.engine.ruleset import load

        rules = load(rules_path)
    svc = _Service(rules, max_body, timeout)

    async def on_problem(request: Request, exc: Problem) -> Response:
        return _problem_response(exc)

    async def on_http(request: Request, exc: HTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        code = {404: "E-NOT-FOUND", 405: "E-METHOD"}.get(exc.status_code, "E-HTTP")
        resp = _problem_response(Problem.single(exc.status_code, code, detail))
        if exc.headers:
            resp.headers.update(exc.headers)
        return resp

    async def on_error(request: Request, exc: Exception) -> Response:  # a bug of ours
        return _problem_response(Problem.single(500, "E-INTERNAL", f"internal error: {type(exc).__name__}"))

    routes = [
        Route("/v1/health", svc.health, methods=["GET"]),
        Route("/v1/evaluate", svc.evaluate, methods=["POST"]),
        Route("/v1/evaluate/batch", _AsgiEndpoint(svc.evaluate_batch), methods=["POST"]),
        Route("/v1/ruleset", svc.ruleset, methods=["GET"]),
        Route("/v1/schema/facts", svc.schema_facts, methods=["GET"]),
        Route("/v1/schema/decision", svc.schema_decision, methods=["GET"]),
        Route("/openapi.json", svc.openapi, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={Problem: on_problem, HTTPException: on_http, Exception: on_error},
    )
    app.state.rules = rules
    return app


ENV_RULES = "SAFETYRULES_SERVE_RULES"
ENV_MAX_BODY = "SAFETYRULES_SERVE_MAX_BODY"
ENV_TIMEOUT = "SAFETYRULES_SERVE_TIMEOUT"
#: "1": the workers trust a manifest's includes outside its directory, as
#: ``serve --allow-outside-includes`` told the command (a process-wide
#: choice, so each worker process makes it again)
ENV_ALLOW_OUTSIDE = "SAFETYRULES_SERVE_ALLOW_OUTSIDE_INCLUDES"


def app_from_env() -> Starlette:
    """The app configured by environment variables: the factory uvicorn calls
    in each worker process (``--workers N``)."""
    if os.environ.get(ENV_ALLOW_OUTSIDE) == "1":
        from safetyrules.source.files import allow_outside_includes

        allow_outside_includes(True)
    return create_app(
        rules_path=os.environ.get(ENV_RULES) or None,
        max_body=int(os.environ.get(ENV_MAX_BODY) or DEFAULT_MAX_BODY),
        timeout=float(os.environ.get(ENV_TIMEOUT) or DEFAULT_TIMEOUT),
    )
