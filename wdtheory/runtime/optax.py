r"""Any wdtheory rule as an optax ``GradientTransformation``: :func:`transformation`.

>>> tx = transformation("sgdw(lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=true)")
>>> state = tx.init(params)                         # params: any pytree of float arrays
>>> updates, state = tx.update(grads, state, params)
>>> params = optax.apply_updates(params, updates)

**What a step computes.** The rule's lowered array-API step (the code the ``array_api`` backend
of :class:`~wdtheory.runtime.stepper.Stepper` runs) is run by ``jax.numpy`` on every leaf: with
:math:`t` = ``count + 1`` and :math:`s_t` = ``schedule(count)`` (1 without a schedule),

.. math::

    (w', s'_1, \dots, s'_k) = R_t(w, g, s_1, \dots, s_k;\ h, s_t), \qquad
    \text{updates} = w' - w, \qquad \text{state} \leftarrow (t, s'_1, \dots, s'_k),

where :math:`R_t` is the rule's step (its first-step rule at :math:`t = 1`, e.g. PyTorch's
momentum buffer starting as a copy of :math:`g`) and :math:`h` its hyperparameters; a leaf that
a ``mask`` leaves out takes the same step with weight decay :math:`\lambda = 0`. Adding the
updates gives :math:`w + (w' - w)`, which is :math:`w'` exactly when :math:`w'/w \in [1/2, 2]`
(the subtraction is then exact) and within half an ulp of :math:`w'` otherwise.

**Precision.** The hoisted scalar constants (e.g. :math:`1/(1-\beta_1^t)`) are computed from
Python floats on the host where they do not depend on :math:`t` or :math:`s_t`, otherwise by
``jax.numpy`` in JAX's default float (float64 under ``jax_enable_x64``, else float32, as optax
computes its bias corrections); each constant is then cast to the leaf's dtype, as the
Stepper casts its float64 constants, so a leaf's arithmetic stays in its own dtype.

**jit.** ``init`` and ``update`` are pure and jit-compatible: the count is a traced int32, the
first-step rule is selected by ``lax.cond`` on it, and the constants that depend on
:math:`t` are computed from the traced count (the printed prologue's ``math`` calls are given
``jax.numpy``'s functions where their argument is traced). The checks (structure, dtypes,
shapes, mask) look only at what is static under ``jit``; a non-finite gradient is not checked
(with ``eps=0``, :math:`0/0` gives NaN, as in the libraries).
"""

from __future__ import annotations

import builtins
import math
import numbers
import types
from collections import namedtuple
from collections.abc import Callable, Mapping
from functools import cache, partial
from typing import Any

import numpy as np

from wdtheory.core.errors import WdtheoryError
from wdtheory.core.notation import SCHEDULE
from wdtheory.lowering.compile import LoweredRule, lower
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import ROLES
from wdtheory.runtime.stepper import Stepper

try:
    import jax
    import jax.numpy as jnp
    import optax
except ImportError as error:  # pragma: no cover - the jax extra is not installed
    raise ImportError(
        f"wdtheory.optax needs jax and optax ({error.name} is missing): pip install 'wdtheory[jax]'"
    ) from None

__all__ = ["state_class", "transformation"]

#: an optax schedule: the step count before this step (0, 1, ...) -> the multiplier s_t
Schedule = Callable[[Any], Any]


def transformation(
    spec: str | Optimizer,
    *,
    values: Mapping[str, float] | None = None,
    schedule: Schedule | None = None,
    mask: Any = None,
) -> optax.GradientTransformation:
    """The optax ``GradientTransformation`` of an optimizer (a spec or an
    :class:`~wdtheory.optim.optimizer.Optimizer`; see the module doc for the step).

    ``values`` gives numbers to hyperparameters left symbolic, by spec key (optax's presets have
    no default learning rate: ``values={"learning_rate": 1e-3}`` or write it in the spec).
    ``schedule`` is an optax schedule of the multiplier :math:`s_t` (called with the count
    before the step, as ``optax.scale_by_schedule`` calls it), for rules that take one
    (``schedule=true`` in the spec, or ``Optimizer.scheduled()``: every :math:`\\eta` becomes
    :math:`\\eta s_t`). ``mask`` chooses the leaves that decay, as in
    ``optax.add_decayed_weights(mask=...)``: a pytree of bools with the params' structure (or a
    prefix of it), or a function of the params returning one; the others step with weight
    decay 0. What cannot be honoured is a one-line :class:`~wdtheory.core.errors.WdtheoryError`.
    """
    return _Rule(_optimizer(spec), values, schedule, mask).transformation()


def _optimizer(spec: object) -> Optimizer:
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, str):
        return Optimizer.from_spec(spec)
    raise WdtheoryError(
        f"wdtheory.optax.transformation takes a spec or an Optimizer, not {type(spec).__name__}"
    )


