"""Supervision on the graded registry (SPEC §10; design
``reference/supervision.md`` §8): the annual plan, the auditable random draw,
grid workload, inspection follow-up with the hazard ledger, checklists and
self-inspection.

Every call returns frozen attrs results with ``to_dict()`` and a canonical,
byte-identical ``to_json()``.  Python's ``random`` module is never used: all
randomness is SHA-256 ranking of a committed seed.
"""

from __future__ import annotations

from .common import SupervisionError, canonical
from .draw import DrawResult, Manifest, commitment_of, draw_commit, draw_run, draw_verify, effective_seed, new_seed, pool_digest
from .findings import finding_id
from .inputs import read_calendar, read_history, read_inspectors, read_members, read_staff
from .policy import Policy, default_policy, load_policy
from .registry import Entity, Registry, grade, read_registry, registry_from_decisions
from .plan import PlanResult, plan, visit_months
from .grid import GridReport, grid_report
from .ledger import Ledger, LedgerStats, Period, ledger_stats, period_of, read_ledger
from .track import TrackResult, read_records, track
from .checklist import Checklist, checklist, decide_answers, selfcheck_rules_path
from .policy import hazchem_level

__all__ = [
    "SupervisionError", "canonical", "finding_id",
    "Registry", "Entity", "read_registry", "registry_from_decisions",
    "Policy", "load_policy", "default_policy",
    "read_history", "read_inspectors", "read_members", "read_calendar", "read_staff",
    "Manifest", "DrawResult", "new_seed", "commitment_of", "effective_seed", "pool_digest",
    "draw_commit", "draw_run", "draw_verify",
    "grade", "plan", "PlanResult", "visit_months", "grid_report", "GridReport",
    "Ledger", "read_ledger", "ledger_stats", "period_of", "LedgerStats", "Period", "track", "TrackResult", "read_records",
    "checklist", "Checklist", "decide_answers", "selfcheck_rules_path", "hazchem_level",
]
