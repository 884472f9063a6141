"""Many entities at once: a process pool that keeps input order.

Workers are forked with the parent's compiled rule set where the platform
allows (no reload, no pickling of generated code); elsewhere each worker
loads the rule set again from its path.
"""

from __future__ import annotations

import multiprocessing
from typing import Any, Iterable, Iterator, Optional

import attrs

from .errors import SafetyRulesError

__all__ = ["parallel_decisions"]

_RULES = None
_DAY = None


def _init_spawn(path, day) -> None:  # pragma: no cover - used where fork is unavailable
    global _RULES, _DAY
    from .ruleset import load

    _RULES = load(path)
    _DAY = day


def _work(record: Any):
    if record is None:
        return None
    try:
        decision = _RULES._decide(_RULES.check_facts(record), _DAY)
    except SafetyRulesError as err:
        return err
    # The explainer holds the whole rule set; it does not cross processes.
    return attrs.evolve(decision, explainer=None)


def parallel_decisions(rules, records: Iterable[Any], day, jobs: int, chunksize: int = 256) -> Iterator[Any]:
    """Decide ``records`` in ``jobs`` processes; yields a Decision, a
    SafetyRulesError, or None (for a None record), in input order."""
    global _RULES, _DAY
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods:
        _RULES, _DAY = rules, day
        ctx = multiprocessing.get_context("fork")
        pool = ctx.Pool(jobs)
    else:  # pragma: no cover
        ctx = multiprocessing.get_context("spawn")
        pool = ctx.Pool(jobs, initializer=_init_spawn, initargs=(getattr(rules, "load_path", None), day))
    try:
        yield from pool.imap(_work, records, chunksize)
    finally:
        pool.terminate()
        pool.join()
