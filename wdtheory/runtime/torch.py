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
``torch.optim.lr_scheduler`` schedulers, which set a group's ``lr`` between steps. The numbers of
the spec are the defaults of every group. A group holds the spec's keys, except that the
learning rate is ``lr`` whatever the spec calls it (optax's and a chain's ``learning_rate``), as
torch's schedulers set it: ``beta1`` and ``beta2`` for Adam, not torch's ``betas``, so
``OneCycleLR`` needs ``cycle_momentum=False`` there; and a tie in the spec (``dampening=mu``) is
not followed when a scheduler moves one of the two.

**How a step runs.** For each parameter with a gradient, the rule's fused kernel (the one
:class:`~wdtheory.runtime.stepper.Stepper` runs) updates the parameter and its state buffers in
place, through zero-copy NumPy views of CPU tensors (CUDA tensors: CuPy views through DLPack and
the CuPy kernel). The gradient is read from ``p.grad`` at every step, so a ``zero_grad()`` that
sets it to ``None`` and a backward pass that allocates a new one are followed. The parameter's
version counter is bumped, as an in-place torch update would, so autograd still catches a
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
float32/float64, a device other than CPU and CUDA, non-contiguous parameters. With
``validate=True`` (the default) a step also refuses NaN or infinite gradients, as
:class:`Stepper` does; ``validate=False`` skips that pass over the gradients. Every parameter is
checked before any is stepped, so a refused step leaves the parameters and their moments as
they were (a state it had to create for a new parameter stays, at step 0).

