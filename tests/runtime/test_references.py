"""Checks of the reference optimizers in ``tests/references`` (the oracles themselves).

* The torch references must reproduce ``torch.optim`` (installed, 2.13.0) step for step: 30 steps
  of random gradients over many hyperparameter configurations, parameters and optimizer state
  both compared; float64 to 1e-12 and float32 to ``FLOAT32_TOL`` relative to the size of the
  array.
* Keras, optax and jax are not installed, so their references are checked through properties
  that follow from the libraries' documented algebra: special cases (momentum 0, β = 0, weight
  decay 0, ε = 0), first steps derived by hand, and exact reparametrisations onto torch or onto
  each other (e.g. paper AdamW with λ equals torch AdamW with ``weight_decay = λ / lr``).
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
from references import (
    KerasAdam,
    KerasAdamW,
    KerasSGD,
    OptaxAdam,
    OptaxAdamW,
    OptaxLion,
    OptaxSGD,
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
# Keras 3: properties
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_keras_sgd_without_momentum_is_plain_gradient_descent(dtype):
    p0, grads = problem(11, dtype, steps=10)
    lr = 0.05
    params, _ = run_reference(KerasSGD(learning_rate=lr), p0, grads)
    expected = p0
    step = dtype(np.float32(lr))  # Keras keeps a float lr in a float32 variable
    for g in grads:
        expected = expected - g * step
    assert params.dtype == dtype
    np.testing.assert_array_equal(params, expected)


def test_keras_learning_rate_passes_through_floatx():
    p0, grads = problem(12, np.float64, steps=1)
    p32, _ = KerasSGD(learning_rate=0.1).step(p0, grads[0], KerasSGD().init(p0), 1)
    p64, _ = KerasSGD(learning_rate=0.1, floatx="float64").step(p0, grads[0], {"step": 0}, 1)
    np.testing.assert_array_equal(p32, p0 - grads[0] * np.float64(np.float32(0.1)))
    np.testing.assert_array_equal(p64, p0 - grads[0] * 0.1)


def test_keras_schedule_is_called_with_the_iterations_already_taken():
    p0, grads = problem(13, np.float64, steps=3)
    ref = KerasSGD(learning_rate=lambda iteration: 0.1 * (iteration + 1), floatx="float64")
    params, state = p0, ref.init(p0)
    expected = p0
    for t, g in enumerate(grads, start=1):
        params, state = ref.step(params, g, state, t)
        expected = expected - g * (0.1 * t)
    np.testing.assert_allclose(params, expected, rtol=1e-14)


@pytest.mark.parametrize("nesterov", [False, True])
def test_keras_sgd_momentum_equals_torch_sgd_at_constant_lr(nesterov):
    """Keras keeps v = μv − lr·g, torch b = μb + g: v = −lr·b when lr is constant."""
    p0, grads = problem(14, np.float64)
    keras, _ = run_reference(
        KerasSGD(learning_rate=0.03, momentum=0.9, nesterov=nesterov, floatx="float64"), p0, grads
    )
    torch_ref, _ = run_torch(
        torch.optim.SGD, {"lr": 0.03, "momentum": 0.9, "nesterov": nesterov}, p0, grads
    )
    assert_close(keras, torch_ref, FLOAT64_TOL)


def test_keras_sgd_weight_decay_is_decoupled():
    """At momentum 0 decoupled and coupled decay coincide; with momentum they do not."""
    p0, grads = problem(15, np.float64)
    plain, _ = run_reference(
        KerasSGD(learning_rate=0.05, weight_decay=0.3, floatx="float64"), p0, grads
    )
    coupled, _ = run_torch(torch.optim.SGD, {"lr": 0.05, "weight_decay": 0.3}, p0, grads)
    assert_close(plain, coupled, FLOAT64_TOL)

    keras, _ = run_reference(
        KerasSGD(learning_rate=0.05, momentum=0.9, weight_decay=0.3, floatx="float64"), p0, grads
    )
    torch_l2, _ = run_torch(
        torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.3}, p0, grads
    )
    assert not np.allclose(keras, torch_l2, rtol=1e-3)


def test_keras_sgd_two_steps_by_hand_with_momentum_and_weight_decay():
    p0, (g1, g2) = problem(16, np.float64, steps=2)
    lr, mu, wd = 0.1, 0.9, 0.2
    ref = KerasSGD(learning_rate=lr, momentum=mu, weight_decay=wd, floatx="float64")
    params, _ = run_reference(ref, p0, [g1, g2])
    v1 = -lr * g1
    w1 = p0 * (1 - wd * lr) + v1
    v2 = mu * v1 - lr * g2
    w2 = w1 * (1 - wd * lr) + v2
    np.testing.assert_allclose(params, w2, rtol=1e-14)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_keras_adam_first_step_by_hand(dtype):
    """m₁ = (1−β₁)g, v₁ = (1−β₂)g², α₁ = lr·√(1−β₂)/(1−β₁): the (1−β₁) cancels and
    Δw = −lr·√(1−β₂)·g / (√(1−β₂)·|g| + ε̂)."""
    p0, (g,) = problem(17, dtype, steps=1)
    g = g * dtype(1e-4)  # small gradients, where the placement of epsilon shows
    lr, b2, eps = 0.001, 0.999, 1e-7
    params, _ = run_reference(KerasAdam(floatx="float64"), p0, [g])
    p64, g64 = p0.astype(np.float64), g.astype(np.float64)
    b2 = float(dtype(b2))  # Keras casts beta_2 to the variable's dtype before 1 − β₂ᵗ
    expected = p64 - lr * math.sqrt(1 - b2) * g64 / (math.sqrt(1 - b2) * np.abs(g64) + eps)
    assert params.dtype == dtype
    np.testing.assert_allclose(params, expected, rtol=1e-6 if dtype == np.float32 else 1e-13)
    # torch's form adds ε to √v̂ = |g| instead: a different step for small gradients
    torch_form = p64 - lr * g64 / (np.abs(g64) + eps)
    assert not np.allclose(params, torch_form, rtol=1e-9, atol=0)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_keras_adam_without_epsilon_equals_torch_adam(amsgrad):
    """lr·√(bc₂)/bc₁·m/√v = lr·m̂/√v̂: only the ε placement differs between the two."""
    p0, grads = problem(18, np.float64)
    keras, _ = run_reference(
        KerasAdam(learning_rate=0.01, epsilon=0.0, amsgrad=amsgrad, floatx="float64"), p0, grads
    )
    torch_ref, _ = run_torch(
        torch.optim.Adam, {"lr": 0.01, "eps": 0.0, "amsgrad": amsgrad}, p0, grads
    )
    assert_close(keras, torch_ref, FLOAT64_TOL)


def test_keras_adamw_is_adam_with_decay_and_matches_torch_adamw_without_epsilon():
    p0, grads = problem(19, np.float64)
    kw = {"learning_rate": 0.01, "epsilon": 0.0, "floatx": "float64"}
    adamw, _ = run_reference(KerasAdamW(weight_decay=0.5, **kw), p0, grads)
    adam, _ = run_reference(KerasAdam(weight_decay=0.5, **kw), p0, grads)
    np.testing.assert_array_equal(adamw, adam)
    torch_ref, _ = run_torch(
        torch.optim.AdamW, {"lr": 0.01, "eps": 0.0, "weight_decay": 0.5}, p0, grads
    )
    assert_close(adamw, torch_ref, FLOAT64_TOL)


def test_keras_defaults():
    assert KerasSGD().learning_rate == 0.01 and KerasSGD().weight_decay is None
    assert KerasAdam().epsilon == 1e-7 and KerasAdam().weight_decay is None
    assert KerasAdamW().weight_decay == 0.004
    with pytest.raises(ValueError, match="weight_decay"):
        KerasAdamW(weight_decay=None)
    with pytest.raises(ValueError, match="momentum"):
        KerasSGD(momentum=0)  # Keras insists on a float


@pytest.mark.parametrize("cls", [KerasSGD, KerasAdam, KerasAdamW])
def test_keras_excluded_variable_gets_no_decay_but_the_same_update(cls):
    p0, grads = problem(20, np.float32)
    excluded, _ = run_reference(cls(weight_decay=0.1, use_weight_decay=False), p0, grads)
    if cls is KerasAdamW:
        undecayed, _ = run_reference(KerasAdam(), p0, grads)
    else:
        undecayed, _ = run_reference(cls(), p0, grads)
    np.testing.assert_array_equal(excluded, undecayed)


# ---------------------------------------------------------------------------------------------
# optax: properties
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_optax_adamw_without_decay_is_adam(dtype):
    p0, grads = problem(21, dtype)
    adam, adam_state = run_reference(OptaxAdam(0.01), p0, grads)
    adamw, adamw_state = run_reference(OptaxAdamW(0.01, weight_decay=0.0), p0, grads)
    masked, _ = run_reference(OptaxAdamW(0.01, weight_decay=0.3, use_weight_decay=False), p0, grads)
    np.testing.assert_array_equal(adamw, adam)
    np.testing.assert_array_equal(masked, adam)
    np.testing.assert_array_equal(adamw_state["nu"], adam_state["nu"])


def test_optax_adam_matches_torch_adam():
    p0, grads = problem(22, np.float64)
    optax_ref, _ = run_reference(OptaxAdam(0.01, b1=0.8, b2=0.99, eps=1e-6), p0, grads)
    torch_ref, _ = run_torch(
        torch.optim.Adam, {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}, p0, grads
    )
    assert_close(optax_ref, torch_ref, FLOAT64_TOL)


def test_optax_adamw_matches_torch_adamw():
    """p − lr·(u + λp) = p(1 − lr·λ) − lr·u: the decay is multiplied by the learning rate."""
    p0, grads = problem(23, np.float64)
    optax_ref, _ = run_reference(OptaxAdamW(0.01, weight_decay=0.5), p0, grads)
    torch_ref, _ = run_torch(torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.5}, p0, grads)
    assert_close(optax_ref, torch_ref, FLOAT64_TOL)


@pytest.mark.parametrize("nesterov", [False, True])
def test_optax_sgd_trace_matches_torch_sgd_momentum(nesterov):
    """trace = g + μ·trace from zero is torch's buffer (first step = g, dampening 0)."""
    p0, grads = problem(24, np.float64)
    optax_ref, _ = run_reference(OptaxSGD(0.05, momentum=0.9, nesterov=nesterov), p0, grads)
    torch_ref, _ = run_torch(
        torch.optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": nesterov}, p0, grads
    )
    assert_close(optax_ref, torch_ref, FLOAT64_TOL)


