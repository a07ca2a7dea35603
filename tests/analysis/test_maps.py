"""Solving for maps between optimizers (:mod:`wdtheory.analysis.maps`): the conditions vanish for
the map that makes two rules step alike and not for another; a hyperparameter that would have to
vary with the step has no constant value; primed symbols round trip."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from wdtheory.analysis.exact import is_zero
from wdtheory.analysis.maps import (
    forced_values,
    free_hyperparameters,
    identity_map,
    primed,
    solve_maps,
    step_conditions,
    unprimed,
)
from wdtheory.core.notation import EPSILON, ETA, LAMBDA, MU
from wdtheory.optim.dynamics import Dynamics
from wdtheory.optim.optimizer import Optimizer


def aligned(a: str, b: str) -> tuple[Dynamics, Dynamics]:
    return Dynamics(Optimizer.from_spec(a, symbolic=True)), Dynamics(
        Optimizer.from_spec(b, symbolic=True), "_B"
    )


@pytest.mark.parametrize("symbol", [ETA, LAMBDA, EPSILON, MU])
def test_primed_symbols_round_trip_and_keep_their_assumptions(symbol):
    assert primed(symbol).name == symbol.name + "'"
    assert primed(symbol).assumptions0 == symbol.assumptions0
    assert unprimed(primed(symbol)) == symbol


def test_the_identity_map_makes_a_rule_agree_with_itself_and_a_wrong_one_does_not():
    da, db = aligned("torch.sgd(momentum=mu)", "torch.sgd(momentum=mu)")
    twins = identity_map(da, db)
    assert twins == {db.states[0]: da.states[0]}
    rng = random.Random(0)
    assert all(is_zero(c, rng) for c in step_conditions(da, db, twins, {}))
    doubled = {s: 2 * t for s, t in twins.items()}
    assert not all(is_zero(c, rng) for c in step_conditions(da, db, doubled, {}))


def test_keras_velocity_is_solved_as_minus_eta_times_the_torch_buffer():
    da, db = aligned(
        "torch.sgd(momentum=mu, dampening=0, weight_decay=0)",
        "keras.sgd(momentum=mu, weight_decay=0)",
    )
    rng = random.Random(0)
    maps = solve_maps(da, db, {}, rng)
    proved = [
        phi
        for phi, hyper in maps
        if all(is_zero(c, rng) for c in step_conditions(da, db, phi, hyper))
    ]
    assert proved and sp.simplify(proved[0][db.states[0]] + ETA * da.states[0]) == 0


def test_epsilon_between_keras_and_torch_adam_would_have_to_vary_with_the_step():
    a, b = (
        Optimizer.from_spec("torch.adam(weight_decay=0)", symbolic=True),
        Optimizer.from_spec("keras.adam(weight_decay=0)", symbolic=True),
    )
    da, db = Dynamics(a), Dynamics(b, "_B")
    assert EPSILON in free_hyperparameters(a, b)
    forced = forced_values(da, db, EPSILON, random.Random(0))
    assert len(forced) == 2 and forced[0][1] != forced[1][1]
