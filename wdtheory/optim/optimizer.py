r"""An optimizer: a preset or generic name with its hyperparameter values and switches.

:class:`Optimizer` ties a :class:`~wdtheory.optim.definition.Definition` (from
:mod:`wdtheory.optim.presets`) to values — exact numbers, the user's symbols, or the canonical
symbols of :mod:`wdtheory.core.notation` for those left out — and builds its
:class:`~wdtheory.optim.transforms.Chain`. :meth:`Optimizer.from_spec` reads spec text with the
library's own parameter names and refuses, in one line, unknown keys (pointing to the name this
library uses for a known role), values out of their role's range, switches out of their choices
and symbol names that would collide with the rule's own variables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from wdtheory.core.errors import WdtheoryError, did_you_mean
from wdtheory.core.hyperparams import as_hyper, show
from wdtheory.core.notation import ETA, GRAD, PARAM, SCHEDULE, STEP
from wdtheory.core.spec import Spec, parse_spec
from wdtheory.optim.builders import decay_mode, is_exactly_zero
from wdtheory.optim.definition import Definition
from wdtheory.optim.presets import OPTIMIZERS, get_optimizer
from wdtheory.optim.roles import ROLES
from wdtheory.optim.transforms import Chain, Program, chain

__all__ = ["Optimizer"]


@dataclass(frozen=True)
class Optimizer:
    r"""An optimizer with its hyperparameter values (numbers, user symbols, or canonical symbols
    for those left out) and switches; :attr:`chain` is its chain of transformations.

    ``follows_schedule``: the learning rate follows a scheduler's multiplier, every :math:`\eta`
    of the rule becoming :math:`\eta s_t` (see :meth:`scheduled`).
    """

    definition: Definition
    values: Mapping[str, sp.Expr]
    flags: Mapping[str, object]
    follows_schedule: bool = False
    chain: Chain = field(init=False, compare=False)

    def __post_init__(self) -> None:
        built = chain(self.definition.build(self._role_values, self.flags))
        if self.follows_schedule:
            built = built.substitute({ETA: ETA * SCHEDULE})
        object.__setattr__(self, "chain", built)

    @property
    def _role_values(self) -> dict[str, sp.Expr]:
        return {self.definition.params[key]: value for key, value in self.values.items()}

    @classmethod
    def from_spec(cls, spec: Spec | str) -> Optimizer:
        """An optimizer from spec text such as ``"torch.sgd(lr=0.1, momentum=mu)"``."""
        spec = parse_spec(spec) if isinstance(spec, str) else spec
        definition = get_optimizer(spec.name)
        _check_keys(definition, spec)
        given = spec.as_dict()
        flags = {
            name: _flag(spec.name, name, given.get(name, allowed[0]), allowed)
            for name, allowed in definition.flags.items()
        }
        # a name written in the spec that is one of the rule's own hyperparameter symbols *is*
        # that symbol: momentum=mu is the momentum symbol, dampening=mu ties dampening to it
        canonical = {
            sp.Symbol(ROLES[r].symbol.name, real=True): ROLES[r].symbol
            for r in definition.params.values()
        }
        values = {}
        for key, role_name in definition.params.items():
            role = ROLES[role_name]
            if key in given:
                values[key] = role.check(key, as_hyper(key, given[key]).xreplace(canonical))
            elif role_name == "dampening" and flags.get("nesterov"):
                values[key] = sp.S.Zero  # the only dampening Nesterov momentum allows
            else:
                values[key] = role.symbol
        optimizer = cls(definition, values, flags)
        _check_names(optimizer)
        return optimizer

    @property
    def decay_mode(self) -> str:
        """``none`` when there is no decay (or its strength is 0), else the chain's mode."""
        strength = self._role_values.get("weight_decay", sp.S.Zero)
        return "none" if is_exactly_zero(strength) else decay_mode(self.flags)

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def symbols(self) -> dict[sp.Symbol, sp.Expr]:
        """Canonical symbol → this optimizer's value, for every hyperparameter."""
        return {
            ROLES[role].symbol: self.values[key] for key, role in self.definition.params.items()
        }

    def program(self, first: bool = False) -> Program:
        """The assignments of one step of :attr:`chain` (``first``: of step 1), built once."""
        return self.chain.program(first)

    @cached_property
    def used_symbols(self) -> frozenset[sp.Symbol]:
        """Every symbol the rule depends on: in its assignments (general and first step) and in
        its states' initial values."""
        used = {
            s
            for first in (False, True)
            for a in self.program(first).assignments
            for s in a.value.free_symbols
        }
        used |= {s for slot in self.chain.states for s in sp.sympify(slot.init).free_symbols}
        return frozenset(used)

    @property
    def used_roles(self) -> set[str]:
        """The roles whose hyperparameter the rule depends on."""
        return {r for r in self.definition.params.values() if ROLES[r].symbol in self.used_symbols}

    @property
    def has_schedule(self) -> bool:
        """Whether the rule takes a schedule multiplier :math:`s_t` (its own or a scheduler's)."""
        return any(SCHEDULE in a.value.free_symbols for a in self.program().assignments)

    def scheduled(self) -> Optimizer:
        r"""The same optimizer run under a learning-rate scheduler, as a library's scheduler runs
        it: every :math:`\eta` of the rule becomes :math:`\eta s_t`. A rule that takes the
        multiplier already (``schedule=true``, or scheduled before) is returned as it is."""
        if self.follows_schedule or self.flags.get("schedule") is True:
            return self
        return dataclasses.replace(self, follows_schedule=True)

    def bind(self, values: Mapping[str, object]) -> Optimizer:
        """The same optimizer with symbolic hyperparameters given numbers (by spec key); the
        chain is rebuilt, so e.g. a momentum bound to 0 removes the momentum buffer."""
        params = self.definition.params
        bound = dict(self.values)
        for key, value in values.items():
            if key not in params:
                raise WdtheoryError(
                    f"{self.name} has no hyperparameter {key!r}{did_you_mean(key, params)}; "
                    f"allowed: {', '.join(params)}"
                )
            if self.values[key].is_number:
                raise WdtheoryError(
                    f"{self.name}: {key} is fixed to {show(self.values[key])} by the spec; "
                    "values= can only set symbolic hyperparameters"
                )
            bound[key] = ROLES[params[key]].check(key, value)
        return dataclasses.replace(self, values=bound)

    def with_defaults(self) -> Optimizer:
        """The same optimizer with every hyperparameter left out set to the library default."""
        values = dict(self.values)
        for key, role in self.definition.params.items():
            if values[key] == ROLES[role].symbol:
                default = self.definition.defaults.get(key)
                if default is None:
                    raise WdtheoryError(f"{self.name} has no default for {key}; give {key}=...")
                values[key] = sp.sympify(default)
        return dataclasses.replace(self, values=values)

    @property
    def given_values(self) -> dict[str, sp.Expr]:
        """The hyperparameters not left at their rule's own symbol (spec key -> value)."""
        return {
            k: v for k, v in self.values.items() if v != ROLES[self.definition.params[k]].symbol
        }

    @property
    def text(self) -> str:
        """The optimizer in spec notation: values given, and switches not at their default."""
        params = [f"{k}={show(v)}" for k, v in self.given_values.items()]
        params += [
            f"{k}={show(v) if isinstance(v, bool) else v}"
            for k, v in self.flags.items()
            if v != self.definition.flags[k][0]
        ]
        return f"{self.name}({', '.join(params)})" if params else self.name


