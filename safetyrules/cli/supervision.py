"""``safetyrules plan | draw | grid | track | ledger stats | checklist`` (SPEC §10;
supervision.md §8).  Registered through ``COMMAND_MODULES``.

Every command takes ``--format text|markdown|json`` (JSON is canonical and
byte-identical across runs) and ``--record DIR`` (``DIR/run.json``: tool
version, input digests, parameters, output digest).  Exit codes: 0 done;
1 a verification failed, a plan is infeasible or a ``--fail-on`` gate
tripped; 2 bad input, reported as ``FILE:LINE[:COL]: error: …``.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from typing import Any, Dict, Optional

from safetyrules.errors import FactsError, SafetyRulesError
from safetyrules.limits import parse_date

__all__ = ["register"]

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2
_FAIL_CODES = ("E-DRAW-VERIFY", "E-DRAW-COMMITMENT", "E-DRAW-INPUT-CHANGED")


def _err(exc: SafetyRulesError) -> None:
    for e in getattr(exc, "errors", None) or [exc]:
        print(e.format(), file=sys.stderr)


def _date(s: Optional[str], what: str = "--as-of") -> Optional[datetime.date]:
    from safetyrules.supervision.common import SupervisionError

    if s is None:
        return None
    try:
        return parse_date(s)
    except ValueError:
        raise SupervisionError(f"{what} must be a date like 2025-03-01, got {s!r}", code="E-INPUT") from None


def _check_year(year: int) -> int:
    from safetyrules.supervision.common import SupervisionError

    if not 1 <= year <= 9998:
        raise SupervisionError(f"--year must be a year between 1 and 9998, got {year}", code="E-INPUT")
    return year


def _warn_error_lines(path: str, error_lines) -> None:
    if error_lines:
        lines = ", ".join(map(str, error_lines[:10])) + (" …" if len(error_lines) > 10 else "")
        print(f"{path}: warning: {len(error_lines)} error line(s) skipped, entities not graded (lines {lines})", file=sys.stderr)


def _registry(path: str):
    from safetyrules.supervision.registry import read_registry

    reg = read_registry(path)
    _warn_error_lines(path, reg.error_lines)
    if reg.entities and reg.decided == 0:
        print(f"{path}: warning: no line carries a decision (level, findings, ruleset): a facts registry, not a graded one? "
              f"Grade it first: safetyrules evaluate {path} --format json", file=sys.stderr)
    return reg


def _policy(path: Optional[str]):
    from safetyrules.supervision.policy import default_policy, load_policy

    return load_policy(path) if path else default_policy()


def _emit(args, kind: str, data: Dict[str, Any], json_text: str) -> str:
    """Print ``data`` in the chosen format; returns what was printed."""
    from safetyrules.supervision.render import checklist_html, render

    fmt = args.format
    if fmt == "json":
        text = json_text + "\n"
    elif fmt == "html":
        text = checklist_html(data, getattr(args, "lang", "zh"))
    else:
        text = render(kind, data, fmt, getattr(args, "lang", "zh"))
    sys.stdout.write(text)
    return text


def _write(path: Optional[str], text: str) -> None:
    from safetyrules.supervision.common import SupervisionError

    if path:
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text + "\n")
        except OSError as exc:
            raise SupervisionError(f"cannot write: {exc.strerror}", path=path, code="E-FILES") from None


def _record(args, command: str, inputs: Dict[str, Optional[str]], output: str, extra=None) -> None:
    if getattr(args, "record", None):
        from safetyrules.supervision.common import SupervisionError, write_record

        params = {k: v for k, v in sorted(vars(args).items()) if k not in ("func", "record", "draw_command", "ledger_command") and isinstance(v, (str, int, float, bool, list, type(None)))}
        if "policy" in inputs and not inputs["policy"]:
            # §8.0: the record holds the policy's digest; without --policy, the project defaults'
            from safetyrules.supervision.policy import default_policy, policy_digest

            inputs = dict(inputs, policy=policy_digest(default_policy()))
        try:
            write_record(args.record, command, params, inputs, output, extra)
        except OSError as exc:
            why = "not a directory" if isinstance(exc, (FileExistsError, NotADirectoryError)) else exc.strerror
            raise SupervisionError(f"cannot write the run record: {why}", path=args.record, code="E-FILES") from None


def _located(err, path: str):
    """A facts error of a YAML/JSON facts file, at the fact's PATH:LINE:COL."""
    fact = getattr(err, "fact", None)
    if err.line is not None or not path or not os.path.isfile(path):
        return err
    err.path = path
    if fact:
        try:
            from safetyrules.source.loader import load_yaml

            with open(path, "rb") as fh:
                values = load_yaml(fh.read().decode("utf-8-sig"), path).values
        except (OSError, UnicodeDecodeError, ValueError, RecursionError, SafetyRulesError):
            return err
        want = fact.split("[", 1)[0]
        for key, loc in values.items():
            if ".".join(str(x) for x in key) == want:
                err.line, err.column = loc.line, loc.column
                break
    return err


