"""Conformance with the real optax and Keras 3 (JAX backend).

Every ``optax.*`` preset runs next to optax's own alias (optax 0.2.8) and every ``keras.*``
preset next to ``keras.optimizers`` (Keras 3.15.1 on JAX, gradients applied to a
``keras.Variable``), through the :class:`~wdtheory.runtime.stepper.Stepper` on each CPU backend
and through :func:`wdtheory.optax.transformation`, on the same gradients: with the presets'
library defaults, with numbers that switch on each variant (momentum, Nesterov, decay, AMSGrad,
``eps_root``), under a learning-rate schedule, with random hyperparameters drawn by hypothesis,
and generic rules (``sgdw``, ``adamw``, ``lion``) against the library optimizer they are.

* **float64** (``jax_enable_x64`` and Keras' ``floatx`` set to float64 for the test, then
  restored): 50 steps; the parameters at every step and the final state agree to
  ``FLOAT64_RTOL`` (``|a - b| <= 1e-10 (|b| + max|b|)``).
* **float32** (JAX's and Keras' defaults): one step at a time, each started from the library's
  own parameters and state, lands within ``FLOAT32_ULPS`` float32 ulps of the largest of the
  new value, the old one and the step between them, plus ``FLOAT32_SENSITIVITY`` x the step's
  first-order sensitivity to one float32 rounding of each input (:class:`Sensitivity`), the
  torch conformance test's bound. The sensitivity is evaluated by the lowered rule in float64,
  the function the float64 test pins to the library's.

Keras' moments are lerps whose float32 rounding grows as 1/beta: its random betas are drawn from
[0.5, 1), and the difference at beta_2 = 0 is pinned by its own test.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optimizer_cases import (
    CPU_BACKENDS,
    assert_close,
    examples,
    log_uniform,
    maybe_zero,
    optimizer,
    problem,
    ulp32,
)

from wdtheory.lowering.compile import lower
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.presets import keras as keras_presets
from wdtheory.optim.presets import optax as optax_presets
from wdtheory.optim.roles import ROLES
from wdtheory.runtime.stepper import OptState, Stepper

os.environ.setdefault("KERAS_BACKEND", "jax")
jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
optax = pytest.importorskip("optax")
keras = pytest.importorskip("keras")
wdtheory_optax = pytest.importorskip("wdtheory.optax")
if keras.backend.backend() != "jax":
    pytest.skip("Keras runs on another backend (KERAS_BACKEND)", allow_module_level=True)

STEPS = 50
FLOAT64_RTOL = 1e-10
#: float32: ulps of max(|new|, |old|, |new - old|) plus this many times the rounding sensitivity
#: (the torch conformance test's bound)
FLOAT32_ULPS = 4
FLOAT32_SENSITIVITY = 2.0
#: hyperparameters the libraries also use as 1 - h (``1 - b1``, Keras' ``1 - beta_1``): their
#: float32 rounding is one ulp of max(h, 1 - h)
COMPLEMENTED = {"momentum", "dampening", "beta1", "beta2", "alpha"}


def schedule(count):
    """A learning-rate multiplier s_t for the count of steps taken (optax and Keras both call
    their schedules with it), decreasing from 1; plain arithmetic, so that JAX traces it."""
    return 1.0 / (1.0 + 0.05 * count)


@contextlib.contextmanager
def float64_mode():
    """JAX with 64-bit floats and Keras' floatx float64, then both as they were (global)."""
    floatx = keras.config.floatx()
    with jax.enable_x64(True):
        keras.config.set_floatx("float64")
        try:
            yield
        finally:
            keras.config.set_floatx(floatx)


@pytest.fixture
def float64():
    with float64_mode():
        yield


def numbers_of(opt: Optimizer, values: dict | None) -> dict[str, float]:
    return {**{k: float(v) for k, v in opt.values.items() if v.is_number}, **(values or {})}


# ------------------------------------------------------------------------------- the libraries

#: optax's state fields and Keras' slot lists -> the Stepper's buffer names
OPTAX_STATE = {"mu": "m", "nu": "v", "trace": "b"}
KERAS_STATE = {"b": "momentums", "m": "_momentums", "v": "_velocities", "v_max": "_velocity_hats"}


