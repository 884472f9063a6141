"""Find and read rule files: a rules PATH → manifest and files → YAML documents.

The first stage of the pipeline (source → plan → backends → engine): nothing
here knows what a clause means; it resolves paths, reads bytes as UTF-8 and
hands YAML to :mod:`safetyrules.source.loader`.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import json
import os
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from safetyrules.errors import RuleFileError
from safetyrules.source.loader import Document, load_yaml
from safetyrules.source.model import Manifest

__all__ = [
    "RULE_FILE_SUFFIXES",
    "bundled_path",
    "bundled_manifests",
    "find_files",
    "is_policy_file",
    "policy_files",
    "read_rule_file",
    "expand_includes",
    "digest",
    "digest_groups",
    "byte_position",
    "allow_outside_includes",
]

RULE_FILE_SUFFIXES = (".yaml", ".yml")


def bundled_path() -> str:
    """The directory of the bundled rule set (installed with the package, or
    ``standards/`` beside the package in a source checkout)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    installed = os.path.join(here, "standards")
    if os.path.isfile(os.path.join(installed, "ruleset.yaml")):
        return installed
    return os.path.join(os.path.dirname(here), "standards")


def bundled_manifests() -> Dict[str, str]:
    """Id → manifest path of every rule set bundled with the package (the
    ``ruleset*.yaml`` manifests of :func:`bundled_path`): what ``extends:``
    may name."""
    out: Dict[str, str] = {}
    root = bundled_path()
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        full = os.path.join(root, name)
        if not (name.startswith("ruleset") and name.endswith(RULE_FILE_SUFFIXES) and os.path.isfile(full)):
            continue
        doc, errs = read_rule_file(full)
        data = doc.data if doc is not None else None
        if isinstance(data, dict) and data.get("kind") == "ruleset" and isinstance(data.get("id"), str):
            out.setdefault(data["id"], full)
    return out


def find_files(path: str, allow_outside: Optional[bool] = None) -> Tuple[Optional[str], List[str], List[RuleFileError]]:
    """Resolve a rules PATH → (manifest or None, rule files, errors).

    In a directory without a manifest, a file whose real path lies outside
    it (a symlink) is refused as an include would be (see
    :func:`expand_includes`), unless ``allow_outside``."""
    errors: List[RuleFileError] = []
    if allow_outside is None:
        allow_outside = _OUTSIDE_DEFAULT[0]
    if os.path.isdir(path):
        manifest = os.path.join(path, "ruleset.yaml")
        if os.path.isfile(manifest):
            return manifest, [], errors
        # A supervision policy (``kind: supervision-policy``, supervision.md
        # §8.0) may sit beside the rule files: it is no rule file, so the
        # walk leaves it out (``validate`` checks it as a policy).
        found = _walk_yaml(path)
        files = []
        root = os.path.realpath(path)
        trusted = os.path.realpath(bundled_path())
        for f in found:
            real = os.path.realpath(f)
            # as for a manifest's include: a symlink out of the directory
            # must not make the rule set read (and echo) any file
            if not allow_outside and not _inside(real, root) and not _inside(real, trusted):
                errors.append(RuleFileError(
                    f"{f} is a symlink to {real}, outside the rule set's directory",
                    path=f, code="E-INCLUDE", hint="pass --allow-outside-includes to trust it"))
                continue
            if not is_policy_file(f):
                files.append(f)
        if not files and not errors:
            what = "only supervision policies, no rule files (*.yaml)" if found else "no rule files (*.yaml)"
            errors.append(RuleFileError(f"{what} here", path=path, code="E-FILES"))
        return None, files, errors
    if os.path.isfile(path):
        return None, [path], errors
    errors.append(RuleFileError("no such file or directory", path=path, code="E-FILES", hint=_bundled_hint(path)))
    return None, [], errors


def _bundled_hint(path: str) -> Optional[str]:
    """For a rules PATH that does not exist: where the bundled rule set is,
    when PATH names it as ``extends:`` does (``cn.default.lec``) or as a
    source checkout lays it out (``standards/ruleset-lec.yaml``), neither of
    which a ``pip install`` puts in the working directory."""
    key = path.rstrip("/\\")
    manifests = bundled_manifests()
    if key in manifests:
        return f"'{key}' is the id of a bundled rule set, as extends: names it; its PATH is {manifests[key]}"
    parts = os.path.normpath(key).split(os.sep)
    if parts[0] == "standards":
        there = os.path.join(bundled_path(), *parts[1:])
        if os.path.exists(there):
            return f"the bundled rule set is installed at {bundled_path()}: {there}"
    return None


