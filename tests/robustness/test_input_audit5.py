"""Audit 5 of the input edges (helper s9-input): JSON Lines line length,
date text the same on every Python version, number text in registry cells.

The bounds are patched small here (``safetyrules.limits`` is read when a
line is read), so that no test writes or reads a 64 MiB line.
"""

import io
import json
import os

import pytest

import safetyrules
from robust_fixtures import GOOD, run_main, assert_no_escape


@pytest.fixture(scope="module")
def good():
    return safetyrules.load(GOOD)


@pytest.fixture
def small_lines(monkeypatch):
    """A JSON Lines line holds at most 200 bytes; no end of line within
    2,000 bytes ends the input."""
    from safetyrules import limits

    monkeypatch.setattr(limits, "MAX_JSONL_LINE_BYTES", 200)
    monkeypatch.setattr(limits, "MAX_FACTS_FILE_BYTES", 2000)


GOOD_LINE = '{"gas.alarm": true}'
LONG_LINE = '{"gas.alarm": true, "entity.name": "' + "x" * 300 + '"}'  # valid, but over 200 bytes


def _lines(out):
    return [json.loads(x) for x in out.splitlines()]


# --- 1. a JSON Lines line has a bound -----------------------------------------------------------

def test_an_over_long_line_is_an_error_record_and_the_other_lines_are_decided(tmp_path, small_lines):
    # before: any line was read whole (`evaluate x.jsonl` on a 2 GiB line,
    # or a symlink to /dev/zero, ended in MemoryError)
    p = tmp_path / "big.jsonl"
    p.write_text(GOOD_LINE + "\n" + LONG_LINE + "\n" + GOOD_LINE + "\n", encoding="utf-8")
    code, out, err = run_main("evaluate", "--rules", GOOD, "--format", "json", str(p))
    assert_no_escape(code, err)
    got = _lines(out)
    assert code == 2 and [g["line"] for g in got] == [1, 2, 3], (code, err)
    assert "error" not in got[0] and "error" not in got[2]
    assert got[1]["error"]["code"] == "E-FILES" and got[1]["error"]["fact"] is None
    assert "longer than 200 bytes" in got[1]["error"]["message"]
    assert f"{p}:2:1: error: line is longer than 200 bytes" in err, err


def test_a_line_at_the_bound_is_read(tmp_path, small_lines):
    line = '{"entity.name": "' + "x" * (200 - 19) + '"}'
    assert len(line.encode()) == 200
    p = tmp_path / "edge.jsonl"
    p.write_text(line + "\n" + line, encoding="utf-8")  # the last one without its end of line
    code, out, err = run_main("evaluate", "--rules", GOOD, "--format", "json", str(p))
    assert code == 0 and [g["line"] for g in _lines(out)] == [1, 2], err


def test_dev_zero_named_jsonl_ends_with_a_located_error_and_the_next_input_is_read(tmp_path, small_lines):
    zero = tmp_path / "zero.jsonl"
    os.symlink("/dev/zero", zero)
    p = tmp_path / "good.jsonl"
    p.write_text(GOOD_LINE + "\n", encoding="utf-8")
    code, out, err = run_main("evaluate", "--rules", GOOD, "--format", "json", str(zero), str(p))
    assert_no_escape(code, err)
    got = _lines(out)
    assert code == 2 and len(got) == 2 and got[0]["error"]["code"] == "E-FILES" and "error" not in got[1], (out, err)
    assert f"{zero}:1:1: error: line is longer than 200 bytes and has no end of line within 2000 bytes" in err, err


def test_stdin_lines_are_bounded_too(small_lines):
    data = (GOOD_LINE + "\n" + LONG_LINE + "\n" + GOOD_LINE + "\n").encode()
    code, out, err = run_main("evaluate", "--rules", GOOD, "--format", "json", "-", stdin_bytes=data)
    assert code == 2 and ["error" in g for g in _lines(out)] == [False, True, False], (out, err)
    assert "<stdin>:2:1: error: line is longer than 200 bytes" in err, err


