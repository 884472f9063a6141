"""Regenerate docs/supervision.md from supervision.template.md: every @@RUN
command is run in a copy of examples/supervision and its real output pasted
(@@SHOW a-b picks lines; @@RUN! expects a non-zero exit).  Run from anywhere:

    python tests/supervision/docgen/gen_doc.py

tests/supervision/test_sv_docs.py checks that the page still matches."""
import os
import shutil
import subprocess
import sys
import tempfile
import json
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, ROOT)
tmp = tempfile.mkdtemp()
shutil.copytree(os.path.join(ROOT, "examples", "supervision"), os.path.join(tmp, "examples", "supervision"))
out = []
last = None
def run(cmd):
    argv = cmd.split()
    if argv[0] == "safetyrules":
        argv = [sys.executable, "-m", "safetyrules"] + argv[1:]
    elif argv[0] == "python":
        argv = [sys.executable] + argv[1:]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT] + [x for x in os.environ.get("PYTHONPATH", "").split(os.pathsep) if x]))
    p = subprocess.run(argv, cwd=tmp, capture_output=True, text=True, env=env)
    return p.returncode, (p.stdout + p.stderr).splitlines()
lines = open(os.path.join(HERE, "supervision.template.md"), encoding="utf-8").read().splitlines()
i = 0
while i < len(lines):
    cur = lines[i]
    if cur.startswith("@@RUN"):
        bang = cur.startswith("@@RUN!")
        cmd = cur.split(" ", 1)[1]
        rc, o = run(cmd)
        assert (rc != 0) == bang, (cmd, rc, o[-5:])
        shows = []
        while i + 1 < len(lines) and lines[i + 1].startswith("@@SHOW"):
            i += 1
            shows.append(lines[i].split(" ", 1)[1])
        sel = []
        if not shows:
            sel = o if len(o) <= 14 else o[:14] + ["…"]
        for s in shows:
            if s.endswith("-") and not s[0].isdigit():
                k = next(j for j, x in enumerate(o) if x.startswith(s[:-1]))
                if sel and sel[-1] != "…":
                    sel.append("…")
                sel += o[k:k + 6] + (["…"] if len(o) > k + 6 else [])
            else:
                a, b = map(int, s.split("-"))
                if a == 0:  # nothing shown: the command only has to run
                    continue
                sel += o[a - 1:b] + (["…"] if len(o) > b else [])
        out.append("```console")
        out.append("$ " + cmd)
        out += sel
        if rc:
            out.append(f"[exit {rc}]")
        out.append("```")
    elif cur == "@@PARAMS":
        from safetyrules.supervision.policy import default_policy
        pol = default_policy()
        out.append("| parameter | default | status | source |")
        out.append("|---|---|---|---|")
        for p in sorted(pol.params.values(), key=lambda p: p.name):
            v = json.dumps(p.value, ensure_ascii=False).replace("|", "\\|")
            out.append(f"| `{p.name}` | `{v}` | {p.status} | {p.source} |")
    else:
        out.append(cur)
    i += 1
open(os.path.join(ROOT, "docs", "supervision.md"), "w", encoding="utf-8").write("\n".join(out) + "\n")
shutil.rmtree(tmp)
print("ok")
