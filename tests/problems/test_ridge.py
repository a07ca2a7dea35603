"""Specification of ``wdtheory.problems.ridge``: the ridge closed form derived by SymPy's matrix calculus.

The objective (the project's convention) is

    L(w, b) = 1/(2n) ‖Xw + b1 − y‖² + λ'/2 ‖w‖²  [+ λ'/2 b² if penalize_bias],

with λ' = λ for ``half=True`` (penalty λ/2‖w‖²) and λ' = 2λ for ``half=False`` (penalty λ‖w‖²).
:func:`derive_ridge` returns w* = (X_cᵀX_c + nλ'I)⁻¹X_cᵀy_c and b* = ȳ − x̄ᵀw* in terms of the
matrix symbols ``X_c``, ``y_c``, ``xbar``, ``ybar`` (or θ* = (X̃ᵀX̃ + nλ'I)⁻¹X̃ᵀy with X̃ = [X 1]
when the bias is penalised).

Oracles, all written here independently of the code under test:

* exact: the explicit objective with symbolic entries, differentiated and solved by ``sympy.solve``;
* exact: the SVD form V diag(s/(s² + nλ))Uᵀy with rotations U, V parametrised rationally (Cayley),
  so that ``sympy.cancel`` decides equality;
* numeric: ``solvers.ridge_fit``, scikit-learn ``Ridge(alpha = n·λ')`` (which minimises
  ‖y − Xw‖² + alpha‖w‖², i.e. 2n times our objective) and the trace of the hat matrix.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st
from sklearn.linear_model import Ridge

from wdtheory.core.errors import WdtheoryError
from wdtheory.numeric.solvers import effective_dof, ridge_fit, shrinkage_factors
from wdtheory.problems.problem import Problem
from wdtheory.problems.ridge import RidgeSolution, derive_ridge, ridge_sections, shrinkage_factor

LAM = sp.Symbol("lam", positive=True)

COMBOS = [
    pytest.param(half, penalize_bias, id=f"half={half}-penalize_bias={penalize_bias}")
    for half, penalize_bias in itertools.product([True, False], [False, True])
]


# --------------------------------------------------------------------------- helpers


def effective_strength(lam, half: bool):
    """λ' such that the L2 penalty's gradient is λ'w: λ for λ/2‖w‖², 2λ for λ‖w‖²."""
    return lam if half else 2 * lam


def by_name(expr: sp.Basic) -> dict[str, sp.Basic]:
    """The free symbols (scalar and matrix) of ``expr``, by name."""
    return {str(s): s for s in expr.free_symbols}


@functools.cache
def derived(half: bool, penalize_bias: bool) -> RidgeSolution:
    return derive_ridge(
        Problem.create("squared_error", l2=LAM, half=half, penalize_bias=penalize_bias)
    )


def at_shape(expr: sp.Basic, n: int, d: int) -> sp.Basic:
    """``expr`` with the symbolic sizes n and d replaced by numbers."""
    names = by_name(expr)
    return expr.subs({names["n"]: n, names["d"]: d})


def evaluate(expr: sp.MatrixExpr) -> sp.Matrix:
    """An explicit matrix expression as a Matrix, inverting by adjugate/determinant (much faster
    than SymPy's default elimination on symbolic entries, and exact)."""

    def inverse(node: sp.Inverse) -> sp.ImmutableMatrix:
        A = sp.Matrix(node.arg.doit()).applyfunc(sp.expand)
        return sp.ImmutableMatrix(A.adjugate() / A.det())

    return sp.Matrix(expr.replace(lambda e: isinstance(e, sp.Inverse), inverse).doit())


def explicit_closed_form(solution: RidgeSolution, X: sp.Matrix, y: sp.Matrix, penalize_bias):
    """(w*, b*) from the derived expressions for explicit (possibly symbolic) data X, y.

    The matrix symbols are given the meaning stated in the module's documentation.
    """
    n, d = X.shape
    ones = sp.ones(n, 1)
    if penalize_bias:
        data = {
            sp.MatrixSymbol("Xtilde", n, d + 1): X.row_join(ones),
            sp.MatrixSymbol("y", n, 1): y,
        }
        theta = evaluate(at_shape(solution.weights, n, d).xreplace(data))
        return theta[:d, :], theta[d]
    xbar = X.T * ones / n
    ybar = ones.T * y / n
    data = {
        sp.MatrixSymbol("X_c", n, d): X - ones * xbar.T,
        sp.MatrixSymbol("y_c", n, 1): y - ones * ybar,
        sp.MatrixSymbol("xbar", d, 1): xbar,
        sp.MatrixSymbol("ybar", 1, 1): ybar,
    }
    weights = at_shape(solution.weights, n, d)
    w = evaluate(weights.xreplace(data))
    # the bias contains w*: evaluate that subexpression once (a no-op if it is written otherwise)
    bias = at_shape(solution.bias, n, d).xreplace({weights: sp.ImmutableMatrix(w)})
    b = evaluate(bias.xreplace(data))
    return w, b[0, 0]


