"""Checks of the reference optimizers in ``tests/references`` (the oracles themselves), and
properties of Keras 3 and optax that the references' docstrings and the paper's forms rely on.

* The torch references must reproduce ``torch.optim`` (installed, 2.13.0) step for step: 30 steps
  of random gradients over many hyperparameter configurations, parameters and optimizer state
  both compared; float64 to 1e-12 and float32 to ``FLOAT32_TOL`` relative to the size of the
  array.
* Keras 3 (``keras.optimizers`` on the JAX backend, stepping ``keras.Variable`` objects) and
  optax are run themselves, in float64, for the properties of theirs the project relies on:
  their relations to torch (Keras' velocity is −lr times torch's buffer, its ε sits outside the
  uncorrected root, its SGD decay is decoupled; optax's Adam and momentum trace are torch's),
  weight-decay exclusion and masks, Lion's and Keras SGD's first steps by hand, and the defaults
  worth knowing. The step-by-step conformance of wdtheory's ``keras.*`` and ``optax.*`` presets
  with these libraries is ``test_library_conformance.py``.
* The paper's forms (``paper``) are checked through exact reparametrisations onto torch and onto
  Keras (e.g. paper AdamW with λ equals torch AdamW with ``weight_decay = λ / lr``).
"""

from __future__ import annotations

import contextlib
import inspect
import math
import os

import numpy as np
import pytest
import torch
from references import (
    PaperAdamW,
    PaperSGDW,
    TorchAdagrad,
    TorchAdam,
    TorchAdamW,
    TorchRMSprop,
    TorchSGD,
)

STEPS = 30
SHAPE = (4, 5)
DTYPES = [np.float32, np.float64]
# float64: the references do the same operations in the same order as torch; what remains are
# last-bit differences of fused kernels (observed ≤ 1e-15 relative to the array's size).
FLOAT64_TOL = 1e-12
# float32: torch's CPU kernels may fuse multiply-adds; over 30 steps the references stay within
# ~40 float32 ulps (1.2e-7 each) of torch relative to the array's size (observed ≤ 6e-7).
FLOAT32_TOL = 5e-6
TOL = {np.float32: FLOAT32_TOL, np.float64: FLOAT64_TOL}


os.environ.setdefault("KERAS_BACKEND", "jax")  # before Keras is first imported


@pytest.fixture(scope="module")
def keras():
    """Keras 3 on the JAX backend (imported only by the tests that run it)."""
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip("Keras runs on another backend (KERAS_BACKEND)")
    return keras


@contextlib.contextmanager
def jax_x64():
    jax = pytest.importorskip("jax")
    with jax.enable_x64(True):
        yield


@pytest.fixture
def keras64(keras):
    """Keras with JAX's 64-bit floats and ``floatx`` float64 for the test, then as they were."""
    floatx = keras.config.floatx()
    with jax_x64():
        keras.config.set_floatx("float64")
        try:
            yield keras
        finally:
            keras.config.set_floatx(floatx)


@pytest.fixture
def optax64():
    """optax with JAX's 64-bit floats for the test."""
    optax = pytest.importorskip("optax")
    with jax_x64():
        yield optax


