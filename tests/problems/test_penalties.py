"""Weight penalties R(w) = l1‖w‖₁ + c·l2‖w‖², c = ½ (``half``, PyTorch/d2l) or 1 (Keras ``l2(c)``).

What is specified here: the name of each combination; that the derived gradient terms are the
derivative of the coordinate form l1|w_k| + c·l2·w_k²; the half/full convention (the L2 gradient is
2c·l2·w: λw with the ½, 2c·w without); that the display form is the same function written with
norms; and that strengths are validated (finite, ≥ 0, numbers or SymPy expressions; one-line errors
naming the value), numbers kept exact and symbols kept as given.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from wdtheory.core.errors import WdtheoryError
from wdtheory.core.printing import to_latex, to_text
from wdtheory.problems.penalties import Norm, Penalty

LAM = sp.Symbol("lam", real=True)
MU = sp.Symbol("mu", real=True)

SHAPES = [(3, 1), (2, 3)]  # a weight vector w and a weight matrix W (softmax)


def explicit_weights(rows: int, cols: int) -> tuple[sp.MatrixSymbol, sp.Matrix]:
    """A matrix symbol and an explicit matrix of distinct real entries to substitute for it."""
    name = "w" if cols == 1 else "W"
    entries = sp.symbols(f"a0:{rows * cols}", real=True)
    return sp.MatrixSymbol(name, rows, cols), sp.Matrix(rows, cols, entries)


def explicit(expr: sp.Basic, symbol: sp.MatrixSymbol, value: sp.Matrix) -> sp.Matrix:
    return sp.Matrix(expr.xreplace({symbol: value}).doit().as_explicit())


def gradient(penalty: Penalty, symbol: sp.MatrixSymbol, value: sp.Matrix) -> sp.Matrix:
    """The sum of the penalty's gradient terms, written out for explicit entries."""
    total = sp.zeros(*value.shape)
    for term in penalty.gradient_terms(symbol):
        total += explicit(term, symbol, value)
    return total


STRENGTHS = [
    # (l1, l2) covering every kind, with symbolic and exact numeric strengths
    (0, 0),
    (0, LAM),
    (MU, 0),
    (MU, LAM),
    (0, sp.Rational(1, 10)),
    (sp.Rational(3, 2), 0),
    (sp.Rational(1, 100), 2),
]


# --- names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("l1", "l2", "name"),
    [
        (0, 0, "none"),
        (0.0, Fraction(0), "none"),
        (sp.S.Zero, 0, "none"),
        (0, 0.5, "L2"),
        (0, LAM, "L2"),
        (1, 0, "L1"),
        (MU, 0.0, "L1"),
        (1e-30, 3, "elastic net"),
        (MU, LAM, "elastic net"),
    ],
)
@pytest.mark.parametrize("half", [True, False])
def test_name_says_which_strengths_are_nonzero(
    l1: object, l2: object, half: bool, name: str
) -> None:
    assert Penalty.create(l1=l1, l2=l2, half=half).name == name


def test_default_penalty_is_none_with_the_half_convention() -> None:
    penalty = Penalty.create()
    assert (penalty.l1, penalty.l2, penalty.half) == (0, 0, True)
    assert penalty.name == "none"
    assert penalty.gradient_terms(sp.MatrixSymbol("w", 3, 1)) == []


# --- gradients -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("l1", "l2"), STRENGTHS)
@pytest.mark.parametrize("half", [True, False])
@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_terms_are_the_derivative_of_the_coordinate_form(
    l1: sp.Expr, l2: sp.Expr, half: bool, shape: tuple[int, int]
) -> None:
    penalty = Penalty.create(l1=l1, l2=l2, half=half)
    symbol, value = explicit_weights(*shape)
    derived = gradient(penalty, symbol, value)
    for entry, grad in zip(value, derived, strict=True):
        assert sp.simplify(grad - sp.diff(penalty.coordinate(entry), entry)) == 0


