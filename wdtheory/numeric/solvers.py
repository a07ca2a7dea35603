r"""Numeric closed forms and proximal solvers for penalised least squares (NumPy only).

Conventions (the project's and d2l's). The data loss is the *mean* of half squared residuals,

.. math::  L(w, b) = \frac{1}{n} \sum_{i=1}^{n} \tfrac12 (w^\top x_i + b - y_i)^2,

and the penalty is :math:`\ell_1 \|w\|_1 + \tfrac{\ell_2}{2} \|w\|_2^2` (the "half" convention,
gradient :math:`\ell_2 w`, PyTorch's ``weight_decay``). Ridge functions take ``half=False`` for the
Keras / scikit-learn-``Ridge`` convention :math:`\lambda \|w\|^2`; internally both become
:math:`\tfrac{\lambda'}{2}\|w\|^2` with :math:`\lambda' = \lambda` (half) or :math:`2\lambda`
(full). The bias ``b`` is unpenalised unless ``penalize_bias=True``, in which case the same
penalty applies to it as to every weight.

Two reductions to a bias-free problem are used throughout:

* unpenalised bias: centre, :math:`X_c = X - \mathbf 1 \bar x^\top`, :math:`y_c = y - \bar y`;
  solve for ``w`` on :math:`(X_c, y_c)`, then :math:`b = \bar y - \bar x^\top w` (exact, because
  the optimal bias makes the residuals average to zero);
* penalised bias: append a column of ones to ``X`` and treat ``b`` as one more penalised weight.

Arrays of dtype float32 or float64 keep their dtype and computations run in it, except in the
iterative :func:`proximal_fit` and the :func:`kkt_violation` certificate, which work in float64
and cast results back. Every other real dtype (integers, booleans, float16, ...) is converted to
float64. All inputs must be finite; every mistake raises a one-line
:class:`~wdtheory.core.errors.WdtheoryError`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from wdtheory.core.errors import WdtheoryError
from wdtheory.numeric.arrays import (
    FloatArray,
    check_data,
    check_matrix,
    check_scalar,
    check_vector,
    float_array,
)

__all__ = [
    "effective_dof",
    "kkt_violation",
    "proximal_fit",
    "ridge_fit",
    "ridge_path",
    "shrinkage_factors",
    "soft_threshold",
]

# --------------------------------------------------------------------------- validation


def _check_lams(lams: ArrayLike) -> NDArray[np.float64]:
    """``lams`` as a 1-D float64 array of finite penalties ``>= 0``."""
    array = float_array("lams", lams)
    if array.ndim != 1:
        raise WdtheoryError(f"lams must be a 1-D sequence of penalties, got shape {array.shape}")
    negative = np.flatnonzero(array < 0)
    if negative.size:
        i = int(negative[0])
        raise WdtheoryError(f"lams[{i}] = {float(array[i])}; every λ must be ≥ 0")
    return array.astype(np.float64)


# --------------------------------------------------------------------------- shared algebra


def _centred(X: FloatArray) -> FloatArray:
    r"""Return :math:`X_c = X - \mathbf 1 \bar x^\top` (column means removed)."""
    return X - X.mean(axis=0)


def _design(X: FloatArray, y: FloatArray, penalize_bias: bool) -> tuple[FloatArray, FloatArray]:
    """Matrix and target of the bias-free problem equivalent to the one with a bias."""
    if penalize_bias:
        return np.column_stack([X, np.ones(X.shape[0], dtype=X.dtype)]), y
    return _centred(X), y - y.mean()


def _with_bias(
    coef: FloatArray, X: FloatArray, y: FloatArray, penalize_bias: bool
) -> tuple[FloatArray, FloatArray]:
    """Split the bias-free solution(s) ``coef`` (last axis) back into ``(w, b)``."""
    if penalize_bias:
        return coef[..., :-1], coef[..., -1]
    return coef, y.mean() - coef @ X.mean(axis=0)


def _nonzero_svd(A: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""Thin SVD of ``A`` restricted to its numerically nonzero singular values.

    A singular value counts as zero when :math:`s \le s_{\max} \max(n, d)\, \varepsilon` (the
    ``numpy.linalg.matrix_rank`` rule). Centring makes one singular value of :math:`X_c` exactly
    zero in exact arithmetic whenever :math:`d \ge n`; this rule removes its round-off image.
    """
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    keep = s > s[0] * max(A.shape) * np.finfo(A.dtype).eps
    return U[:, keep], s[keep], Vt[keep]


