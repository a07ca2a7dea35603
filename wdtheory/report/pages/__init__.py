"""The report's pages, one module each, named after the file it writes.

A page is a function ``page(settings) -> Files`` that computes what it shows (through the
engines below the report layer) and lays it out as markdown with its plots. Add a page by
writing its module here and listing its function in :data:`PAGES`; the claims pages and the
derivation pages (one per loss and penalty) are assembled by :mod:`wdtheory.report.build`.
"""

from __future__ import annotations

from collections.abc import Callable

from wdtheory.report.pages import (
    classification,
    conventions,
    decay_sweeps,
    early_stopping,
    l1_vs_l2,
    lambda_sweep,
    modern_view,
    momentum_adam,
    optimizers,
    seed_experiment,
)
from wdtheory.report.settings import Files, Settings

__all__ = ["PAGES"]

#: the topic pages, longest computations first (so that two workers finish together)
PAGES: tuple[Callable[[Settings], Files], ...] = (
    classification.page,
    conventions.page,
    momentum_adam.page,
    decay_sweeps.page,
    modern_view.page,
    seed_experiment.page,
    lambda_sweep.page,
    l1_vs_l2.page,
    early_stopping.page,
    optimizers.page,
)