@cache
def state_class(names: tuple[str, ...]) -> type:
    """The state of a rule whose state variables are ``names``: a NamedTuple ``(count, *names)``
    (one pytree of the params' structure per variable), one class per tuple of names, kept in
    this module under a name of its own so that states pickle."""
    cls = namedtuple("RuleState", ("count", *names))
    cls.__module__ = __name__
    cls.__qualname__ = "_RuleState__" + "__".join(names)
    cls.__doc__ = f"count (int32, steps taken) and the pytrees {', '.join(names) or '(none)'}"
    globals()[cls.__qualname__] = cls
    return cls


class _TracedMath:
    """``math`` for the printed prologue: ``math.f(x)`` on Python numbers (exact float64 on the
    host), ``jax.numpy.f(x)`` when an argument is traced (it depends on t or s_t)."""

    def __getattr__(self, name: str) -> Any:
        exact = getattr(math, name)
        if not callable(exact):
            return exact  # math.pi, math.e
        traced = getattr(jnp, name)

        def function(*args: Any) -> Any:
            if all(isinstance(a, numbers.Real) for a in args):
                return exact(*args)
            return traced(*args)

        return function


_GLOBALS = {"math": _TracedMath(), "__builtins__": builtins}


class _Kernel:
    """One lowered rule as this module runs it: its prologue, rebound to :class:`_TracedMath`,
    and its array-API step."""

    def __init__(self, rule: LoweredRule) -> None:
        code = rule.prologue.__code__
        self.prologue = types.FunctionType(code, _GLOBALS, "prologue")
        self.step = rule.array_api
        self.uses_schedule = SCHEDULE in rule.prologue_symbols


