"""Specification of ``wdtheory.numeric.solvers``: closed-form ridge, its SVD path, soft-thresholding and
the proximal (lasso / elastic-net) solver.

Conventions under test: data loss ``mean(½(Xw + b − y)²)``; penalty ``l1‖w‖₁ + (λ'/2)‖w‖²`` with
``λ' = λ`` (``half=True``) or ``2λ`` (``half=False``); the bias is unpenalised unless
``penalize_bias=True``, in which case it is penalised like a weight.

Oracles are written independently of the code under test: plain NumPy gradients, ``pinv``,
gradient descent, and scikit-learn (``Ridge``, ``Lasso``, ``ElasticNet``). A penalised bias is
compared with scikit-learn by appending a column of ones and fitting without an intercept.

Test problems are well conditioned by construction: the centred design has all nonzero singular
values in ``[√n, 2√n]``; the columns get random nonzero means so that the intercept matters.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import ElasticNet, Lasso, Ridge

from wdtheory.core.errors import WdtheoryError
from wdtheory.numeric.solvers import (
    effective_dof,
    kkt_violation,
    proximal_fit,
    ridge_fit,
    ridge_path,
    shrinkage_factors,
    soft_threshold,
)

DTYPES = [np.float32, np.float64]
# Agreement of a closed form computed in the given dtype with a float64 oracle on the same data,
# relative to the size of the solution (the problems have condition number ≤ 2).
TOL = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-11}
# Agreement of two iterative lasso / elastic-net solvers stopped at tol=1e-12.
SOLVER_TOL = 1e-6
# proximal_fit's relative fixed-point tolerance 1e-12 bounds its KKT violation by
# 2e-12·(Lip‖c‖ + ‖∇f(0)‖): up to ~4e-12 of gradient_scale(...) on these problems.
KKT_TOL = 1e-10
REGIMES = ["d<n", "d>n"]

RIDGE_COMBOS = [
    pytest.param(dtype, half, penalize_bias, id=f"{dtype.__name__}-half={half}-pb={penalize_bias}")
    for dtype, half, penalize_bias in itertools.product(DTYPES, [True, False], [False, True])
]
PROX_COMBOS = [
    pytest.param(dtype, penalize_bias, id=f"{dtype.__name__}-pb={penalize_bias}")
    for dtype, penalize_bias in itertools.product(DTYPES, [False, True])
]

seeds = st.integers(0, 2**32 - 1)
positive_lams = st.floats(1e-3, 1e2)
lams_with_zero = st.one_of(st.just(0.0), positive_lams)


# --------------------------------------------------------------------------- helpers


def make_problem(
    seed: int, n: int, d: int, *, sparse: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """A float64 regression problem whose centred design has singular values in [√n, 2√n]."""
    rng = np.random.default_rng(seed)
    rank = min(n - 1, d)
    noise = rng.normal(size=(n, rank))
    left = np.linalg.qr(noise - noise.mean(axis=0))[0]  # orthonormal columns, orthogonal to 1
    right = np.linalg.qr(rng.normal(size=(d, rank)))[0]
    X = (left * (np.sqrt(n) * rng.uniform(1, 2, rank))) @ right.T + rng.normal(size=d)
    w = rng.normal(size=d)
    if sparse:
        w[rng.permutation(d)[max(1, d // 4) :]] = 0.0
    y = X @ w + rng.normal() + 0.1 * rng.normal(size=n)
    return X, y


@st.composite
def problems(draw: st.DrawFn, regime: str, *, sparse: bool = False):
    """Random problem shapes on one side of the square case (d ≤ n/2 or d ≥ 2n)."""
    if regime == "d<n":
        n = draw(st.integers(4, 30))
        d = draw(st.integers(1, n // 2))
    else:
        n = draw(st.integers(2, 10))
        d = draw(st.integers(2 * n, 40))
    return make_problem(draw(seeds), n, d, sparse=sparse)


def cast(
    X: np.ndarray, y: np.ndarray, dtype
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The problem in ``dtype`` and the same numbers in float64 (for the oracles)."""
    Xd, yd = X.astype(dtype), y.astype(dtype)
    return Xd, yd, Xd.astype(np.float64), yd.astype(np.float64)


def with_ones(X: np.ndarray) -> np.ndarray:
    return np.column_stack([X, np.ones(len(X))])


def assert_solution_close(w, b, w_expected, b_expected, tol: float) -> None:
    """``(w, b)`` equals the expected pair to ``tol`` relative to the size of the solution."""
    expected = np.append(w_expected, b_expected)
    scale = 1.0 + np.abs(expected).max()
    np.testing.assert_allclose(np.append(w, b), expected, rtol=0, atol=tol * scale)


