r"""Gradients of a penalised problem, derived by SymPy in two general forms, and the SGD step.

For :math:`L(\mathbf{w}, b) = \frac1n\sum_i \ell(z_i, y_i) + R(\mathbf{w})` with
:math:`z_i = \mathbf{w}^\top\mathbf{x}_i + b`:

* **vector form** — by the chain rule :math:`d\ell = \delta^\top dz` with
  :math:`\delta = \partial\ell/\partial z` derived from :math:`\ell`, and
  :math:`\nabla_W \operatorname{tr}(\delta^\top z(W))` left to SymPy's matrix calculus:

  .. math:: \nabla_{\mathbf{w}} L = \frac1n\sum_{i=1}^n \mathbf{x}_i\,\delta_i + \nabla R(\mathbf{w}),
            \qquad \frac{\partial L}{\partial b} = \frac1n\sum_{i=1}^n \delta_i

  (for the softmax loss :math:`\nabla_W L = \frac1n\sum_i \mathbf{x}_i(\mathbf{p}_i-\mathbf{y}_i)^\top + \nabla R(W)`);
* **coordinate form** — SymPy differentiates the objective written with index sums,
  :math:`\partial L/\partial w_j` for any :math:`n` and :math:`d`.

:func:`check_forms` proves, for explicit small sizes, that both forms equal the derivative of the
fully written-out objective (exact symbolic equality). The minibatch SGD step
:math:`\mathbf{w} \leftarrow \mathbf{w} - \eta\nabla_{\mathbf{w}} L_{\mathcal{B}}` follows from the
vector form with :math:`n` replaced by :math:`|\mathcal{B}|`, e.g. for squared error and L2
:math:`\mathbf{w} \leftarrow (1-\eta\lambda)\mathbf{w} - \frac{\eta}{|\mathcal{B}|}\sum_{i\in\mathcal{B}}\mathbf{x}_i(\mathbf{w}^\top\mathbf{x}_i + b - y_i)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

from wdtheory.core.algebra import (
    ExampleSum,
    collect_matrix_terms,
    eliminate_deltas,
    recognise_sigmoid,
    replace_part,
)
from wdtheory.core.notation import BATCH_SIZE, ETA, D, N
from wdtheory.problems.losses import CLASS_INDEX, NUM_CLASSES
from wdtheory.problems.problem import Problem

__all__ = ["GradientForms", "LinearModel", "check_forms", "derive_gradients", "derive_sgd_step"]

EXAMPLE, ROW, FEATURE, COLUMN = sp.symbols("i j k m", integer=True, positive=True)


class _Row:
    """``row[c]``: one example's entry ``c`` of an indexed quantity, built by a function."""

    def __init__(self, entry: Callable[[sp.Expr], sp.Expr]) -> None:
        self.entry = entry

    def __getitem__(self, c: sp.Expr) -> sp.Expr:
        return self.entry(c)


