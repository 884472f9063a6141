"""How a grid-supervision platform might call safetyrules.

Run from anywhere after `pip install .`:

    python examples/integrate.py

It loads the bundled national rule set once, decides a few entities (one of
them with a typo, to show that a bad record does not stop a batch), and
prints what a supervisor's list needs: level, inspection frequency,
evaluation tier, the hazards with their citations, and what to ask next.
"""

import datetime
import os

import safetyrules

HERE = os.path.dirname(os.path.abspath(__file__))


def entities():
    """The example entities shipped in examples/facts, and one bad record."""
    for name in ("office.yaml", "restaurant-lpg.yaml", "steel-plant.yaml"):
        yield name, safetyrules.read_facts(os.path.join(HERE, "facts", name))
    yield "typo", {"entity.sectr": "catering"}  # reported; the batch goes on


def main() -> None:
    rules = safetyrules.load()  # the bundled rule set; or load("path/to/ruleset.yaml")
    day = datetime.date(2025, 6, 1)
    names, records = zip(*entities())
    for name, result in zip(names, rules.evaluate_many(records, as_of=day)):
        if isinstance(result, safetyrules.SafetyRulesError):
            print(f"{name}: bad record: {result.message}" + (f" ({result.hint})" if result.hint else ""))
            continue
        d = result
        print(f"{name}: level={d.level} inspection={d.inspection} tier={d.tier} major_hazard={d.major_hazard}")
        for f in d.findings:
            print(f"  hazard [{f.severity}] {f.standard} {f.cite}: {f.title.get('zh', '')}")
        if d.missing:
            print(f"  still to ask ({len(d.missing)}): {', '.join(d.missing[:5])}{' …' if len(d.missing) > 5 else ''}")


if __name__ == "__main__":
    main()