def assert_close(actual, expected, tol):
    """Agreement relative to the size of the expected array (elementwise near zero)."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    scale = max(float(np.max(np.abs(expected))), np.finfo(np.float64).tiny)
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale)


def problem(seed, dtype, steps=STEPS, shape=SHAPE):
    """Initial parameters and a sequence of random gradients with varying magnitudes."""
    rng = np.random.default_rng(seed)
    p0 = rng.normal(size=shape).astype(dtype)
    grads = [
        (rng.normal(size=shape) * 10.0 ** rng.uniform(-2, 1)).astype(dtype) for _ in range(steps)
    ]
    return p0, grads


def run_reference(ref, p0, grads):
    params, state = p0, ref.init(p0)
    for t, g in enumerate(grads, start=1):
        params, state = ref.step(params, g, state, t)
    return params, state


def run_torch(cls, kwargs, p0, grads, lr_schedule=None):
    param = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = cls([param], foreach=False, **kwargs)
    for t, g in enumerate(grads, start=1):
        if lr_schedule is not None:
            opt.param_groups[0]["lr"] = lr_schedule(t)
        param.grad = torch.from_numpy(g.copy())
        opt.step()
    state = {
        k: (v.item() if k == "step" else v.detach().numpy()) for k, v in opt.state[param].items()
    }
    return param.detach().numpy(), state


# ---------------------------------------------------------------------------------------------
# torch: conformance with torch.optim itself
# ---------------------------------------------------------------------------------------------

TORCH_CASES = [
    (torch.optim.SGD, TorchSGD, {}),
    (torch.optim.SGD, TorchSGD, {"lr": 0.1}),
    (torch.optim.SGD, TorchSGD, {"lr": 0.1, "weight_decay": 0.1}),
    (torch.optim.SGD, TorchSGD, {"lr": 0.05, "momentum": 0.9}),
    (torch.optim.SGD, TorchSGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    (torch.optim.SGD, TorchSGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (
        torch.optim.SGD,
        TorchSGD,
        {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1, "nesterov": True},
    ),
    (
        torch.optim.SGD,
        TorchSGD,
        {"lr": 0.05, "momentum": 0.5, "dampening": 0.5, "weight_decay": 0.01},
    ),
    (torch.optim.Adam, TorchAdam, {}),
    (torch.optim.Adam, TorchAdam, {"lr": 0.01, "betas": (0.8, 0.99)}),
    (torch.optim.Adam, TorchAdam, {"lr": 0.01, "betas": (0.3, 0.5)}),  # lerp weight ≥ 0.5
    (torch.optim.Adam, TorchAdam, {"lr": 0.01, "amsgrad": True}),
    (torch.optim.Adam, TorchAdam, {"lr": 0.01, "eps": 1e-2}),
    (torch.optim.Adam, TorchAdam, {"lr": 0.01, "weight_decay": 0.1}),
    (torch.optim.Adam, TorchAdam, {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    (
        torch.optim.Adam,
        TorchAdam,
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ),
    (torch.optim.AdamW, TorchAdamW, {}),
    (torch.optim.AdamW, TorchAdamW, {"lr": 0.01, "weight_decay": 0.5}),
    (torch.optim.AdamW, TorchAdamW, {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    (torch.optim.RMSprop, TorchRMSprop, {}),
    (torch.optim.RMSprop, TorchRMSprop, {"centered": True}),
    (torch.optim.RMSprop, TorchRMSprop, {"momentum": 0.9}),
    (torch.optim.RMSprop, TorchRMSprop, {"alpha": 0.3, "centered": True}),  # lerp weight ≥ 0.5
    (torch.optim.RMSprop, TorchRMSprop, {"weight_decay": 0.01, "eps": 1e-4}),
    (
        torch.optim.RMSprop,
        TorchRMSprop,
        {"lr": 0.003, "centered": True, "momentum": 0.9, "weight_decay": 0.1},
    ),
    (torch.optim.Adagrad, TorchAdagrad, {}),
    (torch.optim.Adagrad, TorchAdagrad, {"lr": 0.1, "lr_decay": 0.1}),
    (torch.optim.Adagrad, TorchAdagrad, {"initial_accumulator_value": 0.5}),
    (
        torch.optim.Adagrad,
        TorchAdagrad,
        {
            "lr": 0.1,
            "weight_decay": 0.1,
            "lr_decay": 0.05,
            "initial_accumulator_value": 0.1,
            "eps": 1e-6,
        },
    ),
]


def _case_id(case):
    cls, _, kwargs = case
    args = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return f"{cls.__name__}({args})"


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("case", TORCH_CASES, ids=[_case_id(c) for c in TORCH_CASES])
def test_torch_reference_matches_torch_optim(case, dtype):
    torch_cls, ref_cls, kwargs = case
    p0, grads = problem(TORCH_CASES.index(case), dtype)
    expected, expected_state = run_torch(torch_cls, kwargs, p0, grads)
    actual, state = run_reference(ref_cls(**kwargs), p0, grads)

    assert actual.dtype == dtype
    assert_close(actual, expected, TOL[dtype])
    # torch's SGD keeps no step count and no buffer without momentum; the references always
    # count steps and keep ``momentum_buffer = None`` there
    assert state["step"] == expected_state.get("step", STEPS) == STEPS
    arrays = {key for key, value in state.items() if isinstance(value, np.ndarray)}
    assert arrays == set(expected_state) - {"step"}
    for key in arrays:
        assert state[key].dtype == dtype, key
        assert_close(state[key], expected_state[key], TOL[dtype])


def cosine_lr(t):
    return 0.05 * (1 + math.cos(math.pi * t / (STEPS + 1))) + 1e-3


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize(
    ("torch_cls", "ref_cls", "kwargs"),
    [
        (torch.optim.SGD, TorchSGD, {"momentum": 0.9, "weight_decay": 0.1}),
        (torch.optim.Adam, TorchAdam, {"amsgrad": True, "weight_decay": 0.1}),
        (torch.optim.AdamW, TorchAdamW, {"weight_decay": 0.2}),
        (torch.optim.RMSprop, TorchRMSprop, {"centered": True, "momentum": 0.5}),
        (torch.optim.Adagrad, TorchAdagrad, {"lr_decay": 0.1}),
    ],
    ids=["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"],
)
def test_torch_reference_follows_a_learning_rate_schedule(torch_cls, ref_cls, kwargs, dtype):
    """``lr`` as a callable of t is the value a scheduler writes into ``param_groups``."""
    p0, grads = problem(100, dtype)
    expected, _ = run_torch(torch_cls, kwargs, p0, grads, lr_schedule=cosine_lr)
    actual, _ = run_reference(ref_cls(lr=cosine_lr, **kwargs), p0, grads)
    assert_close(actual, expected, TOL[dtype])


@pytest.mark.parametrize(
    ("torch_cls", "ref_cls"),
    [
        (torch.optim.SGD, TorchSGD),
        (torch.optim.Adam, TorchAdam),
        (torch.optim.AdamW, TorchAdamW),
        (torch.optim.RMSprop, TorchRMSprop),
        (torch.optim.Adagrad, TorchAdagrad),
    ],
)
def test_torch_reference_defaults_are_torch_defaults(torch_cls, ref_cls):
    torch_params = inspect.signature(torch_cls.__init__).parameters
    ref_params = inspect.signature(ref_cls.__init__).parameters
    shared = [name for name in ref_params if name != "self"]
    assert shared, ref_cls
    for name in shared:
        assert ref_params[name].default == torch_params[name].default, name


def test_torch_defaults_worth_knowing():
    """Defaults that differ between optimizers of the same library (checked on torch itself)."""
    assert TorchSGD().lr == 1e-3
    assert TorchAdam().weight_decay == 0
    assert TorchAdamW().weight_decay == 1e-2
    assert TorchRMSprop().lr == 1e-2 and TorchRMSprop().alpha == 0.99
    assert TorchAdagrad().eps == 1e-10 and TorchAdagrad().initial_accumulator_value == 0


def test_torch_sgd_first_step_buffer_is_the_gradient_without_dampening():
    p0, grads = problem(7, np.float64, steps=2)
    ref = TorchSGD(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.2)
    p1, s1 = ref.step(p0, grads[0], ref.init(p0), 1)
    g1 = grads[0] + 0.2 * p0
    np.testing.assert_array_equal(s1["momentum_buffer"], g1)
    np.testing.assert_allclose(p1, p0 - 0.1 * g1, rtol=1e-15)
    _, s2 = ref.step(p1, grads[1], s1, 2)
    g2 = grads[1] + 0.2 * p1
    np.testing.assert_allclose(s2["momentum_buffer"], 0.9 * g1 + 0.5 * g2, rtol=1e-14)


def test_torch_sgd_nesterov_needs_momentum_and_no_dampening():
    with pytest.raises(ValueError, match="Nesterov"):
        TorchSGD(momentum=0.0, nesterov=True)
    with pytest.raises(ValueError, match="Nesterov"):
        TorchSGD(momentum=0.9, dampening=0.1, nesterov=True)


# ---------------------------------------------------------------------------------------------
# Keras 3 itself (keras.optimizers on the JAX backend): properties
# ---------------------------------------------------------------------------------------------


def keras_run(keras, optimizer, p0, grads, copies=1, excluded=()):
    """``optimizer`` stepping ``copies`` ``keras.Variable`` objects started at ``p0``, each given
    the same gradients; the variables numbered in ``excluded`` are excluded from weight decay.
    The final values, one array per variable."""
    variables = [keras.Variable(p0, dtype=p0.dtype.name) for _ in range(copies)]
    if excluded:
        optimizer.exclude_from_weight_decay(var_list=[variables[i] for i in excluded])
    optimizer.build(variables)
    for g in grads:
        gradient = keras.ops.convert_to_tensor(g)
        optimizer.apply_gradients([(gradient, v) for v in variables])
    return [np.array(v.value) for v in variables]


@pytest.mark.parametrize("nesterov", [False, True])
def test_keras_sgd_momentum_is_torch_sgd_with_velocity_minus_lr_times_buffer(keras64, nesterov):
    """Keras keeps v = μv − lr·g, torch b = μb + g: v = −lr·b when lr is constant, and the same
    parameters (Nesterov: w + μv − lr·g against w − lr·(g + μb))."""
    p0, grads = problem(14, np.float64)
    sgd = keras64.optimizers.SGD(learning_rate=0.03, momentum=0.9, nesterov=nesterov)
    (keras_params,) = keras_run(keras64, sgd, p0, grads)
    torch_params, torch_state = run_torch(
        torch.optim.SGD, {"lr": 0.03, "momentum": 0.9, "nesterov": nesterov}, p0, grads
    )
    assert_close(keras_params, torch_params, FLOAT64_TOL)
    assert_close(
        np.array(sgd.momentums[0].value), -0.03 * torch_state["momentum_buffer"], FLOAT64_TOL
    )


def test_keras_sgd_weight_decay_is_decoupled(keras64):
    """Keras shrinks w by lr·wd before the update and keeps the decay out of the velocity: at
    momentum 0 that is torch's coupled decay, with momentum it is not (two steps by hand, and
    the difference from torch's after them)."""
    sgd = keras64.optimizers.SGD
    p0, grads = problem(15, np.float64)
    (plain,) = keras_run(keras64, sgd(learning_rate=0.05, weight_decay=0.3), p0, grads)
    coupled, _ = run_torch(torch.optim.SGD, {"lr": 0.05, "weight_decay": 0.3}, p0, grads)
    assert_close(plain, coupled, FLOAT64_TOL)

    lr, mu, wd = 0.05, 0.9, 0.3
    optimizer = sgd(learning_rate=lr, momentum=mu, weight_decay=wd)
    (two_steps,) = keras_run(keras64, optimizer, p0, grads[:2])
    v1 = -lr * grads[0]
    w1 = p0 * (1 - wd * lr) + v1
    v2 = mu * v1 - lr * grads[1]
    np.testing.assert_allclose(two_steps, w1 * (1 - wd * lr) + v2, rtol=1e-14)
    np.testing.assert_allclose(np.array(optimizer.momentums[0].value), v2, rtol=1e-14)
    torch_l2, _ = run_torch(
        torch.optim.SGD, {"lr": lr, "momentum": mu, "weight_decay": wd}, p0, grads[:2]
    )
    # torch's buffer keeps the decay of step 1 (μ·wd·p0), Keras' velocity does not
    np.testing.assert_allclose(two_steps - torch_l2, lr * mu * wd * p0, rtol=1e-10, atol=1e-14)