@dataclass(frozen=True)
class LinearModel:
    r"""The symbols of a linear model for one loss, in vector form and in index form.

    Vector form: weights ``w`` (:math:`d\times1`) or ``W`` (:math:`d\times FEATURE`), bias ``b``, one
    example ``x_i``, ``y_i``, its predictor ``z_i`` and (softmax) probabilities ``p_i``.
    Index form: :class:`sympy.IndexedBase` objects ``x[i, k]``, ``y[i]`` / ``y[i, c]``,
    ``w[k]`` / ``W[k, c]``, ``b`` / ``b[c]``, ``z[i]`` / ``z[i, c]``.
    """

    vector_output: bool

    @cached_property
    def weights(self) -> sp.MatrixSymbol:
        return (
            sp.MatrixSymbol("W", D, NUM_CLASSES)
            if self.vector_output
            else sp.MatrixSymbol("w", D, 1)
        )

    @cached_property
    def bias(self) -> sp.Basic:
        return (
            sp.MatrixSymbol("b", NUM_CLASSES, 1)
            if self.vector_output
            else sp.Symbol("b", real=True)
        )

    @cached_property
    def x(self) -> sp.MatrixSymbol:
        return sp.MatrixSymbol("x_i", D, 1)

    @cached_property
    def y(self) -> sp.Basic:
        return (
            sp.MatrixSymbol("y_i", NUM_CLASSES, 1)
            if self.vector_output
            else sp.Symbol("y_i", real=True)
        )

    @cached_property
    def z(self) -> sp.Basic:
        return (
            sp.MatrixSymbol("z_i", NUM_CLASSES, 1)
            if self.vector_output
            else sp.Symbol("z_i", real=True)
        )

    @cached_property
    def p(self) -> sp.MatrixSymbol:
        """Softmax probabilities :math:`p_{ic} = e^{z_{ic}}/\\sum_{c'} e^{z_{ic'}}`."""
        return sp.MatrixSymbol("p_i", NUM_CLASSES, 1)

    def predictor(self) -> MatrixExpr:
        r""":math:`W^\top\mathbf{x}_i + \mathbf{b}` (or :math:`\mathbf{w}^\top\mathbf{x}_i + b` as 1x1)."""
        if self.vector_output:
            return self.weights.T * self.x + self.bias
        return self.weights.T * self.x + self.bias * sp.Identity(1)

    @cached_property
    def indexed(self) -> dict[str, sp.IndexedBase]:
        names = ("x", "y", "z", "p")
        bases = {name: sp.IndexedBase(name, real=True) for name in names}
        bases["w"] = sp.IndexedBase("W" if self.vector_output else "w", real=True)
        bases["b"] = sp.IndexedBase("b", real=True)
        return bases

    def indexed_predictor(self, c: sp.Expr | None = None) -> sp.Expr:
        r""":math:`\sum_k x_{ik} w_k + b` (or :math:`\sum_k x_{ik}W_{kc} + b_c`)."""
        x, w, b = self.indexed["x"], self.indexed["w"], self.indexed["b"]
        if self.vector_output:
            return sp.Sum(x[EXAMPLE, FEATURE] * w[FEATURE, c], (FEATURE, 1, D)) + b[c]
        return sp.Sum(x[EXAMPLE, FEATURE] * w[FEATURE], (FEATURE, 1, D)) + sp.Symbol("b", real=True)

    def weight_entry(self) -> sp.Expr:
        """The weight differentiated in the coordinate form: ``w[j]`` or ``W[j, m]``."""
        w = self.indexed["w"]
        return w[ROW, COLUMN] if self.vector_output else w[ROW]

    def bias_entry(self) -> sp.Expr:
        """The bias differentiated in the coordinate form: ``b`` or ``b[m]``."""
        return self.indexed["b"][COLUMN] if self.vector_output else sp.Symbol("b", real=True)


@dataclass(frozen=True)
class GradientForms:
    r"""The derived gradients of one problem.

    ``delta`` is :math:`\partial\ell/\partial z` (a scalar, or the vector :math:`\mathbf{p}_i - \mathbf{y}_i`);
    ``delta_coordinate`` the same for one class (softmax) or the raw scalar derivative;
    ``weights``/``bias`` the vector forms of :math:`\nabla_{\mathbf{w}} L` and :math:`\partial L/\partial b`;
    ``weights_coordinate``/``bias_coordinate`` the coordinate forms.
    """

    model: LinearModel
    delta: sp.Basic
    delta_coordinate: sp.Expr
    weights: MatrixExpr
    bias: sp.Basic
    weights_coordinate: sp.Expr
    bias_coordinate: sp.Expr


def _loss_delta(problem: Problem, model: LinearModel) -> tuple[sp.Basic, sp.Expr]:
    r""":math:`\delta = \partial\ell/\partial z`, derived: the vector form and one coordinate."""
    loss = problem.loss
    if not loss.vector_output:
        delta = loss.scalar_derivative(model.z, model.y)
        return delta, delta
    z, y, p = sp.IndexedBase("z", real=True), sp.IndexedBase("y", real=True), sp.IndexedBase("p")
    raw = loss.class_derivative(z, y, ROW)
    softmax = sp.exp(z[ROW]) / sp.Sum(sp.exp(z[CLASS_INDEX]), (CLASS_INDEX, 1, NUM_CLASSES))
    shown = replace_part(raw, softmax, p[ROW])
    if shown != p[ROW] - y[ROW]:
        raise AssertionError(f"unexpected softmax derivative {raw}")
    return model.p - model.y, raw


