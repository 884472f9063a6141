"""Regenerate docs/standards/*.md from every bundled rule set (standards/ruleset*.yaml and
the sub-directories holding a ruleset.yaml, e.g. standards/selfcheck):

    python tools/gen_standard_docs.py

tests/content/test_reference_docs.py fails when the pages are stale."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import safetyrules  # noqa: E402
from safetyrules.authoring.refdocs import bundled_rule_sets, render_bundled  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "docs", "standards")


def main() -> None:
    sets = [safetyrules.load(p) for p in bundled_rule_sets(os.path.join(os.path.dirname(HERE), "standards"))]
    pages = render_bundled(sets)
    os.makedirs(OUT, exist_ok=True)
    for name, text in sorted(pages.items()):
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as fh:
            fh.write(text)
    print(f"wrote {len(pages)} pages for {len(sets)} rule sets to {OUT}")


if __name__ == "__main__":
    main()