@functools.cache
def numeric_closed_form(half: bool, penalize_bias: bool, n: int, d: int):
    """The derived (w*, b*) as a NumPy function of (X, y, λ) for one shape (via lambdify)."""
    solution = derived(half, penalize_bias)
    weights = at_shape(solution.weights, n, d)
    if penalize_bias:
        design, target = sp.MatrixSymbol("Xtilde", n, d + 1), sp.MatrixSymbol("y", n, 1)
        theta_of = sp.lambdify([design, target, LAM], weights, "numpy")

        def closed_form(X, y, lam):
            theta = theta_of(np.column_stack([X, np.ones(n)]), y[:, None], lam).ravel()
            return theta[:d], theta[d]

        return closed_form
    Xc, yc = sp.MatrixSymbol("X_c", n, d), sp.MatrixSymbol("y_c", n, 1)
    xbar, ybar = sp.MatrixSymbol("xbar", d, 1), sp.MatrixSymbol("ybar", 1, 1)
    w_of = sp.lambdify([Xc, yc, LAM], weights, "numpy")
    b_of = sp.lambdify([Xc, yc, xbar, ybar, LAM], at_shape(solution.bias, n, d), "numpy")

    def closed_form(X, y, lam):
        mx, my = X.mean(axis=0), y.mean()
        args = (X - mx, (y - my)[:, None])
        w = w_of(*args, lam).ravel()
        b = b_of(*args, mx[:, None], np.array([[my]]), lam)
        return w, float(np.asarray(b).ravel()[0])

    return closed_form


def random_data(seed: int, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian data whose columns have nonzero means (so the intercept matters)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) + rng.uniform(-3, 3, size=d)
    y = rng.standard_normal(n) + rng.uniform(-3, 3)
    return X, y


# --------------------------------------------------------------------------- exact: gradient = 0


@pytest.mark.parametrize(("half", "penalize_bias"), COMBOS)
def test_strength_is_the_l2_gradient_coefficient(half, penalize_bias):
    solution = derived(half, penalize_bias)
    assert solution.strength == effective_strength(LAM, half)
    assert (solution.bias is None) == penalize_bias


def _combo_marks(half: bool, penalize_bias: bool):
    # one combination is redundant given the others (half only rescales λ): run it with -m slow
    return [pytest.mark.slow] if (not half and penalize_bias) else []


@pytest.mark.parametrize(
    ("half", "penalize_bias"),
    [
        pytest.param(h, pb, id=f"half={h}-penalize_bias={pb}", marks=_combo_marks(h, pb))
        for h, pb in itertools.product([True, False], [False, True])
    ],
)
def test_closed_form_solves_the_written_out_normal_equations(half, penalize_bias):
    """n = 3, d = 2, every entry of X and y a symbol, λ a symbol: the derived w*, b* equal the
    solution of ∂L/∂w = 0, ∂L/∂b = 0 for the objective written out here, by ``sympy.solve``."""
    n, d = 3, 2
    X = sp.Matrix(n, d, lambda i, j: sp.Symbol(f"x{i}{j}", real=True))
    y = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"y{i}", real=True))
    w = sp.Matrix(d, 1, lambda i, _: sp.Symbol(f"w{i}", real=True))
    b = sp.Symbol("b", real=True)
    lam_prime = effective_strength(LAM, half)
    residual = X * w + b * sp.ones(n, 1) - y
    objective = (residual.T * residual)[0] / (2 * n) + lam_prime / 2 * (w.T * w)[0]
    if penalize_bias:
        objective += lam_prime / 2 * b**2
    unknowns = [*w, b]
    (expected,) = sp.solve([sp.diff(objective, u) for u in unknowns], unknowns, dict=True)

    w_star, b_star = explicit_closed_form(derived(half, penalize_bias), X, y, penalize_bias)

    assert w_star.shape == (d, 1)
    for i in range(d):
        assert sp.simplify(sp.cancel(w_star[i] - expected[w[i]])) == 0
    assert sp.simplify(sp.cancel(b_star - expected[b])) == 0


