"""Hypothesis profiles.

``ci`` (selected when the environment variable ``CI`` is set): derandomised,
no deadline, 400 examples per property (tests that are expensive per example
set their own smaller ``max_examples``), so the whole suite stays within
CI's time on 2 cores.  ``dev`` (the default) runs fewer, for a quick local loop.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=400,
    print_blob=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