def _scaled_lams(lams: NDArray[np.float64], n: int, half: bool, dtype: np.dtype) -> FloatArray:
    r"""Column of :math:`n\lambda'`, :math:`\lambda' = \lambda` (half) or :math:`2\lambda`."""
    return (n * (1.0 if half else 2.0) * lams).astype(dtype)[:, None]


def _filter_factors(s: FloatArray, n_lams: FloatArray) -> FloatArray:
    r"""Filter factors :math:`s_k^2 / (s_k^2 + n\lambda')`, one row per λ (all ``s > 0``)."""
    return s**2 / (s**2 + n_lams)


def _ridge_coefficients(
    A: FloatArray, t: FloatArray, lams: NDArray[np.float64], half: bool
) -> FloatArray:
    r"""Rows :math:`V \operatorname{diag}(f(\lambda)/s)\, U^\top t`, one per λ, from one SVD."""
    U, s, Vt = _nonzero_svd(A)
    factors = _filter_factors(s, _scaled_lams(lams, A.shape[0], half, A.dtype))
    return (factors / s * (U.T @ t)) @ Vt


# --------------------------------------------------------------------------- ridge


def ridge_fit(
    X: ArrayLike, y: ArrayLike, lam: float, *, half: bool = True, penalize_bias: bool = False
) -> tuple[FloatArray, float]:
    r"""Exact minimiser of the ridge objective.

    .. math::  \min_{w, b}\; \frac{1}{n}\sum_i \tfrac12 (w^\top x_i + b - y_i)^2
               + \tfrac{\lambda'}{2}\left(\|w\|^2 \;[+\, b^2 \text{ if penalize\_bias}]\right),
               \qquad \lambda' = \lambda \text{ (half) or } 2\lambda \text{ (not half)}.

    Unpenalised bias: :math:`w = (X_c^\top X_c + n\lambda' I)^{+} X_c^\top y_c` and
    :math:`b = \bar y - \bar x^\top w`. Penalised bias: the same formula with :math:`X_c, y_c`
    replaced by :math:`[X, \mathbf 1], y` and :math:`(w, b)` solved jointly.

    The system is solved through the thin SVD :math:`A = U \operatorname{diag}(s) V^\top`:
    :math:`w = V \operatorname{diag}\big(s/(s^2 + n\lambda')\big) U^\top t`, which is stable for any
    shape (also :math:`d > n`). Numerically zero singular values get filter factor 0, so at
    :math:`\lambda = 0` the result is the **minimum-norm least-squares solution**: minimum
    :math:`\|w\|` among all minimisers (with ``b`` free), or minimum :math:`\|(w, b)\|` when
    ``penalize_bias=True``.

    Returns ``(w, b)``: ``w`` of shape ``(d,)`` in the input's floating dtype, ``b`` a float.
    """
    X, y = check_data(X, y)
    lams = np.array([check_scalar("lam", lam)])
    A, t = _design(X, y, penalize_bias)
    w, b = _with_bias(_ridge_coefficients(A, t, lams, half)[0], X, y, penalize_bias)
    return w, float(b)