class _Rule:
    """The hyperparameters, kernels and checks behind one :func:`transformation`."""

    def __init__(
        self,
        optimizer: Optimizer,
        values: Mapping[str, float] | None,
        schedule: Schedule | None,
        mask: Any,
    ) -> None:
        stepper = Stepper(optimizer, "array_api", values=values)  # refuses what is symbolic
        optimizer = self.optimizer = stepper.optimizer
        self.name = optimizer.name
        self.later = _Kernel(lower(optimizer.program(first=False), stepper.scalars))
        self.first = (
            _Kernel(lower(optimizer.program(first=True), stepper.scalars))
            if optimizer.chain.has_first_step_rule
            else self.later
        )
        self.names = tuple(slot.symbol.name for slot in optimizer.chain.states)
        self.State = state_class(self.names)
        self.initial = stepper.initial
        decay = ROLES["weight_decay"].symbol
        #: the hyperparameters in the prologue's order, for decayed leaves (True) and the others
        self.hyper = {
            decays: [
                0.0 if s == decay and not decays else stepper.hyper[s] for s in stepper.scalars[:-2]
            ]
            for decays in (True, False)
        }
        self.schedule = self._check_schedule(schedule)
        self.mask = self._check_mask(mask, decay in optimizer.used_symbols)

    # ------------------------------------------------------------------ construction checks

    def _check_schedule(self, schedule: object) -> Schedule | None:
        if schedule is None:
            return None
        if not callable(schedule):
            raise WdtheoryError(
                f"schedule={schedule!r}: give an optax schedule, a function of the step count "
                "returning the multiplier s_t"
            )
        if not (self.later.uses_schedule or self.first.uses_schedule):
            raise WdtheoryError(
                f"{self.name} takes no schedule multiplier; write schedule=true in its spec or "
                "use Optimizer.scheduled() (every learning rate eta becomes eta*s_t)"
            )
        return schedule

    def _check_mask(self, mask: object, decays: bool) -> object:
        if mask is not None and not decays:
            raise WdtheoryError(f"mask: {self.name} has no weight decay for a mask to switch off")
        return mask

    # ------------------------------------------------------------------ init and update

    def transformation(self) -> optax.GradientTransformation:
        return optax.GradientTransformation(self.init, self.update)

    def init(self, params: Any) -> Any:
        leaves = self._leaves(params, "params")
        treedef = jax.tree.structure(params)
        trees = [
            jax.tree.unflatten(treedef, [jnp.full_like(w, value) for _, w in leaves])
            for value in self.initial
        ]
        return self.State(jnp.zeros([], jnp.int32), *trees)

    def update(self, grads: Any, state: Any, params: Any = None) -> tuple[Any, Any]:
        if params is None:
            raise WdtheoryError(
                f"{self.name}: update needs params (the rule's step depends on them): "
                "tx.update(grads, state, params)"
            )
        self._check_state(state)
        treedef = jax.tree.structure(params)
        leaves = [w for _, w in self._leaves(params, "params")]
        grads_ = self._matching(grads, treedef, leaves, "grads")
        buffers = [
            self._matching(tree, treedef, leaves, f"state.{name}")
            for name, tree in zip(self.names, state[1:], strict=True)
        ]
        decayed = self._decayed(params, treedef, len(leaves))
        count = state.count
        operands = (leaves, grads_, buffers, count)
        run = partial(self._step, decayed=decayed)
        if self.first is self.later:
            new_params, new_buffers = run(self.later, *operands)
        else:
            new_params, new_buffers = jax.lax.cond(
                count == 0, partial(run, self.first), partial(run, self.later), *operands
            )
        updates = [new - w for new, w in zip(new_params, leaves, strict=True)]
        trees = [jax.tree.unflatten(treedef, b) for b in new_buffers]
        new_state = self.State(optax.safe_increment(count), *trees)
        return jax.tree.unflatten(treedef, updates), new_state

    def _step(
        self,
        kernel: _Kernel,
        params: list,
        grads: list,
        buffers: list[list],
        count: Any,
        *,
        decayed: tuple[bool, ...],
    ) -> tuple[list, list[list]]:
        """Every leaf's step: ``(new params, [new leaves of each state variable])``."""
        t = jnp.asarray(count + 1, float)  # JAX's default float: float64 under x64
        s = 1.0 if self.schedule is None else jnp.asarray(self.schedule(count), float)
        constants = {
            flag: kernel.prologue(*self.hyper[flag], t, s) for flag in sorted(set(decayed))
        }
        new_params, new_buffers = [], [[] for _ in self.names]
        for i, (w, g) in enumerate(zip(params, grads, strict=True)):
            cast = [jnp.asarray(c, w.dtype) for c in constants[decayed[i]]]
            new_w, *news = kernel.step(jnp, w, g, *(b[i] for b in buffers), *cast)
            new_params.append(jnp.asarray(new_w, w.dtype))
            for target, new in zip(new_buffers, news, strict=True):
                target.append(jnp.asarray(new, w.dtype))
        return new_params, new_buffers

    # ------------------------------------------------------------------ per-call checks

    def _leaves(self, tree: Any, what: str) -> list[tuple[str, Any]]:
        """``(path, leaf)`` of every leaf, each a real float array JAX can hold."""
        leaves = []
        for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
            where = f"{what}{jax.tree_util.keystr(path)}"
            dtype = getattr(leaf, "dtype", None)
            if dtype is None or not hasattr(leaf, "shape"):
                raise WdtheoryError(
                    f"{self.name}: {where} is a {type(leaf).__name__}, not an array; give "
                    "arrays of float32 or float64"
                )
            if not jnp.issubdtype(dtype, jnp.floating):
                kind = "complex" if jnp.issubdtype(dtype, jnp.complexfloating) else "not float"
                raise WdtheoryError(
                    f"{self.name}: {where} has dtype {dtype} ({kind}); the rule steps real "
                    "float leaves only"
                )
            if jax.dtypes.canonicalize_dtype(dtype) != dtype:
                raise WdtheoryError(
                    f"{self.name}: {where} is {dtype}, which JAX holds only with "
                    "jax.config.update('jax_enable_x64', True)"
                )
            leaves.append((where, leaf))
        return leaves

    def _matching(self, tree: Any, treedef: Any, params: list, what: str) -> list:
        """The leaves of ``tree``, which must have the params' structure, shapes and dtypes."""
        if jax.tree.structure(tree) != treedef:
            raise WdtheoryError(
                f"{self.name}: {what} has the structure {jax.tree.structure(tree)}, the params "
                f"{treedef}"
            )
        leaves = self._leaves(tree, what)
        for (where, leaf), w in zip(leaves, params, strict=True):
            if leaf.shape != w.shape or leaf.dtype != w.dtype:
                raise WdtheoryError(
                    f"{self.name}: {where} is {leaf.dtype}{list(leaf.shape)} but its param "
                    f"{w.dtype}{list(w.shape)}; give one of each param's shape and dtype"
                )
        return [leaf for _, leaf in leaves]

    def _check_state(self, state: object) -> None:
        if not isinstance(state, self.State):
            raise WdtheoryError(
                f"{self.name}: the state must be the {self.State.__name__}"
                f"{self.State._fields} made by this rule's init, not {type(state).__name__}"
            )

    def _decayed(self, params: Any, treedef: Any, n: int) -> tuple[bool, ...]:
        """Whether each leaf decays: all of them without a mask, else the mask's bools (a tree
        of the params' structure or a prefix of it, or a function of the params)."""
        if self.mask is None:
            return (True,) * n
        mask = self.mask(params) if callable(self.mask) else self.mask
        try:
            full = jax.tree.map(
                lambda flag, subtree: jax.tree.map(lambda _: flag, subtree), mask, params
            )
        except (ValueError, TypeError):
            raise WdtheoryError(
                f"{self.name}: the mask has the structure {jax.tree.structure(mask)}, which is "
                f"not the params' {treedef} nor a prefix of it"
            ) from None
        flags = jax.tree.leaves(full)
        if len(flags) != n or not all(isinstance(f, bool | np.bool_) for f in flags):
            raise WdtheoryError(
                f"{self.name}: a mask's leaves must be Python bools (True: the leaf decays), "
                f"one per param; got {sorted({type(f).__name__ for f in flags})}"
            )
        return tuple(map(bool, flags))
