"""``wdtheory.torch.Optimizer`` (:mod:`wdtheory.runtime.torch`): a ``torch.optim.Optimizer`` that
trains a real network with any rule.

* Conformance: every ``torch.*`` preset of the conformance suite, and random configurations,
  trained on a small network next to ``torch.optim`` itself — the same parameters at every step
  (float64 to ``RTOL``; float32 to a few ulps per step, each step taken from torch's own
  parameters and state).
* The training-loop contract: ``zero_grad`` in both modes, closures, param groups with their
  own numbers, schedulers, ``state_dict`` round trips that continue bit for bit, decay masks,
  and one-line refusals of what the kernels cannot step.
"""

from __future__ import annotations

import copy
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from optimizer_cases import examples
from test_conformance import TORCH_NAMES, TORCH_PRESETS, torch_configurations, torch_setup

import wdtheory.torch as wt
from wdtheory.core.errors import WdtheoryError
from wdtheory.optim.optimizer import Optimizer as Rule
from wdtheory.runtime.stepper import Stepper

RTOL = 1e-10
STEPS = 12

torch.set_num_threads(1)


def network(dtype: torch.dtype, seed: int = 0) -> torch.nn.Module:
    """A small real network: two linear layers (weights and biases) and a layer norm."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(5, 8),
        torch.nn.LayerNorm(8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 2),
    ).to(dtype)


def data(dtype: torch.dtype, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return (
        torch.randn(16, 5, generator=generator, dtype=dtype),
        torch.randn(16, 2, generator=generator, dtype=dtype),
    )


def backward(model: torch.nn.Module, batch) -> torch.Tensor:
    inputs, targets = batch
    loss = ((model(inputs) - targets) ** 2).mean()
    loss.backward()
    return loss


def flat(model: torch.nn.Module) -> np.ndarray:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()]).numpy().copy()


def torch_twin(spec: str, values: dict | None, params) -> torch.optim.Optimizer:
    """The ``torch.optim`` optimizer that ``spec`` (with ``values``) names."""
    rule = Rule.from_spec(spec).bind(values or {})
    numbers = {k: float(v) for k, v in rule.values.items() if v.is_number}
    torch_cls, _, kwargs = torch_setup(rule, numbers)
    return torch_cls(params, foreach=False, **kwargs)


def trajectories(spec: str, values: dict | None, dtype: torch.dtype, steps: int = STEPS):
    """Both optimizers train twin networks on the same batches; the parameters after each step."""
    ours_model, theirs_model = network(dtype), network(dtype)
    ours = wt.Optimizer(ours_model.parameters(), spec, values=values)
    theirs = torch_twin(spec, values, theirs_model.parameters())
    batch, mine, reference = data(dtype), [], []
    for _ in range(steps):
        for model, optim, out in ((ours_model, ours, mine), (theirs_model, theirs, reference)):
            optim.zero_grad()
            backward(model, batch)
            optim.step()
            out.append(flat(model))
    return np.array(mine), np.array(reference)


def assert_float64_close(mine: np.ndarray, reference: np.ndarray) -> None:
    scale = np.abs(reference).max()
    np.testing.assert_array_less(np.abs(mine - reference), RTOL * (np.abs(reference) + scale))


# --------------------------------------------------------------------------- conformance


@pytest.mark.parametrize("spec", TORCH_PRESETS)
def test_every_torch_preset_trains_a_network_as_torch_optim_does(spec):
    mine, reference = trajectories(spec, None, torch.float64)
    assert_float64_close(mine, reference)
    assert np.abs(reference[-1] - reference[0]).max() > 0  # it trained


@pytest.mark.parametrize("spec", TORCH_PRESETS)
def test_every_torch_preset_in_float32_lands_within_a_few_ulps_of_torch_per_step(spec):
    """Each step starts from torch's own parameters and state, so that float32 rounding does not
    accumulate along the run; the step must land within 8 float32 ulps of torch's, plus 1e-4 of
    the update where the update itself is computed with cancellation (centered RMSprop's
    a - gbar^2: the careful per-element bound is in test_conformance, on the same kernels)."""
    model = network(torch.float32)
    theirs = torch_twin(spec, None, model.parameters())
    ours_model = copy.deepcopy(model)
    ours = wt.Optimizer(ours_model.parameters(), spec)
    batch = data(torch.float32)
    for _ in range(6):
        theirs.zero_grad()
        backward(model, batch)
        before = flat(model)
        with torch.no_grad():  # our twin at torch's parameters and state
            for mine, their in zip(ours_model.parameters(), model.parameters(), strict=True):
                mine.copy_(their)
                mine.grad = their.grad.clone()
                _copy_state(ours.state[mine], theirs.state[their])
        theirs.step()
        ours.step()
        after = flat(model)
        ulp = np.spacing(np.maximum(np.abs(after), np.abs(before)).astype(np.float32))
        bound = 8 * ulp + 1e-4 * np.abs(after - before) + 1e-30
        np.testing.assert_array_less(np.abs(flat(ours_model) - after), bound)


#: torch's state key -> the rule's state name
_STATE = {
    "momentum_buffer": "b",
    "exp_avg": "m",
    "exp_avg_sq": "v",
    "max_exp_avg_sq": "v_max",
    "square_avg": "a",
    "grad_avg": "gbar",
    "sum": "G",
}


def _copy_state(ours: dict, theirs: dict) -> None:
    """Our state set to torch's (empty before the first step, except Adagrad's)."""
    for key, value in theirs.items():
        if key == "step":
            ours["step"] = int(value)
        else:
            ours[_STATE[key]] = value.clone()


@pytest.mark.parametrize(
    "spec", ["torch.adamw(lr=0.05)", "torch.rmsprop(alpha=0.3, centered=true)"]
)
def test_in_float32_it_is_the_stepper_bit_for_bit(spec):
    """The adapter adds no arithmetic: the parameters it trains are, bit for bit, what the
    Stepper gives on the same gradients."""
    model = network(torch.float32)
    optim = wt.Optimizer(model.parameters(), spec)
    stepper = Stepper(Rule.from_spec(spec))
    arrays = [p.detach().numpy().copy() for p in model.parameters()]
    states = [stepper.init(a) for a in arrays]
    for seed in range(5):
        optim.zero_grad()
        backward(model, data(torch.float32, seed))
        optim.step()
        for i, param in enumerate(model.parameters()):
            arrays[i], states[i] = stepper.step(arrays[i], param.grad.numpy(), states[i])
    for param, array in zip(model.parameters(), arrays, strict=True):
        np.testing.assert_array_equal(param.detach().numpy(), array)


@pytest.mark.parametrize("name", TORCH_NAMES)
@hsettings(max_examples=examples(4))
@given(config=st.data())
def test_random_configurations_train_a_network_as_torch_optim_does(name, config):
    spec, values = config.draw(torch_configurations(name))
    symbolic = f"symbolic({spec})"
    mine, reference = trajectories(symbolic, values, torch.float64, steps=6)
    assert_float64_close(mine, reference)


# ------------------------------------------------------------------- the training-loop contract


@pytest.mark.parametrize("set_to_none", [True, False])
def test_each_step_uses_the_gradients_of_that_step_whatever_zero_grad_does(set_to_none):
    """zero_grad(set_to_none=True) makes backward allocate new .grad tensors: a step reading the
    gradients it saw first would go on with stale ones."""
    spec = "torch.adamw(lr=0.05, weight_decay=0.1)"
    model, twin = network(torch.float64), network(torch.float64)
    ours = wt.Optimizer(model.parameters(), spec)
    theirs = torch_twin(spec, None, twin.parameters())
    for seed in range(5):  # new data every step: stale gradients would show
        batch = data(torch.float64, seed)
        for m, optim in ((model, ours), (twin, theirs)):
            optim.zero_grad(set_to_none=set_to_none)
            backward(m, batch)
            optim.step()
    assert_float64_close(flat(model), flat(twin))


def test_a_closure_is_called_with_gradients_enabled_and_its_loss_returned():
    model = network(torch.float64)
    optim = wt.Optimizer(model.parameters(), "torch.sgd(lr=0.1)")
    batch = data(torch.float64)

    def closure():
        optim.zero_grad()
        assert torch.is_grad_enabled()
        return backward(model, batch)

    before = flat(model)
    loss = optim.step(closure)
    assert isinstance(loss, torch.Tensor) and loss.item() > 0
    assert not np.array_equal(before, flat(model))


def test_a_parameter_without_a_gradient_is_left_as_it_is():
    model = network(torch.float64)
    frozen = model[0].weight
    frozen.requires_grad_(False)
    before = frozen.detach().clone()
    optim = wt.Optimizer(model.parameters(), "torch.adamw(lr=0.1, weight_decay=0.5)")
    backward(model, data(torch.float64))
    optim.step()
    assert torch.equal(frozen, before) and frozen not in optim.state


def test_param_groups_have_their_own_numbers_as_in_torch():
    def groups(model):
        return [
            {"params": model[0].parameters(), "lr": 0.01},
            {"params": model[1].parameters(), "weight_decay": 0.0},
            {"params": model[3].parameters()},
        ]

    spec = "torch.adam(lr=0.05, weight_decay=0.1)"
    model, twin = network(torch.float64), network(torch.float64)
    ours = wt.Optimizer(groups(model), spec)
    theirs = torch.optim.Adam(groups(twin), lr=0.05, weight_decay=0.1, foreach=False)
    for _ in range(4):
        for m, optim in ((model, ours), (twin, theirs)):
            optim.zero_grad()
            backward(m, data(torch.float64))
            optim.step()
    assert_float64_close(flat(model), flat(twin))
    assert [g["lr"] for g in ours.param_groups] == [0.01, 0.05, 0.05]


def train_side_by_side(models, optimizers, schedulers, steps: int) -> None:
    """Each model trained by its optimizer on the same batch, its scheduler stepped after each
    optimizer step (torch's order)."""
    for _ in range(steps):
        for model, optim, scheduler in zip(models, optimizers, schedulers, strict=True):
            optim.zero_grad()
            backward(model, data(torch.float64))
            optim.step()
            scheduler.step()


@pytest.mark.parametrize(
    "make",
    [
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=5),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
        lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=3),
        lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=8),
    ],
    ids=["cosine", "step", "linear warm-up", "one-cycle (cycles the momentum too)"],
)
def test_learning_rate_schedulers_drive_it_as_they_drive_torch(make):
    spec = "torch.sgd(lr=0.05, momentum=0.9, weight_decay=0.01)"
    model, twin = network(torch.float64), network(torch.float64)
    ours = wt.Optimizer(model.parameters(), spec)
    theirs = torch_twin(spec, None, twin.parameters())
    schedulers = make(ours), make(theirs)
    train_side_by_side((model, twin), (ours, theirs), schedulers, steps=6)
    assert ours.param_groups[0]["lr"] == theirs.param_groups[0]["lr"]
    assert_float64_close(flat(model), flat(twin))