def _walk_yaml(path: str) -> List[str]:
    """The ``*.yaml`` / ``*.yml`` files below PATH, hidden ones left out (as
    an include's ``*.yaml`` leaves them out): ``.github/workflows/ci.yml`` or
    ``.pre-commit-config.yaml`` beside the rule files are no rule files."""
    out = []
    for dp, dn, fn in os.walk(path):
        dn[:] = [d for d in dn if not d.startswith(".")]
        out += [os.path.join(dp, f) for f in fn if f.endswith(RULE_FILE_SUFFIXES) and not f.startswith(".")]
    return sorted(out)


_POLICY_BLOCK = re.compile(r"""(?m)^["']?kind["']?[ \t]*:[ \t]*["']?supervision-policy["']?[ \t]*(#.*)?$""")
_POLICY_FLOW = re.compile(r"""^\s*\{\s*["']?kind["']?\s*:\s*["']?supervision-policy\b""")


def is_policy_file(path: str) -> bool:
    """Whether PATH is a ``kind: supervision-policy`` file (supervision.md
    §8.0), not a rule file; only its top level is read (the first MiB)."""
    if not path.endswith(RULE_FILE_SUFFIXES + (".json",)) or not os.path.isfile(path):
        return False
    try:
        with open(path, "rb") as fh:
            text = fh.read(1 << 20).decode("utf-8-sig", "replace")
    except OSError:
        return False
    if "supervision-policy" not in text:
        return False
    if path.endswith(".json") or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            # YAML flow style, or bad JSON: the top-level key decides
            return _POLICY_FLOW.search(text) is not None
        return isinstance(data, dict) and data.get("kind") == "supervision-policy"
    # block YAML: a top-level (unindented) kind: key
    return _POLICY_BLOCK.search(text) is not None


def policy_files(path: str) -> List[str]:
    """The supervision policies a rules directory PATH holds beside its rule
    files: what :func:`find_files` leaves out of a directory without a
    ``ruleset.yaml`` manifest (a manifest names its files; empty then)."""
    if not os.path.isdir(path) or os.path.isfile(os.path.join(path, "ruleset.yaml")):
        return []
    return [f for f in _walk_yaml(path) if is_policy_file(f)]


def read_rule_file(path: str) -> Tuple[Optional[Document], List[RuleFileError]]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        missing = isinstance(exc, FileNotFoundError)
        return None, [RuleFileError(f"cannot read file: {exc.strerror}", path=path, code="E-FILES",
                                    hint=_bundled_hint(path) if missing else None)]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = byte_position(raw, exc.start)
        return None, [RuleFileError(f"file is not UTF-8 (byte {exc.start}: 0x{raw[exc.start]:02x})", path=path, line=line, column=column, code="E-FILES")]
    try:
        return load_yaml(text, path), []
    except RuleFileError as err:
        return None, [err]



