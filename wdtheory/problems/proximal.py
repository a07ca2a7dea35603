r"""The L1 penalty's subgradient and the proximal step, derived from the penalty by SymPy.

For the elastic-net penalty of one coordinate, :math:`r(u) = l_1|u| + c\,l_2 u^2`, and a step
size :math:`\eta`, the proximal step is

.. math::

    \operatorname{prox}_{\eta r}(v) = \arg\min_u \tfrac12 (u - v)^2 + \eta\, r(u)
    = \frac{\operatorname{sign}(v)\max(|v| - \eta l_1,\ 0)}{1 + 2c\,\eta l_2}

derived case by case: on :math:`u > 0` and :math:`u < 0` the objective is smooth and SymPy
solves its stationarity condition (keeping the solution only where it has the assumed sign,
which SymPy turns into a condition on :math:`v`); :math:`u = 0` is optimal exactly when
:math:`0 \in \partial`, i.e. :math:`|v| \le \eta l_1`, using the subdifferential
:math:`\partial|u|(0) = [-1, 1]` (the one-sided derivatives of :math:`|u|` at 0, computed by SymPy).
With :math:`l_2 = 0` this is soft-thresholding by :math:`\eta l_1`: every coordinate with
:math:`|v| \le \eta l_1` becomes exactly zero — which the subgradient step
:math:`u = v - \eta l_1 \operatorname{sign}(v)` never does except by coincidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from wdtheory.core.derivation import Notation, Section, Step
from wdtheory.core.errors import WdtheoryError
from wdtheory.core.hyperparams import check_interval, show
from wdtheory.core.notation import ETA, PARAM
from wdtheory.problems.problem import Problem

__all__ = ["ProxDerivation", "derive_prox", "l1_sections", "subdifferential_at_zero"]

_U = sp.Symbol("u", real=True)
_V = sp.Symbol("v", real=True)


@dataclass(frozen=True)
class ProxDerivation:
    """The derived proximal map as a ``Piecewise`` in ``v``, its soft-threshold form, and steps."""

    piecewise: sp.Piecewise
    closed_form: sp.Expr
    steps: tuple[Step, ...]


def subdifferential_at_zero() -> sp.Interval:
    r""":math:`\partial|u|(0) = [\,|u|'(0^-),\ |u|'(0^+)\,]` from SymPy's one-sided limits."""
    slope = sp.diff(sp.Abs(_U), _U)
    return sp.Interval(sp.limit(slope, _U, 0, "-"), sp.limit(slope, _U, 0, "+"))


def _branch(objective: sp.Expr, sign: int) -> tuple[sp.Expr, sp.Boolean]:
    """Minimiser of the objective on the half-line ``sign*u > 0`` and the condition on ``v``.

    The minimiser is affine in ``v`` with a positive slope (SymPy must confirm it), so it has
    the sign of ``v - root``, where ``root`` solves minimiser = 0.
    """
    smooth = objective.subs(sp.Abs(_U), sign * _U)
    (solution,) = sp.solve(sp.diff(smooth, _U), _U)
    if not sp.diff(solution, _V).is_positive or sp.diff(solution, _V, 2) != 0:
        raise AssertionError(f"the branch minimiser {solution} is not increasing and affine in v")
    (root,) = sp.solve(solution, _V)
    return sp.factor(solution), (root < _V) if sign > 0 else (root > _V)


