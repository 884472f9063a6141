"""Every curl example of docs/service.md, run against a real server; the
JSON block after a command lists fields its answer must have ("…": any)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "docs", "service.md")
BLOCK = re.compile(r"```(sh|json)\n(.*?)```", re.S)


def examples():
    with open(DOC, encoding="utf-8") as fh:
        blocks = BLOCK.findall(fh.read())
    out = []
    for i, (kind, text) in enumerate(blocks):
        if kind == "sh" and "curl" in text and "127.0.0.1:8000" in text:
            shown = blocks[i + 1][1] if i + 1 < len(blocks) and blocks[i + 1][0] == "json" else None
            out.append((text, shown))
    return out


def shown_docs(text: str):
    """The shown JSON: one document, or JSON Lines."""
    try:
        return [json.loads(text)]
    except ValueError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def matches(shown, real) -> None:
    if shown == "…":
        return
    if isinstance(shown, dict):
        assert isinstance(real, dict)
        for k, v in shown.items():
            assert k in real, k
            matches(v, real[k])
    else:
        assert shown == real


def test_every_endpoint_has_an_example():
    text = " ".join(cmd for cmd, _ in examples())
    for path in ("/v1/health", "/v1/evaluate ", "/v1/evaluate/batch", "/v1/ruleset", "/v1/schema/decision", "/openapi.json"):
        assert path.strip() in text, path


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.parametrize("cmd, shown", examples())
def test_curl_example(server, cmd, shown):
    cmd = cmd.replace("http://127.0.0.1:8000", server.url)
    r = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    real = shown_docs(r.stdout)
    assert real
    if shown is not None:
        want = shown_docs(shown)
        assert len(want) == len(real)
        for w, g in zip(want, real):
            matches(w, g)