class Optax:
    """An ``optax.*`` preset as optax's own alias: ``start(p0)``, ``step(g)``, ``params()`` and
    ``buffers()`` (optax's state by the Stepper's buffer names)."""

    def __init__(self, opt: Optimizer, numbers: dict[str, float], scheduled: bool) -> None:
        n, flags = numbers, opt.flags
        lr = n["learning_rate"]
        learning_rate = (lambda count: lr * schedule(count)) if scheduled else lr
        if opt.name == "optax.sgd":
            momentum = n["momentum"] or None
            self.tx = optax.sgd(learning_rate, momentum=momentum, nesterov=flags["nesterov"])
        elif opt.name == "optax.lion":
            keys = ("b1", "b2", "weight_decay")
            self.tx = optax.lion(learning_rate, **{k: n[k] for k in keys})
        else:
            keys = ("b1", "b2", "eps", "eps_root") + ("weight_decay",) * (opt.name == "optax.adamw")
            alias = optax.adamw if opt.name == "optax.adamw" else optax.adam
            self.tx = alias(learning_rate, **{k: n[k] for k in keys})

    def start(self, p0: np.ndarray) -> None:
        self.p = jnp.asarray(p0)
        self.state = self.tx.init(self.p)

    def step(self, g: np.ndarray) -> None:
        updates, self.state = self.tx.update(jnp.asarray(g), self.state, self.p)
        self.p = optax.apply_updates(self.p, updates)

    def params(self) -> np.ndarray:
        return np.array(self.p)

    def buffers(self) -> dict[str, np.ndarray]:
        found = {}

        def walk(node):
            if hasattr(node, "_fields"):  # optax's states are NamedTuples, chains tuples of them
                for field in node._fields:
                    if field in OPTAX_STATE:
                        found[OPTAX_STATE[field]] = np.array(getattr(node, field))
                    else:
                        walk(getattr(node, field))
            elif isinstance(node, tuple | list):
                for child in node:
                    walk(child)

        walk(self.state)
        return found


class _KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, lr: float) -> None:
        self.lr = lr

    def __call__(self, iterations):
        return self.lr * schedule(iterations)


class Keras:
    """A ``keras.*`` preset as ``keras.optimizers`` stepping a ``keras.Variable``."""

    def __init__(self, opt: Optimizer, numbers: dict[str, float], scheduled: bool) -> None:
        n, flags = numbers, opt.flags
        lr = _KerasSchedule(n["learning_rate"]) if scheduled else n["learning_rate"]
        # weight_decay=None is Keras' "no decay"; AdamW requires a number
        decay = n["weight_decay"] if opt.name == "keras.adamw" else (n["weight_decay"] or None)
        if opt.name == "keras.sgd":
            self.make = lambda: keras.optimizers.SGD(
                lr, momentum=n["momentum"], nesterov=flags["nesterov"], weight_decay=decay
            )
        else:
            cls = keras.optimizers.AdamW if opt.name == "keras.adamw" else keras.optimizers.Adam
            keys = ("beta_1", "beta_2", "epsilon")
            self.make = lambda: cls(
                learning_rate=lr,
                **{k: n[k] for k in keys},
                amsgrad=flags["amsgrad"],
                weight_decay=decay,
            )

    def start(self, p0: np.ndarray) -> None:
        self.variable = keras.Variable(p0, dtype=p0.dtype.name)
        self.optimizer = self.make()
        self.optimizer.build([self.variable])

    def step(self, g: np.ndarray) -> None:
        self.optimizer.apply_gradients([(jnp.asarray(g), self.variable)])

    def params(self) -> np.ndarray:
        return np.array(self.variable.value)

    def buffers(self) -> dict[str, np.ndarray]:
        slots = {name: getattr(self.optimizer, attr, None) for name, attr in KERAS_STATE.items()}
        return {name: np.array(slot[0].value) for name, slot in slots.items() if slot}


def library_of(opt: Optimizer, values: dict | None, scheduled: bool):
    cls = Optax if opt.name.startswith("optax.") else Keras
    return cls(opt, numbers_of(opt, values), scheduled)


