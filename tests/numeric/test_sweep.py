"""``sweep``: one optimizer over a grid of hyperparameters and seeds, in one fused run.

* every run of a sweep is a single-run ``Stepper`` trained alone on its seed's data, initial
  weights and minibatch order, with gradients computed here from the model (round-off: the
  sums run in another order), property-tested over random grids, seeds, batch sizes and
  schedules, for each loss;
* the fused kernel and the batch stepper's backends agree to round-off;
* the d2l seed experiment is a sweep of ``torch.sgd``;
* bad grids get one-line errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optimizer_cases import examples

from wdtheory.core.errors import WdtheoryError
from wdtheory.numeric.experiments import minibatch_order, seed_experiment
from wdtheory.numeric.sweep import RECORDS, Sweep, sweep
from wdtheory.numeric.tasks import make_task
from wdtheory.optim import schedules
from wdtheory.optim.optimizer import Optimizer
from wdtheory.runtime.stepper import Stepper

pytestmark = pytest.mark.xdist_group("sweep")

#: the rules and grids the property tests draw from (few, as each compiles a training kernel)
RULES = {
    "torch.sgd(lr=0.05)": {"momentum": st.floats(0.0, 0.95), "weight_decay": st.floats(0.0, 2.0)},
    "torch.adamw(lr=0.01)": {"beta1": st.floats(0.0, 0.95), "weight_decay": st.floats(0.0, 2.0)},
}
LOSSES = ("squared_error", "logistic", "softmax")


def deltas(loss: str, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dℓ/dz for outputs z (rows, K), written here from the losses' definitions."""
    if loss == "squared_error":
        return z - y[:, None]
    if loss == "logistic":
        return 1 / (1 + np.exp(-z)) - y[:, None]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return p - np.eye(z.shape[1])[y.astype(int)]


def mean_loss(loss: str, z: np.ndarray, y: np.ndarray) -> float:
    if loss == "squared_error":
        return float(np.mean(0.5 * (z[:, 0] - y) ** 2))
    if loss == "logistic":
        return float(np.mean(np.logaddexp(0, z[:, 0]) - y * z[:, 0]))
    top = z.max(axis=1)
    return float(
        np.mean(
            top + np.log(np.exp(z - top[:, None]).sum(axis=1)) - z[np.arange(len(y)), y.astype(int)]
        )
    )


def train_alone(spec, point, problem, seeds, seed_index, epochs, batch, multipliers=None):
    """One run of the sweep, trained by Steppers (the weights with the point's numbers, the bias
    with weight decay 0) on gradients computed here."""
    task = make_task(problem, seeds, 0)
    K, d = task.outputs, task.features
    opt = Optimizer.from_spec(spec)
    varying = (*point, "weight_decay")
    decay = point.get(
        "weight_decay",
        0.0 if opt.values["weight_decay"] == 0 else float(opt.values["weight_decay"]),
    )
    if multipliers is not None:
        opt = opt.scheduled()
    rule = opt.unbind(varying)
    weights = Stepper(rule, "numpy", values={**point, "weight_decay": decay}, varying=varying)
    bias = Stepper(rule, "numpy", values={**point, "weight_decay": 0.0}, varying=varying)
    params = task.init[seed_index].copy()
    W, b = params[: K * d].copy(), params[K * d :].copy()
    states = weights.init(W), bias.init(b)
    X, y = task.X_train[seed_index], task.y_train[seed_index]
    order = minibatch_order(seeds, epochs, 0, rows=task.n_train)[:, seed_index]
    t = 0
    for epoch in range(epochs):
        for start in range(0, task.n_train, batch):
            rows = order[epoch, start : start + batch]
            z = X[rows] @ W.reshape(K, d).T + b
            delta = deltas(problem, z, y[rows])
            schedule = 1.0 if multipliers is None else float(multipliers[t])
            W, s0 = weights.step(
                W, (delta.T @ X[rows]).ravel() / len(rows), states[0], schedule=schedule
            )
            b, s1 = bias.step(b, delta.mean(axis=0), states[1], schedule=schedule)
            states = s0, s1
            t += 1
    z_val = task.X_val[seed_index] @ W.reshape(K, d).T + b
    return np.concatenate([W, b]), mean_loss(problem, z_val, task.y_val[seed_index])


@pytest.mark.parametrize("problem", LOSSES)
@pytest.mark.parametrize("spec", RULES)
def test_every_run_of_a_sweep_is_a_run_trained_alone(spec, problem):
    keys = st.sampled_from([("weight_decay",), tuple(RULES[spec])])

    @settings(max_examples=examples(6))
    @given(keys.flatmap(lambda ks: st.fixed_dictionaries({k: st.lists(RULES[spec][k], min_size=1, max_size=3) for k in ks})),
           st.integers(1, 2), st.integers(1, 3), st.sampled_from([3, 5, None]))  # fmt: skip
    def check(grid, seeds, epochs, batch):
        result = sweep(spec, grid, seeds=seeds, problem=problem, epochs=epochs, batch=batch)
        assert result.params.shape[:-1] == (seeds, *(len(v) for v in grid.values()))
        for seed_index in range(seeds):
            for index in np.ndindex(*result.shape):
                point = result.point(index)
                alone, val = train_alone(
                    spec, point, problem, seeds, seed_index, epochs, result.batch
                )
                np.testing.assert_allclose(
                    result.params[(seed_index, *index)], alone, rtol=1e-9, atol=1e-12
                )
                assert result.val_loss[(seed_index, *index, -1)] == pytest.approx(val, rel=1e-9)

    check()


