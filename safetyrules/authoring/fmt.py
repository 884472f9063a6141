"""``safetyrules fmt``: rewrite rule files in canonical form, keeping comments.

Canonical form: keys in the order of the kind's JSON Schema (``kind, id,
version, title, ...``; clauses ``id, cite, severity, ...``; rows ``id, when,
then, ...``), and every expression in a plain, quoted or flow scalar printed
by the expression printer (``unparse``) — but only when that keeps its
meaning (``parse(unparse(x)) == parse(x)``).  Block scalars (``>-``, ``|``)
keep the author's line breaks.

Keeping comments needs a round-trip YAML library: ruamel.yaml, an optional
extra (``pip install 'safetyrules[fmt]'``), imported only here.  Before a
file is written, the new text is loaded back with the rule-file loader and
must hold the same data and the same expressions; otherwise it is left alone
and reported.
"""

from __future__ import annotations

import collections
import io
import os
import re
import sys
from typing import Dict, List, Sequence, Tuple

from safetyrules import dsl
from safetyrules.errors import ExpressionError, RuleFileError, SafetyRulesError

__all__ = ["format_text", "register", "FmtError", "KEY_ORDER"]

_TITLE = ("zh", "en")
_EXAMPLE = ("name", "facts", "expect")
KEY_ORDER: Dict[str, Tuple[str, ...]] = {
    # the order of the schemas' properties (tests/tools/test_spec12_audit3.py holds them equal), so the
    # provenance header fields of supervision.md §8.5 stay above the clauses, not moved below them
    "standard": ("kind", "id", "version", "title", "document", "source", "status", "description", "note",
                 "effective", "layer", "authority", "doc_no", "published", "scope", "basis", "snapshot",
                 "review_by", "item_kind", "family", "applies_when", "clauses"),
    "clause": ("id", "cite", "severity", "category", "title", "status", "source", "note", "description",
               "layer", "authority", "doc_no", "published", "scope", "kind", "basis", "snapshot", "review_by",
               "when", "unless", "examples"),
    "effective": ("from", "until", "supersedes"),
    "table": ("kind", "id", "version", "title", "document", "source", "status", "description", "note",
              "output", "hit", "default", "warn", "rows", "examples"),
    "row": ("id", "when", "then", "title", "cite", "note"),
    "vocabulary": ("kind", "id", "title", "description", "facts"),
    "fact": ("type", "unit", "values", "min", "max", "title", "description", "informational", "item", "key"),
    "ruleset": ("kind", "id", "title", "description", "extends", "include", "units", "decision"),
    "decision": ("level", "tier", "inspection"),
    "title": _TITLE,
    "example": _EXAMPLE,
}


#: a top-level ``kind:`` of a rule file, block or flow style (what marks a file fmt rewrites)
_RULE_KIND = re.compile(r"""(?m)(^|^\{[^\n]*?[{,]\s*|^\{\s*)["']?kind["']?[ \t]*:[ \t]*["']?(standard|table|vocabulary|ruleset)\b""")


class FmtError(SafetyRulesError):
    code = "E-FMT"


def _ruamel():
    try:
        from ruamel.yaml import YAML
    except ImportError:
        raise FmtError(
            "safetyrules fmt needs ruamel.yaml to keep comments; install it with: pip install 'safetyrules[fmt]'"
        ) from None
    y = YAML(typ="rt")
    y.Emitter = _emitter_class()
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    return y


_EMITTER = None


def _emitter_class():
    """ruamel's emitter, with a stale "directly after ``- ``" flag dropped at
    each later item of a block sequence.  ruamel.yaml (0.17-0.19) sets the
    flag after a commented key (``clauses:  # ...``) and carries it past a
    commented flow item and a block mapping item to the next item, which it
    then writes on the same line (``cite: C1   - {id: c2}``, or the block
    item's second key: ``id: c1 cite: C1``)."""
    global _EMITTER
    if _EMITTER is None:
        from ruamel.yaml.emitter import Emitter

        class _Emitter(Emitter):
            # at a later item or key with text already on the line, that text
            # is the previous item's or value's: the line ends first
            def expect_block_sequence_item(self, first=False):
                if not first and self.column != 0:
                    self.no_newline = False
                return super().expect_block_sequence_item(first)

            def expect_block_mapping_key(self, first=False):
                if not first and self.column != 0:
                    self.no_newline = False
                return super().expect_block_mapping_key(first)

        _EMITTER = _Emitter
    return _EMITTER


