"""The linear model's loops: outputs, residuals, gradients and losses equal NumPy's products
for every loss, blocked or not (any number of runs and outputs), as plain Python and as the
compiled module the training kernels share."""

from __future__ import annotations

import numpy as np
import pytest

from wdtheory.lowering import linear_models as lm

CASES = [("squared_error", 1), ("logistic", 1), ("softmax", 3)]


def data(loss: str, K: int, runs: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((7, 5))
    y = (
        rng.integers(0, K if loss == "softmax" else 2, 7).astype(float)
        if loss != "squared_error"
        else rng.standard_normal(7)
    )
    params = rng.standard_normal((runs, K * 6))
    return X, y, params


def numpy_outputs(X, params, run, K):
    d = X.shape[1]
    return X @ params[run, : K * d].reshape(K, d).T + params[run, K * d :]  # (rows, K)


@pytest.mark.parametrize("compiled", [False, True], ids=["python", "numba"])
@pytest.mark.parametrize("runs", [1, 4, 5])
@pytest.mark.parametrize(("loss", "K"), CASES)
def test_the_loops_compute_numpys_outputs_gradients_and_losses(loss, K, runs, compiled):
    functions = (
        dict(zip(lm.HELPERS, lm.compiled(), strict=True))
        if compiled
        else {n: getattr(lm, n) for n in lm.HELPERS}
    )
    X, y, params = data(loss, K, runs)
    kind, rows, count = lm.LOSSES[loss], np.array([4, 0, 6, 2, 3]), 5
    z = np.zeros((runs * K, 7))
    functions["products"](X, rows, count, params, 0, runs, K, z)
    functions["add_bias"](params, 0, runs, K, X.shape[1], count, z)
    for r in range(runs):
        expected = numpy_outputs(X[rows], params, r, K)
        np.testing.assert_allclose(z[r * K : (r + 1) * K, :count], expected.T, rtol=1e-12)
        functions["residuals"](kind, y, rows, count, K, z[r * K : (r + 1) * K])
    grads = np.zeros_like(params)
    functions["gradients"](X, rows, count, grads, 0, runs, K, z)
    for r in range(runs):
        out = numpy_outputs(X[rows], params, r, K)
        if loss == "squared_error":
            delta = out - y[rows, None]
        elif loss == "logistic":
            delta = 1 / (1 + np.exp(-out)) - y[rows, None]
        else:
            p = np.exp(out - out.max(axis=1, keepdims=True))
            delta = p / p.sum(axis=1, keepdims=True) - np.eye(K)[y[rows].astype(int)]
        np.testing.assert_allclose(
            grads[r, : K * 5], (delta.T @ X[rows]).ravel() / count, rtol=1e-10, atol=1e-14
        )
        np.testing.assert_allclose(grads[r, K * 5 :], delta.mean(axis=0), rtol=1e-10, atol=1e-14)
    records = tuple(np.zeros((runs, 1)) for _ in range(4))
    functions["evaluate"](kind, X, y, 3, params, 0, runs, K, np.zeros((runs * K, 7)), records, 0)
    for r in range(runs):
        out = numpy_outputs(X, params, r, K)
        for part, (loss_record, accuracy_record) in zip(
            (slice(0, 3), slice(3, 7)), (records[:2], records[2:]), strict=True
        ):
            o, labels = out[part], y[part]
            if loss == "squared_error":
                expected = np.mean(0.5 * (o[:, 0] - labels) ** 2)
                assert np.isnan(accuracy_record[r, 0])
            elif loss == "logistic":
                expected = np.mean(np.logaddexp(0, o[:, 0]) - labels * o[:, 0])
                assert accuracy_record[r, 0] == np.mean((o[:, 0] > 0) == (labels > 0.5))
            else:
                top = o.max(axis=1)
                expected = np.mean(
                    top
                    + np.log(np.exp(o - top[:, None]).sum(axis=1))
                    - o[np.arange(len(labels)), labels.astype(int)]
                )
                assert accuracy_record[r, 0] == np.mean(o.argmax(axis=1) == labels)
            assert loss_record[r, 0] == pytest.approx(expected, rel=1e-12)


def test_the_squared_norm_is_of_the_weights_only():
    params = np.array([[3.0, 4.0, 100.0]])
    assert lm.half_squared_norm(params, 0, 2) == 12.5
