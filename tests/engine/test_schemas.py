"""The shipped JSON Schemas: valid draft 2020-12, up to date with their
generator, and they accept the bundled rule files."""

import glob
import importlib.util
import json
import os

import jsonschema
import pytest

from safetyrules.source.loader import load_yaml
from safetyrules.source.schema import KINDS, schema_for

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _generator():
    spec = importlib.util.spec_from_file_location("gen_schemas", os.path.join(REPO, "tools", "gen_schemas.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_valid_and_current(kind):
    jsonschema.Draft202012Validator.check_schema(schema_for(kind))
    gen = _generator()
    with open(os.path.join(REPO, "safetyrules", "source", "schemas", f"{kind}.json"), encoding="utf-8") as fh:
        assert fh.read() == gen.render(gen.schemas()[kind]), "run python tools/gen_schemas.py"


def test_bundled_files_conform():
    files = glob.glob(os.path.join(REPO, "standards", "**", "*.yaml"), recursive=True)
    assert files
    for f in files:
        with open(f, encoding="utf-8") as fh:
            doc = load_yaml(fh.read(), f)
        errors = list(jsonschema.Draft202012Validator(schema_for(doc.data["kind"])).iter_errors(doc.data))
        assert not errors, (f, errors[0].message)
