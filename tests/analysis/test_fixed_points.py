"""Where optimizers stop on least squares: ``fixed_point`` checked symbolically and numerically.

The numeric checks run the lowered optimizer (``run_to_convergence``, Numba) on a random
well-conditioned least-squares problem and compare with closed forms written here:
ridge without bias, :math:`(H + \\lambda I) w = c` with :math:`H = X^\\top X/n`,
:math:`c = X^\\top y/n`, solved by ``numpy.linalg.solve``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from optimizer_cases import examples

from wdtheory.analysis.fixed_points import (
    FixedPoint,
    fixed_point,
    ridge_distance,
    run_to_convergence,
)
from wdtheory.core.notation import PARAM
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import ROLES

LAM, ETA, EPS = ROLES["weight_decay"].symbol, ROLES["lr"].symbol, ROLES["eps"].symbol
MU, TAU = ROLES["momentum"].symbol, ROLES["dampening"].symbol


def problem(seed: int, n: int = 40, d: int = 5):
    """A random least-squares problem whose Hessian X^T X / n has eigenvalues in [0.5, 2]."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, d)))
    rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
    X = q * np.sqrt(n * rng.uniform(0.5, 2.0, size=d)) @ rotation
    y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    return X, y


def ridge(X, y, lam: float) -> np.ndarray:
    n, d = X.shape
    return np.linalg.solve(X.T @ X / n + lam * np.eye(d), X.T @ y / n)


def gradient(X, y, w) -> np.ndarray:
    return X.T @ (X @ w - y) / X.shape[0]


# ---------------------------------------------------------------------------------------------
# coupled decay (L2 in the gradient): the fixed point is ridge with the same lambda
# ---------------------------------------------------------------------------------------------

COUPLED = [
    "torch.sgd(momentum=mu, dampening=tau)",
    "torch.sgd(momentum=mu, nesterov=true)",
    "torch.adam",
    "torch.adam(amsgrad=true)",
    "torch.rmsprop(centered=true, momentum=mu)",
    "torch.adagrad(lr_decay=0.1, initial_accumulator_value=0.5)",
    "adamw(decay=coupled)",
    "lion(decay=coupled, beta1=0.5)",
]


@pytest.mark.parametrize("spec", COUPLED)
def test_coupled_decay_stops_at_ridge_with_the_same_lambda(spec):
    fixed = fixed_point(Optimizer.from_spec(spec, symbolic=True))
    assert fixed.is_ridge, fixed.summary
    assert sp.simplify(fixed.ridge_strength - LAM) == 0
    assert sp.simplify(fixed.gradient + LAM * PARAM) == 0
    assert fixed.summary == "ridge with lambda_eff = lambda"


def test_coupled_sgd_with_momentum_reaches_ridge_numerically():
    X, y = problem(0)
    spec = "torch.sgd(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.3)"
    fixed = fixed_point(Optimizer.from_spec(spec, symbolic=True))
    w = run_to_convergence(Optimizer.from_spec(spec, symbolic=True), X, y, steps=6000)
    np.testing.assert_allclose(w, ridge(X, y, float(fixed.ridge_strength)), rtol=0, atol=1e-9)


def test_coupled_lion_ends_next_to_ridge_within_its_step_size():
    """Lion's step has size lr in every coordinate, so it does not settle: it ends within a few
    steps of the rest point, where sign(g + lambda w) = 0, i.e. ridge(lambda)."""
    X, y = problem(5)
    lr, lam = 1e-4, 0.3
    optimizer = Optimizer.from_spec(f"lion(decay=coupled, lr={lr}, weight_decay={lam})")
    assert fixed_point(optimizer).ridge_strength == sp.Rational(3, 10)
    w = run_to_convergence(optimizer, X, y, steps=40000)
    assert np.abs(w - ridge(X, y, lam)).max() < 5 * lr
    _, closest = ridge_distance(w, X, y, PATH)
    assert closest == pytest.approx(lam, rel=0.05)


