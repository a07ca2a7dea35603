"""The batched seed experiment (d2l's high-dimensional linear regression) against a plain loop.

The reference below is written independently from the module's documentation: the data of
the seed guide, minibatch SGD on mean(½(w·x + b - y)²) + λ/2‖w‖² (bias unpenalised), batches
of 5 in the documented shuffled order, one example at a time in Python loops.
"""

from __future__ import annotations

import numpy as np
import pytest

from wdtheory.core.errors import WdtheoryError
from wdtheory.numeric.experiments import make_seed_data, seed_experiment

N_TRAIN, N_VAL, BATCH, LR = 20, 100, 5, 0.01


def reference_data(seeds: int, d: int, seed: int):
    """X ~ N(0,1), y = 0.01 Σ x_j + 0.05 + 0.01 ε, w0 ~ N(0, 0.01²), drawn in this order."""
    rng = np.random.default_rng(seed)
    n = N_TRAIN + N_VAL
    X = rng.standard_normal((seeds, n, d))
    y = X.sum(axis=2) * 0.01 + 0.05 + 0.01 * rng.standard_normal((seeds, n))
    w0 = 0.01 * rng.standard_normal((seeds, d))
    return X, y, w0


def plain_loss(X, y, w, b) -> float:
    return float(np.mean([0.5 * (float(x @ w) + b - t) ** 2 for x, t in zip(X, y, strict=True)]))


def plain_run(lam: float, s: int, seeds: int, d: int, epochs: int, seed: int):
    X, y, w0 = reference_data(seeds, d, seed)
    Xt, yt, Xv, yv = X[s, :N_TRAIN], y[s, :N_TRAIN], X[s, N_TRAIN:], y[s, N_TRAIN:]
    order = np.random.default_rng(seed + 1).permuted(
        np.tile(np.arange(N_TRAIN), (epochs, seeds, 1)), axis=-1
    )
    w, b = w0[s].copy(), 0.0
    train, val = [plain_loss(Xt, yt, w, b)], [plain_loss(Xv, yv, w, b)]
    for epoch in range(epochs):
        for start in range(0, N_TRAIN, BATCH):
            rows = order[epoch, s, start : start + BATCH]
            gw, gb = np.zeros(d), 0.0
            for i in rows:
                r = float(Xt[i] @ w) + b - yt[i]
                gw += r * Xt[i]
                gb += r
            w = w - LR * (gw / BATCH + lam * w)
            b = b - LR * gb / BATCH
        train.append(plain_loss(Xt, yt, w, b))
        val.append(plain_loss(Xv, yv, w, b))
    return np.array(train), np.array(val), 0.5 * float(w @ w)


def test_data_follows_the_seed_guide():
    data = make_seed_data(3, n_features=7, seed=5)
    X, y, w0 = reference_data(3, 7, 5)
    assert data.X_train.shape == (3, N_TRAIN, 7) and data.X_val.shape == (3, N_VAL, 7)
    np.testing.assert_array_equal(data.X_train, X[:, :N_TRAIN])
    np.testing.assert_array_equal(data.y_val, y[:, N_TRAIN:])
    np.testing.assert_array_equal(data.w0, w0)


def test_shapes():
    run = seed_experiment([0.0, 1.0, 3.0], seeds=4, epochs=6, n_features=30)
    assert run.train_loss.shape == run.val_loss.shape == (4, 3, 7)
    assert run.half_norm.shape == (4, 3)
    np.testing.assert_array_equal(run.lambdas, [0.0, 1.0, 3.0])
    assert isinstance(run.forms_gap, float)
    assert np.isfinite(run.train_loss).all() and (run.half_norm > 0).all()


def test_same_seed_same_numbers_and_another_seed_other_numbers():
    a = seed_experiment([0.0, 3.0], seeds=3, epochs=4, n_features=40, seed=11)
    b = seed_experiment([0.0, 3.0], seeds=3, epochs=4, n_features=40, seed=11)
    c = seed_experiment([0.0, 3.0], seeds=3, epochs=4, n_features=40, seed=12)
    np.testing.assert_array_equal(a.val_loss, b.val_loss)
    np.testing.assert_array_equal(a.half_norm, b.half_norm)
    assert not np.array_equal(a.val_loss, c.val_loss)


def test_scratch_and_concise_forms_coincide():
    run = seed_experiment([0.0, 0.5, 3.0, 30.0], seeds=5)
    assert run.forms_gap < 1e-12


@pytest.mark.parametrize("seeds", [1, 2])
def test_batched_results_equal_a_plain_loop(seeds):
    lambdas, d, epochs, seed = [0.0, 3.0], 50, 5, 7
    run = seed_experiment(lambdas, seeds=seeds, epochs=epochs, n_features=d, seed=seed)
    for s in range(seeds):
        for j, lam in enumerate(lambdas):
            train, val, half = plain_run(lam, s, seeds, d, epochs, seed)
            np.testing.assert_allclose(run.train_loss[s, j], train, rtol=1e-10)
            np.testing.assert_allclose(run.val_loss[s, j], val, rtol=1e-10)
            assert run.half_norm[s, j] == pytest.approx(half, rel=1e-10)


def test_epoch_zero_is_before_training_and_the_same_for_every_lambda():
    run = seed_experiment([0.0, 3.0, 10.0], seeds=2, epochs=2)
    np.testing.assert_array_equal(run.train_loss[:, 0, 0], run.train_loss[:, 2, 0])


def test_lambda_three_lowers_validation_loss_on_average():
    run = seed_experiment([0.0, 3.0], seeds=10)
    train, val = run.train_loss.mean(axis=0)[:, -1], run.val_loss.mean(axis=0)[:, -1]
    assert val[1] < val[0]
    assert train[1] > train[0]  # the price: a slightly worse fit of the training data
    assert run.half_norm.mean(axis=0)[1] < run.half_norm.mean(axis=0)[0]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"lambdas": [-1.0]}, "lambdas"),
        ({"lambdas": [0.0, float("nan")]}, "lambdas"),
        ({"lambdas": [[0.0, 1.0]]}, "lambdas"),
        ({"lambdas": [1.0], "seeds": 0}, "seeds"),
        ({"lambdas": [1.0], "epochs": -1}, "epochs"),
        ({"lambdas": []}, "lambdas"),
        ({"lambdas": [1.0], "seeds": 2.5}, "seeds"),
        ({"lambdas": [1.0], "epochs": 1.5}, "epochs"),
        ({"lambdas": [1.0], "seeds": True}, "seeds"),
    ],
)
def test_bad_inputs_are_one_line_errors(kwargs, fragment):
    with pytest.raises(WdtheoryError) as excinfo:
        seed_experiment(**kwargs)
    message = str(excinfo.value)
    assert "\n" not in message and fragment in message
