"""Learning-rate schedules (:mod:`wdtheory.optim.schedules`): exact multipliers of step t that
equal torch's ``lr_scheduler`` and optax's schedule functions, step for step."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from optimizer_cases import examples

from wdtheory.core.errors import WdtheoryError
from wdtheory.optim import schedules as S

os.environ.setdefault("JAX_PLATFORMS", "cpu")
optax = pytest.importorskip("optax")

STEPS = 40
R = sp.Rational
lr_scheduler = torch.optim.lr_scheduler


def torch_multipliers(make, steps: int = STEPS) -> np.ndarray:
    """The learning rate of optimizer steps 1..steps under a scheduler stepped after each, with
    a base learning rate of 1 (so that the learning rate is the multiplier)."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=1.0)
    scheduler = make(optimizer)
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return np.array(rates), scheduler


def optax_multipliers(schedule, steps: int = STEPS) -> np.ndarray:
    """optax's schedule at the counts of steps 1..steps (count = t - 1)."""
    return np.array([float(schedule(k)) for k in range(steps)])


# --------------------------------------------------------------------------- torch


TORCH_CASES = {
    "ConstantLR": st.builds(
        lambda f, n: lambda o: lr_scheduler.ConstantLR(o, factor=f, total_iters=n),
        st.floats(0.05, 1.0),
        st.integers(1, 10),
    ),
    "StepLR": st.builds(
        lambda n, g: lambda o: lr_scheduler.StepLR(o, step_size=n, gamma=g),
        st.integers(1, 10),
        st.floats(0.1, 0.99),
    ),
    "ExponentialLR": st.builds(
        lambda g: lambda o: lr_scheduler.ExponentialLR(o, gamma=g), st.floats(0.8, 0.999)
    ),
    "MultiStepLR": st.builds(
        lambda ms, g: lambda o: lr_scheduler.MultiStepLR(o, milestones=ms, gamma=g),
        st.lists(st.integers(1, STEPS), min_size=1, max_size=4),
        st.floats(0.1, 0.9),
    ),
    "LinearLR": st.builds(
        lambda a, b, n: (
            lambda o: lr_scheduler.LinearLR(o, start_factor=a, end_factor=b, total_iters=n)
        ),
        st.floats(0.01, 1.0),
        st.floats(0.0, 1.0),
        st.integers(1, 30),
    ),
    "CosineAnnealingLR": st.builds(
        lambda n, m: lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=n, eta_min=m),
        st.integers(1, 30),
        st.floats(0.0, 0.5),
    ),
    "SequentialLR (warm-up, then cosine)": st.builds(
        lambda w, n, a: (
            lambda o: lr_scheduler.SequentialLR(
                o,
                [
                    lr_scheduler.LinearLR(o, start_factor=a, total_iters=w),
                    lr_scheduler.CosineAnnealingLR(o, T_max=n),
                ],
                milestones=[w],
            )
        ),
        st.integers(1, 10),
        st.integers(5, 30),
        st.floats(0.01, 0.5),
    ),
}


@pytest.mark.parametrize("name", TORCH_CASES)
@hsettings(max_examples=examples(8))
@given(data=st.data())
def test_a_torch_scheduler_read_into_a_schedule_gives_its_learning_rates(name, data):
    """Within torch's own rounding: its CosineAnnealingLR is a recursion, not the closed form."""
    make = data.draw(TORCH_CASES[name])
    rates, scheduler = torch_multipliers(make)
    np.testing.assert_allclose(S.from_torch(scheduler).values(STEPS), rates, rtol=1e-9, atol=1e-12)


def test_schedulers_that_run_user_code_are_refused_in_one_line():
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=1.0)
    with pytest.raises(WdtheoryError, match=r"^cannot read a LambdaLR: .*readable: ConstantLR"):
        S.from_torch(lr_scheduler.LambdaLR(optimizer, lambda k: 0.5))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), "CosineAnnealingLR: T_max=0"),
        (lambda o: lr_scheduler.LinearLR(o, total_iters=0), "LinearLR: total_iters=0"),
        (lambda o: lr_scheduler.StepLR(o, step_size=0), "StepLR: step_size=0"),
    ],
)
def test_a_torch_scheduler_it_cannot_read_is_refused_naming_torchs_argument(make, message):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    with pytest.raises(WdtheoryError, match=rf"^{re.escape(message)}: give a whole number"):
        S.from_torch(make(optimizer))


# --------------------------------------------------------------------------- optax


OPTAX_CASES = {
    "constant_schedule": (
        st.just(()),
        lambda _: (optax.constant_schedule(1.0), S.constant()),
    ),
    "linear_schedule": (
        st.tuples(st.floats(0, 1), st.floats(0, 1), st.integers(1, 30), st.integers(0, 10)),
        lambda p: (
            optax.linear_schedule(p[0], p[1], transition_steps=p[2], transition_begin=p[3]),
            S.linear(p[0], p[1], p[2], begin=p[3]),
        ),
    ),
    "cosine_decay_schedule": (
        st.tuples(st.integers(1, 30), st.floats(0, 0.5), st.sampled_from([1.0, 2.0, 0.5])),
        lambda p: (
            optax.cosine_decay_schedule(1.0, decay_steps=p[0], alpha=p[1], exponent=p[2]),
            S.cosine(p[0], floor=p[1], exponent=p[2]),
        ),
    ),
    "exponential_decay (staircase)": (
        st.tuples(st.integers(1, 10), st.floats(0.1, 0.99)),
        lambda p: (
            optax.exponential_decay(1.0, transition_steps=p[0], decay_rate=p[1], staircase=True),
            S.exponential(p[1], every=p[0]),
        ),
    ),
    "piecewise_constant_schedule": (
        st.lists(st.integers(0, STEPS), min_size=1, max_size=3, unique=True).map(sorted),
        # optax's docstring says a scale applies where b < count; its code (and torch's
        # MultiStepLR) from count b on, which is what the values show
        lambda bs: (
            optax.piecewise_constant_schedule(1.0, {b: 0.5 for b in bs}),
            S.piecewise(bs, [0.5] * len(bs)),
        ),
    ),
    "warmup_cosine_decay_schedule": (
        st.tuples(st.integers(1, 10), st.integers(1, 30), st.floats(0, 0.5), st.floats(0, 0.5)),
        lambda p: (
            optax.warmup_cosine_decay_schedule(
                p[2], 1.0, warmup_steps=p[0], decay_steps=p[0] + p[1], end_value=p[3]
            ),
            S.warmup_cosine(p[0], p[0] + p[1], start=p[2], end=p[3]),
        ),
    ),
}