def ridge_gradient(X, y, w, b, lam_prime, penalize_bias) -> np.ndarray:
    """∇ of mean(½ r²) + (λ'/2)(‖w‖² [+ b²]) with respect to (w, b), written plainly."""
    residual = X @ w + b - y
    grad_w = X.T @ residual / len(y) + lam_prime * w
    grad_b = residual.mean() + (lam_prime * b if penalize_bias else 0.0)
    return np.append(grad_w, grad_b)


def gradient_scale(X, y, w, b) -> float:
    """Size of the terms summed in ∇L(w, b); round-off in a computed gradient is relative to it."""
    terms = np.abs(with_ones(X)).T @ (np.abs(X) @ np.abs(w) + abs(b) + np.abs(y))
    return float(terms.max() / len(y))


def lam_prime(lam: float, half: bool) -> float:
    return lam if half else 2 * lam


def lasso_lambda_max(X, y, penalize_bias: bool = False) -> float:
    """The smallest l1 for which the lasso solution is w = 0 (and b = 0 if b is penalised)."""
    A, t = (with_ones(X), y) if penalize_bias else (X - X.mean(axis=0), y - y.mean())
    return float(np.abs(A.T @ t).max() / len(y))


# --------------------------------------------------------------------------- ridge


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize(("dtype", "half", "penalize_bias"), RIDGE_COMBOS)
@given(data=st.data(), lam=positive_lams)
def test_ridge_fit_agrees_with_sklearn_ridge(data, lam, regime, dtype, half, penalize_bias):
    # sklearn's Ridge minimises ‖y − Xw − b‖² + alpha‖w‖², so alpha = n·λ' (λ' = λ or 2λ).
    # lam > 0 here: at alpha = 0 sklearn's SVD solver keeps singular values above an absolute
    # 1e-15, which includes the round-off image of the centring null space when d ≥ n.
    X, y, X64, y64 = cast(*data.draw(problems(regime)), dtype)
    alpha = len(y) * lam_prime(lam, half)
    w, b = ridge_fit(X, y, lam, half=half, penalize_bias=penalize_bias)
    if penalize_bias:
        model = Ridge(alpha=alpha, fit_intercept=False, solver="svd").fit(with_ones(X64), y64)
        expected = model.coef_[:-1], model.coef_[-1]
    else:
        model = Ridge(alpha=alpha, solver="svd").fit(X64, y64)
        expected = model.coef_, model.intercept_
    assert w.dtype == dtype
    assert_solution_close(w, b, *expected, TOL[np.dtype(dtype)])


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize(("dtype", "half", "penalize_bias"), RIDGE_COMBOS)
@given(data=st.data(), lam=lams_with_zero)
def test_gradient_of_penalised_objective_vanishes_at_ridge_fit(
    data, lam, regime, dtype, half, penalize_bias
):
    X, y, X64, y64 = cast(*data.draw(problems(regime)), dtype)
    w, b = ridge_fit(X, y, lam, half=half, penalize_bias=penalize_bias)
    w64 = w.astype(np.float64)
    gradient = ridge_gradient(X64, y64, w64, b, lam_prime(lam, half), penalize_bias)
    scale = gradient_scale(X64, y64, w64, b)
    assert np.abs(gradient).max() <= TOL[np.dtype(dtype)] * scale


