"""PyTorch's optimizers (``torch.optim``, version 2.x), with their names, defaults and
constructor signatures (``inspect.signature(torch.optim.X)`` of torch 2.13).

Each definition cites the function of ``torch/optim`` whose arithmetic it reproduces; the
conformance tests run them against ``torch.optim`` itself. ``foreach``, ``fused``, ``capturable``
and ``differentiable`` choose how torch computes the step, not its values; ``maximize=True``
(gradient ascent) is refused.
"""

from __future__ import annotations

import sympy as sp

from wdtheory.optim.builders import build_adagrad, build_adam, build_rmsprop, build_sgd
from wdtheory.optim.definition import IMPLEMENTATION, Definition, Extra

__all__ = ["ADAGRAD", "ADAM", "ADAMW", "PRESETS", "RMSPROP", "SGD"]

_R = sp.Rational

_SGD_PARAMS = {
    "lr": "lr",
    "momentum": "momentum",
    "dampening": "dampening",
    "weight_decay": "weight_decay",
}
_ADAM_PARAMS = {
    "lr": "lr",
    "beta1": "beta1",
    "beta2": "beta2",
    "eps": "eps",
    "weight_decay": "weight_decay",
}
_ADAM_DEFAULTS = {"lr": _R("0.001"), "beta1": _R("0.9"), "beta2": _R("0.999"), "eps": _R("1e-8")}
_ADAM_SIGNATURE = ("params", "lr", "betas", "eps", "weight_decay", "amsgrad")
_MAXIMIZE = Extra((False,), "maximize=true ascends the objective; wdtheory models descent")
#: torch's arguments whose default is None: None means left out
_NULLABLE = frozenset({"foreach", "fused"})


def _constructor(*implementation: str) -> dict:
    """The arguments of a torch constructor beyond the rule's: ``implementation`` ones (how
    torch computes: ``foreach``, ``fused``...) accepted and ignored, ``maximize`` refused."""
    return {
        "extras": {**dict.fromkeys(implementation, IMPLEMENTATION), "maximize": _MAXIMIZE},
        "nullable": _NULLABLE & set(implementation),
    }


SGD = Definition(
    "torch.sgd",
    "torch.optim.SGD",
    _SGD_PARAMS,
    {"lr": _R("0.001"), "momentum": 0, "dampening": 0, "weight_decay": 0},
    {"nesterov": (False, True), "decay": ("coupled",)},
    build_sgd,
    "torch/optim/sgd.py _single_tensor_sgd",
    call="torch.optim.SGD",
    signature=("params", "lr", "momentum", "dampening", "weight_decay", "nesterov"),
    **_constructor("foreach", "differentiable", "fused"),
)
ADAM = Definition(
    "torch.adam",
    "torch.optim.Adam",
    _ADAM_PARAMS,
    {**_ADAM_DEFAULTS, "weight_decay": 0},
    {"amsgrad": (False, True), "decoupled_weight_decay": (False, True)},
    build_adam,
    "torch/optim/adam.py _single_tensor_adam",
    call="torch.optim.Adam",
    signature=_ADAM_SIGNATURE,
    tuples={"betas": ("beta1", "beta2")},
    **_constructor("foreach", "capturable", "differentiable", "fused"),
)
ADAMW = Definition(
    "torch.adamw",
    "torch.optim.AdamW",
    _ADAM_PARAMS,
    {**_ADAM_DEFAULTS, "weight_decay": _R("0.01")},
    {"amsgrad": (False, True), "decay": ("decoupled",)},
    build_adam,
    "torch/optim/adamw.py (Adam with decoupled_weight_decay=True)",
    call="torch.optim.AdamW",
    signature=_ADAM_SIGNATURE,
    tuples={"betas": ("beta1", "beta2")},
    **_constructor("foreach", "capturable", "differentiable", "fused"),
)
RMSPROP = Definition(
    "torch.rmsprop",
    "torch.optim.RMSprop",
    {
        "lr": "lr",
        "alpha": "alpha",
        "eps": "eps",
        "weight_decay": "weight_decay",
        "momentum": "momentum",
    },
    {"lr": _R("0.01"), "alpha": _R("0.99"), "eps": _R("1e-8"), "weight_decay": 0, "momentum": 0},
    {"centered": (False, True), "decay": ("coupled",)},
    build_rmsprop,
    "torch/optim/rmsprop.py _single_tensor_rmsprop",
    call="torch.optim.RMSprop",
    signature=(
        "params",
        "lr",
        "alpha",
        "eps",
        "weight_decay",
        "momentum",
        "centered",
        "capturable",
        "foreach",
        "maximize",
        "differentiable",
    ),
    **_constructor("capturable", "foreach", "differentiable"),
)
ADAGRAD = Definition(
    "torch.adagrad",
    "torch.optim.Adagrad",
    {
        "lr": "lr",
        "lr_decay": "lr_decay",
        "weight_decay": "weight_decay",
        "initial_accumulator_value": "initial_accumulator_value",
        "eps": "eps",
    },
    {
        "lr": _R("0.01"),
        "lr_decay": 0,
        "weight_decay": 0,
        "initial_accumulator_value": 0,
        "eps": _R("1e-10"),
    },
    {"decay": ("coupled",)},
    build_adagrad,
    "torch/optim/adagrad.py _single_tensor_adagrad",
    call="torch.optim.Adagrad",
    signature=(
        "params",
        "lr",
        "lr_decay",
        "weight_decay",
        "initial_accumulator_value",
        "eps",
        "foreach",
    ),
    **_constructor("foreach", "differentiable", "fused"),
)

PRESETS = (SGD, ADAM, ADAMW, RMSPROP, ADAGRAD)
