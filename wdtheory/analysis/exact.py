"""Exact arithmetic for the comparisons: zero tests at random rationals, then proofs by SymPy;
counterexample points; readable exact forms.

A symbol gets random exact values that respect its assumptions (integers from 2 to 6, decays
and other nonnegative hyperparameters in (0, 1), real values of either sign), so a value that is
clearly nonzero at such a point proves an expression is not identically 0. Each random point and
each SymPy stage checks the time budget (:mod:`wdtheory.analysis.budget`).
"""

from __future__ import annotations

import random

import sympy as sp

from wdtheory.analysis.budget import check
from wdtheory.core.notation import START, STEP
from wdtheory.optim.roles import ROLES

__all__ = [
    "TIDY_GROWTH",
    "counterexample_point",
    "defined",
    "is_zero",
    "nonzero_somewhere",
    "random_value",
    "readable",
    "tidy",
]


def is_zero(expr: sp.Expr, rng: random.Random) -> bool:
    """Exact zero test: quick numeric screens at random rationals, then ``expand`` (which puts
    the arguments of ``Abs``, ``sign`` and ``Max`` in one canonical form), then ``simplify``, then
    ``simplify`` with every decay β written as 1 - q, q > 0 (the role range of β is [0, 1), which
    SymPy's nonnegative β does not say: ``sqrt(v/(1-β^t)) = sqrt(v)/sqrt(1-β^t)`` needs it)."""
    if nonzero_somewhere(expr, rng):
        return False
    check()
    if sp.expand(expr) == 0:
        return True
    check()
    if sp.simplify(expr) == 0:
        return True
    check()
    below_one, _ = _decays_below_one(expr)
    return below_one != expr and sp.simplify(below_one) == 0


def _decays_below_one(expr: sp.Expr) -> tuple[sp.Expr, dict[sp.Symbol, sp.Expr]]:
    """``expr`` with what lies in [0, 1) by its role written as 1 - q with a positive q, and the
    map back: every power :math:`\\beta^t` of a decay (one of :data:`DECAYS` or a number in
    [0, 1)) to the step count (a bias correction, :math:`1 - \\beta^t > 0` from step 1 on),
    then every decay symbol itself."""
    powers = sorted(
        {
            e
            for e in expr.atoms(sp.Pow)
            if STEP in e.exp.free_symbols
            and (_is_decay(e.base) or (e.base.is_Rational and 0 <= e.base < 1))
        },
        key=sp.default_sort_key,
    )
    gaps = {e: sp.Symbol(f"gap_{i}", positive=True) for i, e in enumerate(powers)}
    expr = expr.xreplace({e: 1 - q for e, q in gaps.items()})
    decays = sorted((s for s in expr.free_symbols if _is_decay(s)), key=lambda s: s.name)
    gaps |= {b: sp.Symbol(f"gap_{b.name}", positive=True) for b in decays}
    expr = expr.xreplace({b: 1 - gaps[b] for b in decays})
    return expr, {q: 1 - e for e, q in gaps.items()}


#: the symbols of the roles whose range is [0, 1) (β₁, β₂, RMSprop's α): 1 - β > 0. A name a
#: user writes for one (``beta2=b``) is not among them: its range is the user's assumption.
DECAYS = frozenset(r.symbol for r in ROLES.values() if r.high == 1 and not r.closed_high)


def _is_decay(expr: sp.Basic) -> bool:
    return expr in DECAYS


def nonzero_somewhere(expr: sp.Expr, rng: random.Random) -> bool:
    """Whether ``expr`` is clearly not 0 (beyond 30-digit round-off) at one of three random
    exact points: a proof that it is not identically 0. A point where ``expr`` is undefined
    (0/0 in Adam's step with ε = 0) proves nothing and is passed over."""
    symbols = _free_symbols([expr])
    for _ in range(3):
        check()
        value = expr.xreplace({s: random_value(s, rng) for s in symbols})
        if value.is_number and defined(value) and abs(sp.N(value, 30)) > sp.Float("1e-20"):
            return True
    return False


def defined(value: sp.Expr) -> bool:
    """Whether an expression holds no NaN or infinity (after substitution, 0/0 is NaN)."""
    return not value.has(sp.nan, sp.zoo, sp.oo, -sp.oo)