def test_keras_adam_adds_epsilon_to_the_uncorrected_root(keras64):
    """m₁ = (1−β₁)g, v₁ = (1−β₂)g², α₁ = lr·√(1−β₂)/(1−β₁): the (1−β₁) cancels and
    Δw = −lr·√(1−β₂)·g / (√(1−β₂)·|g| + ε̂) (ε̂ = 1e-7, the default), not torch's
    −lr·g / (|g| + ε)."""
    p0, (g,) = problem(17, np.float64, steps=1)
    g = g * 1e-4  # small gradients, where the placement of epsilon shows
    (params,) = keras_run(keras64, keras64.optimizers.Adam(), p0, [g])
    lr, c2, eps = 0.001, 1 - 0.999, 1e-7
    expected = p0 - lr * math.sqrt(c2) * g / (math.sqrt(c2) * np.abs(g) + eps)
    np.testing.assert_allclose(params, expected, rtol=1e-13)
    torch_form = p0 - lr * g / (np.abs(g) + eps)
    assert not np.allclose(params, torch_form, rtol=1e-9, atol=0)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_keras_adam_without_epsilon_is_torch_adam(keras64, amsgrad):
    """lr·√(bc₂)/bc₁·m/√v = lr·m̂/√v̂ (AMSGrad: the maximum of the raw v in both): only the ε
    placement differs between the two."""
    p0, grads = problem(18, np.float64)
    adam = keras64.optimizers.Adam(learning_rate=0.01, epsilon=0.0, amsgrad=amsgrad)
    (keras_params,) = keras_run(keras64, adam, p0, grads)
    torch_params, _ = run_torch(
        torch.optim.Adam, {"lr": 0.01, "eps": 0.0, "amsgrad": amsgrad}, p0, grads
    )
    assert_close(keras_params, torch_params, FLOAT64_TOL)


