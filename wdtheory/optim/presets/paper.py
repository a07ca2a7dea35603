"""The algorithms of Loshchilov & Hutter, *Decoupled Weight Decay Regularization* (ICLR 2019).

Both take a schedule multiplier :math:`\\eta_t` (``schedule``) that scales the base learning rate
α and, independently of α, the weight decay λ: the paper's λ is α times a library's λ.
"""

from __future__ import annotations

import sympy as sp

from wdtheory.optim.builders import build_adam, build_velocity_sgd
from wdtheory.optim.definition import Definition

__all__ = ["ADAMW", "PRESETS", "SGDW"]

_R = sp.Rational

SGDW = Definition(
    "paper.sgdw",
    "SGDW, Algorithm 1 of Loshchilov & Hutter (2019)",
    {"alpha": "lr", "beta1": "momentum", "weight_decay": "weight_decay"},
    {"alpha": None, "beta1": None, "weight_decay": None},
    {"schedule": (True,), "decay": ("independent",)},
    build_velocity_sgd,
    "Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019, Algorithm 1",
)
ADAMW = Definition(
    "paper.adamw",
    "AdamW, Algorithm 2 of Loshchilov & Hutter (2019)",
    {
        "alpha": "lr",
        "beta1": "beta1",
        "beta2": "beta2",
        "eps": "eps",
        "weight_decay": "weight_decay",
    },
    {
        "alpha": _R("0.001"),
        "beta1": _R("0.9"),
        "beta2": _R("0.999"),
        "eps": _R("1e-8"),
        "weight_decay": None,
    },
    {"schedule": (True,), "decay": ("independent",)},
    build_adam,
    "Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019, Algorithm 2",
)

PRESETS = (SGDW, ADAMW)