def _rulesets(*regs) -> Dict[str, Any]:
    """The rule-set digests a graded registry was decided with (supervision.md
    §8.0: the run record holds the digest of the rule set), sorted."""
    digests = sorted({d for reg in regs for e in reg.entities for d in [e.facts.get("decision.ruleset_digest")] if isinstance(d, str)})
    return {"ruleset_digests": digests}


def _run(fn):
    def wrapped(args) -> int:
        from safetyrules.supervision.common import SupervisionError

        try:
            return fn(args)
        except SupervisionError as exc:
            _err(exc)
            return EXIT_FAIL if exc.code in _FAIL_CODES else EXIT_BAD_INPUT
        except SafetyRulesError as exc:
            _err(exc)
            return EXIT_BAD_INPUT

    return wrapped


# ---------------------------------------------------------------------------


@_run
def _cmd_plan(args) -> int:
    from safetyrules.supervision import inputs as I
    from safetyrules.supervision.plan import plan

    pol = _policy(args.policy)
    reg = _registry(args.registry)
    staff, doc = I.read_staff(args.staff)
    _check_year(args.year)
    cal = I.read_calendar(args.calendar, args.year) if args.calendar else None
    hist = I.read_history(args.history)
    res = plan(reg, pol, staff=staff, calendar=cal, year=args.year, history=hist, trim=args.trim, channel=args.channel, staff_path=args.staff, staff_doc=doc)
    js = res.to_json()
    _write(args.out, js)
    out = _emit(args, "plan", res.to_dict(), js)
    _record(args, "plan", {"registry": args.registry, "policy": args.policy, "staff": args.staff, "calendar": args.calendar, "history": args.history}, js, _rulesets(reg))
    del out
    return EXIT_OK if res.feasible else EXIT_FAIL


def _read_json(path: str, what: str):
    from safetyrules.supervision.common import SupervisionError

    from safetyrules import limits

    try:
        with open(path, "rb") as fh:
            raw = fh.read(limits.MAX_FACTS_FILE_BYTES + 1)  # not until memory runs out (/dev/zero)
    except OSError as exc:
        raise SupervisionError(f"cannot read {what}: {exc.strerror}", path=path, code="E-INPUT") from None
    if len(raw) > limits.MAX_FACTS_FILE_BYTES:
        raise SupervisionError(f"{what} is larger than {limits.MAX_FACTS_FILE_BYTES} bytes", path=path, line=1, column=1, code="E-INPUT")
    try:
        # universal newlines, as the text-mode read this replaces gave them (the text is digested)
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        raise SupervisionError(f"{what} is not UTF-8", path=path, code="E-INPUT") from None
    try:
        data = json.loads(text, parse_int=limits.json_int)
    except json.JSONDecodeError as exc:
        raise SupervisionError(f"{what} is not JSON: {exc.msg}", path=path, line=exc.lineno, column=exc.colno, code="E-INPUT") from None
    except (ValueError, RecursionError) as exc:  # an integer of too many digits; nesting too deep
        message = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
        raise SupervisionError(f"{what} is not JSON: {message}", path=path, line=1, column=1, code="E-INPUT") from None
    if "\\u" in text and not limits.json_text_ok(data):
        raise SupervisionError(f"{what} is not JSON: text holds a lone surrogate escape (\\ud800-\\udfff), which is not Unicode text",
                               path=path, code="E-INPUT")
    return data, text