@pytest.mark.parametrize(
    ("spec", "torch_spec"),
    [
        (
            "chain(add_decayed_weights(weight_decay=0.01), momentum(momentum=0.9), "
            "scale_by_learning_rate(learning_rate=0.05))",
            "torch.sgd(lr=0.05, momentum=0.9, weight_decay=0.01)",
        ),
        ("optax.adamw(learning_rate=0.05, weight_decay=0.01)", "torch.adamw(lr=0.05)"),
    ],
    ids=["a chain", "an optax preset"],
)
def test_the_learning_rate_is_lr_in_every_group_whatever_the_spec_calls_it(spec, torch_spec):
    """A chain's and optax's learning_rate is the group's lr, which a torch scheduler moves:
    they train as torch's own optimizer under the same scheduler."""
    model, twin = network(torch.float64), network(torch.float64)
    ours = wt.Optimizer(model.parameters(), spec)
    theirs = torch_twin(torch_spec, None, twin.parameters())
    assert "lr" in ours.param_groups[0] and "learning_rate" not in ours.param_groups[0]
    schedulers = [
        torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5) for o in (ours, theirs)
    ]
    train_side_by_side((model, twin), (ours, theirs), schedulers, steps=6)
    assert ours.param_groups[0]["lr"] == theirs.param_groups[0]["lr"] == 0.05 / 8
    assert_float64_close(flat(model), flat(twin))
    with pytest.raises(WdtheoryError, match="the learning rate is 'lr' there"):
        ours.add_param_group({"params": [torch.nn.Parameter(torch.ones(2))], "learning_rate": 1.0})
    with pytest.raises(WdtheoryError, match=r"no param-group key 'lrr' \(did you mean 'lr'\?\)"):
        ours.add_param_group({"params": [torch.nn.Parameter(torch.ones(2))], "lrr": 1.0})