def test_keras_adamw_is_adam_with_decay_and_torch_adamw_without_epsilon(keras64):
    p0, grads = problem(19, np.float64)
    kw = {"learning_rate": 0.01, "epsilon": 0.0, "weight_decay": 0.5}
    (adamw,) = keras_run(keras64, keras64.optimizers.AdamW(**kw), p0, grads)
    (adam,) = keras_run(keras64, keras64.optimizers.Adam(**kw), p0, grads)
    np.testing.assert_array_equal(adamw, adam)
    torch_params, _ = run_torch(
        torch.optim.AdamW, {"lr": 0.01, "eps": 0.0, "weight_decay": 0.5}, p0, grads
    )
    assert_close(adamw, torch_params, FLOAT64_TOL)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_keras_excluded_variable_gets_no_decay_but_the_same_update(keras64, name):
    """Two variables in one optimizer, the second excluded with ``exclude_from_weight_decay``:
    it steps exactly as without any decay (AdamW: as Adam), the first is decayed."""
    cls = getattr(keras64.optimizers, name)
    kw = {"momentum": 0.9} if name == "SGD" else {}
    p0, grads = problem(20, np.float64, steps=5)
    decayed, excluded = keras_run(keras64, cls(weight_decay=0.1, **kw), p0, grads, 2, (1,))
    undecayed_cls = keras64.optimizers.Adam if name == "AdamW" else cls
    (undecayed,) = keras_run(keras64, undecayed_cls(**kw), p0, grads)
    np.testing.assert_array_equal(excluded, undecayed)
    assert not np.allclose(decayed, undecayed, rtol=1e-6)