def _public(path: Optional[str], what: str):
    if path is None:
        return None
    from safetyrules.supervision.common import SupervisionError, read_mapping

    data, doc = read_mapping(path, what)
    if what == "public values":
        vals = data.get("values") if isinstance(data, dict) else data
        if not isinstance(vals, list):
            raise SupervisionError("public values: a list, or a mapping with 'values:'", path=path, line=1, code="E-DRAW-PUBLIC")
        _check_public_text(path, doc, vals, isinstance(data, dict))
        return vals
    if not isinstance(data, dict) or "description" not in data:
        raise SupervisionError("a public source has 'description' and 'values' (how many, or their names)", path=path, line=1, code="E-DRAW-PUBLIC")
    return data


def _check_public_text(path: str, doc, vals, nested: bool) -> None:
    """§8.2: S mixes in "the published values as strings".  A value the file
    does not hold as the text it was published as (YAML reads 07 as 7, 0x1F as
    31, 1.50 as 1.5, true as a boolean) would change S: it must be quoted."""
    import re

    from safetyrules.supervision.common import SupervisionError, loc_of

    try:
        with open(path, encoding="utf-8-sig") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    for i, v in enumerate(vals):
        if isinstance(v, str):
            continue
        where = loc_of(doc, path, ("values", i) if nested else (i,))
        if isinstance(v, bool) or not isinstance(v, int):
            raise SupervisionError(f"public value {v!r} is not text: write it quoted, as it was published (\"…\")", code="E-DRAW-PUBLIC", **where)
        line, col = where.get("line"), where.get("column")
        if line and col and line <= len(lines):
            m = re.match(r"[^\s,\]\}#]+", lines[line - 1][col - 1:])
            if m and m.group(0) != str(v):
                raise SupervisionError(f"public value {m.group(0)} reads as the number {v}: quote it as it was published (\"{m.group(0)}\"), "
                                       "since the effective seed mixes in the published text", code="E-DRAW-PUBLIC", **where)


