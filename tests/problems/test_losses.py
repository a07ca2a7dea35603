"""Per-example losses ℓ(z, y): their formulas, and ∂ℓ/∂z derived by SymPy equal the closed forms.

* squared error ½(z − y)²       → ∂ℓ/∂z = z − y
* logistic log(1 + e^z) − y z   → ∂ℓ/∂z = σ(z) − y, shown with :class:`wdtheory.core.algebra.sigmoid`
* softmax log Σ e^{z_c} − Σ y_c z_c → ∂ℓ/∂z_j = p_j − y_j, p_j = e^{z_j} / Σ_c e^{z_c}, for any K
"""

from __future__ import annotations

import math

import pytest
import sympy as sp

from wdtheory.core.algebra import sigmoid
from wdtheory.core.errors import WdtheoryError
from wdtheory.problems.losses import CLASS_INDEX, LOSSES, NUM_CLASSES, get_loss
from wdtheory.problems.problem import Problem

Z = sp.Symbol("z", real=True)
Y = sp.Symbol("y", real=True)
K = NUM_CLASSES
C = CLASS_INDEX


def scalar_points() -> list[tuple[sp.Expr, sp.Expr]]:
    """The predictor/label as plain symbols and as the indexed entries the gradient code uses."""
    i = sp.Symbol("i", integer=True, positive=True)
    z, y = sp.IndexedBase("z", real=True), sp.IndexedBase("y", real=True)
    return [(Z, Y), (z[i], y[i])]


# --- the registry --------------------------------------------------------------------------------


def test_the_three_losses_are_registered_with_their_output_kind() -> None:
    assert set(LOSSES) == {"squared_error", "logistic", "softmax"}
    assert {name: loss.vector_output for name, loss in LOSSES.items()} == {
        "squared_error": False,
        "logistic": False,
        "softmax": True,
    }
    for name, loss in LOSSES.items():
        assert loss.name == name
        assert get_loss(name) is loss


@pytest.mark.parametrize(
    ("name", "z", "y", "expected"),
    [
        # ½(z − y)²: the d2l convention, with the ½
        ("squared_error", 3, 1, sp.Integer(2)),
        ("squared_error", -1, 2, sp.Rational(9, 2)),
        # log(1 + e^z) − y z
        ("logistic", 0, 0, sp.log(2)),
        ("logistic", 0, 1, sp.log(2)),
        ("logistic", 2, 1, sp.log(1 + sp.exp(2)) - 2),
    ],
)
def test_scalar_loss_values(name: str, z: int, y: int, expected: sp.Expr) -> None:
    value = get_loss(name).formula(sp.Integer(z), sp.Integer(y))
    assert sp.simplify(value - expected) == 0


@pytest.mark.parametrize("classes", [2, 3, 4])
def test_softmax_loss_is_log_sum_exp_minus_the_true_class_score(classes: int) -> None:
    z, y = sp.IndexedBase("z", real=True), sp.IndexedBase("y", real=True)
    written = get_loss("softmax").formula(z, y).xreplace({K: classes}).doit()
    scores = [sp.Rational(c, 3) for c in range(classes)]  # z_c = c/3, true class 2 (1-based)
    values = {z[c + 1]: scores[c] for c in range(classes)}
    values |= {y[c + 1]: int(c + 1 == 2) for c in range(classes)}
    expected = math.log(sum(math.exp(s) for s in scores)) - float(scores[1])
    assert float(written.xreplace(values)) == pytest.approx(expected, rel=1e-14)


# --- ∂ℓ/∂z ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("z", "y"), scalar_points())
def test_squared_error_derivative_is_z_minus_y(z: sp.Expr, y: sp.Expr) -> None:
    derivative = get_loss("squared_error").scalar_derivative(z, y)
    assert sp.expand(derivative) == z - y


@pytest.mark.parametrize(("z", "y"), scalar_points())
def test_logistic_derivative_is_sigmoid_minus_y_shown_with_sigmoid(z: sp.Expr, y: sp.Expr) -> None:
    derivative = get_loss("logistic").scalar_derivative(z, y)
    # exactly σ(z) − y, written with the sigmoid function (no e^z / (1 + e^z) left over)
    assert derivative == sigmoid(z) - y
    assert not derivative.has(sp.exp)