def ridge_path(
    X: ArrayLike, y: ArrayLike, lams: ArrayLike, *, half: bool = True
) -> tuple[FloatArray, FloatArray]:
    r"""Ridge solutions for every λ in ``lams`` from one thin SVD of the centred ``X``.

    .. math::  w(\lambda) = V \operatorname{diag}\!\Big(\frac{s}{s^2 + n\lambda'}\Big) U^\top y_c,
               \qquad b(\lambda) = \bar y - \bar x^\top w(\lambda),

    with :math:`X_c = U \operatorname{diag}(s) V^\top` and the convention of :func:`ridge_fit`
    (unpenalised bias only). Numerically zero singular values get filter factor 0, also at
    :math:`\lambda = 0`, which therefore gives the minimum-norm least-squares solution.

    Returns ``(W, b)`` of shapes ``(len(lams), d)`` and ``(len(lams),)`` in the input's dtype.
    """
    X, y = check_data(X, y)
    A, t = _design(X, y, penalize_bias=False)
    return _with_bias(_ridge_coefficients(A, t, _check_lams(lams), half), X, y, False)


def shrinkage_factors(X: ArrayLike, lams: ArrayLike, *, half: bool = True) -> FloatArray:
    r"""SVD filter factors of ridge on the centred design, one row per λ.

    .. math::  f_k(\lambda) = \frac{s_k^2}{s_k^2 + n\lambda'}, \qquad k = 1, \dots, r,

    where :math:`s_1 \ge \dots \ge s_r > 0` are the numerically nonzero singular values of
    :math:`X_c` (so :math:`r = \operatorname{rank} X_c \le \min(n - 1, d)`). Ridge scales the
    component of the least-squares fit along the k-th singular direction by :math:`f_k`:
    1 at :math:`\lambda = 0`, decreasing to 0 as :math:`\lambda \to \infty`.

    Returns an array of shape ``(len(lams), r)`` in the dtype of ``X``.
    """
    X = check_matrix(X)
    s = _nonzero_svd(_centred(X))[1]
    return _filter_factors(s, _scaled_lams(_check_lams(lams), X.shape[0], half, X.dtype))


def effective_dof(X: ArrayLike, lams: ArrayLike, *, half: bool = True) -> FloatArray:
    r"""Effective degrees of freedom of ridge on the centred design, one value per λ.

    .. math::  \mathrm{df}(\lambda) = \sum_k \frac{s_k^2}{s_k^2 + n\lambda'}
               = \operatorname{tr}\!\big(X_c (X_c^\top X_c + n\lambda' I)^{+} X_c^\top\big).

    This is the trace of the hat matrix acting on *centred* targets; it does **not** count the
    (unpenalised) intercept, which would add 1. It equals :math:`\operatorname{rank} X_c` at
    :math:`\lambda = 0` and decreases strictly to 0 as λ grows (if :math:`X_c \ne 0`).

    Returns an array of shape ``(len(lams),)`` in the dtype of ``X``.
    """
    return shrinkage_factors(X, lams, half=half).sum(axis=1)


# --------------------------------------------------------------------------- lasso / elastic net


def _soft_threshold(v: FloatArray, t: float) -> FloatArray:
    """Unchecked soft-thresholding; ``v - clip(v, -t, t)`` is exactly +0.0 where ``|v| <= t``."""
    return v - np.clip(v, -t, t)


def soft_threshold(v: ArrayLike, t: float) -> FloatArray:
    r"""Soft-thresholding, the proximal operator of :math:`t\|\cdot\|_1`, elementwise.

    .. math::  S_t(v) = \operatorname{sign}(v)\max(|v| - t, 0)
               = \operatorname*{arg\,min}_u\; \tfrac12 (u - v)^2 + t|u| .

    Entries with :math:`|v| \le t` become exactly ``0.0``; the others move toward 0 by ``t``.
    ``t`` must be a finite number ≥ 0; the result has the shape and floating dtype of ``v``.
    """
    return _soft_threshold(float_array("v", v), check_scalar("t", t))