@_run
def _cmd_draw(args) -> int:
    from safetyrules.supervision import draw as D
    from safetyrules.supervision import inputs as I
    from safetyrules.supervision.common import SupervisionError, digest_file

    sub = args.draw_command
    if sub == "seed":
        seed, com = D.new_seed()
        if args.format == "json":
            sys.stdout.write(json.dumps({"seed": seed, "commitment": com}, sort_keys=True, separators=(",", ":")) + "\n")
        else:
            sys.stdout.write(f"seed       {seed}\ncommitment {com}\n(publish the commitment with the manifest; keep the seed secret until the draw)\n")
        return EXIT_OK
    if sub == "commit":
        pol = _policy(args.policy)
        reg = _registry(args.registry)
        hist = I.read_history(args.history)
        insp = I.read_inspectors(args.inspectors)
        as_of = _date(args.as_of)
        budget = args.budget
        if budget is not None and budget < 0:
            raise SupervisionError(f"--budget is a number of entities, 0 or more, got {budget}", code="E-INPUT")
        plan_digest = None
        if args.plan:
            pdata, ptext = _read_json(args.plan, "plan")
            try:
                budget = int(pdata["summary"]["general"]["budget"]) if budget is None else budget
            except (KeyError, TypeError, ValueError):
                raise SupervisionError("not a plan (safetyrules plan --format json)", path=args.plan, line=1, code="E-INPUT") from None
            plan_digest = digest_file(args.plan)
        man = D.draw_commit(reg, pol, history=hist, inspectors=insp, as_of=as_of, commitment=args.commitment,
                            public_source=_public(args.public_source, "public source"), budget=budget,
                            inspectors_digest=digest_file(args.inspectors), plan_digest=plan_digest)
        js = man.to_json()
        _write(args.out, js)
        if args.format == "json" and not args.out:
            sys.stdout.write(js + "\n")
        elif args.format != "json":
            _emit(args, "manifest", man.to_dict(), js)
        print(f"manifest digest {man.digest}", file=sys.stderr)
        _record(args, "draw commit", {"registry": args.registry, "policy": args.policy, "history": args.history, "inspectors": args.inspectors}, js, {"manifest_digest": man.digest, **_rulesets(reg)})
        return EXIT_OK
    man_data, _ = _read_json(args.manifest, "manifest")
    man = D.manifest_from_dict(man_data, args.manifest)
    pub = _public(args.public_values, "public values")
    if sub == "run":
        if args.registry or args.history or args.inspectors or args.policy:
            _check_inputs(man, args)
        reps = {}
        for r in args.replace or ():
            ent, _, why = r.partition("=")
            if not ent or not why:
                raise SupervisionError(f"--replace takes ENTITY=REASON, got {r!r}", code="E-INPUT")
            reps[ent] = why
        try:
            res = D.draw_run(man, args.seed, pub, reps)
        except SupervisionError as exc:
            raise _at_values(exc, args) from None
        js = res.to_json()
        _write(args.out, js)
        if args.format == "json" and not args.out:
            sys.stdout.write(js + "\n")
        elif args.format != "json":
            _emit(args, "result", res.to_dict(), js)
        _record(args, "draw run", {"manifest": args.manifest, "public_values": args.public_values}, js, {"manifest_digest": man.digest})
        return EXIT_FAIL if res.data["errors"] else EXIT_OK
    # verify
    _, text = _read_json(args.result, "result")
    kw = {}
    if args.registry:
        no_history = man.data["inputs"].get("history") is None  # committed without --history: verified without one
        if not ((args.history is not None or no_history) and args.inspectors):
            raise SupervisionError("verify --registry also needs --history and --inspectors (and --policy if the draw used one)", code="E-INPUT")
        # without --policy only the inputs' digests are checked against the manifest
        kw = dict(reg=_registry(args.registry), policy=_policy(args.policy) if args.policy else None, history=I.read_history(args.history),
                  inspectors=I.read_inspectors(args.inspectors), inspectors_digest=digest_file(args.inspectors))
    if kw and kw["policy"] is None:
        from safetyrules.supervision.policy import default_policy, policy_digest

        if man.data["inputs"].get("policy") == policy_digest(default_policy()):
            kw["policy"] = default_policy()  # committed without --policy: the defaults recompute it
    try:
        D.draw_verify(man, text, args.seed, pub, **kw)
    except SupervisionError as exc:
        raise _at_values(exc, args) from None
    msg = f"verified: the result follows byte for byte from manifest {man.digest}"
    if kw:
        msg += " and the raw inputs" if kw["policy"] is not None else "; the raw inputs match the manifest's digests (give --policy to recompute the manifest)"
    if args.format == "json":
        sys.stdout.write(json.dumps({"verified": True, "manifest_digest": man.digest, "raw_inputs": bool(kw)}, sort_keys=True, separators=(",", ":")) + "\n")
    else:
        sys.stdout.write(msg + "\n")
    # §8.0: a draw's record names the manifest digest it depends on, and the digest of every input read
    _record(args, "draw verify", {"manifest": args.manifest, "result": args.result, "registry": args.registry, "policy": args.policy,
                                  "history": args.history, "inspectors": args.inspectors, "public_values": args.public_values}, msg,
            {"manifest_digest": man.digest})
    return EXIT_OK


def _at_values(exc, args):
    """Public values that are not those the manifest's source describes are a
    bad input at the --public-values file (PATH:LINE: error:)."""
    from safetyrules.supervision.common import SupervisionError

    if exc.code == "E-DRAW-PUBLIC" and exc.path is None and args.public_values:
        return SupervisionError(exc.message, code=exc.code, path=args.public_values, line=1)
    return exc


