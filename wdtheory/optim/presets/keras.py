"""Keras 3's optimizers (``keras.optimizers``), with their names and defaults.

Every Keras optimizer applies ``w <- w - w * weight_decay * lr`` before its update
(``base_optimizer.py _apply_weight_decay``): decoupled decay, for SGD too.
"""

from __future__ import annotations

import sympy as sp

from wdtheory.optim.builders import build_keras_adam, build_velocity_sgd
from wdtheory.optim.definition import Definition

__all__ = ["ADAM", "ADAMW", "PRESETS", "SGD"]

_R = sp.Rational

_ADAM_PARAMS = {
    "learning_rate": "lr",
    "beta_1": "beta1",
    "beta_2": "beta2",
    "epsilon": "eps",
    "weight_decay": "weight_decay",
}
_ADAM_DEFAULTS = {
    "learning_rate": _R("0.001"),
    "beta_1": _R("0.9"),
    "beta_2": _R("0.999"),
    "epsilon": _R("1e-7"),
}

SGD = Definition(
    "keras.sgd",
    "keras.optimizers.SGD",
    {"learning_rate": "lr", "momentum": "momentum", "weight_decay": "weight_decay"},
    {"learning_rate": _R("0.01"), "momentum": 0, "weight_decay": 0},
    {"nesterov": (False, True), "decay": ("decoupled",)},
    build_velocity_sgd,
    "keras/src/optimizers/sgd.py SGD.update_step; base_optimizer.py _apply_weight_decay",
)
ADAM = Definition(
    "keras.adam",
    "keras.optimizers.Adam",
    _ADAM_PARAMS,
    {**_ADAM_DEFAULTS, "weight_decay": 0},
    {"amsgrad": (False, True), "decay": ("decoupled",)},
    build_keras_adam,
    "keras/src/optimizers/adam.py Adam.update_step; base_optimizer.py _apply_weight_decay",
)
ADAMW = Definition(
    "keras.adamw",
    "keras.optimizers.AdamW",
    _ADAM_PARAMS,
    {**_ADAM_DEFAULTS, "weight_decay": _R("0.004")},
    {"amsgrad": (False, True), "decay": ("decoupled",)},
    build_keras_adam,
    "keras/src/optimizers/adamw.py AdamW",
)

PRESETS = (SGD, ADAM, ADAMW)
