r"""How libraries scale their regularised least-squares objectives, and the maps between them.

Every convention here is an objective of one shape,

.. math::

    J(\mathbf{w}, b) = s\,\|X\mathbf{w} + b\mathbf{1} - \mathbf{y}\|^2 + l_1\|\mathbf{w}\|_1 + c\,l_2\|\mathbf{w}\|^2,

with its own data scale :math:`s` and penalty (:class:`~wdtheory.problems.penalties.Penalty`). Two
objectives have the same minimisers — and gradient descent on one is gradient descent on the other
with the learning rate multiplied by :math:`\kappa` — exactly when their gradients are
proportional, :math:`\nabla J_B = \kappa\,\nabla J_A` for all :math:`\mathbf{w}, b, X, \mathbf{y}`.
:func:`match` derives the map: SymPy differentiates both objectives (matrix calculus), expands the
difference :math:`\nabla J_B - \kappa\nabla J_A` into matrix monomials (:math:`X^\top X\mathbf{w}`,
:math:`X^\top\mathbf{y}`, :math:`\mathbf{w}`, :math:`\operatorname{sign}(\mathbf{w})`, ...) and solves
"every coefficient is zero" for :math:`\kappa` and the target's hyperparameters. Nothing is
transcribed: e.g. scikit-learn's ``Ridge(alpha)`` comes out as :math:`\alpha = n\lambda`,
``Lasso(alpha)`` as :math:`\alpha = l_1`, Keras' ``l2(c)`` as ``weight_decay`` :math:`= 2c`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from wdtheory.core.algebra import matrix_terms
from wdtheory.core.errors import WdtheoryError, check_choice
from wdtheory.core.notation import ALPHA, KAPPA, LAMBDA, LAMBDA_1, LAMBDA_2, D, N
from wdtheory.problems.penalties import Penalty

__all__ = ["CONVENTIONS", "KERAS_L2", "L1_RATIO", "Convention", "Match", "match"]

_X = sp.MatrixSymbol("X", N, D)
_Y = sp.MatrixSymbol("y", N, 1)
_W = sp.MatrixSymbol("w", D, 1)
_B = sp.MatrixSymbol("b", 1, 1)
_ONE = sp.OneMatrix(N, 1)

#: scikit-learn ElasticNet's l1_ratio, and the coefficient c of Keras' regularizers.l2(c)
L1_RATIO = sp.Symbol("rho", nonnegative=True)
KERAS_L2 = sp.Symbol("c", nonnegative=True)


@dataclass(frozen=True)
class Convention:
    r"""A library's objective :math:`s\|X\mathbf{w} + b\mathbf{1} - \mathbf{y}\|^2 + R(\mathbf{w})`.

    ``parameters`` are the symbols a user sets (e.g. ``alpha``); ``source`` cites where the
    library defines the objective.
    """

    name: str
    description: str
    data_scale: sp.Expr
    penalty: Penalty
    parameters: tuple[sp.Symbol, ...]
    source: str

    def gradients(self) -> tuple[sp.MatrixExpr, sp.MatrixExpr]:
        r""":math:`(\nabla_{\mathbf{w}} J, \partial J/\partial b)`, differentiated by SymPy."""
        residual = _X * _W + _ONE * _B - _Y
        data = self.data_scale * residual.T * residual
        weights = sp.MatAdd(data.diff(_W), *self.penalty.gradient_terms(_W))
        return weights, data.diff(_B)


CONVENTIONS: dict[str, Convention] = {
    c.name: c
    for c in (
        Convention(
            "d2l.l2",
            "mean(½ r²) + (λ/2)‖w‖² (d2l's scratch loss, PyTorch weight_decay=λ)",
            1 / (2 * N),
            Penalty(l2=LAMBDA),
            (LAMBDA,),
            "d2l 'Weight Decay' (l2_penalty = sum(w**2)/2); torch/optim/sgd.py adds λw to the gradient",
        ),
        Convention(
            "d2l.l1",
            "mean(½ r²) + λ₁‖w‖₁",
            1 / (2 * N),
            Penalty(l1=LAMBDA_1),
            (LAMBDA_1,),
            "the L1 analogue of d2l's loss",
        ),
        Convention(
            "d2l.elastic_net",
            "mean(½ r²) + λ₁‖w‖₁ + (λ₂/2)‖w‖²",
            1 / (2 * N),
            Penalty(l1=LAMBDA_1, l2=LAMBDA_2),
            (LAMBDA_1, LAMBDA_2),
            "the elastic-net analogue of d2l's loss",
        ),
        Convention(
            "torch.mse.l2",
            "mean(r²) + (λ/2)‖w‖² (nn.MSELoss with weight_decay=λ)",
            1 / N,
            Penalty(l2=LAMBDA),
            (LAMBDA,),
            "torch.nn.MSELoss(reduction='mean') has no ½; weight_decay adds λw",
        ),
        Convention(
            "keras.mse.l2",
            "mean(r²) + c‖w‖² (MeanSquaredError with kernel_regularizer=l2(c))",
            1 / N,
            Penalty(l2=KERAS_L2, half=False),
            (KERAS_L2,),
            "keras/src/regularizers/regularizers.py L2: c * sum(square(x))",
        ),
        Convention(
            "sklearn.Ridge",
            "‖r‖² + α‖w‖² (Ridge(alpha))",
            sp.Integer(1),
            Penalty(l2=ALPHA, half=False),
            (ALPHA,),
            "sklearn/linear_model/_ridge.py: ||y - Xw||^2_2 + alpha * ||w||^2_2",
        ),
        Convention(
            "sklearn.Lasso",
            "(1/2n)‖r‖² + α‖w‖₁ (Lasso(alpha))",
            1 / (2 * N),
            Penalty(l1=ALPHA),
            (ALPHA,),
            "sklearn/linear_model/_coordinate_descent.py: (1 / (2 * n_samples)) * ||y - Xw||^2_2 + alpha * ||w||_1",
        ),
        Convention(
            "sklearn.ElasticNet",
            "(1/2n)‖r‖² + αρ‖w‖₁ + ½α(1−ρ)‖w‖² (ElasticNet(alpha, l1_ratio=ρ))",
            1 / (2 * N),
            Penalty(l1=ALPHA * L1_RATIO, l2=ALPHA * (1 - L1_RATIO)),
            (ALPHA, L1_RATIO),
            "sklearn/linear_model/_coordinate_descent.py ElasticNet objective",
        ),
    )
}


@dataclass(frozen=True)
class Match:
    r"""The derived map from ``source`` to ``target``: ``values`` of the target's parameters in
    terms of the source's, and the gradient ratio :math:`\kappa` (:math:`\nabla J_B = \kappa\nabla J_A`)."""

    source: Convention
    target: Convention
    values: dict[sp.Symbol, sp.Expr]
    gradient_ratio: sp.Expr

    @property
    def summary(self) -> str:
        mapping = ", ".join(f"{p} = {sp.sstr(v)}" for p, v in self.values.items())
        return (
            f"{self.target.name} with {mapping} has the same minimisers as {self.source.name}; "
            f"its gradient is {sp.sstr(self.gradient_ratio)} times as large"
        )