def test_evaluate_many_on_a_file_object_or_lines_bounds_each_line(good, small_lines):
    data = (GOOD_LINE + "\n" + LONG_LINE + "\n" + GOOD_LINE + "\n").encode()
    for records in (io.BytesIO(data), io.StringIO(data.decode()), data.decode().splitlines()):
        got = list(good.evaluate_many(records))
        kinds = [d.code if isinstance(d, safetyrules.SafetyRulesError) else None for d in got]
        assert len(got) == 3 and kinds[1] == "E-FILES" and kinds[0] is None and kinds[2] is None, (records, got)


def test_evaluate_table_on_jsonl_refuses_an_over_long_line_naming_it(good, tmp_path, small_lines):
    p = tmp_path / "reg.jsonl"
    p.write_text(GOOD_LINE + "\n" + LONG_LINE + "\n", encoding="utf-8")
    with pytest.raises(safetyrules.FactsError) as info:
        good.evaluate_table(str(p), backend="python")
    assert info.value.line == 2 and "longer than 200 bytes" in str(info.value), str(info.value)


def test_supervision_jsonl_refuses_an_over_long_line_at_path_line(good, tmp_path, small_lines):
    a = good.evaluate({"entity.id": "a", "gas.alarm": True}).to_dict()
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps(a, separators=(",", ":")) + "\n", encoding="utf-8")
    new = tmp_path / "new.jsonl"
    new.write_text(json.dumps(a) + "\n", encoding="utf-8")
    # the decision line itself is over 200 bytes: the bound is the one every reader shares
    code, out, err = run_main("track", str(old), str(new), "--format", "json")
    assert_no_escape(code, err)
    assert code == 2 and "old.jsonl:1: error: not a JSON line: line is longer than 200 bytes" in err, err


def test_report_counts_an_over_long_line_as_not_a_decision(good, tmp_path, monkeypatch):
    from safetyrules import limits

    line = json.dumps(good.evaluate({"gas.alarm": True}).to_dict())
    monkeypatch.setattr(limits, "MAX_JSONL_LINE_BYTES", len(line) + 10)
    p = tmp_path / "d.jsonl"
    p.write_text(line + "\n" + line + " " * 50 + "\n" + line + "\n", encoding="utf-8")
    code, out, err = run_main("report", str(p), "--format", "json")
    assert_no_escape(code, err)
    assert code == 0 and "1 line(s) were not decisions" in err, err


# --- 2. date text is YYYY-MM-DD, on every Python version ----------------------------------------
# Python 3.11's date.fromisoformat also reads 20240301 and 2024-W10-5
# (3.9 and 3.10 refuse them, as the service always did): every reader of
# date text goes through limits.parse_date.

NOT_DATES = ["20240301", "2024-W10-5", "2024W105", "2024-W10", "\uff12\uff10\uff12\uff14-03-01", "2024-02-30"]


@pytest.mark.parametrize("text", NOT_DATES)
def test_parse_date_reads_only_the_extended_calendar_form(text):
    from safetyrules.limits import parse_date

    assert parse_date("2024-03-01").isoformat() == "2024-03-01"
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize("text", NOT_DATES[:2])
def test_a_date_fact_in_basic_format_is_an_error_naming_the_fact(good, text):
    with pytest.raises(safetyrules.FactsError) as info:
        good.evaluate({"site.opened": text})
    assert info.value.fact == "site.opened" and "like 2024-03-01" in str(info.value)
    assert good.evaluate({"site.opened": "2024-03-01"}).to_dict()["as_of"]


