"""The full derivation for a problem: objective, gradients, SGD step, closed form, L1 steps.

:func:`derive_problem` assembles the sections from the modules that derive each piece
(:mod:`gradients`, :mod:`ridge`, :mod:`proximal`), so that ``wdtheory derive`` and the reports
print exactly what was derived and checked in this run.
"""

from __future__ import annotations

import sympy as sp

from wdtheory.core.derivation import Derivation, Notation, Section, Step
from wdtheory.core.notation import ETA
from wdtheory.core.printing import to_latex
from wdtheory.problems.gradients import (
    GradientForms,
    check_forms,
    derive_gradients,
    derive_sgd_step,
)
from wdtheory.problems.problem import Problem
from wdtheory.problems.proximal import l1_sections
from wdtheory.problems.ridge import ridge_sections

__all__ = ["derive_problem"]

_GRAD_W = Notation("grad_w L", r"\nabla_{\mathbf{w}} L")
_GRAD_W_SOFTMAX = Notation("grad_W L", r"\nabla_{\mathbf{W}} L")
_DL_DB = Notation("dL/db", r"\frac{\partial L}{\partial b}")
_DL_DB_SOFTMAX = Notation("grad_b L", r"\nabla_{\mathbf{b}} L")


def _penalty_note(problem: Problem) -> str:
    penalty = problem.penalty
    if penalty.l2 != 0:
        return "the penalty; " + (
            "with the ½ the L2 gradient is l2·w, PyTorch's weight_decay = l2"
            if penalty.half
            else "without the ½ (Keras' l2) the L2 gradient is 2·l2·w, "
            "PyTorch's weight_decay = 2·l2"
        )
    return "the penalty; its subgradient is l1·sign(w)" if penalty.l1 != 0 else "no penalty"


def _objective_section(problem: Problem, forms: GradientForms) -> Section:
    model, loss, penalty = forms.model, problem.loss, problem.penalty
    if loss.vector_output:
        one_example = loss.formula(model.indexed["z"], model.indexed["y"])
        predictor = model.predictor()
        bias_penalty = penalty.display(model.bias)
    else:
        one_example = loss.formula(model.z, model.y)
        predictor = Notation("w.T*x_i + b", to_latex(model.weights.T * model.x) + " + b")
        bias_penalty = penalty.coordinate(model.bias)
    w = model.weights.name
    bold = rf"\mathbf{{{w}}}"
    objective_text = f"(1/n) sum_i l(z_i, y_i) + R({w})" + (
        " + R(b)" if problem.penalize_bias else ""
    )
    objective_latex = rf"\frac{{1}}{{n}}\sum_{{i=1}}^{{n}} \ell(z_i, y_i) + R({bold})" + (
        " + R(b)" if problem.penalize_bias else ""
    )
    steps = (
        Step(
            Notation("z_i", r"\mathbf{z}_i" if loss.vector_output else "z_i"),
            predictor,
            "the linear model's output for example i",
        ),
        Step(Notation("l(z, y)", r"\ell(z, y)"), one_example, f"the {loss.title}"),
        Step(
            Notation("y", r"\mathbf{y}" if loss.vector_output else "y"),
            loss.labels,
            "the labels",
            relation="in",
        ),
        Step(
            Notation(f"R({w})", rf"R({bold})"),
            penalty.display(model.weights),
            _penalty_note(problem),
        ),
        Step(
            Notation(f"L({w}, b)", rf"L({bold}, b)"),
            Notation(objective_text, objective_latex),
            f"the bias is penalised too: R(b) = {sp.sstr(bias_penalty)}"
            if problem.penalize_bias
            else "the bias is not penalised",
        ),
    )
    return Section("Objective", steps)


def _gradient_section(problem: Problem, forms: GradientForms) -> Section:
    vector = problem.loss.vector_output
    delta_name = (
        Notation("dl/dz_j", r"\frac{\partial \ell}{\partial z_j}")
        if vector
        else Notation("dl/dz", r"\frac{\partial \ell}{\partial z}")
    )
    steps = [
        Step(
            delta_name,
            forms.delta_coordinate,
            "differentiated by SymPy"
            + ("; the first term is the softmax probability p_j" if vector else ""),
        ),
        Step(
            _GRAD_W_SOFTMAX if vector else _GRAD_W,
            forms.weights,
            "vector form: the chain rule dℓ = δᵀdz with SymPy's matrix derivative of zᵢ, plus ∇R",
        ),
        Step(_DL_DB_SOFTMAX if vector else _DL_DB, forms.bias, "vector form"),
        Step(
            Notation("dL/dW_jm", r"\frac{\partial L}{\partial W_{jm}}")
            if vector
            else Notation("dL/dw_j", r"\frac{\partial L}{\partial w_j}"),
            forms.weights_coordinate,
            "coordinate form: SymPy differentiates the objective written with index sums",
        ),
    ]
    return Section("Gradient", tuple(steps), checks=(check_forms(problem, forms),))


def _sgd_section(problem: Problem, forms: GradientForms) -> Section:
    weights, bias = derive_sgd_step(problem, forms)
    vector = problem.loss.vector_output
    steps = (
        Step(
            Notation("W", r"\mathbf{W}") if vector else Notation("w", r"\mathbf{w}"),
            weights,
            "θ ← θ − η∇L on a minibatch B; the terms in the weight itself are collected: "
            "this is the 'decay' of weight decay",
            relation="<-",
        ),
        Step(Notation("b", r"\mathbf{b}" if vector else "b"), bias, relation="<-"),
    )
    return Section("Minibatch SGD step", steps, intro=f"Learning rate {sp.sstr(ETA)}, minibatch B.")


def derive_problem(problem: Problem) -> Derivation:
    """Every derivation that applies to ``problem``, each checked where it was derived."""
    forms = derive_gradients(problem)
    sections = (
        _objective_section(problem, forms),
        _gradient_section(problem, forms),
        _sgd_section(problem, forms),
        *ridge_sections(problem),
        *l1_sections(problem),
    )
    return Derivation(f"{problem.text}: {problem.title}", sections)