def test_a_scheduled_sweep_follows_the_schedule_step_by_step():
    schedule = "cosine(steps=12, floor=0.1)"
    result = sweep(
        "torch.sgd(lr=0.05)", {"momentum": [0.0, 0.9]}, seeds=1, epochs=3, schedule=schedule
    )
    multipliers = schedules.from_spec(schedule).values(12)
    for index in np.ndindex(*result.shape):
        alone, _ = train_alone(
            "torch.sgd(lr=0.05)", result.point(index), "squared_error", 1, 0, 3, 5, multipliers
        )
        np.testing.assert_allclose(result.params[(0, *index)], alone, rtol=1e-9, atol=1e-12)
    unscheduled = sweep("torch.sgd(lr=0.05)", {"momentum": [0.0, 0.9]}, seeds=1, epochs=3)
    assert not np.allclose(result.params, unscheduled.params)


@pytest.mark.parametrize("backend", ["numba", "numpy", "array_api"])
@pytest.mark.parametrize("problem", LOSSES)
def test_the_fused_kernel_and_the_batch_steppers_agree(problem, backend):
    grid = {"weight_decay": [0.0, 0.3], "beta1": [0.0, 0.9]}
    fused = sweep("torch.adamw(lr=0.01)", grid, seeds=2, problem=problem, epochs=2)
    other = sweep("torch.adamw(lr=0.01)", grid, seeds=2, problem=problem, epochs=2, backend=backend)
    np.testing.assert_allclose(other.params, fused.params, rtol=1e-10, atol=1e-13)
    for name in RECORDS:
        np.testing.assert_allclose(
            getattr(other, name), getattr(fused, name), rtol=1e-10, atol=1e-13, err_msg=name
        )


def test_the_seed_experiment_is_a_sweep_of_torch_sgd():
    lambdas = [0.0, 0.5, 3.0]
    run = seed_experiment(lambdas, seeds=3, concise=False)
    result = sweep("torch.sgd(lr=0.01)", {"weight_decay": lambdas}, seeds=3)
    np.testing.assert_allclose(result.train_loss, run.train_loss, rtol=1e-12)
    np.testing.assert_allclose(result.val_loss, run.val_loss, rtol=1e-12)
    np.testing.assert_allclose(result.half_norm[..., -1], run.half_norm, rtol=1e-12)
    assert np.isnan(result.val_accuracy).all()


@pytest.fixture(scope="module")
def classified() -> Sweep:
    return sweep(
        "torch.sgd(lr=0.05)",
        {"momentum": [0.0, 0.9], "weight_decay": [0.0, 0.1, 10.0]},
        seeds=2,
        problem="softmax",
        epochs=3,
    )


def test_records_and_the_grid_have_the_documented_shapes(classified):
    assert classified.shape == (2, 3)
    for name in RECORDS:
        assert getattr(classified, name).shape == (2, 2, 3, 4)
    assert ((classified.val_accuracy >= 0) & (classified.val_accuracy <= 1)).all()
    assert classified.point((1, 2)) == {"momentum": 0.9, "weight_decay": 10.0}
    # a decay of 10 at lr 0.05 shrinks W by half every step: the norm is the smallest
    assert (classified.half_norm[:, :, 2, -1] < classified.half_norm[:, :, 0, -1]).all()


def test_best_picks_the_point_of_the_best_seed_mean(classified):
    mean = classified.val_loss[..., -1].mean(axis=0)
    assert classified.best() == classified.point(np.unravel_index(np.argmin(mean), mean.shape))
    accuracy = classified.val_accuracy[..., -1].mean(axis=0)
    best = classified.best("val_accuracy")
    assert (
        accuracy[tuple(int(np.where(classified.grid[k] == v)[0][0]) for k, v in best.items())]
        == accuracy.max()
    )


def test_the_table_has_one_row_per_seed_point_and_epoch(classified):
    rows = classified.table()
    assert len(rows) == 2 * 6 * 4
    row = rows[-1]
    assert set(row) == {"seed", "momentum", "weight_decay", "epoch", *RECORDS}
    assert row["val_loss"] == classified.val_loss[1, 1, 2, 3]


def test_a_paired_grid_varies_its_keys_together():
    result = sweep(
        "torch.sgd(lr=0.05)",
        {"momentum": [0.0, 0.9], "weight_decay": [0.0, 0.1]},
        paired=True,
        epochs=1,
    )
    assert result.shape == (2,)
    assert result.point((1,)) == {"momentum": 0.9, "weight_decay": 0.1}


def test_the_answer_names_the_defaults_it_filled_in():
    result = sweep("torch.adamw(lr=0.01)", {"weight_decay": [0.1]}, epochs=1)
    assert {"beta1", "beta2", "eps"} <= set(result.defaults)
    assert "weight_decay" not in result.defaults and "lr" not in result.defaults


