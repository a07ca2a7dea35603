"""Numeric objective, gradients and SGD step: checked four independent ways.

For every loss (squared error, logistic, softmax) and penalty (none, L2, L1, elastic net, with the
½ or full L2 convention and with or without a penalised bias), with n in 1..8 examples, d in 1..6
features, K in 2..4 classes and strengths l1, l2 in [0, 5]:

a. ``numeric.gradients`` is the derivative of ``numeric.objective`` (central finite differences in
   float64, at weights away from 0 where |·| is differentiable);
b. objective and gradients equal a plain reference written below with explicit Python loops over
   examples, features and classes (no NumPy vector operations shared with the code);
c. gradients equal the SYMBOLIC coordinate form derived by :func:`derive_gradients`, evaluated at
   the same point (small sizes: n, d, K ≤ 3);
d. float32 inputs give float32 outputs, within float32 rounding of the float64 result;
e. ``sgd_step`` is θ − lr·∇θ; the logistic and softmax forms are stable at |z| = 1000 (no overflow,
   no warnings);
f. bad input gives a one-line :class:`WdtheoryError` naming the bad value.

Hypothesis runs under the project's profiles (``ci`` by default, ``thorough`` for many examples).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from wdtheory.core.errors import WdtheoryError
from wdtheory.core.notation import D, N
from wdtheory.numeric import objectives as numeric
from wdtheory.problems.gradients import COLUMN, ROW, GradientForms, derive_gradients
from wdtheory.problems.losses import NUM_CLASSES
from wdtheory.problems.problem import Problem

LOSSES = ["squared_error", "logistic", "softmax"]
#: examples for the secondary checks (a fraction of the profile's, so ``thorough`` scales them too)
FEWER = settings(max_examples=max(10, settings.default.max_examples // 4))
HALF = settings(max_examples=max(10, settings.default.max_examples // 2))
KINDS = ["none", "L2", "L1", "elastic net"]
EPS32 = float(np.finfo(np.float32).eps)


# --- drawing problems and points -----------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A problem with numeric strengths and a point (X, y, w, b) at which to evaluate it."""

    loss: str
    l1: float
    l2: float
    half: bool
    penalize_bias: bool
    X: np.ndarray
    y: np.ndarray
    w: np.ndarray
    b: np.ndarray

    @property
    def problem(self) -> Problem:
        return Problem.create(
            self.loss, l1=self.l1, l2=self.l2, half=self.half, penalize_bias=self.penalize_bias
        )

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.X, self.y, self.w, self.b

    def astype(self, dtype: type) -> Case:
        """The same point in another float dtype (integer labels stay integers)."""
        y = self.y if self.y.dtype.kind in "iu" else self.y.astype(dtype)
        return replace(
            self, X=self.X.astype(dtype), y=y, w=self.w.astype(dtype), b=self.b.astype(dtype)
        )


def entries(away_from_zero: bool) -> st.SearchStrategy[float]:
    """Weights in [-2, 2]; with ``away_from_zero`` their magnitude is at least 0.05 (so that |w|
    is differentiable there), otherwise exact zeros are drawn often (sign(0) = 0 is pinned)."""
    if away_from_zero:
        return st.builds(lambda m, s: s * m, st.floats(0.05, 2), st.sampled_from([-1.0, 1.0]))
    return st.one_of(st.just(0.0), st.floats(-2, 2))


