r"""Stepping with a lowered optimizer: ``init(params) -> state`` and ``step(params, grads, state)``.

>>> stepper = Stepper(Optimizer.from_spec("torch.adamw(lr=0.001)").with_defaults())
>>> state = stepper.init(params)
>>> params, state = stepper.step(params, grads, state)

Backends:

* ``numba`` (default on CPU): the fused in-place kernel, parallel over elements for large arrays;
* ``numpy``: the array-API code run by NumPy, writing the results into the same buffers;
* ``array_api``: the array-API code, functional, on whatever namespace the arrays belong to
  (``array_api_strict``, CuPy, NumPy...);
* ``cupy``: the CuPy ``ElementwiseKernel`` (needs a GPU).

All of them take float32 or float64 arrays of any shape. Hyperparameters are the optimizer's
numbers; ones left symbolic must be given in ``values`` (by spec key). ``varying`` names
hyperparameters whose numbers may change (between the runs of a batch,
:class:`~wdtheory.runtime.batch.BatchStepper`): the rule keeps them symbolic, with every part
they switch on (a momentum given as 0 keeps its buffer), and ``values`` gives this stepper's.
The step count and the schedule multiplier (``schedule=``, for rules that have one) are
per-step inputs.

For a training loop over fixed arrays, ``bind`` ties the stepper to them, as ``torch.optim``
ties an optimizer to its parameters: write the gradients into ``grads`` and call the bound step.

>>> step = stepper.bind(params, grads)       # checks the arrays once
>>> step()                                    # params and the state buffers updated in place
>>> step.state                                # OptState(step=1, buffers=...)

``validate=True`` (the default) checks every call: one namespace, shape and float dtype, one
buffer per state variable, finite gradients, a state made by ``init`` and, on the in-place
backends, writable arrays (on ``numba`` with a memory layout the kernel can update in place).
``validate=False`` is for loops that pass the same, known-good arrays every step and want the
few µs back: the caller vouches for namespace, layout, writability and finiteness, and the
Numba kernel then takes 1-D arrays as they are. What protects memory and the meaning of the
numbers stays checked (every array of the params' shape and float dtype, one buffer per state
variable, an ``OptState``: the kernel does no bounds checks and would compile an integer kernel
for integer arrays), so such a mistake is a one-line error, never a crash or a wrong number.

A rule that divides by :math:`\sqrt{v} + \epsilon` with ``eps=0`` is run as the libraries run
it (torch accepts ``eps=0``), but where it makes a parameter NaN or infinite — :math:`0/0` at an
element whose gradients were all 0 so far — a validated step says so in one line instead of
returning the NaN silently.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Collection, Mapping
from functools import cached_property, partial
from typing import Any, NamedTuple

import numpy as np
import sympy as sp

from wdtheory.core.errors import WdtheoryError, check_choice
from wdtheory.core.notation import SCHEDULE, STEP
from wdtheory.lowering.compile import LoweredRule, lower
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import ROLES
from wdtheory.runtime.checks import (
    all_finite,
    check_arrays,
    check_finite,
    check_shapes,
    check_sizes,
    check_state,
    check_writable,
    flat,
    namespace,
)
from wdtheory.runtime.param_group import ParamGroup
from wdtheory.runtime.tensor_list import TensorList

__all__ = ["BACKENDS", "BoundStep", "OptState", "ParamGroup", "Stepper"]

BACKENDS = ("numba", "numpy", "array_api", "cupy")

#: the Numba kernel runs on all threads from this much work per call (elements times the rule's
#: work per element, :meth:`KernelPlan.work_per_element <wdtheory.lowering.plan.KernelPlan.work_per_element>`); below, starting the threads costs more than it
#: saves. Measured with ``benchmarks/bench_threshold.py`` (2 cores, Intel and AMD): AdamW in
#: float32 (work 71: parallel from 7384 elements) gains from about 1e4 elements, SGD with
#: momentum in float32 (work 26) from about 2-3e4, both sooner in float64 (twice the bytes).
PARALLEL_WORK = 1 << 19

_new_tuple = tuple.__new__


class OptState(NamedTuple):
    """The optimizer state: the number of steps taken and one buffer per state variable
    (immutable and cheap to make: a step returns a new one)."""

    step: int
    buffers: tuple[Any, ...]


class Stepper:
    """``init`` and ``step`` for one optimizer on one backend (see the module doc)."""

    def __init__(
        self,
        optimizer: Optimizer,
        backend: str = "numba",
        *,
        values: Mapping[str, float] | None = None,
        validate: bool = True,
        varying: Collection[str] = (),
    ) -> None:
        values = values or {}
        optimizer.check_keys(varying)
        rule = optimizer.bind({k: v for k, v in values.items() if k not in varying})
        if varying:  # kept symbolic in the rule, with every part they switch on
            rule = rule.unbind(varying)
            optimizer = rule.bind({k: v for k, v in values.items() if k in varying})
        else:
            optimizer = rule
        #: the optimizer with this stepper's numbers; ``rule``: what the kernels compute
        self.optimizer, self.rule = optimizer, rule
        self.backend = check_choice("backend", backend, BACKENDS)
        self.validate = validate
        self.hyper = _numeric_values(optimizer, rule.used_symbols)
        chain = rule.chain
        self.scalars = (
            *(ROLES[r].symbol for r in dict.fromkeys(rule.definition.params.values())),
            STEP,
            SCHEDULE,
        )
        self.code = _Kernels(lower(rule.program(first=False), self.scalars))
        self.first_code = (
            _Kernels(lower(rule.program(first=True), self.scalars))
            if chain.has_first_step_rule
            else self.code
        )
        self.initial = tuple(_initial(slot.init, self.hyper) for slot in chain.states)
        self._run = getattr(self, f"_run_{self.backend}")
        self._states = len(chain.states)
        #: the names errors give the arrays a step updates (params, state buffer 0, ...)
        self.array_names = _names(self._states)
        eps = ROLES["eps"].symbol
        #: eps=0 in a rule that uses it: a validated step checks its result (see the module doc)
        self._zero_eps = validate and eps in rule.used_symbols and self.hyper[eps] == 0.0

    def init(self, params: Any) -> OptState:
        """Fresh state for ``params``: step 0 and buffers at their initial values."""
        xp = namespace(params)
        buffers = tuple(xp.full(params.shape, value, dtype=params.dtype) for value in self.initial)
        return OptState(0, buffers)

    def step(
        self, params: Any, grads: Any, state: OptState, *, schedule: float = 1.0
    ) -> tuple[Any, OptState]:
        """One step; NumPy/Numba/CuPy update ``params`` and the buffers in place and return them."""
        _check_state(state)
        self._check(params, grads, state.buffers)
        if schedule.__class__ is not float or schedule != 1.0:
            self._check_schedule(schedule)
        t = state.step + 1
        code = self.first_code if t == 1 else self.code
        params, buffers = self._run(
            code, params, grads, state.buffers, self._hyper, float(t), float(schedule)
        )
        if self._zero_eps:
            self.check_result(params, t)
        # tuple.__new__ directly: a NamedTuple's own __new__ is Python code, ~0.5 µs a call
        return params, _new_tuple(OptState, (t, buffers))

    def bind(self, params: Any, grads: Any, state: OptState | None = None) -> BoundStep:
        """The step tied to ``params``, ``grads`` and the buffers of ``state`` (default: a fresh
        ``init(params)``), updating them in place; see :class:`BoundStep`. ``grads`` may hold
        anything until the first call: it is the buffer the gradients are written into."""
        self._check_in_place("bind")
        state = self.init(params) if state is None else state
        check_state(state)
        check_shapes(params, grads, state.buffers, self._states)
        check_writable((params, *state.buffers), self.array_names)
        return BoundStep(self, params, grads, state)

    def step_group(self, group: ParamGroup, state: OptState, *, schedule: float = 1.0) -> OptState:
        """One step of every tensor of ``group`` (state from ``init(group.params)``): one kernel
        call over the decayed tensors and one, with weight decay 0, over the others."""
        self._check_in_place("step_group")
        _check_state(state)
        self._check(group.params, group.grads, state.buffers)
        if schedule.__class__ is not float or schedule != 1.0:
            self._check_schedule(schedule)
        t = state.step + 1
        code = self.first_code if t == 1 else self.code
        for part, hyper in (
            (slice(0, group.split), self._hyper),
            (slice(group.split, None), self._hyper_without_decay),
        ):
            if group.params[part].size:
                self._run(
                    code,
                    group.params[part],
                    group.grads[part],
                    tuple(b[part] for b in state.buffers),
                    hyper,
                    float(t),
                    float(schedule),
                )
        if self._zero_eps:
            self.check_result(group.params, t)
        return state._replace(step=t)

    def hyper_vector(self, numbers: Mapping[str, object]) -> np.ndarray:
        """The vector of hyperparameters the kernels take, with ``numbers`` (by spec key, each
        a plain number checked against its role's range) in place of this stepper's own; for
        callers whose numbers change while the rule stays (a torch param group under a
        learning-rate scheduler). A few µs: make it when the numbers change, not every step."""
        params = self.optimizer.definition.params
        self.optimizer.check_keys(numbers)
        values = dict(self.hyper)
        for key, value in numbers.items():
            role = ROLES[params[key]]
            values[role.symbol] = role.run_time_float(key, value)
        return np.array([values[s] for s in self.scalars[:-2]], dtype=np.float64)

    def step_in_place(
        self, params: Any, grads: Any, buffers: tuple, t: int, hyper: np.ndarray
    ) -> None:
        """Step ``t`` (1 for the first) on arrays the caller has checked, updated in place, with
        the hyperparameter vector ``hyper`` (from :meth:`hyper_vector`): what an adapter that
        keeps its own arrays and step counts calls (``wdtheory.torch``). No checks at all: the
        arrays must be what :meth:`step` would accept, 1-D for ``numba``."""
        code = self.first_code if t == 1 else self.code
        self._run(code, params, grads, buffers, hyper, float(t), 1.0)

    def step_tensors(self, tensors: TensorList, *, first: bool) -> None:
        """One step of every tensor of ``tensors`` (CPU memory), in place, in one kernel call:
        each with its row of numbers (:meth:`hyper_vector`, then its step count and schedule
        multiplier), on every thread when the list is large enough; ``first``: the tensors'
        first step (they all take the same one). What an adapter stepping a model's parameter
        list calls (``wdtheory.torch``). No checks: see :mod:`~wdtheory.runtime.tensor_list`."""
        code = self.first_code if first else self.code
        kernel = code.tensors_kernel(tensors)
        kernel(tensors.addresses, tensors.chunks, tensors.rows, tensors.like)

    def _check_in_place(self, method: str) -> None:
        if self.backend not in ("numba", "numpy", "cupy"):
            raise WdtheoryError(f"{method} updates in place; the {self.backend} backend does not")

    def _check(self, params: Any, grads: Any, buffers: tuple) -> None:
        """The checks of one call: all of them when validating, else :func:`check_sizes`
        (writability: by the runners, where the backend needs it)."""
        if self.validate:
            check_arrays(params, grads, buffers, self._states)
        else:
            check_sizes(params, grads, buffers, self._states)

    @property
    def checks_results(self) -> bool:
        """Whether :meth:`check_result` has anything to check (a validating stepper of a rule
        run with ``eps=0``)."""
        return self._zero_eps

    def check_result(self, params: Any, t: int) -> None:
        """After step ``t`` of a validating stepper with ``eps=0``: refuse to go on silently from
        NaN or infinite params (nothing to do otherwise)."""
        if self._zero_eps and not all_finite(params, namespace(params)):
            raise WdtheoryError(
                f"{self.optimizer.name}: step {t} made params NaN or infinite: with eps=0 the "
                "update divides by the root of a second moment that is 0 where every gradient "
                "so far was 0 (0/0); give eps > 0"
            )

    def _check_schedule(self, schedule: object) -> None:
        if isinstance(schedule, bool) or not isinstance(schedule, numbers.Real):
            raise WdtheoryError(
                f"schedule={schedule!r}: a schedule multiplier must be a real number >= 0, "
                f"not {type(schedule).__name__}"
            )
        if schedule == 1:
            return
        if not (math.isfinite(schedule) and schedule >= 0) or not self._scheduled:
            raise WdtheoryError(
                f"schedule={schedule!r}: a schedule multiplier must be finite and >= 0, and "
                f"{self.optimizer.name} takes one only if its rule has one (schedule=true in its "
                "spec, or Optimizer.scheduled())"
            )

    @cached_property
    def _scheduled(self) -> bool:
        """Whether the rule uses the schedule multiplier (else ``schedule=`` must stay 1)."""
        return any(SCHEDULE in code.plan_symbols for code in (self.code, self.first_code))

    @cached_property
    def _hyper(self) -> np.ndarray:
        """The hyperparameters in the plans' order (``scalars`` without step and schedule)."""
        return np.array([self.hyper[s] for s in self.scalars[:-2]], dtype=np.float64)

    @cached_property
    def _hyper_without_decay(self) -> np.ndarray:
        decay = ROLES["weight_decay"].symbol
        return np.array(
            [0.0 if s == decay else self.hyper[s] for s in self.scalars[:-2]], dtype=np.float64
        )

    # Each runner takes ``scalars = (hyper, t, schedule)`` and returns (params, buffers); the
    # Numba kernel computes its constants from them itself, the others on the host (prologue).

    def _run_numba(
        self, code: _Kernels, params: Any, grads: Any, buffers: tuple, *scalars: Any
    ) -> tuple:
        kernel = code.numba_kernel(params)
        try:
            if params.ndim == 1 and not self.validate:  # the caller vouches for the layout
                kernel(params, grads, *buffers, *scalars)
            else:
                kernel(flat(params), flat(grads), *map(flat, buffers), *scalars)
        except Exception:
            # Numba's typing error for a read-only array is many lines (free when nothing fails)
            check_writable((params, *buffers), self.array_names)
            raise
        return params, buffers

    def _run_numpy(
        self, code: _Kernels, params: Any, grads: Any, buffers: tuple, *scalars: Any
    ) -> tuple:
        cast = params.dtype.type
        new_param, *new_buffers = code.array_api(
            np, params, grads, *buffers, *map(cast, _constants(code, *scalars))
        )
        check_writable((params, *buffers), self.array_names)  # before a partial write
        for target, value in zip((params, *buffers), (new_param, *new_buffers), strict=True):
            target[...] = value
        return params, buffers

    def _run_array_api(
        self, code: _Kernels, params: Any, grads: Any, buffers: tuple, *scalars: Any
    ) -> tuple:
        xp = namespace(params)
        new_param, *new_buffers = code.array_api(
            xp, params, grads, *buffers, *_constants(code, *scalars)
        )
        dtype = params.dtype  # 0-d inputs come back as scalars: keep them arrays
        return xp.asarray(new_param, dtype=dtype), tuple(
            xp.asarray(b, dtype=dtype) for b in new_buffers
        )

    def _run_cupy(
        self, code: _Kernels, params: Any, grads: Any, buffers: tuple, *scalars: Any
    ) -> tuple:
        cast = params.dtype.type
        code.cupy(grads, *map(cast, _constants(code, *scalars)), params, *buffers)
        return params, buffers


class BoundStep:
    """A :class:`Stepper` tied to fixed arrays: ``bound(schedule=1.0)`` takes one step in place.

    The arrays are checked once, by :meth:`Stepper.bind`; a call then checks only that the
    gradients are finite (when the stepper validates) and a schedule multiplier other than 1.
    On ``numba`` the kernels (serial or parallel, for the first and the later steps) are chosen
    at binding and called with the arrays already flattened, so a call costs about what a
    hand-written kernel's call does. ``state`` is the :class:`OptState` after the steps taken.
    """

    def __init__(self, stepper: Stepper, params: Any, grads: Any, state: OptState) -> None:
        self.stepper, self.params, self.grads = stepper, params, grads
        self._buffers, self._t, self._hyper = state.buffers, state.step, stepper._hyper
        self._xp = namespace(params) if stepper.validate else None
        if stepper.backend == "numba":
            arrays = tuple(map(flat, (params, grads, *state.buffers)))

            def runner(code: _Kernels) -> Callable:
                return partial(code.numba_kernel(params), *arrays)
        else:

            def runner(code: _Kernels) -> Callable:
                return partial(stepper._run, code, params, grads, state.buffers)

        # the first step's kernel only if the first step is still to come (compiled on demand)
        self._first = runner(stepper.first_code) if state.step == 0 else None
        self._later = runner(stepper.code)

    @property
    def state(self) -> OptState:
        return OptState(self._t, self._buffers)

    def __call__(self, schedule: float = 1.0) -> None:
        if schedule.__class__ is not float or schedule != 1.0:
            self.stepper._check_schedule(schedule)
        if self._xp is not None:
            check_finite(self.grads, self._xp)
        self._t = t = self._t + 1
        (self._first if t == 1 else self._later)(self._hyper, float(t), float(schedule))
        if self.stepper._zero_eps:
            self.stepper.check_result(self.params, t)


def _check_state(state: Any) -> None:
    """:func:`check_state`, after a fast look at the usual case (an OptState from ``init``)."""
    if (
        state.__class__ is not OptState
        or state.step.__class__ is not int
        or state.step < 0
        or state.buffers.__class__ is not tuple
    ):
        check_state(state)


def _names(states: int) -> tuple[str, ...]:
    """The names errors give the arrays a step updates: params and the state buffers."""
    return ("params", *(f"state buffer {i}" for i in range(states)))


def _constants(code: _Kernels, hyper: np.ndarray, t: float, schedule: float) -> tuple:
    """The hoisted constants of ``code``, computed on the host in float64."""
    return code.prologue(*hyper.tolist(), t, schedule)


class _Kernels:
    """A lowered rule as this stepper runs it: its prologue and array-API step, and the serial
    or parallel Numba kernel by the size of the arrays (``parallel_from``: itemsize -> number of
    elements from which the parallel one runs; see :data:`PARALLEL_WORK`). The rule and its
    compiled functions are shared by every stepper of the rule; the two kernels are also kept
    here, so that a step reaches its kernel in one lookup (and a stepper's use of each shows)."""

    def __init__(self, rule: LoweredRule) -> None:
        self.rule = rule
        self.prologue = rule.prologue
        self.plan_symbols = rule.prologue_symbols
        self.parallel_from = {
            itemsize: PARALLEL_WORK // rule.plan.work_per_element(itemsize) for itemsize in (4, 8)
        }

    @property
    def array_api(self) -> Callable:
        return self.rule.array_api

    def parallel(self, elements: int, itemsize: int) -> bool:
        """Whether ``elements`` of ``itemsize`` bytes in one call run on every thread."""
        return elements >= self.parallel_from[itemsize]

    def numba_kernel(self, params: Any) -> Callable:
        """The serial or the parallel kernel, whichever runs ``params``."""
        if self.parallel(params.size, params.itemsize):
            return self.numba_parallel
        return self.numba_serial

    def tensors_kernel(self, tensors: TensorList) -> Callable:
        """The serial or the parallel kernel of a list of tensors, whichever runs ``tensors``
        (by all their elements)."""
        if self.parallel(tensors.elements, tensors.like.itemsize):
            return self.rule.numba_tensors_parallel
        return self.rule.numba_tensors_serial

    @cached_property
    def numba_serial(self) -> Callable:
        return self.rule.numba_serial

    @cached_property
    def numba_parallel(self) -> Callable:
        return self.rule.numba_parallel

    @property
    def cupy(self) -> Callable:
        return self.rule.cupy


def _numeric_values(optimizer: Optimizer, used: frozenset[sp.Symbol]) -> dict[sp.Symbol, float]:
    """Canonical symbol → float for every hyperparameter of ``optimizer`` that the rule uses
    (``used``), which must be numbers (one the rule does not use, like the dampening of SGD
    without momentum, may stay symbolic)."""
    numbers = {}
    for key, role_name in optimizer.definition.params.items():
        value, role = optimizer.values[key], ROLES[role_name]
        if role.symbol not in used:
            numbers[role.symbol] = 0.0
            continue
        if not value.is_number:
            raise WdtheoryError(
                f"{optimizer.name}: {key}={value} is symbolic; give values={{'{key}': ...}} "
                "or use .with_defaults() for the library default"
            )
        numbers[role.symbol] = role.to_float(key, value)
    return numbers


def _initial(init: sp.Expr, hyper: Mapping[sp.Symbol, float]) -> float:
    return float(init.xreplace(hyper))