def test_the_moment_decays_are_torchs_betas_which_groups_set_and_schedulers_cycle():
    """A group written for torch.optim.Adam (its own betas) and OneCycleLR cycling betas[0]
    (cycle_momentum, its default): it trains as torch.optim.Adam does under both."""

    def groups(model):
        return [
            {"params": model[0].parameters(), "betas": (0.8, 0.95)},
            {"params": [*model[1].parameters(), *model[3].parameters()]},
        ]

    model, twin = network(torch.float64), network(torch.float64)
    ours = wt.Optimizer(groups(model), "torch.adam(lr=0.05, weight_decay=0.01)")
    theirs = torch.optim.Adam(groups(twin), lr=0.05, weight_decay=0.01, foreach=False)
    assert [g["betas"] for g in ours.param_groups] == [(0.8, 0.95), (0.9, 0.999)]
    schedulers = [
        torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=8) for o in (ours, theirs)
    ]
    train_side_by_side((model, twin), (ours, theirs), schedulers, steps=6)
    assert [g["betas"] for g in ours.param_groups] == [g["betas"] for g in theirs.param_groups]
    assert ours.param_groups[0]["betas"][0] not in (0.8, 0.9)  # cycled
    assert_float64_close(flat(model), flat(twin))


@pytest.mark.parametrize(
    ("spec", "keys"),
    [
        ("optax.adamw(learning_rate=0.05)", ("b1", "b2")),
        ("keras.adamw(learning_rate=0.05)", ("beta_1", "beta_2")),
        ("lion(lr=0.05, beta1=0.8)", ("beta1", "beta2")),
    ],
)
def test_the_moment_decays_are_betas_in_a_group_whatever_the_spec_calls_them(spec, keys):
    model = network(torch.float64)
    optim = wt.Optimizer(model.parameters(), spec)
    group = optim.param_groups[0]
    rule = Rule.from_spec(spec)
    assert group["betas"] == tuple(float(rule.values[k]) for k in keys)
    assert not set(keys) & set(group)
    with pytest.raises(WdtheoryError) as error:
        optim.add_param_group({"params": [torch.nn.Parameter(torch.ones(2))], keys[1]: 0.5})
    one_line(error, f"'{keys[1]}'", "betas[1] there")