def test_amsgrad_rests_where_its_running_maximum_says_as_torch_does():
    """With AMSGrad the rest point depends on the largest v the run reached: the gradient at
    rest is a function of w and of v_max, which the engine leaves free. torch's AdamW on
    (w - 1)^2 / 2 from w = 300 stops where that function, at torch's own max_exp_avg_sq, says;
    assuming v_max = v (no history) would put it elsewhere."""
    torch = pytest.importorskip("torch")
    fixed = fixed_point(Optimizer.from_spec("torch.adamw(lr=0.1, amsgrad=true)"))
    (v_max,) = fixed.history
    assert v_max in fixed.gradient.free_symbols and not fixed.is_ridge
    assert "history-dependent" in fixed.summary
    w = torch.tensor([300.0], dtype=torch.float64, requires_grad=True)
    adamw = torch.optim.AdamW([w], lr=0.1, amsgrad=True)
    for _ in range(30000):
        adamw.zero_grad()
        (0.5 * (w - 1) ** 2).sum().backward()
        adamw.step()
    rest, reached = w.item(), adamw.state[w]["max_exp_avg_sq"].item()
    predicted = float(fixed.gradient.xreplace({PARAM: rest, v_max: reached}))
    assert rest - 1 == pytest.approx(predicted, rel=1e-9)
    no_history = float(fixed.gradient.xreplace({PARAM: rest, v_max: (rest - 1) ** 2}))
    assert abs(rest - 1 - no_history) > 0.1


def test_coupled_amsgrad_is_ridge_whatever_its_history():
    fixed = fixed_point(Optimizer.from_spec("torch.adam(amsgrad=true)", symbolic=True))
    assert fixed.is_ridge and fixed.ridge_strength == LAM and fixed.history


# ---------------------------------------------------------------------------------------------
# decoupled decay with momentum: ridge with a rescaled lambda, confirmed numerically
# ---------------------------------------------------------------------------------------------


def test_sgdw_symbolic_strength():
    optimizer = Optimizer.from_spec("sgdw(momentum=mu, dampening=tau)", symbolic=True)
    mu, tau = optimizer.values["momentum"], optimizer.values["dampening"]  # the user's symbols
    fixed = fixed_point(optimizer)
    assert fixed.is_ridge
    assert sp.simplify(fixed.ridge_strength - LAM * (1 - mu) / (1 - tau)) == 0
    assert fixed.summary == f"ridge with lambda_eff = {sp.sstr(fixed.ridge_strength)}"


def test_sgdw_strength_with_momentum_left_out_uses_the_canonical_symbols():
    fixed = fixed_point(Optimizer.from_spec("sgdw", symbolic=True))
    assert sp.simplify(fixed.ridge_strength - LAM * (1 - MU) / (1 - TAU)) == 0


momentum = st.fractions(min_value=Fraction(1, 20), max_value=Fraction(19, 20), max_denominator=20)
dampening = st.one_of(
    st.just(Fraction(0)),
    st.fractions(min_value=Fraction(1, 20), max_value=Fraction(3, 4), max_denominator=20),
)
strength = st.fractions(min_value=Fraction(1, 10), max_value=Fraction(1), max_denominator=10)


@settings(max_examples=examples(6), deadline=None)
@given(m=momentum, d=dampening, lam=strength, seed=st.integers(0, 2**16))
def test_sgdw_stops_at_ridge_with_lambda_times_one_minus_m_over_one_minus_d(m, d, lam, seed):
    optimizer = Optimizer.from_spec("sgdw(lr=0.1)", symbolic=True).bind(
        {"momentum": m, "dampening": d, "weight_decay": lam}
    )
    fixed = fixed_point(optimizer)
    expected = sp.Rational(lam) * (1 - sp.Rational(m)) / (1 - sp.Rational(d))
    assert fixed.is_ridge, fixed.summary
    assert sp.nsimplify(fixed.ridge_strength) == expected
    X, y = problem(seed)
    w = run_to_convergence(optimizer, X, y, steps=6000)
    np.testing.assert_allclose(w, ridge(X, y, float(expected)), rtol=0, atol=1e-8)
    # ... and not at ridge with the nominal lambda (unless the rescaling is 1)
    if expected != sp.Rational(lam):
        assert np.abs(w - ridge(X, y, float(lam))).max() > 1e-6


def test_without_momentum_dampening_is_ignored_as_in_torch():
    """torch.optim.SGD keeps no buffer when momentum = 0, so dampening cannot rescale lambda."""
    fixed = fixed_point(
        Optimizer.from_spec("sgdw(momentum=0, dampening=0.5, weight_decay=0.5)", symbolic=True)
    )
    assert fixed.ridge_strength == sp.Rational(1, 2)


