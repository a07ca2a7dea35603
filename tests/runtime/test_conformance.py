"""Conformance of the lowered steppers with the libraries they reproduce.

* **PyTorch** (installed, ``torch==2.13.0``): every ``torch.*`` preset, with its library defaults
  and with numbers that switch on each structural variant (momentum, dampening, Nesterov, weight
  decay, AMSGrad, decoupled decay, centered, ``lr_decay``, initial accumulator), and random
  configurations drawn by hypothesis, run 50 steps on each CPU backend (``numba``, ``numpy``,
  ``array_api`` on NumPy arrays) next to ``torch.optim`` on the same gradients.

  - float64: parameters at every step and the final optimizer state agree to
    ``FLOAT64_RTOL`` (``|a - b| <= 1e-10 (|b| + max|b|)``).
  - float32, one step at a time: each step starts from torch's own parameters and state (copied
    into an ``OptState``) and must land within ``FLOAT32_ULPS`` (4) float32 ulps of torch's
    result, plus twice the step's first-order sensitivity to float32 rounding of its inputs and
    hyperparameters (see :func:`rounding_sensitivity`; it matters only where a subtraction
    cancels). Observed: at most 2 ulps beyond the sensitivity term.

* **The paper, and generic optimizers with a schedule** (no library to run): the presets against
  the plain NumPy transcriptions in ``tests/references`` over 50 steps, float64 to
  ``FLOAT64_RTOL`` and float32 to ``FLOAT32_RTOL`` of the array's size; generic optimizers
  (``decay=``, ``schedule=true``) against the torch references with the learning-rate schedule
  each of them documents. optax and Keras 3 are run themselves in
  ``test_library_conformance.py``.

The hypothesis strategies draw *values* of the hyperparameters and pass them through
``Stepper(values=...)`` into optimizers whose numbers are left symbolic; the chain is rebuilt with
the values (a zero momentum or weight decay drops its transformation), so the compiled kernel
structures are few: one per switch combination and pattern of zeros, each compiled once per dtype
and shared with the preset tests, whose numbers are written in the spec text.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from optimizer_cases import (
    CPU_BACKENDS,
    assert_close,
    examples,
    log_uniform,
    maybe_zero,
    optimizer,
    problem,
    run,
    state_names,
    ulp32,
    with_buffers,
)
from references import (
    PaperAdamW,
    PaperSGDW,
    TorchAdagrad,
    TorchAdam,
    TorchAdamW,
    TorchRMSprop,
    TorchSGD,
)

from wdtheory.core.errors import WdtheoryError
from wdtheory.optim.optimizer import Optimizer
from wdtheory.runtime.stepper import Stepper

STEPS = 50
FLOAT64_RTOL = 1e-10
#: per-step float32 agreement with torch: FLOAT32_ULPS float32 ulps of max(|new|, |old|) plus
#: FLOAT32_SENSITIVITY x the step's first-order sensitivity to float32 rounding of its inputs and
#: hyperparameters (rounding_sensitivity). Observed over 3000 random configurations x 50 steps:
#: the difference minus 2 x sensitivity is at most 2.0 ulps; without the sensitivity term it
#: reaches hundreds of ulps where a subtraction cancels (torch fuses multiply-adds, keeps
#: ``1 - β`` as a float32 ``lerp`` weight and divides by ``sqrt(bc2)`` where the kernel multiplies)
FLOAT32_ULPS = 4
FLOAT32_SENSITIVITY = 2.0
#: 50-step float32 trajectories against the references, relative to the array's size (the
#: references compute bias corrections in float32 where wdtheory computes them in float64)
FLOAT32_RTOL = 1e-5
SHAPES = [(), (7,), (3, 5)]

torch.set_num_threads(1)

# ---------------------------------------------------------------------------------------------
# PyTorch
# ---------------------------------------------------------------------------------------------

#: the stepper's buffer name -> torch's state key
TORCH_STATE = {
    "b": "momentum_buffer",
    "m": "exp_avg",
    "v": "exp_avg_sq",
    "v_max": "max_exp_avg_sq",
    "a": "square_avg",
    "gbar": "grad_avg",
    "G": "sum",
}

#: every torch preset with its defaults, then numbers switching on each structural variant
TORCH_PRESETS = [
    "torch.sgd()",
    "torch.sgd(lr=0.1, weight_decay=0.1)",
    "torch.sgd(lr=0.05, momentum=0.9)",
    "torch.sgd(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)",
    "torch.sgd(lr=0.05, momentum=0.8, dampening=0, weight_decay=0.1, nesterov=true)",
    "torch.adam()",
    "torch.adam(lr=0.01, beta1=0.8, beta2=0.99)",
    "torch.adam(lr=0.01, beta1=0.3, beta2=0.5, amsgrad=true)",
    "torch.adam(lr=0.01, eps=0.01, weight_decay=0.1)",
    "torch.adam(lr=0.01, weight_decay=0.1, amsgrad=true)",
    "torch.adam(lr=0.01, weight_decay=0.1, decoupled_weight_decay=true)",
    "torch.adam(lr=0.01, weight_decay=0.1, decoupled_weight_decay=true, amsgrad=true)",
    "torch.adamw()",
    "torch.adamw(lr=0.01, weight_decay=0.5)",
    "torch.adamw(lr=0.01, weight_decay=0.1, amsgrad=true)",
    "torch.adamw(lr=0.01, weight_decay=0)",
    "torch.rmsprop()",
    "torch.rmsprop(centered=true)",
    "torch.rmsprop(momentum=0.9)",
    "torch.rmsprop(alpha=0.3, centered=true)",
    "torch.rmsprop(weight_decay=0.01, eps=0.0001)",
    "torch.rmsprop(lr=0.003, centered=true, momentum=0.9, weight_decay=0.1)",
    "torch.adagrad()",
    "torch.adagrad(lr=0.1, lr_decay=0.1)",
    "torch.adagrad(initial_accumulator_value=0.5)",
    "torch.adagrad(lr=0.1, weight_decay=0.1, lr_decay=0.05, initial_accumulator_value=0.1, eps=1e-6)",
]


def torch_setup(opt: Optimizer, numbers: dict[str, float]):
    """``(torch class, reference class, keyword arguments)`` for a ``torch.*`` preset."""
    flags = opt.flags
    if opt.name == "torch.sgd":
        keys = ("lr", "momentum", "dampening", "weight_decay")
        return (
            torch.optim.SGD,
            TorchSGD,
            {**{k: numbers[k] for k in keys}, "nesterov": flags["nesterov"]},
        )
    if opt.name in ("torch.adam", "torch.adamw"):
        kwargs = {
            "lr": numbers["lr"],
            "betas": (numbers["beta1"], numbers["beta2"]),
            "eps": numbers["eps"],
            "weight_decay": numbers["weight_decay"],
            "amsgrad": flags["amsgrad"],
        }
        if opt.name == "torch.adamw":
            return torch.optim.AdamW, TorchAdamW, kwargs
        kwargs["decoupled_weight_decay"] = bool(
            flags["decoupled_weight_decay"]
            if "decoupled_weight_decay" in flags
            else flags.get("decay") == "decoupled"
        )
        return torch.optim.Adam, TorchAdam, kwargs
    if opt.name == "torch.rmsprop":
        keys = ("lr", "alpha", "eps", "weight_decay", "momentum")
        return (
            torch.optim.RMSprop,
            TorchRMSprop,
            {**{k: numbers[k] for k in keys}, "centered": flags["centered"]},
        )
    assert opt.name == "torch.adagrad", opt.name
    keys = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")
    return torch.optim.Adagrad, TorchAdagrad, {k: numbers[k] for k in keys}


def numbers_of(opt: Optimizer, values: dict[str, float] | None) -> dict[str, float]:
    """Every hyperparameter as a float: the spec's numbers, then ``values``."""
    numbers = {k: float(v) for k, v in opt.values.items() if v.is_number}
    return {**numbers, **(values or {})}


