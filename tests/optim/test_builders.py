"""Where each decay mode puts the decay (:mod:`wdtheory.optim.builders`), for the generic
optimizers and as each library's presets do; the momentum's first step; the states a chain keeps."""

from __future__ import annotations

import pytest

from wdtheory.core.notation import SCHEDULE
from wdtheory.optim.builders import DECAY_MODES, decay_mode
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.presets import OPTIMIZERS
from wdtheory.optim.roles import ROLES
from wdtheory.optim.transforms import (
    AddDecayedWeights,
    AddSignOfWeights,
    ProximalL1,
    Scale,
    ScaleByAdagrad,
    ScaleByAdam,
    ScaleByLion,
    ScaleByRms,
    Trace,
)

ETA, LAM = ROLES["lr"].symbol, ROLES["weight_decay"].symbol

GENERIC = ("sgd", "sgdw", "adam", "adamw", "rmsprop", "adagrad", "lion")


CORE = (Trace, ScaleByAdam, ScaleByRms, ScaleByAdagrad, ScaleByLion)
DECAYS = (AddDecayedWeights, AddSignOfWeights, ProximalL1)


def build(text: str) -> Optimizer:
    return Optimizer.from_spec(text, symbolic=True)


def is_lr_scale(transform: object) -> bool:
    return isinstance(transform, Scale) and transform.name == "scale_by_learning_rate"


def positions(opt: Optimizer) -> dict[str, int | None]:
    """Index in the chain of the decay, the first core transformation and the lr scaling."""
    transforms = opt.chain.transforms

    def first(pred) -> int | None:
        return next((i for i, x in enumerate(transforms) if pred(x)), None)

    return {
        "decay": first(lambda x: isinstance(x, DECAYS)),
        "core": first(lambda x: isinstance(x, CORE)),
        "scale": first(is_lr_scale),
    }


# --------------------------------------------------------------------------- decay placement


@pytest.mark.parametrize("name", GENERIC)
@pytest.mark.parametrize("penalty", ["l2", "l1"])
@pytest.mark.parametrize("mode", [m for m in DECAY_MODES if m != "proximal"])
def test_generic_decay_modes_place_the_decay(name, penalty, mode):
    momentum = "momentum=0.9, " if "momentum" in OPTIMIZERS[name].params else ""
    opt = build(f"{name}({momentum}decay={mode}, penalty={penalty})")
    at = positions(opt)
    transforms = opt.chain.transforms
    assert at["core"] is not None and at["core"] < at["scale"]
    if mode == "none":
        assert at["decay"] is None
        return
    decay = transforms[at["decay"]]
    assert type(decay) is (AddSignOfWeights if penalty == "l1" else AddDecayedWeights)
    if mode == "coupled":  # added to the gradient before any momentum or preconditioning
        assert at["decay"] == 0 and decay.coefficient == LAM
    elif mode == "decoupled":  # after the core, then scaled by the learning rate
        assert at["core"] < at["decay"] == at["scale"] - 1
        assert decay.coefficient == LAM
    else:  # independent: after the lr scaling, not multiplied by the learning rate
        assert at["decay"] == len(transforms) - 1 > at["scale"]
        assert decay.coefficient == -LAM


@pytest.mark.parametrize("name", GENERIC)
@pytest.mark.parametrize("schedule", [False, True])
def test_generic_proximal_l1_soft_thresholds_after_the_step(name, schedule):
    flag = "true" if schedule else "false"
    opt = build(f"{name}(decay=proximal, penalty=l1, schedule={flag})")
    last = opt.chain.transforms[-1]
    assert isinstance(last, ProximalL1)
    assert last.threshold == ETA * LAM * (SCHEDULE if schedule else 1)
    assert not any(
        isinstance(x, AddDecayedWeights | AddSignOfWeights) for x in opt.chain.transforms
    )


@pytest.mark.parametrize("name", GENERIC)
def test_generic_schedule_multiplies_the_learning_rate(name):
    opt = build(f"{name}(decay=independent, schedule=true)")
    (scale,) = [x for x in opt.chain.transforms if is_lr_scale(x)]
    assert scale.factor.has(SCHEDULE) and scale.factor.has(ETA)
    assert opt.chain.transforms[-1].coefficient == -SCHEDULE * LAM


