r"""The generic optimizers: one algorithm, every decay mode (``decay=``), L2 or L1 (``penalty=``).

``sgd``, ``sgdw``, ``adam``, ``adamw``, ``rmsprop`` and ``adagrad`` have PyTorch's semantics,
names and defaults (they reuse :mod:`~wdtheory.optim.presets.torch`'s tables) and differ from
the presets only in their switches; ``lion`` has optax's semantics with PyTorch-style names.
Each name's own decay mode is its default (``sgd``: coupled, ``sgdw``: decoupled).

What no library constructor offers, the generic optimizers do: ``loss_scale`` (default 1)
multiplies the gradient before anything else (a loss scaled by a constant, a sum instead of a
mean); ``sgd`` and ``sgdw`` take ``momentum_start=zero`` (a buffer from 0, updated on step 1 as
on every step; with ``dampening=momentum`` the EMA :math:`b \leftarrow \beta b + (1-\beta)g`)
and Nesterov with dampening, which ``torch.optim.SGD`` refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import sympy as sp

from wdtheory.optim.builders import (
    DECAY_MODES,
    PENALTIES,
    Flags,
    Values,
    build_generic_sgd,
    build_lion,
    loss_scaled,
)
from wdtheory.optim.definition import Definition
from wdtheory.optim.presets import torch
from wdtheory.optim.transforms import Transform

__all__ = ["PRESETS"]

_R = sp.Rational


def _generic(
    name: str,
    decay: str,
    description: str,
    like: Definition,
    build: Callable[[Values, Flags], list[Transform]] | None = None,
    **switches: tuple[object, ...],
) -> Definition:
    """A generic optimizer with the parameters and defaults of ``like`` and a ``loss_scale``,
    built by ``build`` (default: ``like``'s builder) on the scaled gradient."""
    modes = (decay, *(m for m in DECAY_MODES if m != decay))
    flags = {"decay": modes, "penalty": PENALTIES, "schedule": (False, True), **switches}
    params = {**like.params, "loss_scale": "loss_scale"}
    defaults = {**like.defaults, "loss_scale": sp.S.One}
    return Definition(
        name, description, params, defaults, flags, partial(loss_scaled, build or like.build)
    )


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
        "SGD with heavy-ball momentum (PyTorch semantics unless momentum_start=zero: buffer = g on step 1)",
        torch.SGD,
        build_generic_sgd,
        nesterov=(False, True),
        momentum_start=("copy", "zero"),
    ),
    _generic(
        "sgdw",
        "decoupled",
        "SGD with momentum and decoupled weight decay",
        torch.SGD,
        build_generic_sgd,
        nesterov=(False, True),
        momentum_start=("copy", "zero"),
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