@pytest.mark.parametrize("momentum", [None, 0.0])
def test_optax_sgd_without_momentum_is_plain_gradient_descent(momentum):
    p0, grads = problem(25, np.float32, steps=10)
    params, _ = run_reference(OptaxSGD(0.05, momentum=momentum), p0, grads)
    expected = p0
    for g in grads:
        expected = expected + np.float32(-0.05) * g
    np.testing.assert_array_equal(params, expected)


def test_optax_schedule_is_called_with_the_count_before_the_step():
    p0, grads = problem(26, np.float64, steps=4)
    params, _ = run_reference(OptaxSGD(lambda count: 0.1 / (count + 1)), p0, grads)
    expected = p0 - sum(0.1 / t * g for t, g in enumerate(grads, start=1))
    np.testing.assert_allclose(params, expected, rtol=1e-13)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_optax_lion_without_momentum_is_signed_descent_with_decay(dtype):
    p0, grads = problem(27, dtype, steps=5)
    lr, wd = 0.01, 0.3
    params, state = p0, None
    ref = OptaxLion(lr, b1=0.0, b2=0.0, weight_decay=wd)
    state = ref.init(p0)
    for t, g in enumerate(grads, start=1):
        new_params, state = ref.step(params, g, state, t)
        expected = params - dtype(lr) * np.sign(g) - dtype(lr) * dtype(wd) * params
        np.testing.assert_allclose(new_params, expected, rtol=1e-6, atol=0)
        assert new_params.dtype == dtype
        params = new_params