@pytest.mark.parametrize("name", GENERIC)
def test_zero_weight_decay_leaves_no_decay_in_the_chain(name):
    for mode in ("coupled", "decoupled", "independent"):
        opt = build(f"{name}(weight_decay=0, decay={mode})")
        assert positions(opt)["decay"] is None


@pytest.mark.parametrize(
    "text, mode",
    [
        ("torch.sgd(momentum=0.9)", "coupled"),
        ("torch.adam", "coupled"),
        ("torch.adam(decoupled_weight_decay=false)", "coupled"),
        ("torch.adam(decoupled_weight_decay=true)", "decoupled"),
        ("torch.adamw", "decoupled"),
        ("torch.rmsprop", "coupled"),
        ("torch.adagrad", "coupled"),
        ("keras.adam", "decoupled"),
        ("keras.adamw", "decoupled"),
        ("optax.adamw", "decoupled"),
        ("optax.lion", "decoupled"),
        ("optax.sgd(momentum=0.9)", "none"),
        ("optax.adam", "none"),
    ],
)
def test_presets_place_the_decay_as_their_library(text, mode):
    opt = build(text)
    at = positions(opt)
    assert decay_mode(opt.flags) == mode
    if mode == "none":
        assert at["decay"] is None
    elif mode == "coupled":
        assert at["decay"] == 0 < at["core"] < at["scale"]
    else:
        assert at["core"] < at["decay"] < at["scale"]


def test_keras_sgd_decays_the_weights_by_lr_times_wd_after_its_velocity():
    opt = build("keras.sgd(momentum=0.9, weight_decay=0.01)")
    kinds = [type(x) for x in opt.chain.transforms]
    assert kinds == [Scale, Trace, AddDecayedWeights]
    assert opt.chain.transforms[-1].coefficient == -ETA * LAM
    assert not opt.chain.transforms[1].copy_first  # Keras' velocity starts at zero


@pytest.mark.parametrize("name", ["paper.sgdw", "paper.adamw"])
def test_paper_presets_decay_independently_of_alpha(name):
    opt = build(name)
    last = opt.chain.transforms[-1]
    assert isinstance(last, AddDecayedWeights)
    assert last.coefficient == -SCHEDULE * LAM and not last.coefficient.has(ETA)
    (scale,) = [x for x in opt.chain.transforms if is_lr_scale(x)]
    assert scale.factor == -SCHEDULE * ETA


@pytest.mark.parametrize(
    "text, copy_first",
    [
        ("torch.sgd(momentum=0.9)", True),
        ("sgd(momentum=0.9)", True),
        ("sgdw(momentum=0.9)", True),
        ("torch.rmsprop(momentum=0.9)", False),
        ("optax.sgd(momentum=0.9)", False),
        ("keras.sgd(momentum=0.9)", False),
        ("paper.sgdw(beta1=0.9)", False),
    ],
)
def test_momentum_first_step_follows_the_library(text, copy_first):
    (trace,) = [x for x in build(text).chain.transforms if isinstance(x, Trace)]
    assert trace.copy_first is copy_first


@pytest.mark.parametrize(
    "text, states",
    [
        ("torch.sgd(momentum=0)", []),
        ("torch.sgd(momentum=0.5)", ["b"]),
        ("torch.sgd", ["b"]),  # a symbolic momentum keeps the buffer
        ("torch.adam", ["m", "v"]),
        ("torch.adam(amsgrad=true)", ["m", "v", "v_max"]),
        ("torch.rmsprop", ["a", "b"]),
        ("torch.rmsprop(momentum=0, centered=true)", ["a", "gbar"]),
        ("torch.adagrad", ["G"]),
        ("optax.lion", ["m"]),
    ],
)
def test_switches_and_zero_values_shape_the_state(text, states):
    assert [slot.symbol.name for slot in build(text).chain.states] == states


def test_nesterov_with_zero_dampening_builds():
    opt = build("torch.sgd(momentum=0.9, dampening=0, nesterov=true)")
    (trace,) = [x for x in opt.chain.transforms if isinstance(x, Trace)]
    assert trace.nesterov and trace.dampening == 0


def test_nesterov_with_left_out_dampening_builds_like_torch():
    opt = build("torch.sgd(momentum=0.9, nesterov=true)")
    (trace,) = [x for x in opt.chain.transforms if isinstance(x, Trace)]
    assert trace.nesterov and trace.dampening == 0
