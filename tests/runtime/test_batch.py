"""``BatchStepper``: a batch of runs, one per row, each with its own hyperparameters.

* every run of a batch is a ``Stepper`` of that run's numbers, bit for bit, on every CPU
  backend and dtype, over random grids of any subset of the hyperparameters (a momentum 0 in
  one run and not in another included: the rule keeps the buffer);
* a batch of one run is the single-run kernel; values tied in the spec follow the varied one;
* bad grids and arrays are one-line errors naming the bad value.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optimizer_cases import (
    CPU_BACKENDS,
    DTYPES,
    examples,
    log_uniform,
    maybe_zero,
    optimizer,
    problem,
    run,
    to_numpy,
)

from wdtheory.core.errors import WdtheoryError
from wdtheory.runtime.batch import BatchStepper
from wdtheory.runtime.stepper import Stepper

pytestmark = pytest.mark.xdist_group("batch")

#: spec -> a strategy for one run's numbers of some of its hyperparameters
GRIDS = {
    "torch.sgd(lr=0.1)": st.fixed_dictionaries(
        {
            "momentum": maybe_zero(st.floats(0.1, 0.99)),
            "weight_decay": maybe_zero(log_uniform(1e-4, 1)),
        }
    ),
    "torch.sgd(lr=0.1, momentum=0.9, nesterov=true)": st.fixed_dictionaries(
        {"lr": log_uniform(1e-3, 1)}
    ),
    "torch.adamw(lr=0.01)": st.fixed_dictionaries(
        {
            "beta1": maybe_zero(st.floats(0.5, 0.99)),
            "weight_decay": maybe_zero(log_uniform(1e-4, 1)),
            "eps": log_uniform(1e-10, 1e-2),
        }
    ),
    "torch.adagrad(lr=0.1)": st.fixed_dictionaries(
        {
            "initial_accumulator_value": maybe_zero(log_uniform(1e-3, 1)),
            "lr_decay": maybe_zero(log_uniform(1e-4, 1e-1)),
        }
    ),
    "lion(lr=0.01, weight_decay=0.1)": st.fixed_dictionaries({"beta2": st.floats(0.5, 0.999)}),
}


def single_runs(
    spec: str, columns: dict[str, list[float]], backend: str, p0, grads, *, same_rule: bool = True
) -> list:
    """Each run alone: a Stepper of its numbers, of the batch's rule (the varied keys kept
    symbolic: ``varying``) or, with ``same_rule=False``, of the rule its numbers give (a
    momentum of 0 drops the buffer)."""
    rule = optimizer(spec).unbind(columns)
    varying = tuple(columns) if same_rule else ()
    runs = len(next(iter(columns.values())))
    return [
        run(
            Stepper(rule, backend, values={k: v[r] for k, v in columns.items()}, varying=varying),
            p0[r],
            [g[r] for g in grads],
        )
        for r in range(runs)
    ]


def batched(spec: str, columns: dict[str, list[float]], backend: str, p0, grads):
    batch = BatchStepper(optimizer(spec), columns, backend)
    params = np.array(p0)
    state = batch.init(params)
    for g in grads:
        params, state = batch.step(params, np.array(g), state)
    assert state.step == len(grads)
    return to_numpy(params), tuple(to_numpy(b) for b in state.buffers)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("spec", GRIDS)
def test_every_run_of_a_batch_is_a_stepper_of_its_numbers_bit_for_bit(spec, backend, dtype):
    """Bit for bit the single-run stepper of the same rule; to a few rounding units the stepper
    of the rule the run's own numbers give (which may drop a term, and so round differently)."""

    @settings(max_examples=examples(12))
    @given(st.lists(GRIDS[spec], min_size=1, max_size=4), st.integers(0, 2**16))
    def check(points, seed):
        columns = {key: [p[key] for p in points] for key in points[0]}
        p0, grads = problem(seed, (len(points), 7), dtype, steps=4)
        params, buffers = batched(spec, columns, backend, p0, grads)
        for r, (alone, alone_buffers) in enumerate(single_runs(spec, columns, backend, p0, grads)):
            np.testing.assert_array_equal(params[r], alone, err_msg=f"run {r} of {columns}")
            for b, a in zip(buffers, alone_buffers, strict=True):
                np.testing.assert_array_equal(b[r], a)
        simplified = single_runs(spec, columns, backend, p0, grads, same_rule=False)
        for r, (alone, _) in enumerate(simplified):
            scale = np.abs(alone).max() + 1
            tolerance = 8 * np.finfo(dtype).eps * scale
            np.testing.assert_allclose(params[r], alone, rtol=0, atol=tolerance)

    check()


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_a_batch_of_one_run_is_the_single_run_kernel(backend):
    p0, grads = problem(3, (1, 11), np.float64, steps=5)
    columns = {"weight_decay": [0.3]}
    params, _ = batched("torch.adamw(lr=0.01)", columns, backend, p0, grads)
    ((alone, _),) = single_runs("torch.adamw(lr=0.01)", columns, backend, p0, grads)
    np.testing.assert_array_equal(params[0], alone)