def random_value(symbol: sp.Symbol, rng: random.Random) -> sp.Rational:
    """A random exact value respecting the symbol's sign and integrality (and < 1 for decays)."""
    if symbol.is_integer:
        return sp.Integer(rng.randint(2, 6))
    value = sp.Rational(rng.randint(1, 97), 100)
    return value if symbol.is_nonnegative or rng.random() < 0.5 else -value


def _free_symbols(exprs: list[sp.Expr]) -> list[sp.Symbol]:
    return sorted(set().union(*(e.free_symbols for e in exprs)), key=lambda s: s.name)


#: ``tidy`` keeps a cancelled form only if it has at most this many times the operations
TIDY_GROWTH = 8


def tidy(expr: sp.Expr) -> sp.Expr:
    """A readable exact form: decays β in [0, 1) written through 1 - β > 0 (so that
    ``sqrt(1/(1-β))*sqrt(1-β)`` cancels), then put over one denominator and factored when that
    is cheap and shorter. Cheap: under 200 operations, no ``Max`` (factor is slow through it)
    and at most one root of a sum — ``cancel`` takes each root as a new variable and multiplies
    the denominators out, which with several roots of sums (Adam's step 2 with a symbolic β₂:
    ``sqrt(b g_1² + (1 - b) g_2²)`` and ``sqrt(999 g_1² + 1000 g_2²)``) turns 150 operations into
    10⁵, and factoring those took a minute. A cancelled form more than :data:`TIDY_GROWTH` times
    longer is not used either."""
    below_one, back = _decays_below_one(expr)
    expr = sp.powsimp(below_one)
    operations = sp.count_ops(expr)
    roots_of_sums = {p for p in expr.atoms(sp.Pow) if not p.exp.is_Integer and not p.base.is_Atom}
    if operations < 200 and not expr.has(sp.Max) and len(roots_of_sums) <= 1:
        check()
        cancelled = sp.cancel(expr)
        if sp.count_ops(cancelled) <= TIDY_GROWTH * max(operations, 1):
            check()
            expr = sp.factor(cancelled)
    return expr.xreplace(back)


#: the symbols of the roles whose range lies in [0, 1] (momentum, dampening, the decays)
UNIT_INTERVAL = frozenset(r.symbol for r in ROLES.values() if r.high == 1)


def readable(expr: sp.Expr) -> sp.Expr:
    """``expr`` factored with every [0, 1] hyperparameter x seen through 1 - x, so that a map
    reads ``eta/(1 - mu)`` rather than ``-eta/(mu - 1)`` (a substitution and its inverse, no
    assumption made)."""
    unit = sorted(expr.free_symbols & UNIT_INTERVAL, key=lambda s: s.name)
    if not unit or sp.count_ops(expr) > 200:
        return expr
    gaps = {x: sp.Dummy(f"gap_{x.name}") for x in unit}
    factored = sp.factor(sp.cancel(expr.xreplace({x: 1 - q for x, q in gaps.items()})))
    return factored.xreplace({q: 1 - x for x, q in gaps.items()})


def counterexample_point(
    difference: sp.Expr, rng: random.Random, *, tries: int = 40
) -> tuple[dict[sp.Symbol, sp.Expr], sp.Expr] | None:
    """Rational values of every symbol at which ``difference`` is not 0, and its value there;
    hyperparameters get positive values (below 1), the start and the gradients any sign and
    magnitudes spread over four decades (AMSGrad's running maximum first differs from Adam's
    only where a gradient is much smaller than an earlier one). None when ``tries`` random
    points give 0 (or undefined values): no counterexample, though no proof of 0 either."""
    symbols = _free_symbols([difference])
    for _ in range(tries):
        check()
        point = {
            s: random_value(s, rng) / 10 ** rng.randint(0, 4)
            if s == START or s.name.startswith("g_")
            else abs(random_value(s, rng))
            for s in symbols
        }
        value = difference.xreplace(point)  # exact: nsimplify would guess a closed form
        if defined(value) and value.is_number and abs(sp.N(value, 40)) > sp.Float("1e-30"):
            return point, value
    return None
