"""Every optimizer name, one table per library: :data:`OPTIMIZERS` maps a name to its
:class:`~wdtheory.optim.definition.Definition`, generic names first, then ``torch.*``,
``keras.*``, ``optax.*`` and ``paper.*``. Add a preset by adding a ``Definition`` to its
library's module (its builder comes from :mod:`wdtheory.optim.builders`)."""

from __future__ import annotations

from wdtheory.core.errors import check_choice
from wdtheory.optim.definition import Definition
from wdtheory.optim.presets import generic, keras, optax, paper, torch

__all__ = ["CONSTRUCTIONS", "OPTIMIZERS", "get_optimizer"]

OPTIMIZERS: dict[str, Definition] = {
    d.name: d for library in (generic, torch, keras, optax, paper) for d in library.PRESETS
}

#: standard constructions of each library that are not one preset (an optax chain, a Keras
#: optimizer with a regularizer): candidates of a conversion, not spec names
CONSTRUCTIONS: dict[str, tuple[Definition, ...]] = {
    "optax": optax.CONSTRUCTIONS,
    "keras": keras.CONSTRUCTIONS,
}


def get_optimizer(name: str) -> Definition:
    """The definition called ``name``; an unknown name raises an error with close matches."""
    return OPTIMIZERS[check_choice("optimizer", name, OPTIMIZERS)]
