"""The conformance suite's fixtures: one local Spark session for the whole
test session (start-up costs 10-20 s).  Under ``CI=true`` (or
``SAFETYRULES_REQUIRE_SPARK=1``, which ``.ci/run`` sets) a Spark that cannot
start fails the run instead of skipping it."""

import pytest

import spark_session


@pytest.fixture(scope="session")
def spark():
    session = spark_session.start(" (pip install '.[test]' installs pyspark; Java 17 needed)")
    yield session
    session.stop()
