"""Reading a spec the way its library reads the constructor call.

``torch.optim.AdamW(model.parameters(), 1e-3, betas=(0.9, 0.999), foreach=True)`` is read as
torch reads it: the name's module path (``torch.optim``, ``keras.optimizers``,
``tf.keras.optimizers``, ``optax``) picks the library and its last part the optimizer, in any
case; positional arguments take the places of the library's signature (torch's first one is the
parameters, whatever they are called); a tuple stands for the keys it unpacks to (``betas`` for
``beta1`` and ``beta2``); ``None`` is accepted where it is the library's own default and means
the argument was left out; arguments that change how the library computes but not what
(``foreach``, ``fused``, ``mu_dtype``...) are accepted and ignored; those that change the rule
in a way wdtheory does not model (``maximize``, ``clipnorm``, a ``mask``...) are refused with
their reason. Each refusal is one line naming the argument.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from wdtheory.core.errors import WdtheoryError, did_you_mean
from wdtheory.core.spec import CHAINS, Item, Reference, Spec, Value, format_item
from wdtheory.optim.compose import chain_definition_from_spec
from wdtheory.optim.definition import OWN_SWITCHES, Definition
from wdtheory.optim.presets import OPTIMIZERS, get_optimizer

__all__ = ["LIBRARY_PATHS", "Call", "library_path", "read", "resolve_name"]

#: the module paths a library's optimizers are written with in code, longest first
LIBRARY_PATHS = {
    "torch": ("torch.optim", "torch"),
    "keras": (
        "tensorflow.keras.optimizers",
        "tf.keras.optimizers",
        "keras.optimizers",
        "keras",
    ),
    "optax": ("optax",),
}

#: the signature entry of torch's first argument, the parameters
PARAMETERS = "params"


@dataclass(frozen=True)
class Call:
    """A spec as its library reads it: the definition it names, the values of the arguments
    that are hyperparameters or switches of the rule (by spec key), and whether every left-out
    hyperparameter is asked to be symbolic."""

    definition: Definition
    given: dict[str, Value]
    symbolic: bool


#: module parts between a library's path and the class that name the same class
SAME_CLASS_MODULES = {
    "torch": frozenset({"sgd", "adam", "adamw", "rmsprop", "adagrad"}),  # torch.optim.adamw.AdamW
    "keras": frozenset({"experimental"}),  # TF 2.9-2.10: the optimizers Keras 2.11+ made default
    "optax": frozenset(),
}
#: module parts that name other optimizers than the library's own, with the reason
OTHER_MODULES = {"legacy": "Keras 2's legacy optimizers are other algorithms; not modelled"}


def library_path(name: str) -> tuple[str, str] | None:
    """The library and the module path a name in code starts with (the longest), or None."""
    for library, paths in LIBRARY_PATHS.items():
        for path in paths:
            if name.startswith(path + "."):
                return library, path
    return None


def resolve_name(name: str) -> str:
    """The preset a name in code stands for: ``torch.optim.AdamW`` is ``torch.adamw``."""
    if name in OPTIMIZERS:
        return name
    found = library_path(name)
    if found is None:
        return name
    library, path = found
    *modules, class_name = name.removeprefix(path + ".").split(".")
    for module in modules:
        if module in OTHER_MODULES:
            raise WdtheoryError(f"{name}: {OTHER_MODULES[module]}")
        if module not in SAME_CLASS_MODULES[library]:
            raise WdtheoryError(f"unknown optimizer {name!r}: no {library} module {module!r}")
    candidate = f"{library}.{class_name.lower()}"
    if candidate in OPTIMIZERS:
        return candidate
    known = sorted(n.split(".")[1] for n in OPTIMIZERS if n.startswith(library + "."))
    raise WdtheoryError(
        f"unknown optimizer {name!r}: wdtheory knows {library}'s "
        f"{', '.join(known)}{did_you_mean(candidate, OPTIMIZERS)}"
    )


def read(spec: Spec) -> Call:
    """The spec read as its library reads the constructor call (see the module doc); a chain
    of transformations is read by :mod:`wdtheory.optim.compose`."""
    if spec.name in CHAINS:
        definition, values = chain_definition_from_spec(spec)
        return Call(definition, dict(values), spec.symbolic)
    definition = get_optimizer(resolve_name(spec.name))
    given: dict[str, Value] = {}
    origins: dict[str, str] = {}  # key -> how it was given, for the error on a second value
    for key, item in _bind(definition, spec).items():
        if key in OWN_SWITCHES and spec.name != definition.name:
            raise WdtheoryError(
                f"{spec.name} takes no {key!r}: {key}= is wdtheory's switch, written with the "
                f"preset's name, e.g. {definition.name}({key}=...)"
            )
        if key == PARAMETERS:
            _check_parameters(definition, item)
        elif key in definition.extras:
            _check_extra(definition, key, item)
        elif item is None:
            if key not in definition.nullable:
                raise WdtheoryError(
                    f"{definition.name}: {key}=None is not allowed; give a number or a name"
                )
        elif key in definition.tuples:
            for member, value in _unpack(definition, key, item).items():
                _set_once(spec, given, origins, member, value, f"in {key}")
        else:
            _set_once(spec, given, origins, key, _single(definition.name, key, item), "by name")
    return Call(definition, given, spec.symbolic)


def _set_once(
    spec: Spec,
    given: dict[str, Value],
    origins: dict[str, str],
    key: str,
    value: Value,
    origin: str,
) -> None:
    """``given[key] = value``, refused when a tuple and a keyword both set ``key``
    (``betas=(0.9, 0.99), beta1=0.5``): the library would take neither."""
    if key in given:
        raise WdtheoryError(f"{spec.name} got two values for {key!r} ({origins[key]} and {origin})")
    given[key], origins[key] = value, origin


def _bind(definition: Definition, spec: Spec) -> dict[str, Item]:
    """Positional arguments to the signature's keys, then the keywords; each key at most once."""
    if len(spec.args) > len(definition.signature):
        takes = len(definition.signature)
        raise WdtheoryError(
            f"{spec.name} takes {takes or 'no'} positional argument{'s' * (takes != 1)}, "
            f"got {len(spec.args)}; write key=value"
        )
    bound = dict(zip(definition.signature, spec.args, strict=False))
    allowed = [
        *definition.params,
        *definition.flags,
        *definition.tuples,
        *definition.extras,
        *(k for k in definition.signature if k == PARAMETERS),
    ]
    for key, item in spec.params:
        if key in bound:
            raise WdtheoryError(f"{spec.name} got two values for {key!r} (by position and by name)")
        if key not in allowed:
            _refuse_unknown(definition, key, allowed)
        bound[key] = item
    return bound


