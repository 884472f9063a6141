"""Many entities at once: a process pool that keeps input order.

Workers are forked with the parent's compiled rule set where the platform
allows (no reload, no pickling of generated code); elsewhere (or with
``start_method="spawn"``) each worker receives the pickled plan and builds
the rule set from it: no reload from disk, and this module never imports
the rule-set module, which imports it (no cycle).
"""

from __future__ import annotations

import collections
import functools
import itertools
import multiprocessing
import pickle
import signal
from typing import Any, Deque, Iterable, Iterator, List, Optional

from safetyrules.engine.decision import Decision
from safetyrules.errors import SafetyRulesError

__all__ = ["parallel_decisions"]

_RULES = None
_DAY = None


def _init_worker() -> None:
    """Workers leave Ctrl-C to the parent: a terminal sends SIGINT to the
    whole process group, and a worker that took it would print its own
    traceback and could leave the pool hanging.  The parent stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _init_spawn(rebuild, day) -> None:
    """Worker start-up without fork: ``rebuild()`` makes the rule set from
    the plan it carries (pickled: data only, never generated code)."""
    global _RULES, _DAY
    _init_worker()
    _RULES = rebuild()
    _DAY = day


def _decide_one(record: Any):
    # a None record is decided too (its error: "facts must be a mapping ...,
    # got null"): it is no marker, since a YAML list may hold `- null`
    try:
        # only the compact result crosses processes; the parent builds the
        # Decision on its own layout (so it keeps its explanation)
        return _RULES.compact(record, _DAY)[1]
    except SafetyRulesError as err:
        return err


def _work_chunk(chunk: List[Any]) -> List[Any]:
    return [_decide_one(r) for r in chunk]


def _chunks(records: Iterable[Any], size: int) -> Iterator[List[Any]]:
    it = iter(records)
    while True:
        chunk = list(itertools.islice(it, size))
        if not chunk:
            return
        yield chunk


def parallel_decisions(
    rules, records: Iterable[Any], day, jobs: int, chunksize: int = 256, start_method: Optional[str] = None
) -> Iterator[Any]:
    """Decide ``records`` in ``jobs`` processes; yields a Decision or the
    SafetyRulesError of each record, in input order (a None record, like any
    other that is no mapping, gives its error: it is no "skip" marker).

    ``start_method`` is ``"fork"`` (the default where the platform has it)
    or ``"spawn"``.

    At most ``2 * jobs`` chunks are in flight: the input is read only as
    fast as results are taken, so memory does not grow with the input
    (``Pool.imap`` would read the whole input ahead in a feeder thread).
    """
    global _RULES, _DAY
    chunksize = max(1, int(chunksize))
    if start_method is None:
        start_method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    if start_method == "fork":
        _RULES, _DAY = rules, day
        ctx = multiprocessing.get_context("fork")
        pool = ctx.Pool(jobs, initializer=_init_worker)
    elif start_method == "spawn":
        # The class travels by reference, the plan by value (a frozen record).
        rebuild = functools.partial(type(rules), rules.plan, rules.base, load_path=rules.load_path)
        ctx = multiprocessing.get_context("spawn")
        pool = ctx.Pool(jobs, initializer=_init_spawn, initargs=(rebuild, day))
    else:
        raise ValueError(f"start_method must be 'fork' or 'spawn', not {start_method!r}")
    window: Deque[Any] = collections.deque()
    layout = rules.program(day).layout
    make = Decision._make

    def decisions(chunk, results):
        for rec, r in zip(chunk, results):
            yield r if isinstance(r, SafetyRulesError) else make(layout, r, day).attach_entity(rec)

    def here(rec):
        try:
            return rules.compact(rec, day)[1]
        except SafetyRulesError as err:
            return err

    def results_of(chunk, res):
        try:
            return res.get()
        except (RecursionError, pickle.PicklingError, TypeError, AttributeError):
            # a record that cannot cross to a worker (nested thousands deep, an
            # unpicklable value): this chunk is decided here, so that record
            # still answers with its own error and none other is lost
            return [here(r) for r in chunk]

    try:
        for chunk in _chunks(records, chunksize):
            window.append((chunk, pool.apply_async(_work_chunk, (chunk,))))
            if len(window) >= 2 * jobs:
                c, res = window.popleft()
                yield from decisions(c, results_of(c, res))
        while window:
            c, res = window.popleft()
            yield from decisions(c, results_of(c, res))
    finally:
        pool.terminate()
        pool.join()