def _check_inputs(man, args) -> None:
    from safetyrules.supervision.common import SupervisionError, digest_file

    want = man.data["inputs"]
    for name, path in (("registry", args.registry), ("history", args.history), ("inspectors", args.inspectors), ("policy", args.policy)):
        if path and digest_file(path) != want.get(name):
            raise SupervisionError(f"the {name} ({path}) differs from the one the manifest was committed with", code="E-DRAW-INPUT-CHANGED")


@_run
def _cmd_grid(args) -> int:
    from safetyrules.supervision import inputs as I
    from safetyrules.supervision.grid import grid_report, read_moves

    pol = _policy(args.policy)
    reg = _registry(args.registry)
    members = I.read_members(args.members)
    if args.year is not None:
        year = _check_year(args.year)
    else:  # §8.3: grid takes no --year; a calendar file says which year it is
        from safetyrules.supervision.coerce import calendar_year

        year = (calendar_year(args.calendar) if args.calendar else None) or datetime.date.today().year
    cal = I.read_calendar(args.calendar, year) if args.calendar else None
    moves = read_moves(args.move) if args.move else ()
    res = grid_report(reg, members, pol, calendar=cal, year=year, by=args.by, channel=args.channel, moves=moves, suggest=args.suggest)
    js = res.to_json()
    _emit(args, "grid", res.to_dict(), js)
    _record(args, "grid", {"registry": args.registry, "members": args.members, "policy": args.policy, "calendar": args.calendar, "moves": args.move}, js, _rulesets(reg))
    return EXIT_OK


@_run
def _cmd_track(args) -> int:
    from safetyrules.supervision.ledger import read_ledger
    from safetyrules.supervision.track import read_clause_map, read_records, track

    old = read_records(args.old)
    new = read_records(args.new)
    for path, recs in ((args.old, old), (args.new, new)):
        _warn_error_lines(path, getattr(recs, "error_lines", ()))
    led = read_ledger(args.ledger)
    cmap = read_clause_map(args.clause_map)
    rules = None
    if args.rules:
        from safetyrules.engine.ruleset import load

        rules = load(args.rules)
    res = track(old, new, ledger=led, clause_map=cmap, as_of=_date(args.as_of) or datetime.date.today(), rules=rules, policy=_policy(args.policy),
                calendar=args.calendar)
    js = res.to_json()
    _emit(args, "track", res.to_dict(), js)
    _record(args, "track", {"old": args.old, "new": args.new, "ledger": args.ledger, "clause_map": args.clause_map, "calendar": args.calendar}, js)
    tripped = res.gate(args.fail_on or ())
    for g in tripped:
        print(f"error: --fail-on {g}: {res.summary['gates'][g]}", file=sys.stderr)
    return EXIT_FAIL if tripped else EXIT_OK


@_run
def _cmd_ledger(args) -> int:
    from safetyrules.supervision.ledger import ledger_stats, period_of, read_ledger

    period = period_of(args.quarter, args.year)
    led = read_ledger(args.ledger)
    res = ledger_stats(led, period, entity_id=args.entity, principal=args.principal, as_of=_date(args.as_of))
    js = res.to_json()
    _emit(args, "ledger-stats", res.to_dict(), js)
    _record(args, "ledger stats", {"ledger": args.ledger}, js)
    return EXIT_OK


def _warn_undeclared(rules, flat: Dict[str, Any], path: str) -> None:
    """A facts or answers file's facts that the rule set does not declare
    are left out (a graded record carries more than facts); a misspelt one
    would be lost without a word, so each is named on stderr."""
    import difflib

    names = [k for k in rules.vocabulary if isinstance(k, str)]
    for k in sorted(flat):
        if k in rules.vocabulary or k in ("entity.id", "entity.name", "entity.grid") or k.startswith("findings."):
            continue
        close = difflib.get_close_matches(k, names, n=1, cutoff=0.7)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        print(f"{path}: warning: '{k}' is not a fact of {rules.id}: left out{hint}", file=sys.stderr)