def torch_state(optim, param, names) -> dict[str, np.ndarray]:
    """Copies of torch's state arrays, by the stepper's buffer names (absent ones left out)."""
    state = optim.state[param]
    return {n: state[TORCH_STATE[n]].numpy().copy() for n in names if TORCH_STATE[n] in state}


def check_float64_trajectory(opt, values, shape, seed, backends=CPU_BACKENDS):
    """50 float64 steps of each backend track ``torch.optim`` (params every step, final state)."""
    numbers = numbers_of(opt, values)
    torch_cls, _, kwargs = torch_setup(opt, numbers)
    p0, grads = problem(seed, shape, np.float64, STEPS)
    param = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    optim = torch_cls([param], foreach=False, **kwargs)
    expected = []
    for g in grads:
        param.grad = torch.from_numpy(g.copy())
        optim.step()
        expected.append(param.detach().numpy().copy())
    for backend in backends:
        stepper = Stepper(opt, backend, values=values)
        names = state_names(stepper)
        expected_state = torch_state(optim, param, names)
        params = np.array(p0)
        state = stepper.init(params)
        for t, g in enumerate(grads, start=1):
            params, state = stepper.step(params, g.copy(), state)
            assert_close(
                params, expected[t - 1], FLOAT64_RTOL, what=f"{opt.text} {backend} step {t}"
            )
        for name, buffer in zip(names, state.buffers, strict=True):
            if name in expected_state:  # torch keeps no momentum buffer without momentum
                assert_close(
                    buffer, expected_state[name], FLOAT64_RTOL, what=f"{opt.text} {backend} {name}"
                )


