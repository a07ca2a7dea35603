"""Solving for maps between optimizers (:mod:`wdtheory.analysis.maps`): the conditions vanish for
the map that makes two rules step alike and not for another; a hyperparameter that would have to
vary with the step has no constant value; primed symbols round trip."""

from __future__ import annotations

import random

import pytest
import sympy as sp

from wdtheory.analysis.exact import is_zero
from wdtheory.analysis.maps import (
    _eliminate,
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
from wdtheory.optim.presets import CONSTRUCTIONS
from wdtheory.optim.roles import ROLES


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
    forced = forced_values(da, db, EPSILON, {}, random.Random(0))
    assert len(forced) == 2 and forced[0][1] != forced[1][1]


def test_a_hyperparameter_is_not_forced_to_vary_by_leaving_another_one_free():
    """torch and Keras SGD without momentum are the same rule: with B's weight decay at A's
    value, B's learning rate is forced to A's at every point (no proof of a varying value);
    left free, the weight decay would be a fresh random number at each point and the learning
    rate would seem to vary with it."""
    a, b = (
        Optimizer.from_spec("torch.sgd(momentum=0)", symbolic=True),
        Optimizer.from_spec("keras.sgd(momentum=0)", symbolic=True),
    )
    da, db = Dynamics(a), Dynamics(b, "_B")
    free = free_hyperparameters(a, b)
    assert set(free) == {ETA, LAMBDA}
    others = {LAMBDA: free[LAMBDA][1]}
    forced = forced_values(da, db, ETA, others, random.Random(0))
    assert [value for _, value in forced] == [point[ETA] for point, _ in forced]
    unpinned = forced_values(da, db, ETA, {}, random.Random(0))
    assert unpinned[0][1] != unpinned[1][1]  # what the comparison used to take for a proof


def test_torch_coupled_adam_maps_onto_optax_adam_after_add_decayed_weights():
    """The construction convert offers for coupled Adam in optax: the states match by name and
    the learning rate, decay and ε are solved back to torch's numbers."""
    (chain, *_) = CONSTRUCTIONS["optax"]
    a = Optimizer.from_spec("torch.adam(lr=1e-3, weight_decay=1e-4)")
    values = {key: ROLES[role].symbol for key, role in chain.params.items()}
    values |= {"b1": sp.Rational(9, 10), "b2": sp.Rational(999, 1000), "eps_root": sp.S.Zero}
    b = Optimizer(chain, values, {"decay": "coupled"})
    da, db = Dynamics(a), Dynamics(b, "_B")
    rng = random.Random(0)
    maps = solve_maps(da, db, free_hyperparameters(a, b), rng)
    (phi, hyper), *_ = maps
    assert all(is_zero(c, rng) for c in step_conditions(da, db, phi, hyper))
    assert phi == dict(identity_map(da, db))
    assert hyper == {
        ETA: a.values["lr"],
        LAMBDA: a.values["weight_decay"],
        EPSILON: a.values["eps"],
    }


def test_an_equation_the_values_found_so_far_satisfy_identically_keeps_the_branch():
    """SymPy's solve finds no solution of an identity (here (u + x)^2 written two ways): the
    elimination keeps the branch instead of taking the identity for a contradiction."""
    u, v = primed(ETA), primed(LAMBDA)
    x = sp.Symbol("x", real=True)
    identity = (u + x) ** 2 - sp.expand((u + x) ** 2)
    branches = _eliminate([identity, v - LAMBDA / 2], [u, v], {u: ETA, v: LAMBDA}, random.Random(0))
    assert branches == [{u: ETA, v: LAMBDA / 2}]


def test_a_value_sympy_solves_as_a_tuple_is_a_value():
    """SymPy's ``solve`` gives some solutions as 1-tuples (``(3*sqrt(1079)/100,)`` for ε' here):
    the value a proof says B's hyperparameter would need is the expression, not the tuple (the
    comparison crashed printing it; issue 15, item 6)."""
    from wdtheory.analysis.compare import compare
    from wdtheory.analysis.convert import _candidate

    source = Optimizer.from_spec(
        "adam(lr=eta, beta1=0.9, beta2=lam, eps=1, weight_decay=1e-3, penalty=l2)", symbolic=True
    )
    construction = next(d for d in CONSTRUCTIONS["keras"] if d.name.startswith("keras.adam"))
    comparison = compare(source, _candidate(source, construction), budget=60)
    assert primed(EPSILON) in {p.symbol for p in comparison.no_constant_value}
    for proof in comparison.no_constant_value:
        assert all(isinstance(v, sp.Expr) and v.is_number for v in proof.needed.values())
        assert "would have to be" in proof.sentence
