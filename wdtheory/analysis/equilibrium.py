r"""The modern view of weight decay: equilibrium norm and angular update of scale-invariant weights.

For a weight followed by a normalisation layer the loss is scale-invariant,
:math:`f(c\mathbf{w}) = f(\mathbf{w})`, so its gradient is orthogonal to :math:`\mathbf{w}` and scales
as :math:`1/\|\mathbf{w}\|`. One step :math:`\mathbf{w} \leftarrow (1 - \eta\lambda)\mathbf{w} - \eta\mathbf{u}`
with :math:`\mathbf{u} \perp \mathbf{w}` changes the squared norm :math:`N = \|\mathbf{w}\|^2` to

.. math:: N' = (1 - \eta\lambda)^2 N + \eta^2\|\mathbf{u}\|^2,

where :math:`\|\mathbf{u}\|^2 = G^2/N` for SGD (the gradient shrinks as the weight grows) and
:math:`\|\mathbf{u}\|^2 = U^2` for Adam-type updates (normalised, independent of the scale).
:func:`derive_equilibrium` solves :math:`N' = N` with SymPy and derives the angle turned per step,
:math:`\tan\theta = \eta\|\mathbf{u}\| / ((1-\eta\lambda)\|\mathbf{w}\|)`. Both give
:math:`\theta \approx \sqrt{2\eta\lambda}`: at equilibrium weight decay sets the effective,
angular learning rate, which is its role in modern deep learning more than regularisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from wdtheory.core.derivation import Notation, Section, Step
from wdtheory.core.notation import ETA, LAMBDA

__all__ = ["Equilibrium", "derive_equilibrium"]

G = sp.Symbol("G", positive=True)
U = sp.Symbol("U", positive=True)
_N = sp.Symbol("N", positive=True)


@dataclass(frozen=True)
class Equilibrium:
    """The derived equilibrium: squared norm, angle per step (exact and to leading order)."""

    kind: str
    squared_norm: sp.Expr
    angle: sp.Expr
    angle_leading: sp.Expr
    section: Section


def derive_equilibrium(kind: str) -> Equilibrium:
    r"""Solve the norm recursion's fixed point for ``sgd`` or ``adamw`` (see the module doc).

    An equilibrium exists only for :math:`\lambda > 0` (at :math:`\lambda = 0` the norm grows
    without bound), so it is solved for a positive stand-in of :math:`\lambda`
    (``sympy.posify``), which the results then name :data:`~wdtheory.core.notation.LAMBDA` again."""
    (decay,), named = sp.posify([LAMBDA])
    update = G**2 / _N if kind == "sgd" else U**2
    recursion = (1 - ETA * decay) ** 2 * _N + ETA**2 * update
    # the root that is positive for 0 < eta*lambda < 1 (checked at a sample point)
    sample = {ETA: sp.Rational(1, 10), decay: sp.Rational(1, 10), G: 1, U: 1}
    (squared_norm,) = [
        s for s in sp.solve(sp.Eq(recursion, _N), _N) if s.xreplace(sample).is_positive
    ]
    squared_norm = sp.factor(squared_norm)
    step = sp.sqrt(update.xreplace({_N: squared_norm}))
    angle = sp.atan(sp.simplify(ETA * step / ((1 - ETA * decay) * sp.sqrt(squared_norm))))
    small = sp.Symbol("x", positive=True)  # eta*lambda, small
    leading = sp.series(angle.xreplace({decay: small / ETA}), small, 0, 1).removeO()
    leading = sp.simplify(leading.xreplace({small: ETA * decay}))
    recursion, squared_norm, angle, leading = (
        e.xreplace(named) for e in (recursion, squared_norm, angle, leading)
    )
    name = "SGD" if kind == "sgd" else "AdamW"
    steps = (
        Step(
            Notation("N'", "N'"),
            recursion,
            "one step of w <- (1 - eta*lambda) w - eta*u with u orthogonal to w",
        ),
        Step(
            Notation("N*", "N^*"), squared_norm, "solved by SymPy: the squared norm at which N' = N"
        ),
        Step(
            Notation("theta*", r"\theta^*"), angle, "the angle turned per step at the equilibrium"
        ),
        Step(
            Notation("theta*", r"\theta^*"),
            leading,
            "to leading order in eta*lambda: the same for SGD and AdamW",
            relation="≈",
        ),
    )
    section = Section(
        f"{name}: equilibrium of a scale-invariant weight",
        steps,
        intro=(
            "the gradient has norm G/||w||"
            if kind == "sgd"
            else "the normalised update has norm U, whatever the scale of w"
        ),
    )
    return Equilibrium(kind, squared_norm, angle, leading, section)