def library_run(library, p0, grads, factors=None) -> list[tuple[np.ndarray, dict]]:
    """The library's params and state before the first step and after each step; each state
    buffer times ``factors[name]`` (in its dtype), where the library keeps a multiple of it."""
    factors = factors or {}

    def snapshot():
        buffers = library.buffers()
        return library.params(), {
            n: (b * b.dtype.type(factors.get(n, 1))).astype(b.dtype) for n, b in buffers.items()
        }

    library.start(p0)
    snapshots = [snapshot()]
    for g in grads:
        library.step(g)
        snapshots.append(snapshot())
    return snapshots


# ------------------------------------------------------------------------------ wdtheory's side


def stepper_of(opt: Optimizer, backend: str, values: dict | None, scheduled: bool) -> Stepper:
    return Stepper(opt.scheduled() if scheduled else opt, backend, values=values)


def names_of(stepper: Stepper) -> tuple[str, ...]:
    return tuple(slot.symbol.name for slot in stepper.optimizer.chain.states)


def multiplier(scheduled: bool, t: int) -> float:
    """The Stepper's ``schedule=`` for step t (1-based): the libraries' s(t - 1)."""
    return schedule(t - 1) if scheduled else 1.0


def transformation_of(opt: Optimizer, values: dict | None, scheduled: bool):
    if scheduled:
        return wdtheory_optax.transformation(opt.scheduled(), values=values, schedule=schedule)
    return wdtheory_optax.transformation(opt, values=values)


def transformation_step(tx, names, t, w, g, buffers):
    """Step t of ``tx`` from params ``w`` and state ``buffers`` (by name) after t - 1 steps."""
    state = wdtheory_optax.state_class(names)(
        jnp.asarray(t - 1, jnp.int32), *(jnp.asarray(buffers[n]) for n in names)
    )
    updates, state = tx.update(jnp.asarray(g), state, jnp.asarray(w))
    new = optax.apply_updates(jnp.asarray(w), updates)
    assert int(state.count) == t
    return np.array(new), {n: np.array(getattr(state, n)) for n in names}


def trajectories(opt, values, scheduled, p0, grads):
    """Every wdtheory path's run from ``p0``: ``{path: (params after each step, final state by
    name)}`` for the Stepper on each CPU backend and the optax transformation."""
    runs = {}
    for backend in CPU_BACKENDS:
        stepper = stepper_of(opt, backend, values, scheduled)
        params, state, path = np.array(p0), stepper.init(np.array(p0)), []
        for t, g in enumerate(grads, start=1):
            params, state = stepper.step(params, g.copy(), state, schedule=multiplier(scheduled, t))
            path.append(np.array(params))
        runs[backend] = (path, dict(zip(names_of(stepper), state.buffers, strict=True)))
    tx = transformation_of(opt, values, scheduled)
    params, state, path = jnp.asarray(p0), tx.init(jnp.asarray(p0)), []
    for g in grads:
        updates, state = tx.update(jnp.asarray(g), state, params)
        params = optax.apply_updates(params, updates)
        path.append(np.array(params))
    runs["transformation"] = (path, {n: np.array(getattr(state, n)) for n in state._fields[1:]})
    return runs


def check_float64(opt, values, shape, seed, scheduled=False, library=None, factors=None):
    """50 float64 steps of every wdtheory path track the library (params every step, final
    state). ``library``: another optimizer's library run (default: ``opt``'s own), whose state
    times ``factors[name]`` is wdtheory's."""
    p0, grads = problem(seed, shape, np.float64, STEPS)
    library = library or library_of(opt, values, scheduled)
    snapshots = library_run(library, p0, grads, factors)
    final = snapshots[-1][1]
    for path, (params, state) in trajectories(opt, values, scheduled, p0, grads).items():
        assert set(state) == set(final), (path, sorted(state), sorted(final))
        for t, w in enumerate(params, start=1):
            what = f"{opt.text} {path} step {t}"
            assert_close(w, snapshots[t][0], FLOAT64_RTOL, what=what)
        for name, buffer in state.items():
            assert_close(buffer, final[name], FLOAT64_RTOL, what=f"{opt.text} {path} {name}")


