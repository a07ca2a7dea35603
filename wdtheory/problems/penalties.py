r"""Weight penalties: L2, L1 and the elastic net, with their conventions made explicit.

.. math::

    R(\mathbf{w}) = \lambda_1 \|\mathbf{w}\|_1 + c\,\lambda_2 \|\mathbf{w}\|_2^2,
    \qquad c = \tfrac12 \text{ (``half``, PyTorch/d2l) or } c = 1 \text{ (Keras ``l2(c)``, sklearn Ridge)}

The factor :math:`c` is the whole difference between "L2 with strength λ" in different libraries:
the gradient of the L2 term is :math:`2c\lambda_2\mathbf{w}`, so Keras' ``l2(c)`` equals PyTorch's
``weight_decay = 2c`` (derived in :mod:`wdtheory.problems.conventions`). The gradients here are derived by
SymPy: the L2 part by matrix calculus on :math:`\operatorname{tr}(W^\top W)`, the L1 part
coordinate-wise from :math:`|w_k|` for real :math:`w_k` (the subgradient :math:`\operatorname{sign}`,
with :math:`\operatorname{sign}(0) = 0`, the minimal-norm element of :math:`[-1, 1]`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from wdtheory.core.algebra import ElementwiseSign
from wdtheory.core.hyperparams import as_nonnegative

__all__ = ["Norm", "Penalty"]


class Norm(sp.Expr):
    r"""Display form of :math:`\|\mathbf{v}\|_p^k` for a matrix symbol (p = 1 or 2)."""

    def __new__(cls, arg: MatrixExpr, p: int, power: int) -> Norm:
        return super().__new__(cls, arg, sp.Integer(p), sp.Integer(power))

    def _latex(self, printer: LatexPrinter) -> str:
        arg, p, power = self.args
        sub = "_1" if p == 1 else ""
        sup = f"^{{{power}}}" if power != 1 else ""
        return rf"\left\|{printer._print(arg)}\right\|{sub}{sup}"

    def _sympystr(self, printer: StrPrinter) -> str:
        arg, p, power = self.args
        sup = f"**{power}" if power != 1 else ""
        return f"||{printer._print(arg)}||_{p}{sup}"


@dataclass(frozen=True)
class Penalty:
    r""":math:`R(\mathbf{w}) = l_1\|\mathbf{w}\|_1 + c\,l_2\|\mathbf{w}\|^2` with :math:`c = \frac12`
    if ``half`` else :math:`1`. Strengths are exact numbers or symbols (see :mod:`wdtheory.core.hyperparams`)."""

    l1: sp.Expr = sp.S.Zero
    l2: sp.Expr = sp.S.Zero
    half: bool = True

    @classmethod
    def create(cls, *, l1: object = 0, l2: object = 0, half: bool = True) -> Penalty:
        """A penalty from user values, checked: strengths are finite and >= 0 (or symbolic)."""
        return cls(as_nonnegative("l1", l1), as_nonnegative("l2", l2), bool(half))

    @property
    def l2_factor(self) -> sp.Expr:
        r"""The convention factor :math:`c` in :math:`c\,l_2\|\mathbf{w}\|^2`."""
        return sp.Rational(1, 2) if self.half else sp.Integer(1)

    @property
    def name(self) -> str:
        """``none``, ``L1``, ``L2`` or ``elastic net``, by which strengths are nonzero."""
        kinds = [k for k, s in (("L1", self.l1), ("L2", self.l2)) if s != 0]
        if len(kinds) == 2:
            return "elastic net"
        return kinds[0] if kinds else "none"

    def display(self, w: MatrixExpr) -> sp.Expr:
        r""":math:`R(\mathbf{w})` written with norms, for printing."""
        return self.l1 * Norm(w, 1, 1) + self.l2_factor * self.l2 * Norm(w, 2, 2)

    def coordinate(self, w_k: sp.Expr) -> sp.Expr:
        r"""The penalty's term for one coordinate: :math:`l_1|w_k| + c\,l_2 w_k^2`."""
        return self.l1 * sp.Abs(w_k) + self.l2_factor * self.l2 * w_k**2

    def gradient_terms(self, w: MatrixExpr) -> list[MatrixExpr]:
        r"""The terms of :math:`\nabla R(\mathbf{w}) = 2c\,l_2\mathbf{w} + l_1\operatorname{sign}(\mathbf{w})`, derived.

        The L2 part is SymPy's matrix derivative of :math:`c\,l_2\operatorname{tr}(W^\top W)`; the
        L1 part is SymPy's derivative of :math:`|u|` for real :math:`u`, applied to each entry.
        """
        terms = []
        if self.l2 != 0:
            terms.append(sp.diff(self.l2_factor * self.l2 * sp.Trace(w.T * w), w))
        if self.l1 != 0:
            u = sp.Symbol("u", real=True)
            if sp.diff(sp.Abs(u), u) != sp.sign(u):
                raise AssertionError("SymPy's derivative of |u| is no longer sign(u)")
            terms.append(self.l1 * ElementwiseSign(w))
        return terms
