"""A third black-box audit of SPEC §5 (Python API), §6 (command line) and §7
(the bundled core vocabulary), aimed at what test_spec_api_audit.py,
test_cli.py and tests/robustness/ leave out.  The command line runs in this
process (``safetyrules.cli.main.main``, what the console script calls) so the
file stays fast; one test runs the console script for real."""

import json
import os
import shutil
import subprocess
import sys

import pytest

import safetyrules

import rule_files
from cli_inproc import main_in_process
from rule_files import standard, vocabulary

VOCAB = vocabulary("""\
    a: {type: bool}
    n: {type: number, unit: m}
    entity.name: {type: string}
    """)
STD = standard("""\
    - {id: c1, cite: A1, severity: major, when: "a and n > 1"}
    """, id="st")
MANIFEST = "kind: ruleset\nid: r\ninclude: [v.yaml, s.yaml]\n"


@pytest.fixture()
def rules_dir(tmp_path):
    d = tmp_path / "rules"
    d.mkdir()
    return str(rule_files.write(d, {"ruleset.yaml": MANIFEST, "v.yaml": VOCAB, "s.yaml": STD}))


def run_main(*argv):
    """The command line in this process → (exit code, stdout, stderr)."""
    code, out, err = main_in_process(argv)
    assert "Traceback" not in err, err
    return code, out, err


# -- §6: --as-of DATE ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", " ", "yesterday", "2024-02-30"])
def test_an_as_of_that_is_no_date_is_bad_input_even_when_empty(rules_dir, tmp_path, value):
    """`--as-of "$DAY"` with DAY unset must not silently decide as of today
    (the API refuses as_of='' too): exit 2, a message naming --as-of, no
    decision printed."""
    facts = tmp_path / "f.yaml"
    facts.write_text("a: true\n", encoding="utf-8")
    code, out, err = run_main("evaluate", str(facts), "--rules", rules_dir, "--as-of", value, "--format", "json")
    assert code == 2 and "--as-of" in err and out == "", (code, out, err)
    with pytest.raises(safetyrules.SafetyRulesError):
        safetyrules.load(rules_dir).evaluate({"a": True}, as_of=value)


# -- §6: messages as PATH:LINE:COL ------------------------------------------------------


def test_a_json_facts_file_with_a_number_too_large_is_located(rules_dir, tmp_path):
    """A JSON facts file holding 1e400 names the file, line and column, as the
    same text does in a JSON Lines file and in YAML (it printed only the path)."""
    facts = tmp_path / "big.json"
    facts.write_text('{\n  "a": true,\n  "n": 1e400\n}\n', encoding="utf-8")
    code, out, err = run_main("evaluate", str(facts), "--rules", rules_dir, "--format", "json")
    assert code == 2, err
    assert err.startswith(f"{facts}:3:8: error:"), err
    assert "'n'" in err


@pytest.mark.parametrize("argv", [["sql", "--dialect", "duckdb"],
                                  ["evaluate", "{reg}", "--backend", "python", "--out", "{out}"]],
                         ids=["sql", "evaluate --out"])
