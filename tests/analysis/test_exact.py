"""Exact arithmetic for the comparisons (:mod:`wdtheory.analysis.exact`): random exact values
respect assumptions, the zero test proves identities and refutes non-identities, counterexample
points make an expression nonzero, and tidy forms equal what they tidy."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from wdtheory.analysis.exact import (
    counterexample_point,
    is_zero,
    nonzero_somewhere,
    random_value,
    tidy,
)
from wdtheory.core.notation import BETA_2, ETA, GRAD, STEP

x = sp.Symbol("x", real=True)
#: a gradient of the unrolled trajectories: counterexamples give it either sign
g_1 = sp.Symbol("g_1", real=True)


@pytest.mark.parametrize("symbol", [STEP, ETA, BETA_2, x])
def test_random_values_respect_the_assumptions(symbol):
    rng = random.Random(0)
    for _ in range(50):
        value = random_value(symbol, rng)
        assert value.is_Rational
        if symbol.is_integer:
            assert value.is_Integer and 2 <= value <= 6
        else:
            assert 0 < abs(value) < 1
        if symbol.is_nonnegative:
            assert value > 0


@pytest.mark.parametrize(
    "identity",
    [
        sp.sqrt(x**2) - sp.Abs(x),
        ETA * (1 - BETA_2**STEP) - ETA + ETA * BETA_2**STEP,
        sp.sign(x) * sp.Abs(x) - x,
    ],
)
def test_identities_are_zero(identity):
    assert is_zero(identity, random.Random(0))
    assert not nonzero_somewhere(identity, random.Random(0))


@pytest.mark.parametrize("expr", [g_1 - sp.Abs(g_1), ETA * g_1, sp.sqrt(g_1**2) + g_1 * x])
def test_a_non_identity_is_not_zero_and_a_counterexample_shows_it(expr):
    assert not is_zero(expr, random.Random(0))
    point, value = counterexample_point(expr, random.Random(0))
    assert value != 0 and expr.xreplace(point) == value
    assert set(point) == expr.free_symbols
    # hyperparameters (anything but the start and the gradients) get positive values
    assert all(point[s] > 0 for s in point if s != g_1)


def test_tidy_cancels_what_only_a_decay_below_one_allows():
    """sqrt(1/(1 - b)) sqrt(1 - b) = 1 needs b < 1, which a nonnegative symbol does not say: the
    zero test cannot prove it, tidy writes it through 1 - b > 0."""
    expr = sp.sqrt(1 / (1 - BETA_2)) * sp.sqrt(1 - BETA_2) * ETA * GRAD
    assert not is_zero(expr - ETA * GRAD, random.Random(1))
    assert not nonzero_somewhere(expr - ETA * GRAD, random.Random(1))  # but it is 0 at samples
    assert tidy(expr) == ETA * GRAD