def _arrays(state: dict) -> list[str]:
    """The array entries of a reference state (0-d ones may be NumPy scalars)."""
    return [k for k, v in state.items() if k != "step" and v is not None]


def _as64(state: dict) -> dict:
    return {k: (np.asarray(v, np.float64) if k in _arrays(state) else v) for k, v in state.items()}


#: hyperparameters that torch also uses as ``1 - h`` (``lerp`` weights, dampening): their float32
#: rounding is one ulp of 1, not of h
COMPLEMENTED = {"momentum", "dampening", "betas", "alpha"}


def _nudged_hyperparameters(kwargs: dict):
    """Copies of ``kwargs`` with one float hyperparameter moved by one float32 rounding."""
    for key, value in kwargs.items():
        if isinstance(value, bool):
            continue
        parts = value if isinstance(value, tuple) else (value,)
        for k, h in enumerate(parts):
            if h == 0:  # exact in float32, and switches branches in torch (momentum > 0)
                continue
            size = max(abs(h), abs(1 - h)) if key in COMPLEMENTED else abs(h)
            moved = list(parts)
            moved[k] = h + float(ulp32(size))
            yield {**kwargs, key: tuple(moved) if isinstance(value, tuple) else moved[0]}


def rounding_sensitivity(ref_cls, kwargs, params, grads, ref_state, t) -> dict[str, np.ndarray]:
    """First-order sensitivity of one step to one float32 rounding of each of its inputs.

    The step is evaluated in float64 by the independent reference, once as given and once with
    each input (parameters, gradient, each state array, each hyperparameter) moved by one float32
    ulp; the absolute changes of each output are summed. This is how far two correct float32
    evaluations that round differently (FMA or not, ``a/sqrt(c)`` or ``a*sqrt(1/c)``, ``β₁`` or
    torch's ``1 - float32(1 - β₁)`` in ``lerp``) can drift apart where a subtraction cancels
    (``g + λw ≈ 0``, ``β₁m + (1-β₁)g ≈ 0``, ``w - step ≈ 0``).
    """
    reference = ref_cls(**kwargs)
    p64, g64, s64 = params.astype(np.float64), grads.astype(np.float64), _as64(ref_state)
    base_p, base_s = reference.step(p64, g64, s64, t)
    keys = _arrays(base_s)
    total = {"w": np.zeros_like(p64), **{k: np.zeros_like(p64) for k in keys}}

    def add(result):
        new_p, new_s = result
        total["w"] += np.abs(new_p - base_p)
        for k in keys:
            total[k] += np.abs(new_s[k] - base_s[k])

    add(reference.step(p64 + ulp32(params), g64, s64, t))
    add(reference.step(p64, g64 + ulp32(grads), s64, t))
    for k in _arrays(s64):
        add(reference.step(p64, g64, {**s64, k: s64[k] + ulp32(s64[k])}, t))
    for nudged in _nudged_hyperparameters(kwargs):
        try:
            nudged_reference = ref_cls(**nudged)
        except ValueError:  # Nesterov needs dampening exactly 0: nothing to round there
            continue
        add(nudged_reference.step(p64, g64, s64, t))
    return total


