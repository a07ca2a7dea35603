"""Hyperparameter values: exact SymPy numbers or symbols, checked against their allowed range.

A hyperparameter is either a number, kept exact (``0.1`` is the rational 1/10, so symbolic work
stays exact), or a SymPy expression in symbols (``lam``), left free. Strings are never accepted
here: text reaches SymPy only through :func:`wdtheory.core.spec.parse_spec`.
"""

from __future__ import annotations

import contextlib
import math
from fractions import Fraction
from numbers import Integral, Real

import sympy as sp

from wdtheory.core.errors import WdtheoryError
from wdtheory.core.spec import format_number, is_decimal

__all__ = [
    "as_hyper",
    "as_nonnegative",
    "check_interval",
    "float_in",
    "show",
    "to_float",
    "to_float_in",
]


def show(value: object) -> str:
    """A value as a user writes it: ``true``, ``0.1`` (terminating decimals), ``lam``, ``1/3``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_decimal(value):
        return format_number(value)
    return sp.sstr(value) if isinstance(value, sp.Basic) else repr(value)


def as_hyper(name: str, value: object) -> sp.Expr:
    """``value`` as an exact real SymPy expression; floats are read through their shortest repr."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise WdtheoryError(f"{name}={show(value)} is not a number or a SymPy expression")
    if isinstance(value, sp.Basic):
        if not isinstance(value, sp.Expr) or getattr(value, "is_Matrix", False):
            raise WdtheoryError(f"{name}={show(value)} is not a scalar number or expression")
        if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or value.is_real is False:
            raise WdtheoryError(f"{name}={show(value)} is not a finite real number or expression")
        return value
    if isinstance(value, Integral | Fraction):
        return sp.Rational(int(value)) if isinstance(value, Integral) else sp.Rational(value)
    if isinstance(value, Real):
        number = float(value)
        if not math.isfinite(number):
            raise WdtheoryError(f"{name}={number} is not finite; give a finite number")
        return sp.Rational(repr(number))
    raise WdtheoryError(f"{name}={value!r} is not a number or a SymPy expression")


def check_interval(
    name: str,
    value: sp.Expr,
    low: float,
    high: float = math.inf,
    *,
    closed_high: bool = False,
    closed_low: bool = True,
) -> sp.Expr:
    """Raise unless a numeric ``value`` lies in ``[low, high)`` (``]`` if ``closed_high``, ``(``
    unless ``closed_low``); symbolic values pass, since their range is the user's assumption."""
    if value.is_number and not (
        value.is_real and _inside(value, low, high, closed_high, closed_low)
    ):
        raise WdtheoryError(
            f"{name}={show(value)} is out of range; allowed: "
            f"{_interval(low, high, closed_high, closed_low)}"
        )
    return value


def _inside(
    value: sp.Expr | float, low: float, high: float, closed_high: bool, closed_low: bool
) -> bool:
    above = low <= value if closed_low else low < value
    return bool(above and (value <= high if closed_high else value < high))


def _interval(low: float, high: float, closed_high: bool, closed_low: bool = True) -> str:
    """``[low, high)``, ``(low, high]``, ``>= low``, ``> low``... as the error messages write it."""
    if not math.isfinite(high):
        return f"{'>=' if closed_low else '>'} {low:g}"
    return f"{'[' if closed_low else '('}{low:g}, {high:g}{']' if closed_high else ')'}"


def as_nonnegative(name: str, value: object) -> sp.Expr:
    """``value`` as an exact expression, required to be >= 0 when it is a number."""
    return check_interval(name, as_hyper(name, value), 0)


def to_float(name: str, value: sp.Expr) -> float:
    """The float value of a numeric hyperparameter; a symbolic one cannot run numerically."""
    if not value.is_number:
        raise WdtheoryError(
            f"{name}={value} is symbolic; numeric work needs a number (substitute a value first)"
        )
    return float(value)


def to_float_in(
    name: str,
    value: sp.Expr,
    low: float,
    high: float = math.inf,
    *,
    closed_high: bool = False,
    closed_low: bool = True,
) -> float:
    """:func:`to_float`, required to stay inside the range after rounding: ``beta2`` =
    1 - 10⁻²⁰ is below 1 exactly but 1.0 as a float, where ``1/(1 - beta2**t)`` divides by 0."""
    number = to_float(name, value)
    if not _inside(number, low, high, closed_high, closed_low):
        raise WdtheoryError(
            f"{name}={show(value)} is {number!r} in floating point, out of range; allowed: "
            f"{_interval(low, high, closed_high, closed_low)}"
        )
    return number


def float_in(
    name: str,
    value: object,
    low: float,
    high: float = math.inf,
    *,
    closed_high: bool = False,
    closed_low: bool = True,
) -> float:
    """A number given at run time (a torch param group's ``lr`` after a scheduler set it: a
    float, an int, a NumPy or 0-d tensor scalar) as a float inside the range, without SymPy."""
    number = math.nan
    if not isinstance(value, bool | str | bytes):
        with contextlib.suppress(TypeError, ValueError):
            number = float(value)  # type: ignore[arg-type]
    if not (math.isfinite(number) and _inside(number, low, high, closed_high, closed_low)):
        raise WdtheoryError(
            f"{name}={value!r} is not a number in range; allowed: "
            f"{_interval(low, high, closed_high, closed_low)}"
        )
    return number
