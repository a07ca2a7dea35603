r"""A penalised learning problem: a linear model, a per-example loss and a weight penalty.

.. math::

    L(\mathbf{w}, b) = \frac{1}{n}\sum_{i=1}^n \ell(\mathbf{w}^\top\mathbf{x}_i + b,\ y_i) + R(\mathbf{w})
    \;[+\, R(b) \text{ if the bias is penalised}]

The bias is left unpenalised by default (d2l, scikit-learn and the slides' "best practice").
A problem is written in the spec language as ``squared_error(l2=lam)``,
``logistic(l1=0.01, l2=lam, penalize_bias=true)`` or ``softmax(l2=lam, half=false)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from wdtheory.errors import WdtheoryError
from wdtheory.losses import LOSSES, Loss, get_loss
from wdtheory.penalties import Penalty
from wdtheory.spec import Spec, format_number, parse_spec

__all__ = ["PROBLEM_PARAMETERS", "Problem"]

#: the keys a problem spec accepts, with their meaning
PROBLEM_PARAMETERS = {
    "l1": "strength of the L1 penalty l1*||w||_1 (>= 0)",
    "l2": "strength of the L2 penalty (l2/2)*||w||^2, or l2*||w||^2 with half=false (>= 0)",
    "half": "true: the L2 penalty carries a 1/2 (PyTorch, d2l); false: it does not (Keras l2)",
    "penalize_bias": "true: the penalty applies to the bias too (default false)",
}


@dataclass(frozen=True)
class Problem:
    """A loss of a linear model plus a penalty on its weights (and optionally its bias)."""

    loss: Loss
    penalty: Penalty
    penalize_bias: bool = False

    @classmethod
    def create(
        cls,
        loss: str = "squared_error",
        *,
        l1: object = 0,
        l2: object = 0,
        half: bool = True,
        penalize_bias: bool = False,
    ) -> Problem:
        """A problem from Python values; strengths are numbers (kept exact) or SymPy symbols."""
        return cls(get_loss(loss), Penalty.create(l1=l1, l2=l2, half=half), bool(penalize_bias))

    @classmethod
    def from_spec(cls, spec: Spec | str) -> Problem:
        """A problem from spec text such as ``"squared_error(l2=lam)"`` (parsed safely)."""
        spec = parse_spec(spec) if isinstance(spec, str) else spec
        get_loss(spec.name)
        spec.check_params(PROBLEM_PARAMETERS)
        for flag in ("half", "penalize_bias"):
            if not isinstance(spec.get(flag, True), bool):
                raise WdtheoryError(f"{flag}={spec.get(flag)} must be true or false")
        return cls.create(spec.name, **spec.as_dict())

    @property
    def title(self) -> str:
        """A short human title, e.g. ``squared error + L2 (bias unpenalised)``."""
        bias = "bias penalised" if self.penalize_bias else "bias unpenalised"
        return f"{self.loss.title} + {self.penalty.name} penalty ({bias})"

    @property
    def text(self) -> str:
        """The problem in spec notation, e.g. ``squared_error(l2=lam, penalize_bias=true)``."""
        params = [
            f"{key}={_show(value)}"
            for key, value in (("l1", self.penalty.l1), ("l2", self.penalty.l2))
            if value != 0
        ]
        if not self.penalty.half:
            params.append("half=false")
        if self.penalize_bias:
            params.append("penalize_bias=true")
        return f"{self.loss.name}({', '.join(params)})"


def _show(value: sp.Expr) -> str:
    """A decimal for terminating rationals (as in specs), SymPy's text otherwise."""
    if isinstance(value, sp.Rational) and set(sp.factorint(value.q)) <= {2, 5}:
        return format_number(value)
    return sp.sstr(value)


def is_problem_spec(spec: Spec) -> bool:
    """Whether ``spec`` names a problem (a loss) rather than something else."""
    return spec.name in LOSSES