def _chain_rule(model: LinearModel, delta: sp.Basic, parameter: sp.Basic) -> sp.Basic:
    r""":math:`\partial\ell/\partial\theta` from :math:`d\ell = \delta^\top dz`: SymPy differentiates
    :math:`\operatorname{tr}(\Delta^\top z(\theta))` with a placeholder :math:`\Delta`, then
    :math:`\Delta \to \delta`."""
    placeholder = sp.MatrixSymbol("Delta", *model.predictor().shape)
    linearised = placeholder.T * model.predictor()
    if isinstance(parameter, MatrixExpr):
        linearised = sp.Trace(linearised)
    jacobian = sp.diff(linearised, parameter)
    if model.vector_output:
        return jacobian.xreplace({placeholder: delta})
    result = jacobian.xreplace({placeholder: delta * sp.Identity(1)}).doit()
    return result[0, 0] if result.shape == (1, 1) else result


def _penalty_gradient_scalar(problem: Problem, entry: sp.Expr) -> sp.Expr:
    """Derivative of the penalty's coordinate term at one (scalar) entry."""
    return sp.diff(problem.penalty.coordinate(entry), entry)


def _vector_gradients(
    problem: Problem, model: LinearModel, delta: sp.Basic
) -> tuple[sp.Basic, sp.Basic]:
    per_example_w = _chain_rule(model, delta, model.weights)
    per_example_b = _chain_rule(model, delta, model.bias)
    penalty = problem.penalty
    weights = sp.MatAdd(
        ExampleSum(per_example_w, N) / N, *penalty.gradient_terms(model.weights), evaluate=False
    )
    if model.vector_output:
        bias = ExampleSum(per_example_b, N) / N
        if problem.penalize_bias:
            bias = sp.MatAdd(bias, *penalty.gradient_terms(model.bias), evaluate=False)
    else:
        bias = sp.Sum(per_example_b, (EXAMPLE, 1, N)) / N
        if problem.penalize_bias:
            bias += _penalty_gradient_scalar(problem, model.bias)
    return weights, bias


def _coordinate_objective(problem: Problem, model: LinearModel) -> sp.Expr:
    r"""The objective with index sums: :math:`\frac1n\sum_i \ell_i + \sum_k R(w_k)` (+ bias term)."""
    idx, loss, penalty = model.indexed, problem.loss, problem.penalty
    if model.vector_output:
        c = CLASS_INDEX
        example = loss.formula(_Row(model.indexed_predictor), _Row(lambda c: idx["y"][EXAMPLE, c]))
        weights_penalty = sp.Sum(
            penalty.coordinate(idx["w"][FEATURE, c]), (FEATURE, 1, D), (c, 1, NUM_CLASSES)
        )
        bias_penalty = sp.Sum(penalty.coordinate(idx["b"][c]), (c, 1, NUM_CLASSES))
    else:
        example = loss.formula(model.indexed_predictor(), idx["y"][EXAMPLE])
        weights_penalty = sp.Sum(penalty.coordinate(idx["w"][FEATURE]), (FEATURE, 1, D))
        bias_penalty = penalty.coordinate(model.bias_entry())
    objective = sp.Sum(example, (EXAMPLE, 1, N)) / N + weights_penalty
    return objective + bias_penalty if problem.penalize_bias else objective


