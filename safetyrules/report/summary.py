"""Summarise a graded registry: decisions as JSON Lines → counts and shares.

The input is what ``safetyrules evaluate --format json`` writes for a
registry (one decision per line, with its ``entity`` block and ``line``);
error lines (``{"line": N, "error": ...}``) and lines that are not decisions
are counted as bad and otherwise skipped.  The result is plain data — the
JSON of ``safetyrules report --format json`` and what the Markdown and HTML
reports render, so all three show the same numbers.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional, Tuple

from safetyrules.engine.reader import LongLine, bounded_lines

__all__ = ["summarise", "DIMENSIONS", "LEVEL_ORDER", "UNKNOWN"]

#: where each ``--by`` dimension is read in a decision
DIMENSIONS = ("grid", "sector", "scale")
#: the bundled levels, most severe first (others follow, sorted)
LEVEL_ORDER = ("red", "orange", "yellow", "blue")
TIER_ORDER = ("full", "simplified", "self_assessment")
#: the order of a ``--by`` dimension's groups where it has one (SPEC §7's
#: sizes, largest first); other values follow, sorted, then unknown
GROUP_ORDER = {"scale": ("large", "medium", "small", "micro")}
#: the key under which null (unknown) values are counted
UNKNOWN = "unknown"
TOP_FINDINGS = 20


def _key(value: Any) -> str:
    if value is None:
        return UNKNOWN
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _ordered(counts: Dict[str, int], order: Tuple[str, ...]) -> List[str]:
    head = [k for k in order if k in counts]
    rest = sorted(k for k in counts if k not in order and k != UNKNOWN)
    return head + rest + ([UNKNOWN] if UNKNOWN in counts else [])


def _dist(counts: Dict[str, int], total: int, order: Tuple[str, ...]) -> Dict[str, Any]:
    keys = _ordered(counts, order)
    return {
        "order": keys,
        "counts": {k: counts[k] for k in keys},
        "shares": {k: _share(counts[k], total) for k in keys},
    }


def _share(n: int, total: int) -> float:
    return round(n / total, 6) if total else 0.0


def _dimension(decision: Dict[str, Any], by: str) -> Any:
    if by == "scale":
        outputs = decision.get("outputs")
        return outputs.get("entity.scale") if isinstance(outputs, dict) else None
    entity = decision.get("entity")
    return entity.get(by) if isinstance(entity, dict) else None


_SCALAR = (str, type(None))


def _is_decision(d: Any) -> bool:
    """Whether a parsed line is a decision as ``evaluate --format json``
    writes it: a mapping with ``level`` and no ``error``, whose fields the
    report reads have their decision shapes (anything else is a bad line,
    counted and skipped — never a crash)."""
    if not isinstance(d, dict) or "error" in d or "level" not in d:
        return False
    if not all(isinstance(d.get(k), _SCALAR) for k in ("level", "tier", "inspection")):
        return False
    if not isinstance(d.get("major_hazard"), (bool, type(None))):
        return False
    for k in ("entity", "outputs", "ruleset"):
        if not isinstance(d.get(k), (dict, type(None))):
            return False
    if not isinstance(d.get("undetermined"), (list, type(None))):
        return False
    found = d.get("findings")
    if found is None:
        return True
    if not isinstance(found, list):
        return False
    for f in found:
        if not isinstance(f, dict):
            return False
        if not all(isinstance(f.get(k), _SCALAR) for k in ("standard", "clause", "cite", "severity")):
            return False
        if not isinstance(f.get("title"), (dict, type(None))):
            return False
    return True


def _writable(d: Any) -> bool:
    """Whether the parsed line holds no lone surrogate (``"\\ud800"``), which
    UTF-8 output cannot carry."""
    try:
        json.dumps(d, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return False
    return True


class _Tally:
    """Counts over decisions; two tallies merge (for parallel reading)."""

    def __init__(self, by: str) -> None:
        self.by = by
        self.n = self.bad = 0
        self.levels: Dict[str, int] = {}
        self.tiers: Dict[str, int] = {}
        self.inspections: Dict[str, int] = {}
        self.major: Dict[str, int] = {}
        self.with_undetermined = self.with_findings = 0
        self.groups: Dict[str, Dict[str, Any]] = {}
        self.finding_counts: Dict[Tuple[str, str], int] = {}
        self.finding_meta: Dict[Tuple[str, str], Dict[str, Any]] = {}
        self.rulesets: Dict[Tuple[str, str], int] = {}

    def feed(self, lines: Iterable[Any]) -> "_Tally":
        loads = json.loads
        by = self.by
        levels, tiers, inspections, major = self.levels, self.tiers, self.inspections, self.major
        groups, finding_counts, finding_meta, rulesets = self.groups, self.finding_counts, self.finding_meta, self.rulesets
        for raw in lines:
            if isinstance(raw, dict):
                d = raw
            else:
                if type(raw) is LongLine:  # over limits.MAX_JSONL_LINE_BYTES: not read
                    self.bad += 1
                    continue
                if not raw.strip():
                    continue
                try:
                    d = loads(raw)
                except (ValueError, RecursionError):
                    self.bad += 1
                    continue
                if (b"\\u" if isinstance(raw, bytes) else "\\u") in raw and not _writable(d):
                    self.bad += 1  # a lone surrogate escape: no report could be written with it
                    continue
            if not _is_decision(d):
                self.bad += 1
                continue
            self.n += 1
            level = _key(d.get("level"))
            levels[level] = levels.get(level, 0) + 1
            tier = _key(d.get("tier"))
            tiers[tier] = tiers.get(tier, 0) + 1
            insp = _key(d.get("inspection"))
            inspections[insp] = inspections.get(insp, 0) + 1
            mh = _key(d.get("major_hazard"))
            major[mh] = major.get(mh, 0) + 1
            und = bool(d.get("undetermined"))
            self.with_undetermined += und
            found = d.get("findings") or ()
            self.with_findings += bool(found)
            g = _key(_dimension(d, by))
            grp = groups.get(g)
            if grp is None:
                grp = groups[g] = {"entities": 0, "levels": {}, "major_hazard": 0, "undetermined": 0}
            grp["entities"] += 1
            grp["levels"][level] = grp["levels"].get(level, 0) + 1
            grp["major_hazard"] += mh == "true"
            grp["undetermined"] += und
            for f in found:
                k = (f.get("standard"), f.get("clause"))
                c = finding_counts.get(k)
                if c is None:
                    finding_counts[k] = 1
                    finding_meta[k] = {x: f.get(x) for x in ("cite", "severity", "title")}
                else:
                    finding_counts[k] = c + 1
            rs = d.get("ruleset")
            if isinstance(rs, dict):
                rk = (str(rs.get("id")), str(rs.get("digest")))
                rulesets[rk] = rulesets.get(rk, 0) + 1
        return self

    def merge(self, other: "_Tally") -> "_Tally":
        """Add ``other`` (read from later lines) into this tally."""

        def add(a: Dict, b: Dict) -> None:
            for k, v in b.items():
                a[k] = a.get(k, 0) + v

        self.n += other.n
        self.bad += other.bad
        add(self.levels, other.levels)
        add(self.tiers, other.tiers)
        add(self.inspections, other.inspections)
        add(self.major, other.major)
        self.with_undetermined += other.with_undetermined
        self.with_findings += other.with_findings
        for k, g in other.groups.items():
            mine = self.groups.setdefault(k, {"entities": 0, "levels": {}, "major_hazard": 0, "undetermined": 0})
            mine["entities"] += g["entities"]
            add(mine["levels"], g["levels"])
            mine["major_hazard"] += g["major_hazard"]
            mine["undetermined"] += g["undetermined"]
        add(self.finding_counts, other.finding_counts)
        for k, m in other.finding_meta.items():
            self.finding_meta.setdefault(k, m)  # the earliest line's text
        add(self.rulesets, other.rulesets)
        return self

    def result(self, top: int) -> Dict[str, Any]:
        n = self.n
        ranked = sorted(self.finding_counts.items(), key=lambda kv: (-kv[1], str(kv[0][0]), str(kv[0][1])))[:top]
        top_findings = []
        for (std, clause), count in ranked:
            f = self.finding_meta[(std, clause)]
            top_findings.append(
                {
                    "standard": std,
                    "clause": clause,
                    "cite": f.get("cite"),
                    "severity": f.get("severity"),
                    "title": f.get("title") or {},
                    "count": count,
                    "share": _share(count, n),
                }
            )
        group_list = []
        for key in _ordered(self.groups, GROUP_ORDER.get(self.by, ())):
            grp = self.groups[key]
            m = grp["entities"]
            group_list.append(
                {
                    "key": key,
                    "entities": m,
                    "share": _share(m, n),
                    "level": _dist(grp["levels"], m, LEVEL_ORDER),
                    "major_hazard": grp["major_hazard"],
                    "undetermined_share": _share(grp["undetermined"], m),
                }
            )
        return {
            "entities": n,
            "bad_lines": self.bad,
            "by": self.by,
            "level": _dist(self.levels, n, LEVEL_ORDER),
            "tier": _dist(self.tiers, n, TIER_ORDER),
            "inspection": _dist(self.inspections, n, ("monthly", "quarterly", "semiannual", "annual")),
            "major_hazard": _dist(self.major, n, ("true", "false")),
            "undetermined": {"entities": self.with_undetermined, "share": _share(self.with_undetermined, n)},
            "with_findings": {"entities": self.with_findings, "share": _share(self.with_findings, n)},
            "groups": group_list,
            "top_findings": top_findings,
            "rulesets": [{"id": i, "digest": dg, "entities": c} for (i, dg), c in sorted(self.rulesets.items())],
        }


def summarise(lines: Iterable[Any], by: str = "grid", top: int = TOP_FINDINGS) -> Dict[str, Any]:
    """Counts and shares over the decisions in ``lines`` (JSON text lines,
    bytes, or already-parsed dicts), grouped by ``by`` (grid, sector, scale)."""
    if by not in DIMENSIONS:
        raise ValueError(f"--by must be one of {', '.join(DIMENSIONS)}, got {by!r}")
    return _Tally(by).feed(lines).result(top)


def read_lines(path: str) -> Iterable[bytes]:
    """The lines of a JSON Lines file (``-``: stdin), as bytes."""
    import sys

    if path == "-":
        yield from bounded_lines(sys.stdin.buffer)
        return
    with open(path, "rb") as fh:
        yield from bounded_lines(fh)


#: files larger than this are read by several processes, one byte range each
PARALLEL_BYTES = 16 << 20


def _range_lines(path: str, start: int, end: int) -> Iterable[bytes]:
    """The lines that begin in [start, end) of ``path``."""
    with open(path, "rb") as fh:
        if start:
            fh.seek(start - 1)
            for _ in bounded_lines(fh, 0):  # finish the line that began before start
                break
        pos = fh.tell()
        for line in bounded_lines(fh):
            if pos >= end:
                return
            pos += line.size + 1 if type(line) is LongLine else len(line)
            yield line


def _tally_range(args) -> "_Tally":
    path, start, end, by = args
    return _Tally(by).feed(_range_lines(path, start, end))


def load_summary(paths: List[str], by: str, top: int = TOP_FINDINGS, jobs: Optional[int] = None) -> Dict[str, Any]:
    """:func:`summarise` over every line of ``paths``, in order.  A large
    regular file is split into byte ranges read by ``jobs`` processes (default:
    the CPUs) whose counts are added up — the same result as one reader."""
    import os

    if by not in DIMENSIONS:
        raise ValueError(f"--by must be one of {', '.join(DIMENSIONS)}, got {by!r}")
    jobs = jobs or os.cpu_count() or 1
    total = _Tally(by)
    for p in paths:
        size = os.path.getsize(p) if p != "-" and os.path.isfile(p) else 0
        if jobs > 1 and size > PARALLEL_BYTES:
            from concurrent.futures import ProcessPoolExecutor

            step = size // jobs + 1
            parts = [(p, i * step, min(size, (i + 1) * step), by) for i in range(jobs)]
            with ProcessPoolExecutor(jobs) as pool:
                for t in pool.map(_tally_range, parts):
                    total.merge(t)
        else:
            total.feed(read_lines(p))
    return total.result(top)


def level_colour(level: Optional[str]) -> str:
    """The display colour of a level (grey for unknown and others)."""
    return {"red": "#d62728", "orange": "#f28e2b", "yellow": "#e8c100", "blue": "#1f77b4"}.get(level or "", "#9e9e9e")
