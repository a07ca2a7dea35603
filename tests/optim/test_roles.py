"""The roles of hyperparameters (:mod:`wdtheory.optim.roles`): each role's symbol comes from the
notation, and its range is checked exactly and after rounding to a float."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from wdtheory.core import notation
from wdtheory.core.errors import WdtheoryError
from wdtheory.optim.presets import OPTIMIZERS
from wdtheory.optim.roles import MAPPABLE_ROLES, ROLES

SHARED = {getattr(notation, name) for name in notation.__all__}


@pytest.mark.parametrize("role", list(ROLES))
def test_every_role_symbol_is_a_notation_symbol_and_distinct(role):
    assert ROLES[role].symbol in SHARED
    assert [r.symbol for r in ROLES.values()].count(ROLES[role].symbol) == 1


def test_every_preset_parameter_plays_a_known_role_and_the_mappable_ones_exist():
    assert {role for d in OPTIMIZERS.values() for role in d.params.values()} <= set(ROLES)
    assert set(MAPPABLE_ROLES) <= set(ROLES)


@pytest.mark.parametrize("role", list(ROLES))
def test_the_ends_of_the_range_are_accepted_or_refused_as_the_interval_says(role):
    r = ROLES[role]
    if r.closed_low:
        assert float(r.check("x", r.low)) == r.low
    else:  # the loss scale: > 0
        with pytest.raises(WdtheoryError, match=r"x=.* is out of range; allowed: > "):
            r.check("x", r.low)
        assert r.check("x", r.low + sp.Rational(1, 10**6)) > r.low
    with pytest.raises(WdtheoryError, match=r"x=.* is out of range; allowed: "):
        r.check("x", r.low - sp.Rational(1, 10**6))
    if math.isfinite(r.high):
        if r.closed_high:
            assert float(r.check("x", r.high)) == r.high
        else:
            with pytest.raises(WdtheoryError, match="out of range"):
                r.check("x", r.high)


@pytest.mark.parametrize("role", list(ROLES))
def test_a_symbol_passes_the_range_check_as_it_is(role):
    symbol = sp.Symbol("q", real=True)
    assert ROLES[role].check("x", symbol) is symbol


def test_a_value_that_rounds_out_of_its_range_is_refused_as_a_float():
    just_below_one = 1 - sp.Rational(1, 10**20)
    assert ROLES["beta2"].check("beta2", just_below_one) == just_below_one  # exact: inside
    with pytest.raises(WdtheoryError, match=r"beta2=.* is 1.0 in floating point, out of range"):
        ROLES["beta2"].to_float("beta2", just_below_one)
    assert ROLES["beta2"].to_float("beta2", sp.Rational(999, 1000)) == 0.999