def float32_bound(expected, old, sensitivity, condition=1.0) -> np.ndarray:
    """``FLOAT32_ULPS`` ulps of ``max(|new|, |old|)`` (times the ``condition`` number of a
    subtraction inside the step, 1 unless noted) plus ``FLOAT32_SENSITIVITY`` x sensitivity."""
    scale = np.maximum(np.abs(expected), np.abs(old)).astype(np.float64)
    return FLOAT32_ULPS * condition * ulp32(scale) + FLOAT32_SENSITIVITY * sensitivity


def assert_float32_step(actual, expected, old, sensitivity, what, condition=1.0):
    error = np.abs(np.asarray(actual, np.float64) - np.asarray(expected, np.float64))
    bound = float32_bound(expected, old, sensitivity, condition)
    bad = ~(error <= bound)
    if np.any(bad):
        i = np.unravel_index(np.argmax(np.where(bad, error - bound, -np.inf)), bad.shape)
        ulps = error[i] / ulp32(max(abs(float(expected[i])), abs(float(old[i]))))
        raise AssertionError(
            f"{what}: {int(bad.sum())} entries off; worst {actual[i]!r} vs torch {expected[i]!r} "
            f"({ulps:.1f} ulps, sensitivity {sensitivity[i]:.3g})"
        )