def test_keras_defaults_worth_knowing(keras):
    """Keras' Adam ε is 1e-7 (torch, optax: 1e-8), its AdamW decay 0.004 (torch 1e-2, optax
    1e-4); AdamW insists on a decay and SGD on a float momentum."""
    sgd, adam, adamw = (
        {k: p.default for k, p in inspect.signature(cls).parameters.items()}
        for cls in (keras.optimizers.SGD, keras.optimizers.Adam, keras.optimizers.AdamW)
    )
    assert (sgd["learning_rate"], sgd["momentum"], sgd["weight_decay"]) == (0.01, 0.0, None)
    assert (adam["learning_rate"], adam["epsilon"], adam["weight_decay"]) == (0.001, 1e-7, None)
    assert (adamw["epsilon"], adamw["weight_decay"]) == (1e-7, 0.004)
    with pytest.raises(ValueError, match="weight_decay"):
        keras.optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="momentum"):
        keras.optimizers.SGD(momentum=0)


# ---------------------------------------------------------------------------------------------
# optax itself: properties
# ---------------------------------------------------------------------------------------------


def optax_run(tx, p0, grads):
    """``tx`` from ``p0`` (an array or a pytree of them) through ``grads``, with
    ``optax.apply_updates``: the final parameters and state, as JAX arrays."""
    jax = pytest.importorskip("jax")
    optax = pytest.importorskip("optax")
    params = jax.tree.map(jax.numpy.asarray, p0)
    state = tx.init(params)
    for g in grads:
        updates, state = tx.update(jax.tree.map(jax.numpy.asarray, g), state, params)
        params = optax.apply_updates(params, updates)
    return params, state