@pytest.mark.parametrize("half", [True, False])
def test_coordinate_form(half: bool) -> None:
    a = sp.Symbol("a", real=True)
    c = sp.Rational(1, 2) if half else 1
    penalty = Penalty.create(l1=MU, l2=LAM, half=half)
    assert penalty.l2_factor == c
    assert sp.expand(penalty.coordinate(a) - (MU * sp.Abs(a) + c * LAM * a**2)) == 0


@pytest.mark.parametrize("shape", SHAPES)
def test_gradient_terms_are_l2_decay_then_l1_sign(shape: tuple[int, int]) -> None:
    """∇R = 2c·l2·w + l1·sign(w), with sign(0) = 0 (the minimal-norm subgradient)."""
    symbol, value = explicit_weights(*shape)
    l2_term, l1_term = Penalty.create(l1=MU, l2=LAM).gradient_terms(symbol)
    assert explicit(l2_term, symbol, value) == LAM * value
    assert explicit(l1_term, symbol, value) == MU * value.applyfunc(sp.sign)
    at_zero = explicit(l1_term, symbol, sp.zeros(*shape))
    assert at_zero == sp.zeros(*shape)


@pytest.mark.parametrize("shape", SHAPES)
def test_half_convention_gradient_is_lambda_w(shape: tuple[int, int]) -> None:
    """PyTorch ``weight_decay=λ`` / d2l: R = (λ/2)‖w‖², ∇R = λw."""
    symbol, value = explicit_weights(*shape)
    assert gradient(Penalty.create(l2=LAM, half=True), symbol, value) == LAM * value


@pytest.mark.parametrize("shape", SHAPES)
def test_full_convention_gradient_is_two_c_w(shape: tuple[int, int]) -> None:
    """Keras ``l2(c)`` / sklearn: R = c‖w‖², ∇R = 2c·w."""
    c = sp.Symbol("c", positive=True)
    symbol, value = explicit_weights(*shape)
    assert gradient(Penalty.create(l2=c, half=False), symbol, value) == 2 * c * value


@pytest.mark.parametrize("c", [sp.Symbol("c", positive=True), sp.Rational(1, 1000), 5])
def test_keras_l2_c_is_pytorch_weight_decay_2c(c: sp.Expr) -> None:
    symbol, value = explicit_weights(3, 1)
    keras = Penalty.create(l2=c, half=False)
    torch = Penalty.create(l2=2 * c, half=True)
    assert gradient(keras, symbol, value) == gradient(torch, symbol, value)
    a = sp.Symbol("a", real=True)
    assert sp.expand(keras.coordinate(a) - torch.coordinate(a)) == 0
    # …and the same strength in both conventions differs by exactly a factor 2
    same = Penalty.create(l2=c, half=True)
    assert gradient(keras, symbol, value) == 2 * gradient(same, symbol, value)


# --- display -------------------------------------------------------------------------------------


def written_out_norms(expr: sp.Expr, value: sp.Matrix) -> sp.Expr:
    """Replace each ``Norm(w, p, k)`` by ‖value‖_p^k computed from the explicit entries."""

    def norm(arg: sp.Basic, p: sp.Integer, power: sp.Integer) -> sp.Expr:
        one = sum(sp.Abs(v) for v in value)
        two = sp.sqrt(sum(v**2 for v in value))
        return (one if p == 1 else two) ** power

    return expr.replace(lambda e: isinstance(e, Norm), lambda e: norm(*e.args))


@pytest.mark.parametrize(("l1", "l2"), STRENGTHS)
@pytest.mark.parametrize("half", [True, False])
def test_display_is_the_sum_of_the_coordinate_terms(l1: sp.Expr, l2: sp.Expr, half: bool) -> None:
    penalty = Penalty.create(l1=l1, l2=l2, half=half)
    symbol, value = explicit_weights(3, 1)
    shown = written_out_norms(penalty.display(symbol), value)
    assert sp.simplify(shown - sum(penalty.coordinate(v) for v in value)) == 0