def _refuse_unknown(definition: Definition, key: str, allowed: list[str]) -> None:
    """Refuse an unknown key; one another library uses for one of ours is pointed to ours."""
    roles = {d.params[key] for d in OPTIMIZERS.values() if key in d.params}
    ours = [k for k, role in definition.params.items() if role in roles]
    hint = f" ({definition.name} calls it {ours[0]!r})" if ours else did_you_mean(key, allowed)
    raise WdtheoryError(
        f"unknown parameter {key!r} for {definition.name}{hint}; allowed: {', '.join(allowed)}"
    )


def _check_parameters(definition: Definition, item: Item) -> None:
    """torch's first argument: the parameters, a name or a reference, never looked at."""
    if not isinstance(item, Reference | sp.Symbol):
        raise WdtheoryError(
            f"{definition.name}: its first argument is the parameters (e.g. model.parameters()), "
            f"not {format_item(item)}"
        )


def _check_extra(definition: Definition, key: str, item: Item) -> None:
    extra = definition.extras[key]
    if extra.allowed is None or any(_same(item, value) for value in extra.allowed):
        return
    raise WdtheoryError(f"{definition.name}: {key}={format_item(item)} is refused: {extra.reason}")


def _same(item: Item, value: object) -> bool:
    """``item == value`` telling booleans from numbers and None from anything."""
    return (type(item) is type(value) and item == value) or (item is None and value is None)


def _unpack(definition: Definition, key: str, item: Item) -> dict[str, Value]:
    keys = definition.tuples[key]
    if not isinstance(item, tuple) or len(item) != len(keys):
        raise WdtheoryError(
            f"{definition.name}: {key}={format_item(item)} must be a tuple of {len(keys)} values "
            f"({', '.join(keys)}), e.g. {key}=(0.9, 0.999)"
        )
    return dict(zip(keys, item, strict=True))


def _single(name: str, key: str, item: Item) -> Value:
    if isinstance(item, tuple | Reference):
        raise WdtheoryError(
            f"{name}: {key}={format_item(item)} is not a number, true/false or a name"
        )
    return item
