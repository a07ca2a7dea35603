"""Shared test configuration: hypothesis profiles.

``ci`` (the default) is bounded and derandomised so that the suite is fast and repeatable;
``thorough`` runs many more examples. Select with ``WDTHEORY_HYPOTHESIS_PROFILE=thorough``.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("WDTHEORY_HYPOTHESIS_PROFILE", "ci"))
