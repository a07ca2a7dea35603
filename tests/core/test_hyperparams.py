"""Hyperparameter values: exact conversion, refusals with one-line messages, range checks."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from wdtheory.core.errors import WdtheoryError
from wdtheory.core.hyperparams import (
    as_hyper,
    as_nonnegative,
    check_interval,
    float_in,
    show,
    to_float,
    to_float_in,
)

R = sp.Rational
LAM = sp.Symbol("lam", real=True)


def one_line(error: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(error.value)
    assert message, "an error message must say something"
    assert "\n" not in message
    return message


# --- as_hyper: numbers become exact SymPy numbers ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, R(1, 10)),
        (1e-4, R(1, 10000)),
        (0.9, R(9, 10)),
        (0.999, R(999, 1000)),
        (2.5e-7, R(1, 4000000)),
        (-0.3, R(-3, 10)),
        (1.0, sp.Integer(1)),
        (3, sp.Integer(3)),
        (0, sp.Integer(0)),
        (10**30 + 1, sp.Integer(10**30 + 1)),
        (Fraction(1, 3), R(1, 3)),
        (np.float64(0.1), R(1, 10)),
    ],
    ids=repr,
)
def test_as_hyper_reads_numbers_exactly(value: object, expected: sp.Rational) -> None:
    result = as_hyper("lr", value)
    assert isinstance(result, sp.Rational)
    assert result == expected
    assert (result.p, result.q) == (expected.p, expected.q)


@pytest.mark.parametrize(
    "value",
    [LAM, 2 * LAM, LAM / (1 + LAM), sp.Rational(1, 3), sp.sqrt(2), sp.pi],
    ids=str,
)
def test_as_hyper_passes_sympy_expressions_through(value: sp.Expr) -> None:
    assert as_hyper("lam", value) is value


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (True, "true is not a number"),
        (False, "false is not a number"),
        (None, "None is not a number"),
        ("0.1", "'0.1' is not a number"),
        ("lam", "'lam' is not a number"),
        (math.nan, "nan is not finite"),
        (math.inf, "inf is not finite"),
        (-math.inf, "-inf is not finite"),
        (np.float64("nan"), "nan is not finite"),
        (sp.nan, "is not a finite real number"),
        (sp.oo, "is not a finite real number"),
        (-sp.oo, "is not a finite real number"),
        (sp.zoo, "is not a finite real number"),
        (LAM + sp.oo, "is not a finite real number"),
        (complex(1, 2), "is not a number"),
        ([0.1], "is not a number"),
        (sp.Matrix([1]), "is not a number"),
        (sp.Eq(LAM, 1), "is not a scalar number or expression"),
    ],
    ids=repr,
)
def test_as_hyper_refuses_non_numbers_in_one_line(value: object, words: str) -> None:
    with pytest.raises(WdtheoryError) as error:
        as_hyper("weight_decay", value)
    message = one_line(error)
    assert message.startswith("weight_decay=")
    assert words in message


def test_as_hyper_keeps_numpy_integers_exact() -> None:
    assert as_hyper("steps", np.int64(2**53 + 1)) == 2**53 + 1


@pytest.mark.parametrize(
    "value", [sp.ImmutableMatrix([-1]), sp.MatrixSymbol("X", 2, 2)], ids=["Matrix", "MatrixSymbol"]
)
def test_as_nonnegative_refuses_matrices(value: sp.Expr) -> None:
    with pytest.raises(WdtheoryError):
        as_nonnegative("l2", value)


# --- check_interval ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "low", "high", "closed_high"),
    [
        (R(0), 0, 1, False),  # low end is included
        (R(1, 2), 0, 1, False),
        (R(999, 1000), 0, 1, False),
        (R(1), 0, 1, True),  # high end included when closed
        (R(10**15), 0, math.inf, False),
        (sp.sqrt(2) / 2, 0, 1, False),
        (R(-1, 2), -1, 0, False),
    ],
    ids=str,
)
def test_check_interval_accepts_values_inside(
    value: sp.Expr, low: float, high: float, closed_high: bool
) -> None:
    assert check_interval("beta1", value, low, high, closed_high=closed_high) is value


@pytest.mark.parametrize(
    ("value", "low", "high", "closed_high", "allowed"),
    [
        (R(1), 0, 1, False, "allowed: [0, 1)"),  # high end excluded by default
        (R(-1, 10), 0, 1, False, "allowed: [0, 1)"),
        (R(11, 10), 0, 1, True, "allowed: [0, 1]"),
        (R(-1, 10), 0, math.inf, False, "allowed: >= 0"),
        (-sp.pi, 0, math.inf, False, "allowed: >= 0"),
    ],
    ids=str,
)
def test_check_interval_refuses_values_outside_naming_the_range(
    value: sp.Expr, low: float, high: float, closed_high: bool, allowed: str
) -> None:
    with pytest.raises(WdtheoryError) as error:
        check_interval("beta1", value, low, high, closed_high=closed_high)
    message = one_line(error)
    assert message.startswith(f"beta1={show(value)} is out of range")
    assert message.endswith(allowed)


@pytest.mark.parametrize(
    ("value", "high", "allowed"),
    [(R(0), math.inf, "allowed: > 0"), (R(0), 1, "allowed: (0, 1)"), (R(1), 1, "allowed: (0, 1)")],
    ids=str,
)
def test_an_open_low_end_is_refused_and_named(value: sp.Expr, high: float, allowed: str) -> None:
    with pytest.raises(WdtheoryError) as error:
        check_interval("kappa", value, 0, high, closed_low=False)
    assert one_line(error).endswith(allowed)
    assert check_interval("kappa", R(1, 10**9), 0, high, closed_low=False) == R(1, 10**9)


@pytest.mark.parametrize("value", [LAM, -LAM, LAM - 5], ids=str)
def test_check_interval_lets_symbolic_values_pass(value: sp.Expr) -> None:
    assert check_interval("lam", value, 0, 1) is value


@pytest.mark.parametrize(("value", "expected"), [(0.01, R(1, 100)), (0, 0), (LAM, LAM)], ids=str)
def test_as_nonnegative_accepts_zero_positive_and_symbols(value: object, expected: object) -> None:
    assert as_nonnegative("l2", value) == expected


@pytest.mark.parametrize("value", [-0.1, -1, R(-1, 3)], ids=str)
def test_as_nonnegative_refuses_negative_numbers(value: object) -> None:
    with pytest.raises(WdtheoryError) as error:
        as_nonnegative("l2", value)
    assert "out of range; allowed: >= 0" in one_line(error)


@pytest.mark.parametrize("value", [sp.I, 1 + sp.I], ids=str)
def test_complex_sympy_numbers_are_refused_with_a_user_error(value: sp.Expr) -> None:
    with pytest.raises(WdtheoryError):
        as_nonnegative("l2", value)


# --- to_float ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [(R(1, 10), 0.1), (sp.Integer(3), 3.0), (sp.sqrt(2), math.sqrt(2))]
)
def test_to_float_of_numbers(value: sp.Expr, expected: float) -> None:
    result = to_float("lr", value)
    assert type(result) is float
    assert result == expected


@pytest.mark.parametrize("value", [LAM, 2 * LAM + 1, sp.Symbol("eta") / 3], ids=str)
def test_to_float_of_a_symbolic_value_is_a_user_error(value: sp.Expr) -> None:
    with pytest.raises(WdtheoryError) as error:
        to_float("lr", value)
    message = one_line(error)
    assert message.startswith(f"lr={value} is symbolic")
    assert "substitute a value" in message


@pytest.mark.parametrize(
    ("value", "low", "high", "closed", "expected"),
    [
        (R(9, 10), 0, 1, False, 0.9),
        (1 - R(1, 10**15), 0, 1, False, 1 - 1e-15),
        (sp.Integer(1), 0, 1, True, 1.0),
        (R(1, 10**400), 0, math.inf, False, 0.0),  # underflows to 0, still >= 0
    ],
)
def test_to_float_in_keeps_values_that_stay_in_range(value, low, high, closed, expected) -> None:
    assert to_float_in("beta2", value, low, high, closed_high=closed) == expected


@pytest.mark.parametrize(
    ("value", "high", "closed", "rounded", "allowed"),
    [
        (1 - R(1, 10**20), 1, False, "1.0", "[0, 1)"),
        (sp.Integer(10) ** 400, math.inf, False, "inf", ">= 0"),
    ],
    ids=["rounds-up-to-1", "overflows"],
)
def test_to_float_in_refuses_values_that_round_out_of_range(
    value, high, closed, rounded, allowed
) -> None:
    with pytest.raises(WdtheoryError) as error:
        to_float_in("beta2", value, 0, high, closed_high=closed)
    message = one_line(error)
    assert f"is {rounded} in floating point" in message
    assert message.endswith(f"allowed: {allowed}")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (True, "true"),
        (False, "false"),
        (R(-1, 10), "-0.1"),
        (R(1, 3), "1/3"),
        (LAM, "lam"),
        (R(5), "5"),
    ],
    ids=repr,
)
def test_show_writes_values_as_a_user_writes_them(value: object, shown: str) -> None:
    assert show(value) == shown


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.5, 0.5), (0, 0.0), (np.float32(0.25), 0.25), (np.int64(0), 0.0), (Fraction(1, 4), 0.25)],
)
def test_float_in_takes_plain_numbers_inside_the_range(value: object, expected: float) -> None:
    assert float_in("beta1", value, 0, 1) == expected


@pytest.mark.parametrize(
    "value", [1.0, -0.1, math.nan, math.inf, "0.5", b"0.5", True, None, [0.5], 1j]
)
def test_float_in_refuses_anything_else_in_one_line_naming_key_and_range(value: object) -> None:
    with pytest.raises(
        WdtheoryError, match=r"^beta1=.* is not a number in range; allowed: \[0, 1\)$"
    ):
        float_in("beta1", value, 0, 1)
