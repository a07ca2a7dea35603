"""The record that defines one optimizer name: its parameters, defaults, switches, builder, and
how its library's constructor takes them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sympy as sp

from wdtheory.optim.builders import Flags, Values
from wdtheory.optim.transforms import Transform

__all__ = ["IMPLEMENTATION", "OWN_SWITCHES", "CodeWriter", "Definition", "Extra", "keywords"]

#: writes a standard construction as library code, from the keyword arguments it writes (library
#: name -> Python text) and its exact values (spec key -> value)
CodeWriter = Callable[[dict[str, str], Mapping[str, sp.Expr]], str]


def keywords(arguments: Mapping[str, str]) -> str:
    """Keyword arguments as Python source, ``k=v, ...`` in order."""
    return ", ".join(f"{key}={text}" for key, text in arguments.items())


@dataclass(frozen=True)
class Extra:
    """A constructor argument that is not a hyperparameter of the rule. ``allowed``: the values
    wdtheory can honour (``None``: any value, the argument changes how the library computes, not
    what); another value is refused with ``reason``."""

    allowed: tuple[object, ...] | None = None
    reason: str = ""


#: an argument that changes how the library computes the step, not its values
IMPLEMENTATION = Extra()

#: switches that choose wdtheory's rule, not arguments of any library's constructor
OWN_SWITCHES = frozenset({"decay", "penalty", "schedule"})


@dataclass(frozen=True)
class Definition:
    """How one optimizer name is built.

    ``params`` maps the spec's keys (the library's own names) to roles
    (:data:`~wdtheory.optim.roles.ROLES`); ``defaults`` holds the library's defaults by spec key
    (``None``: the library has none); ``flags`` maps switch names to their allowed values, the
    default first; ``build`` turns role values and switches into transformations
    (:mod:`wdtheory.optim.builders`); ``source`` names the library code it reproduces.

    How the library's constructor takes them (read by :mod:`wdtheory.optim.constructor`):
    ``signature`` is its positional order (``"params"``: the parameters argument torch takes
    first); ``tuples`` maps an argument given as a tuple to the keys it stands for (torch's
    ``betas``); ``extras`` are the arguments that are not hyperparameters of the rule;
    ``nullable`` are the arguments whose library default is ``None`` (``None`` then means left
    out). ``call`` is the library's constructor (``torch.optim.AdamW``); a standard construction
    that is not one call (``optax.chain(...)``, a Keras optimizer with a regularizer) has a
    ``code`` writer instead (:mod:`wdtheory.optim.code` writes both). ``spell`` writes a spec of
    it from its written ``key=value`` texts when it is not ``name(key=value, ...)`` (a user's
    chain, :mod:`wdtheory.optim.compose`).
    """

    name: str
    description: str
    params: Mapping[str, str]
    defaults: Mapping[str, sp.Expr | None]
    flags: Mapping[str, tuple[object, ...]]
    build: Callable[[Values, Flags], list[Transform]]
    source: str = ""
    signature: tuple[str, ...] = ()
    tuples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    extras: Mapping[str, Extra] = field(default_factory=dict)
    nullable: frozenset[str] = frozenset()
    call: str = ""
    code: CodeWriter | None = None
    spell: Callable[[Mapping[str, str]], str] | None = None