@pytest.mark.parametrize("text", NOT_DATES[:2])
def test_as_of_in_basic_format_is_refused_by_the_api_and_the_cli(good, tmp_path, text):
    with pytest.raises(safetyrules.FactsError) as info:
        good.evaluate({}, as_of=text)
    assert info.value.fact == "as_of"
    p = tmp_path / "f.json"
    p.write_text('{"gas.alarm": true}', encoding="utf-8")
    code, out, err = run_main("evaluate", "--rules", GOOD, "--as-of", text, str(p))
    assert code == 2 and "--as-of must be a date like 2024-03-01" in err, err
    code, out, err = run_main("evaluate", "--rules", GOOD, "--as-of", "2024-03-01", str(p))
    assert code == 0, err


@pytest.mark.parametrize("backend", ["python", "duckdb"])
def test_a_registry_date_cell_in_basic_format_is_located(good, tmp_path, backend):
    p = tmp_path / "reg.csv"
    p.write_text("site.opened,gas.alarm\n2024-03-01,true\n20240301,true\n", encoding="utf-8")
    with pytest.raises(safetyrules.FactsError) as info:
        good.evaluate_table(str(p), backend=backend, as_of="2024-03-01")
    assert "site.opened" in str(info.value) and "20240301" in str(info.value), str(info.value)
    j = tmp_path / "reg.jsonl"
    j.write_text('{"site.opened": "2024-03-01"}\n{"site.opened": "20240301"}\n', encoding="utf-8")
    with pytest.raises(safetyrules.FactsError) as info:
        good.evaluate_table(str(j), backend=backend, as_of="2024-03-01")
    assert info.value.line == 2 and info.value.fact == "site.opened", str(info.value)
    with pytest.raises(safetyrules.FactsError):
        good.evaluate_table(str(j), backend=backend, as_of="20240301")


def test_a_registry_date_column_of_text_in_basic_format_is_refused_on_every_backend(good):
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"site.opened": ["2024-03-01", "20240301"]})
    for backend in ("python", "duckdb"):
        with pytest.raises(safetyrules.FactsError) as info:
            good.evaluate_table(table, backend=backend, as_of="2024-03-01")
        assert "site.opened" in str(info.value), (backend, str(info.value))


def test_supervision_and_authoring_dates_in_basic_format_are_refused(tmp_path):
    from safetyrules.supervision.common import SupervisionError, as_date

    assert as_date("2025-03-01T10:00:00").isoformat() == "2025-03-01"
    with pytest.raises(SupervisionError):
        as_date("20250301")
    from safetyrules.authoring.editions import parse_range

    with pytest.raises(ValueError):
        parse_range("20180101:2027-01-01")


def test_supervision_as_of_in_basic_format_is_a_usage_error(good, tmp_path):
    a = good.evaluate({"entity.id": "a", "gas.alarm": True}).to_dict()
    p = tmp_path / "g.jsonl"
    p.write_text(json.dumps(a) + "\n", encoding="utf-8")
    code, out, err = run_main("track", str(p), str(p), "--as-of", "20250301", "--format", "json")
    assert_no_escape(code, err)
    assert code == 2 and "--as-of must be a date like 2025-03-01" in err, err


def test_the_service_reads_dates_as_the_library_does(good):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from safetyrules.service.app import create_app

    with TestClient(create_app(good), raise_server_exceptions=False) as client:
        r = client.post("/v1/evaluate", json={"facts": {"site.opened": "20240301"}})
        assert r.status_code == 422 and r.json()["errors"][0]["fact"] == "site.opened", r.text
        r = client.post("/v1/evaluate", json={"facts": {"site.opened": "2024-03-01"}, "as_of": "2024-03-01"})
        assert r.status_code == 200, r.text
        r = client.post("/v1/evaluate/batch?as_of=2024-03-01", content=b'{"site.opened": "20240301"}\n{"gas.alarm": true}\n',
                        headers={"content-type": "application/x-ndjson"})
        lines = [json.loads(x) for x in r.text.splitlines()]
        assert lines[0]["error"]["fact"] == "site.opened" and "error" not in lines[1], r.text


# --- 3. number text in CSV cells is JSON/YAML number text, not what Python's float() reads ------