@st.composite
def cases(
    draw: st.DrawFn,
    loss: str,
    kind: str | None = None,
    *,
    max_n: int = 8,
    max_d: int = 6,
    max_k: int = 4,
    away_from_zero: bool = False,
    integer_labels: bool | None = None,
) -> Case:
    kind = draw(st.sampled_from(KINDS)) if kind is None else kind
    n, d = draw(st.integers(1, max_n)), draw(st.integers(1, max_d))
    strength = st.floats(0, 5)
    l1 = draw(strength) if kind in ("L1", "elastic net") else 0.0
    l2 = draw(strength) if kind in ("L2", "elastic net") else 0.0
    half, penalize_bias = draw(st.booleans()), draw(st.booleans())
    X = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-3, 3)))
    weight = entries(away_from_zero)
    if loss == "softmax":
        k = draw(st.integers(2, max_k))
        w = draw(hnp.arrays(np.float64, (d, k), elements=weight))
        b = draw(hnp.arrays(np.float64, (k,), elements=weight))
        labels = draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, k - 1)))
        as_integers = draw(st.booleans()) if integer_labels is None else integer_labels
        y = labels if as_integers else np.eye(k)[labels]
    else:
        w = draw(hnp.arrays(np.float64, (d,), elements=weight))
        b = np.array(draw(weight))
        if loss == "squared_error":
            y = draw(hnp.arrays(np.float64, (n,), elements=st.floats(-3, 3)))
        else:
            y = draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([0.0, 1.0])))
    return Case(loss, l1, l2, half, penalize_bias, X, y, w, b)


def loss_kind_grid() -> list[tuple[str, str]]:
    return [(loss, kind) for loss in LOSSES for kind in KINDS]


# --- (b) the plain reference ---------------------------------------------------------------------


def sign(v: float) -> float:
    if v > 0:
        return 1.0
    if v < 0:
        return -1.0
    return 0.0


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def softplus(z: float) -> float:
    """log(1 + e^z), without overflow."""
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def reference(case: Case) -> tuple[float, list, object]:
    """(objective, gradient wrt w/W, gradient wrt b) by explicit loops, in Python floats.

    L = (1/n) Σ_i ℓ(z_i, y_i) + Σ_k [l1 |w_k| + c·l2·w_k²] (+ the same for b if penalised),
    c = ½ if half else 1; ∂/∂w_k of the penalty is l1·sign(w_k) + 2c·l2·w_k with sign(0) = 0.
    """
    X = case.X.tolist()
    n, d = len(X), len(X[0])
    c = 0.5 if case.half else 1.0
    l1, l2 = case.l1, case.l2

    def penalty(v: float) -> float:
        return l1 * abs(v) + c * l2 * v * v

    def penalty_gradient(v: float) -> float:
        return l1 * sign(v) + 2.0 * c * l2 * v

    if case.loss == "softmax":
        W = case.w.tolist()
        bias = case.b.tolist()
        k_count = len(bias)
        if case.y.ndim == 1:
            Y = []
            for i in range(n):
                row = []
                for k in range(k_count):
                    row.append(1.0 if int(case.y[i]) == k else 0.0)
                Y.append(row)
        else:
            Y = case.y.tolist()
        grad_W = [[0.0] * k_count for _ in range(d)]
        grad_b = [0.0] * k_count
        total = 0.0
        for i in range(n):
            z = []
            for k in range(k_count):
                value = bias[k]
                for j in range(d):
                    value += X[i][j] * W[j][k]
                z.append(value)
            top = max(z)
            exps = []
            for k in range(k_count):
                exps.append(math.exp(z[k] - top))
            norm = 0.0
            for e in exps:
                norm += e
            loss_i = top + math.log(norm)
            for k in range(k_count):
                loss_i -= Y[i][k] * z[k]
            total += loss_i
            for k in range(k_count):
                delta = exps[k] / norm - Y[i][k]
                grad_b[k] += delta / n
                for j in range(d):
                    grad_W[j][k] += X[i][j] * delta / n
        objective = total / n
        for j in range(d):
            for k in range(k_count):
                objective += penalty(W[j][k])
                grad_W[j][k] += penalty_gradient(W[j][k])
        if case.penalize_bias:
            for k in range(k_count):
                objective += penalty(bias[k])
                grad_b[k] += penalty_gradient(bias[k])
        return objective, grad_W, grad_b

    w = case.w.tolist()
    b = float(case.b)
    y = case.y.tolist()
    grad_w = [0.0] * d
    grad_b = 0.0
    total = 0.0
    for i in range(n):
        z = b
        for j in range(d):
            z += X[i][j] * w[j]
        if case.loss == "squared_error":
            total += 0.5 * (z - y[i]) ** 2
            delta = z - y[i]
        else:
            total += softplus(z) - y[i] * z
            delta = sigmoid(z) - y[i]
        grad_b += delta / n
        for j in range(d):
            grad_w[j] += X[i][j] * delta / n
    objective = total / n
    for j in range(d):
        objective += penalty(w[j])
        grad_w[j] += penalty_gradient(w[j])
    if case.penalize_bias:
        objective += penalty(b)
        grad_b += penalty_gradient(b)
    return objective, grad_w, grad_b


