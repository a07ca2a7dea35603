"""An optimizer written as the library code a user pastes into a training script.

``torch.adamw(lr=0.001, beta2=0.99)`` is ``torch.optim.AdamW(model.parameters(), lr=0.001,
betas=(0.9, 0.99))``: the library's constructor (:attr:`Definition.call
<wdtheory.optim.definition.Definition.call>`) with the arguments it was given and those that
differ from the library's defaults (whatever its spec left symbolic), in the library's spelling —
tuples collapsed, torch's parameters first, switches as Python booleans, wdtheory's own switches
(``decay``, ``penalty``, ``schedule``) left out. A standard construction that is not one call
(``optax.chain(...)``) writes itself with its :attr:`~wdtheory.optim.definition.Definition.code`.
Code needs numbers or plain names: an optimizer whose values are formulas has none.
"""

from __future__ import annotations

import keyword

import sympy as sp

from wdtheory.core.spec import format_number, is_decimal
from wdtheory.optim.definition import OWN_SWITCHES, keywords
from wdtheory.optim.optimizer import Optimizer

__all__ = ["library_code", "python_value"]


def python_value(value: object) -> str | None:
    """A value as Python source: a decimal, a boolean, or a name (None for a formula)."""
    if isinstance(value, bool):
        return str(value)
    if is_decimal(value):
        return format_number(value)
    if isinstance(value, sp.Symbol) and value.name.isidentifier():
        return value.name if not keyword.iskeyword(value.name) else None
    return None


def library_code(optimizer: Optimizer) -> str | None:
    """The library code of ``optimizer``, or None when it has none (a generic optimizer, the
    paper's algorithms, values that are formulas)."""
    definition = optimizer.definition
    if not definition.call and definition.code is None:
        return None
    written = {  # what differs from the library's default, which the code means when left out
        key
        for key, value in optimizer.values.items()
        if key in optimizer.given
        or definition.defaults.get(key) is None
        or value != sp.sympify(definition.defaults[key])
    }
    arguments: dict[str, str] = {}
    packed = {key: name for name, keys in definition.tuples.items() for key in keys}
    for key, value in optimizer.values.items():
        if key not in written:
            continue
        if key in packed:
            texts = [python_value(optimizer.values[k]) for k in definition.tuples[packed[key]]]
            if None in texts:
                return None
            arguments[packed[key]] = f"({', '.join(texts)})"  # type: ignore[arg-type]
            continue
        text = python_value(value)
        if text is None:
            return None
        arguments[key] = text
    for key, value in optimizer.flags.items():
        if key not in OWN_SWITCHES and (
            key in optimizer.given or value != definition.flags[key][0]
        ):
            arguments[key] = str(value)
    if definition.code is not None:
        return definition.code(arguments, optimizer.values)
    parameters = "model.parameters(), " if definition.signature[:1] == ("params",) else ""
    return f"{definition.call}({parameters}{keywords(arguments)})".replace(", )", ")")