def _reorder(m, order: Sequence[str]) -> bool:
    """Put the keys of ruamel mapping ``m`` in ``order`` (unknown keys after,
    in their order); comments travel with their keys.  True if moved."""
    keys = list(m.keys())
    rank = {k: i for i, k in enumerate(order)}
    want = sorted(keys, key=lambda k: (rank.get(k, len(rank)), keys.index(k)))
    if want == keys:
        return False
    _comments_to_the_key_above(m, keys, want[-1])
    for k in want:
        m.move_to_end(k)
    return True


def _comments_to_the_key_above(m, keys: Sequence[str], last: str) -> None:
    """Comment lines that ruamel keeps *above* a key (those below a flow
    value such as ``title: {...}``, which has no slot for them) are moved
    below the key above it, so that they travel with that key, as every
    other comment does, when the keys are reordered.  Not below the key that
    will be last: ruamel does not read a comment back between a mapping's
    last flow value and the next item (the next fmt puts it above the item)."""
    from ruamel.yaml.tokens import CommentToken

    items = getattr(getattr(m, "ca", None), "items", None)
    if not items:
        return
    for above, k in zip(keys, keys[1:]):
        if above == last:
            continue
        slot = items.get(k)
        if not slot or len(slot) < 2 or not slot[1]:
            continue
        value = m[above]
        if isinstance(value, (dict, list)) and not (hasattr(value, "fa") and value.fa.flow_style()):
            continue  # below a block value the comment belongs to it (ruamel keeps it there)
        lines = "".join(" " * (tok.column or 0) + tok.value for tok in slot[1] if isinstance(tok, CommentToken))
        if not lines or len(lines) != sum(len(t.value) + (t.column or 0) for t in slot[1]):
            continue  # something other than comment tokens: leave it where ruamel put it
        mine = items.setdefault(above, [None, None, None, None])
        while len(mine) < 3:
            mine.append(None)
        old = mine[2]
        if old is not None and not isinstance(old, CommentToken):
            continue
        text = (old.value if old is not None else "\n") + lines
        mine[2] = CommentToken(text, old.start_mark if old is not None else slot[1][0].start_mark, None)
        slot[1] = None


def _expr(container, key, changes: List[str]) -> None:
    from ruamel.yaml.scalarstring import (
        DoubleQuotedScalarString,
        FoldedScalarString,
        LiteralScalarString,
        SingleQuotedScalarString,
    )

    text = container.get(key) if hasattr(container, "get") else container[key]
    if not isinstance(text, str) or isinstance(text, (FoldedScalarString, LiteralScalarString)):
        return
    try:
        node = dsl.parse(str(text))
        canon = dsl.unparse(node)
        if dsl.parse(canon) != node:
            return
    except ExpressionError:
        return
    if canon == str(text):
        return
    if isinstance(text, DoubleQuotedScalarString) or '"' not in canon and not isinstance(text, SingleQuotedScalarString):
        new = DoubleQuotedScalarString(canon)
    else:
        new = SingleQuotedScalarString(canon)
    container[key] = new
    changes.append(f"expression '{text}' → '{canon}'")


