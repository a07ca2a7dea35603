"""The early-stopping page: gradient descent's spectral filter beside ridge's."""

from __future__ import annotations

import numpy as np

from wdtheory.numeric.experiments import spectral_filters
from wdtheory.report import plots
from wdtheory.report.settings import Files, Settings

__all__ = ["page"]


def page(settings: Settings) -> Files:
    curvatures = np.geomspace(1e-3, 10, 200)
    steps, lambdas = [10, 100, 1000], [0.1, 0.01, 0.001]
    gd, ridge = spectral_filters(curvatures, lr=0.1, steps=steps, lambdas=lambdas)
    lines = [
        "# Early stopping against ridge: two spectral filters",
        "",
        "Along a singular direction of curvature a = s²/n, gradient descent from 0 with learning rate η keeps the "
        "fraction 1 − (1 − ηa)ᵏ of the least-squares component after k steps (derived by unrolling the "
        "optimizer on a/2 (w − w_min)², see the claim `early-stopping-filter`), while ridge keeps a/(a + λ). With "
        "η = 0.1 and λ = 1/(ηk) the two filters have the same shape: both pass large curvatures and suppress "
        "small ones.",
        "",
        "![filters](early-stopping.png)",
    ]
    return {
        "early-stopping.md": "\n".join(lines) + "\n",
        "early-stopping.png": plots.filters_plot(curvatures, gd, ridge, steps, lambdas),
    }