def test_a_value_tied_in_the_spec_follows_the_varied_one():
    """``dampening=mu``: the dampening of each run is that run's momentum."""
    spec = "torch.sgd(lr=0.1, momentum=mu, dampening=mu, weight_decay=0)"
    batch = BatchStepper(optimizer(spec, defaults=False), {"momentum": [0.2, 0.7]})
    column = list(batch.stepper.scalars).index(
        next(s for s in batch.stepper.scalars if s.name.startswith("tau"))
    )
    np.testing.assert_array_equal(batch.hyper[:, column], [0.2, 0.7])


def test_a_number_given_once_holds_in_every_run():
    batch = BatchStepper(
        optimizer("torch.adamw(lr=0.01)"), {"lr": 0.1, "weight_decay": [0.0, 0.5, 1.0]}
    )
    assert batch.runs == 3
    lr = list(batch.stepper.scalars).index(
        next(s for s in batch.stepper.scalars if s.name == "eta")
    )
    np.testing.assert_array_equal(batch.hyper[:, lr], [0.1, 0.1, 0.1])


def test_without_decay_zeroes_the_decay_of_every_run_and_nothing_else():
    batch = BatchStepper(optimizer("torch.adamw(lr=0.01)"), {"weight_decay": [0.1, 0.5]})
    free = batch.without_decay()
    changed = np.nonzero((free.hyper != batch.hyper).any(axis=0))[0]
    assert [batch.stepper.scalars[c].name for c in changed] == ["lambda"]
    assert (free.hyper[:, changed] == 0).all()


def test_initial_state_depends_on_each_runs_numbers():
    batch = BatchStepper(
        optimizer("torch.adagrad(lr=0.1)"), {"initial_accumulator_value": [0.0, 0.25]}
    )
    (buffer,) = batch.init(np.zeros((2, 3))).buffers
    np.testing.assert_array_equal(buffer, [[0.0] * 3, [0.25] * 3])


@pytest.mark.parametrize(
    ("values", "fragments"),
    [
        ({}, ["at least one varied hyperparameter"]),
        ({"weight_decay": []}, ["weight_decay", "non-empty"]),
        ({"weight_decay": [0.1, float("nan")]}, ["weight_decay", "finite", "nan"]),
        ({"weight_decay": [[0.1]]}, ["weight_decay", "1-D"]),
        ({"weight_decay": ["a"]}, ["weight_decay", "numbers"]),
        ({"weight_dacay": [0.1]}, ["weight_dacay", "weight_decay"]),
        ({"weight_decay": [0.1, 0.2], "lr": [0.1, 0.2, 0.3]}, ["one value per run", "lr: 3"]),
        ({"lr": [0.1, -0.1]}, ["lr", "-0.1"]),
        ({"beta1": [0.5, 1.0]}, ["beta1", "1.0"]),
    ],
)
def test_bad_values_are_one_line_errors(values, fragments):
    with pytest.raises(WdtheoryError) as info:
        BatchStepper(optimizer("torch.adamw(lr=0.01)"), values)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize("shape", [(3,), (2, 4), (3, 4, 1)], ids=str)
def test_params_must_have_one_row_per_run(shape):
    batch = BatchStepper(optimizer("torch.adamw(lr=0.01)"), {"weight_decay": [0.1, 0.2, 0.3]})
    with pytest.raises(WdtheoryError, match=r"shape \(runs, n\) = \(3, n\)"):
        batch.init(np.zeros(shape))


def test_nan_gradients_are_refused_by_a_validating_batch():
    batch = BatchStepper(optimizer("torch.sgd(lr=0.1)"), {"weight_decay": [0.1, 0.2]})
    params = np.zeros((2, 3))
    state = batch.init(params)
    with pytest.raises(WdtheoryError, match="NaN or infinity"):
        batch.step(params, np.array([[0.0, np.nan, 0.0], [0.0, 0.0, 0.0]]), state)


@pytest.mark.parametrize("eps", [[1e-8, 0.0], [0.0, 1e-8]])
def test_eps_zero_in_any_run_is_checked_after_each_step(eps):
    """All-zero gradients make 0/0 where eps = 0, in whichever run has it."""
    batch = BatchStepper(optimizer("torch.adam(lr=0.01)"), {"eps": eps})
    params = np.ones((2, 3))
    state = batch.init(params)
    with pytest.raises(WdtheoryError, match="NaN or infinite"):
        batch.step(params, np.zeros((2, 3)), state)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_rows_large_enough_for_the_parallel_kernel_are_stepped_by_it_bit_for_bit(dtype):
    spec, columns = (
        "torch.adamw(lr=0.01, amsgrad=true)",
        {"weight_decay": [0.0, 0.3]},
    )  # no other test's rule
    batch = BatchStepper(optimizer(spec), columns)
    n = batch.stepper.code.parallel_from[np.dtype(dtype).itemsize] + 5
    p0, grads = problem(7, (2, n), dtype, steps=3)
    params, buffers = batched(spec, columns, "numba", p0, grads)
    rule = batch.stepper.code.rule  # one per rule and process
    assert "numba_parallel" in vars(rule) and "numba_batched_parallel" not in vars(rule)
    for r, (alone, alone_buffers) in enumerate(single_runs(spec, columns, "numba", p0, grads)):
        np.testing.assert_array_equal(params[r], alone)
        for b, a in zip(buffers, alone_buffers, strict=True):
            np.testing.assert_array_equal(b[r], a)
