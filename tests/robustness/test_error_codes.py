"""docs/errors.md lists every error code that exists."""

import os
import re

from robust_fixtures import REPO

CODE = re.compile(r"""["'](E-[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)["']""")


def codes_in_source():
    found = {}
    for dp, _, fn in os.walk(os.path.join(REPO, "safetyrules")):
        for f in fn:
            if f.endswith(".py"):
                path = os.path.join(dp, f)
                with open(path, encoding="utf-8") as fh:
                    for code in CODE.findall(fh.read()):
                        found.setdefault(code, os.path.relpath(path, REPO))
    return found


def test_every_error_code_is_documented():
    with open(os.path.join(REPO, "docs", "errors.md"), encoding="utf-8") as fh:
        doc = fh.read()
    found = codes_in_source()
    assert len(found) > 20  # the scan sees the codes (else this test is vacuous)
    missing = sorted(f"{c} ({where})" for c, where in found.items() if f"`{c}`" not in doc)
    assert not missing, "add a row to the 'Every code' table of docs/errors.md for: " + ", ".join(missing)


def test_every_documented_code_exists():
    with open(os.path.join(REPO, "docs", "errors.md"), encoding="utf-8") as fh:
        table = fh.read().split("## Every code", 1)[1]
    documented = set(re.findall(r"^\| `(E-[A-Z0-9-]+)` \|", table, re.M))
    assert documented, "the table is there"
    stale = sorted(documented - set(codes_in_source()))
    assert not stale, f"docs/errors.md lists codes nothing raises: {stale}"
