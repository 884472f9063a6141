"""Provenance of findings in the evaluate reports (supervision.md §8.5
"Outputs"): a finding's ``{layer, authority, doc_no, kind}`` as one line of
text, the split of findings by kind (``patrol_guidance`` and ``self_check``
findings are listed apart from enforcement findings: a patrol finding is not
an administrative finding), and the findings of several decisions counted by
layer and by kind.

A finding without provenance (the bundled national set declares none) counts
as layer ``unknown`` and kind ``enforcement``, as ``grid`` and ``track``
count it; when no finding has provenance, nothing is shown."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

__all__ = ["LAYER_ORDER", "KIND_ORDER", "KIND_HEADINGS", "provenance_of", "any_provenance", "split_by_kind",
           "provenance_line", "LayerTally"]

#: the layers of §8.5, widest first; ``unknown`` (no layer declared) last
LAYER_ORDER = ("national", "provincial", "municipal", "district", "street", "grid")
#: the kinds of §8.5; findings of a kind other than enforcement are shown apart
KIND_ORDER = ("enforcement", "patrol_guidance", "self_check")
#: the heading and note of each kind listed apart
KIND_HEADINGS = {
    "patrol_guidance": ("Patrol guidance findings", "a patrol finding is not an administrative finding"),
    "self_check": ("Self-check findings", "a self-check finding is not an administrative finding"),
}
UNKNOWN = "unknown"


def provenance_of(f: Any) -> Optional[Mapping[str, Any]]:
    """The provenance of a finding (a :class:`Finding` or its ``to_dict()``), or None."""
    p = f.get("provenance") if isinstance(f, Mapping) else getattr(f, "provenance", None)
    return p if isinstance(p, Mapping) else None


def any_provenance(findings: Iterable[Any]) -> bool:
    return any(provenance_of(f) is not None for f in findings)


def _kind(f: Any) -> str:
    p = provenance_of(f)
    return str((p or {}).get("kind") or "enforcement")


def split_by_kind(findings: Iterable[Any]) -> Tuple[List[Any], List[Tuple[str, List[Any]]]]:
    """(the enforcement findings, [(kind, findings) of each other kind]), in
    the findings' order; kinds in :data:`KIND_ORDER`, others after, sorted."""
    main: List[Any] = []
    apart: Dict[str, List[Any]] = {}
    for f in findings:
        k = _kind(f)
        if k == "enforcement":
            main.append(f)
        else:
            apart.setdefault(k, []).append(f)
    order = [k for k in KIND_ORDER if k in apart] + sorted(k for k in apart if k not in KIND_ORDER)
    return main, [(k, apart[k]) for k in order]


def kind_heading(t, kind: str) -> Tuple[str, str]:
    """The heading and note of the findings of ``kind`` listed apart."""
    heading, note = KIND_HEADINGS.get(kind, (None, None))
    if heading is None:
        return f"{t('Findings')}: {t.value('kind', kind)}", ""
    return t(heading), t(note)


def provenance_cells(t, f: Any) -> List[str]:
    """layer, authority, document number and kind of a finding ('' where not declared)."""
    p = provenance_of(f)
    if p is None:
        return ["", "", "", ""]
    return [t.value("layer", p["layer"]) if p.get("layer") else "", str(p.get("authority") or ""),
            str(p.get("doc_no") or ""), t.value("kind", p.get("kind") or "enforcement")]


def provenance_line(t, f: Any) -> str:
    """``layer · authority · doc_no · kind`` of a finding (parts not declared
    left out), '' without provenance."""
    if provenance_of(f) is None:
        return ""
    return " · ".join(c for c in provenance_cells(t, f) if c)


def _ordered(counts: Mapping[str, int], order: Tuple[str, ...]) -> List[str]:
    return ([k for k in order if k in counts] + sorted(k for k in counts if k not in order and k != UNKNOWN)
            + ([UNKNOWN] if UNKNOWN in counts else []))


def _pct(n: int, total: int) -> str:
    return f"{n * 100 / total:.1f}%" if total else "0.0%"


class LayerTally:
    """The findings of several decisions by layer and by kind; renders a
    summary only when some finding had provenance."""

    def __init__(self) -> None:
        self.layers: Dict[str, int] = {}
        self.kinds: Dict[str, int] = {}
        self.findings = 0
        self.declared = False

    def add(self, decision: Any) -> None:
        """Count the findings of a :class:`Decision` (or its ``to_dict()``)."""
        found = decision.get("findings") if isinstance(decision, Mapping) else decision.findings
        for f in found or ():
            p = provenance_of(f)
            self.declared = self.declared or p is not None
            layer = str((p or {}).get("layer") or UNKNOWN)
            kind = _kind(f)
            self.layers[layer] = self.layers.get(layer, 0) + 1
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            self.findings += 1

    def rows(self, t) -> Dict[str, List[Tuple[str, str, int, str]]]:
        """{"layer": [(key, label, count, share)], "kind": [...]} (empty without provenance)."""
        if not self.declared:
            return {"layer": [], "kind": []}
        n = self.findings

        def label(ctx: str, k: str) -> str:
            return t("unknown") if k == UNKNOWN else t.value(ctx, k)

        return {
            "layer": [(k, label("layer", k), self.layers[k], _pct(self.layers[k], n)) for k in _ordered(self.layers, LAYER_ORDER)],
            "kind": [(k, label("kind", k), self.kinds[k], _pct(self.kinds[k], n)) for k in _ordered(self.kinds, KIND_ORDER)],
        }