def test_the_registry_commands_refuse_an_empty_as_of_too(rules_dir, tmp_path, argv):
    reg = tmp_path / "reg.csv"
    reg.write_text("a,n\ntrue,2\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    argv = [a.format(reg=reg, out=out) for a in argv]
    code, stdout, err = run_main(*argv, "--rules", rules_dir, "--as-of", "")
    assert code == 2 and "--as-of" in err and stdout == "" and not out.exists(), (code, err)


# -- §6: exit 0 whatever the terminal's encoding --------------------------------------------


def _console(*args, env=None):
    exe = shutil.which("safetyrules")
    cmd = [exe] if exe else [sys.executable, "-m", "safetyrules"]
    full = {k: v for k, v in os.environ.items() if k != "SAFETYRULES_DEBUG"}
    full.update(env or {})
    return subprocess.run(cmd + list(args), capture_output=True, timeout=120, env=full)


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_stdout_that_cannot_encode_every_character_still_gets_the_decision(rules_dir, tmp_path, fmt):
    """With an ASCII or Latin-1 stdout (PYTHONIOENCODING, a C locale without
    coercion, a Windows console) a decision naming 北京 or an emoji printed
    "internal error: UnicodeEncodeError" and exit 70.  It exits 0, and the
    characters the stream cannot hold are written as JSON escapes, so the JSON
    is still the same decision."""
    facts = tmp_path / "f.yaml"
    facts.write_text("entity.name: \"北京 … \U0001F600 \\\\u\"\na: true\nn: 2\n", encoding="utf-8")
    args = ("evaluate", str(facts), "--rules", rules_dir, "--as-of", "2024-03-01", "--format", fmt)
    want = _console(*args, env={"PYTHONIOENCODING": "utf-8"})
    assert want.returncode == 0, want.stderr
    got = _console(*args, env={"PYTHONIOENCODING": "ascii"})
    assert got.returncode == 0, got.stderr.decode("utf-8", "replace")
    got.stdout.decode("ascii")
    if fmt == "json":
        assert json.loads(got.stdout) == json.loads(want.stdout.decode("utf-8"))
        assert json.loads(got.stdout)["entity"]["name"] == "北京 … \U0001F600 \\u"
    else:
        text = want.stdout.decode("utf-8")
        assert got.stdout.decode("ascii") == text.encode("ascii", "backslashreplace").decode("ascii")
        assert "major accident hazard: yes" in text and "\u2026" in text


# -- §6: facts from stdin ('-') ------------------------------------------------------------


def test_a_closed_stdin_is_bad_input_not_an_internal_error(rules_dir, tmp_path):
    """`safetyrules evaluate - good.yaml <&-`: there is no standard input to
    read; that is the user's input (exit 2, '<stdin>: error: ...', the good
    file still decided), not 'internal error: AttributeError', exit 70."""
    good = tmp_path / "good.yaml"
    good.write_text("a: true\nn: 2\n", encoding="utf-8")
    exe = shutil.which("safetyrules")
    cmd = [exe] if exe else [sys.executable, "-m", "safetyrules"]
    p = subprocess.run(cmd + ["evaluate", "-", str(good), "--rules", rules_dir, "--as-of", "2024-03-01",
                              "--format", "json"],
                       capture_output=True, text=True, timeout=120, preexec_fn=lambda: os.close(0))
    assert p.returncode == 2, p.stderr
    assert p.stderr.startswith("<stdin>: error:") and "internal error" not in p.stderr, p.stderr
    (line,) = p.stdout.splitlines()
    assert json.loads(line)["findings"][0]["clause"] == "c1"


# -- §6: where the output cannot go ---------------------------------------------------------


def _evaluate_with(rules_dir, facts, **kw):
    exe = shutil.which("safetyrules")
    cmd = [exe] if exe else [sys.executable, "-m", "safetyrules"]
    return subprocess.run(cmd + ["evaluate", str(facts), "--rules", rules_dir, "--as-of", "2024-03-01", "--format", "json"],
                          capture_output="stdout" not in kw and "stderr" not in kw, text=True, timeout=120, **kw)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_an_error_of_the_output_not_an_internal_error(rules_dir, tmp_path):
    """`evaluate ... > /dev/full` (a full disk): 'error: cannot write the
    output: No space left on device', exit 2 — not 'internal error: OSError',
    exit 70 (which docs/cli.md keeps for bugs)."""
    good = tmp_path / "good.yaml"
    good.write_text("a: true\nn: 2\n", encoding="utf-8")
    with open("/dev/full", "w") as full:
        p = _evaluate_with(rules_dir, good, stdout=full, stderr=subprocess.PIPE)
    assert p.returncode == 2, p.stderr
    assert "cannot write the output" in p.stderr and "internal error" not in p.stderr, p.stderr
    assert "Traceback" not in p.stderr and "Exception ignored" not in p.stderr, p.stderr


def test_closed_stdout_or_stderr_keep_the_exit_code_and_the_streams_apart(rules_dir, tmp_path):
    """`>&-` discards the decisions quietly (exit 0, as a closed pipe does);
    `2>&-` with a bad file still exits 2 and puts no message into the
    decisions on stdout."""
    good = tmp_path / "good.yaml"
    good.write_text("a: true\nn: 2\n", encoding="utf-8")
    p = _evaluate_with(rules_dir, good, stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1))
    assert p.returncode == 0 and p.stderr == "", p.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: maybe\n", encoding="utf-8")
    exe = shutil.which("safetyrules")
    cmd = [exe] if exe else [sys.executable, "-m", "safetyrules"]
    argv = cmd + ["evaluate", str(bad), str(good), "--rules", rules_dir, "--format", "json"]
    # 2>&- itself, and what a launcher script run with 2>&- (a pyenv shim)
    # leaves to the program: descriptor 2 open on a file, for reading only
    for shell in ('exec "$@" 2>&-', 'exec "$@" 2<"$0"'):
        p = subprocess.run(["sh", "-c", shell, str(good), *argv], stdout=subprocess.PIPE, text=True, timeout=120)
        assert p.returncode == 2
        assert [json.loads(x)["findings"][0]["clause"] for x in p.stdout.splitlines()] == ["c1"], p.stdout