def test_a_parameter_that_gets_its_first_gradient_later_takes_its_own_first_step():
    """Each parameter counts its own steps, as in torch: the output layer, without gradients
    for two steps, then takes Adam's first step (its bias correction) beside layers at step 3."""
    spec = "torch.adam(lr=0.05, weight_decay=0.01)"
    model, twin = network(torch.float64), network(torch.float64)
    ours = wt.Optimizer(model.parameters(), spec)
    theirs = torch_twin(spec, None, twin.parameters())
    for step in range(5):
        for m, optim in ((model, ours), (twin, theirs)):
            optim.zero_grad()
            backward(m, data(torch.float64, step))
            if step < 2:
                m[3].weight.grad = None
            optim.step()
    assert ours.state[model[3].weight]["step"] == 3 and ours.state[model[0].weight]["step"] == 5
    assert_float64_close(flat(model), flat(twin))


def test_float32_and_float64_parameters_of_one_optimizer_step_as_they_would_apart():
    """The tensors of each dtype are one kernel call: together they step as two optimizers,
    one per dtype, bit for bit."""
    spec = "torch.adamw(lr=0.05, weight_decay=0.1)"
    mixed = [network(torch.float32), network(torch.float64)]
    apart = [network(torch.float32), network(torch.float64)]
    together = wt.Optimizer([*mixed[0].parameters(), *mixed[1].parameters()], spec)
    alone = [wt.Optimizer(m.parameters(), spec) for m in apart]
    for seed in range(4):
        for models, optims in ((mixed, [together]), (apart, alone)):
            for optim in optims:
                optim.zero_grad()
            for m, dtype in zip(models, (torch.float32, torch.float64), strict=True):
                backward(m, data(dtype, seed))
            for optim in optims:
                optim.step()
    for m, twin in zip(mixed, apart, strict=True):
        np.testing.assert_array_equal(flat(m), flat(twin))


@pytest.mark.parametrize(
    "spec", ["torch.adamw(lr=0.05)", "sgdw(lr=0.1, momentum=0.9, weight_decay=0.1)"]
)
def test_a_state_dict_round_trip_mid_training_continues_bit_for_bit(spec):
    batches = [data(torch.float64, seed) for seed in range(6)]
    model = network(torch.float64)
    optim = wt.Optimizer(model.parameters(), spec)
    for batch in batches[:3]:
        optim.zero_grad()
        backward(model, batch)
        optim.step()
    saved_model, saved_optim = copy.deepcopy(model.state_dict()), copy.deepcopy(optim.state_dict())
    for batch in batches[3:]:
        optim.zero_grad()
        backward(model, batch)
        optim.step()

    restored = network(torch.float64, seed=7)  # other numbers, overwritten by the load
    restored.load_state_dict(saved_model)
    again = wt.Optimizer(restored.parameters(), spec)
    again.load_state_dict(saved_optim)
    for batch in batches[3:]:
        again.zero_grad()
        backward(restored, batch)
        again.step()
    np.testing.assert_array_equal(flat(restored), flat(model))


def test_a_decay_mask_leaves_the_excluded_parameters_to_the_gradient_step_alone():
    """The biases and the layer norm (1-D) step as with weight decay 0, the matrices with it —
    the same as torch with two param groups split by hand."""
    spec = "torch.adamw(lr=0.05, weight_decay=0.5)"
    model, twin = network(torch.float64), network(torch.float64)
    ours = wt.Optimizer(model.named_parameters(), spec, decay=wt.matrices_only)
    theirs = torch.optim.AdamW(
        [
            {"params": [p for p in twin.parameters() if p.ndim >= 2]},
            {"params": [p for p in twin.parameters() if p.ndim < 2], "weight_decay": 0.0},
        ],
        lr=0.05,
        weight_decay=0.5,
        foreach=False,
    )
    for _ in range(4):
        for m, optim in ((model, ours), (twin, theirs)):
            optim.zero_grad()
            backward(m, data(torch.float64))
            optim.step()
    ours_by_name = dict(model.named_parameters())
    for name, param in twin.named_parameters():
        np.testing.assert_allclose(ours_by_name[name].detach(), param.detach(), rtol=1e-12)


def test_the_decay_mask_sees_the_names_of_named_parameters():
    model = network(torch.float64)
    seen = []
    optim = wt.Optimizer(
        model.named_parameters(),
        "torch.adamw(lr=0.1)",
        decay=lambda name, param: seen.append(name) or not name.endswith("bias"),
    )
    backward(model, data(torch.float64))
    optim.step()
    assert seen == [name for name, _ in model.named_parameters()]


