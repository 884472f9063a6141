"""Find and read rule files: a rules PATH → manifest and files → YAML documents.

The first stage of the pipeline (source → plan → backends → engine): nothing
here knows what a clause means; it resolves paths, reads bytes as UTF-8 and
hands YAML to :mod:`safetyrules.source.loader`.
"""

from __future__ import annotations

import glob
import hashlib
import os
from typing import List, Optional, Sequence, Tuple

from safetyrules.errors import RuleFileError
from safetyrules.source.loader import Document, load_yaml
from safetyrules.source.model import Manifest

__all__ = ["RULE_FILE_SUFFIXES", "bundled_path", "find_files", "read_rule_file", "expand_includes", "digest"]

RULE_FILE_SUFFIXES = (".yaml", ".yml")


def bundled_path() -> str:
    """The directory of the bundled rule set (installed with the package, or
    ``standards/`` beside the package in a source checkout)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    installed = os.path.join(here, "standards")
    if os.path.isfile(os.path.join(installed, "ruleset.yaml")):
        return installed
    return os.path.join(os.path.dirname(here), "standards")


def find_files(path: str) -> Tuple[Optional[str], List[str], List[RuleFileError]]:
    """Resolve a rules PATH → (manifest or None, rule files, errors)."""
    errors: List[RuleFileError] = []
    if os.path.isdir(path):
        manifest = os.path.join(path, "ruleset.yaml")
        if os.path.isfile(manifest):
            return manifest, [], errors
        files = sorted(
            os.path.join(dp, f)
            for dp, dn, fn in os.walk(path)
            for f in fn
            if f.endswith(RULE_FILE_SUFFIXES)
        )
        if not files:
            errors.append(RuleFileError("no rule files (*.yaml) here", path=path, code="E-FILES"))
        return None, files, errors
    if os.path.isfile(path):
        return None, [path], errors
    errors.append(RuleFileError("no such file or directory", path=path, code="E-FILES"))
    return None, [], errors


def read_rule_file(path: str) -> Tuple[Optional[Document], List[RuleFileError]]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        return None, [RuleFileError(f"cannot read file: {exc.strerror}", path=path, code="E-FILES")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [RuleFileError(f"file is not UTF-8 (byte {exc.start})", path=path, code="E-FILES")]
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


def expand_includes(manifest: Manifest, base: str) -> Tuple[List[str], List[RuleFileError]]:
    files: List[str] = []
    errors: List[RuleFileError] = []
    for pattern in manifest.include:
        matches = sorted(glob.glob(os.path.join(base, pattern), recursive=True))
        matches = [m for m in matches if os.path.isfile(m)]
        if not matches:
            errors.append(RuleFileError(f"include '{pattern}' matches no file", path=manifest.path, line=manifest.loc.line, column=manifest.loc.column, code="E-FILES"))
        for m in matches:
            m = os.path.normpath(m)
            if m not in files and os.path.abspath(m) != os.path.abspath(manifest.path):
                files.append(m)
    return files, errors