@pytest.mark.parametrize("name", OPTAX_CASES)
@hsettings(max_examples=examples(8))
@given(data=st.data())
def test_an_optax_schedule_and_its_counterpart_give_the_same_multipliers(name, data):
    """optax computes in float32 (jax's default): to float32 rounding."""
    strategy, make = OPTAX_CASES[name]
    theirs, ours = make(data.draw(strategy))
    np.testing.assert_allclose(ours.values(STEPS), optax_multipliers(theirs), rtol=2e-6, atol=1e-7)


# --------------------------------------------------------------------------- exact values


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        (S.constant(R(1, 2), until=2), [R(1, 2), R(1, 2), 1, 1]),
        (S.exponential(R(1, 2), every=2), [1, 1, R(1, 2), R(1, 2)]),
        (S.linear(0, 1, 2), [0, R(1, 2), 1, 1]),
        (S.cosine(2), [1, R(1, 2), 0, 0]),
        (S.cosine(2, clip=False), [1, R(1, 2), 0, R(1, 2)]),
        (S.linear(0, 1, 2).then(S.cosine(2), after=2), [0, R(1, 2), 1, R(1, 2)]),
    ],
    ids=["constant", "exponential", "linear", "cosine", "cosine unclipped", "warm-up then cosine"],
)
def test_the_multipliers_are_exact_and_their_floats_are_those_numbers(schedule, expected):
    assert [schedule.at(t) for t in range(1, 5)] == [sp.sympify(e) for e in expected]
    np.testing.assert_allclose(schedule.values(4), [float(e) for e in expected], atol=1e-15)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: S.linear(0, 1, 0), "steps=0"),
        (lambda: S.cosine(10, floor=1.5), "floor=1.5"),
        (lambda: S.exponential(-0.5), "gamma=-0.5"),
        (lambda: S.piecewise([5, 2], [0.1, 0.1]), "increasing"),
        (lambda: S.join([S.constant()], [3]), "one boundary fewer"),
        (lambda: S.warmup_cosine(10, 5), "steps=5 must exceed warmup=10"),
        (lambda: S.constant().at(0), "counted from 1"),
        (lambda: S.linear(sp.Symbol("a"), 1, 3), "a schedule takes numbers"),
    ],
)
def test_bad_parameters_are_refused_in_one_line(make, fragment):
    with pytest.raises(WdtheoryError) as error:
        make()
    assert "\n" not in str(error.value) and fragment in str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("constant()", S.constant()),
        ("cosine(steps=100, floor=0.1)", S.cosine(100, floor=R(1, 10))),
        ("warmup_cosine(warmup=10, steps=100, end=0.1)", S.warmup_cosine(10, 100, end=R(1, 10))),
        (
            "piecewise(boundaries=(30, 60), scales=(0.1, 0.1))",
            S.piecewise([30, 60], [R(1, 10)] * 2),
        ),
        ("exponential(gamma=0.5, every=3)", S.exponential(R(1, 2), every=3)),
    ],
)
def test_a_schedule_spec_builds_the_schedule_it_names(text, expected):
    assert S.from_spec(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("cosin(steps=3)", "did you mean 'cosine'"),
        ("cosine(stepz=3)", "did you mean 'steps'"),
        ("cosine()", "missing 1 required"),
        ("linear(0, 1, 3)", "keyword arguments only"),
        ("cosine(steps=3.5)", "steps=3.5"),
        ("__import__('os')", "strings are not allowed"),
    ],
)
def test_a_bad_schedule_spec_is_one_line(text, fragment):
    with pytest.raises(WdtheoryError) as error:
        S.from_spec(text)
    assert "\n" not in str(error.value) and fragment in str(error.value), str(error.value)


@pytest.mark.parametrize(
    ("schedule", "length"),
    [
        (S.constant(), 0),
        (S.constant(0.5, until=10), 10),
        (S.piecewise([30, 60], [0.1, 0.1]), 60),
        (S.exponential(0.9), None),
        (S.linear(0.1, 1, 20, begin=5), 25),
        (S.cosine(100, floor=0.1), 100),
        (S.cosine(100, clip=False), None),
        (S.warmup_cosine(warmup=10, steps=100), 100),
    ],
    ids=lambda x: x.text if isinstance(x, S.Schedule) else str(x),
)
def test_a_schedules_length_is_where_its_multiplier_stops_changing(schedule, length):
    assert schedule.length == length
    if length is not None:
        values = schedule.values(length + 20)
        assert np.all(values[length:] == values[-1])
        if length > 0:
            assert values[length - 1] != values[-1]
