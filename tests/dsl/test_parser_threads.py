"""The shared parser is safe to use from many threads at once: an over-deep
expression is refused every time, never a RecursionError, and the accepted
ones give the same tree as a parse on one thread."""

from __future__ import annotations

import threading

from safetyrules import SafetyRulesError, dsl
from safetyrules.dsl import ast as A

THREADS = 8
ROUNDS = 400  # per thread: 3,200 parses, half of them over-deep


def _nots(n: int) -> str:
    return "not " * (n - 1) + "a"  # n levels: n - 1 `not`s over a path


def _mixed(n: int) -> str:
    text = "x > 1"
    for i in range(n - 2):
        text = f"(x{i} or {text})" if i % 2 else f"not {text}"
    return text


OK = [_nots(A.MAX_DEPTH), _mixed(A.MAX_DEPTH), "a and b or c", "any(x in l: x.n > 1 and x.m < 2)"]
DEEP = [_nots(A.MAX_DEPTH + 1), _mixed(A.MAX_DEPTH + 1), _nots(A.MAX_DEPTH + 40)]


def test_depth_fixtures_sit_on_either_side_of_the_limit():
    for text in OK:
        dsl.parse(text)
    for text in DEEP:
        try:
            dsl.parse(text)
        except SafetyRulesError as exc:
            assert "nested deeper than" in exc.message
        else:
            raise AssertionError(f"accepted: {text[:40]}")


def test_eight_threads_parsing_at_once_refuse_every_over_deep_expression():
    expected = {text: dsl.parse(text) for text in OK}
    accepted_deep = []
    wrong = []
    other_errors = []
    refused = [0]
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(k: int) -> None:
        start.wait()
        for i in range(ROUNDS):
            # alternate, offset per thread, so deep and shallow parses overlap
            if (i + k) % 2:
                text = DEEP[(i + k) % len(DEEP)]
                try:
                    dsl.parse(text)
                except SafetyRulesError as exc:
                    if "nested deeper than" in exc.message:
                        with lock:
                            refused[0] += 1
                    else:
                        other_errors.append(repr(exc))
                except BaseException as exc:  # RecursionError would land here
                    other_errors.append(repr(exc))
                else:
                    accepted_deep.append(text)
            else:
                text = OK[(i + k) % len(OK)]
                try:
                    if dsl.parse(text) != expected[text]:
                        wrong.append(text)
                except BaseException as exc:
                    other_errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not other_errors, other_errors[:3]
    assert not accepted_deep, f"{len(accepted_deep)} over-deep expressions accepted"
    assert not wrong
    assert refused[0] == THREADS * ROUNDS // 2
