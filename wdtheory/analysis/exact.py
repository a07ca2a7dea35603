"""Exact arithmetic for the comparisons: zero tests at random rationals, then proofs by SymPy;
counterexample points; readable exact forms.

A symbol gets random exact values that respect its assumptions (integers from 2 to 6, decays
and other nonnegative hyperparameters in (0, 1), real values of either sign), so a value that is
clearly nonzero at such a point proves an expression is not identically 0.
"""

from __future__ import annotations

import random

import sympy as sp

from wdtheory.core.notation import START

__all__ = [
    "counterexample_point",
    "is_zero",
    "nonzero_somewhere",
    "random_value",
    "tidy",
]


def is_zero(expr: sp.Expr, rng: random.Random) -> bool:
    """Exact zero test: quick numeric screens at random rationals, then ``expand`` (which puts
    the arguments of ``Abs``, ``sign`` and ``Max`` in one canonical form), then ``simplify``."""
    if nonzero_somewhere(expr, rng):
        return False
    return sp.expand(expr) == 0 or sp.simplify(expr) == 0


def nonzero_somewhere(expr: sp.Expr, rng: random.Random) -> bool:
    """Whether ``expr`` is clearly not 0 (beyond 30-digit round-off) at one of three random
    exact points: a proof that it is not identically 0."""
    symbols = _free_symbols([expr])
    for _ in range(3):
        value = expr.xreplace({s: random_value(s, rng) for s in symbols})
        if value.is_number and abs(sp.N(value, 30)) > sp.Float("1e-20"):
            return True
    return False


def random_value(symbol: sp.Symbol, rng: random.Random) -> sp.Rational:
    """A random exact value respecting the symbol's sign and integrality (and < 1 for decays)."""
    if symbol.is_integer:
        return sp.Integer(rng.randint(2, 6))
    value = sp.Rational(rng.randint(1, 97), 100)
    return value if symbol.is_nonnegative or rng.random() < 0.5 else -value


def _free_symbols(exprs: list[sp.Expr]) -> list[sp.Symbol]:
    return sorted(set().union(*(e.free_symbols for e in exprs)), key=lambda s: s.name)


def tidy(expr: sp.Expr) -> sp.Expr:
    """A readable exact form: decays β in [0, 1) written through 1 - β > 0 (so that
    ``sqrt(1/(1-β))*sqrt(1-β)`` cancels), then factored when that is cheap."""
    decays = [s for s in expr.free_symbols if s.name.startswith("beta")]
    gaps = {b: sp.Symbol(f"gap_{b.name}", positive=True) for b in decays}
    expr = sp.powsimp(expr.xreplace({b: 1 - q for b, q in gaps.items()}))
    if sp.count_ops(expr) < 200:
        expr = sp.factor(sp.cancel(expr))
    return expr.xreplace({q: 1 - b for b, q in gaps.items()})


def counterexample_point(
    difference: sp.Expr, rng: random.Random
) -> tuple[dict[sp.Symbol, sp.Expr], sp.Expr]:
    """Rational values of every symbol at which ``difference`` is not 0, and its value there;
    hyperparameters get positive values (below 1), the start and the gradients any sign."""
    symbols = _free_symbols([difference])
    for _ in range(20):
        point = {
            s: random_value(s, rng)
            if s == START or s.name.startswith("g_")
            else abs(random_value(s, rng))
            for s in symbols
        }
        value = sp.nsimplify(difference.xreplace(point))
        if value != 0:
            return point, value
    raise AssertionError("no counterexample found for a nonzero difference")