def test_rules_torch_lacks_train_a_network():
    """SGDW, the paper's independent decay, Lion: rules without a torch.optim class."""
    for spec in (
        "sgdw(lr=0.1, momentum=0.9, weight_decay=0.1)",
        "adamw(lr=0.01, weight_decay=0.1, decay=independent)",
        "lion(lr=0.001, weight_decay=0.1)",
    ):
        model = network(torch.float64)
        optim = wt.Optimizer(model.parameters(), spec)
        losses = []
        for _ in range(30):
            optim.zero_grad()
            losses.append(backward(model, data(torch.float64)).item())
            optim.step()
        assert losses[-1] < losses[0], spec


def test_a_grad_scaler_skips_the_overflowing_step_as_with_torchs_optimizer():
    """``torch.amp.GradScaler`` unscales the gradients in place and skips the step whose
    gradients overflowed (step 3 here): the same steps are taken, to float32 round-off. (No
    autocast here: its bfloat16 forward pass turns ulps of difference into different
    gradients.)"""
    inputs, targets = data(torch.float32)
    trained = []
    for make in (
        lambda p: torch.optim.AdamW(p, lr=0.05, foreach=False),
        lambda p: wt.Optimizer(p, "torch.adamw(lr=0.05)"),
    ):
        model = network(torch.float32)
        optim = make(model.parameters())
        scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
        for step in range(6):
            optim.zero_grad()
            loss = ((model(inputs) - targets) ** 2).mean()
            scaler.scale(loss * (float("inf") if step == 2 else 1.0)).backward()
            scaler.step(optim)
            scaler.update()
        trained.append((flat(model), scaler.get_scale(), int(optim.state[model[0].weight]["step"])))
    (theirs, their_scale, their_steps), (ours, our_scale, our_steps) = trained
    assert our_steps == their_steps == 5 and our_scale == their_scale == 2.0**9
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6 * np.abs(theirs).max())


def test_the_autograd_version_counter_sees_the_in_place_update():
    """A parameter changed under a graph that still needs it: autograd says so, as with torch."""
    weight = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    optim = wt.Optimizer([weight], "torch.sgd(lr=0.1)")
    out = (weight**3).sum()  # its backward needs the weight as it was
    out.backward(retain_graph=True)
    optim.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.backward()


# --------------------------------------------------------------------------- refusals


def one_line(error: pytest.ExceptionInfo, *needles: str) -> None:
    message = str(error.value)
    assert "\n" not in message, message
    for needle in needles:
        assert needle in message, (needle, message)


@pytest.mark.parametrize(
    ("tensor", "needles"),
    [
        (torch.zeros(3, dtype=torch.float16), ["torch.float16", "float32 and float64"]),
        (torch.zeros(3, dtype=torch.complex64), ["torch.complex64"]),
        (torch.zeros(4, 3).t(), ["non-contiguous"]),
    ],
    ids=["float16", "complex", "non-contiguous"],
)
def test_what_the_kernels_cannot_step_is_refused_in_one_line(tensor, needles):
    param = torch.nn.Parameter(tensor)
    param.grad = torch.ones_like(param)
    optim = wt.Optimizer([param], "torch.sgd(lr=0.1)")
    with pytest.raises(WdtheoryError) as error:
        optim.step()
    one_line(error, *needles)


def test_a_sparse_gradient_is_refused_in_one_line():
    embedding = torch.nn.Embedding(10, 3, sparse=True).double()
    optim = wt.Optimizer(embedding.parameters(), "torch.sgd(lr=0.1)")
    embedding(torch.tensor([1, 2])).sum().backward()
    with pytest.raises(WdtheoryError) as error:
        optim.step()
    one_line(error, "sparse gradient", "SparseAdam")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_gradients_are_refused_before_anything_moves(bad):
    model = network(torch.float64)
    optim = wt.Optimizer(model.parameters(), "torch.adamw(lr=0.1)")
    backward(model, data(torch.float64))
    model[3].bias.grad[0] = bad
    before = flat(model)
    with pytest.raises(WdtheoryError) as error:
        optim.step()
    one_line(error, "NaN or infinity")
    np.testing.assert_array_equal(flat(model), before)  # nothing moved, the last one bad
    assert all(not state for state in optim.state.values()) or all(
        state["step"] == 0 for state in optim.state.values()
    )


@pytest.mark.parametrize(
    ("group", "needles"),
    [
        ({"lr": -0.1}, ["lr=-0.1", ">= 0"]),
        ({"betas": (1.0, 0.999)}, ["betas[0]=1.0", "[0, 1)"]),
        ({"betas": (0.9, -0.5)}, ["betas[1]=-0.5", "[0, 1)"]),
        ({"betas": 0.9}, ["betas=0.9", "two numbers (beta1, beta2)"]),
        ({"betas": (torch.tensor([0.9, 0.8]), 0.99)}, ["betas[0]", "shape (2,)", "one number"]),
        ({"beta1": 0.9}, ["'beta1'", "betas[0] there"]),
        ({"lr": "0.1"}, ["lr='0.1'"]),
        ({"momentun": 0.9}, ["'momentun'", "did you mean 'momentum'"]),
    ],
)
def test_bad_group_numbers_are_refused_in_one_line_naming_the_key(group, needles):
    adam = "betas" in group or "beta1" in group
    spec = "torch.adam(lr=0.1)" if adam else "torch.sgd(lr=0.1, momentum=0.5)"
    model = network(torch.float64)
    with pytest.raises(WdtheoryError) as error:
        wt.Optimizer([{"params": model.parameters(), **group}], spec)
    one_line(error, *needles)