@pytest.mark.parametrize(("n", "d"), [(30, 5), (6, 15)], ids=REGIMES)
@pytest.mark.parametrize(("dtype", "half", "penalize_bias"), RIDGE_COMBOS)
def test_gradient_descent_from_zero_converges_to_ridge_fit(n, d, dtype, half, penalize_bias):
    X, y, X64, y64 = cast(*make_problem(7, n, d), dtype)
    lam = 1.0
    reg = lam_prime(lam, half)
    smoothness = np.linalg.norm(with_ones(X64), 2) ** 2 / n + reg  # Lipschitz constant of ∇
    theta = np.zeros(d + 1)  # (w, b)
    for _ in range(100_000):
        gradient = ridge_gradient(X64, y64, theta[:-1], theta[-1], reg, penalize_bias)
        if np.abs(gradient).max() < 1e-13:
            break
        theta -= gradient / smoothness
    else:
        pytest.fail("gradient descent did not converge")
    w, b = ridge_fit(X, y, lam, half=half, penalize_bias=penalize_bias)
    assert_solution_close(w, b, theta[:-1], theta[-1], TOL[np.dtype(dtype)])


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("penalize_bias", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_ridge_fit_at_zero_lambda_is_the_minimum_norm_least_squares_solution(
    data, regime, penalize_bias, dtype
):
    # unpenalised bias: minimum ‖w‖ with b free; penalised bias: minimum ‖(w, b)‖.
    X, y, X64, y64 = cast(*data.draw(problems(regime)), dtype)
    w, b = ridge_fit(X, y, 0.0, penalize_bias=penalize_bias)
    if penalize_bias:
        coef = np.linalg.pinv(with_ones(X64), rtol=1e-10) @ y64
        expected = coef[:-1], coef[-1]
    else:
        w_min = np.linalg.pinv(X64 - X64.mean(axis=0), rtol=1e-10) @ (y64 - y64.mean())
        expected = w_min, y64.mean() - X64.mean(axis=0) @ w_min
    assert_solution_close(w, b, *expected, TOL[np.dtype(dtype)])


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("half", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), lams=st.lists(lams_with_zero, min_size=1, max_size=6))
def test_ridge_path_rows_equal_ridge_fit(data, lams, regime, half, dtype):
    X, y, _, _ = cast(*data.draw(problems(regime)), dtype)
    W, b = ridge_path(X, y, lams, half=half)
    assert W.shape == (len(lams), X.shape[1])
    assert b.shape == (len(lams),)
    assert W.dtype == b.dtype == dtype
    for k, lam in enumerate(lams):
        assert_solution_close(W[k], b[k], *ridge_fit(X, y, lam, half=half), TOL[np.dtype(dtype)])


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("half", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), lams=st.lists(positive_lams, min_size=1, max_size=6))
def test_shrinkage_factors_lie_in_the_unit_interval_one_per_nonzero_singular_value(
    data, lams, regime, half, dtype
):
    X = data.draw(problems(regime))[0].astype(dtype)
    factors = shrinkage_factors(X, lams, half=half)
    rank = np.linalg.matrix_rank(X.astype(np.float64) - X.astype(np.float64).mean(axis=0))
    assert factors.shape == (len(lams), rank)
    assert factors.dtype == dtype
    assert np.all((factors > 0) & (factors <= 1))
    assert np.all(shrinkage_factors(X, [0.0], half=half) == 1.0)


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("half", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), first=lams_with_zero, steps=st.lists(positive_lams, max_size=5))
def test_effective_dof_decreases_strictly_in_lambda(data, first, steps, regime, half, dtype):
    X = data.draw(problems(regime))[0].astype(dtype)
    lams = first + np.cumsum([0.0, *steps])  # strictly increasing
    dof = effective_dof(X, lams, half=half)
    assert np.all(np.diff(dof) < 0)


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data())
def test_effective_dof_at_zero_lambda_equals_rank_of_centred_design(data, regime, dtype):
    X = data.draw(problems(regime))[0].astype(dtype)
    n, d = X.shape
    assert effective_dof(X, [0.0]).tolist() == [min(n - 1, d)]


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("half", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), lam=positive_lams)
def test_effective_dof_is_the_trace_of_the_centred_hat_matrix(data, lam, regime, half, dtype):
    # The intercept is not counted: the hat matrix acts on centred targets.
    X = data.draw(problems(regime))[0].astype(dtype)
    Xc = X.astype(np.float64) - X.astype(np.float64).mean(axis=0)
    n, d = Xc.shape
    hat = Xc @ np.linalg.solve(Xc.T @ Xc + n * lam_prime(lam, half) * np.eye(d), Xc.T)
    np.testing.assert_allclose(
        effective_dof(X, [lam], half=half), [np.trace(hat)], rtol=TOL[np.dtype(dtype)]
    )


# --------------------------------------------------------------------------- soft-thresholding

values = st.lists(st.floats(-10, 10), min_size=1, max_size=20)
thresholds = st.floats(0, 5)


@given(v=values, t=thresholds)
def test_soft_threshold_is_exactly_zero_where_the_magnitude_is_within_the_threshold(v, t):
    v = np.array(v)
    inside = np.abs(v) <= t
    result = soft_threshold(v, t)
    assert np.all(result[inside] == 0.0)
    assert not np.any(np.signbit(result[inside]))  # +0.0, not -0.0
    assert np.all(result[~inside] != 0.0)