def test_optax_lion_two_steps_by_hand():
    p0, (g1, g2) = problem(28, np.float64, steps=2)
    lr, b1, b2, wd = 0.01, 0.9, 0.99, 0.1
    params, state = run_reference(OptaxLion(lr, b1=b1, b2=b2, weight_decay=wd), p0, [g1, g2])
    w1 = p0 - lr * (np.sign((1 - b1) * g1) + wd * p0)
    m1 = (1 - b2) * g1
    w2 = w1 - lr * (np.sign((1 - b1) * g2 + b1 * m1) + wd * w1)
    np.testing.assert_allclose(params, w2, rtol=1e-14)
    np.testing.assert_allclose(state["mu"], b2 * m1 + (1 - b2) * g2, rtol=1e-14)


def test_optax_adam_first_steps_by_hand():
    p0, (g,) = problem(29, np.float64, steps=1)
    lr, b1, eps_root = 0.01, 0.9, 1e-3
    # eps_root inside the root, eps = 0: m̂ = g, v̂ = g²
    params, _ = run_reference(OptaxAdam(lr, eps=0.0, eps_root=eps_root), p0, [g])
    np.testing.assert_allclose(params, p0 - lr * g / np.sqrt(g * g + eps_root), rtol=1e-13)
    # nesterov: m̂ = β₁·m₁/(1−β₁²) + (1−β₁)·g/(1−β₁) = g·(1 + β₁/(1+β₁))
    params, _ = run_reference(OptaxAdam(lr, eps=0.0, nesterov=True), p0, [g])
    np.testing.assert_allclose(params, p0 - lr * np.sign(g) * (1 + b1 / (1 + b1)), rtol=1e-13)


