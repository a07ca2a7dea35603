r"""Data for linear models, one data set per seed: what a sweep trains on.

A :class:`LinearTask` holds, for each seed, train and validation arrays and the initial
parameters (:math:`W` row by row, then :math:`b`; see :mod:`wdtheory.lowering.linear_models`).
Three built-in tasks, one per loss, each seed a fresh draw:

* ``squared_error``: the d2l experiment of the seed guide
  (:func:`wdtheory.numeric.experiments.seed_arrays`): 200 features, 20 train and 100
  validation rows, :math:`y = 0.01\sum_j x_j + 0.05 + 0.01\epsilon`;
* ``logistic``: :math:`\mathbf{x} \sim \mathcal N(0, I_{50})`, :math:`y \sim
  \mathrm{Bernoulli}(\sigma(\mathbf{x}^\top\mathbf{w}^* + 0.5))` with
  :math:`\mathbf{w}^* \sim \mathcal N(0, 4/50)`, 100 train and 400 validation rows;
* ``softmax``: 4 classes with means :math:`\sim \mathcal N(0, 0.25)` in 30 dimensions, unit
  Gaussian noise around them, 100 train and 400 validation rows.

The initial weights are :math:`\mathcal N(0, 0.01^2)` and the bias 0 (d2l). Your own data:
:meth:`LinearTask.from_arrays` (one data set shared by every seed; the seeds then differ in their
initial weights and minibatch order).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wdtheory.core.errors import WdtheoryError, check_choice
from wdtheory.lowering.linear_models import LOSSES
from wdtheory.numeric.arrays import check_count
from wdtheory.numeric.experiments import N_TRAIN, seed_arrays

__all__ = ["TASKS", "LinearTask", "make_task"]


@dataclass(frozen=True)
class LinearTask:
    """A linear model's data per seed: ``X`` (S, rows, d) and ``y`` (S, rows), the first
    ``n_train`` rows of each seed for training and the others for validation; ``init`` (S,
    K(d + 1)) the initial parameters; ``outputs`` K (1 for squared error and logistic
    regression, the number of classes for softmax)."""

    loss: str
    X: np.ndarray
    y: np.ndarray
    n_train: int
    init: np.ndarray
    outputs: int

    def __post_init__(self) -> None:
        """Refuse, in one line, arrays the training kernel would read out of bounds."""
        check_choice("loss", self.loss, tuple(LOSSES))
        X, y, init = (np.asarray(a) for a in (self.X, self.y, self.init))
        problems = [
            (X.ndim != 3 or X.dtype != np.float64, f"X must be float64 (seeds, rows, d), got {X.dtype} {X.shape}"),
            (y.shape != X.shape[:2] or y.dtype != np.float64, f"y must be float64 {X.shape[:2]}, got {y.dtype} {y.shape}"),
            (not 0 < self.n_train < X.shape[1], f"n_train={self.n_train!r} must leave rows for both sets (of {X.shape[1]})"),
            (isinstance(self.outputs, bool) or not isinstance(self.outputs, int) or self.outputs < 1, f"outputs={self.outputs!r} must be a whole number >= 1"),
        ]  # fmt: skip
        for failed, message in problems:
            if failed:
                raise WdtheoryError(f"LinearTask: {message}")
        if init.shape != (X.shape[0], self.outputs * (X.shape[2] + 1)):
            raise WdtheoryError(
                f"LinearTask: init must have shape (seeds, K(d + 1)) = "
                f"{(X.shape[0], self.outputs * (X.shape[2] + 1))}, got {init.shape}"
            )
        if self.loss != "squared_error" and _outputs(self.loss, y.ravel()) > self.outputs:
            raise WdtheoryError(
                f"LinearTask: a label is {int(y.max())}, past outputs={self.outputs}"
            )

    @property
    def seeds(self) -> int:
        return self.X.shape[0]

    @property
    def features(self) -> int:
        return self.X.shape[2]

    @property
    def X_train(self) -> np.ndarray:
        return self.X[:, : self.n_train]

    @property
    def y_train(self) -> np.ndarray:
        return self.y[:, : self.n_train]

    @property
    def X_val(self) -> np.ndarray:
        return self.X[:, self.n_train :]

    @property
    def y_val(self) -> np.ndarray:
        return self.y[:, self.n_train :]

    @classmethod
    def from_arrays(
        cls,
        loss: str,
        X: Any,
        y: Any,
        X_val: Any,
        y_val: Any,
        *,
        seeds: int = 1,
        seed: int = 0,
    ) -> LinearTask:
        """Your data (X: (n, d); y: (n,) targets, 0/1 labels or class indices) for ``seeds``
        runs that differ in their initial weights; checked in one line each."""
        check_choice("loss", loss, tuple(LOSSES))
        for name, value, low in (("seeds", seeds, 1), ("seed", seed, 0)):
            check_count(name, value, low)
        arrays = []
        for name, array, rank in (
            ("X", X, 2),
            ("y", y, 1),
            ("X_val", X_val, 2),
            ("y_val", y_val, 1),
        ):
            array = np.asarray(array, dtype=np.float64)
            if array.ndim != rank or not array.size or not np.isfinite(array).all():
                raise WdtheoryError(
                    f"{name} must be a non-empty {rank}-D array of finite numbers, got shape "
                    f"{array.shape}"
                )
            arrays.append(array)
        X, y, X_val, y_val = arrays
        if (
            X.shape[0] != y.shape[0]
            or X_val.shape[0] != y_val.shape[0]
            or X.shape[1] != X_val.shape[1]
        ):
            raise WdtheoryError(
                f"X {X.shape}, y {y.shape}, X_val {X_val.shape} and y_val {y_val.shape} do not "
                "fit together (rows of X and y, columns of X and X_val)"
            )
        labels = np.concatenate([y, y_val])
        outputs = _outputs(loss, labels)
        features = np.concatenate([X, X_val])
        return cls(
            loss,
            np.broadcast_to(features, (seeds, *features.shape)),
            np.broadcast_to(labels, (seeds, *labels.shape)),
            len(y),
            _initial(seeds, X.shape[1], outputs, seed),
            outputs,
        )


def _outputs(loss: str, labels: np.ndarray) -> int:
    """K for the labels of ``loss``: refuses labels the loss cannot take."""
    if loss == "squared_error":
        return 1
    if (labels != np.round(labels)).any() or labels.min() < 0:
        raise WdtheoryError(f"{loss} needs class labels 0, 1, ...; got {labels[:5]}...")
    if loss == "logistic":
        if labels.max() > 1:
            raise WdtheoryError(f"logistic needs labels 0 and 1; got {int(labels.max())}")
        return 1
    if labels.max() >= len(labels):
        raise WdtheoryError(
            f"softmax labels are classes 0..K-1 with K at most the number of rows "
            f"({len(labels)}); got {int(labels.max())}"
        )
    return int(labels.max()) + 1


def _initial(seeds: int, features: int, outputs: int, seed: int) -> np.ndarray:
    """W ~ N(0, 0.01²), b = 0 for each seed."""
    rng = np.random.default_rng([seed, 7])
    weights = 0.01 * rng.standard_normal((seeds, features * outputs))
    return np.concatenate([weights, np.zeros((seeds, outputs))], axis=1)


def _squared_error(seeds: int, seed: int) -> LinearTask:
    X, y, w0 = seed_arrays(seeds, seed=seed)
    init = np.concatenate([w0, np.zeros((seeds, 1))], axis=1)
    return LinearTask("squared_error", X, y, N_TRAIN, init, 1)


def _drawn(loss: str, X: np.ndarray, y: np.ndarray, train: int, seed: int, K: int) -> LinearTask:
    return LinearTask(loss, X, y, train, _initial(X.shape[0], X.shape[2], K, seed), K)


def _logistic(seeds: int, seed: int, d: int = 50, train: int = 100, val: int = 400) -> LinearTask:
    rng = np.random.default_rng([seed, 1])
    X = rng.standard_normal((seeds, train + val, d))
    w = rng.standard_normal((seeds, d)) * np.sqrt(4 / d)
    logits = np.einsum("snd,sd->sn", X, w) + 0.5
    y = (rng.random(logits.shape) < 1 / (1 + np.exp(-logits))).astype(np.float64)
    return _drawn("logistic", X, y, train, seed, 1)


def _softmax(
    seeds: int, seed: int, d: int = 30, classes: int = 4, train: int = 100, val: int = 400
) -> LinearTask:
    rng = np.random.default_rng([seed, 2])
    means = 0.5 * rng.standard_normal((seeds, classes, d))
    y = rng.integers(0, classes, (seeds, train + val))
    X = np.take_along_axis(means, y[..., None], axis=1) + rng.standard_normal(
        (seeds, train + val, d)
    )
    return _drawn("softmax", X, y.astype(np.float64), train, seed, classes)


#: the built-in task of each loss
TASKS = {"squared_error": _squared_error, "logistic": _logistic, "softmax": _softmax}


def make_task(problem: str | LinearTask, seeds: int, seed: int = 0) -> LinearTask:
    """``problem`` as a task with ``seeds`` data sets: a loss name gives its built-in task."""
    if isinstance(problem, LinearTask):
        if problem.seeds != seeds:
            raise WdtheoryError(
                f"the task has {problem.seeds} seeds; sweep(seeds={seeds}) must match it"
            )
        return problem
    return TASKS[check_choice("problem", problem, tuple(TASKS))](seeds, seed)