def _canon(data, changes: List[str]) -> None:
    kind = data.get("kind")
    if kind not in ("standard", "table", "vocabulary", "ruleset"):
        return
    _reorder(data, KEY_ORDER[kind])
    if isinstance(data.get("title"), dict):
        _reorder(data["title"], _TITLE)
    if kind == "standard":
        if isinstance(data.get("effective"), dict):
            _reorder(data["effective"], KEY_ORDER["effective"])
        if "applies_when" in data:
            _expr(data, "applies_when", changes)
        for c in data.get("clauses") or ():
            if isinstance(c, dict):
                _reorder(c, KEY_ORDER["clause"])
                if isinstance(c.get("title"), dict):
                    _reorder(c["title"], _TITLE)
                for k in ("when", "unless"):
                    if k in c:
                        _expr(c, k, changes)
                for ex in c.get("examples") or ():
                    if isinstance(ex, dict):
                        _reorder(ex, _EXAMPLE)
    elif kind == "table":
        for r in data.get("rows") or ():
            if isinstance(r, dict):
                _reorder(r, KEY_ORDER["row"])
                if isinstance(r.get("title"), dict):
                    _reorder(r["title"], _TITLE)
                if "when" in r:
                    _expr(r, "when", changes)
        for ex in data.get("examples") or ():
            if isinstance(ex, dict):
                _reorder(ex, _EXAMPLE)
    elif kind == "vocabulary":
        if isinstance(data.get("facts"), dict):
            _facts(data["facts"])
    elif kind == "ruleset":
        if isinstance(data.get("decision"), dict):
            _reorder(data["decision"], KEY_ORDER["decision"])


def _fact(spec) -> None:
    _reorder(spec, KEY_ORDER["fact"])
    if isinstance(spec.get("title"), dict):
        _reorder(spec["title"], _TITLE)
    if isinstance(spec.get("item"), dict):
        for sub in spec["item"].values():
            if isinstance(sub, dict):
                _fact(sub)


def _facts(facts, depth: int = 0) -> None:
    """Each fact declaration of a ``facts:`` mapping in canonical key order:
    dotted names and nested groups alike (``dust: {removal: {separated:
    {...}}}`` is ``dust.removal.separated``; a group has no ``type:``)."""
    for spec in facts.values():
        if not isinstance(spec, dict):
            continue
        if isinstance(spec.get("type"), str) or depth >= 64:
            _fact(spec)
        else:
            _facts(spec, depth + 1)