def derive_prox(
    l1: sp.Expr, l2_coefficient: sp.Expr = sp.S.Zero, step: sp.Expr = ETA
) -> ProxDerivation:
    r"""Derive :math:`\operatorname{prox}_{\eta r}` for :math:`r(u) = l_1|u| + l_2' u^2`.

    ``l2_coefficient`` is :math:`l_2' = c\,l_2` (the factor of :math:`u^2`). The threshold
    :math:`\eta l_1` must be positive for the three cases to be distinct: while deriving, symbols
    in the strengths are taken as nonnegative and those of the step as positive; the results are
    written back in the caller's symbols. Numeric values out of range raise a one-line error.
    """
    l1, l2_coefficient, step = (sp.sympify(e) for e in (l1, l2_coefficient, step))
    check_interval("l1", l1, 0)
    check_interval("l2 coefficient", l2_coefficient, 0)
    if step.is_number and not step > 0:
        raise WdtheoryError(f"step={show(step)} is out of range; allowed: > 0")
    # SymPy needs the signs: strengths >= 0, the step > 0 (symbols only; restored at the end)
    signs = {
        s: sp.Symbol(s.name, nonnegative=True)
        for s in (l1 + l2_coefficient).free_symbols
        if not s.is_nonnegative
    }
    signs |= {s: sp.Symbol(s.name, positive=True) for s in step.free_symbols if not s.is_positive}
    restore = {v: k for k, v in signs.items()}
    l1, l2_coefficient, step = (e.xreplace(signs) for e in (l1, l2_coefficient, step))
    objective = (_U - _V) ** 2 / 2 + step * (l1 * sp.Abs(_U) + l2_coefficient * _U**2)
    above, above_when = _branch(objective, +1)
    below, below_when = _branch(objective, -1)
    slopes = subdifferential_at_zero()
    # 0 ∈ ∂ objective at u = 0  <=>  v = step*l1*g for some g in [-1, 1]
    zero_when = sp.And(slopes.inf * step * l1 <= _V, slopes.sup * step * l1 >= _V)
    piecewise = sp.Piecewise((above, above_when), (below, below_when), (0, True))
    threshold = step * l1
    closed_form = sp.sign(_V) * sp.Max(sp.Abs(_V) - threshold, 0) / (1 + 2 * step * l2_coefficient)
    _check_closed_form(piecewise, closed_form, threshold)
    above, above_when, below, below_when, zero_when, piecewise, threshold, closed_form = (
        e.xreplace(restore)
        for e in (
            above,
            above_when,
            below,
            below_when,
            zero_when,
            piecewise,
            threshold,
            closed_form,
        )
    )
    steps = (
        Step(
            Notation("prox(v)", r"\operatorname{prox}_{\eta r}(v)"),
            Notation(
                "argmin_u (u - v)^2/2 + eta*r(u)", r"\arg\min_u \tfrac12(u - v)^2 + \eta\,r(u)"
            ),
            relation=":=",
        ),
        Step(
            Notation("u* (u > 0)", r"u^*\big|_{u>0}"),
            above,
            f"stationary point of the smooth branch, valid when {sp.sstr(above_when)}",
        ),
        Step(
            Notation("u* (u < 0)", r"u^*\big|_{u<0}"),
            below,
            f"stationary point of the smooth branch, valid when {sp.sstr(below_when)}",
        ),
        Step(
            Notation("u* = 0", r"u^* = 0"),
            zero_when,
            relation="<=>",
            note=f"0 is in the subdifferential at u = 0; ∂|u|(0) = {sp.sstr(slopes)} from SymPy's "
            "one-sided derivatives",
        ),
        Step(
            Notation("prox(v)", r"\operatorname{prox}_{\eta r}(v)"),
            closed_form,
            "the three cases in one formula (checked exactly on each case): coordinates with "
            f"|v| <= {sp.sstr(threshold)} become exactly 0",
        ),
    )
    return ProxDerivation(piecewise, closed_form, steps)


def _check_closed_form(piecewise: sp.Piecewise, closed_form: sp.Expr, threshold: sp.Expr) -> None:
    """Prove the soft-threshold form equal to the derived cases: symbolically on ``v > t`` and
    ``v < -t`` (writing ``v = ±(t + q)``, ``q > 0``), and at exact points of ``|v| <= t``."""
    q = sp.Symbol("q", positive=True)
    for v in (threshold + q, -threshold - q, sp.Integer(0), threshold / 2, -threshold, threshold):
        if sp.simplify(piecewise.subs(_V, v) - closed_form.subs(_V, v)) != 0:
            raise AssertionError(f"the proximal cases and the closed form differ at v = {v}")


def l1_sections(problem: Problem) -> tuple[Section, ...]:
    """The L1 sections of a derivation (subgradient and proximal step), or none without L1."""
    penalty = problem.penalty
    if penalty.l1 == 0:
        return ()
    prox = derive_prox(penalty.l1, penalty.l2_factor * penalty.l2)
    w = PARAM
    subgradient = (
        Step(
            Notation("d|w|/dw", r"\frac{\partial |w|}{\partial w}"),
            sp.diff(sp.Abs(w), w),
            "SymPy's derivative, for w ≠ 0",
        ),
        Step(
            Notation("subdifferential of |w| at 0", r"\partial |w|\,\big|_{w=0}"),
            subdifferential_at_zero(),
            "between SymPy's one-sided derivatives at 0; the subgradient step w ← w − η(∇f(w) + l₁ sign(w)) "
            "moves each weight by ηl₁ towards 0 and jumps over it: it reaches exactly 0 only by coincidence",
        ),
    )
    return (
        Section("L1: the subgradient", subgradient),
        Section(
            "L1: the proximal step (soft-thresholding)",
            prox.steps,
            intro="Proximal gradient descent takes the gradient step on the smooth part and then "
            "w ← prox(w − η∇f(w)), coordinate by coordinate.",
        ),
    )
