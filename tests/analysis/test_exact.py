"""Exact arithmetic for the comparisons (:mod:`wdtheory.analysis.exact`): random exact values
respect assumptions, the zero test proves identities and refutes non-identities, counterexample
points make an expression nonzero, and tidy forms equal what they tidy."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from wdtheory.analysis.exact import (
    DECAYS,
    counterexample_point,
    defined,
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


@pytest.mark.parametrize(
    "expr",
    [
        sp.sqrt(1 / (1 - BETA_2)) * sp.sqrt(1 - BETA_2) * ETA * GRAD,
        sp.sqrt(1 / (1 - BETA_2**STEP)) * sp.sqrt(1 - BETA_2**STEP) * ETA * GRAD,
        sp.sqrt(1 / (1 - sp.Rational(999, 1000) ** STEP))
        * sp.sqrt(1 - sp.Rational(999, 1000) ** STEP)
        * ETA
        * GRAD,
    ],
)
def test_what_only_a_decay_below_one_cancels_is_proved_and_tidied(expr):
    """sqrt(1/(1 - b)) sqrt(1 - b) = 1 needs b < 1 (and 1 - b^t > 0 needs t >= 1), which a
    nonnegative symbol does not say: both the zero test and tidy write decays as 1 - q, q > 0."""
    assert sp.simplify(expr - ETA * GRAD) != 0  # SymPy alone cannot tell
    assert is_zero(expr - ETA * GRAD, random.Random(1))
    assert tidy(expr) == ETA * GRAD


def test_a_decay_is_not_assumed_below_one_where_it_changes_the_answer():
    """Only decays are rewritten: the same form in a learning rate, which may exceed 1 (where it
    is -1, not 1), is not proved 1, though it is 1 at every sample below 1."""
    expr = sp.sqrt(1 / (1 - ETA)) * sp.sqrt(1 - ETA) - 1
    assert not nonzero_somewhere(expr, random.Random(1))
    assert not is_zero(expr, random.Random(1))


def test_an_expression_undefined_at_every_point_is_neither_nonzero_nor_a_counterexample():
    """0/0 (Adam's step with eps = 0 at a zero second moment) proves nothing either way."""
    zero = sp.expand((x + 1) ** 2) - (x + 1) ** 2  # 0, but not written as 0
    undefined = sp.Mul(zero, sp.Pow(zero, -1), evaluate=False)
    assert not defined(undefined.xreplace({x: sp.Rational(1, 3)}))
    assert not nonzero_somewhere(undefined, random.Random(0))
    assert counterexample_point(undefined, random.Random(0)) is None


def test_only_the_decay_roles_are_taken_to_lie_below_one():
    """A symbol a user names ``beta_lr`` is not a decay: its range is the user's assumption."""
    assert {s.name for s in DECAYS} == {"beta_1", "beta_2", "alpha"}
    named = sp.Symbol("beta_lr", nonnegative=True)
    expr = sp.sqrt(1 / (1 - named)) * sp.sqrt(1 - named) - 1
    assert not is_zero(expr, random.Random(1))