def test_optax_defaults():
    adamw, lion = OptaxAdamW(1e-3), OptaxLion(1e-4)
    assert adamw.weight_decay == 1e-4 and adamw.eps == 1e-8 and adamw.eps_root == 0.0
    assert (lion.b1, lion.b2, lion.weight_decay) == (0.9, 0.99, 1e-3)
    assert OptaxAdam(1e-3).weight_decay is None
    assert OptaxSGD(1e-3).momentum is None


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
def test_paper_sgdw_is_keras_sgd_with_decay_divided_by_alpha(schedule):
    """m = β·m + η_t·α·g is −v for Keras' v = μv − lr_t·g, and Keras decays by lr_t·wd = η_t·λ."""
    p0, grads = problem(34, np.float64)
    alpha, beta, lam = 0.05, 0.9, 0.01
    paper, _ = run_reference(PaperSGDW(alpha, beta, lam, schedule_multiplier=schedule), p0, grads)
    eta = schedule if callable(schedule) else (lambda t: schedule)
    keras = KerasSGD(
        learning_rate=lambda iteration: eta(iteration + 1) * alpha,
        momentum=beta,
        weight_decay=lam / alpha,
        floatx="float64",
    )
    keras_params, _ = run_reference(keras, p0, grads)
    assert_close(paper, keras_params, FLOAT64_TOL)


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
    KerasSGD(momentum=0.9, nesterov=True, weight_decay=0.1),
    KerasAdam(amsgrad=True, weight_decay=0.1),
    KerasAdamW(amsgrad=True),
    OptaxSGD(0.1, momentum=0.9, nesterov=True),
    OptaxAdam(0.01, eps_root=1e-8, nesterov=True),
    OptaxAdamW(0.01),
    OptaxLion(0.01),
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
