r"""Per-example losses of a linear model, written as functions of the linear predictor.

A linear model predicts :math:`z = \mathbf{w}^\top\mathbf{x} + b` (one output) or
:math:`\mathbf{z} = W^\top\mathbf{x} + \mathbf{b}` (:math:`K` outputs). Its training loss is the
mean of a per-example loss :math:`\ell(z_i, y_i)` over the examples, so everything the project
derives about gradients follows from :math:`\partial\ell/\partial z` by the chain rule.

=================  ==========================================================  ================
name               :math:`\ell`                                                labels
=================  ==========================================================  ================
``squared_error``  :math:`\tfrac12 (z - y)^2` (d2l's convention, with the ½)   :math:`y\in\mathbb{R}`
``logistic``       :math:`\log(1 + e^{z}) - y z`                               :math:`y\in\{0,1\}`
``softmax``        :math:`\log\sum_{c=1}^K e^{z_c} - \sum_{c=1}^K y_c z_c`      one-hot :math:`\mathbf{y}`
=================  ==========================================================  ================

Each loss is written twice for SymPy: with scalar symbols (one example, for display and
:math:`\partial\ell/\partial z`), and with indexed symbols over the class index (softmax only), so
that the derivative with respect to one coordinate :math:`z_j` is derived for any :math:`K`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from wdtheory.core.algebra import eliminate_deltas, recognise_sigmoid
from wdtheory.core.derivation import Notation
from wdtheory.core.errors import check_choice

__all__ = ["LOSSES", "Loss", "get_loss"]

#: index of a class, and the number of classes (softmax)
CLASS_INDEX = sp.Symbol("c", integer=True, positive=True)
NUM_CLASSES = sp.Symbol("K", integer=True, positive=True)


@dataclass(frozen=True)
class Loss:
    r"""A per-example loss :math:`\ell(z, y)` of a linear model.

    ``formula`` builds :math:`\ell` from SymPy objects: for a scalar-output loss it receives the
    scalar symbols ``z`` and ``y``; for the softmax loss it receives :class:`sympy.IndexedBase`
    objects ``z`` and ``y`` and sums over :data:`CLASS_INDEX` from 1 to :data:`NUM_CLASSES`.
    """

    name: str
    title: str
    labels: Notation
    vector_output: bool
    formula: Callable[[sp.Expr, sp.Expr], sp.Expr]

    def scalar_derivative(self, z: sp.Symbol, y: sp.Symbol) -> sp.Expr:
        r""":math:`\partial\ell/\partial z` for a scalar-output loss, differentiated by SymPy and
        shown with :math:`\sigma(z)` where :math:`e^z/(1+e^z)` appears."""
        return recognise_sigmoid(sp.diff(self.formula(z, y), z), z)

    def class_derivative(self, z: sp.IndexedBase, y: sp.IndexedBase, j: sp.Symbol) -> sp.Expr:
        r""":math:`\partial\ell/\partial z_j` for the softmax loss, for any number of classes
        :math:`K` (SymPy differentiates the index sums; the Kronecker deltas are then summed)."""
        return eliminate_deltas(sp.diff(self.formula(z, y), z[j]))


def _softmax_cross_entropy(z: sp.IndexedBase, y: sp.IndexedBase) -> sp.Expr:
    c = CLASS_INDEX
    return sp.log(sp.Sum(sp.exp(z[c]), (c, 1, NUM_CLASSES))) - sp.Sum(
        y[c] * z[c], (c, 1, NUM_CLASSES)
    )


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            name="squared_error",
            title="squared error",
            labels=Notation("R", r"\mathbb{R}"),
            vector_output=False,
            formula=lambda z, y: (z - y) ** 2 / 2,
        ),
        Loss(
            name="logistic",
            title="binary logistic loss",
            labels=Notation("{0, 1}", r"\{0, 1\}"),
            vector_output=False,
            formula=lambda z, y: sp.log(1 + sp.exp(z)) - y * z,
        ),
        Loss(
            name="softmax",
            title="softmax cross-entropy",
            labels=Notation("{0, 1}^K, one-hot", r"\{0, 1\}^K \text{ (one-hot)}"),
            vector_output=True,
            formula=_softmax_cross_entropy,
        ),
    )
}


def get_loss(name: str) -> Loss:
    """The loss called ``name``; an unknown name raises an error listing the known ones."""
    return LOSSES[check_choice("loss", name, LOSSES)]