def check_float32_steps(opt, values, shape, seed, backends=CPU_BACKENDS):
    """Each float32 step, started from torch's own params and state, lands next to torch's."""
    numbers = numbers_of(opt, values)
    torch_cls, ref_cls, kwargs = torch_setup(opt, numbers)
    p0, grads = problem(seed, shape, np.float32, STEPS)
    param = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    optim = torch_cls([param], foreach=False, **kwargs)
    reference = ref_cls(**kwargs)
    steppers = {b: Stepper(opt, b, values=values) for b in backends}
    first = next(iter(steppers.values()))
    names = state_names(first)
    fresh = dict(zip(names, first.init(p0).buffers, strict=True))
    for t, g in enumerate(grads):
        w_old = param.detach().numpy().copy()
        old = {**fresh, **torch_state(optim, param, names)} if t else dict(fresh)
        ref_state = reference.init(w_old)
        if t:
            ref_state.update(
                {k: v.numpy().copy() for k, v in optim.state[param].items() if k != "step"}
            )
        ref_state["step"] = t
        sensitivity = rounding_sensitivity(ref_cls, kwargs, w_old, g, ref_state, t + 1)
        param.grad = torch.from_numpy(g.copy())
        optim.step()
        w_new = param.detach().numpy()
        new = torch_state(optim, param, names)
        # centered RMSprop divides by sqrt(a - ḡ²): rounding a or ḡ² is amplified by the
        # condition number a / (a - ḡ²) of that subtraction (torch fuses it in ``addcmul``)
        condition = 1.0
        if opt.flags.get("centered"):
            a, gbar = new["a"].astype(np.float64), new["gbar"].astype(np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                condition = np.maximum(1.0, np.abs(a / (a - gbar * gbar)))
        for backend, stepper in steppers.items():
            state = with_buffers(t, [old[n] for n in names])
            params, state = stepper.step(np.array(w_old), g.copy(), state)
            where = f"{opt.text} float32 {backend} step {t + 1}"
            assert np.asarray(params).dtype == np.float32, where
            assert_float32_step(
                np.asarray(params), w_new, w_old, sensitivity["w"], where, condition
            )
            for name, buffer in zip(names, state.buffers, strict=True):
                if name in new:
                    assert_float32_step(
                        np.asarray(buffer),
                        new[name],
                        old[name],
                        sensitivity[TORCH_STATE[name]],
                        f"{where} {name}",
                        condition if name == "b" else 1.0,
                    )


@pytest.mark.parametrize("spec", TORCH_PRESETS)
def test_torch_preset_float64_tracks_torch_optim(spec):
    check_float64_trajectory(optimizer(spec), None, (3, 5), TORCH_PRESETS.index(spec))


@pytest.mark.parametrize("spec", TORCH_PRESETS)
def test_torch_preset_float32_steps_within_a_few_ulps_of_torch_optim(spec):
    check_float32_steps(optimizer(spec), None, (11,), TORCH_PRESETS.index(spec))


def test_torch_preset_defaults_are_torch_defaults():
    """``with_defaults()`` gives torch's own defaults (read from the installed torch)."""
    import inspect

    for spec, cls in [
        ("torch.sgd()", torch.optim.SGD),
        ("torch.adam()", torch.optim.Adam),
        ("torch.adamw()", torch.optim.AdamW),
        ("torch.rmsprop()", torch.optim.RMSprop),
        ("torch.adagrad()", torch.optim.Adagrad),
    ]:
        opt = optimizer(spec)
        defaults = {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items()}
        _, _, kwargs = torch_setup(opt, numbers_of(opt, None))
        for key, value in kwargs.items():
            expected = defaults[key]
            if isinstance(expected, torch.Tensor):
                expected = expected.item()
            assert value == expected, (spec, key)


# ---------------------------------------------------------------- random torch configurations


@st.composite
def torch_configurations(draw, name: str):
    """``(spec with the switches, values of the hyperparameters)`` valid for ``torch.optim``."""
    weight_decay = draw(maybe_zero(log_uniform(1e-4, 1.0)))
    if name == "torch.sgd":
        momentum = draw(maybe_zero(st.floats(0.01, 0.99)))
        nesterov = momentum > 0 and draw(st.booleans())
        values = {"lr": draw(log_uniform(1e-4, 1.0)), "momentum": momentum}
        values["weight_decay"] = weight_decay
        if nesterov:  # torch needs dampening 0, which nesterov=true implies
            return "torch.sgd(nesterov=true)", values
        values["dampening"] = draw(maybe_zero(st.floats(0.0, 1.0)))  # ignored without momentum
        return "torch.sgd()", values
    if name in ("torch.adam", "torch.adamw"):
        values = {
            "lr": draw(log_uniform(1e-4, 0.3)),
            "beta1": draw(st.floats(0.0, 0.99)),
            "beta2": draw(st.floats(0.0, 0.9999)),
            "eps": draw(log_uniform(1e-10, 1e-2)),
            "weight_decay": weight_decay,
        }
        switches = [f"amsgrad={str(draw(st.booleans())).lower()}"]
        if name == "torch.adam":
            switches.append(f"decoupled_weight_decay={str(draw(st.booleans())).lower()}")
        return f"{name}({', '.join(switches)})", values
    if name == "torch.rmsprop":
        values = {
            "lr": draw(log_uniform(1e-4, 0.1)),
            "alpha": draw(st.floats(0.3, 0.999)),
            "eps": draw(log_uniform(1e-10, 1e-2)),
            "weight_decay": weight_decay,
            "momentum": draw(maybe_zero(st.floats(0.01, 0.99))),
        }
        return f"torch.rmsprop(centered={str(draw(st.booleans())).lower()})", values
    assert name == "torch.adagrad"
    values = {
        "lr": draw(log_uniform(1e-4, 1.0)),
        "lr_decay": draw(maybe_zero(log_uniform(1e-4, 1.0))),
        "weight_decay": weight_decay,
        "initial_accumulator_value": draw(maybe_zero(st.floats(0.0, 1.0))),
        "eps": draw(log_uniform(1e-10, 1e-2)),
    }
    return "torch.adagrad()", values


TORCH_NAMES = ["torch.sgd", "torch.adam", "torch.adamw", "torch.rmsprop", "torch.adagrad"]


@pytest.mark.parametrize("name", TORCH_NAMES)
@hsettings(max_examples=examples(12))
@given(
    config=st.data(),
    shape=st.sampled_from(SHAPES),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_torch_configurations_track_torch_optim(name, config, shape, seed):
    spec, values = config.draw(torch_configurations(name))
    opt = optimizer(spec, defaults=False)
    check_float64_trajectory(opt, values, shape, seed)
    check_float32_steps(opt, values, shape, seed)


# ------------------------------------- regressions: specs and values (bugs fixed along the way)


def test_torch_sgd_nesterov_without_explicit_dampening():
    """torch's default dampening is 0, the only one Nesterov allows: no need to write it."""
    opt = Optimizer.from_spec("torch.sgd(lr=0.05, momentum=0.9, nesterov=true)").with_defaults()
    check_float64_trajectory(opt, None, (5,), 0, backends=("numpy",))


def test_torch_sgd_symbolic_momentum_zero_ignores_dampening():
    """torch.optim.SGD ignores dampening without momentum; so must values={'momentum': 0}."""
    values = {"lr": 0.1, "momentum": 0.0, "dampening": 0.5, "weight_decay": 0.0}
    check_float64_trajectory(
        optimizer("torch.sgd()", defaults=False), values, (5,), 1, backends=("numpy",)
    )


def test_values_override_a_number_fixed_by_the_spec():
    """Applied or refused, never silently ignored (the kernel is specialised on the spec)."""
    opt = optimizer("torch.adam(lr=0.01, weight_decay=0)")
    try:
        stepper = Stepper(opt, "numpy", values={"weight_decay": 0.5})
    except WdtheoryError:
        return  # refusing the override is fine too
    p0, grads = problem(2, (5,), np.float64, 3)
    actual, _ = run(stepper, p0, grads)
    expected, _ = run(
        Stepper(optimizer("torch.adam(lr=0.01, weight_decay=0.5)"), "numpy"), p0, grads
    )
    assert_close(actual, expected, FLOAT64_RTOL)


# ---------------------------------------------------------------------------------------------
# the paper and generic optimizers: against tests/references
# ---------------------------------------------------------------------------------------------


def constant(value):
    return lambda _t: value


def cosine(t: int) -> float:
    """A schedule multiplier s_t for the 1-based step t (never 0, never above 1)."""
    return 0.5 * (1 + math.cos(math.pi * t / (STEPS + 1))) + 0.01


def lr_schedule(o, key="lr"):
    """The torch reference's ``lr`` callable (called with t) for a stepper run with
    ``schedule=cosine(t)``."""
    return lambda k: o[key] * cosine(k)


#: (spec, reference factory (hyperparameters by spec key, dtype name) -> reference, schedule or
#:  None,
#:  {stepper buffer: (reference state key, factor)})
REFERENCE_CASES = [
    # the paper: decay times the schedule multiplier η_t only (the stepper's schedule=)
    (
        "paper.sgdw(alpha=0.1, beta1=0.9, weight_decay=0.01)",
        lambda o, dt: PaperSGDW(0.1, 0.9, 0.01, schedule_multiplier=cosine),
        cosine,
        {"b": ("m", -1)},
    ),
    (
        "paper.adamw(weight_decay=0.001)",
        lambda o, dt: PaperAdamW(0.001, schedule_multiplier=cosine),
        cosine,
        {"m": ("m", 1), "v": ("v", 1)},
    ),
    (
        "paper.adamw(alpha=0.01, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.01)",
        lambda o, dt: PaperAdamW(
            0.01, alpha=0.01, beta1=0.8, beta2=0.99, eps=1e-6, schedule_multiplier=cosine
        ),
        cosine,
        {"m": ("m", 1), "v": ("v", 1)},
    ),
    # generic optimizers: decay modes and schedule=true (η_t = lr · s_t)
    (
        "sgd(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.01, schedule=true)",
        lambda o, dt: TorchSGD(lr_schedule(o), 0.9, 0.2, 0.01),
        cosine,
        {"b": ("momentum_buffer", 1)},
    ),
    (
        "sgd(lr=0.1, momentum=0.9, weight_decay=0.01, decay=independent, schedule=true)",
        lambda o, dt: PaperSGDW(0.1, 0.9, 0.01, schedule_multiplier=0.7),
        constant(0.7),  # the box accumulates η_t α g: equal to this only for a constant η_t
        {"b": ("m", 0.07)},
    ),
    (
        "adam(lr=0.01, weight_decay=0.1, amsgrad=true, schedule=true)",
        lambda o, dt: TorchAdam(lr_schedule(o), weight_decay=0.1, amsgrad=True),
        cosine,
        {"m": ("exp_avg", 1), "v": ("exp_avg_sq", 1), "v_max": ("max_exp_avg_sq", 1)},
    ),
    (
        "adamw(lr=0.01, weight_decay=0.1, schedule=true)",
        lambda o, dt: TorchAdamW(lr_schedule(o), weight_decay=0.1),
        cosine,
        {"m": ("exp_avg", 1), "v": ("exp_avg_sq", 1)},
    ),
    (
        "adamw(lr=0.01, weight_decay=0.001, decay=independent, schedule=true)",
        lambda o, dt: PaperAdamW(0.001, alpha=0.01, schedule_multiplier=cosine),
        cosine,
        {"m": ("m", 1), "v": ("v", 1)},
    ),
    (
        "rmsprop(lr=0.01, centered=true, momentum=0.9, weight_decay=0.1, schedule=true)",
        lambda o, dt: TorchRMSprop(lr_schedule(o), weight_decay=0.1, momentum=0.9, centered=True),
        cosine,
        {"a": ("square_avg", 1), "gbar": ("grad_avg", 1), "b": ("momentum_buffer", 1)},
    ),
    (
        "adagrad(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.1, weight_decay=0.01, "
        "schedule=true)",
        lambda o, dt: TorchAdagrad(
            lr_schedule(o), lr_decay=0.05, initial_accumulator_value=0.1, weight_decay=0.01
        ),
        cosine,
        {"G": ("sum", 1)},
    ),
]


def _reference_id(case):
    return case[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", REFERENCE_CASES, ids=[_reference_id(c) for c in REFERENCE_CASES])
def test_presets_track_the_library_references(case, dtype):
    spec, make_reference, schedule, buffers = case
    opt = optimizer(spec)
    reference = make_reference(numbers_of(opt, None), np.dtype(dtype).name)
    p0, grads = problem(REFERENCE_CASES.index(case), (4, 5), dtype, STEPS)
    expected, expected_state = p0, reference.init(p0)
    for t, g in enumerate(grads, start=1):
        expected, expected_state = reference.step(expected, g, expected_state, t)
    schedules = None if schedule is None else [schedule(t) for t in range(1, STEPS + 1)]
    rtol = FLOAT64_RTOL if dtype == np.float64 else FLOAT32_RTOL
    for backend in CPU_BACKENDS:
        stepper = Stepper(opt, backend)
        names = state_names(stepper)
        assert set(buffers) <= set(names), (names, buffers)
        actual, state = run(stepper, p0, grads, schedules)
        assert actual.dtype == dtype
        assert_close(actual, expected, rtol, what=f"{spec} {backend}")
        for name, (key, factor) in buffers.items():
            buffer = state[names.index(name)]
            assert_close(
                buffer * factor, expected_state[key], rtol, what=f"{spec} {backend} {name}"
            )


def test_schedule_changes_the_decay_of_the_paper_but_not_of_torch():
    """The paper's decay is η_t λ w (schedule only); AdamW's is lr·s_t·λ·w: with the gradient
    at 0 and a zero first step, the first decay factor shows which one is used."""
    p0 = np.array([1.0, -2.0, 0.5])
    zero = np.zeros_like(p0)
    paper = Stepper(optimizer("paper.adamw(alpha=0.01, weight_decay=0.1)"), "numpy")
    params, _ = paper.step(p0.copy(), zero, paper.init(p0), schedule=0.5)
    np.testing.assert_allclose(params, p0 * (1 - 0.5 * 0.1), rtol=1e-15)
    generic = Stepper(optimizer("adamw(lr=0.01, weight_decay=0.1, schedule=true)"), "numpy")
    params, _ = generic.step(p0.copy(), zero, generic.init(p0), schedule=0.5)
    np.testing.assert_allclose(params, p0 * (1 - 0.01 * 0.5 * 0.1), rtol=1e-15)


# ---------------------------------------------------------------- L1: hand-written formulas


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_l1_penalty_coupled_and_proximal(backend):
    """Coupled L1: w - η(g + λ sign w); proximal: soft-threshold w - ηg by ηλ (written here)."""
    lr, lam = 0.1, 0.3
    p0, grads = problem(5, (40,), np.float64, 20)
    coupled = Stepper(optimizer(f"sgd(lr={lr}, weight_decay={lam}, penalty=l1)"), backend)
    proximal = Stepper(
        optimizer(f"sgd(lr={lr}, weight_decay={lam}, penalty=l1, decay=proximal)"), backend
    )
    expected_c, expected_p = p0.copy(), p0.copy()
    for g in grads:
        expected_c = expected_c - lr * (g + lam * np.sign(expected_c))
        z = expected_p - lr * g
        expected_p = np.sign(z) * np.maximum(np.abs(z) - lr * lam, 0.0)
    actual_c, _ = run(coupled, p0, grads)
    actual_p, _ = run(proximal, p0, grads)
    assert_close(actual_c, expected_c, FLOAT64_RTOL)
    assert_close(actual_p, expected_p, FLOAT64_RTOL)
    assert np.any(actual_p == 0.0)  # the proximal step sets small weights exactly to zero