@pytest.mark.parametrize("fact", ["entity.employees", "site.distance"])
@pytest.mark.parametrize("cell", ["1_000", "\u0661\u0662", "\uff11\uff12", " 12", "0x10"])
def test_a_csv_number_cell_python_or_arrow_would_read_is_refused(good, tmp_path, fact, cell):
    # before: float() took 1_000, Arabic-Indic and full-width digits and
    # spaces; Arrow's int64 cast took 0x10 as 16 (for an integer fact only)
    p = tmp_path / "reg.csv"
    p.write_text(f'{fact},gas.alarm\n12,true\n"{cell}",true\n', encoding="utf-8")
    with pytest.raises(safetyrules.FactsError) as info:
        good.evaluate_table(str(p), backend="python", as_of="2024-03-01")
    assert info.value.fact == fact and "row 1: must be a number" in str(info.value), str(info.value)


@pytest.mark.parametrize("cell, value", [("12", 12), ("+12", 12), ("1e2", 100), ("12.0", 12), ("007", 7), ("", None)])
def test_csv_number_cells_as_docs_registry_md_writes_them_are_read(good, tmp_path, cell, value):
    p = tmp_path / "reg.csv"
    p.write_text(f'entity.employees,site.distance\n"{cell}","{cell}"\n', encoding="utf-8")
    want = good.evaluate({"entity.employees": value, "site.distance": value}, as_of="2024-03-01")
    got = good.evaluate_table(str(p), backend="python", as_of="2024-03-01").to_pylist()[0]
    assert got["level"] == want.level and got["undetermined"] == sorted(f"{u['standard']}:{u['clause']}" for u in want.to_dict()["undetermined"])


@pytest.mark.parametrize("grade, level", [("\u00b2", "county"), ("\u0663", "county"), ("3", "city")])
def test_a_ledger_grade_in_other_digits_is_not_a_grade(tmp_path, grade, level):
    # '²'.isdigit() is true but int('²') raises: track died with internal
    # error ValueError; '٣' (Arabic-Indic 3) was grade 3
    import safetyrules.supervision as sv

    ent, f = {"id": "E1"}, {"standard": "s", "clause": "c", "severity": "major"}
    old, new, led = tmp_path / "old.jsonl", tmp_path / "new.jsonl", tmp_path / "led.jsonl"
    old.write_text(json.dumps({"entity": ent, "date": "2025-03-01", "level": "red", "findings": [f]}) + "\n", encoding="utf-8")
    new.write_text(json.dumps({"entity": ent, "date": "2025-08-01", "level": "red", "findings": [f]}) + "\n", encoding="utf-8")
    led.write_text(json.dumps({"finding_id": sv.finding_id("E1", "s", "c"), "entity_id": "E1", "at": "2025-03-01",
                               "action": "found", "severity": "major", "grade": grade}) + "\n", encoding="utf-8")
    code, out, err = run_main("track", str(old), str(new), "--as-of", "2025-08-02", "--format", "json", "--ledger", str(led))
    assert_no_escape(code, err)
    alerts = [a for a in json.loads(out)["alerts"] if a["code"] == "A-LISTING-CANDIDATE"]
    assert code == 0 and [a["listing_level"] for a in alerts] == [level], (code, err, alerts)


@pytest.mark.parametrize("text", ["0_1", "\u0660.\u0662", "\uff10.\uff12"])
def test_a_policy_ratio_is_ascii_decimal_text_on_every_python(text):
    # Fraction("0_1") is 1 on Python 3.11+, a ValueError on 3.9 and 3.10;
    # Arabic-Indic and full-width digits were read on every version
    from safetyrules.supervision.common import SupervisionError, parse_ratio

    assert parse_ratio("0.20") == parse_ratio(0.2) == parse_ratio("1e-1") * 2
    with pytest.raises(SupervisionError):
        parse_ratio(text)


