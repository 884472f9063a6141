"""Many entities at once: a process pool that keeps input order.

Workers are forked with the parent's compiled rule set where the platform
allows (no reload, no pickling of generated code); elsewhere each worker
loads the rule set again from its path.
"""

from __future__ import annotations

import collections
import itertools
import multiprocessing
from typing import Any, Deque, Iterable, Iterator, List

import attrs

from safetyrules.errors import SafetyRulesError

__all__ = ["parallel_decisions"]

_RULES = None
_DAY = None


def _init_spawn(path, day) -> None:  # pragma: no cover - used where fork is unavailable
    global _RULES, _DAY
    from safetyrules.engine.ruleset import load

    _RULES = load(path)
    _DAY = day


def _decide_one(record: Any):
    if record is None:
        return None
    try:
        decision = _RULES.evaluate(record, _DAY)
    except SafetyRulesError as err:
        return err
    # The explainer holds the whole rule set; it does not cross processes.
    return attrs.evolve(decision, explainer=None)


def _work_chunk(chunk: List[Any]) -> List[Any]:
    return [_decide_one(r) for r in chunk]


def _chunks(records: Iterable[Any], size: int) -> Iterator[List[Any]]:
    it = iter(records)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


def parallel_decisions(rules, records: Iterable[Any], day, jobs: int, chunksize: int = 256) -> Iterator[Any]:
    """Decide ``records`` in ``jobs`` processes; yields a Decision, a
    SafetyRulesError, or None (for a None record), in input order.

    At most ``2 * jobs`` chunks are in flight: the input is read only as
    fast as results are taken, so memory does not grow with the input
    (``Pool.imap`` would read the whole input ahead in a feeder thread).
    """
    global _RULES, _DAY
    chunksize = max(1, int(chunksize))
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods:
        _RULES, _DAY = rules, day
        ctx = multiprocessing.get_context("fork")
        pool = ctx.Pool(jobs)
    else:  # pragma: no cover
        ctx = multiprocessing.get_context("spawn")
        pool = ctx.Pool(jobs, initializer=_init_spawn, initargs=(getattr(rules, "load_path", None), day))
    window: Deque[Any] = collections.deque()
    try:
        for chunk in _chunks(records, chunksize):
            window.append(pool.apply_async(_work_chunk, (chunk,)))
            if len(window) >= 2 * jobs:
                yield from window.popleft().get()
        while window:
            yield from window.popleft().get()
    finally:
        pool.terminate()
        pool.join()
