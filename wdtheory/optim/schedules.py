r"""Learning-rate schedules as exact expressions: the multiplier :math:`s_t` of step :math:`t`.

A schedule here is what the rules call :math:`s_t` (:data:`~wdtheory.core.notation.SCHEDULE`):
the learning rate of optimizer step :math:`t = 1, 2, \dots` is :math:`\eta\, s_t`. Each is a SymPy
expression in :math:`t` (:data:`~wdtheory.core.notation.STEP`), exact for exact parameters, so
that the engines can substitute it for :math:`s_t` and reason about it (the total shrink
:math:`\prod_t (1 - \eta s_t \lambda)` of a decoupled decay, say), and the numbers of a run are
its values at :math:`t = 1, \dots, n`.

**Indexing.** A training loop steps the optimizer, then the scheduler; so step :math:`t` runs
with the scheduler's counter at :math:`k = t - 1` — torch's ``last_epoch`` after ``t - 1`` calls
of ``scheduler.step()``, optax's ``count`` before the update. Every formula below is written in
:math:`k`.

The pieces, with the library function each reproduces:

* :func:`constant` — ``torch.optim.lr_scheduler.ConstantLR`` (with ``factor`` and ``total_iters``),
  ``optax.constant_schedule``;
* :func:`piecewise` — ``MultiStepLR`` (:math:`\gamma^{\#\{m \le k\}}`),
  ``optax.piecewise_constant_schedule`` (each scale from the count of its boundary on, as its
  code does; its docstring says after the boundary);
* :func:`exponential` — ``ExponentialLR`` (:math:`\gamma^k`), ``optax.exponential_decay``;
* :func:`linear` — ``LinearLR``, ``optax.linear_schedule``:
  :math:`a + (b - a)\min(\max(k - k_0, 0)/n, 1)`;
* :func:`cosine` — ``CosineAnnealingLR`` (closed form), ``optax.cosine_decay_schedule``:
  :math:`\alpha + (1 - \alpha)\bigl(\tfrac12(1 + \cos(\pi \min(k, n)/n))\bigr)^p` (torch does
  not clip at :math:`n`; ``clip=False`` continues the cosine);
* :func:`join` — ``SequentialLR``, ``optax.join_schedules``: the :math:`i`-th schedule from its
  boundary on, restarted at :math:`k = 0` there;
* :func:`warmup_cosine` — ``optax.warmup_cosine_decay_schedule`` (a :func:`linear` warm-up
  joined to a :func:`cosine` decay), relative to the peak.

:func:`from_torch` reads a live torch scheduler of those classes (its parameters, not its
state) into a schedule. Values are checked against torch's schedulers and optax's schedule
functions in the tests.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from wdtheory.core.errors import WdtheoryError, did_you_mean
from wdtheory.core.hyperparams import as_hyper, check_interval, show
from wdtheory.core.notation import STEP
from wdtheory.core.spec import parse_spec

__all__ = [
    "SCHEDULES",
    "Schedule",
    "constant",
    "cosine",
    "exponential",
    "from_spec",
    "from_torch",
    "join",
    "linear",
    "piecewise",
    "warmup_cosine",
]

#: the scheduler's counter of step t: the number of scheduler steps before it
K = STEP - 1


def _before(count: int) -> sp.Basic:
    r"""The condition that the counter has not reached ``count``: :math:`k < \mathrm{count}`."""
    return sp.Lt(K, count)


@dataclass(frozen=True)
class Schedule:
    """The multiplier :math:`s_t` as an expression in :math:`t` (``expr``), with the text that
    made it (``text``, e.g. ``cosine(steps=100)``) and its ``length``: the number of steps after
    which the multiplier stays what it is (0: constant; None: it never settles, as an
    exponential decay or torch's unclipped cosine)."""

    text: str
    expr: sp.Expr
    length: int | None = 0

    @property
    def varies(self) -> bool:
        """Whether the multiplier changes from step to step."""
        return STEP in self.expr.free_symbols

    @property
    def final(self) -> sp.Expr | None:
        """The multiplier the schedule settles at (None if it never settles)."""
        return None if self.length is None else self.at(self.length + 1)

    def at(self, t: int) -> sp.Expr:
        """The exact multiplier of step ``t`` (1 for the first)."""
        if isinstance(t, bool) or not isinstance(t, int) or t < 1:
            raise WdtheoryError(f"step t={t!r}: steps are counted from 1")
        return self.expr.subs(STEP, t)

    def values(self, steps: int) -> np.ndarray:
        """The multipliers of steps 1 to ``steps`` as float64, evaluated by NumPy from the
        expression (printed by SymPy's NumPy printer from this module's own expressions: no
        user text), so that a run of 10⁶ steps takes milliseconds."""
        t = np.arange(1, _count("steps", steps, 0) + 1, dtype=np.float64)
        return np.broadcast_to(np.asarray(self._numeric(t), dtype=np.float64), t.shape).copy()

    @cached_property
    def _numeric(self) -> Callable[[np.ndarray], np.ndarray]:
        return sp.lambdify(STEP, self.expr, modules="numpy")

    def then(self, other: Schedule, after: int) -> Schedule:
        """This schedule for the first ``after`` steps, then ``other`` from its own start."""
        return join([self, other], [after])

    def __repr__(self) -> str:
        return f"Schedule({self.text})"


def _number(
    name: str, value: object, low: float = 0, high: float = np.inf, **kwargs: Any
) -> sp.Expr:
    exact = as_hyper(name, value)
    if not exact.is_number:
        raise WdtheoryError(f"{name}={show(exact)}: a schedule takes numbers")
    return check_interval(name, exact, low, high, **kwargs)


def _count(name: str, value: object, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        shown = show(value) if isinstance(value, sp.Basic) else repr(value)
        raise WdtheoryError(f"{name}={shown}: give a whole number >= {low}")
    return int(value)


def constant(factor: object = 1, until: int | None = None) -> Schedule:
    """``factor`` for the first ``until`` steps (all of them if None), then 1 (``ConstantLR``)."""
    value = _number("factor", factor)
    if until is None:
        return Schedule(f"constant({show(value)})", value)
    steps = _count("until", until)
    return Schedule(
        f"constant({show(value)}, until={steps})",
        sp.Piecewise((value, _before(steps)), (1, True)),
        steps,
    )


def piecewise(boundaries: Sequence[int], scales: Sequence[object]) -> Schedule:
    """1, multiplied by ``scales[i]`` from step ``boundaries[i] + 1`` on (``MultiStepLR`` with
    one ``gamma`` for every boundary; ``optax.piecewise_constant_schedule``)."""
    bounds = [_count("boundary", b, 0) for b in boundaries]
    factors = [_number("scale", s) for s in scales]
    if len(bounds) != len(factors) or bounds != sorted(set(bounds)):
        raise WdtheoryError("give one scale per boundary, the boundaries increasing")
    pieces, value = [], sp.Integer(1)
    for bound, factor in zip(bounds, factors, strict=True):
        pieces.append((value, _before(bound)))
        value = value * factor
    pieces.append((value, True))
    text = ", ".join(f"{b}: {show(f)}" for b, f in zip(bounds, factors, strict=True))
    return Schedule(f"piecewise({text})", sp.Piecewise(*pieces), bounds[-1] if bounds else 0)


def exponential(gamma: object, every: int = 1) -> Schedule:
    r""":math:`\gamma^{\lfloor k / \mathrm{every} \rfloor}` (``ExponentialLR``; ``StepLR`` with
    ``step_size=every``; optax's ``exponential_decay(staircase=True)``)."""
    rate = _number("gamma", gamma)
    steps = _count("every", every)
    exponent = K if steps == 1 else (K - sp.Mod(K, steps)) / steps  # floor, exact in floats
    return Schedule(f"exponential({show(rate)}, every={steps})", rate**exponent, None)


def linear(start: object, end: object, steps: int, begin: int = 0) -> Schedule:
    """From ``start`` to ``end`` over ``steps`` steps, after ``begin`` steps at ``start``."""
    a, b = _number("start", start), _number("end", end)
    n, k0 = _count("steps", steps), _count("begin", begin, 0)
    fraction = sp.Min(sp.Max(K - k0, 0), n) / n
    return Schedule(
        f"linear({show(a)} -> {show(b)}, steps={n}" + (f", begin={k0})" if k0 else ")"),
        a + (b - a) * fraction,
        k0 + n,
    )


def cosine(steps: int, floor: object = 0, exponent: object = 1, clip: bool = True) -> Schedule:
    """Half a cosine from 1 down to ``floor`` over ``steps`` steps, then ``floor`` (``clip``;
    optax) or on along the cosine (torch's ``CosineAnnealingLR``)."""
    n = _count("steps", steps)
    alpha = _number("floor", floor, 0, 1, closed_high=True)
    p = _number("exponent", exponent, 0, closed_low=False)
    k = sp.Min(K, n) if clip else K
    wave = (1 + sp.cos(sp.pi * k / n)) / 2
    text = f"cosine(steps={n}" + (f", floor={show(alpha)}" if alpha else "")
    text += (f", exponent={show(p)}" if p != 1 else "") + ("" if clip else ", clip=false") + ")"
    return Schedule(text, alpha + (1 - alpha) * wave**p, n if clip else None)


def join(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """The i-th schedule from step ``boundaries[i-1] + 1`` on, started afresh there
    (``SequentialLR``, ``optax.join_schedules``)."""
    bounds = [_count("boundary", b) for b in boundaries]
    if len(schedules) != len(bounds) + 1 or bounds != sorted(set(bounds)):
        raise WdtheoryError("join takes one boundary fewer than schedules, increasing")
    starts = [0, *bounds]
    pieces = [
        (schedule.expr.subs(STEP, STEP - start), _before(end))
        for schedule, start, end in zip(schedules, starts, bounds, strict=False)
    ]
    pieces.append((schedules[-1].expr.subs(STEP, STEP - starts[-1]), True))
    text = " then ".join(
        f"{s.text} for {e - b}" for s, b, e in zip(schedules, starts, bounds, strict=False)
    )
    last = schedules[-1].length
    return Schedule(
        f"{text} then {schedules[-1].text}",
        sp.Piecewise(*pieces),
        None if last is None else starts[-1] + last,
    )


def warmup_cosine(
    warmup: int, steps: int, start: object = 0, end: object = 0, exponent: object = 1
) -> Schedule:
    """``optax.warmup_cosine_decay_schedule`` relative to its peak: linear from ``start`` to 1
    over ``warmup`` steps, then a cosine to ``end`` reached at step ``steps`` (``decay_steps``
    counts the warm-up)."""
    n, w = _count("steps", steps), _count("warmup", warmup, 0)
    if n <= w:
        raise WdtheoryError(f"steps={n} must exceed warmup={w}: the decay takes steps - warmup")
    decay = cosine(n - w, floor=end, exponent=exponent)
    if w == 0:
        return decay
    return join([linear(start, 1, w), decay], [w])


#: torch scheduler class name -> how to read it
_TORCH = {
    "ConstantLR": lambda s: constant(s.factor, s.total_iters),
    "StepLR": lambda s: exponential(s.gamma, s.step_size),
    "ExponentialLR": lambda s: exponential(s.gamma),
    "MultiStepLR": lambda s: piecewise(
        sorted(s.milestones),
        [as_hyper("gamma", s.gamma) ** s.milestones[m] for m in sorted(s.milestones)],
    ),
    "LinearLR": lambda s: linear(s.start_factor, s.end_factor, s.total_iters),
    "CosineAnnealingLR": lambda s: _torch_cosine(s),
    "SequentialLR": lambda s: join([from_torch(c) for c in s._schedulers], list(s._milestones)),
}


#: torch's argument names for ours, by scheduler class (a refusal names the user's argument)
_TORCH_ARGUMENTS = {
    "ConstantLR": {"until": "total_iters"},
    "StepLR": {"every": "step_size"},
    "MultiStepLR": {"boundary": "milestones", "scale": "gamma"},
    "LinearLR": {"start": "start_factor", "end": "end_factor", "steps": "total_iters"},
    "CosineAnnealingLR": {"steps": "T_max", "floor": "eta_min / lr"},
}


def _torch_cosine(scheduler: Any) -> Schedule:
    floors = {float(scheduler.eta_min) / float(base) for base in scheduler.base_lrs}
    if len(floors) != 1:
        raise WdtheoryError(
            "CosineAnnealingLR with eta_min a different fraction of each group's lr"
        )
    return cosine(scheduler.T_max, floor=floors.pop(), clip=False)


def from_torch(scheduler: Any) -> Schedule:
    """The schedule of a ``torch.optim.lr_scheduler`` object (one of ``ConstantLR``, ``StepLR``,
    ``ExponentialLR``, ``MultiStepLR``, ``LinearLR``, ``CosineAnnealingLR`` or a
    ``SequentialLR`` of them), read from its parameters; ``LambdaLR`` and the others run user
    code or depend on the run (``ReduceLROnPlateau``) and are refused in one line."""
    name = type(scheduler).__name__
    reader = _TORCH.get(name)
    if reader is None:
        raise WdtheoryError(
            f"cannot read a {name}: its multipliers are not given by parameters; "
            f"readable: {', '.join(sorted(_TORCH))}"
        )
    try:
        return reader(scheduler)
    except WdtheoryError as error:
        text = str(error)
        for ours, theirs in _TORCH_ARGUMENTS.get(name, {}).items():
            text = re.sub(rf"\b{ours}=", f"{theirs}=", text)
        raise WdtheoryError(f"{name}: {text}") from None


#: the schedules a spec can name (``warmup_cosine(warmup=2000, steps=100000)``)
SCHEDULES = {
    "constant": constant,
    "piecewise": piecewise,
    "exponential": exponential,
    "linear": linear,
    "cosine": cosine,
    "warmup_cosine": warmup_cosine,
}


def from_spec(text: str) -> Schedule:
    """A schedule from spec text such as ``"cosine(steps=1000, floor=0.1)"`` (parsed safely by
    :func:`~wdtheory.core.spec.parse_spec`; keyword arguments only)."""
    spec = parse_spec(text)
    make = SCHEDULES.get(spec.name)
    if make is None:
        raise WdtheoryError(
            f"unknown schedule {spec.name!r}{did_you_mean(spec.name, SCHEDULES)}; "
            f"allowed: {', '.join(SCHEDULES)}"
        )
    if spec.args or spec.symbolic:
        raise WdtheoryError(f"write {spec.name}(key=value, ...): keyword arguments only")
    accepted = inspect.signature(make).parameters
    arguments = {}
    for key, value in spec.params:
        if key not in accepted:
            raise WdtheoryError(
                f"{spec.name} has no parameter {key!r}{did_you_mean(key, accepted)}; "
                f"allowed: {', '.join(accepted)}"
            )
        arguments[key] = _plain(value)
    try:
        return make(**arguments)
    except TypeError as error:  # a required parameter left out
        raise WdtheoryError(f"{spec.name}: {error}".replace(make.__name__ + "() ", "")) from None


def _plain(value: object) -> object:
    """A spec value as the constructors take it: whole numbers as int, tuples as lists."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, sp.Integer):
        return int(value)
    return value
