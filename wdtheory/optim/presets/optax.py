"""optax's aliases (``optax/_src/alias.py``), with their names and defaults.

optax has no default learning rate (``None`` here: a spec must give one for numeric work).
"""

from __future__ import annotations

import sympy as sp

from wdtheory.optim.builders import build_adam, build_lion, build_trace_sgd
from wdtheory.optim.definition import Definition

__all__ = ["ADAM", "ADAMW", "LION", "PRESETS", "SGD"]

_R = sp.Rational

_ADAM_PARAMS = {
    "learning_rate": "lr",
    "b1": "beta1",
    "b2": "beta2",
    "eps": "eps",
    "eps_root": "eps_root",
}
_ADAM_DEFAULTS = {
    "learning_rate": None,
    "b1": _R("0.9"),
    "b2": _R("0.999"),
    "eps": _R("1e-8"),
    "eps_root": 0,
}

SGD = Definition(
    "optax.sgd",
    "optax.sgd (no weight decay)",
    {"learning_rate": "lr", "momentum": "momentum"},
    {"learning_rate": None, "momentum": 0},
    {"nesterov": (False, True), "decay": ("none",)},
    build_trace_sgd,
    "optax/_src/alias.py sgd; optax/transforms/_accumulation.py trace",
)
ADAM = Definition(
    "optax.adam",
    "optax.adam (no weight decay)",
    _ADAM_PARAMS,
    _ADAM_DEFAULTS,
    {"decay": ("none",)},
    build_adam,
    "optax/_src/alias.py adam; transform.py scale_by_adam",
)
ADAMW = Definition(
    "optax.adamw",
    "optax.adamw",
    {**_ADAM_PARAMS, "weight_decay": "weight_decay"},
    {**_ADAM_DEFAULTS, "weight_decay": _R("0.0001")},
    {"decay": ("decoupled",)},
    build_adam,
    "optax/_src/alias.py adamw: chain(scale_by_adam, add_decayed_weights, scale_by_learning_rate)",
)
LION = Definition(
    "optax.lion",
    "optax.lion",
    {"learning_rate": "lr", "b1": "beta1", "b2": "beta2", "weight_decay": "weight_decay"},
    {"learning_rate": None, "b1": _R("0.9"), "b2": _R("0.99"), "weight_decay": _R("0.001")},
    {"decay": ("decoupled",)},
    build_lion,
    "optax/_src/alias.py lion; transform.py scale_by_lion",
)

PRESETS = (SGD, ADAM, ADAMW, LION)