def test_display_prints_norms() -> None:
    w = sp.MatrixSymbol("w", 3, 1)
    shown = Penalty.create(l1=MU, l2=LAM).display(w)
    assert to_text(shown) == "mu*||w||_1 + lam*||w||_2**2/2"
    latex = to_latex(shown)
    assert r"\mu \left\|\mathbf{w}\right\|_1" in latex
    assert r"\lambda \left\|\mathbf{w}\right\|^{2}" in latex
    assert to_text(Penalty.create(l2=LAM, half=False).display(w)) == "lam*||w||_2**2"


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("parameter", ["l1", "l2"])
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (-1, ("-1",)),
        (-0.5, ("-0.5", "-1/2")),
        (-1e-300, ("-1e-300", "-1.0e-300", "/1000")),
        (Fraction(-1, 3), ("-1/3",)),
        (sp.Rational(-1, 3), ("-1/3",)),
        (sp.Float(-0.25), ("-0.25",)),
        (np.float64(-2.0), ("-2",)),
        (float("nan"), ("nan",)),
        (np.nan, ("nan",)),
        (math.inf, ("inf",)),
        (-math.inf, ("-inf",)),
        (np.float32("inf"), ("inf",)),
        (sp.nan, ("nan",)),
        (sp.oo, ("oo",)),
        (-sp.oo, ("-oo",)),
        (sp.zoo, ("zoo",)),
        (True, ("true", "True")),
        (False, ("false", "False")),
        (np.True_, ("True",)),
        ("0.1", ("'0.1'",)),
        ("lam", ("'lam'",)),
        (None, ("None",)),
        (1j, ("1j",)),
        ([1.0], ("[1.0]",)),
        (sp.Matrix([1]), ("Matrix",)),
    ],
    ids=repr,
)
def test_invalid_strength_is_rejected_in_one_line_naming_the_value(
    parameter: str, value: object, shown: tuple[str, ...]
) -> None:
    with pytest.raises(WdtheoryError) as info:
        Penalty.create(**{parameter: value})
    message = str(info.value)
    assert "\n" not in message
    assert f"{parameter}=" in message
    assert any(text in message for text in shown), message


@pytest.mark.parametrize(
    "value", [sp.I, 1 + 2 * sp.I, sp.Symbol("t", imaginary=True)], ids=["I", "1+2I", "imaginary"]
)
def test_non_real_sympy_strength_is_rejected(value: sp.Expr) -> None:
    # (once a TypeError from comparing I with 0; now refused as not real)
    with pytest.raises(WdtheoryError) as info:
        Penalty.create(l2=value)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"l2={sp.sstr(value)} ")
    assert "real" in message


@pytest.mark.parametrize(
    ("value", "exact"),
    [
        (0, sp.Integer(0)),
        (3, sp.Integer(3)),
        (0.1, sp.Rational(1, 10)),
        (1e-4, sp.Rational(1, 10000)),
        (2.5e-7, sp.Rational(1, 4_000_000)),
        (Fraction(1, 3), sp.Rational(1, 3)),
        (np.float64(0.25), sp.Rational(1, 4)),
        (np.int64(7), sp.Integer(7)),
        (sp.Rational(2, 7), sp.Rational(2, 7)),
    ],
    ids=repr,
)
def test_numeric_strengths_are_kept_exact(value: object, exact: sp.Rational) -> None:
    penalty = Penalty.create(l1=value, l2=value)
    assert penalty.l1 == exact and isinstance(penalty.l1, sp.Rational)
    assert penalty.l2 == exact and isinstance(penalty.l2, sp.Rational)


@pytest.mark.parametrize(
    "value",
    [
        LAM,
        sp.Symbol("lam", positive=True),
        sp.Symbol("lam"),
        2 * LAM,
        LAM**2,
        LAM + sp.Rational(1, 10),
    ],
    ids=str,
)
def test_symbolic_strengths_are_accepted_unchanged(value: sp.Expr) -> None:
    penalty = Penalty.create(l1=value, l2=value, half=False)
    assert penalty.l1 is value
    assert penalty.l2 is value
    assert penalty.name == "elastic net"
    symbol, entries = explicit_weights(2, 1)
    assert gradient(penalty, symbol, entries) == (
        2 * value * entries + value * entries.applyfunc(sp.sign)
    )