def test_unpenalised_bias_is_ybar_minus_xbar_w():
    solution = derived(True, False)
    names = by_name(solution.bias)
    xbar, ybar = names["xbar"], names["ybar"]
    assert sp.simplify(solution.bias - (ybar - xbar.T * solution.weights)) == sp.ZeroMatrix(1, 1)


# --------------------------------------------------------------------------- numeric: vs solvers and sklearn

shapes = st.tuples(st.integers(2, 6), st.integers(1, 6))


@pytest.mark.parametrize(("half", "penalize_bias"), COMBOS)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1), lam=st.floats(1e-2, 1e2))
@example(shape=(2, 5), seed=0, lam=0.5)  # d > n: unique only because λ > 0
@example(shape=(3, 3), seed=1, lam=1e-2)
def test_closed_form_matches_ridge_fit_and_sklearn(half, penalize_bias, shape, seed, lam):
    n, d = shape
    X, y = random_data(seed, n, d)
    w, b = numeric_closed_form(half, penalize_bias, n, d)(X, y, lam)

    w_ours, b_ours = ridge_fit(X, y, lam, half=half, penalize_bias=penalize_bias)
    alpha = n * effective_strength(lam, half)  # 2n·L = ‖y − Xw − b‖² + nλ'‖w‖² (+ nλ'b²)
    if penalize_bias:
        design = np.column_stack([X, np.ones(n)])
        coef = Ridge(alpha=alpha, fit_intercept=False).fit(design, y).coef_
        w_sk, b_sk = coef[:d], coef[d]
    else:
        model = Ridge(alpha=alpha).fit(X, y)
        w_sk, b_sk = model.coef_, model.intercept_

    scale = 1.0 + np.linalg.norm(w) + abs(b)
    np.testing.assert_allclose(w, w_ours, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(w, w_sk, rtol=0, atol=1e-8 * scale)
    assert b == pytest.approx(b_ours, abs=1e-9 * scale)
    assert b == pytest.approx(b_sk, abs=1e-8 * scale)


# --------------------------------------------------------------------------- the SVD route


@pytest.mark.parametrize(
    "strength", [LAM, 2 * LAM, sp.Rational(3, 10)], ids=["lam", "2*lam", "3/10"]
)
def test_shrinkage_factor_is_s2_over_s2_plus_n_strength(strength):
    objective, theta_star, factor = shrinkage_factor(strength)
    names = by_name(objective)
    s, zhat, theta, n = names["s"], names["zhat"], names["theta"], names["n"]
    assert s.is_positive and n.is_positive

    # the scalar problem along one singular direction, written out here
    assert sp.expand(objective - ((s * theta - zhat) ** 2 / (2 * n) + strength / 2 * theta**2)) == 0
    # θ* is its minimiser: stationary, with positive curvature
    assert sp.cancel(sp.diff(objective, theta).subs(theta, theta_star)) == 0
    assert sp.diff(objective, theta, 2).is_positive
    assert sp.cancel(theta_star - s * zhat / (s**2 + n * strength)) == 0
    assert sp.cancel(factor - s**2 / (s**2 + n * strength)) == 0


@pytest.mark.parametrize("half", [True, False])
def test_svd_section_shows_the_filter_factor(half):
    solution = derived(half, False)
    _, svd = solution.sections
    _, _, factor = shrinkage_factor(effective_strength(LAM, half))
    assert any(step.rhs == factor for step in svd.steps)


def _cayley_rotation(p: sp.Symbol) -> sp.Matrix:
    """A 2×2 rotation with rational entries: cos = (1 − p²)/(1 + p²), sin = 2p/(1 + p²)."""
    c, s = (1 - p**2) / (1 + p**2), 2 * p / (1 + p**2)
    return sp.Matrix([[c, -s], [s, c]])


def test_closed_form_is_svd_filtering_exactly_2x2():
    """X = U diag(s) Vᵀ: (XᵀX + nλI)⁻¹Xᵀy = V diag(s/(s² + nλ))Uᵀy, and the derived closed form and
    the derived per-direction minimiser θ*(s_j, ẑ_j) with ẑ = Uᵀy both give it (n = d = 2)."""
    t, u = sp.symbols("t u", real=True)
    s = sp.symbols("s1 s2", positive=True)
    y = sp.Matrix(sp.symbols("y1 y2", real=True))
    U, V = _cayley_rotation(t), _cayley_rotation(u)
    assert sp.cancel(U.T * U) == sp.eye(2) and sp.cancel(V.T * V) == sp.eye(2)
    X = U * sp.diag(*s) * V.T
    n = 2

    filtered = V * sp.diag(*[sj / (sj**2 + n * LAM) for sj in s]) * U.T * y
    normal_equations = (X.T * X + n * LAM * sp.eye(2)).inv() * X.T * y
    assert sp.cancel(normal_equations - filtered) == sp.zeros(2, 1)

    weights = derived(True, False).weights
    data = {sp.MatrixSymbol("X_c", 2, 2): X, sp.MatrixSymbol("y_c", 2, 1): y}
    closed = sp.Matrix(at_shape(weights, 2, 2).xreplace(data).doit())
    assert sp.cancel(closed - filtered) == sp.zeros(2, 1)

    _, theta_star, _ = shrinkage_factor(LAM)
    names = by_name(theta_star)
    zhat = U.T * y
    theta = [
        theta_star.subs({names["s"]: s[j], names["zhat"]: zhat[j], names["n"]: n}) for j in range(2)
    ]
    assert sp.cancel(V * sp.Matrix(theta) - filtered) == sp.zeros(2, 1)


@pytest.mark.parametrize("half", [True, False])
@given(shape=shapes, seed=st.integers(0, 2**32 - 1), lam=st.floats(1e-3, 1e3))
@example(shape=(3, 6), seed=2, lam=0.1)
def test_effective_dof_is_sum_of_filter_factors_and_trace_of_hat_matrix(half, shape, seed, lam):
    n, d = shape
    X, _ = random_data(seed, n, d)
    Xc = X - X.mean(axis=0)
    n_lam = n * effective_strength(lam, half)

    # filter factors from the derived symbolic formula, on the singular values of X_c
    _, _, factor = shrinkage_factor(effective_strength(LAM, half))
    names = by_name(factor)
    f = sp.lambdify([names["s"], names["n"], LAM], factor, "numpy")
    s = np.linalg.svd(Xc, compute_uv=False)
    s = s[s > s[0] * 1e-12]
    factors = f(s, n, lam)
    hat = Xc @ np.linalg.solve(Xc.T @ Xc + n_lam * np.eye(d), Xc.T)

    # a round-off image of a zero singular value may be kept with a factor ~1e-32: ignore it
    library = shrinkage_factors(X, [lam], half=half)[0]
    np.testing.assert_allclose(library[library > 1e-20], factors, rtol=1e-10)
    assert effective_dof(X, [lam], half=half)[0] == pytest.approx(factors.sum(), rel=1e-10)
    assert effective_dof(X, [lam], half=half)[0] == pytest.approx(np.trace(hat), rel=1e-9)
    assert 0 < np.trace(hat) < min(n - 1, d) + 1e-12


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "problem",
    [
        Problem.create("logistic", l2=LAM),
        Problem.create("logistic", l2=1, half=False, penalize_bias=True),
        Problem.create("softmax", l2=LAM),
        Problem.create("squared_error", l1=LAM),
        Problem.create("squared_error", l1=sp.Rational(1, 10), l2=LAM),
    ],
    ids=lambda p: p.text,
)
def test_no_closed_form_is_a_one_line_error(problem):
    with pytest.raises(WdtheoryError) as info:
        derive_ridge(problem)
    message = str(info.value)
    assert "\n" not in message
    assert problem.text in message
    assert ridge_sections(problem) == ()


@pytest.mark.parametrize(("half", "penalize_bias"), COMBOS)
def test_ridge_sections_are_the_derivation_sections(half, penalize_bias):
    problem = Problem.create("squared_error", l2=LAM, half=half, penalize_bias=penalize_bias)
    sections = ridge_sections(problem)
    assert sections == derived(half, penalize_bias).sections
    assert len(sections) == 2
    assert ridge_sections(Problem.create("squared_error")) == ()