def test_optax_adamw_masked_leaf_and_zero_decay_are_adam(optax64):
    p0, grads = problem(21, np.float64)
    q0 = -p0
    tree_grads = [{"a": g, "b": g[::-1]} for g in grads]
    adam, _ = optax_run(optax64.adam(0.01), {"a": p0, "b": q0}, tree_grads)
    no_decay, _ = optax_run(optax64.adamw(0.01, weight_decay=0.0), {"a": p0, "b": q0}, tree_grads)
    mask = {"a": True, "b": False}
    masked, _ = optax_run(
        optax64.adamw(0.01, weight_decay=0.3, mask=mask), {"a": p0, "b": q0}, tree_grads
    )
    for leaf in "ab":
        np.testing.assert_array_equal(no_decay[leaf], adam[leaf])
    np.testing.assert_array_equal(masked["b"], adam["b"])
    assert not np.allclose(masked["a"], adam["a"], rtol=1e-6)


def test_optax_adam_is_torch_adam(optax64):
    """ε outside the bias-corrected root, as in torch (Keras puts it outside the uncorrected
    one)."""
    p0, grads = problem(22, np.float64)
    params, _ = optax_run(optax64.adam(0.01, b1=0.8, b2=0.99, eps=1e-6), p0, grads)
    torch_params, _ = run_torch(
        torch.optim.Adam, {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}, p0, grads
    )
    assert_close(params, torch_params, FLOAT64_TOL)


@pytest.mark.parametrize("nesterov", [False, True])
def test_optax_sgd_trace_is_torch_sgd_momentum_buffer(optax64, nesterov):
    """trace = g + μ·trace from zero has no first-step copy and needs none: its first value is
    g, torch's first buffer (dampening 0), and the traces stay equal."""
    p0, grads = problem(24, np.float64)
    tx = optax64.sgd(0.05, momentum=0.9, nesterov=nesterov)
    params, state = optax_run(tx, p0, grads)
    torch_params, torch_state = run_torch(
        torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": nesterov}, p0, grads
    )
    assert_close(params, torch_params, FLOAT64_TOL)
    assert_close(state[0].trace, torch_state["momentum_buffer"], FLOAT64_TOL)


def test_optax_lion_two_steps_by_hand(optax64):
    """The sign of an interpolation with the *old* m (β₁), then m's EMA (β₂), the decay λ·p of
    the parameters before the step added to the sign, all times −lr."""
    p0, (g1, g2) = problem(28, np.float64, steps=2)
    lr, b1, b2, wd = 0.01, 0.9, 0.99, 0.1
    params, state = optax_run(optax64.lion(lr, b1=b1, b2=b2, weight_decay=wd), p0, [g1, g2])
    w1 = p0 - lr * (np.sign((1 - b1) * g1) + wd * p0)
    m1 = (1 - b2) * g1
    w2 = w1 - lr * (np.sign((1 - b1) * g2 + b1 * m1) + wd * w1)
    np.testing.assert_allclose(params, w2, rtol=1e-14)
    np.testing.assert_allclose(state[0].mu, b2 * m1 + (1 - b2) * g2, rtol=1e-14)