def digest(base: str, files: Sequence[str], manifest: Optional[str] = None) -> str:
    """sha256 over the manifest's bytes and each included file's path (relative
    to the manifest) and bytes, in sorted order (SPEC §4): independent of the
    install location, changed by any edit to the rules or the manifest."""
    h = hashlib.sha256()
    every = list(files) + ([manifest] if manifest is not None else [])
    for rel, full in sorted((os.path.relpath(f, base).replace(os.sep, "/"), f) for f in every):
        with open(full, "rb") as fh:
            data = fh.read()
        h.update(rel.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0" + data)
    return "sha256:" + h.hexdigest()


def digest_groups(groups: Iterable[Tuple[str, str, Sequence[str]]]) -> str:
    """The digest of a rule set made of several groups of files.

    Each group is ``(prefix, base, files)``: every file is named by
    ``prefix`` + its path relative to ``base``.  An overlay that
    ``extends:`` a bundled rule set uses the prefix ``extends/ID/`` for the
    base's manifest and files and ``""`` for its own, so the digest covers
    both and still does not depend on where either is installed.  With one
    group and an empty prefix this is :func:`digest`.
    """
    h = hashlib.sha256()
    named = []
    for prefix, base, files in groups:
        named += [(prefix + os.path.relpath(f, base).replace(os.sep, "/"), f) for f in files]
    for rel, full in sorted(named):
        with open(full, "rb") as fh:
            data = fh.read()
        h.update(rel.encode("utf-8") + b"\0" + str(len(data)).encode() + b"\0" + data)
    return "sha256:" + h.hexdigest()


def byte_position(raw: bytes, index: int) -> Tuple[int, int]:
    """1-based (line, column) of byte ``index`` of ``raw``; the column counts
    the characters before it on its line (undecodable bytes count one each)."""
    start = raw.rfind(b"\n", 0, index) + 1
    before = raw[start:index].decode("utf-8", errors="replace")
    return raw.count(b"\n", 0, index) + 1, len(before) + 1


#: A ``**`` walk visits at most this many directories (a rule set is tens).
MAX_WALK_DIRS = 10_000

_OUTSIDE_DEFAULT = [False]


def allow_outside_includes(flag: bool) -> None:
    """Set the process-wide default of ``expand_includes(allow_outside=None)``
    (the command line's ``--allow-outside-includes``)."""
    _OUTSIDE_DEFAULT[0] = bool(flag)


def expand_includes(
    manifest: Manifest,
    base: str,
    *,
    allow_outside: Optional[bool] = None,
    locs: Optional[Sequence[Any]] = None,
) -> Tuple[List[str], List[RuleFileError]]:
    """The rule files the manifest's ``include`` patterns name, in order.

    A match whose real path (symlinks resolved) lies outside ``base`` (and
    outside the bundled rule set, which ships with the package) is refused
    unless ``allow_outside`` (``None``: the default set by
    :func:`allow_outside_includes`): a rule set from elsewhere must not read
    (and echo in its errors) any file on the machine.  ``**`` walks
    directories without visiting one real directory twice, so symlink loops
    end.  ``locs`` are the positions of the patterns, for the errors.
    """
    files: List[str] = []
    errors: List[RuleFileError] = []
    if allow_outside is None:
        allow_outside = _OUTSIDE_DEFAULT[0]
    root = os.path.realpath(base)
    # the bundled rule set ships with the package: an overlay may name it
    trusted = os.path.realpath(bundled_path())
    for i, pattern in enumerate(manifest.include):
        loc = locs[i] if locs is not None and i < len(locs) else manifest.loc
        where: Dict[str, Any] = dict(path=manifest.path, line=loc.line, column=loc.column)
        matches, err = _glob(base, pattern)
        if err:
            errors.append(RuleFileError(f"include '{pattern}': {err}", code="E-FILES", **where))
        if not matches and not err:
            errors.append(RuleFileError(f"include '{pattern}' matches no file", code="E-FILES", **where))
        for m in matches:
            real = os.path.realpath(m)
            norm = os.path.normpath(m)
            # 'a/link/..' is not 'a' when link is a symlink: keep the text
            # that leads where the OS goes
            if os.path.realpath(norm) == real:
                m = norm
            if not allow_outside and not _inside(real, root) and not _inside(real, trusted):
                # the message names the path only, never the file's contents
                errors.append(
                    RuleFileError(
                        f"include '{pattern}' reaches {m}"
                        + (f" (a symlink to {real})" if os.path.abspath(m) != real else "")
                        + ", outside the rule set's directory",
                        code="E-INCLUDE",
                        hint="pass --allow-outside-includes to trust it",
                        **where,
                    )
                )
                continue
            if m not in files and os.path.abspath(m) != os.path.abspath(manifest.path):
                files.append(m)
    return files, errors


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def _glob(base: str, pattern: str) -> Tuple[List[str], Optional[str]]:
    """Files matching ``pattern`` (relative to ``base``; ``*``, ``?``,
    ``[...]`` within a name, ``**`` for any depth), sorted; a bounded walk.
    Names starting with ``.`` match only a pattern segment that does too."""
    parts = [p for p in pattern.replace("\\", "/").split("/") if p not in ("", ".")]
    if pattern.startswith("/"):
        start = os.sep
    else:
        start = base
    # the literal leading directories need no walk (and may hold '..')
    k = 0
    while k < len(parts) - 1 and not glob.has_magic(parts[k]):
        k += 1
    start = os.path.join(start, *parts[:k]) if k else start
    rest = parts[k:]
    if not rest:
        return [], None
    if not any(glob.has_magic(p) for p in rest):
        full = os.path.join(start, *rest)
        return ([full] if os.path.isfile(full) else []), None
    out: List[str] = []
    seen: set = set()
    budget = [MAX_WALK_DIRS]

    def walk(directory: str, i: int) -> Optional[str]:
        # an explicit stack would be no shorter: depth is bounded by the
        # real directories (each visited once per pattern position)
        key = (os.path.realpath(directory), i)
        if key in seen:
            return None
        seen.add(key)
        budget[0] -= 1
        if budget[0] < 0:
            return f"more than {MAX_WALK_DIRS} directories to search"
        seg = rest[i]
        last = i == len(rest) - 1
        try:
            with os.scandir(directory) as it:
                entries = sorted((e.name, e) for e in it)
        except OSError:
            return None
        if seg == "**":
            if last:
                return None
            err = walk(directory, i + 1)  # '**' as zero directories
            if err:
                return err
            for name, e in entries:
                if name.startswith(".") or not _is_dir(e):
                    continue
                err = walk(os.path.join(directory, name), i)
                if err:
                    return err
            return None
        for name, e in entries:
            if name.startswith(".") and not seg.startswith("."):
                continue
            if not fnmatch.fnmatchcase(name, seg):
                continue
            full = os.path.join(directory, name)
            if last:
                if _is_file(e):
                    out.append(full)
            elif _is_dir(e):
                err = walk(full, i + 1)
                if err:
                    return err
        return None

    stack_err = walk(start, 0) if os.path.isdir(start) else None
    return sorted(set(out)), stack_err


def _is_dir(entry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


