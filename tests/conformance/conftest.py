"""The conformance suite's fixtures: one local Spark session for the whole
test session (start-up costs 10-20 s).  Under ``CI=true`` (or
``SAFETYRULES_REQUIRE_SPARK=1``, which ``.ci/run`` sets) a Spark that cannot
start fails the run instead of skipping it."""

import os

import pytest


@pytest.fixture(scope="session")
def spark():
    try:
        from safetyrules.backends.spark import local_session

        session = local_session("local[2]")
    except Exception as exc:  # pragma: no cover - depends on the machine
        if os.environ.get("CI") or os.environ.get("SAFETYRULES_REQUIRE_SPARK"):
            pytest.fail(f"Spark must run in CI (pip install '.[test]' installs pyspark; Java 17 needed): {exc}")
        pytest.skip(f"no Spark here: {exc}")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