def test_optax_defaults_worth_knowing():
    optax = pytest.importorskip("optax")
    adamw, lion, adam, sgd = (
        {k: p.default for k, p in inspect.signature(alias).parameters.items()}
        for alias in (optax.adamw, optax.lion, optax.adam, optax.sgd)
    )
    assert (adamw["weight_decay"], adamw["eps"], adamw["eps_root"]) == (1e-4, 1e-8, 0.0)
    assert (lion["b1"], lion["b2"], lion["weight_decay"]) == (0.9, 0.99, 1e-3)
    assert "weight_decay" not in adam and "weight_decay" not in sgd
    assert sgd["momentum"] is None


# ---------------------------------------------------------------------------------------------
# Loshchilov & Hutter (2019): properties
# ---------------------------------------------------------------------------------------------


def cosine_multiplier(t):
    return 0.5 * (1 + math.cos(math.pi * t / (STEPS + 1)))


@pytest.mark.parametrize("schedule", [1.0, cosine_multiplier], ids=["constant", "cosine"])
def test_paper_adamw_is_torch_adamw_with_decay_divided_by_alpha(schedule):
    """θ − η_t(α·u + λθ) = θ(1 − lr_t·λ/α) − lr_t·u with lr_t = η_t·α."""
    p0, grads = problem(31, np.float64)
    alpha, lam = 0.01, 0.004
    paper, _ = run_reference(PaperAdamW(lam, alpha=alpha, schedule_multiplier=schedule), p0, grads)
    eta = schedule if callable(schedule) else (lambda t: schedule)
    torch_ref, _ = run_torch(
        torch.optim.AdamW,
        {"lr": alpha, "weight_decay": lam / alpha},
        p0,
        grads,
        lr_schedule=lambda t: eta(t) * alpha,
    )
    assert_close(paper, torch_ref, FLOAT64_TOL)


def test_paper_adam_with_l2_is_torch_adam_with_coupled_decay():
    p0, grads = problem(32, np.float64)
    paper, _ = run_reference(PaperAdamW(0.1, alpha=0.01, decoupled=False), p0, grads)
    torch_ref, _ = run_torch(torch.optim.Adam, {"lr": 0.01, "weight_decay": 0.1}, p0, grads)
    assert_close(paper, torch_ref, FLOAT64_TOL)


def test_paper_sgd_with_l2_is_torch_sgd_with_coupled_decay():
    p0, grads = problem(33, np.float64)
    paper, _ = run_reference(PaperSGDW(0.05, 0.9, 0.1, decoupled=False), p0, grads)
    torch_ref, _ = run_torch(
        torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}, p0, grads
    )
    assert_close(paper, torch_ref, FLOAT64_TOL)


@pytest.mark.parametrize("schedule", [1.0, cosine_multiplier], ids=["constant", "cosine"])
def test_paper_sgdw_is_keras_sgd_with_decay_divided_by_alpha(keras64, schedule):
    """m = β·m + η_t·α·g is −v for Keras' v = μv − lr_t·g, and Keras decays by lr_t·wd = η_t·λ
    (its schedule is called with the iterations already taken, t − 1)."""
    keras, jnp = keras64, pytest.importorskip("jax.numpy")
    p0, grads = problem(34, np.float64)
    alpha, beta, lam = 0.05, 0.9, 0.01
    paper, state = run_reference(
        PaperSGDW(alpha, beta, lam, schedule_multiplier=schedule), p0, grads
    )

    class Schedule(keras.optimizers.schedules.LearningRateSchedule):
        def __call__(self, iterations):
            if callable(schedule):  # cosine_multiplier(iterations + 1), traceable
                # jax.numpy: keras.ops.cos returns float32 whatever floatx (Keras' result_type
                # maps float64 to float32 on every backend but TensorFlow)
                angle = math.pi * (iterations + 1) / (STEPS + 1)
                return alpha * 0.5 * (1 + jnp.cos(angle))
            return alpha * schedule

    sgd = keras.optimizers.SGD(learning_rate=Schedule(), momentum=beta, weight_decay=lam / alpha)
    (keras_params,) = keras_run(keras, sgd, p0, grads)
    assert_close(paper, keras_params, FLOAT64_TOL)
    assert_close(-np.array(sgd.momentums[0].value), state["m"], FLOAT64_TOL)