class Sensitivity:
    r"""First-order sensitivity of one step to one float32 rounding of each of its inputs:
    :math:`\sum_x |R(x + \mathrm{ulp}_{32}(x)) - R(x)|`, with :math:`R` the lowered rule
    evaluated in float64. The inputs are the parameters, the gradient, each state buffer, and
    each hyperparameter (and the schedule multiplier) *in each hoisted constant separately*: a
    library may round a hyperparameter differently where it uses it (optax computes
    ``1 - b2`` in float64 and rounds it, but raises ``float32(b2)`` to the power t), and where
    the constants cancel in exact arithmetic (at step 1 Adam's second moment is
    :math:`(1-\beta_2) g^2 / (1-\beta_2)`) one such rounding moves the step. This is how far two
    correct float32 evaluations that round differently can drift apart."""

    def __init__(self, stepper: Stepper) -> None:
        opt = stepper.optimizer
        self.scalars, self.hyper = stepper.scalars, dict(stepper.hyper)
        self.rules = {first: lower(opt.program(first), self.scalars) for first in (False, True)}
        self.first = opt.chain.has_first_step_rule
        #: hyperparameter -> whether the libraries also use it as 1 - h
        self.nudged = {
            ROLES[role].symbol: role in COMPLEMENTED
            for role in opt.definition.params.values()
            if ROLES[role].symbol in opt.used_symbols and self.hyper[ROLES[role].symbol] != 0
        }

    def _constants(self, rule, hyper, t, s) -> tuple[float, ...]:
        return rule.prologue(*(hyper[x] for x in self.scalars[:-2]), float(t), s)

    def _nudged_constants(self, rule, t, s):
        """The hoisted constants with one hyperparameter (or s) rounded in one constant."""
        base = self._constants(rule, self.hyper, t, s)
        moves = [(self.hyper, s + float(ulp32(s)))]
        for symbol, complemented in self.nudged.items():
            h = self.hyper[symbol]
            size = max(abs(h), abs(1 - h)) if complemented else abs(h)
            moves.append(({**self.hyper, symbol: h + float(ulp32(size))}, s))
        for hyper, multiplier in moves:
            moved = self._constants(rule, hyper, t, multiplier)
            for k, (new, old) in enumerate(zip(moved, base, strict=True)):
                if new != old:
                    yield (*base[:k], new, *base[k + 1 :])

    def __call__(self, w, g, buffers, t, s) -> list[np.ndarray]:
        """One array per output (params, then each buffer)."""
        rule = self.rules[self.first and t == 1]
        w, g = w.astype(np.float64), g.astype(np.float64)
        buffers = [b.astype(np.float64) for b in buffers]
        constants = self._constants(rule, self.hyper, t, s)

        def step(w, g, buffers, constants):
            outputs = rule.array_api(np, w, g, *buffers, *constants)
            return [np.asarray(a, np.float64) for a in outputs]

        base = step(w, g, buffers, constants)
        moved = [
            step(w + ulp32(w), g, buffers, constants),
            step(w, g + ulp32(g), buffers, constants),
            *(step(w, g, buffers, c) for c in self._nudged_constants(rule, t, s)),
        ]
        for k, b in enumerate(buffers):
            moved.append(step(w, g, [*buffers[:k], b + ulp32(b), *buffers[k + 1 :]], constants))
        total = [np.zeros_like(b) for b in base]
        for outputs in moved:
            for acc, new, old in zip(total, outputs, base, strict=True):
                acc += np.abs(new - old)
        return total


