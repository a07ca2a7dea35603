r"""SymPy building blocks the derivations share.

* :class:`sigmoid` is the logistic function :math:`\sigma(z) = 1/(1+e^{-z})` as a SymPy function
  with its derivative :math:`\sigma' = \sigma(1-\sigma)`, so derived expressions can be shown in
  the form a reader knows (:func:`recognise_sigmoid`, built on :func:`replace_part`).
* :class:`ElementwiseSign` and :class:`ExampleSum` are printing-level matrix expressions for
  :math:`\operatorname{sign}(\mathbf{w})` and :math:`\sum_{i=1}^{|\mathcal{B}|}` of a per-example
  vector, which SymPy has no matrix-shaped form for.
* :func:`eliminate_deltas` removes the Kronecker deltas that differentiating index sums produces
  (:math:`\sum_k \delta_{jk} f_k = f_j`), and :func:`collect_matrix_terms` collects
  :math:`\mathbf{w} - \eta\lambda\mathbf{w}` into :math:`(1-\eta\lambda)\mathbf{w}`.
* :func:`solve_affine` solves a gradient that is affine in its unknown, with proofs.
"""

from __future__ import annotations

import sympy as sp
from sympy.concrete.delta import deltasummation
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

__all__ = [
    "ElementwiseSign",
    "ExampleSum",
    "collect_matrix_terms",
    "eliminate_deltas",
    "matrix_terms",
    "recognise_sigmoid",
    "replace_part",
    "sigmoid",
    "solve_affine",
]


class sigmoid(sp.Function):
    r"""The logistic function :math:`\sigma(z) = \frac{1}{1 + e^{-z}} = \frac{e^z}{1 + e^z}`."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, z: sp.Expr, **kwargs: object) -> sp.Expr:
        return 1 / (1 + sp.exp(-z))

    def _latex(self, printer: LatexPrinter) -> str:
        return rf"\sigma\left({printer._print(self.args[0])}\right)"


def replace_part(expr: sp.Expr, part: sp.Expr, name: sp.Expr) -> sp.Expr:
    r"""Write ``name`` wherever all the terms (or factors) of ``part`` stand in one sum (or product).

    ``replace_part(b - y + x*w, x*w + b, z)`` gives ``z - y``, and
    ``replace_part(x*exp(a)/(exp(a) + 1), exp(a)/(exp(a) + 1), sigma(a))`` gives ``x*sigma(a)``:
    SymPy's ``subs`` does neither when the part is merged into a larger sum or product, or sits
    under a bound index.
    """
    kind = type(part)
    pieces = list(part.args)

    def holds_part(e: sp.Basic) -> bool:
        return type(e) is kind and all(piece in e.args for piece in pieces)

    def rename(e: sp.Basic) -> sp.Expr:
        rest = list(e.args)
        for piece in pieces:
            rest.remove(piece)
        return kind(name, *rest)

    return expr.replace(holds_part, rename)


def recognise_sigmoid(expr: sp.Expr, z: sp.Expr) -> sp.Expr:
    r"""Write :math:`e^z/(e^z + 1)` as :math:`\sigma(z)`."""
    return replace_part(expr, sp.exp(z) / (sp.exp(z) + 1), sigmoid(z))


class ElementwiseSign(MatrixExpr):
    r""":math:`\operatorname{sign}(\mathbf{v})` applied to each entry of a matrix expression."""

    def __new__(cls, arg: MatrixExpr) -> ElementwiseSign:
        return super().__new__(cls, arg)

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.args[0].shape

    def doit(self, **hints: object) -> sp.Basic:
        arg = self.args[0].doit(**hints)
        return arg.applyfunc(sp.sign) if isinstance(arg, sp.MatrixBase) else ElementwiseSign(arg)

    def _latex(self, printer: LatexPrinter) -> str:
        return rf"\operatorname{{sign}}\left({printer._print(self.args[0])}\right)"

    def _sympystr(self, printer: StrPrinter) -> str:
        return f"sign({printer._print(self.args[0])})"


class ExampleSum(MatrixExpr):
    r""":math:`\sum_{i=1}^{m} \mathbf{t}_i`: the sum of a per-example term over ``m`` examples.

    The term is written with the symbols of one example (``x_i``, ``y_i``, ``z_i``); this object
    keeps the sum unevaluated so that it can sit inside matrix sums and products, and
    :meth:`over` writes it out for explicit examples.
    """

    def __new__(cls, term: MatrixExpr, count: sp.Expr) -> ExampleSum:
        return super().__new__(cls, term, sp.sympify(count))

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.args[0].shape

    def over(self, examples: list[dict[sp.Basic, sp.Basic]]) -> sp.Expr:
        """The sum written out: the term with each example's symbols replaced by its values."""
        return sp.MatAdd(*(self.args[0].xreplace(example) for example in examples)).doit()

    def _latex(self, printer: LatexPrinter) -> str:
        term, count = (printer._print(a) for a in self.args)
        if isinstance(self.args[0], sp.MatAdd):
            term = rf"\left({term}\right)"
        return rf"\sum_{{i=1}}^{{{count}}} {term}"

    def _sympystr(self, printer: StrPrinter) -> str:
        term, count = (printer._print(a) for a in self.args)
        return f"Sum_(i=1..{count})({term})"