def test_a_scheduler_setting_a_bad_number_is_refused_at_the_next_step():
    model = network(torch.float64)
    optim = wt.Optimizer(model.parameters(), "torch.sgd(lr=0.1)")
    optim.param_groups[0]["lr"] = float("nan")
    backward(model, data(torch.float64))
    with pytest.raises(WdtheoryError) as error:
        optim.step()
    one_line(error, "lr=nan")


def test_a_part_of_the_rule_the_spec_switched_off_cannot_be_switched_on_by_a_group():
    """torch.sgd(lr=0.1) has momentum 0: no momentum buffer exists to step with."""
    model = network(torch.float64)
    with pytest.raises(WdtheoryError) as error:
        wt.Optimizer([{"params": model.parameters(), "momentum": 0.9}], "torch.sgd(lr=0.1)")
    one_line(error, "momentum=0.9", "does not use momentum")


def test_a_symbolic_hyperparameter_needs_a_value():
    model = network(torch.float64)
    with pytest.raises(WdtheoryError) as error:
        wt.Optimizer(model.parameters(), "torch.sgd(lr=rate)")
    one_line(error, "lr=rate")
    assert wt.Optimizer(model.parameters(), "torch.sgd(lr=rate)", values={"lr": 0.1})


def test_the_readme_training_loop_runs_as_written_and_lowers_the_loss():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### Training with PyTorch", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    torch.manual_seed(0)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # the project's own file
    model, inputs, targets = namespace["model"], namespace["inputs"], namespace["targets"]
    loss = torch.nn.functional.mse_loss(model(inputs), targets).item()
    assert loss < targets.var().item()


def _cuda_with_cupy() -> bool:
    import importlib.util

    return torch.cuda.is_available() and importlib.util.find_spec("cupy") is not None


@pytest.mark.skipif(not _cuda_with_cupy(), reason="needs a CUDA device and CuPy")
def test_cuda_tensors_train_as_the_cpu_ones_through_dlpack_and_the_cupy_kernel():
    spec = "torch.adamw(lr=0.05, weight_decay=0.1)"
    cpu, gpu = network(torch.float64), network(torch.float64).cuda()
    optims = wt.Optimizer(cpu.parameters(), spec), wt.Optimizer(gpu.parameters(), spec)
    for _ in range(4):
        for model, optim, device in zip((cpu, gpu), optims, ("cpu", "cuda"), strict=True):
            optim.zero_grad()
            inputs, targets = data(torch.float64)
            ((model(inputs.to(device)) - targets.to(device)) ** 2).mean().backward()
            optim.step()
    np.testing.assert_allclose(flat(gpu.cpu()), flat(cpu), rtol=1e-12, atol=1e-15)


def test_the_digits_example_trains_as_torch_adamw_does():
    """examples/train_digits.py, two epochs: torch's AdamW and wdtheory's give the same curves."""
    import importlib.util

    path = Path(__file__).parents[2] / "examples" / "train_digits.py"
    spec = importlib.util.spec_from_file_location("train_digits", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    theirs = example.train(example.OPTIMIZERS["torch.optim.AdamW"], epochs=2)
    ours = example.train(example.OPTIMIZERS["wdtheory: torch.adamw"], epochs=2)
    np.testing.assert_allclose(ours.val_loss, theirs.val_loss, rtol=1e-12)
    np.testing.assert_array_equal(ours.val_accuracy, theirs.val_accuracy)
    assert theirs.val_loss[1] < theirs.val_loss[0]


# ------------------------------------------------------- state and numbers changed by the user


def test_a_tensor_learning_rate_moved_by_a_scheduler_is_followed():
    """torch's schedulers update a tensor lr in place: the optimizer must see the new value."""
    model, twin = network(torch.float64), network(torch.float64)
    ours = wt.Optimizer(model.parameters(), "torch.sgd(lr=0.1)")
    theirs = torch.optim.SGD(twin.parameters(), lr=0.1, foreach=False)
    for optim in (ours, theirs):
        optim.param_groups[0]["lr"] = torch.tensor(0.1, dtype=torch.float64)
    schedulers = [
        torch.optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.1) for o in (ours, theirs)
    ]
    train_side_by_side((model, twin), (ours, theirs), schedulers, steps=3)
    assert_float64_close(flat(model), flat(twin))


