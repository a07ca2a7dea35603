r"""Ridge regression in closed form, derived by solving "gradient = 0" with SymPy's matrix calculus.

For squared error with an L2 penalty whose gradient is :math:`\lambda'\mathbf{w}`
(:math:`\lambda' = \lambda` for :math:`\frac\lambda2\|\mathbf{w}\|^2`, :math:`2\lambda` without the ½):

.. math::

    L(\mathbf{w}, b) = \frac{1}{2n}\|X\mathbf{w} + b\mathbf{1} - \mathbf{y}\|^2 + \frac{\lambda'}{2}\|\mathbf{w}\|^2

1. :math:`\partial L/\partial b = 0` gives :math:`b^* = \bar y - \bar{\mathbf{x}}^\top\mathbf{w}` (the
   unpenalised bias is removed by centring);
2. with it, :math:`\nabla_{\mathbf{w}}L = \frac1n X_c^\top(X_c\mathbf{w} - \mathbf{y}_c) + \lambda'\mathbf{w}`,
   where :math:`X_c = X - \mathbf{1}\bar{\mathbf{x}}^\top`, :math:`\mathbf{y}_c = \mathbf{y} - \bar y\mathbf{1}`;
3. this gradient is affine, :math:`A\mathbf{w} + \mathbf{c}`, so
   :math:`\mathbf{w}^* = (X_c^\top X_c + n\lambda' I)^{-1} X_c^\top\mathbf{y}_c`, and SymPy proves
   :math:`A\mathbf{w}^* + \mathbf{c} = 0`;
4. in the thin SVD :math:`X_c = U\operatorname{diag}(s)V^\top` the problem splits into one scalar problem
   per singular direction, solved by SymPy: :math:`\theta_j = \frac{s_j\hat z_j}{s_j^2 + n\lambda'}`, so
   ridge multiplies each least-squares component by the filter factor
   :math:`f_j = \frac{s_j^2}{s_j^2 + n\lambda'}` and has :math:`\mathrm{df}(\lambda) = \sum_j f_j` degrees
   of freedom; one SVD gives the whole path over :math:`\lambda`.

With a penalised bias the same steps run on :math:`\tilde X = [X\ \mathbf{1}]` without centring.
The numeric counterparts are in :mod:`wdtheory.numeric.solvers`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from wdtheory.core.algebra import solve_affine
from wdtheory.core.derivation import Notation, Section, Step
from wdtheory.core.errors import WdtheoryError
from wdtheory.core.notation import D, N
from wdtheory.problems.problem import Problem

__all__ = ["RidgeSolution", "derive_ridge", "ridge_sections", "shrinkage_factor"]

_X = sp.MatrixSymbol("X", N, D)
_Y = sp.MatrixSymbol("y", N, 1)
_W = sp.MatrixSymbol("w", D, 1)
_ONE = sp.OneMatrix(N, 1)
_XC = sp.MatrixSymbol("X_c", N, D)
_YC = sp.MatrixSymbol("y_c", N, 1)
_XBAR = sp.MatrixSymbol("xbar", D, 1)
_YBAR = sp.MatrixSymbol("ybar", 1, 1)  # a 1x1 matrix keeps products in order


@dataclass(frozen=True)
class RidgeSolution:
    """The derived closed form: ``weights`` in terms of ``design``/``target`` (centred unless the
    bias is penalised), ``bias`` in terms of the means, the effective strength, and the steps."""

    strength: sp.Expr
    weights: sp.MatrixExpr
    bias: sp.Expr | None
    sections: tuple[Section, ...]


def _check_problem(problem: Problem) -> sp.Expr:
    if problem.loss.name != "squared_error" or problem.penalty.l1 != 0:
        raise WdtheoryError(
            f"a closed form exists for squared_error with an L2 penalty only, not {problem.text}"
        )
    return 2 * problem.penalty.l2_factor * problem.penalty.l2


def _bias_steps(strength: sp.Expr) -> tuple[list[Step], sp.Expr]:
    b = sp.MatrixSymbol("b", 1, 1)
    residual = _X * _W + _ONE * b - _Y
    objective = residual.T * residual / (2 * N) + strength / 2 * _W.T * _W
    bias_gradient = objective.diff(b)
    _, _, bias_star = solve_affine(bias_gradient, b)
    means = {_XBAR: _X.T * _ONE / N, _YBAR: _ONE.T * _Y / N}
    shown = _YBAR - _XBAR.T * _W
    if (shown.xreplace(means) - bias_star).doit().expand() != sp.ZeroMatrix(1, 1):
        raise AssertionError("the optimal bias is not ybar - xbar^T w")
    centred_gradient = strength * _W + _XC.T * (_XC * _W - _YC) / N
    at_bias_star = objective.diff(_W).xreplace({b: bias_star})
    centring = {_XC: _X - _ONE * _XBAR.T, _YC: _Y - _ONE * _YBAR}
    difference = (
        (at_bias_star - centred_gradient.xreplace(centring).xreplace(means)).doit().expand()
    )
    if difference != sp.ZeroMatrix(D, 1):
        raise AssertionError("centring does not remove the bias from the gradient")
    steps = [
        Step(
            Notation("dL/db", r"\frac{\partial L}{\partial b}"),
            bias_gradient,
            "SymPy's derivative; the coefficient of b is 1ᵀ1/n = 1, so the equation is solved for b",
        ),
        Step(
            Notation("b*", r"b^*"),
            Notation("ybar - xbar.T*w", r"\bar{y} - \bar{\mathbf{x}}^{\top}\mathbf{w}"),
            "checked exactly: equal to the solution -(1/n)1ᵀ(Xw - y), with means x̄ = Xᵀ1/n, ȳ = 1ᵀy/n",
        ),
        Step(
            Notation("grad_w L at b*", r"\nabla_{\mathbf{w}} L\big|_{b=b^*}"),
            centred_gradient,
            "checked exactly, with X_c = X - 1x̄ᵀ and y_c = y - ȳ1: the unpenalised bias amounts "
            "to centring the data",
        ),
    ]
    return steps, centred_gradient


def derive_ridge(problem: Problem) -> RidgeSolution:
    """Derive the ridge closed form for ``problem`` (squared error + L2), with its proof steps."""
    strength = _check_problem(problem)
    if problem.penalize_bias:
        design = sp.MatrixSymbol("Xtilde", N, D + 1)
        theta = sp.MatrixSymbol("theta", D + 1, 1)
        gradient = strength * theta + design.T * (design * theta - _Y) / N
        steps = [
            Step(
                Notation("grad_theta L", r"\nabla_{\boldsymbol{\theta}} L"),
                gradient,
                "θ = (w, b) and X̃ = [X 1]: the penalised bias is one more weight",
            )
        ]
        unknown = theta
    else:
        steps, gradient = _bias_steps(strength)
        unknown = _W
    hessian, _, solution = solve_affine(gradient, unknown, scale=N)
    name = "theta*" if problem.penalize_bias else "w*"
    steps += [
        Step(
            Notation("A", "A"),
            hessian,
            "the gradient is A·w + c with this constant Hessian (checked exactly: the gradient is affine)",
        ),
        Step(
            Notation(name, r"\boldsymbol{\theta}^*" if problem.penalize_bias else r"\mathbf{w}^*"),
            solution,
            "solves A·w + c = 0 (checked exactly); unique when A is invertible, i.e. λ > 0 or "
            "the centred design has full column rank; A is positive semidefinite, so this is the minimum",
        ),
    ]
    bias = None if problem.penalize_bias else _YBAR - _XBAR.T * solution
    section = Section(
        "Closed form (ridge regression)",
        tuple(steps),
        intro=f"Squared error with an L2 penalty whose gradient is {sp.sstr(strength)}·w: "
        "set the gradient to zero and solve.",
    )
    design_names = ("X̃", "y") if problem.penalize_bias else ("X_c", "y_c")
    return RidgeSolution(strength, solution, bias, (section, _svd_section(strength, *design_names)))


def shrinkage_factor(strength: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    r"""Solve the ridge problem along one singular direction :math:`s`: returns the scalar
    objective :math:`L(\theta)`, its minimiser :math:`\theta^*` (by ``sympy.solve``) and the
    filter factor :math:`f = s\theta^*/\hat z`."""
    s = sp.Symbol("s", positive=True)
    zhat, theta = sp.symbols("zhat theta", real=True)
    objective = (s * theta - zhat) ** 2 / (2 * N) + strength / 2 * theta**2
    (solution,) = sp.solve(sp.diff(objective, theta), theta)
    return objective, sp.factor(solution), sp.factor(s * solution / zhat)


def _svd_section(strength: sp.Expr, design: str, target: str) -> Section:
    objective, theta_star, factor = shrinkage_factor(strength)
    j = sp.Symbol("j", integer=True, positive=True)
    r = sp.Symbol("r", integer=True, positive=True)
    dof = sp.Sum(factor.subs(sp.Symbol("s", positive=True), sp.Indexed("s", j)), (j, 1, r))
    steps = (
        Step(
            Notation("L_j(theta)", r"L_j(\theta)"),
            objective,
            f"with {design} = U diag(s) Vᵀ, θ = Vᵀw and ẑ = Uᵀ{target}, "
            f"‖{design} w - {target}‖² = Σ_j (s_j θ_j - ẑ_j)² + const: "
            "the problem splits into one scalar problem per singular direction",
        ),
        Step(Notation("theta*", r"\theta^*"), theta_star, "solved by SymPy (dL_j/dθ = 0)"),
        Step(
            Notation("f", r"f = \frac{s\,\theta^*}{\hat z}"),
            factor,
            "the filter factor: ridge keeps this fraction of each least-squares component "
            "(1 for λ = 0, towards 0 for small singular values)",
        ),
        Step(
            Notation("df(lambda)", r"\mathrm{df}(\lambda)"),
            dof,
            "effective degrees of freedom = trace of the hat matrix = sum of the filter factors "
            f"over the r nonzero singular values; one SVD gives w(λ) = V diag(f/s) Uᵀ{target} for every λ",
        ),
    )
    return Section("Shrinkage along singular directions", steps)


def ridge_sections(problem: Problem) -> tuple[Section, ...]:
    """The closed-form sections of a derivation, or none when ``problem`` has no closed form."""
    if problem.loss.name != "squared_error" or problem.penalty.l1 != 0 or problem.penalty.l2 == 0:
        return ()
    return derive_ridge(problem).sections
