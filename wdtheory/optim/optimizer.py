r"""An optimizer: a preset or generic name with its hyperparameter values and switches.

:class:`Optimizer` ties a :class:`~wdtheory.optim.definition.Definition` (from
:mod:`wdtheory.optim.presets`) to values — exact numbers or symbols — and builds its
:class:`~wdtheory.optim.transforms.Chain`.

**What a spec means.** A spec means what the library's constructor means
(:mod:`wdtheory.optim.constructor` reads it): a hyperparameter left out takes the library's
default, exactly as in the library; one the library has no default for (optax's learning rate,
the paper's α and λ) stays its canonical symbol from :mod:`wdtheory.core.notation`. A symbol is
asked for by writing a name (``momentum=mu``; a name that is one of the rule's own symbols is
that symbol), or for every left-out hyperparameter at once with ``symbolic(...)`` around the
spec (``symbolic=True`` in Python, ``--symbolic`` on the command line). The generic optimizers
(``sgd``, ``adamw``...) read their left-out values the same way, with PyTorch's defaults.

:meth:`Optimizer.from_spec` refuses, in one line, unknown keys (pointing to the name this library
uses for a known role), values out of their role's range, switches out of their choices and
symbol names that would collide with the rule's own variables. :attr:`Optimizer.text` writes the
optimizer back as a spec that means it, hiding nothing; :attr:`Optimizer.free_symbols` and
:attr:`Optimizer.filled_defaults` say what an answer about it leaves open and what it assumed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from wdtheory.core.errors import WdtheoryError, did_you_mean
from wdtheory.core.hyperparams import as_hyper, show
from wdtheory.core.notation import CURVATURE, ETA, GRAD, MINIMUM, PARAM, SCHEDULE, START, STEP
from wdtheory.core.spec import Spec, parse_spec
from wdtheory.optim.builders import decay_mode, is_exactly_zero
from wdtheory.optim.compose import Piece, chain_definition, given_values
from wdtheory.optim.constructor import Call, read
from wdtheory.optim.definition import Definition
from wdtheory.optim.roles import ROLES
from wdtheory.optim.transforms import Chain, Program, chain

__all__ = ["Optimizer"]


@dataclass(frozen=True)
class Optimizer:
    r"""An optimizer with its hyperparameter values (numbers, user symbols, or canonical symbols
    for those left out) and switches; :attr:`chain` is its chain of transformations.

    ``follows_schedule``: the learning rate follows a scheduler's multiplier, every :math:`\eta`
    of the rule becoming :math:`\eta s_t` (see :meth:`scheduled`); ``symbolic``: a left-out
    hyperparameter is its symbol, not the library's default; ``given``: the keys the spec gave.
    """

    definition: Definition
    values: Mapping[str, sp.Expr]
    flags: Mapping[str, object]
    follows_schedule: bool = False
    symbolic: bool = False
    given: frozenset[str] = frozenset()
    chain: Chain = field(init=False, compare=False)

    def __post_init__(self) -> None:
        built = chain(self.definition.build(self.role_values, self.flags))
        if self.follows_schedule:
            built = built.substitute({ETA: ETA * SCHEDULE})
        object.__setattr__(self, "chain", built)

    @property
    def role_values(self) -> dict[str, sp.Expr]:
        """Each hyperparameter's value by its role (``lr``, ``weight_decay``...), whatever the
        spec calls it."""
        return {self.definition.params[key]: value for key, value in self.values.items()}

    @classmethod
    def from_spec(cls, spec: Spec | str, *, symbolic: bool = False) -> Optimizer:
        """An optimizer from spec text such as ``"torch.sgd(lr=0.1, momentum=mu)"`` or code such
        as ``"torch.optim.SGD(model.parameters(), lr=0.1)"``; ``symbolic``: every left-out
        hyperparameter is its symbol (as ``symbolic(...)`` around the spec)."""
        return cls._from_call(read(spec if isinstance(spec, Spec) else parse_spec(spec)), symbolic)

    @classmethod
    def from_pieces(cls, pieces: Iterable[Piece], *, symbolic: bool = False) -> Optimizer:
        """A user's chain of public transformations (:mod:`wdtheory.optim.compose`), checked;
        ``symbolic``: every hyperparameter the pieces leave out is its symbol."""
        pieces = tuple(pieces)
        return cls._from_call(Call(chain_definition(pieces), given_values(pieces), False), symbolic)

    @classmethod
    def _from_call(cls, call: Call, symbolic: bool) -> Optimizer:
        """An optimizer from a read constructor call (see :meth:`from_spec`)."""
        definition, given = call.definition, call.given
        flags = {
            name: _flag(definition.name, name, given.get(name, allowed[0]), allowed)
            for name, allowed in definition.flags.items()
        }
        # a name written in the spec that is one of the rule's own hyperparameter symbols *is*
        # that symbol: momentum=mu is the momentum symbol, dampening=mu ties dampening to it
        canonical = {
            sp.Symbol(ROLES[r].symbol.name, real=True): ROLES[r].symbol
            for r in definition.params.values()
        }
        symbolic = symbolic or call.symbolic
        values = {}
        for key, role_name in definition.params.items():
            if key in given:
                value = as_hyper(key, given[key]).xreplace(canonical)
                values[key] = ROLES[role_name].check(key, value)
            else:
                values[key] = _left_out(definition, key, flags, symbolic)
        optimizer = cls(definition, values, flags, symbolic=symbolic, given=frozenset(given))
        _check_names(optimizer)
        # a value tied to a hyperparameter the spec gives a number takes it: in
        # torch.sgd(momentum=0.9, dampening=mu) the dampening is 0.9; a tie to one the spec left
        # at the library's default is refused (momentum=tau would silently be 0)
        params, numbers = definition.params, {}
        for key, role in params.items():
            value = values[key]
            if not value.free_symbols and key in given:
                numbers[ROLES[role].symbol] = value
            elif not value.free_symbols and ROLES[role].symbol in _tied_symbols(values, key):
                tied = [
                    k for k in given if k in params and ROLES[role].symbol in values[k].free_symbols
                ]
                raise WdtheoryError(
                    f"{definition.name}: {tied[0]}={show(values[tied[0]])} names the symbol of "
                    f"{key}, which the spec leaves at the library's {show(value)}; give {key}=... "
                    "or choose another name for a free symbol"
                )
        return optimizer._substituted(numbers)

    @property
    def decay_mode(self) -> str:
        """``none`` when there is no decay (or its strength is 0), else the chain's mode."""
        strength = self.role_values.get("weight_decay", sp.S.Zero)
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

    @property
    def schedules_itself(self) -> bool:
        """Whether the rule takes the multiplier :math:`s_t` of its own (``schedule=true``, a
        chain's piece with ``schedule=True``), not from a scheduler."""
        return not self.follows_schedule and self.has_schedule

    def scheduled(self) -> Optimizer:
        r"""The same optimizer run under a learning-rate scheduler, as a library's scheduler runs
        it: every :math:`\eta` of the rule becomes :math:`\eta s_t`. A rule that takes the
        multiplier already (``schedule=true``, or scheduled before) is returned as it is."""
        if self.follows_schedule or self.schedules_itself:
            return self
        return dataclasses.replace(self, follows_schedule=True)

    def bind(self, values: Mapping[str, object]) -> Optimizer:
        """The same optimizer with symbolic hyperparameters given numbers (by spec key); the
        chain is rebuilt, so e.g. a momentum bound to 0 removes the momentum buffer. A number
        given for a symbol goes wherever the spec wrote that symbol (``dampening=mu`` follows
        the momentum); a key tied to another one's symbol is refused."""
        params = self.definition.params
        given: dict[sp.Symbol, sp.Expr] = {}  # a symbol of the spec -> its number
        direct: dict[str, sp.Expr] = {}
        self.check_keys(values)
        for key, value in values.items():
            if self.values[key].is_number:
                raise WdtheoryError(
                    f"{self.name}: {key} is fixed to {show(self.values[key])} by the spec; "
                    "values= can only set symbolic hyperparameters"
                )
            current = self.values[key]
            ties = [
                k for k, r in params.items() if k != key and ROLES[r].symbol in current.free_symbols
            ]
            if ties:
                raise WdtheoryError(
                    f"{self.name}: {key} is tied to {' and '.join(ties)} by the spec "
                    f"({key}={show(current)}); give a value for {' and '.join(ties)} only"
                )
            number = ROLES[params[key]].check(key, value)
            if not isinstance(current, sp.Symbol):  # a formula of the user's symbols
                direct[key] = number
            elif given.setdefault(current, number) != number:
                raise WdtheoryError(
                    f"{self.name}: {show(current)} stands for several hyperparameters in the "
                    f"spec; give it one value"
                )
        bound = self._substituted(given)
        return dataclasses.replace(bound, values={**bound.values, **direct})

    def check_keys(self, keys: Iterable[str]) -> None:
        """Refuse, in one line naming the close one, a key that is none of this optimizer's
        hyperparameters (``values=`` of a stepper, a torch param group's keys)."""
        params = self.definition.params
        for key in keys:
            if key not in params:
                raise WdtheoryError(
                    f"{self.name} has no hyperparameter {key!r}{did_you_mean(key, params)}; "
                    f"allowed: {', '.join(params)}"
                )

    def unbind(self, keys: Iterable[str]) -> Optimizer:
        """The same optimizer with the hyperparameters of ``keys`` back at their symbols (the
        chain keeps every part those hyperparameters switch on): a rule whose numbers are
        given later, each step, as a torch param group's are."""
        params = self.definition.params
        symbols = {key: ROLES[params[key]].symbol for key in keys}
        return dataclasses.replace(self, values={**self.values, **symbols})

    def _substituted(self, given: Mapping[sp.Symbol, sp.Expr]) -> Optimizer:
        """Every hyperparameter with the symbols of ``given`` replaced, so that values tied in
        the spec (``dampening=mu``) follow the symbol they are tied to; each value is checked
        against its role again (a tied value must suit both roles)."""
        values = {
            key: ROLES[role].check(key, self.values[key].xreplace(given))
            for key, role in self.definition.params.items()
        }
        return dataclasses.replace(self, values=values)

    def with_defaults(self) -> Optimizer:
        """The same optimizer with every hyperparameter still at its symbol set to the library
        default (an error names one the library has no default for)."""
        defaults: dict[sp.Symbol, sp.Expr] = {}
        for key, role in self.definition.params.items():
            if self.values[key] == ROLES[role].symbol:
                default = self.definition.defaults.get(key)
                if default is None:
                    raise WdtheoryError(f"{self.name} has no default for {key}; give {key}=...")
                defaults[ROLES[role].symbol] = sp.sympify(default)
        return dataclasses.replace(self._substituted(defaults), symbolic=False)

    @property
    def filled_defaults(self) -> dict[str, object]:
        """The library defaults an answer assumed: every key not given (hyperparameters and
        switches) whose value is the library's default."""
        filled: dict[str, object] = {
            key: value
            for key, value in self.values.items()
            if key not in self.given
            and self.definition.defaults.get(key) is not None
            and value == sp.sympify(self.definition.defaults[key])
        }
        filled |= {
            key: value
            for key, value in self.flags.items()
            if key not in self.given and len(self.definition.flags[key]) > 1
        }
        return filled

    @property
    def free_symbols(self) -> list[sp.Symbol]:
        """The symbols the rule depends on through this optimizer's values, sorted by name: the
        user's and the canonical ones left out."""
        used = self.used_roles
        symbols = {
            s
            for key, value in self.values.items()
            if self.definition.params[key] in used
            for s in value.free_symbols
        }
        return sorted(symbols, key=lambda s: s.name)

    @property
    def written_values(self) -> dict[str, sp.Expr]:
        """The hyperparameters a spec of this optimizer writes: those it was given and those
        whose value differs from what leaving them out gives (spec key -> value)."""
        return {
            k: v
            for k, v in self.values.items()
            if k in self.given or v != _left_out(self.definition, k, self.flags, self.symbolic)
        }

    @property
    def text(self) -> str:
        """The optimizer as a spec that means it: what it was given, and everything that differs
        from what leaving it out gives (hyperparameters and switches), so nothing is hidden; in
        ``symbolic(...)`` when left-out values are symbols."""
        params = [f"{k}={show(v)}" for k, v in self.written_values.items()]
        params += [
            f"{k}={show(v) if isinstance(v, bool) else v}"
            for k, v in self.flags.items()
            if k in self.given or v != self.definition.flags[k][0]
        ]
        if self.definition.spell is not None:
            call = self.definition.spell({k: show(v) for k, v in self.written_values.items()})
        else:
            call = f"{self.name}({', '.join(params)})" if params else self.name
        return f"symbolic({call})" if self.symbolic else call

    @property
    def spec_text(self) -> str | None:
        """:attr:`text` when it is a spec that parses back to this very optimizer; None when it
        is not (a value that is a formula such as ``eta*lambda``, a standard construction)."""
        try:
            parsed = Optimizer.from_spec(self.text)
        except WdtheoryError:
            return None
        return self.text if (parsed.values, parsed.flags) == (self.values, self.flags) else None