def assert_float32_step(actual, expected, old, sensitivity, what):
    """Within ``FLOAT32_ULPS`` ulps of the largest of the new value, the old one and the step
    between them (a float32 step computes the step to a few of its own ulps and adds it) plus
    ``FLOAT32_SENSITIVITY`` x ``sensitivity``."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    old = np.asarray(old, np.float64)
    scale = np.maximum(np.maximum(np.abs(expected), np.abs(old)), np.abs(expected - old))
    bound = FLOAT32_ULPS * ulp32(scale) + FLOAT32_SENSITIVITY * sensitivity
    error = np.abs(actual - expected)
    bad = ~(error <= bound)
    if np.any(bad):
        i = np.unravel_index(np.argmax(np.where(bad, error - bound, -np.inf)), bad.shape)
        raise AssertionError(
            f"{what}: {int(bad.sum())} entries off; worst {actual[i]!r} vs the library's "
            f"{expected[i]!r} ({error[i] / ulp32(scale[i]):.1f} ulps, sensitivity "
            f"{sensitivity[i]:.3g})"
        )


def check_float32(opt, values, shape, seed, scheduled=False, library=None, factors=None):
    """Each float32 step, started from the library's own params and state, lands next to the
    library's result, through every backend and the transformation (``library``, ``factors``:
    as for :func:`check_float64`)."""
    p0, grads = problem(seed, shape, np.float32, STEPS)
    library = library or library_of(opt, values, scheduled)
    snapshots = library_run(library, p0, grads, factors)
    steppers = {b: stepper_of(opt, b, values, scheduled) for b in CPU_BACKENDS}
    first = steppers["numpy"]
    names = names_of(first)
    sensitivity = Sensitivity(first)
    tx = transformation_of(opt, values, scheduled)
    for t, g in enumerate(grads, start=1):
        (w_old, old), (w_new, new) = snapshots[t - 1], snapshots[t]
        s = multiplier(scheduled, t)
        buffers = [old[n] for n in names]
        bound = sensitivity(w_old, g, buffers, t, s)
        results = {
            backend: stepper.step(
                w_old.copy(), g.copy(), OptState(t - 1, tuple(map(np.copy, buffers))), schedule=s
            )
            for backend, stepper in steppers.items()
        }
        results = {
            b: (p, dict(zip(names, st.buffers, strict=True))) for b, (p, st) in results.items()
        }
        results["transformation"] = transformation_step(tx, names, t, w_old, g, old)
        for path, (params, state) in results.items():
            where = f"{opt.text} float32 {path} step {t}"
            assert np.asarray(params).dtype == np.float32, where
            assert_float32_step(params, w_new, w_old, bound[0], where)
            for k, name in enumerate(names, start=1):
                assert_float32_step(state[name], new[name], old[name], bound[k], f"{where} {name}")


# ------------------------------------------------------------------------------------ presets

OPTAX_PRESETS = [
    "optax.sgd(learning_rate=0.1)",
    "optax.sgd(learning_rate=0.05, momentum=0.9, nesterov=true)",
    "optax.adam(learning_rate=0.01)",
    "optax.adam(learning_rate=0.01, b1=0.8, b2=0.99, eps=1e-6, eps_root=1e-8)",
    "optax.adamw(learning_rate=0.01)",
    "optax.adamw(learning_rate=0.01, weight_decay=0.1, eps_root=1e-6, eps=1e-6)",
    "optax.lion(learning_rate=0.001)",
    "optax.lion(learning_rate=0.01, b1=0.95, b2=0.98, weight_decay=0.1)",
]
KERAS_PRESETS = [
    "keras.sgd()",
    "keras.sgd(learning_rate=0.05, momentum=0.9, nesterov=true, weight_decay=0.01)",
    "keras.adam()",
    "keras.adam(learning_rate=0.01, amsgrad=true, weight_decay=0.1)",
    "keras.adamw()",
    "keras.adamw(learning_rate=0.01, weight_decay=0.1, amsgrad=true, epsilon=0.001, beta_1=0.8, "
    "beta_2=0.99)",
]
#: presets run under a learning-rate schedule (η_t = η s_t, the decay following it)
SCHEDULED = [
    "optax.sgd(learning_rate=0.05, momentum=0.9)",
    "keras.adamw(learning_rate=0.01, weight_decay=0.1)",
]
PRESETS = OPTAX_PRESETS + KERAS_PRESETS
#: (spec, under the schedule)
CASES = [(spec, False) for spec in PRESETS] + [(spec, True) for spec in SCHEDULED]
CASE_IDS = [spec + " scheduled" * scheduled for spec, scheduled in CASES]


#: generic rules that are a library's optimizer: (spec, the library's, scheduled, the
#: library's state -> wdtheory's)
GENERIC = [
    # the decay after the momentum: Keras keeps v = -lr b at a constant learning rate
    (
        "sgdw(lr=0.05, momentum=0.9, weight_decay=0.01)",
        "keras.sgd(learning_rate=0.05, momentum=0.9, weight_decay=0.01)",
        False,
        {"b": -1 / 0.05},
    ),
    # PyTorch's AdamW is optax's adamw (eps_root = 0), also under a schedule
    (
        "adamw(lr=0.01, weight_decay=0.1, schedule=true)",
        "optax.adamw(learning_rate=0.01, weight_decay=0.1)",
        True,
        {},
    ),
    (
        "lion(lr=0.001, weight_decay=0.1, schedule=true)",
        "optax.lion(learning_rate=0.001, weight_decay=0.1)",
        True,
        {},
    ),
]


@pytest.mark.parametrize(
    ("spec", "library", "scheduled", "factors"), GENERIC, ids=[g[0] for g in GENERIC]
)
def test_generic_rule_tracks_the_library_optimizer_it_is(spec, library, scheduled, factors):
    def run():
        return library_of(optimizer(library), None, scheduled)

    with float64_mode():
        check_float64(optimizer(spec), None, (3, 5), 0, scheduled, run(), factors)
    check_float32(optimizer(spec), None, (3, 5), 0, scheduled, run(), factors)


DEFINITIONS = (*optax_presets.PRESETS, *keras_presets.PRESETS)


def test_every_optax_and_keras_preset_is_covered():
    assert {d.name for d in DEFINITIONS} == {optimizer(spec).name for spec in PRESETS}


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.name)
def test_preset_defaults_are_the_installed_librarys(definition):
    """Each default is the constructor's (read from the installed library); None in the
    library (no momentum, no decay) is 0 here, and no default stays a symbol here."""
    module, *path = definition.call.split(".")
    constructor = functools.reduce(getattr, path, {"optax": optax, "keras": keras}[module])
    parameters = inspect.signature(constructor).parameters
    for key, default in definition.defaults.items():
        library = parameters[key].default
        if default is None:
            assert library is inspect.Parameter.empty, key
        else:
            assert float(default) == (0.0 if library is None else library), key


@pytest.mark.parametrize(("spec", "scheduled"), CASES, ids=CASE_IDS)
def test_preset_float64_tracks_the_library(spec, scheduled, float64):
    check_float64(optimizer(spec), None, (3, 5), CASES.index((spec, scheduled)), scheduled)


@pytest.mark.parametrize(("spec", "scheduled"), CASES, ids=CASE_IDS)
def test_preset_float32_steps_within_a_few_ulps_of_the_library(spec, scheduled):
    check_float32(optimizer(spec), None, (3, 5), CASES.index((spec, scheduled)), scheduled)


def test_keras_float64_variables_step_with_a_float32_learning_rate_by_default(float64):
    """Keras keeps a float learning rate in a variable of ``floatx``: with the default float32,
    float64 weights step with float32(lr), which is what keras.sgd gives for that number."""
    keras.config.set_floatx("float32")
    opt = optimizer("keras.sgd(learning_rate=0.1)")
    p0, grads = problem(0, (5,), np.float64, 3)
    snapshots = library_run(library_of(opt, None, False), p0, grads)
    rounded = optimizer(f"keras.sgd(learning_rate={float(np.float32(0.1))!r})")
    for spec, agrees in ((rounded, True), (opt, False)):
        params, state = p0.copy(), (stepper := Stepper(spec, "numpy")).init(p0)
        for g in grads:
            params, state = stepper.step(params, g.copy(), state)
        assert np.allclose(params, snapshots[-1][0], rtol=1e-15, atol=0) is agrees, spec.text


def test_keras_float32_loses_a_small_gradient_in_its_second_moment_where_wdtheory_keeps_it():
    """A known difference, not a tolerance: Keras updates the second moment as a lerp,
    ``v + (g*g - v) * (1 - beta_2)``. With ``beta_2 = 0`` the new v is g² exactly, but in
    float32 ``g*g - v`` rounds to ``-v`` when g² is below an ulp of the old v: Keras' v becomes
    0 and the step divides by epsilon alone (here w = -473736.66 after two steps). wdtheory's
    keras.adam computes ``beta_2 v + (1 - beta_2) g*g`` and keeps g², as Keras itself does in
    float64 (w = -47.378945). The rounding of Keras' lerp is an ulp of the old moment, 1/beta
    ulps of the new one, so the random draws keep Keras' betas >= 0.5."""
    opt = optimizer("keras.adam(learning_rate=0.01, beta_2=0)")
    p0, grads = np.zeros(1, np.float32), [np.float32([10.0]), np.float32([1e-3])]
    (w32, keras32) = library_run(library_of(opt, None, False), p0, grads)[-1]
    with float64_mode():
        grads64 = [g.astype(np.float64) for g in grads]
        (w64, keras64) = library_run(library_of(opt, None, False), p0.astype(np.float64), grads64)[
            -1
        ]
    stepper = Stepper(opt, "numpy")
    params, state = p0.copy(), stepper.init(p0)
    for g in grads:
        params, state = stepper.step(params, g, state)
    v = dict(zip(names_of(stepper), state.buffers, strict=True))["v"]
    assert keras32["v"][0] == 0.0 and v[0] == np.float32(1e-3) ** 2
    assert_close(v, keras64["v"], 1e-7)
    assert_close(params, w64, 1e-6)
    assert abs(w32[0]) > 1000 * abs(params[0])  # lr m̂ / epsilon against lr m̂ / |g|


