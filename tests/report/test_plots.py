"""The report's plots (:mod:`wdtheory.report.plots`), drawn from small made-up results: every
axis labelled, a legend wherever several curves are labelled, corresponding curves in one
colour, mathtext that renders. (That the same inputs give the same bytes is checked on the whole
report: the committed ``reports/`` must be what the code writes.)"""

from __future__ import annotations

import numpy as np
import pytest

from wdtheory.numeric.experiments import DecayPaths, DigitsRun, SeedRun, SparsePaths
from wdtheory.report import plots

RNG = np.random.default_rng(0)
LAMBDAS = np.array([0.01, 0.1, 1.0])


def positive(*shape: int) -> np.ndarray:
    return RNG.uniform(0.1, 1.0, shape)


SEED_RUN = SeedRun(LAMBDAS, positive(4, 3, 6), positive(4, 3, 6), positive(4, 3, 6), 0.0)
SPARSE = SparsePaths(LAMBDAS, np.array([1.0, 0.0, 2.0]), positive(3, 3), positive(3, 3))
DIGITS = {name: DigitsRun(LAMBDAS, positive(3), positive(3), positive(3)) for name in "ab"}
DECAY = [DecayPaths(name, positive(20), positive(3), positive(3), positive(3)) for name in "ab"]
FILTERS = (np.geomspace(1e-2, 1, 10), positive(2, 10), positive(2, 10), [10, 100], [1.0, 0.1])
EQUILIBRIUM = (
    {"SGD": positive(100), "AdamW": positive(100)},
    {"SGD": positive(100), "AdamW": positive(100)},
    {"SGD": (0.5, 0.1), "AdamW": (0.4, 0.2)},
)
DRAWINGS = {
    "seed curves": lambda: plots.seed_curves_plot(SEED_RUN),
    "lambda sweep": lambda: plots.lambda_sweep_plot(
        LAMBDAS, positive(4, 3), positive(4, 3), best=0.1
    ),
    "decay sweep": lambda: plots.decay_sweep_plot(
        [
            (
                "a",
                [("L2", LAMBDAS, positive(3), 0, "-"), ("decoupled", LAMBDAS, positive(3), 1, "-")],
            ),
            (
                "b",
                [
                    ("decoupled", LAMBDAS, positive(3), 1, "-"),
                    ("λ_eff", LAMBDAS, positive(3), 1, "--"),
                ],
            ),
        ]
    ),
    "sparse paths": lambda: plots.sparse_paths_plot(SPARSE),
    "digits": lambda: plots.digits_plot(DIGITS),
    "decay paths": lambda: plots.decay_paths_plot(DECAY),
    "filters": lambda: plots.filters_plot(*FILTERS),
    "equilibrium": lambda: plots.equilibrium_plot(*EQUILIBRIUM),
}


@pytest.fixture
def drawn(monkeypatch):
    """The figures the plot functions draw, kept as they are saved."""
    figures = []
    real = plots._png

    def keep(figure):
        figures.append(figure)
        return real(figure)  # renders: a mathtext error would raise here

    monkeypatch.setattr(plots, "_png", keep)
    return figures


@pytest.mark.parametrize("name", DRAWINGS)
def test_every_axis_is_labelled_and_several_curves_have_a_legend(drawn, name):
    png = DRAWINGS[name]()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    (figure,) = drawn
    for axis in figure.axes:
        assert axis.get_xlabel() and axis.get_ylabel(), name
        labelled = [a for a in axis.get_lines() if not a.get_label().startswith("_")]
        if len(labelled) > 1:
            assert axis.get_legend() is not None, name


def test_early_stopping_and_the_ridge_it_matches_share_a_colour(drawn):
    DRAWINGS["filters"]()
    lines = drawn[0].axes[0].get_lines()
    gd = [line for line in lines if line.get_label().startswith("gradient descent")]
    ridge = [line for line in lines if line.get_label().startswith("ridge")]
    assert [line.get_color() for line in gd] == [line.get_color() for line in ridge]
    assert len({line.get_color() for line in gd}) == len(gd)
    assert {line.get_linestyle() for line in gd} != {line.get_linestyle() for line in ridge}


def test_symbols_are_mathtext_not_literal_underscores(drawn):
    DRAWINGS["decay paths"]()
    assert "w_L2" not in drawn[0].axes[0].get_ylabel()
    assert drawn[0].axes[0].get_ylabel().startswith("$")
