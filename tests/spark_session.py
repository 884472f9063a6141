"""The local Spark session of the tests that run Spark (imported as
``spark_session``, the way ``cli_fork`` is): ``local_session("local[2]")``
with the log level at ERROR.  A Spark that cannot start skips the test, or
fails it under ``CI`` or ``SAFETYRULES_REQUIRE_SPARK`` (``.ci/run`` sets
it), so CI never passes without having run Spark."""

import os

import pytest


def active():
    """The Spark session already active in this process (None if none, or
    if pyspark cannot be imported)."""
    try:
        from pyspark.sql import SparkSession

        return SparkSession.getActiveSession()
    except Exception:  # pragma: no cover - depends on the machine
        return None


def start(hint=""):
    """``local_session("local[2]")`` (``getOrCreate``: the active session if
    there is one), or a skip/fail; ``hint`` is added to the CI failure."""
    try:
        from safetyrules.backends.spark import local_session

        session = local_session("local[2]")
    except Exception as exc:  # pragma: no cover - depends on the machine
        if os.environ.get("CI") or os.environ.get("SAFETYRULES_REQUIRE_SPARK"):
            pytest.fail(f"Spark must run in CI{hint}: {exc}")
        pytest.skip(f"no Spark here: {exc}")
    session.sparkContext.setLogLevel("ERROR")
    return session
