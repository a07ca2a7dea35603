"""The optimizers page: the update rule of each optimizer, derived from its chain."""

from __future__ import annotations

from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.rules import derive_optimizer
from wdtheory.report.settings import Files, Settings

__all__ = ["page"]

RULES = (
    "torch.sgd(momentum=mu)",
    "sgdw(momentum=mu)",
    "keras.sgd(momentum=mu)",
    "torch.adam",
    "torch.adamw",
    "keras.adamw",
    "optax.adamw",
    "paper.adamw",
    "optax.lion",
)


def page(settings: Settings) -> Files:
    parts = [
        "# Update rules of the optimizers",
        "",
        "Each rule is derived from its chain of transformations; where the decay sits in the chain is the "
        "difference between L2 regularisation and weight decay. `wdtheory derive SPEC` prints any of them.",
        "",
    ]
    for spec in RULES:
        body = derive_optimizer(Optimizer.from_spec(spec, symbolic=True)).render("markdown")
        parts.append("#" + body)  # one level down
    return {"optimizers.md": "\n".join(parts)}
