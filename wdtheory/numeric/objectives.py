r"""Numeric objective, gradients and minibatch SGD step of a :class:`~wdtheory.problems.problem.Problem`.

These are the NumPy counterparts of :mod:`wdtheory.problems.gradients`, in the same conventions:

.. math::

    L(\mathbf{w}, b) = \frac1n\sum_i \ell(z_i, y_i) + l_1\|\mathbf{w}\|_1 + c\,l_2\|\mathbf{w}\|^2,
    \qquad \nabla_{\mathbf{w}} L = \frac1n X^\top\boldsymbol\delta + l_1\operatorname{sign}(\mathbf{w}) + 2c\,l_2\mathbf{w},
    \qquad \frac{\partial L}{\partial b} = \frac1n \mathbf{1}^\top\boldsymbol\delta

with :math:`\boldsymbol\delta = \partial\ell/\partial z` per example: :math:`z - y` (squared error),
:math:`\sigma(z) - y` (logistic), :math:`\operatorname{softmax}(z) - y` (softmax, one row per
example). They are written in numerically stable forms (``logaddexp``, a shifted softmax, a
``tanh`` sigmoid), which the symbolic expressions are not, and computed in the input's float
dtype (float32 or float64). Shapes: ``X`` (n, d); for scalar losses ``y`` (n,), ``w`` (d,),
``b`` a scalar; for softmax ``y`` integer labels (n,) or one-hot rows (n, K), ``W`` (d, K),
``b`` (K,). The tests check all of this against the derived expressions and finite differences.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from wdtheory.core.errors import WdtheoryError
from wdtheory.core.hyperparams import to_float
from wdtheory.numeric.arrays import FloatArray, check_matrix, check_scalar, float_array
from wdtheory.problems.problem import Problem

__all__ = ["gradients", "objective", "one_hot", "sgd_step"]


def one_hot(labels: ArrayLike, classes: int) -> FloatArray:
    """Rows of the identity matrix picked by integer ``labels`` in ``[0, classes)``."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" or labels.ndim != 1:
        raise WdtheoryError(
            f"labels must be a 1-D integer array, got dtype {labels.dtype}, shape {labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise WdtheoryError(
            f"labels must lie in [0, {classes}), got values from {labels.min()} to {labels.max()}"
        )
    return np.eye(classes)[labels]


def _sigmoid(z: FloatArray) -> FloatArray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _shifted(z: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``(z - max, max)`` along the class axis, for a stable softmax and log-sum-exp."""
    top = z.max(axis=1, keepdims=True)
    return z - top, top


class _Batch:
    """Validated arrays of one call, converted to the float dtype of ``X`` and ``w``, with the
    predictor ``z``."""

    def __init__(
        self, problem: Problem, X: ArrayLike, y: ArrayLike, w: ArrayLike, b: ArrayLike
    ) -> None:
        X = check_matrix(X)
        n, d = X.shape
        w, b = float_array("w", w), float_array("b", b)
        if problem.loss.vector_output:
            if w.ndim != 2 or w.shape[0] != d:
                raise WdtheoryError(
                    f"W must have shape ({d}, K) for X with {d} columns, got {w.shape}"
                )
            classes = w.shape[1]
            y = one_hot(y, classes) if np.asarray(y).dtype.kind in "iu" else float_array("y", y)
            expected = ((n, classes), (classes,))
        else:
            y = float_array("y", y)
            expected = ((n,), ())
            if w.shape != (d,):
                raise WdtheoryError(
                    f"w must have shape ({d},) for X with {d} columns, got {w.shape}"
                )
        if y.shape != expected[0]:
            raise WdtheoryError(f"y must have shape {expected[0]}, got {y.shape}")
        if b.shape != expected[1]:
            raise WdtheoryError(f"b must have shape {expected[1]}, got {b.shape}")
        dtype = np.result_type(X, w)  # the arrays set the dtype; labels and a scalar bias follow
        self.problem = problem
        self.X, self.y, self.w, self.b = (a.astype(dtype, copy=False) for a in (X, y, w, b))
        self.z = self.X @ self.w + self.b
        penalty = problem.penalty
        self.l1 = to_float("l1", penalty.l1)
        self.l2 = 2 * to_float("l2 factor", penalty.l2_factor) * to_float("l2", penalty.l2)

    def losses(self) -> FloatArray:
        """Per-example losses :math:`\\ell(z_i, y_i)`."""
        name, z, y = self.problem.loss.name, self.z, self.y
        if name == "squared_error":
            return 0.5 * (z - y) ** 2
        if name == "logistic":
            return np.logaddexp(0.0, z) - y * z
        # log Σe^z − y·z = log Σe^(z−top) − y·(z−top) + top·(1 − Σy): exact for one-hot rows
        shifted, top = _shifted(z)
        mass = y.sum(axis=1)
        return (
            np.log(np.exp(shifted).sum(axis=1)) - (y * shifted).sum(axis=1) + top[:, 0] * (1 - mass)
        )

    def deltas(self) -> FloatArray:
        """Per-example :math:`\\partial\\ell/\\partial z`."""
        name, z, y = self.problem.loss.name, self.z, self.y
        if name == "squared_error":
            return z - y
        if name == "logistic":
            return _sigmoid(z) - y
        e = np.exp(_shifted(z)[0])
        return e / e.sum(axis=1, keepdims=True) - y

    def penalty(self, v: FloatArray) -> float:
        return self.l1 * np.abs(v).sum() + 0.5 * self.l2 * (v * v).sum()

    def penalty_gradient(self, v: FloatArray) -> FloatArray:
        return self.l1 * np.sign(v) + self.l2 * v


def objective(problem: Problem, X: ArrayLike, y: ArrayLike, w: ArrayLike, b: ArrayLike) -> float:
    """:math:`L(\\mathbf{w}, b)`: the mean per-example loss plus the penalty."""
    batch = _Batch(problem, X, y, w, b)
    value = batch.losses().mean() + batch.penalty(batch.w)
    if problem.penalize_bias:
        value += batch.penalty(batch.b)
    return float(value)


def gradients(
    problem: Problem, X: ArrayLike, y: ArrayLike, w: ArrayLike, b: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """:math:`(\\nabla_{\\mathbf{w}} L, \\partial L/\\partial b)` in the inputs' float dtype."""
    batch = _Batch(problem, X, y, w, b)
    delta = batch.deltas()
    n = batch.X.shape[0]
    grad_w = batch.X.T @ delta / n + batch.penalty_gradient(batch.w)
    grad_b = delta.sum(axis=0) / n
    if problem.penalize_bias:
        grad_b = grad_b + batch.penalty_gradient(batch.b)
    dtype = batch.X.dtype
    return grad_w.astype(dtype, copy=False), np.asarray(grad_b, dtype=dtype)


def sgd_step(
    problem: Problem, X: ArrayLike, y: ArrayLike, w: ArrayLike, b: ArrayLike, lr: float
) -> tuple[FloatArray, FloatArray]:
    """One minibatch SGD step on the rows given: :math:`\\theta \\leftarrow \\theta - \\eta\\nabla_\\theta L_{\\mathcal{B}}`."""
    lr = check_scalar("lr", lr)
    grad_w, grad_b = gradients(problem, X, y, w, b)
    dtype = grad_w.dtype
    step = dtype.type(lr)
    return (np.asarray(w, dtype=dtype) - step * grad_w, np.asarray(b, dtype=dtype) - step * grad_b)