@pytest.mark.parametrize(
    ("spec", "numbers", "strength"),
    [
        # Keras: v = mu v - lr g, w <- w - lr wd w + v: at rest g = -wd (1 - mu) w
        (
            "keras.sgd(momentum=mu)",
            {"learning_rate": 0.1, "momentum": 0.5, "weight_decay": 0.5},
            0.25,
        ),
        # the paper's SGDW: m = beta1 m + alpha g, x <- x - m - lambda x: g = -lambda (1-beta1)/alpha x
        ("paper.sgdw", {"alpha": 0.1, "beta1": 0.5, "weight_decay": 0.05}, 0.25),
        # Nesterov with decoupled decay: g + mu b with b = g/(1-mu): g = -lambda (1 - mu) w
        (
            "sgdw(momentum=mu, nesterov=true)",
            {"lr": 0.1, "momentum": 0.75, "weight_decay": 1.0},
            0.25,
        ),
    ],
)
def test_other_decoupled_rules_rescale_lambda_and_reach_that_ridge(spec, numbers, strength):
    symbolic = Optimizer.from_spec(spec, symbolic=True)
    general = fixed_point(symbolic)
    assert general.is_ridge
    symbols = {symbolic.values[k]: sp.Rational(repr(v)) for k, v in numbers.items()}
    assert sp.nsimplify(general.ridge_strength.xreplace(symbols)) == sp.Rational(repr(strength))
    optimizer = Optimizer.from_spec(spec, symbolic=True).bind(numbers)
    X, y = problem(7)
    w = run_to_convergence(optimizer, X, y, steps=6000)
    np.testing.assert_allclose(w, ridge(X, y, strength), rtol=0, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# AdamW and Lion: not ridge; the converged point is away from the whole ridge path
# ---------------------------------------------------------------------------------------------

ADAMW = "torch.adamw(lr=0.01, beta1=0.9, beta2=0.99, eps=0.1, weight_decay=2)"
LION = "optax.lion(learning_rate=0.001, b1=0.9, b2=0.99, weight_decay=2)"
PATH = np.geomspace(1e-4, 1e2, 400)


@pytest.mark.parametrize("spec", ["torch.adamw", "optax.lion", "lion", "keras.adamw"])
def test_adamw_and_lion_are_not_ridge(spec):
    fixed = fixed_point(Optimizer.from_spec(spec, symbolic=True))
    assert not fixed.is_ridge
    assert fixed.ridge_strength is None
    assert fixed.summary.startswith("not a ridge solution")


@pytest.mark.parametrize("spec", [ADAMW, LION])
def test_converged_point_is_far_from_the_ridge_path(spec):
    X, y = problem(3)
    w = run_to_convergence(Optimizer.from_spec(spec, symbolic=True), X, y, steps=20000)
    distance, closest = ridge_distance(w, X, y, PATH)
    assert distance > 5e-2, (w, closest)
    # ridge_distance against a brute-force minimum written here
    brute = min(np.linalg.norm(w - ridge(X, y, lam)) for lam in PATH)
    assert distance == pytest.approx(brute, rel=1e-12)
    # and a point on the path is at distance 0 from it
    on_path, at = ridge_distance(ridge(X, y, PATH[123]), X, y, PATH)
    assert on_path < 1e-12 and at == PATH[123]


def test_adamw_gradient_at_rest_matches_the_derived_formula():
    """At AdamW's fixed point m̂/(√v̂ + ε) = -λw with m = g, v = g²: g = ελw/(λw - 1) for w > 0
    and ελw/(-λw - 1) for w < 0; the derived piecewise formula must give the converged g."""
    fixed = fixed_point(Optimizer.from_spec("torch.adamw", symbolic=True))
    assert isinstance(fixed, FixedPoint) and fixed.gradient is not None
    formula = fixed.gradient.xreplace({EPS: sp.Rational(1, 10), LAM: 2})
    X, y = problem(3)
    w = run_to_convergence(Optimizer.from_spec(ADAMW, symbolic=True), X, y, steps=20000)
    g = gradient(X, y, w)
    inside = np.abs(2 * w) < 1
    assert inside.all(), w  # a fixed point needs |g/(|g|+eps)| = |lambda w| < 1
    assert (w > 0).any() and (w < 0).any()  # both branches of the formula are used
    predicted = np.array([float(formula.xreplace({PARAM: sp.Float(x, 30)})) for x in w])
    np.testing.assert_allclose(g, predicted, rtol=1e-9, atol=1e-12)
    # the same relation written independently: g/(|g| + eps) = -lambda w
    np.testing.assert_allclose(g / (np.abs(g) + 0.1), -2 * w, atol=1e-9)


#: optimizers that settle on least squares (a large epsilon keeps Adam's steps from chattering
#: around the rest point, beta2 = 0.99 lets v settle within the run), one per rule and switch the engine derives a fixed point for
SETTLING = [
    "torch.sgd(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.3)",
    "sgdw(lr=0.1, momentum=0.9, dampening=0.5, nesterov=true, weight_decay=0.3)",
    "sgd(lr=0.1, momentum=0.9, dampening=0.9, momentum_start=zero, weight_decay=0.3)",
    "sgdw(lr=0.05, momentum=0.5, weight_decay=0.3, loss_scale=2)",
    "keras.sgd(learning_rate=0.1, momentum=0.5, weight_decay=0.5)",
    "torch.adam(lr=0.01, eps=0.1, weight_decay=0.3)",
    "adam(lr=0.01, eps=0.1, weight_decay=0.3, loss_scale=4)",
    "adamw(lr=0.01, beta2=0.99, eps=0.1, weight_decay=2, loss_scale=4)",
    "keras.adamw(learning_rate=0.01, beta_2=0.99, epsilon=0.1, weight_decay=2)",
    "optax.adamw(learning_rate=0.01, b2=0.99, eps=0.1, weight_decay=2)",
    "paper.adamw(alpha=0.01, beta2=0.99, eps=0.1, weight_decay=0.02)",
    "torch.rmsprop(lr=0.01, eps=0.1, weight_decay=0.3)",
    "torch.adagrad(lr=0.5, weight_decay=0.3)",
]


@pytest.mark.parametrize("spec", SETTLING)
def test_where_an_optimizer_settles_its_gradient_is_the_derived_gradient_at_rest(spec):
    """Run to rest on a random least-squares problem, each coordinate's gradient g_i = (Hw - c)_i
    is the derived g*(w_i) (ridge or not), and a ridge answer is the ridge solution itself."""
    optimizer = Optimizer.from_spec(spec)
    fixed = fixed_point(optimizer)
    assert fixed.gradient is not None and not fixed.history, fixed.summary
    X, y = problem(11)
    w = run_to_convergence(optimizer, X, y, steps=20000)
    predicted = [float(fixed.gradient.xreplace({PARAM: sp.Float(x, 30)})) for x in w]
    np.testing.assert_allclose(gradient(X, y, w), predicted, rtol=1e-8, atol=1e-10)
    if fixed.is_ridge:
        np.testing.assert_allclose(w, ridge(X, y, float(fixed.ridge_strength)), atol=1e-8)


def test_adamw_states_at_rest():
    fixed = fixed_point(Optimizer.from_spec("torch.adamw", symbolic=True))
    states = {k.name: v for k, v in fixed.states.items()}
    w = sp.Symbol("w", positive=True)
    g = EPS * LAM * w / (LAM * w - 1)
    assert sp.simplify(states["m"].xreplace({PARAM: w}) - g) == 0
    assert sp.simplify(states["v"].xreplace({PARAM: w}) - g**2) == 0


def test_l1_penalty_gradient_at_rest_is_minus_lambda_sign_w():
    fixed = fixed_point(Optimizer.from_spec("sgd(penalty=l1)", symbolic=True))
    assert not fixed.is_ridge
    for w in (sp.Rational(3, 2), -sp.Rational(1, 3)):
        assert fixed.gradient.xreplace({PARAM: w}) == -LAM * sp.sign(w)


def test_no_decay_is_ridge_with_zero():
    fixed = fixed_point(Optimizer.from_spec("torch.sgd(weight_decay=0)", symbolic=True))
    assert fixed.is_ridge and fixed.ridge_strength == 0


def test_run_to_convergence_accepts_values_for_symbols():
    X, y = problem(2)
    w = run_to_convergence(
        Optimizer.from_spec("torch.sgd(momentum=0)", symbolic=True),
        X,
        y,
        steps=3000,
        values={"lr": 0.2, "weight_decay": 0.1},
    )
    np.testing.assert_allclose(w, ridge(X, y, 0.1), atol=1e-10)


def test_a_soft_threshold_is_not_taken_for_a_running_maximum():
    """The proximal L1 step's max(|w| - eta*lambda, 0) is no state: at rest g = -lambda sign(w)."""
    fixed = fixed_point(
        Optimizer.from_spec("sgd(decay=proximal, penalty=l1, lr=eta, weight_decay=lam)")
    )
    assert not fixed.history
    lam = fixed.optimizer.values["weight_decay"]
    for w, sign in ((sp.Rational(3, 2), 1), (-sp.Rational(1, 3), -1)):
        assert fixed.gradient.xreplace({PARAM: w}) == -sign * lam
