r"""Gradient transformations on SymPy expressions, composed by :func:`chain`.

This is optax's idea lifted to SymPy. Every optimizer here is elementwise, so a transformation
works on one coordinate: it receives the incoming update :math:`u` (at first the gradient
:math:`g`) and returns a new update, emitting assignments to its own state. :func:`chain` runs
the transformations in order and ends with :math:`w \leftarrow w + u`:

.. math::

    \underbrace{[\,\text{add\_decayed\_weights}(\lambda),\ \text{trace}(\mu),\ \text{scale\_by\_learning\_rate}(\eta)\,]}_{\text{L2 regularisation (coupled)}}
    \qquad
    \underbrace{[\,\text{trace}(\mu),\ \text{add\_decayed\_weights}(\lambda),\ \text{scale\_by\_learning\_rate}(\eta)\,]}_{\text{weight decay (decoupled)}}

The position of the decay in the chain *is* the difference between L2 regularisation and weight
decay. The result is a :class:`Program`: assignments executed in order (a state symbol on a
right-hand side after its own assignment means its new value, as in code), from which
:meth:`Program.one_step` composes the one-step map in the old values.

Each transformation cites the library function whose arithmetic it reproduces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from functools import cached_property

import sympy as sp

from wdtheory.core.errors import WdtheoryError
from wdtheory.core.notation import GRAD, PARAM, SCHEDULE, STEP
from wdtheory.core.printing import to_latex, to_text

__all__ = [
    "AddDecayedWeights",
    "AddSignOfWeights",
    "Assign",
    "Program",
    "ProximalL1",
    "Scale",
    "ScaleByAdagrad",
    "ScaleByAdam",
    "ScaleByLion",
    "ScaleByRms",
    "StateSlot",
    "Trace",
    "Transform",
    "chain",
]


@dataclass(frozen=True)
class StateSlot:
    """One per-coordinate state variable: its symbol (the current value) and initial value."""

    symbol: sp.Symbol
    init: sp.Expr = sp.S.Zero


@dataclass(frozen=True)
class Assign:
    """``target ← value``; ``value`` may use symbols assigned earlier (their new values)."""

    target: sp.Symbol
    value: sp.Expr


@dataclass(frozen=True)
class Program:
    """The assignments of one step, in order; the last one assigns :data:`PARAM`."""

    assignments: tuple[Assign, ...]
    states: tuple[StateSlot, ...]

    def one_step(self) -> dict[sp.Symbol, sp.Expr]:
        """New state values and new parameter, each in terms of the old values only."""
        values: dict[sp.Symbol, sp.Expr] = {}
        for assign in self.assignments:
            values[assign.target] = assign.value.xreplace(values)
        keep = {slot.symbol for slot in self.states} | {PARAM}
        return {target: value for target, value in values.items() if target in keep}

    @property
    def temporaries(self) -> tuple[sp.Symbol, ...]:
        """Assigned symbols that are neither state nor the parameter."""
        keep = {slot.symbol for slot in self.states} | {PARAM}
        return tuple(a.target for a in self.assignments if a.target not in keep)


@dataclass(frozen=True)
class Transform:
    """Base class: ``apply(u, first) -> (assignments, new u)``; ``describe`` names it for display."""

    def states(self) -> tuple[StateSlot, ...]:
        return ()

    def apply(self, u: sp.Expr, first: bool) -> tuple[list[Assign], sp.Expr]:
        raise NotImplementedError

    def project(self, w_new: sp.Expr) -> sp.Expr:
        """A map applied to the new parameter after the step (identity except for prox steps)."""
        return w_new

    def describe(self) -> tuple[str, tuple[sp.Expr, ...], tuple[str, ...]]:
        """Name, hyperparameter expressions and options, for display."""
        raise NotImplementedError

    def label(self, values: dict[sp.Symbol, sp.Expr] | None = None, latex: bool = False) -> str:
        """``name(args, options)`` as text or LaTeX, with ``values`` substituted for symbols."""
        name, args, options = self.describe()
        args = tuple(sp.sympify(a).xreplace(values or {}) for a in args)
        if latex:
            shown = [to_latex(a) for a in args] + [rf"\text{{{o}}}" for o in options]
            escaped = name.replace("_", r"\_")
            return rf"\mathrm{{{escaped}}}({', '.join(shown)})"
        return f"{name}({', '.join([to_text(a) for a in args] + list(options))})"

    @property
    def has_first_step_rule(self) -> bool:
        """Whether the first step (``t = 1``) follows a different rule."""
        return False

    def substitute(self, mapping: dict[sp.Symbol, sp.Expr]) -> Transform:
        """The same transformation with ``mapping`` applied to its expressions."""
        changes = {
            f.name: getattr(self, f.name).xreplace(mapping)
            for f in fields(self)
            if isinstance(getattr(self, f.name), sp.Basic)
        }
        return replace(self, **changes)


@dataclass(frozen=True)
class AddDecayedWeights(Transform):
    r""":math:`u \leftarrow u + c\,w` (optax ``add_decayed_weights``; PyTorch's ``grad.add(param,
    alpha=weight_decay)`` when placed first)."""

    coefficient: sp.Expr

    def apply(self, u: sp.Expr, first: bool) -> tuple[list[Assign], sp.Expr]:
        return [], u + self.coefficient * PARAM

    def describe(self) -> tuple[str, tuple[sp.Expr, ...], tuple[str, ...]]:
        return "add_decayed_weights", (self.coefficient,), ()


@dataclass(frozen=True)
class AddSignOfWeights(Transform):
    r""":math:`u \leftarrow u + c\,\operatorname{sign}(w)`: the subgradient of :math:`c\|w\|_1`."""

    coefficient: sp.Expr

    def apply(self, u: sp.Expr, first: bool) -> tuple[list[Assign], sp.Expr]:
        return [], u + self.coefficient * sp.sign(PARAM)

    def describe(self) -> tuple[str, tuple[sp.Expr, ...], tuple[str, ...]]:
        return "add_l1_subgradient", (self.coefficient,), ()


@dataclass(frozen=True)
class Trace(Transform):
    r"""Momentum: :math:`b \leftarrow \mu b + (1 - \tau) u`, output :math:`b` or, with Nesterov,
    :math:`u + \mu b`.

    ``copy_first=True`` is PyTorch's first-step rule (``torch/optim/sgd.py``,
    ``_single_tensor_sgd``: ``buf = grad.clone()`` when the buffer does not exist yet, so no
    dampening on step 1); ``copy_first=False`` starts from :math:`b = 0` like optax ``trace`` and
    Keras' velocity.
    """

    momentum: sp.Expr
    dampening: sp.Expr = sp.S.Zero
    nesterov: bool = False
    copy_first: bool = False
    name: str = "b"

    @property
    def buffer(self) -> sp.Symbol:
        return sp.Symbol(self.name, real=True)

    def states(self) -> tuple[StateSlot, ...]:
        return (StateSlot(self.buffer),)

    def apply(self, u: sp.Expr, first: bool) -> tuple[list[Assign], sp.Expr]:
        b = self.buffer
        new = u if (first and self.copy_first) else self.momentum * b + (1 - self.dampening) * u
        out = u + self.momentum * b if self.nesterov else b
        return [Assign(b, new)], out

    @property
    def has_first_step_rule(self) -> bool:
        return self.copy_first

    def describe(self) -> tuple[str, tuple[sp.Expr, ...], tuple[str, ...]]:
        args = (self.momentum,) if self.dampening == 0 else (self.momentum, self.dampening)
        options = ("nesterov",) * self.nesterov + ("buffer = u on step 1",) * self.copy_first
        return "trace", args, options


@dataclass(frozen=True)
class ScaleByAdam(Transform):
    r"""Adam's preconditioning with bias correction.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1)u,\quad v \leftarrow \beta_2 v + (1-\beta_2)u^2,\quad
        \hat v = \max(\hat v, v)\ \text{(AMSGrad)}

    * ``epsilon_hat=False`` (PyTorch ``_single_tensor_adam``, optax ``scale_by_adam``):
      :math:`\frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t) + \epsilon_{root}} + \epsilon}`;
    * ``epsilon_hat=True`` (Keras ``Adam.update_step``): the bias corrections are folded into the
      step size and ε is added to the uncorrected root:
      :math:`\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,\frac{m}{\sqrt{v} + \epsilon}`.
    """

    beta1: sp.Expr
    beta2: sp.Expr
    eps: sp.Expr
    eps_root: sp.Expr = sp.S.Zero
    amsgrad: bool = False
    epsilon_hat: bool = False

    _m = sp.Symbol("m", real=True)
    _v = sp.Symbol("v", nonnegative=True)
    _vmax = sp.Symbol("v_max", nonnegative=True)

    def states(self) -> tuple[StateSlot, ...]:
        slots = (StateSlot(self._m), StateSlot(self._v))
        return (*slots, StateSlot(self._vmax)) if self.amsgrad else slots

    def apply(self, u: sp.Expr, first: bool) -> tuple[list[Assign], sp.Expr]:
        m, v = self._m, self._v
        assigns = [
            Assign(m, self.beta1 * m + (1 - self.beta1) * u),
            Assign(v, self.beta2 * v + (1 - self.beta2) * u**2),
        ]
        second = v
        if self.amsgrad:
            assigns.append(Assign(self._vmax, sp.Max(self._vmax, v)))
            second = self._vmax
        correction1, correction2 = 1 - self.beta1**STEP, 1 - self.beta2**STEP
        if self.epsilon_hat:
            out = sp.sqrt(correction2) / correction1 * m / (sp.sqrt(second) + self.eps)
        else:
            out = (m / correction1) / (sp.sqrt(second / correction2 + self.eps_root) + self.eps)
        return assigns, out

    def describe(self) -> tuple[str, tuple[sp.Expr, ...], tuple[str, ...]]:
        args = (self.beta1, self.beta2, self.eps) + ((self.eps_root,) if self.eps_root != 0 else ())
        return (
            "scale_by_adam",
            args,
            ("amsgrad",) * self.amsgrad + ("epsilon hat",) * self.epsilon_hat,
        )


@dataclass(frozen=True)
class ScaleByRms(Transform):
    r"""RMSprop (PyTorch ``_single_tensor_rmsprop``): :math:`a \leftarrow \alpha a + (1-\alpha)u^2`,
    output :math:`u / (\sqrt{a} + \epsilon)`; centered: also :math:`\bar g \leftarrow \alpha\bar g +
    (1-\alpha)u` and :math:`u / (\sqrt{a - \bar g^2} + \epsilon)`."""

    alpha: sp.Expr
    eps: sp.Expr
    centered: bool = False

    _avg = sp.Symbol("a", nonnegative=True)
    _mean = sp.Symbol("gbar", real=True)

    def states(self) -> tuple[StateSlot, ...]:
        return (
            (StateSlot(self._avg), StateSlot(self._mean))
            if self.centered
            else (StateSlot(self._avg),)
        )

    def apply(self, u: sp.Expr, first: bool) -> tuple[list[Assign], sp.Expr]:
        a, gbar = self._avg, self._mean
        assigns = [Assign(a, self.alpha * a + (1 - self.alpha) * u**2)]
        spread = a
        if self.centered:
            assigns.append(Assign(gbar, self.alpha * gbar + (1 - self.alpha) * u))
            spread = a - gbar**2
        return assigns, u / (sp.sqrt(spread) + self.eps)

    def describe(self) -> tuple[str, tuple[sp.Expr, ...], tuple[str, ...]]:
        return "scale_by_rms", (self.alpha, self.eps), ("centered",) * self.centered


@dataclass(frozen=True)
class ScaleByAdagrad(Transform):
    r"""Adagrad (PyTorch ``_single_tensor_adagrad``): :math:`G \leftarrow G + u^2`, output
    :math:`u / (\sqrt{G} + \epsilon)`, with :math:`G` starting at ``initial``."""

    eps: sp.Expr
    initial: sp.Expr = sp.S.Zero

    _sum = sp.Symbol("G", nonnegative=True)

    def states(self) -> tuple[StateSlot, ...]:
        return (StateSlot(self._sum, self.initial),)

    def apply(self, u: sp.Expr, first: bool) -> tuple[list[Assign], sp.Expr]:
        return [Assign(self._sum, self._sum + u**2)], u / (sp.sqrt(self._sum) + self.eps)

    def describe(self) -> tuple[str, tuple[sp.Expr, ...], tuple[str, ...]]:
        return "scale_by_adagrad", (self.eps, self.initial), ()


@dataclass(frozen=True)
class ScaleByLion(Transform):
    r"""Lion (optax ``scale_by_lion``): output :math:`\operatorname{sign}(\beta_1 m + (1-\beta_1)u)`,
    then :math:`m \leftarrow \beta_2 m + (1-\beta_2)u` (the sign uses the old :math:`m`)."""

    beta1: sp.Expr
    beta2: sp.Expr

    _m = sp.Symbol("m", real=True)
    _direction = sp.Symbol("c", real=True)

    def states(self) -> tuple[StateSlot, ...]:
        return (StateSlot(self._m),)

    def apply(self, u: sp.Expr, first: bool) -> tuple[list[Assign], sp.Expr]:
        m, c = self._m, self._direction
        return [
            Assign(c, sp.sign(self.beta1 * m + (1 - self.beta1) * u)),
            Assign(m, self.beta2 * m + (1 - self.beta2) * u),
        ], c

    def describe(self) -> tuple[str, tuple[sp.Expr, ...], tuple[str, ...]]:
        return "scale_by_lion", (self.beta1, self.beta2), ()


@dataclass(frozen=True)
class Scale(Transform):
    r""":math:`u \leftarrow c\,u`; with ``name="scale_by_learning_rate"`` it is the step size
    :math:`c = -\eta s_t` (optax ``scale_by_learning_rate``)."""

    factor: sp.Expr
    name: str = "scale"

    def apply(self, u: sp.Expr, first: bool) -> tuple[list[Assign], sp.Expr]:
        return [], self.factor * u

    def describe(self) -> tuple[str, tuple[sp.Expr, ...], tuple[str, ...]]:
        shown = -self.factor if self.name == "scale_by_learning_rate" else self.factor
        return self.name, (shown,), ()


@dataclass(frozen=True)
class ProximalL1(Transform):
    r"""After the step, :math:`w \leftarrow \operatorname{sign}(w)\max(|w| - c, 0)`: the proximal
    map of :math:`c\|w\|_1` (soft-thresholding, derived in :mod:`wdtheory.problems.proximal`)."""

    threshold: sp.Expr

    def apply(self, u: sp.Expr, first: bool) -> tuple[list[Assign], sp.Expr]:
        return [], u

    def project(self, w_new: sp.Expr) -> sp.Expr:
        return sp.sign(w_new) * sp.Max(sp.Abs(w_new) - self.threshold, 0)

    def describe(self) -> tuple[str, tuple[sp.Expr, ...], tuple[str, ...]]:
        return "proximal_l1", (self.threshold,), ()


@dataclass(frozen=True)
class Chain:
    """Transformations applied in order; see :func:`chain`."""

    transforms: tuple[Transform, ...]
    states: tuple[StateSlot, ...] = field(init=False)

    def __post_init__(self) -> None:
        slots = [slot for t in self.transforms for slot in t.states()]
        names = [slot.symbol.name for slot in slots]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise WdtheoryError(
                f"two transformations in one chain keep the same state {duplicates[0]!r}"
            )
        reserved = sorted(set(names) & {PARAM.name, GRAD.name, STEP.name, SCHEDULE.name})
        if reserved:
            raise WdtheoryError(
                f"a state may not be called {reserved[0]!r}: that is the parameter, the "
                "gradient, the step or the schedule"
            )
        object.__setattr__(self, "states", tuple(slots))

    @property
    def has_first_step_rule(self) -> bool:
        return any(t.has_first_step_rule for t in self.transforms)

    def program(self, first: bool = False) -> Program:
        """The assignments of one step (``first=True``: of step 1, where it differs); each is
        derived once per chain."""
        return self._first_program if first else self._program

    @cached_property
    def _program(self) -> Program:
        return self._derive_program(first=False)

    @cached_property
    def _first_program(self) -> Program:
        return self._derive_program(first=True) if self.has_first_step_rule else self._program

    def _derive_program(self, first: bool) -> Program:
        assignments: list[Assign] = []
        update: sp.Expr = GRAD
        for transform in self.transforms:
            emitted, update = transform.apply(update, first)
            assignments += emitted
        new_param = PARAM + update
        for transform in self.transforms:
            new_param = transform.project(new_param)
        return Program((*assignments, Assign(PARAM, new_param)), self.states)

    def substitute(self, mapping: dict[sp.Symbol, sp.Expr]) -> Chain:
        """The same chain with ``mapping`` applied to every transformation's expressions."""
        return Chain(tuple(t.substitute(mapping) for t in self.transforms))

    def label(self, values: dict[sp.Symbol, sp.Expr] | None = None, latex: bool = False) -> str:
        """The transformations in order, as text or LaTeX, with ``values`` substituted."""
        arrow = r" \to " if latex else " -> "
        return arrow.join(t.label(values, latex) for t in self.transforms)


def chain(*transforms: Transform | Iterable[Transform]) -> Chain:
    """Compose transformations (nested iterables are flattened), as optax's ``chain``."""
    flat: list[Transform] = []
    for item in transforms:
        flat.extend([item] if isinstance(item, Transform) else item)
    return Chain(tuple(flat))