@pytest.mark.parametrize("cls", [PaperSGDW, PaperAdamW])
def test_paper_decay_does_not_depend_on_alpha(cls):
    """With zero gradients θ_T = Π(1 − η_t·λ)·θ₀ whatever α (torch's AdamW would use lr·λ)."""
    p0, _ = problem(35, np.float64)
    zeros = [np.zeros_like(p0)] * STEPS
    lam = 0.02
    expected = p0 * math.prod(1 - cosine_multiplier(t) * lam for t in range(1, STEPS + 1))
    for alpha in (1e-3, 0.5):
        if cls is PaperSGDW:
            ref = PaperSGDW(alpha, 0.9, lam, schedule_multiplier=cosine_multiplier)
        else:
            ref = PaperAdamW(lam, alpha=alpha, schedule_multiplier=cosine_multiplier)
        params, _ = run_reference(ref, p0, zeros)
        np.testing.assert_allclose(params, expected, rtol=1e-13)
    torch_ref, _ = run_torch(torch.optim.AdamW, {"lr": 0.5, "weight_decay": lam}, p0, zeros)
    np.testing.assert_allclose(torch_ref, p0 * (1 - 0.5 * lam) ** STEPS, rtol=1e-13)


def test_paper_sgdw_first_step_by_hand():
    p0, (g,) = problem(36, np.float64, steps=1)
    params, state = run_reference(PaperSGDW(0.1, 0.9, 0.05, schedule_multiplier=0.5), p0, [g])
    np.testing.assert_allclose(state["m"], 0.5 * 0.1 * g, rtol=1e-15)
    np.testing.assert_allclose(params, p0 - 0.05 * g - 0.5 * 0.05 * p0, rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# All references: dtype, purity, step bookkeeping
# ---------------------------------------------------------------------------------------------

ALL_REFERENCES = [
    TorchSGD(lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
    TorchAdam(amsgrad=True, weight_decay=0.1),
    TorchAdamW(amsgrad=True),
    TorchRMSprop(centered=True, momentum=0.9, weight_decay=0.1),
    TorchAdagrad(lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.1),
    PaperSGDW(0.1, 0.9, 0.01, schedule_multiplier=cosine_multiplier),
    PaperAdamW(0.01, schedule_multiplier=cosine_multiplier),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("ref", ALL_REFERENCES, ids=lambda r: type(r).__name__)
def test_reference_keeps_dtype_and_does_not_modify_its_inputs(ref, dtype):
    p0, grads = problem(40, dtype, steps=3)
    state = ref.init(p0)
    params = p0
    for t, g in enumerate(grads, start=1):
        params_before, g_before = params.copy(), g.copy()
        state_before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in state.items()}
        new_params, new_state = ref.step(params, g, state, t)
        np.testing.assert_array_equal(params, params_before)
        np.testing.assert_array_equal(g, g_before)
        for key, value in state_before.items():
            np.testing.assert_array_equal(state[key], value)
        assert new_params.dtype == dtype
        assert new_params.shape == p0.shape
        for key, value in new_state.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == dtype, key
        assert np.all(np.isfinite(new_params))
        params, state = new_params, new_state
    assert state["step"] == len(grads)


@pytest.mark.parametrize("ref", ALL_REFERENCES, ids=lambda r: type(r).__name__)
def test_reference_rejects_an_out_of_order_step(ref):
    p0, (g,) = problem(41, np.float64, steps=1)
    with pytest.raises(ValueError, match="step"):
        ref.step(p0, g, ref.init(p0), 2)
