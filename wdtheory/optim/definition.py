"""The record that defines one optimizer name: its parameters, defaults, switches and builder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp

from wdtheory.optim.builders import Flags, Values
from wdtheory.optim.transforms import Transform

__all__ = ["Definition"]


@dataclass(frozen=True)
class Definition:
    """How one optimizer name is built.

    ``params`` maps the spec's keys (the library's own names) to roles
    (:data:`~wdtheory.optim.roles.ROLES`); ``defaults`` holds the library's defaults by spec key
    (``None``: the library has none); ``flags`` maps switch names to their allowed values, the
    default first; ``build`` turns role values and switches into transformations
    (:mod:`wdtheory.optim.builders`); ``source`` names the library code it reproduces.
    """

    name: str
    description: str
    params: Mapping[str, str]
    defaults: Mapping[str, sp.Expr | None]
    flags: Mapping[str, tuple[object, ...]]
    build: Callable[[Values, Flags], list[Transform]]
    source: str = ""