# ------------------------------------------------------------------- random hyperparameters


@st.composite
def configurations(draw, name: str):
    """``(spec with the switches, values of the hyperparameters)`` that the library accepts."""
    lr = draw(log_uniform(1e-4, 0.3))
    decay = draw(maybe_zero(log_uniform(1e-4, 1.0)))
    beta = st.floats(0.0, 0.99)
    if name in ("optax.sgd", "keras.sgd"):
        momentum = draw(maybe_zero(st.floats(0.01, 0.99)))
        nesterov = str(momentum > 0 and draw(st.booleans())).lower()
        values = {"learning_rate": lr, "momentum": momentum}
        if name == "keras.sgd":
            values["weight_decay"] = decay
        return f"{name}(nesterov={nesterov})", values
    if name == "optax.lion":
        values = {"learning_rate": lr, "b1": draw(beta), "b2": draw(beta), "weight_decay": decay}
        return "optax.lion()", values
    if name.startswith("optax."):
        values = {
            "learning_rate": lr,
            "b1": draw(beta),
            "b2": draw(st.floats(0.0, 0.9999)),
            "eps": draw(log_uniform(1e-10, 1e-2)),
            "eps_root": draw(maybe_zero(log_uniform(1e-12, 1e-4))),
        }
        if name == "optax.adamw":
            values["weight_decay"] = decay
        return f"{name}()", values
    # Keras updates its moments as lerps, s + (x - s)(1 - beta), whose float32 rounding is an
    # ulp of the old s: 1/beta ulps of the new one (test_keras_float32_lerp_loses_...)
    values = {
        "learning_rate": lr,
        "beta_1": draw(st.floats(0.5, 0.99)),
        "beta_2": draw(st.floats(0.5, 0.9999)),
        "epsilon": draw(log_uniform(1e-10, 1e-2)),
        "weight_decay": decay,
    }
    return f"{name}(amsgrad={str(draw(st.booleans())).lower()})", values


NAMES = [
    "optax.sgd",
    "optax.adam",
    "optax.adamw",
    "optax.lion",
    "keras.sgd",
    "keras.adam",
    "keras.adamw",
]
SHAPES = [(), (7,), (3, 5)]


def check_random(name, config, shape, seed):
    spec, values = config.draw(configurations(name))
    opt = optimizer(spec, defaults=False)
    with float64_mode():
        check_float64(opt, values, shape, seed)
    check_float32(opt, values, shape, seed)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=examples(1))
@given(config=st.data(), shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**32 - 1))
def test_random_configurations_track_the_library(name, config, shape, seed):
    check_random(name, config, shape, seed)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=examples(100))
@given(config=st.data(), shape=st.sampled_from(SHAPES), seed=st.integers(0, 2**32 - 1))
def test_many_random_configurations_track_the_library(name, config, shape, seed):
    check_random(name, config, shape, seed)
