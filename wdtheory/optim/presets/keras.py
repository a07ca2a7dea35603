"""Keras 3's optimizers (``keras.optimizers``), with their names, defaults and constructor
signatures (Keras 3.15; ``tf.keras.optimizers`` since TensorFlow 2.11 reads the same).

Every Keras optimizer applies ``w <- w - w * weight_decay * lr`` before its update
(``base_optimizer.py _apply_weight_decay``): decoupled decay, for SGD too. ``weight_decay=None``
means no decay. Gradient clipping, ``use_ema`` and gradient accumulation change the step in ways
not modelled here, so only their defaults are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from wdtheory.core.spec import format_number, is_decimal
from wdtheory.optim.builders import build_keras_adam, build_velocity_sgd
from wdtheory.optim.definition import IMPLEMENTATION, CodeWriter, Definition, Extra, keywords

__all__ = ["ADAM", "ADAMW", "CONSTRUCTIONS", "PRESETS", "SGD"]

_R = sp.Rational

_ADAM_PARAMS = {
    "learning_rate": "lr",
    "beta_1": "beta1",
    "beta_2": "beta2",
    "epsilon": "eps",
    "weight_decay": "weight_decay",
}
_CLIPPING = Extra((None,), "gradient clipping changes the gradients; not modelled")
_EXTRAS = {
    "clipnorm": _CLIPPING,
    "clipvalue": _CLIPPING,
    "global_clipnorm": _CLIPPING,
    "use_ema": Extra((False,), "use_ema keeps a moving average of the weights; not modelled"),
    "ema_momentum": IMPLEMENTATION,  # used only with use_ema
    "ema_overwrite_frequency": IMPLEMENTATION,
    # the loss is scaled and the gradients unscaled: the same values in exact arithmetic
    "loss_scale_factor": IMPLEMENTATION,
    "gradient_accumulation_steps": Extra(
        (None,), "accumulating gradients over steps changes the step count; not modelled"
    ),
    "name": IMPLEMENTATION,
    "jit_compile": IMPLEMENTATION,  # tf.keras (Keras 2) only: XLA compilation of the step
}
_COMMON = (
    "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum",
    "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps", "name",
)  # fmt: skip
_NULLABLE = frozenset(
    {"clipnorm", "clipvalue", "global_clipnorm", "ema_overwrite_frequency", "loss_scale_factor"}
    | {"gradient_accumulation_steps", "name"}
)

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
    call="keras.optimizers.SGD",
    signature=("learning_rate", "momentum", "nesterov", "weight_decay", *_COMMON),
    extras=_EXTRAS,
    nullable=_NULLABLE | {"weight_decay"},
)
ADAM = Definition(
    "keras.adam",
    "keras.optimizers.Adam",
    _ADAM_PARAMS,
    {**_ADAM_DEFAULTS, "weight_decay": 0},
    {"amsgrad": (False, True), "decay": ("decoupled",)},
    build_keras_adam,
    "keras/src/optimizers/adam.py Adam.update_step; base_optimizer.py _apply_weight_decay",
    call="keras.optimizers.Adam",
    signature=(
        "learning_rate",
        "beta_1",
        "beta_2",
        "epsilon",
        "amsgrad",
        "weight_decay",
        *_COMMON,
    ),
    extras=_EXTRAS,
    nullable=_NULLABLE | {"weight_decay"},
)
ADAMW = Definition(
    "keras.adamw",
    "keras.optimizers.AdamW",
    _ADAM_PARAMS,
    {**_ADAM_DEFAULTS, "weight_decay": _R("0.004")},
    {"amsgrad": (False, True), "decay": ("decoupled",)},
    build_keras_adam,
    "keras/src/optimizers/adamw.py AdamW",
    call="keras.optimizers.AdamW",
    signature=(
        "learning_rate",
        "weight_decay",
        "beta_1",
        "beta_2",
        "epsilon",
        "amsgrad",
        *_COMMON,
    ),
    extras=_EXTRAS,
    nullable=_NULLABLE,
)

PRESETS = (SGD, ADAM, ADAMW)


def _regularised(class_name: str) -> CodeWriter:
    """A Keras optimizer on a loss with ``keras.regularizers.L2(c)`` on the decayed layers: its
    gradient adds ``2 c w``, so ``c = weight_decay / 2`` gives the coupled decay ``weight_decay w``."""

    def code(arguments: dict[str, str], values: Mapping[str, sp.Expr]) -> str:
        decay = arguments.pop("weight_decay")  # no default: always written
        half = values["weight_decay"] / 2
        strength = format_number(half) if is_decimal(half) else f"{decay} / 2"
        return (
            f"keras.optimizers.{class_name}({keywords(arguments)})  # with "
            f"kernel_regularizer=keras.regularizers.L2({strength}) on every decayed layer"
        )

    return code


#: standard constructions that are not one optimizer: convert offers them when none is equivalent
CONSTRUCTIONS = (
    Definition(
        "keras.sgd + L2 regularizer",
        "keras.optimizers.SGD on a loss with an L2 kernel regularizer: coupled decay",
        {"learning_rate": "lr", "momentum": "momentum", "weight_decay": "weight_decay"},
        {"learning_rate": _R("0.01"), "momentum": 0, "weight_decay": None},
        {"nesterov": (False, True), "decay": ("coupled",)},
        build_velocity_sgd,
        "keras/src/optimizers/sgd.py; keras/src/regularizers/regularizers.py L2",
        code=_regularised("SGD"),
    ),
    Definition(
        "keras.adam + L2 regularizer",
        "keras.optimizers.Adam on a loss with an L2 kernel regularizer: coupled decay",
        _ADAM_PARAMS,
        {**_ADAM_DEFAULTS, "weight_decay": None},
        {"amsgrad": (False, True), "decay": ("coupled",)},
        build_keras_adam,
        "keras/src/optimizers/adam.py; keras/src/regularizers/regularizers.py L2",
        code=_regularised("Adam"),
    ),
)
