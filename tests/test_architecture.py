"""The package's structure, checked: layers, no import cycles, no reads of
another module's private names (docs/architecture.md, "Import rules").

Each check is also run on a small package built in ``tmp_path`` with the
fault it exists to catch, so none of them can pass by seeing nothing.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Set, Tuple

import grimp
import pytest

import safetyrules

PKG = Path(safetyrules.__file__).resolve().parent
ROOT = PKG.parent
PYPROJECT = ROOT / "pyproject.toml"


# -- layers (import-linter) -------------------------------------------------


def _lint_imports(config: Path) -> Tuple[int, str]:
    """Run import-linter (its own command, in a child process) on ``config``."""
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(config)], cwd=str(ROOT), capture_output=True, text=True, timeout=300
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.skipif(not PYPROJECT.exists(), reason="run from a source checkout (needs pyproject.toml)")
def test_layer_contract_is_kept():
    code, out = _lint_imports(PYPROJECT)
    assert code == 0, out
    assert "pipeline layers KEPT" in out


def test_layer_contract_sees_an_upward_import(tmp_path):
    # The real package against a contract that puts dsl above engine: the
    # engine imports dsl, so import-linter must call it broken.
    cfg = tmp_path / "setup.cfg"
    cfg.write_text(
        textwrap.dedent(
            """\
            [importlinter]
            root_package = safetyrules

            [importlinter:contract:upside-down]
            name = upside down
            type = layers
            layers =
                safetyrules.dsl
                safetyrules.engine
            """
        )
    )
    code, out = _lint_imports(cfg)
    assert code == 1
    assert "upside down BROKEN" in out and "safetyrules.engine" in out


# -- cycles -------------------------------------------------------------------


def _cycle(package: str) -> Optional[List[str]]:
    """A module-level import cycle of ``package`` (imports inside functions
    count: grimp reads every import statement), or None."""
    graph = grimp.build_graph(package, cache_dir=None)
    deps = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    try:
        graphlib.TopologicalSorter(deps).prepare()
    except graphlib.CycleError as exc:
        return list(exc.args[1])
    return None


def test_no_import_cycles():
    cycle = _cycle("safetyrules")
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _make_package(tmp_path: Path, name: str, files: Dict[str, str]) -> None:
    for rel, text in files.items():
        p = tmp_path / name / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))


def test_cycle_check_sees_an_import_inside_a_function(tmp_path, monkeypatch):
    _make_package(
        tmp_path,
        "cyclepkg",
        {
            "__init__.py": "",
            "a.py": "from cyclepkg import b\n",
            "b.py": "def f():\n    from cyclepkg import a\n    return a\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    cycle = _cycle("cyclepkg")
    assert cycle is not None and {"cyclepkg.a", "cyclepkg.b"} <= set(cycle)


# -- private names --------------------------------------------------------------
#
# What the scan calls a private read, in a module M of the package:
#   1. ``from X import _name`` (X one of the package's modules, absolute or
#      relative);
#   2. ``X._name`` or ``getattr(X, "_name")`` where X is a name M bound by
#      importing one of the package's modules or something from one;
#   3. ``obj._name`` / ``getattr(obj, "_name")`` on any other object (not
#      ``self``/``cls``) when M itself defines no ``_name`` anywhere (no
#      function, class, assignment, attribute assignment, attrs field or
#      ``__slots__`` entry of that name): then the object must come from
#      another module, e.g. ``rules._clauses`` in an authoring module.
# Not caught: ``obj._name`` when M happens to define a ``_name`` of its own
# (the scan does not infer types), and dynamic names (``getattr(x, s)``).
# Dunder names are public protocol, and a third-party library's private
# names (``yaml._yaml``) are that library's business, not this layout's.

# namedtuple's public API is spelled with a leading underscore
_PUBLIC_UNDERSCORE = {"_replace", "_asdict", "_fields", "_make", "_field_defaults"}


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__")) and name not in _PUBLIC_UNDERSCORE


def _module_name(path: Path, root: Path) -> Tuple[str, bool]:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    is_pkg = parts[-1] == "__init__"
    if is_pkg:
        parts = parts[:-1]
    return ".".join(parts), is_pkg


def _resolve(node: ast.ImportFrom, mod: str, is_pkg: bool) -> str:
    if not node.level:
        return node.module or ""
    base = mod.split(".")
    if not is_pkg:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _defined_private(tree: ast.AST) -> Set[str]:
    out: Set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
        elif isinstance(n, ast.Attribute) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.attr)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, ast.Call) and isinstance(n.func, (ast.Name, ast.Attribute)):
            # setattr(obj, "_x", v) / object.__setattr__(self, "_x", v)
            fname = n.func.id if isinstance(n.func, ast.Name) else n.func.attr
            if fname in ("setattr", "__setattr__") and len(n.args) >= 2:
                arg = n.args[1]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    out.add(arg.value)
        elif isinstance(n, ast.Assign):
            for t in n.targets:
                if isinstance(t, ast.Name) and t.id == "__slots__":
                    for c in ast.walk(n.value):
                        if isinstance(c, ast.Constant) and isinstance(c.value, str):
                            out.add(c.value)
    return {x for x in out if _private(x)}


def private_reads(root: Path) -> Iterator[str]:
    """Every private read (as above) in the package at ``root``, as
    ``path:line: what``."""
    package = root.name
    for path in sorted(root.rglob("*.py")):
        mod, is_pkg = _module_name(path, root)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        defined = _defined_private(tree)
        ours: Set[str] = set()  # names bound to the package's modules or their contents
        foreign: Set[str] = set()  # names bound to other libraries
        where = f"{path.relative_to(root.parent)}"
        for n in ast.walk(tree):
            if isinstance(n, ast.ImportFrom):
                src = _resolve(n, mod, is_pkg)
                mine = src == package or src.startswith(package + ".")
                for a in n.names:
                    (ours if mine else foreign).add(a.asname or a.name)
                    if mine and _private(a.name):
                        yield f"{where}:{n.lineno}: from {src} import {a.name}"
            elif isinstance(n, ast.Import):
                for a in n.names:
                    mine = a.name == package or a.name.startswith(package + ".")
                    (ours if mine else foreign).add(a.asname or a.name.split(".")[0])
        for n in ast.walk(tree):
            target = attr = None
            if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load) and _private(n.attr):
                target, attr = n.value, n.attr
            elif (
                isinstance(n, ast.Call)
                and isinstance(n.func, ast.Name)
                and n.func.id in ("getattr", "hasattr")
                and len(n.args) >= 2
                and isinstance(n.args[1], ast.Constant)
                and isinstance(n.args[1].value, str)
                and _private(n.args[1].value)
            ):
                target, attr = n.args[0], n.args[1].value
            if target is None:
                continue
            name = target.id if isinstance(target, ast.Name) else None
            if name in ("self", "cls"):
                continue
            if name in ours:
                yield f"{where}:{n.lineno}: {name}.{attr} (a private name of another module)"
            elif name in foreign:
                continue
            elif attr not in defined:
                yield f"{where}:{n.lineno}: .{attr} read on an object from another module"


def test_no_module_reads_another_modules_private_names():
    found = list(private_reads(PKG))
    assert not found, "private reads:\n" + "\n".join(found)


def test_private_scan_sees_each_kind_of_read(tmp_path):
    _make_package(
        tmp_path,
        "privpkg",
        {
            "__init__.py": "",
            "engine.py": """\
                class RuleSet:
                    def __init__(self):
                        self._clauses = []
                        self.clauses = ()

                    def count(self, other):
                        return len(other._clauses)   # same module: fine

                def _helper():
                    return 1
                """,
            "lint.py": """\
                from privpkg.engine import _helper
                from . import engine
                from .engine import RuleSet
                import yaml

                def lint(rules):
                    a = rules._clauses
                    b = engine._helper
                    c = getattr(rules, "_clauses")
                    d = RuleSet._private_class_thing
                    ok = rules.clauses, yaml._yaml, rules.__class__, rules._replace
                    return a, b, c, d, ok
                """,
            "clean.py": """\
                class Box:
                    def __init__(self):
                        self._inner = 1

                def peek(box):
                    return box._inner   # Box is defined here
                """,
        },
    )
    found = list(private_reads(tmp_path / "privpkg"))
    text = "\n".join(found)
    assert len(found) == 5, text
    assert "lint.py:1: from privpkg.engine import _helper" in text
    assert "lint.py:7: .rules" not in text and "lint.py:7: ._clauses read on an object" in text
    assert "lint.py:8: engine._helper" in text
    assert "lint.py:9: ._clauses read on an object" in text
    assert "lint.py:10: RuleSet._private_class_thing" in text
    assert "engine.py" not in text and "clean.py" not in text