The state of a parameter is ``{"step": int, <state name>: tensor, ...}`` with the rule's state
names (``b`` for a momentum buffer, ``m`` and ``v`` for Adam's moments: see ``wdtheory derive``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

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

__all__ = ["Optimizer", "matrices_only"]

#: the keys of a param group that torch keeps besides the hyperparameters
_BOOKKEEPING = ("params", "param_names", "initial_lr")

#: the parameter dtypes the kernels take
_DTYPES = (torch.float32, torch.float64)


def matrices_only(name: str, param: torch.Tensor) -> bool:
    """Decay on weight matrices and kernels (2 or more dimensions), not on biases and
    normalisation scales (1-D) — what most training recipes do by hand."""
    return param.ndim >= 2


@dataclass(frozen=True)
class _GroupRun:
    """What stepping one param group needs for its current numbers: the stepper of their
    pattern of zeros, the hyperparameter vectors (with and without weight decay) and the
    names of the state buffers."""

    numbers: tuple
    device: str
    stepper: Stepper
    hyper: np.ndarray
    hyper_without_decay: np.ndarray
    states: tuple[str, ...]


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
        #: a spec key -> its key in a param group: the same, but the learning rate is "lr"
        self._group_key = {key: "lr" if role == "lr" else key for key, role in keys.items()}
        #: the keys of a param group, in the spec's order
        self._keys = tuple(self._group_key.values())
        defaults = {
            self._group_key[key]: numbers[ROLES[role].symbol]
            if key in self._used
            else _number(rule.values[key])
            for key, role in keys.items()
        }
        self._template = rule.unbind(self._used)
        self._steppers: dict[tuple, Stepper] = {}
        self._runs: dict[int, _GroupRun] = {}
        self._views: dict[torch.Tensor, tuple] = {}
        super().__init__(params, defaults)

    def __repr__(self) -> str:
        return f"wdtheory.torch.Optimizer({self.rule.text!r}, {len(self.param_groups)} group(s))"

    # ----------------------------------------------------------------------------- torch API

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One step of every parameter that has a gradient; ``closure`` re-evaluates the loss
        first (with gradients enabled) and its value is returned."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        # every parameter checked before any moves: a refusal leaves the model as it was
        work = [item for i, group in enumerate(self.param_groups) for item in self._work(i, group)]
        for stepper, param, state, (params_view, grad_view, buffers), hyper in work:
            t = state["step"] + 1
            stepper.step_in_place(params_view, grad_view, buffers, t, hyper)
            state["step"] = t
            increment_version(param)
            stepper.check_result(params_view, t)
        return loss

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """torch's ``add_param_group``, then the group's own numbers checked at once (an unknown
        key is refused with the close one, e.g. ``momentun``)."""
        for key in param_group:
            if key in self._group_key and key not in self._keys:
                raise WdtheoryError(
                    f"{key!r} in a param group: the learning rate is 'lr' there, as torch's "
                    "schedulers set it"
                )
            if key not in self._keys and key not in _BOOKKEEPING:
                raise WdtheoryError(
                    f"{self.rule.name} has no param-group key {key!r}"
                    f"{did_you_mean(key, self._keys)}; allowed: {', '.join(self._keys)}"
                )
        super().add_param_group(param_group)
        index = len(self.param_groups) - 1
        group = self.param_groups[index]
        self._prepare(index, group, _snapshot(group, self._keys))

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """torch's ``load_state_dict``, refused in one line when its groups lack this spec's
        hyperparameters (a state saved by another optimizer); the cached views of the old state
        are dropped, and a loaded buffer that does not fit its parameter is refused at the next
        step."""
        for index, group in enumerate(state_dict.get("param_groups", ())):
            missing = [key for key in self._keys if key not in group]
            if missing:
                raise WdtheoryError(
                    f"param group {index} of the state has no {', '.join(missing)}: it was saved "
                    f"by another optimizer than {self.rule.text!r}"
                )
        super().load_state_dict(state_dict)
        self._views.clear()
        self._runs.clear()

    # ----------------------------------------------------------------------------- stepping

    def _work(self, index: int, group: dict[str, Any]) -> Iterator[tuple]:
        """For each parameter of the group with a gradient: its stepper, its state, the arrays
        to step (checked) and the hyperparameter vector (with or without the decay)."""
        run = self._runs.get(index)
        numbers = _snapshot(group, self._keys)
        if run is None or run.numbers != numbers:
            run = self._prepare(index, group, numbers)
        names = group.get("param_names") or [""] * len(group["params"])
        for param, name in zip(group["params"], names, strict=True):
            grad = param.grad
            if grad is None:
                continue
            hyper = run.hyper if self._decays(name, param) else run.hyper_without_decay
            arrays = self._arrays(param, grad, run)
            yield run.stepper, param, self.state[param], arrays, hyper

    def _decays(self, name: str, param: torch.Tensor) -> bool:
        return self._decay is None or bool(self._decay(name, param))

    def _arrays(self, param: torch.Tensor, grad: torch.Tensor, run: _GroupRun) -> tuple:
        """The 1-D views the kernel steps: the parameter's and its state buffers' (made once
        and kept while the tensors stay the same) and the gradient's (made at every step: no
        reference to a gradient is kept, so ``zero_grad()`` frees it)."""
        cached, state = self._views.get(param), self.state[param]
        if (
            cached is None
            or cached[0] != param.data_ptr()
            or cached[1] != run.states
            or any(
                state.get(name) is not tensor
                for name, tensor in zip(run.states, cached[4], strict=True)
            )
            or "step" not in state
        ):
            cached = self._make_views(param, state, run)
        return cached[2], self._grad_view(param, grad), cached[3]

    def _make_views(self, param: torch.Tensor, state: dict, run: _GroupRun) -> tuple:
        _check_param(param)
        if param.device.type != run.device:
            raise WdtheoryError(
                f"a param group with parameters on {run.device} and on {param.device.type}; "
                "give each device its own group"
            )
        if "step" not in state:  # new, or cleared by the user
            state.clear()
            state["step"] = 0
            for name, value in zip(run.states, run.stepper.initial, strict=True):
                state[name] = torch.full_like(param, value, memory_format=torch.contiguous_format)
        missing = [name for name in run.states if name not in state]
        if missing:
            raise WdtheoryError(
                f"{self.rule.name}: the state of a parameter has no {', '.join(missing)} (its "
                f"group's numbers switched on a part of the rule after step {state['step']}); "
                "give that hyperparameter a nonzero value from the first step"
            )
        for (
            name
        ) in run.states:  # a loaded or replaced state must fit: the kernel does no bounds checks
            buffer = state[name]
            if (
                not isinstance(buffer, torch.Tensor)
                or buffer.shape != param.shape
                or buffer.dtype != param.dtype
                or buffer.device != param.device
            ):
                raise WdtheoryError(
                    f"{self.rule.name}: the state {name!r} of a parameter of shape "
                    f"{tuple(param.shape)} ({param.dtype}, {param.device}) is "
                    + (
                        f"of shape {tuple(buffer.shape)} ({buffer.dtype}, {buffer.device})"
                        if isinstance(buffer, torch.Tensor)
                        else type(buffer).__name__
                    )
                    + "; load a state saved for these parameters, or start afresh"
                )
        views = (
            param.data_ptr(),
            run.states,
            _view(param),
            tuple(_view(state[name]) for name in run.states),
            tuple(state[name] for name in run.states),
        )
        self._views[param] = views
        return views

    def _grad_view(self, param: torch.Tensor, grad: torch.Tensor) -> Any:
        if grad.is_sparse:
            raise WdtheoryError(
                "a sparse gradient: the rule steps dense tensors (torch.optim.SparseAdam is "
                "torch's answer for sparse ones)"
            )
        if grad.dtype != param.dtype or grad.device != param.device:
            raise WdtheoryError(
                f"a gradient of dtype {grad.dtype} on {grad.device} for a parameter of "
                f"{param.dtype} on {param.device}; give them the same"
            )
        view = _view(grad.contiguous())
        if self.validate:
            self._check_finite(view)
        return view

    @staticmethod
    def _check_finite(view: Any) -> None:
        if not all_finite(view, namespace(view)):
            raise WdtheoryError("a gradient holds NaN or infinity; refusing to step")

    # ----------------------------------------------------------------------------- numbers

    def _prepare(self, index: int, group: dict[str, Any], numbers: tuple) -> _GroupRun:
        """Check the group's ``numbers`` (its values of the spec's keys, as
        :func:`_snapshot` takes them) and pick (or make) the stepper of their zeros."""
        keys, at = self.rule.definition.params, self._group_key
        floats = {
            key: ROLES[keys[key]].run_time_float(at[key], group[at[key]]) for key in self._used
        }
        for key in sorted(set(keys) - self._used):
            if group[at[key]] != self.defaults[at[key]]:
                raise WdtheoryError(
                    f"{self.rule.name}: {at[key]}={group[at[key]]!r} in param group {index}, but "
                    f"the rule of {self.rule.text!r} does not use {key} (it is "
                    f"{self.defaults[at[key]]!r} there); give {key} a nonzero value in the spec "
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


def _snapshot(group: dict[str, Any], keys: tuple[str, ...]) -> tuple:
    """A group's numbers as they are now: a tensor (torch schedulers update a tensor lr in
    place) by its value, so that a change shows."""
    return tuple(float(group[k]) if isinstance(group[k], torch.Tensor) else group[k] for k in keys)


def _number(value: Any) -> float | None:
    """A hyperparameter the rule does not use, as a param group shows it: its number, if any."""
    return float(value) if value.is_number else None


def _view(tensor: torch.Tensor) -> Any:
    """A 1-D array sharing the tensor's memory: NumPy on the CPU, CuPy (DLPack) on CUDA."""
    if tensor.device.type == "cuda":
        import cupy

        return cupy.from_dlpack(tensor.detach()).reshape(-1)
    return tensor.detach().numpy().reshape(-1)
