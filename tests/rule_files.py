"""Small rule sets for the tests: the YAML text of a vocabulary, a standard,
a table and a manifest from their parts, and the write-and-load scaffolding
(imported as ``rule_files``, the way ``cli_fork`` is).

The builders return exactly the text a test would have written by hand, so
a rule set built here is byte-identical to its hand-written form (line
numbers in errors included):

- :func:`vocabulary`, :func:`standard`, :func:`table` take the body (the
  facts, the clauses, the rows) as one block of YAML lines, indented or
  not (it is dedented, then indented by two spaces under its key);
- :func:`ruleset` writes ``kind: ruleset`` with ``include`` and
  ``decision`` in flow style;
- :func:`write` writes ``{name: text}`` into a directory (optionally
  dedenting each text); :func:`load` writes into a fresh temporary
  directory (:func:`load`) or a given one (:func:`load_in`) and returns
  ``safetyrules.load`` of it (or of a file in it).
"""

from __future__ import annotations

import textwrap

import safetyrules


def _body(text):
    return textwrap.indent(textwrap.dedent(text), "  ")


def vocabulary(facts, id="v"):
    """``kind: vocabulary`` with the fact lines ``facts`` under ``facts:``."""
    return f"kind: vocabulary\nid: {id}\nfacts:\n{_body(facts)}"


def standard(clauses, id="s", version='"1"', title=None, effective=None, applies_when=None):
    """``kind: standard``: the header lines in the usual order (``version``
    as YAML text, so ``'"1"'`` is the string 1), then ``clauses:``."""
    head = f"kind: standard\nid: {id}\nversion: {version}\n"
    if title is not None:
        head += f"title: {{en: {title}}}\n"
    if effective is not None:
        head += f"effective: {effective}\n"
    if applies_when is not None:
        head += f'applies_when: "{applies_when}"\n'
    return f"{head}clauses:\n{_body(clauses)}"


def table(id, output, rows, hit=None, default=None):
    """``kind: table`` with the row lines ``rows`` under ``rows:``."""
    head = f"kind: table\nid: {id}\noutput: {output}\n"
    if hit is not None:
        head += f"hit: {hit}\n"
    tail = f"default: {default}\n" if default is not None else ""
    return f"{head}rows:\n{_body(rows)}{tail}"


def ruleset(id, include, decision=None):
    """``kind: ruleset``: ``include`` a list of names (YAML flow items, so
    ``'"*.yaml"'`` for a quoted pattern), ``decision`` a ``{key: fact}``
    mapping kept in its order (or ``None`` for no ``decision:`` line)."""
    text = f"kind: ruleset\nid: {id}\ninclude: [{', '.join(include)}]\n"
    if decision is not None:
        text += "decision: {" + ", ".join(f"{k}: {v}" for k, v in decision.items()) + "}\n"
    return text


def write(d, files, dedent=False):
    """Write ``{name: text}`` under the directory ``d`` (a ``pathlib.Path``;
    it and subdirectories are made), each text dedented first if ``dedent``;
    returns ``d``."""
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        p = d / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text) if dedent else text, encoding="utf-8")
    return d


def load_in(d, files, dedent=False, entry=None):
    """``safetyrules.load`` of ``files`` written under the directory ``d``:
    of the directory itself, or of the file ``entry`` in it (e.g.
    ``"ruleset.yaml"``)."""
    write(d, files, dedent=dedent)
    return safetyrules.load(str(d / entry) if entry else str(d))


def load(tmp_path_factory, basename, files, dedent=False, entry=None):
    """:func:`load_in` a fresh directory ``tmp_path_factory.mktemp(basename)``
    (for a module-scoped fixture)."""
    return load_in(tmp_path_factory.mktemp(basename), files, dedent=dedent, entry=entry)