def test_the_service_batch_bounds_a_line_that_comes_in_pieces(good, small_lines):
    # the batch held an unfinished line whole, up to --max-body, and searched
    # it again for its end with every chunk
    pytest.importorskip("starlette")
    import asyncio

    from starlette.testclient import TestClient

    from safetyrules.service import app

    def body():
        yield (GOOD_LINE + "\n" + LONG_LINE[:150]).encode()
        for i in range(150, len(LONG_LINE), 40):
            yield LONG_LINE[i:i + 40].encode()
        yield ("\n" + GOOD_LINE + "\n" + LONG_LINE).encode()  # the last, unfinished, over the bound too

    async def pieces():
        for part in body():
            yield part

    async def streamed():  # a piece at a time, as a slow client sends them
        service = app._Service(good, 1 << 20, 5.0)
        return b"".join([part async for part in service._batch_lines(pieces(), None)]).decode()

    answers = [asyncio.run(streamed())]
    with TestClient(app.create_app(good), raise_server_exceptions=False) as client:
        for content in (body(), b"".join(body())):
            r = client.post("/v1/evaluate/batch", content=content, headers={"content-type": "application/x-ndjson"})
            assert r.status_code == 200, r.text
            answers.append(r.text)
    for text in answers:
        lines = [json.loads(x) for x in text.splitlines()]
        assert [x["line"] for x in lines] == [1, 2, 3, 4] and ["error" in x for x in lines] == [False, True, False, True], text
        assert lines[1]["error"]["code"] == "E-FILES" and "longer than 200 bytes" in lines[1]["error"]["message"], text


# --- whole supervision files are read to the same bound, and refused plainly ---------------------

@pytest.mark.parametrize("content", [b"\xff\xfe{}", b'{"x": ' + b"9" * 5000 + b"}", b"[" * 100000 + b"]" * 100000,
                                     b'{"as_of": "\\ud800"}', b"/dev/zero"], ids=["not-utf8", "huge-int", "deep", "surrogate", "dev-zero"])
def test_draw_run_refuses_a_bad_manifest_with_a_located_error(tmp_path, monkeypatch, content):
    # each was an internal error (UnicodeDecodeError, AttributeError on
    # ValueError.msg, RecursionError; /dev/zero: MemoryError)
    from safetyrules import limits

    monkeypatch.setattr(limits, "MAX_FACTS_FILE_BYTES", 1 << 20)
    p = tmp_path / "m.json"
    if content == b"/dev/zero":
        os.symlink("/dev/zero", p)
    else:
        p.write_bytes(content)
    code, out, err = run_main("draw", "run", str(p))
    assert_no_escape(code, err)
    assert code == 2 and f"{p}" in err and "error: manifest is" in err, err


def test_a_policy_file_is_read_to_the_facts_file_bound(good, tmp_path, monkeypatch):
    from safetyrules import limits

    monkeypatch.setattr(limits, "MAX_FACTS_FILE_BYTES", 1000)
    a = good.evaluate({"entity.id": "a", "gas.alarm": True}).to_dict()
    g = tmp_path / "g.jsonl"
    g.write_text(json.dumps(a) + "\n", encoding="utf-8")
    monkeypatch.setattr(limits, "MAX_JSONL_LINE_BYTES", 1 << 20)
    code, out, err = run_main("track", str(g), str(g), "--policy", "/dev/zero", "--format", "json")
    assert_no_escape(code, err)
    assert code == 2 and "/dev/zero:1:1: error: policy is larger than 1000 bytes" in err, err


def test_a_registry_digest_is_the_same_read_in_pieces(tmp_path):
    import hashlib

    from safetyrules.supervision.common import digest_file

    p = tmp_path / "r.jsonl"
    data = os.urandom(3 << 20 | 12345)
    p.write_bytes(data)
    assert digest_file(str(p)) == "sha256:" + hashlib.sha256(data).hexdigest()