@pytest.mark.parametrize(
    ("kwargs", "fragments"),
    [
        ({"grid": {}}, ["grid", "non-empty dict"]),
        ({"grid": [0.1]}, ["grid", "dict"]),
        ({"grid": {"weight_decay": []}}, ["weight_decay", "non-empty"]),
        ({"grid": {"weight_decay": [0.1, float("inf")]}}, ["weight_decay", "finite"]),
        ({"grid": {"weight_dacay": [0.1]}}, ["weight_dacay", "weight_decay"]),
        ({"grid": {"weight_decay": [-1.0]}}, ["weight_decay", "-1"]),
        (
            {"grid": {"momentum": [0.1], "weight_decay": [0.1, 0.2]}, "paired": True},
            ["paired", "momentum: 1", "weight_decay: 2"],
        ),
        ({"grid": {"weight_decay": [0.1]}, "seeds": 0}, ["seeds", "0"]),
        ({"grid": {"weight_decay": [0.1]}, "batch": 0}, ["batch", "0"]),
        ({"grid": {"weight_decay": [0.1]}, "epochs": -1}, ["epochs", "-1"]),
        ({"grid": {"weight_decay": [0.1]}, "every": 0}, ["every", "0"]),
        ({"grid": {"weight_decay": [0.1]}, "threads": 0}, ["threads", "0"]),
        (
            {"grid": {"weight_decay": [0.1]}, "problem": "squared_eror"},
            ["squared_eror", "squared_error"],
        ),
        ({"grid": {"weight_decay": [0.1]}, "backend": "gpu"}, ["gpu", "fused"]),
        ({"grid": {"weight_decay": [0.1]}, "schedule": "cosine(steps=-3)"}, ["steps"]),
    ],
)
def test_bad_sweeps_are_one_line_errors(kwargs, fragments):
    kwargs = {"optimizer": "torch.sgd(lr=0.05)", **kwargs}
    with pytest.raises(WdtheoryError) as info:
        sweep(**kwargs)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


@pytest.mark.parametrize("backend", ["fused", "numpy"])
def test_records_every_few_epochs_are_those_columns_of_every_epoch(backend):
    grid = {"weight_decay": [0.0, 0.5]}
    dense = sweep("torch.sgd(lr=0.05)", grid, seeds=2, epochs=6, backend=backend)
    sparse = sweep("torch.sgd(lr=0.05)", grid, seeds=2, epochs=6, every=3, backend=backend)
    for name in RECORDS:
        np.testing.assert_array_equal(
            getattr(sparse, name), getattr(dense, name)[..., ::3], err_msg=name
        )
    np.testing.assert_array_equal(sparse.params, dense.params)
    assert len(sparse.table()) == 2 * 2 * 3


def test_a_value_tied_to_a_swept_one_follows_it_in_every_run():
    """``dampening=mu`` with the momentum swept: each run is the spec with both at its number."""
    tied = sweep(
        "torch.sgd(lr=0.05, momentum=mu, dampening=mu)", {"momentum": [0.2, 0.7]}, epochs=2
    )
    for index, mu in enumerate((0.2, 0.7)):
        alone = sweep(
            f"torch.sgd(lr=0.05, momentum={mu}, dampening={mu})", {"weight_decay": [0.0]}, epochs=2
        )
        np.testing.assert_allclose(
            tied.params[0, index], alone.params[0, 0], rtol=1e-12, atol=1e-15
        )


def test_a_symbolic_value_outside_the_grid_is_refused():
    with pytest.raises(
        WdtheoryError, match="momentum=mu is symbolic; give it a number or add momentum to the grid"
    ):
        sweep("torch.sgd(lr=0.05, momentum=mu)", {"weight_decay": [0.1]}, epochs=1)


@pytest.mark.parametrize(
    ("epoch", "fragment"), [(5, "epoch=5"), (-5, "epoch=-5"), (True, "epoch=True")]
)
def test_best_at_a_record_that_does_not_exist_is_a_one_line_error(classified, epoch, fragment):
    with pytest.raises(WdtheoryError, match=fragment):
        classified.best(epoch=epoch)


def test_best_accuracy_of_a_regression_says_it_is_not_recorded():
    result = sweep("torch.sgd(lr=0.05)", {"weight_decay": [0.1]}, epochs=1)
    with pytest.raises(WdtheoryError, match="not recorded for regression"):
        result.best("val_accuracy")


def test_the_threads_split_the_groups_without_changing_a_bit():
    grid = {"weight_decay": [0.0, 0.1, 0.5, 1.0, 2.0], "momentum": [0.0, 0.9]}
    one = sweep("torch.sgd(lr=0.05)", grid, seeds=2, epochs=2, threads=1)
    three = sweep("torch.sgd(lr=0.05)", grid, seeds=2, epochs=2, threads=3)
    np.testing.assert_array_equal(one.params, three.params)
    for name in RECORDS:
        np.testing.assert_array_equal(getattr(one, name), getattr(three, name))