def test_a_cleared_or_replaced_state_is_the_one_stepped():
    model = network(torch.float64)
    optim = wt.Optimizer(model.parameters(), "torch.adamw(lr=0.05)")
    backward(model, data(torch.float64))
    optim.step()
    optim.state.clear()  # a reset: the next step is a first step again
    optim.step()
    assert all(state["step"] == 1 for state in optim.state.values())
    param = next(model.parameters())
    replaced = optim.state[param]["m"].clone()
    optim.state[param]["m"] = replaced  # the usual way to move a state
    optim.step()
    assert optim.state[param]["m"] is replaced and not torch.equal(
        replaced, torch.zeros_like(replaced)
    )
    assert optim.state[param]["step"] == 2


def test_a_parameter_given_new_memory_is_stepped_there():
    """``param.data = ...`` mid-training (a copy, a move): the next step updates the new memory,
    as torch's optimizers do, not the old address."""
    spec = "torch.sgd(lr=0.1, momentum=0.9, weight_decay=0.01)"
    model, twin = network(torch.float64), network(torch.float64)
    ours = wt.Optimizer(model.parameters(), spec)
    theirs = torch_twin(spec, None, twin.parameters())
    for step in range(4):
        if step == 2:
            for m in (model, twin):
                m[0].weight.data = m[0].weight.data.clone()
        for m, optim in ((model, ours), (twin, theirs)):
            optim.zero_grad()
            backward(m, data(torch.float64, step))
            optim.step()
    assert_float64_close(flat(model), flat(twin))


def test_a_state_buffer_given_new_memory_under_the_same_object_is_stepped_there():
    """``buffer.data = ...`` keeps the tensor object and moves its memory (the old memory may be
    freed): the step must update the new memory. SGD's buffer set to zeros: the step's new
    buffer is the gradient."""
    param = torch.nn.Parameter(torch.ones(50_000, dtype=torch.float64))
    optim = wt.Optimizer([param], "torch.sgd(lr=0.1, momentum=0.9)")
    param.grad = torch.ones_like(param)
    optim.step()
    optim.state[param]["b"].data = torch.zeros_like(param)
    param.grad = torch.full_like(param, 2.0)
    optim.step()
    assert torch.equal(optim.state[param]["b"], param.grad)


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ("shrink the buffer", ["the state 'b'", "of shape (25000,)"]),
        ("shrink the parameter", ["the state 'b'", "shape (10,)"]),
        ("transpose the parameter", ["non-contiguous parameter"]),
    ],
)
def test_a_tensor_resized_or_relaid_under_the_same_object_is_refused_not_stepped(change, needles):
    """``resize_`` and ``.data = view`` keep the object (and may keep the address): the kernel,
    which does no bounds checks, must not step the old sizes."""
    param = torch.nn.Parameter(torch.ones(250, 200, dtype=torch.float64))
    optim = wt.Optimizer([param], "torch.sgd(lr=0.1, momentum=0.9)")
    param.grad = torch.ones_like(param)
    optim.step()
    with torch.no_grad():
        if change == "shrink the buffer":
            optim.state[param]["b"].resize_(25_000)
        elif change == "shrink the parameter":
            param.data = param.data.reshape(-1)[:10]
        else:
            param.data = param.data.t()
    param.grad = torch.ones_like(param)
    before = param.detach().clone()
    with pytest.raises(WdtheoryError) as error:
        optim.step()
    one_line(error, *needles)
    assert torch.equal(param, before)


def test_a_non_contiguous_gradient_is_read_as_torch_reads_it():
    spec = "torch.adamw(lr=0.05, weight_decay=0.1)"
    model, twin = network(torch.float64), network(torch.float64)
    ours = wt.Optimizer(model.parameters(), spec)
    theirs = torch_twin(spec, None, twin.parameters())
    generator = torch.Generator().manual_seed(3)
    for _ in range(3):
        for m in (model, twin):
            backward(m, data(torch.float64))
        weight_grad = torch.randn(5, 8, generator=generator, dtype=torch.float64).t()
        for m, optim in ((model, ours), (twin, theirs)):
            m[0].weight.grad = weight_grad  # a transposed view: not contiguous
            optim.step()
            optim.zero_grad()
    assert not weight_grad.is_contiguous()
    assert_float64_close(flat(model), flat(twin))


def test_a_gradient_whose_memory_was_swapped_for_a_smaller_one_is_refused():
    param = torch.nn.Parameter(torch.ones(1000, dtype=torch.float64))
    optim = wt.Optimizer([param], "torch.sgd(lr=0.1)")
    param.grad = torch.ones_like(param)
    optim.step()
    param.grad.data = torch.ones(10, dtype=torch.float64)  # torch allows it through .data
    with pytest.raises(WdtheoryError) as error:
        optim.step()
    one_line(error, "a gradient of shape (10,)", "shape (1000,)")