def _fista(
    A: NDArray[np.float64],
    t: NDArray[np.float64],
    l1: float,
    l2: float,
    tol: float,
    max_iter: int,
) -> NDArray[np.float64]:
    r"""FISTA with gradient-based adaptive restart for :math:`\min_c f(c) + \ell_1\|c\|_1`.

    :math:`f(c) = \frac{1}{2n}\|Ac - t\|^2 + \frac{\ell_2}{2}\|c\|^2` has Lipschitz gradient with
    :math:`\mathrm{Lip} = \sigma_{\max}(A)^2/n + \ell_2`; the step is :math:`1/\mathrm{Lip}`.
    Restart (O'Donoghue & Candès, 2015): momentum is reset whenever the last step points against
    the momentum direction. Stops when the fixed-point residual at the extrapolated point ``z``,
    :math:`\|z - c^+\|` with :math:`c^+ = S_{\ell_1/\mathrm{Lip}}(z - \nabla f(z)/\mathrm{Lip})`, is
    at most ``tol`` times :math:`\|c^+\| + \|\nabla f(0)\|/\mathrm{Lip}` (the magnitudes it is
    computed from, so that the test stays meaningful and reachable in floating point). Since
    :math:`\mathrm{Lip}(z - c^+) + \nabla f(c^+) - \nabla f(z)` is a subgradient of the objective
    at :math:`c^+` and :math:`\nabla f` is Lip-Lipschitz, the returned :math:`c^+` has a
    subgradient of norm at most :math:`2\,\mathrm{Lip}\,\|z - c^+\|`.
    """
    n, p = A.shape
    lip = np.linalg.norm(A, 2) ** 2 / n + l2
    if lip == 0.0:  # A = 0 and l2 = 0: the objective is l1‖c‖₁ + const, minimised at 0
        return np.zeros(p)
    step = 1.0 / lip
    neg_grad0 = A.T @ t / n
    scale_floor = step * np.linalg.norm(neg_grad0)
    current = extrapolated = np.zeros(p)
    momentum = 1.0
    for _ in range(max_iter):
        gradient = A.T @ (A @ extrapolated) / n - neg_grad0 + l2 * extrapolated
        following = _soft_threshold(extrapolated - step * gradient, step * l1)
        move = extrapolated - following
        residual = np.linalg.norm(move)
        threshold = tol * (np.linalg.norm(following) + scale_floor)
        if residual <= threshold:
            return following
        if np.dot(move, following - current) > 0:  # step against the momentum: restart
            momentum, extrapolated = 1.0, following
        else:
            next_momentum = (1.0 + math.sqrt(1.0 + 4.0 * momentum**2)) / 2.0
            extrapolated = following + (momentum - 1.0) / next_momentum * (following - current)
            momentum = next_momentum
        current = following
    raise WdtheoryError(
        f"proximal_fit did not converge in max_iter={max_iter} iterations: fixed-point residual "
        f"{residual / step:.3g} is {residual / threshold:.3g} times the tolerance (tol={tol:g}); "
        "increase max_iter or tol"
    )


def proximal_fit(
    X: ArrayLike,
    y: ArrayLike,
    *,
    l1: float,
    l2: float = 0.0,
    penalize_bias: bool = False,
    tol: float = 1e-12,
    max_iter: int = 100_000,
) -> tuple[FloatArray, float]:
    r"""Lasso / elastic-net minimiser by accelerated proximal gradient (FISTA with restart).

    .. math::  \min_{w, b}\; \frac{1}{n}\sum_i \tfrac12 (w^\top x_i + b - y_i)^2
               + \ell_1 \|w\|_1 + \tfrac{\ell_2}{2} \|w\|^2
               \quad [\,+\, \ell_1|b| + \tfrac{\ell_2}{2} b^2 \text{ if penalize\_bias}].

    The smooth part (data loss and the L2 term) takes a gradient step of size
    :math:`1/\mathrm{Lip}`, :math:`\mathrm{Lip} = \sigma_{\max}(A)^2/n + \ell_2`; the L1 part is
    handled exactly by its prox, soft-thresholding by :math:`\ell_1/\mathrm{Lip}`, so the solution
    has **exact zeros**. ``A`` is the centred ``X`` (unpenalised bias, recovered as
    :math:`b = \bar y - \bar x^\top w`) or ``[X, 1]`` (penalised bias).

    Iterations start from 0 and stop once the fixed-point residual
    :math:`\|c - \operatorname{prox}(c - \nabla f(c)/\mathrm{Lip})\|` is at most
    ``tol`` :math:`\cdot (\|c^+\| + \|\nabla f(0)\|/\mathrm{Lip})` (a relative test; see
    :func:`kkt_violation` to certify the result). They run in float64 whatever the input dtype;
    ``w`` is returned in the input's floating dtype. With ``l1 = l2 = 0`` and a rank-deficient
    design the iterates converge to the minimum-norm least-squares solution.

    Cost: each iteration is two products with ``A``. Convergence is fast on well-conditioned
    problems but slows down as :math:`0 < \ell_1 \ll \ell_{\max} = \|A^\top t\|_\infty / n`
    when :math:`d > n` and :math:`\ell_2 = 0` (the limit is basis pursuit, and the iteration count
    grows as :math:`\ell_1` shrinks): raise ``max_iter`` or ``tol`` there.

    Raises :class:`~wdtheory.core.errors.WdtheoryError` if ``max_iter`` iterations do not reach ``tol``.
    """
    X, y = check_data(X, y)
    l1 = check_scalar("l1", l1)
    l2 = check_scalar("l2", l2)
    tol = check_scalar("tol", tol, positive=True)
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise WdtheoryError(f"max_iter must be an integer ≥ 1, got {max_iter!r}")
    X64, y64 = X.astype(np.float64), y.astype(np.float64)
    A, t = _design(X64, y64, penalize_bias)
    coef = _fista(A, t, l1, l2, tol, int(max_iter))
    w, b = _with_bias(coef, X64, y64, penalize_bias)
    return w.astype(X.dtype), float(b)


