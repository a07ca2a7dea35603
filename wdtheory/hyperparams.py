"""Hyperparameter values: exact SymPy numbers or symbols, checked against their allowed range.

A hyperparameter is either a number, kept exact (``0.1`` is the rational 1/10, so symbolic work
stays exact), or a SymPy expression in symbols (``lam``), left free. Strings are never accepted
here: text reaches SymPy only through :func:`wdtheory.spec.parse_spec`.
"""

from __future__ import annotations

import math
from fractions import Fraction
from numbers import Real

import sympy as sp

from wdtheory.errors import WdtheoryError

__all__ = ["Hyper", "as_hyper", "as_nonnegative", "check_interval", "to_float"]

Hyper = sp.Expr


def as_hyper(name: str, value: object) -> sp.Expr:
    """``value`` as an exact SymPy expression; floats are read through their shortest repr."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise WdtheoryError(f"{name}={value!r} is not a number or a SymPy expression")
    if isinstance(value, sp.Basic):
        if not isinstance(value, sp.Expr) or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise WdtheoryError(f"{name}={value} is not a finite number or expression")
        return value
    if isinstance(value, int | Fraction):
        return sp.Rational(value)
    if isinstance(value, Real):
        number = float(value)
        if not math.isfinite(number):
            raise WdtheoryError(f"{name}={number} is not finite; give a finite number")
        return sp.Rational(repr(number))
    raise WdtheoryError(f"{name}={value!r} is not a number or a SymPy expression")


def check_interval(
    name: str, value: sp.Expr, low: float, high: float = math.inf, *, closed_high: bool = False
) -> sp.Expr:
    """Raise unless a numeric ``value`` lies in ``[low, high)`` (``[low, high]`` if closed);
    symbolic values pass, since their range is the user's assumption."""
    if value.is_number:
        inside = low <= value and (value <= high if closed_high else value < high)
        if not inside:
            upper = "]" if closed_high else ")"
            allowed = f"[{low}, {high}{upper}" if math.isfinite(high) else f">= {low}"
            raise WdtheoryError(f"{name}={value} is out of range; allowed: {allowed}")
    return value


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
