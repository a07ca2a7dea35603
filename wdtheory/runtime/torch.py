r"""A ``torch.optim.Optimizer`` from any spec: the lowered rule steps real torch parameters.

>>> optimizer = wdtheory.torch.Optimizer(
...     model.named_parameters(),
...     "sgdw(lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=true)",
...     decay=wdtheory.torch.matrices_only,
... )
>>> loss.backward(); optimizer.step(); optimizer.zero_grad()

It is a ``torch.optim.Optimizer`` in every way a training loop sees: param groups with their own
hyperparameters (by the spec's keys, e.g. ``{"params": ..., "weight_decay": 0.0}``),
``zero_grad`` in both modes, ``step(closure)``, ``state_dict`` / ``load_state_dict``, and
``torch.optim.lr_scheduler`` schedulers, which set a group's ``lr`` (and ``OneCycleLR`` and
``CyclicLR`` its momentum) between steps. The numbers of the spec are the defaults of every
group. A group holds the spec's keys in torch's words: the learning rate is ``lr`` whatever the
spec calls it (optax's and a chain's ``learning_rate``), and a rule with two moment decays
(Adam's, Lion's, ``b1``/``b2`` in optax, ``beta_1``/``beta_2`` in Keras) has them as the pair
``betas``, as ``torch.optim.Adam`` has, so that a group written for torch
(``{"params": ..., "betas": (0.9, 0.95)}``) and the schedulers that cycle ``betas[0]`` work
unchanged. A tie in the spec (``dampening=mu``) is not followed when a scheduler moves one of
the two.

**How a step runs.** The parameters with a gradient, of every group, are stepped by the rule's
fused kernel (the one :class:`~wdtheory.runtime.stepper.Stepper` runs) in place: on the CPU in
one call for all the tensors of a dtype whose numbers switch on the same parts of the rule (a
group with weight decay 0 is a second call), taking their first step or not
(:mod:`~wdtheory.runtime.tensor_list`: each tensor with
its group's numbers and its own step count, the work shared between the threads), as torch's
fused optimizers do in one launch; CUDA tensors one by one, through CuPy views (DLPack) and the
CuPy kernel. The gradient is read from ``p.grad`` at every step, so a ``zero_grad()`` that sets
it to ``None`` and a backward pass that allocates a new one are followed. The parameters'
version counters are bumped, as an in-place torch update would, so autograd still catches a
parameter changed under a graph that needs it.

**Hyperparameters per group.** A group's numbers are checked (each in its role's range, one
line naming the key otherwise) when they change, e.g. when a scheduler moves ``lr``. The chain
of the rule follows the numbers as the library's does: a momentum of 0 has no momentum buffer,
so each pattern of zeros among the hyperparameters the rule uses gets its own kernels (made
once). A hyperparameter the spec's rule does not use (``momentum`` of ``torch.sgd(lr=0.1)``,
whose momentum is 0) cannot be switched on by a group: that is refused, as the buffers it needs
were never made.

**Decay masks.** ``decay(name, param) -> bool`` says which parameters the weight decay applies
to (default: all); the others step with weight decay 0, whatever its mode — the usual exclusion
of biases and normalisation weights without splitting the groups by hand. ``name`` is the
parameter's name when the optimizer was given ``model.named_parameters()`` (torch keeps them as
the group's ``param_names``), else ``""``. :func:`matrices_only` is the common choice: decay on
tensors of two or more dimensions.

**Checks.** Refused in one line: sparse gradients, complex parameters, a dtype other than
float32/float64, a device other than CPU and CUDA, non-contiguous parameters, a parameter
listed twice. A parameter or state buffer moved or resized under the same tensor object
(``.data = ...``, ``set_``, ``resize_``) is checked again before it is stepped. With
``validate=True`` (the default) a step also refuses NaN or infinite gradients, as
:class:`Stepper` does (one read of the gradients before anything moves, on every thread for
large ones);
``validate=False`` skips that pass. Every parameter is checked before any is stepped, so a
refused step leaves the parameters and their moments as they were (a state it had to create
for a new parameter stays, at step 0). A state dict saved by another optimizer (other group
keys, other state names, such as ``torch.optim.AdamW``'s ``exp_avg``) is refused as it is
loaded.

The state of a parameter is ``{"step": int, <state name>: tensor, ...}`` with the rule's state
names (``b`` for a momentum buffer, ``m`` and ``v`` for Adam's moments: see ``wdtheory derive``).
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

try:
    import torch
    from torch.autograd.graph import increment_version
except ImportError as error:  # pragma: no cover - the test environment has torch
    raise ImportError("wdtheory.torch needs PyTorch: pip install 'wdtheory[torch]'") from error

from wdtheory.core.errors import WdtheoryError, did_you_mean
from wdtheory.optim.optimizer import Optimizer as Rule
from wdtheory.optim.roles import ROLES
from wdtheory.runtime.checks import all_finite, namespace
from wdtheory.runtime.stepper import Stepper
from wdtheory.runtime.tensor_list import TensorList

__all__ = ["Optimizer", "matrices_only"]

#: the keys of a param group that torch keeps besides the hyperparameters
#: (and its schedulers: ``OneCycleLR`` and ``CyclicLR`` write their bounds into the groups)
_BOOKKEEPING = (
    "params",
    "param_names",
    "initial_lr",
    "max_lr",
    "min_lr",
    "max_momentum",
    "base_momentum",
)

#: the parameter dtypes the kernels take, as NumPy dtypes
_DTYPES = {torch.float32: np.dtype(np.float32), torch.float64: np.dtype(np.float64)}

_new_item = tuple.__new__  # a NamedTuple's own __new__ is Python code: ~0.5 µs a parameter

#: what a copy of the optimizer takes besides torch's state (see ``Optimizer.__getstate__``)
_SETTINGS = ("rule", "validate", "_decay", "_used", "_group_keys", "_template", "_state_names")

#: the roles that a param group holds as torch's pair ``betas`` (when the rule has both)
_PAIR = ("beta1", "beta2")


def matrices_only(name: str, param: torch.Tensor) -> bool:
    """Decay on weight matrices and kernels (2 or more dimensions), not on biases and
    normalisation scales (1-D) — what most training recipes do by hand."""
    return param.ndim >= 2


@dataclass(frozen=True)
class _GroupKeys:
    """Where each key of the spec sits in a param group: ``place[key]`` is the group's key and,
    for one of the pair ``betas``, its index there; ``names`` the group's keys in the spec's
    order."""

    place: dict[str, tuple[str, int | None]]
    names: tuple[str, ...]

    @classmethod
    def of(cls, params: Mapping[str, str]) -> _GroupKeys:
        """The places of the keys of a rule whose keys have the roles ``params``."""
        pair = all(role in params.values() for role in _PAIR)
        place: dict[str, tuple[str, int | None]] = {}
        for key, role in params.items():
            if role == "lr":
                place[key] = ("lr", None)
            elif pair and role in _PAIR:
                place[key] = ("betas", _PAIR.index(role))
            else:
                place[key] = (key, None)
        return cls(place, tuple(dict.fromkeys(name for name, _ in place.values())))

    def label(self, key: str) -> str:
        """How errors name ``key``: its place in a group (``lr``, ``betas[0]``)."""
        name, index = self.place[key]
        return name if index is None else f"{name}[{index}]"

    def read(self, group: Mapping[str, Any], key: str) -> Any:
        """The value of the spec's ``key`` in ``group`` (a one-element tensor as a float:
        torch's schedulers update a tensor ``lr`` in place, which must show as a change)."""
        name, index = self.place[key]
        value = group[name]
        if index is not None:
            if not isinstance(value, tuple | list) or len(value) != 2:
                pair = ", ".join(k for k, (n, _) in self.place.items() if n == name)
                raise WdtheoryError(
                    f"{name}={reprlib.repr(value)} in a param group: give two numbers ({pair}), "
                    "as torch.optim does"
                )
            value = value[index]
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise WdtheoryError(
                    f"{self.label(key)} in a param group is a tensor of shape "
                    f"{tuple(value.shape)}; give one number"
                )
            return float(value)
        return value

    def group(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """A param group's keys and values from ``values`` by spec key (a pair as a tuple)."""
        group: dict[str, Any] = {}
        for key, (name, index) in self.place.items():
            if index is None:
                group[name] = values[key]
            else:
                pair = list(group.get(name, (None, None)))
                pair[index] = values[key]
                group[name] = tuple(pair)
        return group

    def why_not(self, key: str) -> str | None:
        """Why a spec key that is not a group key (``learning_rate``, ``beta1``) is refused in
        a group, else None."""
        if key not in self.place or key in self.names:
            return None
        if self.place[key][0] == "lr":
            return f"{key!r} in a param group: the learning rate is 'lr' there, as torch's schedulers set it"
        return (
            f"{key!r} in a param group: it is {self.label(key)} there (the pair 'betas', as in "
            "torch.optim)"
        )


@dataclass(frozen=True, eq=False)
class _GroupRun:
    """What stepping one param group needs for its current numbers: the stepper of their
    pattern of zeros, the hyperparameter vectors (with and without weight decay) and the
    names of the state buffers. Equal only to itself (a new run is new numbers)."""

    numbers: tuple
    device: str
    stepper: Stepper
    hyper: np.ndarray
    hyper_without_decay: np.ndarray
    states: tuple[str, ...]


class _Entry:
    """A parameter as checked for stepping (equal only to itself): its state dict and state buffers (of the names
    ``states``), the addresses of the parameter and the buffers, their number of elements
    (each), their dtype, and whether the weight decay applies to it. It holds while
    :meth:`holds` says so; then a step needs to check only the gradient."""

    __slots__ = (
        "addresses",
        "buffers",
        "decays",
        "dtype",
        "param",
        "size",
        "state",
        "states",
        "tensors",
    )

    def __init__(
        self, param: torch.Tensor, state: dict, states: tuple[str, ...], decays: bool
    ) -> None:
        self.param, self.state, self.states, self.decays = param, state, states, decays
        self.buffers = tuple(state[name] for name in states)
        #: the parameter, then its buffers, and their addresses (the gradient goes between,
        #: per step)
        self.tensors = (param, *self.buffers)
        self.addresses = tuple(tensor.data_ptr() for tensor in self.tensors)
        self.dtype = param.dtype
        self.size = param.numel()

    def holds(self, state: dict, states: tuple[str, ...]) -> bool:
        """Whether what the kernels read and write is still what was checked: the same state
        dict with a step, the same buffer objects under the same names, and the parameter and
        each buffer where they were (``.data`` swapped, ``set_`` and ``resize_`` move or
        resize a tensor under the same object), of the same size, dtype and contiguous."""
        if state is not self.state or states != self.states or "step" not in state:
            return False
        for name, buffer in zip(states, self.buffers, strict=True):
            if state.get(name) is not buffer:
                return False
        size, dtype = self.size, self.dtype
        for tensor, address in zip(self.tensors, self.addresses, strict=True):
            if (
                tensor.data_ptr() != address
                or tensor.numel() != size
                or tensor.dtype is not dtype
                or not tensor.is_contiguous()
            ):
                return False
        return True

    def reads(self, grad: torch.Tensor) -> bool:
        """Whether the CPU kernels read ``grad`` as it is for this parameter: dense and
        contiguous on the CPU, of its dtype and shape (else
        :func:`_checked_grad` says what is wrong, or makes it contiguous)."""
        return (
            grad.is_cpu
            and grad.layout is torch.strided
            and grad.dtype is self.dtype
            and grad.shape == self.param.shape
            and grad.is_contiguous()
            and self.param.is_cpu
        )


class _LastList(NamedTuple):
    """The last step's tensor list of a kind, with the entries and runs it was made of (held,
    so that they are compared by identity)."""

    entries: tuple[_Entry, ...]
    runs: tuple[_GroupRun, ...]
    tensors: TensorList


class _Item(NamedTuple):
    """One parameter of a step: its group's run, its entry, its gradient as the kernels read
    it (checked, contiguous: held until the step ends) and the step count it takes."""

    run: _GroupRun
    entry: _Entry
    grad: torch.Tensor
    t: int


class Optimizer(torch.optim.Optimizer):
    """A ``torch.optim.Optimizer`` running the lowered rule of ``spec`` (see the module doc).

    ``params``: tensors, ``(name, tensor)`` pairs (``model.named_parameters()``) or param
    group dicts; ``spec``: spec text (``"torch.adamw(lr=1e-3)"``, ``"lion(weight_decay=0.1)"``,
    code such as ``"torch.optim.AdamW(model.parameters(), lr=1e-3)"``) or a
    :class:`wdtheory.Optimizer`; ``values``: numbers for hyperparameters the spec left symbolic;
    ``decay``: which parameters the weight decay applies to; ``validate``: refuse non-finite
    gradients.
    """

    def __init__(
        self,
        params: Iterable[Any],
        spec: str | Rule,
        *,
        values: Mapping[str, float] | None = None,
        decay: Callable[[str, torch.Tensor], bool] | None = None,
        validate: bool = True,
    ) -> None:
        rule = spec if isinstance(spec, Rule) else Rule.from_spec(spec)
        rule = rule.bind(values or {})
        self.rule = rule
        self.validate = validate
        self._decay = decay
        numbers = Stepper(rule, validate=False).hyper  # refuses what is still symbolic
        keys = rule.definition.params
        #: keys whose number the rule uses; the others must stay as the spec has them
        self._used = frozenset(k for k, r in keys.items() if r in rule.used_roles)
        self._group_keys = _GroupKeys.of(keys)
        defaults = self._group_keys.group(
            {
                key: numbers[ROLES[role].symbol] if key in self._used else _number(rule.values[key])
                for key, role in keys.items()
            }
        )
        self._template = rule.unbind(self._used)
        self._state_names = frozenset(slot.symbol.name for slot in self._template.chain.states)
        self._clear_caches()
        super().__init__(params, defaults)

    def __repr__(self) -> str:
        return f"wdtheory.torch.Optimizer({self.rule.text!r}, {len(self.param_groups)} group(s))"

    def __getstate__(self) -> dict[str, Any]:
        """What a copy (``copy.deepcopy``, pickling) takes: torch's (defaults, state, param
        groups; not the hooks, nor the ``step`` a scheduler wraps, which is tied to this
        optimizer) and the rule with its settings; the compiled steppers and the checks of the
        tensors are made again by the copy, for its own tensors."""
        return {**super().__getstate__(), **{k: self.__dict__[k] for k in _SETTINGS}}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._clear_caches()

    def _clear_caches(self) -> None:
        self._steppers: dict[tuple, Stepper] = {}
        self._runs: dict[int, _GroupRun] = {}
        #: id(parameter) -> its :class:`_Entry` (which holds the parameter: the id stays its)
        self._entries: dict[int, _Entry] = {}
        #: (stepper, dtype, first step) -> the last step's list of that kind
        self._lists: dict[tuple, _LastList] = {}

    # ----------------------------------------------------------------------------- torch API

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One step of every parameter that has a gradient; ``closure`` re-evaluates the loss
        first (with gradients enabled) and its value is returned. (No ``torch.no_grad`` around
        the step: the kernels write memory autograd does not see, and the few torch operations
        here make fresh state tensors or a contiguous copy of a gradient, under ``no_grad``
        where a graph could be recorded.)"""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # every parameter checked before any moves: a refusal leaves the model as it was
        items = [
            item for i, group in enumerate(self.param_groups) for item in self._items(i, group)
        ]
        lists = self._cpu_lists(items)
        cuda = [(item, _cuda_views(item)) for item in items if item.run.device == "cuda"]
        if self.validate:
            for _, _, tensors in lists:
                if not tensors.gradients_finite():
                    _refuse_non_finite()
            for _, (_, grad_view, _) in cuda:
                if not all_finite(grad_view, namespace(grad_view)):
                    _refuse_non_finite()
        for stepper, first, tensors in lists:
            stepper.step_tensors(tensors, first=first)
        for item, (param_view, grad_view, buffer_views) in cuda:
            item.run.stepper.step_in_place(
                param_view, grad_view, buffer_views, item.t, _hyper(item.run, item.entry)
            )
        for item in items:
            item.entry.state["step"] = item.t
        increment_version([item.entry.param for item in items])
        for item in items:
            if item.run.stepper.checks_results:
                item.run.stepper.check_result(_view(item.entry.param), item.t)
        return loss

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """torch's ``add_param_group``, then the group's own numbers checked at once (an unknown
        key is refused with the close one, e.g. ``momentun``)."""
        names = self._group_keys.names
        for key in param_group:
            why = self._group_keys.why_not(key)
            if why:
                raise WdtheoryError(why)
            if key not in names and key not in _BOOKKEEPING:
                raise WdtheoryError(
                    f"{self.rule.name} has no param-group key {key!r}"
                    f"{did_you_mean(key, names)}; allowed: {', '.join(names)}"
                )
        param_group["params"] = _listed(param_group["params"])  # the caller's dict, as torch
        seen: dict[int, int] = {}
        for position, item in enumerate(param_group["params"]):
            tensor = item[1] if isinstance(item, tuple) else item
            if id(tensor) in seen:
                which = repr(item[0]) if isinstance(item, tuple) else f"number {position}"
                raise WdtheoryError(
                    f"a param group lists parameter {which} twice (as number {seen[id(tensor)]} "
                    "too; torch warns and steps it twice a step); give each parameter once"
                )
            seen[id(tensor)] = position
        super().add_param_group(param_group)
        index = len(self.param_groups) - 1
        group = self.param_groups[index]
        self._prepare(index, group, self._snapshot(group))

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """torch's ``load_state_dict``, refused in one line when the state was saved by another
        optimizer (its groups lack this spec's keys, or a parameter's state holds other names
        than this rule's); the checked buffers of the old state are dropped, and a loaded
        buffer that does not fit its parameter is refused at the next step."""
        other = f"another optimizer than {self.rule.text!r}"
        for index, group in enumerate(state_dict.get("param_groups", ())):
            missing = [key for key in self._group_keys.names if key not in group]
            if missing:
                raise WdtheoryError(
                    f"param group {index} of the state has no {', '.join(missing)}: it was "
                    f"saved by {other}"
                )
        for key, state in state_dict.get("state", {}).items():
            foreign = sorted(
                name for name in state if name != "step" and name not in self._state_names
            )
            if foreign or not isinstance(state.get("step", 0), int):
                what = ", ".join(map(repr, foreign)) if foreign else "a step that is not an int"
                raise WdtheoryError(
                    f"the state of parameter {key} holds {what} (this rule's: "
                    f"{', '.join(['step', *sorted(self._state_names)])}): it was saved by {other}"
                )
        super().load_state_dict(state_dict)
        self._clear_caches()

    # ----------------------------------------------------------------------------- stepping

    def _items(self, index: int, group: dict[str, Any]) -> list[_Item]:
        """The parameters of the group with a gradient, checked."""
        run = self._runs.get(index)
        numbers = self._snapshot(group)
        if run is None or run.numbers != numbers:
            run = self._prepare(index, group, numbers)
        names = group.get("param_names") or [""] * len(group["params"])
        states, entries, items = self.state, self._entries, []
        for param, name in zip(group["params"], names, strict=True):
            grad = param.grad
            if grad is None:
                continue
            state = states[param]
            entry = entries.get(id(param))
            if entry is None or not entry.holds(state, run.states):
                entry = entries[id(param)] = self._entry(param, name, state, run)
            if not entry.reads(grad):
                grad = _checked_grad(param, grad)
            items.append(_new_item(_Item, (run, entry, grad, state["step"] + 1)))
        return items

    def _entry(self, param: torch.Tensor, param_name: str, state: dict, run: _GroupRun) -> _Entry:
        """The parameter checked, its state made (new, or cleared by the user) or checked
        against it (loaded, replaced: the kernels do no bounds checks)."""
        _check_param(param)
        if param.device.type != run.device:
            raise WdtheoryError(
                f"a param group with parameters on {run.device} and on {param.device.type}; "
                "give each device its own group"
            )
        if "step" not in state:  # new, or cleared by the user
            state.clear()
            state["step"] = 0
            with torch.no_grad():
                for name, value in zip(run.states, run.stepper.initial, strict=True):
                    state[name] = torch.full_like(
                        param, value, memory_format=torch.contiguous_format
                    )
        missing = [name for name in run.states if name not in state]
        if missing:
            raise WdtheoryError(
                f"{self.rule.name}: the state of a parameter has no {', '.join(missing)} (its "
                f"group's numbers switched on a part of the rule after step {state['step']}); "
                "give that hyperparameter a nonzero value from the first step"
            )
        for name in run.states:  # a loaded or replaced state must fit: no bounds checks
            buffer = state[name]
            if (
                not isinstance(buffer, torch.Tensor)
                or buffer.shape != param.shape
                or buffer.dtype != param.dtype
                or buffer.device != param.device
                or not buffer.is_contiguous()
            ):
                raise WdtheoryError(
                    f"{self.rule.name}: the state {name!r} of a parameter of shape "
                    f"{tuple(param.shape)} ({param.dtype}, {param.device}) is "
                    + (
                        f"of shape {tuple(buffer.shape)} ({buffer.dtype}, {buffer.device}"
                        f"{'' if buffer.is_contiguous() else ', non-contiguous'})"
                        if isinstance(buffer, torch.Tensor)
                        else type(buffer).__name__
                    )
                    + "; load a state saved for these parameters, or start afresh"
                )
        decays = self._decay is None or bool(self._decay(param_name, param))
        return _Entry(param, state, run.states, decays)

    def _cpu_lists(self, items: list[_Item]) -> list[tuple[Stepper, bool, TensorList]]:
        """The CPU items of a step as lists of one kernel call each: by stepper, dtype and
        whether it is the tensors' first step (the items hold the tensors whose addresses the
        lists give). A list of the same entries as at the last step is that step's, with the
        new gradients and step counts written into it (and the numbers, if a run changed)."""
        parts: dict[tuple, list[_Item]] = {}
        for item in items:
            if item.run.device == "cpu":
                key = (item.run.stepper, item.entry.dtype, item.t == 1)
                parts.setdefault(key, []).append(item)
        lists = []
        for (stepper, dtype, first), part in parts.items():
            entries = tuple(item.entry for item in part)
            runs = tuple(item.run for item in part)
            grads = [item.grad.data_ptr() for item in part]
            steps = [item.t for item in part]
            last = self._lists.get((stepper, dtype, first))
            # tuples of entries and runs compare by identity (neither defines equality)
            if last is not None and last.entries == entries:
                tensors = last.tensors
                tensors.set_gradients(grads, steps)
                if last.runs != runs:
                    tensors.set_hyper([_hyper(item.run, item.entry) for item in part])
                    self._lists[stepper, dtype, first] = _LastList(entries, runs, tensors)
            else:
                if len({id(entry) for entry in entries}) < len(entries):
                    raise WdtheoryError(
                        "a parameter is listed twice in the param groups (added to a group's "
                        "list by hand?); give each parameter once"
                    )
                tensors = TensorList.of(
                    [
                        (e.addresses[0], g, *e.addresses[1:])
                        for e, g in zip(entries, grads, strict=True)
                    ],
                    [entry.size for entry in entries],
                    [_hyper(item.run, item.entry) for item in part],
                    steps,
                    _DTYPES[dtype],
                )
                self._lists[stepper, dtype, first] = _LastList(entries, runs, tensors)
            lists.append((stepper, first, tensors))
        return lists

    # ----------------------------------------------------------------------------- numbers

    def _snapshot(self, group: Mapping[str, Any]) -> tuple:
        """A group's numbers as they are now, by spec key."""
        return tuple(self._group_keys.read(group, key) for key in self._group_keys.place)

    def _prepare(self, index: int, group: dict[str, Any], numbers: tuple) -> _GroupRun:
        """Check the group's ``numbers`` (its values of the spec's keys, as
        :meth:`_snapshot` takes them) and pick (or make) the stepper of their zeros."""
        keys, label = self.rule.definition.params, self._group_keys.label
        value = dict(zip(self._group_keys.place, numbers, strict=True))
        floats = {
            key: ROLES[keys[key]].run_time_float(label(key), value[key]) for key in self._used
        }
        default = dict(zip(self._group_keys.place, self._snapshot(self.defaults), strict=True))
        for key in sorted(set(keys) - self._used):
            if value[key] != default[key]:
                raise WdtheoryError(
                    f"{self.rule.name}: {label(key)}={value[key]!r} in param group {index}, but "
                    f"the rule of {self.rule.text!r} does not use {key} (it is "
                    f"{default[key]!r} there); give {key} a nonzero value in the spec "
                    "to set it per group"
                )
        zeros = tuple(sorted(key for key in self._used if floats[key] == 0.0))
        device = group["params"][0].device.type if group["params"] else "cpu"
        stepper = self._steppers.get((zeros, device))
        if stepper is None:
            backend = "cupy" if device == "cuda" else "numba"
            stepper = Stepper(self._template, backend, values=floats, validate=self.validate)
            self._steppers[zeros, device] = stepper
        without_decay = {
            **floats,
            **{k: 0.0 for k, r in keys.items() if r == "weight_decay" and k in self._used},
        }
        run = _GroupRun(
            numbers=numbers,
            device=device,
            stepper=stepper,
            hyper=stepper.hyper_vector(floats),
            hyper_without_decay=stepper.hyper_vector(without_decay),
            states=tuple(slot.symbol.name for slot in stepper.optimizer.chain.states),
        )
        self._runs[index] = run
        return run


def _cuda_views(item: _Item) -> tuple:
    """The CuPy views (DLPack) of a CUDA parameter, its gradient and buffers."""
    return _view(item.entry.param), _view(item.grad), tuple(map(_view, item.entry.buffers))


def _hyper(run: _GroupRun, entry: _Entry) -> np.ndarray:
    """The hyperparameter vector of a parameter: its group's, with or without the decay."""
    return run.hyper if entry.decays else run.hyper_without_decay


def _listed(params: Any) -> Any:
    """A param group's ``params`` as torch's ``add_param_group`` lists them (a set stays, for
    torch to refuse)."""
    if isinstance(params, torch.Tensor):
        return [params]
    return params if isinstance(params, set) else list(params)


def _refuse_non_finite() -> None:
    raise WdtheoryError("a gradient holds NaN or infinity; refusing to step")


def _check_param(param: torch.Tensor) -> None:
    """What the kernels can step in place: a dense float32/float64 tensor on the CPU or on a
    CUDA device, laid out contiguously."""
    if param.is_complex() or param.dtype not in _DTYPES:
        raise WdtheoryError(
            f"a parameter of dtype {param.dtype}: the kernels step float32 and float64 "
            "(keep a float32 master copy for half-precision training)"
        )
    if param.device.type not in ("cpu", "cuda"):
        raise WdtheoryError(f"a parameter on {param.device}: the kernels run on cpu and cuda")
    if not param.is_contiguous():
        raise WdtheoryError(
            "a non-contiguous parameter: the kernels step contiguous tensors "
            "(make it with .contiguous() before handing it to the optimizer)"
        )


def _checked_grad(param: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """The gradient of ``param`` as the kernels read it (contiguous), refused in one line if
    they cannot: sparse, or not of the parameter's shape, dtype and device."""
    if grad.is_sparse:
        raise WdtheoryError(
            "a sparse gradient: the rule steps dense tensors (torch.optim.SparseAdam is "
            "torch's answer for sparse ones)"
        )
    if grad.dtype != param.dtype or grad.device != param.device or grad.shape != param.shape:
        raise WdtheoryError(
            f"a gradient of shape {tuple(grad.shape)} ({grad.dtype}, {grad.device}) for a "
            f"parameter of shape {tuple(param.shape)} ({param.dtype}, {param.device}); give "
            "them the same"
        )
    if grad.is_contiguous():
        return grad
    with torch.no_grad():
        return grad.contiguous()


def _number(value: Any) -> float | None:
    """A hyperparameter the rule does not use, as a param group shows it: its number, if any."""
    return float(value) if value.is_number else None


def _view(tensor: torch.Tensor) -> Any:
    """A 1-D array sharing the tensor's memory: NumPy on the CPU, CuPy (DLPack) on CUDA."""
    if tensor.device.type == "cuda":
        import cupy

        return cupy.from_dlpack(tensor.detach()).reshape(-1)
    return tensor.detach().numpy().reshape(-1)
