"""``checklist ID --registry GRADED.jsonl`` looks the entity up in a graded
registry (evaluate --format json output, which carries findings.* counts)."""

import json
import os

from sv_fixtures import EXAMPLES
import cli_fork


def cli(*args):
    p = cli_fork.run([*map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def test_checklist_from_a_graded_registry(tmp_path):
    code, out, err = cli("evaluate", os.path.join(EXAMPLES, "facts.jsonl"), "--format", "json", "--as-of", "2025-06-01", "-q")
    assert code == 0, err
    graded = tmp_path / "graded.jsonl"
    graded.write_text(out, encoding="utf-8")
    ident = json.loads(out.splitlines()[0])["entity"]["id"]
    code, out, err = cli("checklist", ident, "--registry", graded, "--as-of", "2025-06-01", "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["items"] and "cannot be given" not in err