@_run
def _cmd_checklist(args) -> int:
    from safetyrules.engine.ruleset import load
    from safetyrules.supervision.checklist import checklist, decide_answers, selfcheck_rules_path
    from safetyrules.supervision.common import SupervisionError, canonical

    rules = load(args.rules or (selfcheck_rules_path() if args.kind == "self_check" else None))
    as_of = _date(args.as_of) or datetime.date.today()
    facts: Dict[str, Any] = {}
    ent = args.entity
    if args.answers:
        from safetyrules.engine.facts import read_facts_file

        data = read_facts_file(args.answers)[0]
        if not isinstance(data, dict):
            raise SupervisionError("answers are one mapping of facts", path=args.answers, line=1, code="E-INPUT")
        from safetyrules.dsl import flatten

        answers = flatten(data)
        _warn_undeclared(rules, answers, args.answers)
        answers.setdefault("entity.id", ent)
        try:
            d = decide_answers(rules, answers, as_of)
        except FactsError as err:
            raise _located(err, args.answers) from None
        js = canonical(d)
        if args.format == "json":
            sys.stdout.write(js + "\n")
        else:
            lines = [f"Self-inspection result for {ent} ({rules.id}, {as_of}): {len(d['findings'])} to fix, {len(d['undetermined'])} not answered"]
            for f in d["findings"]:
                t = f["title"].get(args.lang) or f["title"].get("en") or f["clause"]
                subs = f" [{', '.join(f['subjects'])}]" if f.get("subjects") else ""
                lines.append(f"  {'MAJOR ' if f['severity'] == 'major' else ''}{t}{subs} — {f['cite']}")
            for u in d["undetermined"]:
                lines.append(f"  ? {u['standard']}:{u['clause']} needs {', '.join(u.get('missing', []))}")
            sys.stdout.write("\n".join(lines) + "\n")
        _record(args, "checklist", {"answers": args.answers}, js, {"ruleset_digests": [rules.digest]})
        return EXIT_OK
    if os.path.isfile(ent):
        from safetyrules.dsl import flatten
        from safetyrules.engine.facts import read_facts_file

        data = read_facts_file(ent)[0]
        if not isinstance(data, dict):
            raise SupervisionError("ENTITY: a facts file of one entity, or an entity id", path=ent, line=1, code="E-INPUT")
        facts = flatten(data)
        _warn_undeclared(rules, facts, ent)
        ent = facts.get("entity.id") or os.path.splitext(os.path.basename(ent))[0]
    elif args.registry or args.facts:
        facts = _find_entity(args.registry or args.facts, ent, graded=bool(args.registry))
        where = facts.pop(_LINE, None)
    elif ent.lower().endswith((".yaml", ".yml", ".json")) or os.sep in ent or os.path.isdir(ent):
        # meant as a facts file: not a blank checklist for an "id" like that
        why = "is a directory" if os.path.isdir(ent) else "no such file"
        raise SupervisionError(f"cannot read the entity's facts file: {why} (ENTITY is an entity id, "
                               "or a facts file of one entity)", path=ent, code="E-INPUT")
    try:
        res = checklist(rules, facts, as_of=as_of, kind=args.kind, entity_id=ent)
    except FactsError as err:
        if (args.registry or args.facts) and not args.answers and not os.path.isfile(args.entity) and err.line is None:
            err.path, err.line = args.registry or args.facts, where  # the entity's line of the registry it came from
            raise err from None
        raise _located(err, args.entity) from None
    js = res.to_json()
    _emit(args, "checklist", res.to_dict(), js)
    _record(args, "checklist", {"registry": args.registry, "facts": args.facts}, js, {"ruleset_digests": [rules.digest]})
    return EXIT_OK


_LINE = "\x00line"  # the entity's line in the file it was found in (taken out before use)


