r"""The symbolic dynamics of an optimizer: its one-step maps and unrolled trajectories.

For an :class:`~wdtheory.optim.optimizer.Optimizer` with state :math:`s` the step is a map
:math:`(w, s) \mapsto F(w, g, s, t)`, per coordinate, with the optimizer's hyperparameter values
substituted. :class:`Dynamics` holds the map of a general step and of the first step (they differ
only for PyTorch's momentum), the initial state, and unrolls trajectories

.. math:: w_k = F_w(w_{k-1}, g_k, s_{k-1}, k), \qquad s_k = F_s(\dots)

either for free gradients :math:`g_1, g_2, \dots` (any gradient sequence) or for the gradient of
the quadratic :math:`f(w) = \tfrac{h}{2}(w - w_{\min})^2`, :math:`g_k = h(w_{k-1} - w_{\min})`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from itertools import count

import sympy as sp

from wdtheory.core.notation import CURVATURE, GRAD, MINIMUM, PARAM, SCHEDULE, START, STEP
from wdtheory.optim.optimizer import Optimizer

__all__ = ["CURVATURE", "MINIMUM", "Dynamics", "free_gradients", "quadratic_gradients"]

Gradients = Callable[[int, sp.Expr], sp.Expr]


def schedule_at(k: int) -> sp.Symbol:
    """The schedule multiplier of step ``k``, a symbol of its own: schedules may vary."""
    return sp.Symbol(f"s_{k}", positive=True)


def free_gradients(k: int, w: sp.Expr) -> sp.Expr:
    """The gradient of step ``k`` as a free symbol ``g_k``."""
    return sp.Symbol(f"g_{k}", real=True)


def quadratic_gradients(k: int, w: sp.Expr) -> sp.Expr:
    """The gradient of :math:`\\frac h2 (w - w_{\\min})^2` at the current iterate."""
    return CURVATURE * (w - MINIMUM)


@dataclass(frozen=True)
class Dynamics:
    """One-step maps of an optimizer, with its values substituted, and its initial state.

    ``suffix`` renames the state symbols (so that two optimizers' states stay distinct). An
    optimizer whose learning rate follows a scheduler is :meth:`Optimizer.scheduled
    <wdtheory.optim.optimizer.Optimizer.scheduled>`.
    """

    optimizer: Optimizer
    suffix: str = ""

    @cached_property
    def states(self) -> tuple[sp.Symbol, ...]:
        """The state symbols (renamed with the suffix)."""
        return tuple(self._rename[slot.symbol] for slot in self.optimizer.chain.states)

    @cached_property
    def _rename(self) -> dict[sp.Symbol, sp.Symbol]:
        return {
            slot.symbol: sp.Symbol(slot.symbol.name + self.suffix, **slot.symbol.assumptions0)
            for slot in self.optimizer.chain.states
        }

    def step_map(self, first: bool = False) -> dict[sp.Symbol, sp.Expr]:
        """New parameter and states in terms of ``w``, ``g``, the states and ``t`` (first: of
        step 1); each map is composed once."""
        return self._step_maps[first]

    @cached_property
    def _step_maps(self) -> dict[bool, dict[sp.Symbol, sp.Expr]]:
        values = {**self.optimizer.symbols, **self._rename}
        return {
            first: {
                self._rename.get(k, k): v.xreplace(values)
                for k, v in self.optimizer.program(first).one_step().items()
            }
            for first in (False, True)
        }

    @cached_property
    def initial(self) -> dict[sp.Symbol, sp.Expr]:
        """The states before the first step."""
        return {
            self._rename[slot.symbol]: sp.sympify(slot.init).xreplace(self.optimizer.symbols)
            for slot in self.optimizer.chain.states
        }

    def trajectory(
        self, gradients: Gradients = free_gradients, start: sp.Expr = START
    ) -> Iterator[sp.Expr]:
        """:math:`w_1, w_2, \\dots` (lazily) from :math:`w_0` = ``start`` and the initial state."""
        w, state = start, dict(self.initial)
        general, first = self.step_map(False), self.step_map(True)
        for k in count(1):
            rule = first if k == 1 else general
            values = {
                PARAM: w,
                GRAD: gradients(k, w),
                STEP: sp.Integer(k),
                SCHEDULE: schedule_at(k),
                **state,
            }
            new = {target: expr.xreplace(values) for target, expr in rule.items()}
            w = new[PARAM]
            state = {s: new[s] for s in self.states}
            yield w

    @cached_property
    def linear_in_states(self) -> bool:
        """Whether every one-step map is a polynomial of degree at most 1 in the states."""
        for first in (False, True):
            for expr in self.step_map(first).values():
                try:
                    if self.states and sp.Poly(expr, *self.states).total_degree() > 1:
                        return False
                except sp.PolynomialError:
                    return False
        return True