@pytest.mark.parametrize(("loss", "kind"), loss_kind_grid())
@given(data=st.data())
def test_matches_the_plain_loop_reference(loss: str, kind: str, data: st.DataObject) -> None:
    case = data.draw(cases(loss, kind))
    expected_objective, expected_w, expected_b = reference(case)
    objective = numeric.objective(case.problem, *case.arrays)
    grad_w, grad_b = numeric.gradients(case.problem, *case.arrays)
    assert isinstance(objective, float)
    assert objective == pytest.approx(expected_objective, rel=1e-12, abs=1e-12)
    assert grad_w.shape == case.w.shape and grad_b.shape == case.b.shape
    np.testing.assert_allclose(grad_w, np.array(expected_w), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad_b, np.array(expected_b), rtol=1e-10, atol=1e-10)


@given(data=st.data())
def test_integer_labels_are_one_hot_rows(data: st.DataObject) -> None:
    case = data.draw(cases("softmax", integer_labels=True))
    as_rows = replace(case, y=numeric.one_hot(case.y, case.w.shape[1]))
    p = case.problem
    assert numeric.objective(p, *case.arrays) == numeric.objective(p, *as_rows.arrays)
    for a, b in zip(
        numeric.gradients(p, *case.arrays), numeric.gradients(p, *as_rows.arrays), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_one_hot() -> None:
    np.testing.assert_array_equal(
        numeric.one_hot(np.array([2, 0, 1, 2]), 3),
        [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
    )
    assert numeric.one_hot(np.array([], dtype=np.int64), 3).shape == (0, 3)


# --- (a) finite differences ----------------------------------------------------------------------


def central_differences(case: Case, parameter: str, h: float = 1e-5) -> np.ndarray:
    values = getattr(case, parameter)
    result = np.zeros(values.shape)
    for index in np.ndindex(values.shape):
        shifted = []
        for step in (h, -h):
            moved = values.copy()
            moved[index] += step
            shifted.append(
                numeric.objective(case.problem, *replace(case, **{parameter: moved}).arrays)
            )
        result[index] = (shifted[0] - shifted[1]) / (2 * h)
    return result


@pytest.mark.parametrize(("loss", "kind"), loss_kind_grid())
@FEWER
@given(data=st.data())
def test_gradients_are_the_derivative_of_the_objective(
    loss: str, kind: str, data: st.DataObject
) -> None:
    # weights (and the bias) away from 0, where l1|w| is differentiable
    case = data.draw(cases(loss, kind, away_from_zero=True))
    grad_w, grad_b = numeric.gradients(case.problem, *case.arrays)
    size = 1 + abs(numeric.objective(case.problem, *case.arrays))
    for parameter, grad in (("w", grad_w), ("b", grad_b)):
        np.testing.assert_allclose(
            grad,
            central_differences(case, parameter),
            rtol=1e-6,
            atol=1e-7 * size,
            err_msg=parameter,
        )


# --- (c) the symbolic derivation evaluated at the same point -------------------------------------

LAM = sp.Symbol("lam", real=True)
MU = sp.Symbol("mu", real=True)


@functools.cache
def derived(loss: str, half: bool, penalize_bias: bool) -> GradientForms:
    """The general problem (elastic net with symbolic strengths); L1, L2 and none are its values
    at mu = 0 and/or lam = 0."""
    problem = Problem.create(loss, l1=MU, l2=LAM, half=half, penalize_bias=penalize_bias)
    return derive_gradients(problem)


@functools.cache
def written_out(
    loss: str, half: bool, penalize_bias: bool, n: int, d: int, k: int
) -> tuple[sp.Expr, sp.Expr]:
    """The coordinate forms at explicit sizes, sums over examples expanded."""
    forms = derived(loss, half, penalize_bias)
    sizes = {N: n, D: d, NUM_CLASSES: k}
    return (
        forms.weights_coordinate.xreplace(sizes).doit(),
        forms.bias_coordinate.xreplace(sizes).doit(),
    )


def point_values(case: Case, forms: GradientForms) -> dict[sp.Basic, sp.Float]:
    """Numbers for every indexed symbol of the coordinate form: x, y, w/W, b, z (and p), from the
    case's arrays; z and p computed here by plain loops."""
    idx = forms.model.indexed
    n, d = case.X.shape

    def num(v: float) -> sp.Float:
        return sp.Float(float(v), 30)

    values: dict[sp.Basic, sp.Float] = {LAM: num(case.l2), MU: num(case.l1)}
    for i in range(n):
        for j in range(d):
            values[idx["x"][i + 1, j + 1]] = num(case.X[i, j])
    if case.loss == "softmax":
        k_count = case.w.shape[1]
        if case.y.ndim == 1:  # integer labels: one-hot rows, written out here
            Y = np.array([[float(case.y[i] == c) for c in range(k_count)] for i in range(n)])
        else:
            Y = case.y
        for i in range(n):
            z = [
                float(case.b[c]) + sum(float(case.X[i, j] * case.w[j, c]) for j in range(d))
                for c in range(k_count)
            ]
            top = max(z)
            exps = [math.exp(zc - top) for zc in z]
            for c in range(k_count):
                values[idx["y"][i + 1, c + 1]] = num(Y[i, c])
                values[idx["z"][i + 1, c + 1]] = num(z[c])
                values[idx["p"][i + 1, c + 1]] = num(exps[c] / sum(exps))
        for j in range(d):
            for c in range(k_count):
                values[idx["w"][j + 1, c + 1]] = num(case.w[j, c])
        for c in range(k_count):
            values[idx["b"][c + 1]] = num(case.b[c])
    else:
        for i in range(n):
            values[idx["y"][i + 1]] = num(case.y[i])
            values[idx["z"][i + 1]] = num(
                float(case.b) + sum(float(case.X[i, j] * case.w[j]) for j in range(d))
            )
        for j in range(d):
            values[idx["w"][j + 1]] = num(case.w[j])
        values[forms.model.bias_entry()] = num(case.b)
    return values


def evaluate(expr: sp.Expr, entry: dict[sp.Symbol, int], values: dict) -> float:
    value = expr.xreplace(entry).xreplace(values).rewrite(sp.exp)  # σ(t) = 1/(1 + e^{-t})
    assert not value.free_symbols and not value.atoms(sp.Indexed), value
    return float(value)


@pytest.mark.parametrize("loss", LOSSES)
@HALF
@given(data=st.data())
def test_gradients_equal_the_symbolic_coordinate_form(loss: str, data: st.DataObject) -> None:
    case = data.draw(cases(loss, max_n=3, max_d=3, max_k=3))
    forms = derived(loss, case.half, case.penalize_bias)
    n, d = case.X.shape
    k_count = case.w.shape[1] if loss == "softmax" else 1
    weights_form, bias_form = written_out(loss, case.half, case.penalize_bias, n, d, k_count)
    values = point_values(case, forms)
    symbolic_w = np.zeros((d, k_count))
    symbolic_b = np.zeros(k_count)
    for m in range(k_count):
        for j in range(d):
            symbolic_w[j, m] = evaluate(weights_form, {ROW: j + 1, COLUMN: m + 1}, values)
        symbolic_b[m] = evaluate(bias_form, {COLUMN: m + 1}, values)
    grad_w, grad_b = numeric.gradients(case.problem, *case.arrays)
    np.testing.assert_allclose(grad_w, symbolic_w.reshape(grad_w.shape), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad_b, symbolic_b.reshape(grad_b.shape), rtol=1e-10, atol=1e-10)


# --- (d) float32 ---------------------------------------------------------------------------------


def rounding_scale(case: Case) -> float:
    """A bound on the size of the terms summed (so float32 error is a few eps32 times this)."""
    X, w, b = (a.astype(np.float64) for a in (case.X, case.w, case.b))
    z = np.abs(X @ w + b).max()
    labels = 1.0 if case.y.dtype.kind in "iu" else np.abs(case.y).max()
    weights = max(np.abs(w).max(), np.abs(b).max())
    return (
        1 + np.abs(X).max() * (z + labels + 1) + (z + labels) ** 2 + case.l1 + 2 * case.l2 * weights
    )


@pytest.mark.parametrize(("loss", "kind"), loss_kind_grid())
@FEWER
@given(data=st.data())
def test_float32_in_float32_out(loss: str, kind: str, data: st.DataObject) -> None:
    # one-hot float32 rows for softmax: integer labels are covered by the test below
    single = data.draw(cases(loss, kind, integer_labels=False)).astype(np.float32)
    double = single.astype(np.float64)  # the same (float32-representable) point
    p = single.problem
    tolerance = 64 * EPS32 * rounding_scale(single)
    grads32 = numeric.gradients(p, *single.arrays)
    grads64 = numeric.gradients(p, *double.arrays)
    for g32, g64 in zip(grads32, grads64, strict=True):
        assert g32.dtype == np.float32 and g64.dtype == np.float64
        np.testing.assert_allclose(g32, g64, rtol=0, atol=tolerance)
    objective32 = numeric.objective(p, *single.arrays)
    assert objective32 == pytest.approx(numeric.objective(p, *double.arrays), rel=0, abs=tolerance)
    new_w, new_b = numeric.sgd_step(p, *single.arrays, lr=0.1)
    assert new_w.dtype == np.float32 and new_b.dtype == np.float32


def test_float32_softmax_with_integer_labels_stays_float32() -> None:
    X = np.ones((3, 2), np.float32)
    W = np.zeros((2, 3), np.float32)
    b = np.zeros(3, np.float32)
    grad_W, grad_b = numeric.gradients(
        Problem.create("softmax", l2=0.1), X, np.array([0, 1, 2]), W, b
    )
    assert grad_W.dtype == np.float32 and grad_b.dtype == np.float32


# --- (e) the SGD step and stability --------------------------------------------------------------


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@HALF
@given(data=st.data())
def test_sgd_step_is_theta_minus_lr_gradient(loss: str, dtype: type, data: st.DataObject) -> None:
    case = data.draw(cases(loss, integer_labels=False)).astype(dtype)
    lr = data.draw(st.one_of(st.just(0.0), st.floats(0, 10)))
    before = [a.copy() for a in case.arrays]
    new_w, new_b = numeric.sgd_step(case.problem, *case.arrays, lr=lr)
    for original, now in zip(before, case.arrays, strict=True):
        np.testing.assert_array_equal(original, now)  # inputs are not modified
    grad_w, grad_b = numeric.gradients(case.problem, *case.arrays)
    eps = float(np.finfo(dtype).eps)
    for new, old, grad in ((new_w, case.w, grad_w), (new_b, case.b, grad_b)):
        assert new.dtype == dtype and new.shape == old.shape
        expected = old.astype(np.float64) - lr * grad.astype(np.float64)
        scale = np.abs(old).max() + lr * np.abs(grad).max()
        tiny = float(np.finfo(dtype).tiny)  # lr·grad below it may round to 0 in float32
        np.testing.assert_allclose(new, expected, rtol=0, atol=4 * eps * scale + tiny)
    if lr == 0:
        np.testing.assert_array_equal(new_w, case.w)
        np.testing.assert_array_equal(new_b, case.b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("z", [1000.0, -1000.0, 1e6, -1e6])
@pytest.mark.parametrize("label", [0.0, 1.0])
@pytest.mark.filterwarnings("error")
def test_logistic_is_stable_for_large_z(dtype: type, z: float, label: float) -> None:
    p = Problem.create("logistic")
    X = np.array([[1.0]], dtype)
    args = (X, np.array([label], dtype), np.array([z], dtype), np.array(0.0, dtype))
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        objective = numeric.objective(p, *args)
        grad_w, grad_b = numeric.gradients(p, *args)
    # ℓ = log(1 + e^z) − y z → max(z, 0) − y z, and σ(z) − y → [z > 0] − y
    assert objective == pytest.approx(max(z, 0.0) - label * z, rel=1e-6)
    assert grad_w.dtype == dtype and grad_b.dtype == dtype
    np.testing.assert_allclose(grad_w, [float(z > 0) - label], atol=1e-7)
    np.testing.assert_allclose(grad_b, float(z > 0) - label, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("scores", "label", "loss", "probabilities"),
    [
        ([1000.0, -1000.0, 0.0], 0, 0.0, [1, 0, 0]),
        ([1000.0, -1000.0, 0.0], 1, 2000.0, [1, 0, 0]),
        ([1000.0, -1000.0, 0.0], 2, 1000.0, [1, 0, 0]),
        ([-1000.0, -1000.0, -1000.0], 1, math.log(3), [1 / 3, 1 / 3, 1 / 3]),
        ([1000.0, 1000.0, -1e6], 0, math.log(2), [0.5, 0.5, 0]),
    ],
)
@pytest.mark.filterwarnings("error")
def test_softmax_is_stable_for_large_z(
    dtype: type, scores: list[float], label: int, loss: float, probabilities: list[float]
) -> None:
    p = Problem.create("softmax")
    X = np.array([[1.0]], dtype)
    W = np.array([scores], dtype)
    b = np.zeros(3, dtype)
    y = np.eye(3, dtype=dtype)[[label]]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        objective = numeric.objective(p, X, y, W, b)
        grad_W, grad_b = numeric.gradients(p, X, y, W, b)
    # log Σ e^{z_c} − z_y loses about eps·max|z| to cancellation (3e-5 in float32 at |z| = 1000)
    eps = float(np.finfo(dtype).eps)
    assert objective == pytest.approx(loss, rel=1e-6, abs=4 * eps * max(map(abs, scores)))
    expected = np.array(probabilities) - np.eye(3)[label]
    assert grad_W.dtype == dtype
    np.testing.assert_allclose(grad_W, [expected], atol=1e-6)
    np.testing.assert_allclose(grad_b, expected, atol=1e-6)


# --- (f) bad input -------------------------------------------------------------------------------

N_, D_, K_ = 3, 2, 3


def valid(loss: str) -> dict[str, object]:
    if loss == "softmax":
        return {
            "X": np.ones((N_, D_)),
            "y": np.array([0, 1, 2]),
            "w": np.zeros((D_, K_)),
            "b": np.zeros(K_),
        }
    return {"X": np.ones((N_, D_)), "y": np.array([0.0, 1.0, 1.0]), "w": np.zeros(D_), "b": 0.0}


def with_entry(array: np.ndarray, index: tuple[int, ...], value: float) -> np.ndarray:
    array = array.copy()
    array[index] = value
    return array


SCALAR_NAN_MARKS = [pytest.mark.filterwarnings("ignore::RuntimeWarning")]

BAD_INPUT = [
    # (loss, the argument replaced, its bad value, what the message must contain)
    ("logistic", "X", np.ones(3), ["X", "(3,)"]),
    ("logistic", "X", np.ones((0, 2)), ["X", "(0, 2)"]),
    ("logistic", "X", np.ones((3, 2, 1)), ["X", "(3, 2, 1)"]),
    ("logistic", "X", with_entry(np.ones((3, 2)), (1, 0), np.nan), ["X[1, 0]", "nan"]),
    ("logistic", "X", with_entry(np.ones((3, 2)), (2, 1), -np.inf), ["X[2, 1]", "-inf"]),
    ("logistic", "X", np.array([["a", "b"]] * 3), ["X", "<U1"]),
    ("logistic", "X", [[1.0, 2.0], [3.0]], ["X", "real numbers"]),
    ("logistic", "y", np.zeros(4), ["y", "(4,)"]),
    ("logistic", "y", np.zeros((3, 1)), ["y", "(3, 1)"]),
    ("logistic", "y", np.array([0.0, np.nan, 1.0]), ["y[1]", "nan"]),
    ("logistic", "w", np.zeros(3), ["w", "(3,)"]),
    ("logistic", "w", np.zeros((2, 1)), ["w", "(2, 1)"]),
    ("logistic", "w", np.array([0.0, np.inf]), ["w[1]", "inf"]),
    ("logistic", "w", np.zeros(2, complex), ["w", "complex128"]),
    ("squared_error", "b", np.zeros(1), ["b", "(1,)"]),
    pytest.param(
        "squared_error", "b", float("nan"), ["b", "nan"], marks=SCALAR_NAN_MARKS, id="scalar-b-nan"
    ),
    pytest.param(
        "logistic", "b", np.float32("inf"), ["b", "inf"], marks=SCALAR_NAN_MARKS, id="scalar-b-inf"
    ),
    ("softmax", "w", np.zeros(2), ["W", "(2,)"]),
    ("softmax", "w", np.zeros((3, 3)), ["W", "(3, 3)"]),
    ("softmax", "b", np.zeros(2), ["b", "(2,)"]),
    ("softmax", "b", 0.0, ["b", "()"]),
    ("softmax", "b", np.array([0.0, np.nan, 0.0]), ["b[1]", "nan"]),
    ("softmax", "y", np.array([0, 1, 3]), ["labels", "3"]),
    ("softmax", "y", np.array([0, -1, 2]), ["labels", "-1"]),
    ("softmax", "y", np.zeros((3, 1), dtype=np.int64), ["labels", "(3, 1)"]),
    ("softmax", "y", np.eye(4)[:3], ["y", "(3, 4)"]),
    ("softmax", "y", np.array([0.0, 1.0, 2.0]), ["y", "(3,)"]),
]


def entry_points(loss: str, arrays: dict[str, object]) -> list:
    p = Problem.create(loss, l2=0.1)
    return [
        lambda: numeric.objective(p, **arrays),
        lambda: numeric.gradients(p, **arrays),
        lambda: numeric.sgd_step(p, **arrays, lr=0.1),
    ]


def assert_one_line_error(call, expected: list[str]) -> None:
    with pytest.raises(WdtheoryError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message
    for text in expected:
        assert text in message, message


@pytest.mark.parametrize(("loss", "name", "value", "expected"), BAD_INPUT)
def test_bad_input_is_a_one_line_error_naming_the_value(
    loss: str, name: str, value: object, expected: list[str]
) -> None:
    arrays = valid(loss) | {name: value}
    for call in entry_points(loss, arrays):
        assert_one_line_error(call, expected)


@pytest.mark.parametrize(
    ("lr", "shown"),
    [
        (-0.1, "-0.1"),
        (-1, "-1"),
        (math.nan, "nan"),
        (math.inf, "inf"),
        ("0.1", "'0.1'"),
        (None, "None"),
        (True, "True"),
    ],
    ids=repr,
)
def test_bad_learning_rate(lr: object, shown: str) -> None:
    p = Problem.create("squared_error", l2=0.1)
    assert_one_line_error(
        lambda: numeric.sgd_step(p, **valid("squared_error"), lr=lr), ["lr", shown]
    )


@pytest.mark.parametrize(
    ("spec", "shown"),
    [
        ("squared_error(l2=lam)", "l2=lam"),
        ("logistic(l1=mu)", "l1=mu"),
        ("softmax(l1=0.1, l2=wd)", "l2=wd"),
    ],
)
def test_symbolic_strength_in_a_numeric_call(spec: str, shown: str) -> None:
    p = Problem.from_spec(spec)
    arrays = valid(p.loss.name)
    for call in (
        lambda: numeric.objective(p, **arrays),
        lambda: numeric.gradients(p, **arrays),
        lambda: numeric.sgd_step(p, **arrays, lr=0.1),
    ):
        assert_one_line_error(call, [shown, "symbolic"])


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (np.array([0.0, 1.0]), ["labels", "float64"]),
        (np.array([[0, 1]]), ["labels", "(1, 2)"]),
        (np.array([0, 3]), ["labels", "3"]),
        (np.array([-2, 1]), ["labels", "-2"]),
    ],
)
def test_bad_labels_for_one_hot(labels: np.ndarray, expected: list[str]) -> None:
    assert_one_line_error(lambda: numeric.one_hot(labels, 3), expected)