def _find_entity(path: str, ident: str, graded: bool) -> Dict[str, Any]:
    from safetyrules.supervision.common import SupervisionError, read_jsonl

    if graded:
        from safetyrules.supervision.registry import read_registry

        reg = read_registry(path)
        e = reg.by_id.get(ident)
        if e is None:
            raise SupervisionError(f"no entity {ident!r} in the registry", path=path, code="E-INPUT")
        return {**e.facts, _LINE: e.line or None}
    from safetyrules.dsl import flatten

    found = None
    for n, obj in read_jsonl(path):
        flat = flatten(obj)
        if flat.get("entity.id") == ident:
            if found is not None:  # which of the two is the entity is not said: refused, as --registry refuses it
                raise SupervisionError(f"entity {ident!r} appears twice (first on line {found[_LINE]})", path=path, line=n, code="E-INPUT")
            found = {**flat, _LINE: n}
    if found is None:
        raise SupervisionError(f"no entity {ident!r} in the facts registry", path=path, code="E-INPUT")
    return found


# ---------------------------------------------------------------------------


def _common(p, formats=("text", "markdown", "json")) -> None:
    p.add_argument("--format", choices=formats, default="text")
    p.add_argument("--record", metavar="DIR", help="write DIR/run.json: version, input digests, parameters, output digest")


