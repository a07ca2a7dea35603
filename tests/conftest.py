"""Shared test configuration: hypothesis profiles, and the expensive fixtures shared by
several test modules.

``ci`` (the default) is bounded and derandomised so that the suite is fast and repeatable;
``thorough`` runs many more examples. Select with ``WDTHEORY_HYPOTHESIS_PROFILE=thorough``.
"""

import os

import pytest
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


@pytest.fixture(scope="session")
def claim_results():
    """The whole claims catalogue verified once per session, from a cold comparison cache, by
    claim id: the claims tests and the report test (its claims pages) share this one run."""
    from wdtheory.analysis.compare import forget_comparisons
    from wdtheory.claims import optimizer_checks
    from wdtheory.claims.catalogue import verify_all

    optimizer_checks.compared.cache_clear()
    forget_comparisons()
    return {r.claim.id: r for r in verify_all()}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test`` runs a worker per CPU, ``--dist loadgroup``) each test
    file stays on one worker, so that its module fixtures run once, and the files that read the
    session's catalogue run (``claim_results``) share one worker, so that it runs once.

    ``tryfirst``: xdist reads the groups in its own ``pytest_collection_modifyitems``, so they
    must be marked before it runs."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    reads_catalogue = {item.path for item in items if "claim_results" in item.fixturenames}
    for item in items:
        group = "catalogue" if item.path in reads_catalogue else str(item.path)
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture
def fresh_comparisons():
    """No comparison decided before in this process: a test of the time budget must see the
    engine search (a remembered verdict is answered at once, whatever the budget)."""
    from wdtheory.analysis.compare import forget_comparisons

    forget_comparisons()