def _show_coordinates(model: LinearModel, expr: sp.Expr) -> sp.Expr:
    """Write the derived coordinate form with ``z[i]`` (and ``sigma``, ``p[i, m]``) for readability."""
    z, p = model.indexed["z"], model.indexed["p"]
    if not model.vector_output:
        return recognise_sigmoid(
            replace_part(expr, model.indexed_predictor(), z[EXAMPLE]), z[EXAMPLE]
        )
    c = CLASS_INDEX
    for q in (c, COLUMN):
        expr = replace_part(expr, model.indexed_predictor(q), z[EXAMPLE, q])
    softmax = sp.exp(z[EXAMPLE, COLUMN]) / sp.Sum(sp.exp(z[EXAMPLE, c]), (c, 1, NUM_CLASSES))
    return replace_part(expr, softmax, p[EXAMPLE, COLUMN])


def derive_gradients(problem: Problem) -> GradientForms:
    """Derive the vector and coordinate forms of the problem's gradients (see the module doc)."""
    model = LinearModel(problem.loss.vector_output)
    delta, delta_coordinate = _loss_delta(problem, model)
    weights, bias = _vector_gradients(problem, model, delta)
    objective = _coordinate_objective(problem, model)
    weights_coordinate = eliminate_deltas(sp.diff(objective, model.weight_entry()))
    bias_coordinate = eliminate_deltas(sp.diff(objective, model.bias_entry()))
    return GradientForms(
        model=model,
        delta=delta,
        delta_coordinate=delta_coordinate,
        weights=weights,
        bias=bias,
        weights_coordinate=_show_coordinates(model, weights_coordinate),
        bias_coordinate=_show_coordinates(model, bias_coordinate),
    )


def derive_sgd_step(problem: Problem, forms: GradientForms) -> tuple[MatrixExpr, sp.Basic]:
    r"""The minibatch SGD updates :math:`\theta \leftarrow \theta - \eta\,\nabla_\theta L_{\mathcal{B}}`,
    with the terms in the parameter itself collected (this is where :math:`(1-\eta\lambda)` appears)."""
    batch = {N: BATCH_SIZE}
    model = forms.model
    weights = collect_matrix_terms(
        sp.MatAdd(model.weights, -ETA * forms.weights.xreplace(batch), evaluate=False)
    )
    if model.vector_output:
        bias = collect_matrix_terms(
            sp.MatAdd(model.bias, -ETA * forms.bias.xreplace(batch), evaluate=False)
        )
    else:
        terms = sp.Add.make_args(forms.bias.xreplace(batch))
        bias = sp.collect(model.bias - sp.Add(*(ETA * t for t in terms)), model.bias)
    return weights, bias


