"""Regenerate docs/standards/*.md from the bundled rule files:

    python tools/gen_standard_docs.py

tests/content/test_reference_docs.py fails when the pages are stale."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import safetyrules  # noqa: E402
from safetyrules.authoring.refdocs import render_all  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "docs", "standards")


def main() -> None:
    rules = safetyrules.load(os.path.join(os.path.dirname(HERE), "standards"))
    os.makedirs(OUT, exist_ok=True)
    for name, text in sorted(render_all(rules).items()):
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as fh:
            fh.write(text)
    print(f"wrote {len(render_all(rules))} pages to {OUT}")


if __name__ == "__main__":
    main()
