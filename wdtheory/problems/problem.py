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

from wdtheory.core.errors import WdtheoryError
from wdtheory.core.hyperparams import show
from wdtheory.core.spec import Reference, Spec, format_item, parse_spec
from wdtheory.problems.losses import Loss, get_loss
from wdtheory.problems.penalties import Penalty

__all__ = ["PROBLEM_PARAMETERS", "RESERVED_NAMES", "Problem"]

#: the keys a problem spec accepts, with their meaning
PROBLEM_PARAMETERS = {
    "l1": "strength of the L1 penalty l1*||w||_1 (>= 0)",
    "l2": "strength of the L2 penalty (l2/2)*||w||^2, or l2*||w||^2 with half=false (>= 0)",
    "half": "true: the L2 penalty carries a 1/2 (PyTorch, d2l); false: it does not (Keras l2)",
    "penalize_bias": "true: the penalty applies to the bias too (default false)",
}


#: names the derivations use for their own symbols, so a strength may not be called so
RESERVED_NAMES = {
    "n": "the number of examples",
    "d": "the number of features",
    "K": "the number of classes",
    "B": "the batch size",
    "eta": "the learning rate",
    "b": "the bias",
    "w": "the weights",
    "W": "the weights",
    "X": "the data",
    "x_i": "an example",
    "y_i": "a label",
    "z_i": "a prediction",
    "p_i": "softmax probabilities",
    "i": "an index",
    "j": "an index",
    "k": "an index",
    "m": "an index",
    "c": "a class index",
    "u": "the prox variable",
    "v": "the prox argument",
    "s": "a singular value",
    "r": "the rank",
    "theta": "a coordinate",
    "zhat": "a rotated target",
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
        for flag, value in (("half", half), ("penalize_bias", penalize_bias)):
            if not isinstance(value, bool):
                raise WdtheoryError(f"{flag}={value!r} must be True or False")
        penalty = Penalty.create(l1=l1, l2=l2, half=half)
        for key, value in (("l1", penalty.l1), ("l2", penalty.l2)):
            clash = sorted(s.name for s in value.free_symbols if s.name in RESERVED_NAMES)
            if clash:
                raise WdtheoryError(
                    f"{key}={show(value)}: the name {clash[0]!r} stands for {RESERVED_NAMES[clash[0]]} "
                    "in the derivations; choose another name (e.g. lam)"
                )
        return cls(get_loss(loss), penalty, penalize_bias)

    @classmethod
    def from_spec(cls, spec: Spec | str) -> Problem:
        """A problem from spec text such as ``"squared_error(l2=lam)"`` (parsed safely)."""
        spec = spec if isinstance(spec, Spec) else parse_spec(spec)
        get_loss(spec.name)
        if spec.symbolic:
            raise WdtheoryError(f"symbolic(...) is for optimizers; {spec.name} takes l1=, l2=...")
        spec.check_params(PROBLEM_PARAMETERS)
        for key, value in spec.params:
            if value is None or isinstance(value, tuple | Reference):
                raise WdtheoryError(f"{key}={format_item(value)} is not a number or a name")
        for flag in ("half", "penalize_bias"):
            if not isinstance(spec.get(flag, True), bool):
                raise WdtheoryError(f"{flag}={show(spec.get(flag))} must be true or false")
        return cls.create(spec.name, **spec.as_dict())

    @property
    def title(self) -> str:
        """A short human title, e.g. ``squared error + L2 (bias unpenalised)``."""
        bias = "bias penalised" if self.penalize_bias else "bias unpenalised"
        penalty = "no penalty" if self.penalty.name == "none" else f"{self.penalty.name} penalty"
        return f"{self.loss.title} + {penalty} ({bias})"

    @property
    def text(self) -> str:
        """The problem in spec notation, e.g. ``squared_error(l2=lam, penalize_bias=true)``."""
        params = [
            f"{key}={show(value)}"
            for key, value in (("l1", self.penalty.l1), ("l2", self.penalty.l2))
            if value != 0
        ]
        if not self.penalty.half:
            params.append("half=false")
        if self.penalize_bias:
            params.append("penalize_bias=true")
        return f"{self.loss.name}({', '.join(params)})"