def _same_meaning(a, b) -> bool:
    """Data equal, expressions compared by their parse trees."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_meaning(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_meaning(x, y) for x, y in zip(a, b))
    if isinstance(a, str) and isinstance(b, str) and a != b:
        try:
            return dsl.parse(a) == dsl.parse(b)
        except ExpressionError:
            return False
    return a == b and type(a) is type(b)


def format_text(text: str, path: str = "<string>") -> Tuple[str, List[str]]:
    """Canonical text of one rule file, and what changed.  Non-rule YAML
    (no known ``kind:``) comes back unchanged.  Raises :class:`RuleFileError`
    for YAML the rule-file loader refuses, :class:`FmtError` when the
    canonical text would not mean the same."""
    from safetyrules.source.loader import load_yaml

    first = text.find("\n")
    if first > 0 and text[first - 1] == "\r":
        # CRLF line endings (Windows, git autocrlf) are kept, as black keeps them:
        # the canonical form is worked out on LF text and written back with CRLF
        lf, what = format_text(text.replace("\r\n", "\n"), path)
        crlf = lf.replace("\n", "\r\n")
        return (text, []) if crlf == text else (crlf, what or ["line endings"])
    try:
        before = load_yaml(text, path)  # the safe loader's verdict first
    except RuleFileError:
        if not _RULE_KIND.search(text):
            return text, []  # not a rule file (a docker-compose.yml with anchors, a template with tags): left alone
        raise
    if not isinstance(before.data, dict) or before.data.get("kind") not in ("standard", "table", "vocabulary", "ruleset"):
        return text, []
    changes: List[str] = []
    out = text
    for _ in range(4):  # until it is its own canonical form (ruamel may place a moved comment anew)
        y = _ruamel()
        data = y.load(out)
        _canon(data, changes)
        buf = io.StringIO()
        y.dump(data, buf)
        if buf.getvalue() == out:
            break
        out = buf.getvalue()
        try:
            after = load_yaml(out, path)
        except RuleFileError as err:
            raise FmtError(f"canonical form would not load ({err.message}); file left as is", path=path) from None
        if not _same_meaning(before.data, after.data):
            raise FmtError("canonical form would change the file's meaning; file left as is (please report it)", path=path)
    else:
        raise FmtError("canonical form does not settle (please report it); file left as is", path=path)
    if out == text:
        return text, []
    lost = _comments(text) - _comments(out)
    if lost:
        raise FmtError(f"canonical form would drop the comment '{sorted(lost)[0]}' (a YAML round-trip limit: "
                       "move it next to a key); file left as is", path=path)
    if not changes:
        changes.append("key order or layout")
    return out, list(dict.fromkeys(changes))


def _comments(text: str) -> "collections.Counter[str]":
    """The comments of YAML ``text`` (``#`` at a line's start or after a
    blank, outside quotes), as a multiset of their text."""
    out: collections.Counter = collections.Counter()
    for line in text.splitlines():
        q, i = None, 0
        while i < len(line):
            ch = line[i]
            if q == "'":
                if ch == "'":
                    if line[i + 1:i + 2] == "'":
                        i += 1
                    else:
                        q = None
            elif q == '"':
                if ch == "\\":
                    i += 1
                elif ch == '"':
                    q = None
            elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
                out[line[i:].rstrip()] += 1
                break
            elif ch in "'\"" and (i == 0 or line[i - 1] in " \t[{,:"):
                q = ch
            i += 1
    return out


def _files(paths: Sequence[str]) -> List[str]:
    out: List[str] = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(
                os.path.join(dp, f) for dp, dn, fn in os.walk(p) for f in fn
                if f.endswith((".yaml", ".yml")) and not f.startswith(".")
            )
        else:
            out.append(p)
    return out


def _write_atomic(path: str, text: str) -> None:
    """Replace ``path`` by ``text`` all at once: written to a temporary file
    beside it, flushed, then renamed over it, so an interrupted ``fmt``
    leaves the old file or the new one, never half of one.  The file's
    permission bits are kept, and a symlink stays one: the file it points
    at is the one rewritten."""
    import tempfile

    path = os.path.realpath(path)
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".fmt-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def register(sub) -> None:
    p = sub.add_parser(
        "fmt",
        help="rewrite rule files in canonical form (key order, expression spacing), keeping comments",
        description="Canonical key order and expression spacing; comments are kept. Needs ruamel.yaml "
                    "(pip install 'safetyrules[fmt]').",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="rule files or directories")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not canonical")
    p.add_argument("--diff", action="store_true", help="change nothing; print a unified diff of what would change (exit 1 with --check)")
    p.set_defaults(func=_cmd_fmt)


def _cmd_fmt(args) -> int:
    import difflib

    try:
        _ruamel()
    except FmtError as err:
        print(err.format(), file=sys.stderr)
        return 2
    changed = errors = 0
    files = _files(args.paths)
    for f in files:
        try:
            with open(f, "rb") as fh:
                raw = fh.read()
            text = raw.decode("utf-8-sig")
        except OSError as exc:
            print(f"{f}: error: cannot read file ({exc.strerror})", file=sys.stderr)
            errors += 1
            continue
        except UnicodeDecodeError as exc:
            from safetyrules.source.files import byte_position

            line, col = byte_position(raw, exc.start)
            print(f"{f}:{line}:{col}: error: file is not UTF-8 (byte {exc.start}: 0x{raw[exc.start]:02x})", file=sys.stderr)
            errors += 1
            continue
        try:
            out, what = format_text(text, f)
        except SafetyRulesError as err:
            err.path = err.path or f
            print(err.format(), file=sys.stderr)
            errors += 1
            continue
        if out == text:
            continue
        changed += 1
        if args.diff:
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), out.splitlines(True), f, f + " (canonical)"))
        if args.check:
            print(f"{f}: not canonical: {what[0]}" + (f" (and {len(what) - 1} more)" if len(what) > 1 else ""))
        elif args.diff:
            pass  # --diff only shows what would change
        else:
            try:
                _write_atomic(f, out)
            except OSError as exc:
                print(f"{f}: error: cannot write file ({exc.strerror})", file=sys.stderr)
                errors += 1
                continue
            print(f"reformatted {f}")
    verb = "would reformat" if args.check or args.diff else "reformatted"
    print(f"{len(files)} file(s) checked, {changed} {verb}, {errors} error(s)", file=sys.stderr)
    if errors:
        return 2 if not changed or not args.check else 1
    return 1 if (args.check and changed) else 0