def eliminate_deltas(expr: sp.Expr) -> sp.Expr:
    r"""Evaluate every sum over an index that a Kronecker delta fixes: :math:`\sum_k \delta_{jk} f_k = f_j`.

    The free index (``j``) is taken to lie inside the summation range, which is what a partial
    derivative with respect to the entry ``w[j]`` of an existing coordinate means. In a sum over
    several indices only the fixed ones are summed; the others stay.
    """

    def delta_limit(term: sp.Sum) -> tuple | None:
        deltas = term.function.atoms(sp.KroneckerDelta)
        return next(
            (lim for lim in term.limits if any(lim[0] in d.free_symbols for d in deltas)), None
        )

    def evaluate(term: sp.Sum) -> sp.Expr:
        limit = delta_limit(term)
        others = [lim for lim in term.limits if lim != limit]
        parts = sp.Add.make_args(sp.expand_mul(term.function))
        summed = sp.Add(*(deltasummation(part, limit, no_piecewise=True) for part in parts))
        return sp.Sum(summed, *others) if others else summed

    previous = None
    while previous != expr:
        previous = expr
        expr = expr.replace(
            lambda e: isinstance(e, sp.Sum) and delta_limit(e) is not None, evaluate
        )
    return expr


def matrix_terms(expr: sp.Basic, scale: sp.Expr = sp.S.One) -> list[tuple[sp.Expr, sp.Basic]]:
    """``scale * expr`` as a list of (scalar coefficient, matrix) pairs, distributing scalars over
    sums of matrices but never entering a matrix's own arguments."""
    if isinstance(expr, sp.MatAdd):
        return [pair for arg in expr.args for pair in matrix_terms(arg, scale)]
    if isinstance(expr, sp.MatMul):
        coefficient, factors = expr.as_coeff_mmul()
        scalars = sp.Mul(*(f for f in factors.args if not getattr(f, "is_Matrix", False)))
        matrices = [f for f in factors.args if getattr(f, "is_Matrix", False)]
        if len(matrices) == 1:
            return matrix_terms(matrices[0], scale * coefficient * scalars)
        return [(scale * coefficient * scalars, sp.MatMul(*matrices))]
    return [(scale, expr)]


def collect_matrix_terms(expr: MatrixExpr) -> MatrixExpr:
    r"""Collect the scalar coefficients of equal matrix terms: :math:`a\mathbf{w} + c\mathbf{w} = (a+c)\mathbf{w}`.

    The terms keep the order in which they first appear.
    """
    coefficients: dict[sp.Basic, sp.Expr] = {}
    for coefficient, matrix in matrix_terms(expr):
        coefficients[matrix] = coefficients.get(matrix, sp.Integer(0)) + coefficient
    terms = [sp.factor_terms(c) * m for m, c in coefficients.items() if c != 0]
    return sp.MatAdd(*terms, evaluate=False) if len(terms) > 1 else terms[0]


def solve_affine(
    gradient: sp.Basic, unknown: sp.MatrixSymbol, scale: sp.Expr = 1
) -> tuple[sp.Basic, sp.Basic, sp.Basic]:
    r"""Solve :math:`g(\mathbf{u}) = 0` for a gradient that is affine in :math:`\mathbf{u}`.

    Returns :math:`(A, \mathbf{c}, \mathbf{u}^*)` with :math:`A = \partial g/\partial\mathbf{u}`,
    :math:`\mathbf{c} = g(0)` and :math:`\mathbf{u}^* = -(sA)^{-1}(s\mathbf{c})` (the positive ``scale``
    :math:`s` only tidies the printed form). Raises ``AssertionError`` unless SymPy proves that
    :math:`A` is constant, that :math:`g(\mathbf{u}) - (A\mathbf{u} + \mathbf{c}) = 0` identically,
    and that :math:`sA\mathbf{u}^* + s\mathbf{c} = 0`.
    """
    hessian = gradient.diff(unknown)
    if unknown in hessian.free_symbols:
        raise AssertionError(f"the gradient is not affine in {unknown}")
    constant = gradient.xreplace({unknown: sp.ZeroMatrix(*unknown.shape)}).doit()
    if (gradient - (hessian * unknown + constant)).doit().expand() != sp.ZeroMatrix(
        *gradient.shape
    ):
        raise AssertionError(f"the gradient is not A*{unknown} + c")
    scaled_hessian = (scale * hessian).doit().expand()
    scaled_constant = (scale * constant).doit().expand()
    if not getattr(hessian, "is_Matrix", False):  # a 1x1 unknown has a scalar Hessian
        solution = -scaled_constant / scaled_hessian
    else:
        solution = -scaled_hessian.I * scaled_constant
    if (scaled_hessian * solution + scaled_constant).doit().expand() != sp.ZeroMatrix(
        *gradient.shape
    ):
        raise AssertionError(f"{solution} does not solve the stationarity condition")
    return hessian, constant, solution
