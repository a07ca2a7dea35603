"""Specification of ``wdtheory.problems.proximal``: the proximal map of the elastic-net penalty, derived.

For r(u) = l1·|u| + c·u² (``l2_coefficient`` = c) and a step η,

    prox(v) = argmin_u ½(u − v)² + η·r(u) = sign(v)·max(|v| − η·l1, 0) / (1 + 2ηc),

i.e. soft-thresholding by η·l1 followed by the elastic-net scaling 1/(1 + 2ηc). Every |v| ≤ η·l1
is mapped to exactly 0 — which the subgradient step v − η·l1·sign(v) does not do.

Oracles written here: ``solvers.soft_threshold`` (numeric), the objective itself evaluated with
NumPy on grids (the argmin property), and exact rational arithmetic for the zeros.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from wdtheory.core.errors import WdtheoryError
from wdtheory.numeric.solvers import soft_threshold
from wdtheory.problems.proximal import ProxDerivation, derive_prox, subdifferential_at_zero

# symbols with the signs the derivation assumes, so that results simplify at symbolic points
LAM, ETA = sp.symbols("lam eta", positive=True)
MU = sp.Symbol("mu", nonnegative=True)
R = sp.Rational

values = st.floats(-20, 20, allow_nan=False)
l1s = st.floats(1e-3, 5)
l2s = st.one_of(st.just(0.0), st.floats(1e-3, 5))
steps = st.floats(1e-3, 3)


# --------------------------------------------------------------------------- helpers


def by_name(expr: sp.Basic) -> dict[str, sp.Symbol]:
    return {s.name: s for s in expr.free_symbols}


def reference_prox(v, l1, l2_coefficient, step):
    """The expected map, from the numeric solver: soft-threshold, then the elastic-net scaling."""
    return soft_threshold(np.asarray(v, dtype=np.float64), step * l1) / (
        1 + 2 * step * l2_coefficient
    )


def prox_objective(u, v, l1, l2_coefficient, step):
    """½(u − v)² + η(l1|u| + c·u²), written out."""
    return 0.5 * (u - v) ** 2 + step * (l1 * np.abs(u) + l2_coefficient * u**2)


@functools.cache
def symbolic() -> ProxDerivation:
    """The map with symbolic l1, c and η (the default step symbol)."""
    return derive_prox(LAM, MU, ETA)


@functools.cache
def numeric_functions():
    """(piecewise, closed form) of :func:`symbolic` as NumPy functions of (v, l1, c, η)."""
    prox = symbolic()
    names = by_name(prox.piecewise) | by_name(prox.closed_form)
    args = [names[k] for k in ("v", "lam", "mu", "eta")]
    return (
        sp.lambdify(args, prox.piecewise, "numpy"),
        sp.lambdify(args, prox.closed_form, "numpy"),
    )


# --------------------------------------------------------------------------- agreement with solvers


@given(v=values, l1=l1s, l2_coefficient=l2s, step=steps)
@example(v=1.0, l1=1.0, l2_coefficient=0.0, step=1.0)  # exactly on the threshold
@example(v=-1.0, l1=1.0, l2_coefficient=0.5, step=1.0)
@example(v=0.0, l1=1.0, l2_coefficient=0.5, step=1.0)
def test_symbolic_strengths_agree_with_soft_threshold(v, l1, l2_coefficient, step):
    piecewise, closed_form = numeric_functions()
    expected = reference_prox(v, l1, l2_coefficient, step)
    assert float(piecewise(v, l1, l2_coefficient, step)) == pytest.approx(
        expected, rel=1e-12, abs=1e-12
    )
    assert float(closed_form(v, l1, l2_coefficient, step)) == pytest.approx(
        expected, rel=1e-12, abs=1e-12
    )


@functools.cache
def _numeric_derivation(l1, l2_coefficient, step) -> ProxDerivation:
    return derive_prox(l1, l2_coefficient, step)


NUMERIC_STRENGTHS = [
    pytest.param(R(1, 2), 0, 1, id="l1=1/2"),
    pytest.param(R(1, 2), R(1, 3), R(1, 5), id="l1=1/2-c=1/3-step=1/5"),
    pytest.param(3, R(7, 4), R(2, 3), id="l1=3-c=7/4-step=2/3"),
    pytest.param(R(1, 10), R(1, 2), 1, id="l1=1/10-c=1/2 (half-L2 of 1)"),
    pytest.param(0, R(1, 2), 1, id="l1=0 (pure L2 shrinkage)"),
]


@pytest.mark.parametrize(("l1", "l2_coefficient", "step"), NUMERIC_STRENGTHS)
@given(v=values)
@example(v=0.0)
def test_numeric_strengths_agree_with_soft_threshold(l1, l2_coefficient, step, v):
    prox = _numeric_derivation(l1, l2_coefficient, step)
    assert by_name(prox.closed_form).keys() == {"v"}  # numbers in, only v left out
    v_symbol = by_name(prox.closed_form)["v"]
    expected = reference_prox(v, float(l1), float(l2_coefficient), float(step))
    for expr in (prox.piecewise, prox.closed_form):
        assert float(expr.subs(v_symbol, v)) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    ("l1", "step"),
    [pytest.param(R(1, 4), R(2, 1), id="numeric"), pytest.param(LAM, ETA, id="symbolic")],
)
@given(v=values, l2_coefficient=l2s)
def test_symbolic_l2_coefficient_agrees_with_soft_threshold(l1, step, v, l2_coefficient):
    prox = _numeric_derivation(l1, MU, step)
    names = by_name(prox.closed_form)
    numbers = {"lam": 0.7, "eta": 0.3}
    l1_value = numbers["lam"] if l1 == LAM else float(l1)
    step_value = numbers["eta"] if step == ETA else float(step)
    values_by_symbol = {names["v"]: v, names["mu"]: l2_coefficient}
    values_by_symbol |= {names[k]: x for k, x in numbers.items() if k in names}
    expected = reference_prox(v, l1_value, l2_coefficient, step_value)
    for expr in (prox.piecewise, prox.closed_form):
        assert float(expr.subs(values_by_symbol)) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_closed_form_is_exactly_soft_threshold_over_scaling():
    prox = symbolic()
    names = by_name(prox.closed_form)
    v, lam, mu, eta = (names[k] for k in ("v", "lam", "mu", "eta"))
    expected = sp.sign(v) * sp.Max(sp.Abs(v) - eta * lam, 0) / (1 + 2 * eta * mu)
    assert sp.simplify(prox.closed_form - expected) == 0


def test_pure_l2_prox_is_a_scaling():
    """l1 = 0: prox(v) = v / (1 + 2ηc), no thresholding at all."""
    prox = derive_prox(0, MU)  # the default step symbol η is positive
    names = by_name(prox.closed_form)
    v, mu, eta = names["v"], names["mu"], names["eta"]
    assert sp.simplify(prox.closed_form - v / (1 + 2 * eta * mu)) == 0


# --------------------------------------------------------------------------- it is the argmin


@given(v=values, l1=l1s, l2_coefficient=l2s, step=steps, seed=st.integers(0, 2**32 - 1))
def test_closed_form_minimises_the_prox_objective(v, l1, l2_coefficient, step, seed):
    """No point of a grid around v, nor a random nearby point, has a smaller objective."""
    _, closed_form = numeric_functions()
    u_star = float(closed_form(v, l1, l2_coefficient, step))
    best = prox_objective(u_star, v, l1, l2_coefficient, step)
    rng = np.random.default_rng(seed)
    grid = np.concatenate(
        [
            np.linspace(-abs(v) - 1, abs(v) + 1, 2001),
            u_star + np.array([-1e-3, -1e-6, 1e-6, 1e-3]),
            u_star + rng.normal(scale=0.1, size=50),
            [0.0, v],
        ]
    )
    others = prox_objective(grid, v, l1, l2_coefficient, step)
    assert np.all(best <= others + 1e-12 * (1 + abs(best)))


def test_branches_are_stationary_points_exactly():
    """On v > ηl1 the result has u > 0 and zeroes the derivative of the smooth objective."""
    prox = symbolic()
    names = by_name(prox.closed_form)
    v, lam, mu, eta = (names[k] for k in ("v", "lam", "mu", "eta"))
    u = sp.Symbol("u", real=True)
    q = sp.Symbol("q", positive=True)
    for sign in (1, -1):
        at = sign * (eta * lam + q)
        u_star = prox.closed_form.subs(v, at)
        assert (sign * u_star).is_positive
        smooth = (u - at) ** 2 / 2 + eta * (lam * sign * u + mu * u**2)
        assert sp.simplify(sp.diff(smooth, u).subs(u, u_star)) == 0


# --------------------------------------------------------------------------- exact zeros


@pytest.mark.parametrize("fraction", [R(-1), R(-1, 2), R(0), R(1, 3), R(99, 100), R(1)])
def test_prox_is_exactly_zero_inside_the_threshold_symbolically(fraction):
    prox = symbolic()
    names = by_name(prox.closed_form)
    v, lam, eta = names["v"], names["lam"], names["eta"]
    at = fraction * eta * lam  # |v| ≤ η·l1
    assert prox.closed_form.subs(v, at) == 0
    assert prox.piecewise.subs(v, at) == 0


@pytest.mark.parametrize(("l1", "l2_coefficient", "step"), NUMERIC_STRENGTHS[:4])
@pytest.mark.parametrize("fraction", [R(-1), R(-2, 3), R(0), R(1, 7), R(1)])
def test_prox_is_exactly_zero_inside_the_threshold_numeric_strengths(
    l1, l2_coefficient, step, fraction
):
    prox = _numeric_derivation(l1, l2_coefficient, step)
    v = by_name(prox.closed_form)["v"]
    at = fraction * R(step) * R(l1)
    assert prox.closed_form.subs(v, at) is sp.S.Zero
    assert prox.piecewise.subs(v, at) is sp.S.Zero


@given(fraction=st.floats(-1, 1), threshold=st.floats(1e-3, 5))
@example(fraction=1.0, threshold=5.0)
@example(fraction=-1.0, threshold=1e-3)
def test_exact_zeros_under_prox_none_under_subgradient(fraction, threshold):
    """Inside [−t, t] the prox gives exactly 0.0; the subgradient step v − t·sign(v) does not
    (except at v = 0 and on the boundary |v| = t): it overshoots to the other side of 0."""
    v = fraction * threshold  # |v| ≤ t, also after rounding
    assert soft_threshold(np.array([v]), threshold)[0] == 0.0  # exact
    _, closed_form = numeric_functions()
    assert float(closed_form(v, threshold, 0.25, 1.0)) == 0.0
    assert float(closed_form(v, 2 * threshold, 0.25, 0.5)) == 0.0
    subgradient_step = v - threshold * np.sign(v)
    if 0 < abs(v) < threshold:
        assert subgradient_step != 0.0
        assert np.sign(subgradient_step) == -np.sign(v)  # jumps over 0


def test_exact_zeros_prox_vs_subgradient_exactly():
    prox = derive_prox(R(1, 2), 0, 1)
    v = by_name(prox.closed_form)["v"]
    points = [R(k, 10) for k in range(-5, 6)]  # |v| ≤ 1/2
    assert all(prox.closed_form.subs(v, p) == 0 for p in points)
    subgradient = [p - R(1, 2) * sp.sign(p) for p in points]
    nonzero = [p for p, s in zip(points, subgradient, strict=True) if s != 0]
    assert nonzero == [p for p in points if 0 < abs(p) < R(1, 2)]


# --------------------------------------------------------------------------- the subdifferential


def test_subdifferential_of_abs_at_zero_is_minus_one_to_one():
    assert subdifferential_at_zero() == sp.Interval(-1, 1)


def test_zero_case_is_the_subdifferential_condition():
    """The step for u* = 0 is the condition −η·l1 ≤ v ≤ η·l1 (0 ∈ ∂ at u = 0)."""
    prox = symbolic()
    names = by_name(prox.closed_form)
    v, lam, eta = names["v"], names["lam"], names["eta"]
    (zero_step,) = [s for s in prox.steps if getattr(s.lhs, "text", "") == "u* = 0"]
    numbers = {lam: R(3, 2), eta: R(2, 3)}  # threshold η·l1 = 1
    for point in [R(-3, 2), R(-1), R(-1, 2), R(0), R(1, 5), R(1), R(101, 100), R(7)]:
        holds = zero_step.rhs.subs(numbers | {v: point})
        assert holds is (sp.true if abs(point) <= 1 else sp.false)


# --------------------------------------------------------------------------- questionable behaviour


def test_callers_symbols_can_be_substituted():
    prox = derive_prox(LAM, MU, ETA)
    value = prox.closed_form.subs({LAM: 1, MU: 0, ETA: 1, by_name(prox.closed_form)["v"]: 3})
    assert value == 2


@pytest.mark.parametrize(("l1", "l2_coefficient", "step"), [(-1, 0, 1), (1, 0, -1)])
def test_negative_strengths_are_refused_with_a_user_error(l1, l2_coefficient, step):
    with pytest.raises(WdtheoryError):
        derive_prox(l1, l2_coefficient, step)


def test_pure_l2_prox_with_a_symbolic_step():
    prox = derive_prox(0, MU, ETA)
    names = by_name(prox.closed_form)
    v, mu, eta = names["v"], names["mu"], names["eta"]
    assert sp.simplify(prox.closed_form - v / (1 + 2 * eta * mu)) == 0
