"""Shared helpers for the optimizer tests (``optim/``, ``lowering/``, ``runtime/``, ``analysis/``).

Nothing here knows how ``wdtheory`` computes a step: these are problem generators, comparison
measures, small adapters between a :class:`~wdtheory.runtime.stepper.Stepper` and plain NumPy,
and the check that a spec is refused in one line.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

from wdtheory.core.errors import WdtheoryError
from wdtheory.optim.optimizer import Optimizer
from wdtheory.runtime.stepper import OptState, Stepper

#: the lowering backends that run on these machines (``cupy`` needs a GPU)
CPU_BACKENDS = ("numba", "numpy", "array_api")
DTYPES = (np.float32, np.float64)


def examples(n: int) -> int:
    """``n`` examples under the bounded ``ci`` profile; the profile's own count when it asks for
    more (``thorough``)."""
    return max(n, settings.default.max_examples) if settings.default.max_examples > 100 else n


@cache
def optimizer(spec: str, defaults: bool = True) -> Optimizer:
    """``Optimizer.from_spec(spec, symbolic=True)`` (with library defaults filled in), built once per spec."""
    opt = Optimizer.from_spec(spec, symbolic=True)
    return opt.with_defaults() if defaults else opt


def problem(seed: int, shape: tuple[int, ...], dtype, steps: int):
    """Initial parameters and ``steps`` random gradients whose magnitude varies from step to step."""
    rng = np.random.default_rng(seed)
    p0 = np.asarray(rng.normal(size=shape), dtype=dtype)
    grads = [
        np.asarray(rng.normal(size=shape) * 10.0 ** rng.uniform(-2, 1), dtype=dtype)
        for _ in range(steps)
    ]
    return p0, grads


def to_numpy(array) -> np.ndarray:
    """A NumPy copy of a NumPy or array-API array (``array_api_strict`` through DLPack)."""
    if isinstance(array, np.ndarray | np.generic):
        return np.array(array)
    return np.array(np.from_dlpack(array))


def run(
    stepper: Stepper, p0, grads, schedules=None, xp=None
) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Run ``stepper`` from ``p0`` (copied) over ``grads``; ``schedules[t-1]`` is step t's
    multiplier, used only by rules that take one (``schedule=true``; the others refuse a
    multiplier). ``xp`` converts the inputs to another array namespace (``array_api_strict``)."""
    scheduled = stepper.optimizer.flags.get("schedule") is True
    convert = (lambda a: np.array(a)) if xp is None else (lambda a: xp.asarray(np.array(a)))
    params = convert(p0)
    state = stepper.init(params)
    for t, g in enumerate(grads, start=1):
        schedule = 1.0 if schedules is None or not scheduled else schedules[t - 1]
        params, state = stepper.step(params, convert(g), state, schedule=schedule)
    assert state.step == len(grads)
    return to_numpy(params), tuple(to_numpy(b) for b in state.buffers)


def state_names(stepper: Stepper) -> tuple[str, ...]:
    """The names of a stepper's buffers, in the order of ``OptState.buffers``: the states of its
    optimizer's chain once ``values`` are bound (a momentum bound to 0 has no buffer)."""
    return tuple(slot.symbol.name for slot in stepper.optimizer.chain.states)


def with_buffers(step: int, buffers) -> OptState:
    """An ``OptState`` holding copies of ``buffers`` after ``step`` steps."""
    return OptState(step, tuple(np.array(b) for b in buffers))


def assert_close(actual, expected, rtol: float, scale: float | None = None, what: str = ""):
    """``|a - b| <= rtol * (|b| + scale)`` elementwise, with ``scale`` the largest ``|b|`` (the
    array's size) unless given: relative for large entries, absolute near zero."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (what, actual.shape, expected.shape)
    if scale is None:
        scale = float(np.max(np.abs(expected), initial=0.0))
    bound = rtol * (np.abs(expected) + scale)
    error = np.abs(actual - expected)
    bad = ~(error <= bound)
    if np.any(bad):
        i = np.unravel_index(
            np.argmax(np.where(bad, error / np.maximum(bound, 1e-300), 0)), bad.shape
        )
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} entries differ by more than "
            f"{rtol:g}·(|expected| + {scale:.3g}); worst at {i}: {actual[i]!r} vs {expected[i]!r}"
        )


def ulp32(x) -> np.ndarray:
    """The float32 spacing at ``|x|`` (elementwise), as float64."""
    return np.spacing(np.abs(np.asarray(x, dtype=np.float32))).astype(np.float64)


def refuse(text: str, *fragments: str, defaults: bool = False) -> str:
    """``Optimizer.from_spec(text, symbolic=True)`` (and, with ``defaults``, ``with_defaults()``) raises one
    WdtheoryError line containing every fragment; the message is returned."""
    with pytest.raises(WdtheoryError) as info:
        opt = Optimizer.from_spec(text, symbolic=True)
        if defaults:
            opt.with_defaults()
    message = str(info.value)
    assert "\n" not in message and message.strip() == message and message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def log_uniform(low: float, high: float):
    """Hypothesis floats spread evenly over the decades from ``low`` to ``high``."""
    return st.floats(math.log10(low), math.log10(high)).map(lambda e: float(10.0**e))


def maybe_zero(strategy):
    """``strategy``, or exactly 0.0 (a hyperparameter switched off)."""
    return st.one_of(st.just(0.0), strategy)