def _left_out(
    definition: Definition, key: str, flags: Mapping[str, object], symbolic: bool
) -> sp.Expr:
    """The value a hyperparameter left out of a spec takes: the library's default, or its
    symbol when ``symbolic`` (unless it is a setting of the problem, as the loss scale) or the
    library has none; Nesterov momentum's dampening is 0."""
    role = definition.params[key]
    default = definition.defaults.get(key)
    if role == "dampening" and flags.get("nesterov"):
        return sp.S.Zero  # the only dampening Nesterov momentum allows
    if (symbolic and not ROLES[role].setting) or default is None:
        return ROLES[role].symbol
    return sp.sympify(default)


#: names the comparisons give their own symbols: the k-th gradient, schedule value and map
#: unknown (``g_3``, ``s_2``, ``k_0_1``) and the previous step's schedule value
_ENGINE_NAMES = re.compile(r"(g|s|k)_\d+(_\d+)?|s_prev")


def _check_names(optimizer: Optimizer) -> None:
    """Refuse a user's symbol named like a variable of the rule or of the comparisons, or like
    another hyperparameter."""
    taken = {
        PARAM.name: "the parameter",
        GRAD.name: "the gradient",
        STEP.name: "the step count",
        SCHEDULE.name: "the schedule multiplier",
        START.name: "the starting parameter of the comparisons",
        CURVATURE.name: "the curvature of the comparisons' quadratic h/2 (w - w_min)^2",
        MINIMUM.name: "the minimum of the comparisons' quadratic h/2 (w - w_min)^2",
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
            if _ENGINE_NAMES.fullmatch(symbol.name):
                meaning = "a symbol of the comparisons (a gradient, schedule value or unknown)"
            if meaning:
                raise WdtheoryError(
                    f"{key}={symbol.name}: the name {symbol.name!r} is {meaning} in "
                    f"{optimizer.name}'s rule; choose another name"
                )


def _tied_symbols(values: Mapping[str, sp.Expr], key: str) -> set[sp.Symbol]:
    """The symbols the other hyperparameters' values are written in."""
    return {
        symbol for other, value in values.items() if other != key for symbol in value.free_symbols
    }


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