# -- evaluate --jobs N -------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1025", "99999999999999999999"])
def test_a_worker_count_past_the_limit_is_a_usage_error_not_a_fork_storm(rules_dir, tmp_path, jobs):
    """`--jobs 99999999999999999999` started processes until the machine's
    limit (hundreds on a 2-core box, for one entity) and never answered; a
    count past the documented limit (1024) is a usage error, exit 2, before
    any worker starts."""
    facts = tmp_path / "f.yaml"
    facts.write_text("a: true\n", encoding="utf-8")
    code, out, err = run_main("evaluate", str(facts), "--rules", rules_dir, "--jobs", jobs)
    assert code == 2 and "--jobs" in err and "at most 1024" in err and out == "", (code, err)


# -- §7: the core vocabulary as `safetyrules schema facts` publishes it ------------------------

NBS = ("agriculture industry construction wholesale retail transport warehousing postal accommodation catering "
       "information_transmission software_it real_estate_development property_management leasing_business_services "
       "other").split()
SECTOR = ("metallurgy nonferrous building_materials machinery light_industry textiles tobacco trade "
          "hazardous_chemicals mining fireworks civil_explosives construction catering accommodation retail office "
          "other").split()


def test_the_core_vocabulary_as_the_facts_schema_shows_it():
    """SPEC §7's names, types, values (in order) and units, read from the
    schema an integrator gets (`schema facts`), not from the engine's own
    objects; entity.sector may append sectors after the 18 fixed ones."""
    code, out, err = run_main("schema", "facts")
    assert code == 0, err
    props = json.loads(out)["properties"]

    def enum(name):
        values = props[name]["enum"]
        assert values[-1] is None  # null: unknown
        return values[:-1]

    assert enum("entity.nbs_sector") == NBS
    assert enum("entity.sector")[: len(SECTOR)] == SECTOR
    assert props["entity.activities"]["items"]["enum"][: len(SECTOR)] == SECTOR
    assert props["entity.employees"]["type"] == ["integer", "null"] and props["entity.employees"]["x-unit"] == "person"
    for name in ("entity.revenue", "entity.assets"):
        assert props[name]["type"] == ["number", "null"] and props[name]["x-unit"] == "10k_CNY"
    for name in ("entity.high_risk_sector", "entity.major_hazard_source"):
        assert props[name]["type"] == ["boolean", "null"]
    for name in ("entity.id", "entity.grid", "entity.name"):
        assert props[name]["type"] == ["string", "null"]
    assert enum("entity.scale") == ["large", "medium", "small", "micro"]
    assert enum("entity.status") == ["active", "suspended", "closed", "relocated"]
    assert enum("evaluation.tier") == ["full", "simplified", "self_assessment"]
    assert enum("risk.level") == ["red", "orange", "yellow", "blue"]
    assert enum("inspection.frequency") == ["monthly", "quarterly", "semiannual", "annual"]
    tables = {t.id: t.output for t in safetyrules.load().plan.tables}
    assert tables["cn.nbs.enterprise-size.2017"] == "entity.scale"
