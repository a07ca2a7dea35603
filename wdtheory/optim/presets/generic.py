"""The generic optimizers: one algorithm, every decay mode (``decay=``), L2 or L1 (``penalty=``).

``sgd``, ``sgdw``, ``adam``, ``adamw``, ``rmsprop`` and ``adagrad`` have PyTorch's semantics,
names and defaults (they reuse :mod:`~wdtheory.optim.presets.torch`'s tables) and differ from
the presets only in their switches; ``lion`` has optax's semantics with PyTorch-style names.
Each name's own decay mode is its default (``sgd``: coupled, ``sgdw``: decoupled).
"""

from __future__ import annotations

import sympy as sp

from wdtheory.optim.builders import DECAY_MODES, PENALTIES, build_lion
from wdtheory.optim.definition import Definition
from wdtheory.optim.presets import torch

__all__ = ["PRESETS"]

_R = sp.Rational


def _generic(
    name: str, decay: str, description: str, like: Definition, **switches: tuple[object, ...]
) -> Definition:
    """A generic optimizer with the parameters, defaults and builder of ``like``."""
    modes = (decay, *(m for m in DECAY_MODES if m != decay))
    flags = {"decay": modes, "penalty": PENALTIES, "schedule": (False, True), **switches}
    return Definition(name, description, like.params, like.defaults, flags, like.build)


_LION = Definition(
    "lion",
    "Lion",
    {"lr": "lr", "beta1": "beta1", "beta2": "beta2", "weight_decay": "weight_decay"},
    {"lr": _R("0.0001"), "beta1": _R("0.9"), "beta2": _R("0.99"), "weight_decay": _R("0.001")},
    {},
    build_lion,
)

PRESETS = (
    _generic(
        "sgd",
        "coupled",
        "SGD with heavy-ball momentum (PyTorch semantics: buffer = g on step 1)",
        torch.SGD,
        nesterov=(False, True),
    ),
    _generic(
        "sgdw",
        "decoupled",
        "SGD with momentum and decoupled weight decay",
        torch.SGD,
        nesterov=(False, True),
    ),
    _generic("adam", "coupled", "Adam (PyTorch semantics)", torch.ADAM, amsgrad=(False, True)),
    _generic(
        "adamw",
        "decoupled",
        "AdamW: Adam with decoupled weight decay (PyTorch semantics)",
        torch.ADAMW,
        amsgrad=(False, True),
    ),
    _generic(
        "rmsprop", "coupled", "RMSprop (PyTorch semantics)", torch.RMSPROP, centered=(False, True)
    ),
    _generic("adagrad", "coupled", "Adagrad (PyTorch semantics)", torch.ADAGRAD),
    _generic("lion", "decoupled", "Lion (optax semantics)", _LION),
)
