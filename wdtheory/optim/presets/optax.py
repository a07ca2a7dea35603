"""optax's aliases (``optax/_src/alias.py``), with their names, defaults and signatures (optax
0.2.8).

optax has no default learning rate (``None`` here: left out, it stays a symbol). ``mu_dtype`` and
``accumulator_dtype`` choose the precision of a buffer, not the rule; a ``mask`` (which
parameters decay) and Adam's ``nesterov=True`` (NAdam) are refused.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from wdtheory.optim.builders import build_adam, build_lion, build_trace_sgd
from wdtheory.optim.definition import IMPLEMENTATION, CodeWriter, Definition, Extra, keywords

__all__ = ["ADAM", "ADAMW", "CONSTRUCTIONS", "LION", "PRESETS", "SGD"]

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

_MASK = Extra(
    (None,),
    "a mask chooses which parameters decay; ask about the decayed ones (this rule) and the "
    "others (weight_decay=0) separately",
)
_NADAM = Extra((False,), "nesterov=true makes optax's Adam NAdam; not modelled")
_ADAM_SIGNATURE = ("learning_rate", "b1", "b2", "eps", "eps_root", "mu_dtype")

SGD = Definition(
    "optax.sgd",
    "optax.sgd (no weight decay)",
    {"learning_rate": "lr", "momentum": "momentum"},
    {"learning_rate": None, "momentum": 0},
    {"nesterov": (False, True), "decay": ("none",)},
    build_trace_sgd,
    "optax/_src/alias.py sgd; optax/transforms/_accumulation.py trace",
    call="optax.sgd",
    signature=("learning_rate", "momentum", "nesterov", "accumulator_dtype"),
    extras={"accumulator_dtype": IMPLEMENTATION},
    nullable=frozenset({"momentum", "accumulator_dtype"}),
)
ADAM = Definition(
    "optax.adam",
    "optax.adam (no weight decay)",
    _ADAM_PARAMS,
    _ADAM_DEFAULTS,
    {"decay": ("none",)},
    build_adam,
    "optax/_src/alias.py adam; transform.py scale_by_adam",
    call="optax.adam",
    signature=_ADAM_SIGNATURE,
    extras={"mu_dtype": IMPLEMENTATION, "nesterov": _NADAM},
    nullable=frozenset({"mu_dtype"}),
)
ADAMW = Definition(
    "optax.adamw",
    "optax.adamw",
    {**_ADAM_PARAMS, "weight_decay": "weight_decay"},
    {**_ADAM_DEFAULTS, "weight_decay": _R("0.0001")},
    {"decay": ("decoupled",)},
    build_adam,
    "optax/_src/alias.py adamw: chain(scale_by_adam, add_decayed_weights, scale_by_learning_rate)",
    call="optax.adamw",
    signature=(*_ADAM_SIGNATURE, "weight_decay", "mask"),
    extras={"mu_dtype": IMPLEMENTATION, "mask": _MASK, "nesterov": _NADAM},
    nullable=frozenset({"mu_dtype", "mask"}),
)
LION = Definition(
    "optax.lion",
    "optax.lion",
    {"learning_rate": "lr", "b1": "beta1", "b2": "beta2", "weight_decay": "weight_decay"},
    {"learning_rate": None, "b1": _R("0.9"), "b2": _R("0.99"), "weight_decay": _R("0.001")},
    {"decay": ("decoupled",)},
    build_lion,
    "optax/_src/alias.py lion; transform.py scale_by_lion",
    call="optax.lion",
    signature=("learning_rate", "b1", "b2", "mu_dtype", "weight_decay", "mask"),
    extras={"mu_dtype": IMPLEMENTATION, "mask": _MASK},
    nullable=frozenset({"mu_dtype", "mask"}),
)

PRESETS = (SGD, ADAM, ADAMW, LION)


def _chain_after_decay(alias: str) -> CodeWriter:
    """``optax.chain(optax.add_decayed_weights(wd), optax.<alias>(...))``: L2 added to the
    gradient before the alias's transformations (coupled)."""

    def code(arguments: dict[str, str], values: Mapping[str, sp.Expr]) -> str:
        decay = arguments.pop("weight_decay")  # no default: always written
        return (
            f"optax.chain(optax.add_decayed_weights({decay}), optax.{alias}({keywords(arguments)}))"
        )

    return code


def _sgdw_code(arguments: dict[str, str], values: Mapping[str, sp.Expr]) -> str:
    """SGD with decoupled decay: the decay added after the momentum, before the scaling."""
    learning_rate = arguments.pop("learning_rate")  # no default: always written
    steps = [f"optax.trace(decay={arguments.pop('momentum')})"] if "momentum" in arguments else []
    steps.append(f"optax.add_decayed_weights({arguments.pop('weight_decay')})")
    steps.append(f"optax.scale_by_learning_rate({learning_rate})")
    return f"optax.chain({', '.join(steps)})"


#: standard constructions that are not aliases: convert offers them when no alias is equivalent
CONSTRUCTIONS = (
    Definition(
        "optax.chain(add_decayed_weights, adam)",
        "optax.adam after optax.add_decayed_weights: L2 added to the gradient (coupled)",
        {**_ADAM_PARAMS, "weight_decay": "weight_decay"},
        {**_ADAM_DEFAULTS, "weight_decay": None},
        {"decay": ("coupled",)},
        build_adam,
        "optax/_src/alias.py adam; transforms/_adding.py add_decayed_weights",
        code=_chain_after_decay("adam"),
    ),
    Definition(
        "optax.chain(add_decayed_weights, sgd)",
        "optax.sgd after optax.add_decayed_weights: L2 added to the gradient (coupled)",
        {"learning_rate": "lr", "momentum": "momentum", "weight_decay": "weight_decay"},
        {"learning_rate": None, "momentum": 0, "weight_decay": None},
        {"nesterov": (False, True), "decay": ("coupled",)},
        build_trace_sgd,
        "optax/_src/alias.py sgd; transforms/_adding.py add_decayed_weights",
        code=_chain_after_decay("sgd"),
    ),
    Definition(
        "optax.chain(trace, add_decayed_weights, scale_by_learning_rate)",
        "SGD with momentum and decoupled weight decay, as an optax chain",
        {"learning_rate": "lr", "momentum": "momentum", "weight_decay": "weight_decay"},
        {"learning_rate": None, "momentum": 0, "weight_decay": None},
        {"decay": ("decoupled",)},
        build_trace_sgd,
        "optax trace, add_decayed_weights, scale_by_learning_rate",
        code=_sgdw_code,
    ),
)