@given(v=values, t=thresholds)
def test_soft_threshold_minimises_the_prox_objective(v, t):
    # prox_{t|·|}(v) = argmin_u ½(u − v)² + t|u|: no point of a fine grid does better.
    v = np.array(v)
    grid = np.linspace(-12, 12, 24_001)

    def objective(u):
        return 0.5 * (u - v[:, None]) ** 2 + t * np.abs(u)

    best_on_grid = objective(grid[None, :]).min(axis=1)
    assert np.all(objective(soft_threshold(v, t)[:, None])[:, 0] <= best_on_grid + 1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_soft_threshold_keeps_float_dtypes_and_promotes_integers(dtype):
    result = soft_threshold(np.array([-3, -1, 0, 2, 5], dtype=dtype), 2)
    assert result.dtype == (np.float64 if dtype is np.int64 else dtype)
    assert result.tolist() == [-1.0, 0.0, 0.0, 0.0, 3.0]


# --------------------------------------------------------------------------- proximal solver


# An oracle that stopped at max_iter is no oracle: make its ConvergenceWarning an error.
SKLEARN_MUST_CONVERGE = pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")


def sklearn_elastic_net(X64, y64, l1, l2, penalize_bias):
    """scikit-learn's solution (w, b) of our objective: Lasso if l2 = 0, else ElasticNet."""
    options = {"tol": 1e-12, "max_iter": 10**6, "fit_intercept": not penalize_bias}
    if l2 == 0:
        model = Lasso(alpha=l1, **options)  # (1/2n)‖·‖² + alpha‖w‖₁
    else:  # (1/2n)‖·‖² + alpha·ρ‖w‖₁ + ½alpha(1 − ρ)‖w‖²
        model = ElasticNet(alpha=l1 + l2, l1_ratio=l1 / (l1 + l2), **options)
    if penalize_bias:
        coef = model.fit(with_ones(X64), y64).coef_
        return coef[:-1], coef[-1]
    model.fit(X64, y64)
    return model.coef_, model.intercept_


def assert_same_clear_support(w, X64, y64, w_expected, b_expected, l1, l2):
    """Zeros agree except where the oracle's coordinate is borderline (tiny, or |∇ⱼ| ≈ l1)."""
    gradient = X64.T @ (X64 @ w_expected + b_expected - y64) / len(y64) + l2 * w_expected
    clearly_zero = (w_expected == 0) & (np.abs(gradient) < (1 - 1e-3) * l1)
    clearly_nonzero = np.abs(w_expected) > 1e-5 * (1 + np.abs(w_expected).max())
    assert np.all(w[clearly_zero] == 0.0)
    assert np.all(w[clearly_nonzero] != 0.0)


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize(("dtype", "penalize_bias"), PROX_COMBOS)
def test_proximal_fit_gives_exact_zeros_for_a_sparse_truth(regime, dtype, penalize_bias):
    n, d = (60, 20) if regime == "d<n" else (20, 60)
    X, y, _, _ = cast(*make_problem(3, n, d, sparse=True), dtype)
    w, _ = proximal_fit(X, y, l1=0.2 * lasso_lambda_max(X, y), penalize_bias=penalize_bias)
    assert np.count_nonzero(w == 0.0) > 0
    assert w.dtype == dtype


@SKLEARN_MUST_CONVERGE
@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize(("dtype", "penalize_bias"), PROX_COMBOS)
@given(data=st.data(), fraction=st.floats(0.02, 0.9))
def test_proximal_fit_agrees_with_sklearn_lasso(data, fraction, regime, dtype, penalize_bias):
    X, y, X64, y64 = cast(*data.draw(problems(regime, sparse=True)), dtype)
    l1 = fraction * lasso_lambda_max(X64, y64, penalize_bias)
    w, b = proximal_fit(X, y, l1=l1, penalize_bias=penalize_bias)
    expected = sklearn_elastic_net(X64, y64, l1, 0.0, penalize_bias)
    assert_solution_close(w, b, *expected, SOLVER_TOL)
    assert_same_clear_support(w, X64, y64, *expected, l1, 0.0)


@SKLEARN_MUST_CONVERGE
@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize(("dtype", "penalize_bias"), PROX_COMBOS)
@given(data=st.data(), fraction=st.floats(0.02, 0.9), l2=st.floats(0.01, 2))
def test_proximal_fit_agrees_with_sklearn_elastic_net(
    data, fraction, l2, regime, dtype, penalize_bias
):
    X, y, X64, y64 = cast(*data.draw(problems(regime, sparse=True)), dtype)
    l1 = fraction * lasso_lambda_max(X64, y64, penalize_bias)
    w, b = proximal_fit(X, y, l1=l1, l2=l2, penalize_bias=penalize_bias)
    expected = sklearn_elastic_net(X64, y64, l1, l2, penalize_bias)
    assert_solution_close(w, b, *expected, SOLVER_TOL)
    assert_same_clear_support(w, X64, y64, *expected, l1, l2)


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize(("dtype", "penalize_bias"), PROX_COMBOS)
@given(
    data=st.data(),
    # 0 < l1 ≪ λ_max with d > n approaches basis pursuit, where proximal gradient needs more
    # iterations the smaller l1 is (documented in proximal_fit): such l1 are kept out.
    fraction=st.one_of(st.just(0.0), st.floats(0.01, 1.2)),
    l2=st.one_of(st.just(0.0), st.floats(0.01, 2)),
)
def test_proximal_fit_satisfies_the_optimality_conditions(
    data, fraction, l2, regime, dtype, penalize_bias
):
    X, y, X64, y64 = cast(*data.draw(problems(regime, sparse=True)), dtype)
    l1 = fraction * lasso_lambda_max(X64, y64, penalize_bias)
    w, b = proximal_fit(X, y, l1=l1, l2=l2, penalize_bias=penalize_bias)
    violation = kkt_violation(X, y, w, b, l1=l1, l2=l2, penalize_bias=penalize_bias)
    tol = max(TOL[np.dtype(dtype)], KKT_TOL)
    assert violation <= tol * gradient_scale(X64, y64, w.astype(np.float64), b)


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("penalize_bias", [False, True])
@given(data=st.data(), lam=positive_lams)
def test_proximal_fit_without_l1_equals_ridge_fit(data, lam, regime, penalize_bias):
    X, y = data.draw(problems(regime))
    w, b = proximal_fit(X, y, l1=0.0, l2=lam, penalize_bias=penalize_bias)
    expected = ridge_fit(X, y, lam, penalize_bias=penalize_bias)
    assert_solution_close(w, b, *expected, 1e-9)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("regime", REGIMES)
@given(data=st.data(), factor=st.floats(1, 10))
def test_proximal_fit_is_zero_with_mean_bias_at_or_above_lambda_max(data, factor, regime, dtype):
    X, y, X64, y64 = cast(*data.draw(problems(regime)), dtype)
    w, b = proximal_fit(X, y, l1=factor * lasso_lambda_max(X64, y64))
    assert np.all(w == 0.0)
    assert b == pytest.approx(y64.mean(), rel=TOL[np.dtype(dtype)])


def test_proximal_fit_raises_when_max_iter_is_too_small():
    X, y = make_problem(0, 30, 10)
    with pytest.raises(WdtheoryError, match=r"did not converge in max_iter=3 iterations"):
        proximal_fit(X, y, l1=0.01, max_iter=3)


def test_kkt_violation_detects_a_perturbed_solution():
    X, y = make_problem(5, 40, 10, sparse=True)
    l1 = 0.3 * lasso_lambda_max(X, y)
    w, b = proximal_fit(X, y, l1=l1)
    assert kkt_violation(X, y, w, b, l1=l1) < 1e-10
    assert kkt_violation(X, y, w, b + 0.1, l1=l1) >= 0.1  # ∂/∂b alone is off by 0.1
    zero = np.flatnonzero(w == 0.0)[0]
    w[zero] = 1e-3
    assert kkt_violation(X, y, w, b, l1=l1) > l1 / 2  # sign(w_j) = 1 but |∇ⱼ| < l1


# --------------------------------------------------------------------------- dtypes and errors


@pytest.mark.parametrize(
    ("x_dtype", "y_dtype", "expected"),
    [
        (np.float32, np.float32, np.float32),
        (np.float64, np.float64, np.float64),
        (np.float32, np.float64, np.float64),
        (np.int64, np.int64, np.float64),
    ],
)
def test_outputs_use_the_common_floating_dtype_of_the_inputs(x_dtype, y_dtype, expected):
    X, y = make_problem(1, 12, 4)
    X, y = (10 * X).astype(x_dtype), (10 * y).astype(y_dtype)
    assert ridge_fit(X, y, 0.1)[0].dtype == expected
    assert all(a.dtype == expected for a in ridge_path(X, y, [0.1, 1.0]))
    assert proximal_fit(X, y, l1=0.1)[0].dtype == expected
    x_float = np.result_type(x_dtype, np.float32)  # these two depend on X alone
    assert shrinkage_factors(X, [0.1]).dtype == x_float
    assert effective_dof(X, [0.1]).dtype == x_float


X_OK, Y_OK = make_problem(0, 5, 3)
X_NAN = X_OK.copy()
X_NAN[1, 2] = np.nan
Y_INF = Y_OK.copy()
Y_INF[3] = np.inf


# (case, call, fragment of the expected message)
# fmt: off
BAD_INPUTS = [
    ("negative lam", lambda: ridge_fit(X_OK, Y_OK, -1.0),
     "lam must be a finite real number ≥ 0, got -1.0"),
    ("nan lam", lambda: ridge_fit(X_OK, Y_OK, np.nan),
     "lam must be a finite real number ≥ 0, got nan"),
    ("infinite lam", lambda: ridge_fit(X_OK, Y_OK, np.inf), "got inf"),
    ("string lam", lambda: ridge_fit(X_OK, Y_OK, "0.1"), "got '0.1'"),
    ("boolean lam", lambda: ridge_fit(X_OK, Y_OK, True), "got True"),
    ("1-D X", lambda: ridge_fit(Y_OK, Y_OK, 0.1),
     "X must be a non-empty 2-D array (n_samples, n_features), got shape (5,)"),
    ("empty X", lambda: ridge_fit(np.zeros((0, 3)), np.zeros(0), 0.1), "got shape (0, 3)"),
    ("2-D y", lambda: ridge_fit(X_OK, Y_OK[:, None], 0.1),
     "y must be 1-D with 5 entries (one per row of X), got shape (5, 1)"),
    ("short y", lambda: ridge_fit(X_OK, Y_OK[:4], 0.1), "got shape (4,)"),
    ("nan in X", lambda: ridge_fit(X_NAN, Y_OK, 0.1), "X[1, 2] = nan; all entries must be finite"),
    ("inf in y", lambda: ridge_path(X_OK, Y_INF, [0.1]), "y[3] = inf"),
    ("complex X", lambda: ridge_fit(X_OK + 1j, Y_OK, 0.1),
     "X must hold real numbers, got dtype complex128"),
    ("ragged X", lambda: ridge_fit([[1.0, 2.0], [3.0]], [1.0, 2.0], 0.1),
     "X must be an array of real numbers"),
    ("negative lams", lambda: ridge_path(X_OK, Y_OK, [0.1, -0.5]),
     "lams[1] = -0.5; every λ must be ≥ 0"),
    ("nan lams", lambda: effective_dof(X_OK, [np.nan]), "lams[0] = nan"),
    ("2-D lams", lambda: shrinkage_factors(X_OK, [[0.1]]),
     "lams must be a 1-D sequence of penalties, got shape (1, 1)"),
    ("negative t", lambda: soft_threshold([1.0], -1.0),
     "t must be a finite real number ≥ 0, got -1.0"),
    ("nan in v", lambda: soft_threshold([0.0, np.nan], 1.0), "v[1] = nan"),
    ("negative l1", lambda: proximal_fit(X_OK, Y_OK, l1=-0.1),
     "l1 must be a finite real number ≥ 0, got -0.1"),
    ("nan l2", lambda: proximal_fit(X_OK, Y_OK, l1=0.1, l2=np.nan),
     "l2 must be a finite real number ≥ 0, got nan"),
    ("zero tol", lambda: proximal_fit(X_OK, Y_OK, l1=0.1, tol=0),
     "tol must be a finite real number > 0, got 0.0"),
    ("zero max_iter", lambda: proximal_fit(X_OK, Y_OK, l1=0.1, max_iter=0),
     "max_iter must be an integer ≥ 1, got 0"),
    ("float max_iter", lambda: proximal_fit(X_OK, Y_OK, l1=0.1, max_iter=1.5), "got 1.5"),
    ("short w", lambda: kkt_violation(X_OK, Y_OK, [0.0, 0.0], 0.0, l1=0.1),
     "w must be 1-D with 3 entries (one per column of X), got shape (2,)"),
    ("vector b", lambda: kkt_violation(X_OK, Y_OK, np.zeros(3), [0.0], l1=0.1),
     "b must be a scalar, got shape (1,)"),
]
# fmt: on


@pytest.mark.parametrize(
    ("call", "message"),
    [pytest.param(call, message, id=case) for case, call, message in BAD_INPUTS],
)
def test_bad_input_raises_a_one_line_error_naming_the_value(call, message):
    with pytest.raises(WdtheoryError, match=re.escape(message)) as info:
        call()
    assert "\n" not in str(info.value)