def kkt_violation(
    X: ArrayLike,
    y: ArrayLike,
    w: ArrayLike,
    b: float,
    *,
    l1: float,
    l2: float = 0.0,
    penalize_bias: bool = False,
) -> float:
    r"""Largest violation of the optimality conditions of the elastic-net objective at ``(w, b)``.

    For the objective of :func:`proximal_fit`, with
    :math:`g = \nabla_w L = \frac1n X^\top r`, :math:`g_b = \partial_b L = \frac1n \mathbf 1^\top r`
    and :math:`r = Xw + b\mathbf 1 - y`, the point is optimal iff

    .. math::  g_j + \ell_2 w_j + \ell_1 \operatorname{sign}(w_j) = 0 \;\; (w_j \ne 0), \qquad
               |g_j| \le \ell_1 \;\; (w_j = 0), \qquad g_b = 0,

    where with ``penalize_bias=True`` the bias obeys the same conditions as a weight instead of
    :math:`g_b = 0`. Returns the maximum over all conditions of
    :math:`|g_j + \ell_2 w_j + \ell_1\operatorname{sign} w_j|`, :math:`\max(|g_j| - \ell_1, 0)` and
    :math:`|g_b|`: an absolute quantity in the units of the gradient, 0 exactly at the optimum.
    ``l1 = 0`` gives the gradient norm (max-norm) of the ridge objective in the half convention.
    Evaluated in float64 (exact for float32 inputs), so it certifies float32 solutions too.
    """
    X, y = check_data(X, y)
    X64, y64 = X.astype(np.float64), y.astype(np.float64)
    w64 = check_vector("w", w, X.shape[1], "column of X").astype(np.float64)
    b_array = float_array("b", b)
    if b_array.ndim != 0:
        raise WdtheoryError(f"b must be a scalar, got shape {b_array.shape}")
    b64 = float(b_array)
    l1 = check_scalar("l1", l1)
    l2 = check_scalar("l2", l2)
    residual = X64 @ w64 + b64 - y64
    grad_w = X64.T @ residual / X.shape[0] + l2 * w64
    grad_b = float(residual.mean())
    if penalize_bias:
        coef, grad, free = np.append(w64, b64), np.append(grad_w, grad_b + l2 * b64), 0.0
    else:
        coef, grad, free = w64, grad_w, abs(grad_b)
    violation = np.where(
        coef != 0, np.abs(grad + l1 * np.sign(coef)), np.maximum(np.abs(grad) - l1, 0.0)
    )
    return max(float(violation.max()), free)