def _check_keys(definition: Definition, spec: Spec) -> None:
    """Unknown keys are refused; a key another library uses for one of ours is pointed to it."""
    allowed = [*definition.params, *definition.flags]
    for key, _ in spec.params:
        if key in allowed:
            continue
        roles = {d.params[key] for d in OPTIMIZERS.values() if key in d.params}
        ours = [k for k, role in definition.params.items() if role in roles]
        hint = f" ({definition.name} calls it {ours[0]!r})" if ours else did_you_mean(key, allowed)
        raise WdtheoryError(
            f"unknown parameter {key!r} for {definition.name}{hint}; allowed: {', '.join(allowed)}"
        )


def _check_names(optimizer: Optimizer) -> None:
    """Refuse a user's symbol named like a variable of the rule or another hyperparameter."""
    taken = {
        PARAM.name: "the parameter",
        GRAD.name: "the gradient",
        STEP.name: "the step count",
        SCHEDULE.name: "the schedule multiplier",
    }
    taken |= {slot.symbol.name: "a state of the rule" for slot in optimizer.chain.states}
    taken |= {symbol.name: "a temporary of the rule" for symbol in optimizer.program().temporaries}
    for key, value in optimizer.values.items():
        others = {  # hyperparameters left out keep their canonical symbol in the rule
            ROLES[r].symbol.name: f"the {r} hyperparameter"
            for k, r in optimizer.definition.params.items()
            if k != key and optimizer.values[k] == ROLES[r].symbol
        }
        for symbol in value.free_symbols - set(
            ROLES[r].symbol for r in optimizer.definition.params.values()
        ):
            meaning = taken.get(symbol.name) or others.get(symbol.name)
            if meaning:
                raise WdtheoryError(
                    f"{key}={symbol.name}: the name {symbol.name!r} is {meaning} in "
                    f"{optimizer.name}'s rule; choose another name"
                )


def _flag(where: str, name: str, value: object, allowed: tuple[object, ...]) -> object:
    """A switch value from a spec: a boolean, or a name among ``allowed``."""
    if isinstance(value, sp.Symbol):
        value = value.name
    if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
        shown = ", ".join(show(a) if isinstance(a, bool) else str(a) for a in allowed)
        given = show(value) if isinstance(value, bool) else value
        hint = did_you_mean(value, [str(a) for a in allowed]) if isinstance(value, str) else ""
        raise WdtheoryError(f"{where}: {name}={given} is not allowed{hint}; allowed: {shown}")
    return value