def register(sub) -> None:
    """Add ``plan``, ``draw``, ``grid``, ``track`` and ``checklist``."""
    p = sub.add_parser("plan", help="the annual inspection plan from a graded registry (workdays, key set, visits, draw budget)")
    p.add_argument("registry", metavar="REGISTRY", help="graded registry (evaluate --format json over the facts registry)")
    p.add_argument("--policy", metavar="P", help="supervision policy (kind: supervision-policy); default: the project defaults")
    p.add_argument("--staff", metavar="S", required=True, help="staff workdays (YAML)")
    p.add_argument("--calendar", metavar="C", help="the year's workdays (holidays, makeup_workdays)")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--history", metavar="H", help="inspection history (JSONL)")
    p.add_argument("--channel", choices=("enforcement", "patrol"), default="enforcement")
    p.add_argument("--trim", choices=("priority",), help="lower key visits in priority order when infeasible (every cut listed)")
    p.add_argument("-o", "--out", metavar="PLAN.json", help="also write the plan JSON (for draw commit --plan)")
    _common(p)
    p.set_defaults(func=_cmd_plan)

    d = sub.add_parser("draw", help="reproducible random draw (双随机): seed, commit, run, verify")
    ds = d.add_subparsers(dest="draw_command", metavar="STEP")
    ds.required = True
    s = ds.add_parser("seed", help="32 random bytes and their SHA-256 commitment")
    _common(s)
    c = ds.add_parser("commit", help="fix the pool, strata, targets and inspectors in a manifest")
    c.add_argument("registry", metavar="REGISTRY")
    c.add_argument("--policy", metavar="P")
    c.add_argument("--history", metavar="H")
    c.add_argument("--inspectors", metavar="I", required=True)
    c.add_argument("--as-of", metavar="D", required=True)
    c.add_argument("--commitment", metavar="HEX", help="sha256 of the secret seed (draw seed prints it)")
    c.add_argument("--public-source", metavar="FILE", help="the public randomness to mix in: {description, values}")
    c.add_argument("--plan", metavar="PLAN.json", help="take the general budget from a plan")
    c.add_argument("--budget", type=int, metavar="N", help="at most N drawn entities (largest remainder)")
    c.add_argument("-o", "--out", metavar="manifest.json")
    _common(c)
    r = ds.add_parser("run", help="reveal the seed and draw")
    r.add_argument("manifest", metavar="MANIFEST")
    r.add_argument("--seed", metavar="SEED")
    r.add_argument("--public-values", metavar="FILE")
    r.add_argument("--replace", action="append", metavar="ENTITY=REASON", help="a drawn entity found closed or unreachable: the next in rank replaces it")
    for name in ("registry", "history", "inspectors", "policy"):
        r.add_argument(f"--{name}", metavar="FILE", help=f"check the {name} is the one committed")
    r.add_argument("-o", "--out", metavar="result.json")
    _common(r)
    v = ds.add_parser("verify", help="recompute the draw and compare byte for byte")
    v.add_argument("manifest", metavar="MANIFEST")
    v.add_argument("result", metavar="RESULT")
    v.add_argument("--seed", metavar="SEED")
    v.add_argument("--public-values", metavar="FILE")
    for name in ("registry", "history", "inspectors", "policy"):
        v.add_argument(f"--{name}", metavar="FILE", help="recompute the manifest from the raw inputs too")
    _common(v)
    d.set_defaults(func=_cmd_draw)

    g = sub.add_parser("grid", help="grid workload and balance")
    g.add_argument("registry", metavar="REGISTRY")
    g.add_argument("--members", metavar="M", required=True, help="grid members: id, grid, fte, cert_no")
    g.add_argument("--policy", metavar="P")
    g.add_argument("--calendar", metavar="C")
    g.add_argument("--year", type=int)
    g.add_argument("--by", choices=("load", "count"), default="load", help="count: Shenzhen's entity-count standard")
    g.add_argument("--channel", choices=("patrol", "enforcement"), default="patrol", help="enforcement: certified members only")
    g.add_argument("--move", metavar="MOVES.csv", help="what-if: entity_id,to_grid reassignments")
    g.add_argument("--suggest", action="store_true", help="list grids to split (load > k x median) or merge")
    _common(g)
    g.set_defaults(func=_cmd_grid)

    t = sub.add_parser("track", help="compare two inspections or graded registries; follow hazards to closure")
    t.add_argument("old", metavar="OLD")
    t.add_argument("new", metavar="NEW")
    t.add_argument("--ledger", metavar="L.jsonl")
    t.add_argument("--clause-map", metavar="MAP.yaml")
    t.add_argument("--as-of", metavar="D")
    t.add_argument("--rules", metavar="PATH", help="NEW's rule set: detects out-of-scope standards and removed clauses, and names the items (subjects) of findings over keyed lists")
    t.add_argument("--policy", metavar="P")
    t.add_argument("--calendar", metavar="C", help="the year's workdays: counts the 20 working days to publication of an inspection record's results")
    t.add_argument("--fail-on", action="append", choices=("overdue", "reopened", "new-major", "persisting-major"))
    _common(t)
    t.set_defaults(func=_cmd_track)

    le = sub.add_parser("ledger", help="the hazard ledger: quarterly and yearly statistics (HZ-3)")
    les = le.add_subparsers(dest="ledger_command", metavar="STEP")
    les.required = True
    st = les.add_parser("stats", help="an enterprise's hazard statistics for a quarter or a year, due on the 15th or on Jan 31, signed by the principal")
    st.add_argument("ledger", metavar="LEDGER", help="the hazard ledger (JSON Lines, one event per line)")
    st.add_argument("--quarter", metavar="Q", help="the quarter, YYYYQn (2025Q3); YYYY for the year's statistics")
    st.add_argument("--year", type=int, metavar="Y", help="the year's statistics (or the year of --quarter Qn)")
    st.add_argument("--entity", metavar="ID", help="one enterprise (entity_id); default: every enterprise in the ledger")
    st.add_argument("--principal", metavar="NAME", help="the principal person who signs the statistics (required before submission)")
    st.add_argument("--as-of", metavar="D", help="today, to flag statistics past their due date")
    _common(st)
    le.set_defaults(func=_cmd_ledger)

    k = sub.add_parser("checklist", help="the items that apply to an entity; --kind self_check prints a self-inspection form")
    k.add_argument("entity", metavar="ENTITY", help="an entity id, or a facts file of one entity")
    k.add_argument("--rules", metavar="PATH", help="rule set (default: bundled; with --kind self_check the bundled self-check set)")
    k.add_argument("--as-of", metavar="D")
    k.add_argument("--kind", choices=("enforcement", "patrol_guidance", "self_check"))
    k.add_argument("--registry", metavar="GRADED.jsonl", help="look ENTITY up in a graded registry")
    k.add_argument("--facts", metavar="FACTS.jsonl", help="look ENTITY up in a facts registry")
    k.add_argument("--answers", metavar="FILE", help="the owner's answers (facts): print the decision")
    k.add_argument("--lang", choices=("zh", "en"), default="zh")
    _common(k, ("text", "markdown", "json", "html"))
    k.set_defaults(func=_cmd_checklist)