def test_the_sigmoid_shown_is_the_logistic_function() -> None:
    """σ(z) = 1/(1 + e^{−z}) and σ' = σ(1 − σ): the displayed form means what it should."""
    assert sp.simplify(sigmoid(Z).rewrite(sp.exp) - sp.exp(Z) / (1 + sp.exp(Z))) == 0
    derivative = sp.diff(sigmoid(Z), Z)
    assert derivative == sigmoid(Z) * (1 - sigmoid(Z))
    assert sp.simplify(derivative.rewrite(sp.exp) - sp.diff(1 / (1 + sp.exp(-Z)), Z)) == 0


@pytest.mark.parametrize("value", [-30.0, -2.5, 0.0, 0.7, 30.0])
def test_logistic_derivative_matches_the_formula_numerically(value: float) -> None:
    loss = get_loss("logistic")
    for label in (0, 1):
        derivative = loss.scalar_derivative(Z, Y).xreplace({Z: value, Y: label}).rewrite(sp.exp)
        expected = 1 / (1 + math.exp(-value)) - label
        assert float(derivative) == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    "j",
    [sp.Symbol("j", integer=True, positive=True), sp.Symbol("j"), sp.Integer(2)],
    ids=["j-integer", "j-plain", "j=2"],
)
def test_softmax_derivative_is_p_j_minus_y_j_for_symbolic_K(j: sp.Expr) -> None:
    z, y = sp.IndexedBase("z", real=True), sp.IndexedBase("y", real=True)
    derivative = get_loss("softmax").class_derivative(z, y, j)
    p_j = sp.exp(z[j]) / sp.Sum(sp.exp(z[C]), (C, 1, K))
    assert derivative == p_j - y[j]
    assert not derivative.has(sp.KroneckerDelta)
    assert K in derivative.free_symbols  # derived for any number of classes


@pytest.mark.parametrize("classes", [2, 3, 4])
def test_softmax_derivative_agrees_with_differentiating_the_written_out_loss(classes: int) -> None:
    """For explicit K, the derived p_j − y_j equals SymPy's derivative of the loss written with
    explicit sums, for every class j."""
    z, y = sp.IndexedBase("z", real=True), sp.IndexedBase("y", real=True)
    zs = [z[c] for c in range(1, classes + 1)]
    ys = [y[c] for c in range(1, classes + 1)]
    written = sp.log(sum(sp.exp(v) for v in zs)) - sum(a * b for a, b in zip(ys, zs, strict=True))
    j = sp.Symbol("j", integer=True, positive=True)
    general = get_loss("softmax").class_derivative(z, y, j)
    for index in range(1, classes + 1):
        derived = general.xreplace({j: index, K: classes}).doit()
        assert sp.simplify(derived - sp.diff(written, z[index])) == 0


# --- unknown names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("logistik", "logistic"),
        ("Logistic", "logistic"),
        ("softmx", "softmax"),
        ("squared", "squared_error"),
        ("squared_eror", "squared_error"),
    ],
)
def test_unknown_loss_suggests_the_close_name(name: str, suggestion: str) -> None:
    for attempt in (
        lambda: get_loss(name),
        lambda: Problem.create(name, l2=1),
        lambda: Problem.from_spec(f"{name}(l2=0.1)"),
    ):
        with pytest.raises(WdtheoryError) as info:
            attempt()
        message = str(info.value)
        assert "\n" not in message
        assert repr(name) in message
        assert f"did you mean {suggestion!r}" in message
        assert "allowed: logistic, softmax, squared_error" in message


@pytest.mark.parametrize("name", ["hinge", "mse", ""])
def test_unknown_loss_without_a_close_name_lists_the_allowed_ones(name: str) -> None:
    with pytest.raises(WdtheoryError) as info:
        get_loss(name)
    message = str(info.value)
    assert "\n" not in message
    assert repr(name) in message
    assert "did you mean" not in message
    assert "allowed: logistic, softmax, squared_error" in message
