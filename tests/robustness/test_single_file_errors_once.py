"""A rules PATH that is one file, or a directory holding one rule file, is
read once to see whether it is a manifest; its errors are reported once (they
were reported twice: "2 errors" for one bad file)."""

import subprocess
import sys

import pytest

import safetyrules

BAD = {
    "yaml": b"kind: vocabulary\nid: x\nfacts:\n  a: {type: bool\n",
    "utf8": b"\xff\xfe",
    "manifest": b"kind: ruleset\nid: x\ninclude: [b.yaml\n",
}


@pytest.mark.parametrize("what", sorted(BAD))
@pytest.mark.parametrize("as_dir", [False, True], ids=["file", "dir"])
def test_one_bad_file_gives_its_error_once(tmp_path, what, as_dir):
    f = tmp_path / "a.yaml"
    f.write_bytes(BAD[what])
    target = str(tmp_path if as_dir else f)
    with pytest.raises(safetyrules.RuleSetError) as info:
        safetyrules.load(target)
    assert len(info.value.errors) == 1, [str(e) for e in info.value.errors]
    run = subprocess.run([sys.executable, "-m", "safetyrules", "validate", target], capture_output=True, text=True)
    assert run.returncode == 1
    lines = [ln for ln in run.stderr.splitlines() if ": error: " in ln]
    assert len(lines) == 1 and lines[0].startswith(f"{f}:"), run.stderr