def _coefficient_equations(difference: sp.MatrixExpr) -> list[sp.Expr]:
    """The scalar coefficients of the distinct matrix monomials in an expanded matrix expression."""
    coefficients: dict[sp.Basic, sp.Expr] = {}
    for coefficient, monomial in matrix_terms(difference.doit().expand()):
        coefficients[monomial] = coefficients.get(monomial, sp.Integer(0)) + coefficient
    return [sp.expand(c) for c in coefficients.values()]


def _primed(convention: Convention, taken: tuple[sp.Symbol, ...]) -> Convention:
    """The convention with each parameter that is also in ``taken`` renamed with a prime."""
    renames = {
        p: sp.Symbol(f"{p.name}'", **p.assumptions0) for p in convention.parameters if p in taken
    }
    if not renames:
        return convention
    penalty = Penalty(
        *(sp.sympify(v).xreplace(renames) for v in (convention.penalty.l1, convention.penalty.l2)),
        convention.penalty.half,
    )
    return Convention(
        convention.name,
        convention.description,
        convention.data_scale,
        penalty,
        tuple(p.xreplace(renames) for p in convention.parameters),
        convention.source,
    )


def match(source: str, target: str) -> Match:
    """Derive the target convention's parameters that give the source's minimisers (see module doc)."""
    a = CONVENTIONS[check_choice("convention", source, CONVENTIONS)]
    b = _primed(CONVENTIONS[check_choice("convention", target, CONVENTIONS)], a.parameters)
    kappa = KAPPA
    equations = []
    for grad_a, grad_b in zip(a.gradients(), b.gradients(), strict=True):
        equations += _coefficient_equations(grad_b - kappa * grad_a)
    unknowns = [kappa, *b.parameters]
    solutions = sp.solve(equations, unknowns, dict=True)
    if len(solutions) != 1 or set(solutions[0]) != set(unknowns):
        raise WdtheoryError(
            f"{b.name} cannot express {a.name}: no parameters make the gradients proportional"
        )
    (solution,) = solutions
    return Match(a, b, {p: sp.factor(solution[p]) for p in b.parameters}, solution[kappa])
