"""The roles a hyperparameter can play: its canonical symbol, its meaning and its allowed range.

Every preset names its hyperparameters in its library's words (``lr``, ``learning_rate``,
``alpha``...); each name plays a *role* here. A role's symbol is the one the derived rules are
written in (from :mod:`wdtheory.core.notation`), and its range is checked in one place,
:meth:`Role.check` for exact values and :meth:`Role.to_float` for the floats a kernel runs with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

from wdtheory.core.hyperparams import as_hyper, check_interval, float_in, to_float_in
from wdtheory.core.notation import (
    ALPHA,
    BETA_1,
    BETA_2,
    EPSILON,
    EPSILON_ROOT,
    ETA,
    G_0,
    KAPPA,
    LAMBDA,
    LR_DECAY,
    MU,
    TAU,
)

__all__ = ["MAPPABLE_ROLES", "ROLES", "Role"]


@dataclass(frozen=True)
class Role:
    """What a hyperparameter does, its canonical symbol and its allowed range
    ``[low, high)`` (``]`` if ``closed_high``, ``(`` unless ``closed_low``). ``setting``: it
    describes the problem the optimizer is run on, not the optimizer, so left out it keeps its
    default even when every left-out hyperparameter is asked to be symbolic."""

    symbol: sp.Symbol
    description: str
    low: float = 0.0
    high: float = math.inf
    closed_high: bool = False
    setting: bool = False
    closed_low: bool = True

    @property
    def _ends(self) -> dict[str, bool]:
        """Whether each end of the range belongs to it, as the range checks take it."""
        return {"closed_high": self.closed_high, "closed_low": self.closed_low}

    def check(self, key: str, value: object) -> sp.Expr:
        """``value`` as an exact expression, refused (naming ``key``) if it is a number out of
        range; a symbolic value passes, its range being the user's assumption."""
        return check_interval(key, as_hyper(key, value), self.low, self.high, **self._ends)

    def run_time_float(self, key: str, value: object) -> float:
        """A plain number set while running (a param group's ``lr`` moved by a scheduler) as
        the float a kernel runs with, refused (naming ``key``) if it is out of range."""
        return float_in(key, value, self.low, self.high, **self._ends)

    def to_float(self, key: str, value: sp.Expr) -> float:
        """The float a kernel runs with, refused if rounding takes it out of range."""
        return to_float_in(key, value, self.low, self.high, **self._ends)


ROLES: dict[str, Role] = {
    "lr": Role(ETA, "learning rate"),
    "momentum": Role(MU, "momentum", 0, 1, closed_high=True),
    "dampening": Role(TAU, "dampening", 0, 1, closed_high=True),
    "weight_decay": Role(LAMBDA, "weight decay / penalty strength"),
    "beta1": Role(BETA_1, "first-moment decay", 0, 1),
    "beta2": Role(BETA_2, "second-moment decay", 0, 1),
    "eps": Role(EPSILON, "denominator offset"),
    "eps_root": Role(EPSILON_ROOT, "offset inside the root"),
    "alpha": Role(ALPHA, "squared-gradient smoothing", 0, 1),
    "lr_decay": Role(LR_DECAY, "learning-rate decay per step"),
    "initial_accumulator_value": Role(G_0, "initial accumulator"),
    "loss_scale": Role(
        KAPPA, "loss scale (multiplies the gradient)", setting=True, closed_low=False
    ),
}

#: the roles whose values may differ between two optimizers that are still "the same algorithm"
#: up to a reparametrisation: :func:`~wdtheory.analysis.compare.compare` solves for them and
#: :func:`~wdtheory.analysis.convert.convert` leaves them free in its candidates
MAPPABLE_ROLES = ("lr", "weight_decay", "eps")