@dataclass(frozen=True)
class _ExplicitSizes:
    """Explicit values for the symbols of a :class:`LinearModel` at small sizes, written with
    the same indexed entries (``x[1, 2]``, ``w[1]``...) that the coordinate form uses."""

    model: LinearModel
    n: int
    d: int
    classes: int

    @property
    def sizes(self) -> dict[sp.Symbol, int]:
        return {N: self.n, D: self.d, NUM_CLASSES: self.classes}

    def predictor(self, i: int) -> sp.Basic:
        idx = self.model.indexed
        if self.model.vector_output:
            return sp.Matrix(
                [
                    sum(idx["x"][i, k] * idx["w"][k, c] for k in range(1, self.d + 1)) + idx["b"][c]
                    for c in range(1, self.classes + 1)
                ]
            )
        return sum(idx["x"][i, k] * idx["w"][k] for k in range(1, self.d + 1)) + self.model.bias

    def probabilities(self, i: int) -> sp.Matrix:
        z = self.predictor(i)
        return z.applyfunc(sp.exp) / sum(sp.exp(entry) for entry in z)

    def parameters(self) -> dict[sp.Basic, sp.Basic]:
        idx, model = self.model.indexed, self.model
        if model.vector_output:
            weights = sp.Matrix(self.d, self.classes, lambda k, c: idx["w"][k + 1, c + 1])
            bias = sp.Matrix([idx["b"][c] for c in range(1, self.classes + 1)])
            return {model.weights: weights, model.bias: bias}
        return {model.weights: sp.Matrix([idx["w"][k] for k in range(1, self.d + 1)])}

    def example(self, i: int) -> dict[sp.Basic, sp.Basic]:
        idx, model = self.model.indexed, self.model
        values = {
            model.x: sp.Matrix([idx["x"][i, k] for k in range(1, self.d + 1)]),
            model.z: self.predictor(i),
        }
        if model.vector_output:
            values[model.y] = sp.Matrix([idx["y"][i, c] for c in range(1, self.classes + 1)])
            values[model.p] = self.probabilities(i)
        else:
            values[model.y] = idx["y"][i]
        return values

    def vector_form(self, expr: sp.Basic) -> sp.Basic:
        """The vector form written out: example sums expanded, parameters made explicit."""
        examples = [self.example(i) for i in range(1, self.n + 1)]
        expr = expr.replace(lambda e: isinstance(e, ExampleSum), lambda e: e.over(examples))
        expr = expr.replace(
            lambda e: isinstance(e, sp.Sum) and e.limits[0][0] == EXAMPLE,
            lambda e: sp.Add(*(e.function.xreplace(x) for x in examples)),
        )
        return expr.xreplace(self.parameters()).xreplace(self.sizes).doit()

    def coordinate_form(self, expr: sp.Expr, j: int, m: int) -> sp.Expr:
        """The coordinate form at entry ``(j, m)`` written out."""
        z, p = self.model.indexed["z"], self.model.indexed["p"]
        expr = expr.xreplace({ROW: j, COLUMN: m, **self.sizes}).doit()
        for i in range(1, self.n + 1):
            if self.model.vector_output:
                values = {z[i, c]: v for c, v in enumerate(self.predictor(i), start=1)}
                values |= {p[i, c]: v for c, v in enumerate(self.probabilities(i), start=1)}
            else:
                values = {z[i]: self.predictor(i)}
            expr = expr.xreplace(values)
        return expr


def _equal(a: sp.Expr, b: sp.Expr) -> bool:
    """Exact equality; cheap normal forms first, ``simplify`` only if they do not decide."""
    difference = (a - b).rewrite(sp.exp)
    return (
        sp.expand(difference) == 0
        or sp.cancel(sp.together(difference)) == 0
        or sp.simplify(difference) == 0
    )


def check_forms(
    problem: Problem, forms: GradientForms, n: int = 2, d: int = 2, classes: int = 3
) -> str:
    """Prove that both derived forms equal the derivative of the written-out objective at the
    given sizes (exact symbolic equality); raise ``AssertionError`` otherwise. Returns the claim."""
    model = forms.model
    sizes = _ExplicitSizes(model, n, d, classes if model.vector_output else 1)
    objective = _coordinate_objective(problem, model).xreplace(sizes.sizes).doit()
    weights = sizes.vector_form(forms.weights)
    bias = sizes.vector_form(forms.bias)
    outputs = range(1, sizes.classes + 1)
    for j in range(1, d + 1):
        for m in outputs:
            entry = model.weight_entry().xreplace({ROW: j, COLUMN: m})
            direct = sp.diff(objective, entry)
            vector = weights[j - 1, m - 1] if model.vector_output else weights[j - 1, 0]
            if not (
                _equal(vector, direct)
                and _equal(sizes.coordinate_form(forms.weights_coordinate, j, m), direct)
            ):
                raise AssertionError(f"gradient forms disagree at {entry}")
    for m in outputs:
        entry = model.bias_entry().xreplace({COLUMN: m})
        direct = sp.diff(objective, entry)
        vector = bias[m - 1, 0] if model.vector_output else bias
        if not (
            _equal(vector, direct)
            and _equal(sizes.coordinate_form(forms.bias_coordinate, 1, m), direct)
        ):
            raise AssertionError(f"gradient forms disagree at {entry}")
    shape = f"n={n}, d={d}" + (f", K={classes}" if model.vector_output else "")
    return (
        f"checked exactly for {shape}: the vector form and the coordinate form both equal the "
        f"derivative of the written-out objective"
    )
