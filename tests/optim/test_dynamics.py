"""``Dynamics``: one-step maps with values substituted, and lazily unrolled trajectories."""

from __future__ import annotations

import itertools

import pytest
import sympy as sp

from wdtheory.core.notation import GRAD, PARAM, SCHEDULE, STEP
from wdtheory.optim.dynamics import (
    CURVATURE,
    MINIMUM,
    Dynamics,
    free_gradients,
    quadratic_gradients,
)
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import ROLES

ETA, LAM = ROLES["lr"].symbol, ROLES["weight_decay"].symbol
W0 = sp.Symbol("w_0", real=True)


def dynamics(spec: str, **kwargs) -> Dynamics:
    return Dynamics(Optimizer.from_spec(spec, symbolic=True), **kwargs)


@pytest.mark.parametrize("spec", ["torch.sgd(momentum=0)", "sgdw(momentum=0)"])
def test_zero_gradient_decays_geometrically(spec):
    steps = dynamics(spec).trajectory(lambda k, w: sp.S.Zero)
    for k, w in enumerate(itertools.islice(steps, 6), start=1):
        assert sp.simplify(w - (1 - ETA * LAM) ** k * W0) == 0


def test_zero_gradient_with_numbers_is_exact():
    steps = dynamics("torch.sgd(lr=0.1, momentum=0, weight_decay=0.5)").trajectory(
        lambda k, w: sp.S.Zero, start=sp.Integer(2)
    )
    assert list(itertools.islice(steps, 3)) == [2 * sp.Rational(19, 20) ** k for k in (1, 2, 3)]


def test_free_gradients_are_new_symbols_each_step():
    steps = dynamics("torch.sgd(momentum=0, weight_decay=0)").trajectory(free_gradients)
    w1, w2 = itertools.islice(steps, 2)
    g1, g2 = sp.Symbol("g_1", real=True), sp.Symbol("g_2", real=True)
    assert sp.expand(w1 - (W0 - ETA * g1)) == 0
    assert sp.expand(w2 - (W0 - ETA * g1 - ETA * g2)) == 0


def test_quadratic_gradients_contract_towards_the_shrunken_minimum():
    """g = a(w - c) + λw: w_k = w* + (1 - η(a + λ))^k (w_0 - w*) with w* = ac/(a + λ)."""
    steps = dynamics("torch.sgd(momentum=0)").trajectory(quadratic_gradients)
    a, c = CURVATURE, MINIMUM
    star = a * c / (a + LAM)
    for k, w in enumerate(itertools.islice(steps, 4), start=1):
        assert sp.simplify(w - (star + (1 - ETA * (a + LAM)) ** k * (W0 - star))) == 0


def test_quadratic_gradient_helper():
    assert quadratic_gradients(3, PARAM) == CURVATURE * (PARAM - MINIMUM)
    assert free_gradients(3, PARAM) == sp.Symbol("g_3", real=True)


def test_momentum_first_step_copies_the_gradient():
    d = dynamics("torch.sgd(momentum=mu, dampening=tau, weight_decay=0)")
    (b,) = d.states
    mu, tau = (d.optimizer.values[k] for k in ("momentum", "dampening"))
    assert sp.expand(d.step_map(first=True)[b] - GRAD) == 0
    assert sp.expand(d.step_map()[b] - (mu * b + (1 - tau) * GRAD)) == 0
    # without a first-step rule the two maps are the same
    adam = dynamics("torch.adam")
    assert adam.step_map(first=True) == adam.step_map()


def test_heavy_ball_trajectory_from_the_maps():
    d = dynamics("torch.sgd(lr=0.5, momentum=0.5, dampening=0, weight_decay=0)")
    w1, w2, w3 = itertools.islice(d.trajectory(lambda k, w: sp.S.One), 3)
    # buffers 1, 1.5, 1.75 (first step copies g = 1)
    assert (w1, w2, w3) == (W0 - sp.Rational(1, 2), W0 - sp.Rational(5, 4), W0 - sp.Rational(17, 8))


def test_suffix_renames_the_states_only():
    d = dynamics("torch.adam", suffix="_B")
    assert [s.name for s in d.states] == ["m_B", "v_B"]
    assert set(d.step_map()) == {PARAM, *d.states}
    assert all(s in d.initial for s in d.states)


def test_initial_state_takes_the_values():
    d = dynamics("torch.adagrad(initial_accumulator_value=0.25)")
    assert list(d.initial.values()) == [sp.Rational(1, 4)]


@pytest.mark.parametrize(
    "spec", ["torch.sgd(momentum=0)", "torch.adamw", "sgdw(momentum=mu, decay=independent)"]
)
def test_a_scheduled_optimizer_multiplies_every_learning_rate_by_the_schedule(spec):
    optimizer = Optimizer.from_spec(spec, symbolic=True)
    for first in (False, True):
        plain = Dynamics(optimizer).step_map(first)
        scheduled = Dynamics(optimizer.scheduled()).step_map(first)
        assert set(scheduled) == set(plain)
        for target, value in plain.items():
            assert sp.expand(scheduled[target] - value.xreplace({ETA: ETA * SCHEDULE})) == 0
        assert SCHEDULE not in plain[PARAM].free_symbols


def test_adam_step_depends_on_the_step_count():
    assert STEP in dynamics("torch.adam").step_map()[PARAM].free_symbols


@pytest.mark.parametrize(
    ("spec", "linear"),
    [
        ("torch.sgd(momentum=0)", True),  # no states at all
        ("torch.sgd(momentum=mu)", True),
        ("keras.sgd(momentum=mu)", True),
        ("sgdw(momentum=mu, nesterov=true)", True),
        ("torch.adam", False),
        ("torch.rmsprop", False),
        ("torch.adagrad", False),
        ("lion", False),
        ("torch.adam(amsgrad=true)", False),
    ],
)
def test_linear_in_states(spec, linear):
    assert dynamics(spec).linear_in_states is linear