def test_a_parameter_listed_twice_is_refused_in_one_line():
    param = torch.nn.Parameter(torch.ones(3))
    with pytest.raises(WdtheoryError) as error:
        wt.Optimizer([param, param], "torch.adam(lr=0.1)")
    one_line(error, "lists parameter number 1 twice", "as number 0")
    optim = wt.Optimizer([param], "torch.adam(lr=0.1)")
    optim.param_groups[0]["params"].append(param)  # by hand, past add_param_group
    param.grad = torch.ones_like(param)
    with pytest.raises(WdtheoryError) as error:
        optim.step()
    one_line(error, "listed twice")
    assert torch.equal(param, torch.ones(3))


def test_a_group_copied_from_one_a_scheduler_wrote_into_may_be_added():
    """OneCycleLR writes its bounds (max_lr, min_lr, the momenta) into every group; a group
    made from one of them is accepted, as torch accepts it."""
    model = network(torch.float64)
    optim = wt.Optimizer(model[0].parameters(), "torch.adam(lr=0.1)")
    torch.optim.lr_scheduler.OneCycleLR(optim, max_lr=0.1, total_steps=5)
    optim.add_param_group({**optim.param_groups[0], "params": model[3].parameters()})
    assert optim.param_groups[1]["max_lr"] == 0.1


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copy_of_the_optimizer_steps_its_own_tensors_as_the_original_would(how):
    """copy.deepcopy and pickling (torch.save of the optimizer) keep the numbers and the state;
    the copy steps its own tensors (not the original's, though a scheduler wrapped the
    original's step) and continues as the original does, bit for bit."""
    model = network(torch.float64)
    optim = wt.Optimizer(model.parameters(), "torch.adamw(lr=0.05, weight_decay=0.1)")
    torch.optim.lr_scheduler.StepLR(optim, step_size=10)
    for seed in range(2):
        optim.zero_grad()
        backward(model, data(torch.float64, seed))
        optim.step()
    copied = copy.deepcopy(optim) if how == "deepcopy" else pickle.loads(pickle.dumps(optim))
    params = [p for g in copied.param_groups for p in g["params"]]
    before = flat(model)
    for mine, theirs in zip(params, model.parameters(), strict=True):
        mine.grad = theirs.grad.clone()
    copied.step()
    np.testing.assert_array_equal(flat(model), before)  # the original untouched
    optim.step()
    stepped = torch.cat([p.detach().reshape(-1) for p in params]).numpy()
    np.testing.assert_array_equal(stepped, flat(model))
    assert all(copied.state[p]["step"] == 3 for p in params)


def test_a_group_dict_given_to_add_param_group_is_the_group_as_in_torch():
    """Code that keeps the dict it added and sets its numbers later moves the optimizer."""
    model = network(torch.float64)
    optim = wt.Optimizer(model[0].parameters(), "torch.sgd(lr=0.1)")
    group = {"params": model[3].parameters(), "lr": 0.01}
    optim.add_param_group(group)
    assert optim.param_groups[1] is group and isinstance(group["params"], list)


@pytest.mark.parametrize("change", ["shape", "dtype"])
def test_a_state_that_does_not_fit_its_parameter_is_refused_not_stepped(change):
    """A state loaded for other parameters once segfaulted the kernel (no bounds checks)."""
    model = network(torch.float64)
    optim = wt.Optimizer(model.parameters(), "torch.adamw(lr=0.05)")
    backward(model, data(torch.float64))
    optim.step()
    param = next(model.parameters())
    wrong = (
        torch.zeros(3, dtype=torch.float64)
        if change == "shape"
        else optim.state[param]["m"].float()
    )
    optim.state[param]["m"] = wrong
    before = flat(model)
    with pytest.raises(WdtheoryError) as error:
        optim.step()
    one_line(error, "the state 'm' of a parameter", "load a state saved for these parameters")
    np.testing.assert_array_equal(flat(model), before)


def test_a_state_saved_by_another_optimizer_is_refused_in_one_line():
    """torch's AdamW keeps its moments as exp_avg and exp_avg_sq (and its step as a tensor); an
    SGD's groups have no betas: neither is a state of this rule, whatever the group keys share."""
    model = network(torch.float64)
    adamw = torch.optim.AdamW(model.parameters(), lr=0.01)
    backward(model, data(torch.float64))
    adamw.step()
    optim = wt.Optimizer(model.parameters(), "torch.adamw(lr=0.01)")
    with pytest.raises(WdtheoryError) as error:
        optim.load_state_dict(adamw.state_dict())
    one_line(error, "holds 'exp_avg', 'exp_avg_sq'", "step, m, v", "another optimizer")
    sgd = wt.Optimizer(model.parameters(), "torch.sgd(lr=0.01)")
    with pytest.raises(WdtheoryError) as error:
        optim.load_state_dict(sgd.state_dict())
    one_line(error, "has no betas", "another optimizer")


def test_a_group_may_carry_a_schedulers_initial_lr():
    model = network(torch.float64)
    optim = wt.Optimizer([{"params": model.parameters(), "initial_lr": 0.1}], "torch.sgd(lr=0.1)")
    scheduler = torch.optim.lr_scheduler.StepLR(optim, step_size=1, last_epoch=0)
    assert scheduler.base_lrs == [0.1]