def test_a_supervision_csv_is_read_a_bounded_line_at_a_time(tmp_path, small_lines):
    from safetyrules.supervision.common import SupervisionError, read_csv

    zero = tmp_path / "members.csv"
    os.symlink("/dev/zero", zero)
    with pytest.raises(SupervisionError) as info:
        list(read_csv(str(zero), "members", ("id",)))
    assert info.value.line == 1 and "longer than 200 bytes" in str(info.value), str(info.value)
    p = tmp_path / "m.csv"
    p.write_text("id,grid\na,g1\n" + "b," + "x" * 300 + "\nc,g2\n", encoding="utf-8")
    with pytest.raises(SupervisionError) as info:
        list(read_csv(str(p), "members", ("id",)))
    assert info.value.line == 3, str(info.value)
    p.write_text("id,grid\na,g1\n", encoding="utf-8")
    assert [r for _, r in read_csv(str(p), "members", ("id",))] == [{"id": "a", "grid": "g1"}]


def test_a_date_table_output_in_basic_format_is_a_load_error(tmp_path):
    # on Python 3.11 it loaded, and the decision's outputs held the text '20240301'
    import shutil

    d = tmp_path / "rules"
    shutil.copytree(GOOD, d)
    with open(d / "vocabulary.yaml", "a", encoding="utf-8") as fh:
        fh.write("  site.review: {type: date}\n")
    (d / "review.yaml").write_text('kind: table\nid: robust.review\noutput: site.review\nhit: first\nrows:\n'
                                   '  - {when: "gas.alarm", then: "20240301"}\ndefault: "2024-06-01"\n', encoding="utf-8")
    manifest = (d / "ruleset.yaml").read_text(encoding="utf-8").replace("grading.yaml]", "grading.yaml, review.yaml]")
    (d / "ruleset.yaml").write_text(manifest, encoding="utf-8")
    code, out, err = run_main("validate", str(d))
    assert code == 1 and "review.yaml:6:" in err and "'20240301' is not a date" in err, (out, err)


def test_report_in_byte_ranges_counts_what_one_reader_counts(good, tmp_path, monkeypatch):
    # the parallel reader's ranges finish and skip lines with the bounded reader too
    from safetyrules import limits
    from safetyrules.report import summary

    line = json.dumps(good.evaluate({"gas.alarm": True}).to_dict())
    monkeypatch.setattr(limits, "MAX_JSONL_LINE_BYTES", len(line) + 10)
    p = tmp_path / "d.jsonl"
    rows = [line, line + " " * 5000, line, "", line, line + " " * 3000, line]
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    one = summary._Tally("grid").feed(summary.read_lines(str(p)))
    assert (one.n, one.bad) == (4, 2)
    size = p.stat().st_size
    for jobs in (2, 3, 7, 40):
        step = size // jobs + 1
        total = summary._Tally("grid")
        for i in range(jobs):
            total.merge(summary._tally_range((str(p), i * step, min(size, (i + 1) * step), "grid")))
        assert (total.n, total.bad) == (4, 2), (jobs, total.n, total.bad)


@pytest.mark.parametrize("text", ["6_0", "\u0666\u0660", "\uff16\uff10"])
def test_supervision_numbers_as_text_are_ascii_without_underscores(tmp_path, text):
    # Fraction() read '6_0' as 60 on Python 3.11+ only (a ValueError on
    # 3.9/3.10), and Arabic-Indic or full-width digits on every version
    from safetyrules.supervision import hazchem_level
    from safetyrules.supervision.common import SupervisionError
    from safetyrules.supervision.inputs import read_members

    assert hazchem_level("60") == hazchem_level(60) == "orange"
    with pytest.raises(SupervisionError):
        hazchem_level(text)
    p = tmp_path / "members.csv"
    p.write_text(f"id,grid,fte\na,g1,0.5\nb,g2,{text}\n", encoding="utf-8")
    with pytest.raises(SupervisionError) as info:
        read_members(str(p))
    assert info.value.line == 3 and "fte must be a number" in str(info.value), str(info.value)
