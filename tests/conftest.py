"""Shared test settings: Hypothesis profiles.

The "ci" profile (chosen automatically when CI=true) is derandomised and has no deadline, so a
run on a loaded machine neither flakes on timing nor finds a different example each time.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
