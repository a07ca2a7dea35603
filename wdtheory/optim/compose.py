r"""Your own optimizer: public transformations composed by :func:`chain`, as optax composes them.

Every named optimizer here is a chain of the transformations of
:mod:`wdtheory.optim.transforms`; this module makes them public. A :class:`Piece` is one
transformation with its hyperparameters; :func:`chain` composes pieces into an
:class:`~wdtheory.optim.optimizer.Optimizer` that every command accepts (derive, compare,
fixed-point, convert, audit, :class:`~wdtheory.runtime.stepper.Stepper`, the torch and optax
adapters)::

    wd.chain(wd.add_decayed_weights(1e-4), wd.trace(decay=0.9), wd.scale_by_learning_rate(0.1))

and the spec language writes the same (``chain(add_decayed_weights(weight_decay=1e-4), ...)``,
or optax code as it is written: ``optax.chain(optax.add_decayed_weights(1e-4),
optax.adam(1e-3))`` — a named optimizer inside a chain stands for its own pieces).

The pieces, with the library function each reproduces (names and parameters follow optax where
optax has the transformation; the others are named for what they are):

=========================  ===============================================================
``add_decayed_weights``    optax ``add_decayed_weights``: :math:`u \leftarrow u + \lambda w`
``trace``                  optax ``trace``: :math:`b \leftarrow \mu b + u` from :math:`b = 0`
                           (Nesterov: :math:`u + \mu b`)
``scale_by_adam``          optax ``scale_by_adam`` (``amsgrad=True``: PyTorch's AMSGrad, the
                           maximum of the raw :math:`v`; ``epsilon_hat=True``: Keras' ε)
``scale_by_lion``          optax ``scale_by_lion``
``scale_by_learning_rate`` optax ``scale_by_learning_rate``: :math:`u \leftarrow -\eta u`
                           (``schedule=True``: :math:`-\eta s_t u`)
``decayed_learning_rate``  PyTorch Adagrad's :math:`-\eta / (1 + (t-1)\,\text{lr\_decay})`
``momentum``               heavy ball with dampening, PyTorch's first step (``start="copy"``:
                           :math:`b_1 = u`, ``torch.optim.SGD``) or from 0 (``start="zero"``)
``torch_rms``              ``torch.optim.RMSprop``'s normalisation (ε outside the root)
``torch_adagrad``          ``torch.optim.Adagrad``'s normalisation
``scale_loss``             the gradient of the loss times :math:`\kappa` (first in a chain)
``add_l1_subgradient``     :math:`u \leftarrow u + \lambda\,\mathrm{sign}(w)`
``independent_decay``      the AdamW paper's decay, after the step: :math:`-\lambda w`
                           (``schedule=True``: :math:`-s_t\lambda w`)
``decay_by_learning_rate`` Keras' decay after the step: :math:`-\eta\lambda w`
``proximal_l1``            soft-thresholding by :math:`\eta\lambda` after the step
=========================  ===============================================================

A chain is checked when it is built, each refusal one line naming the position: exactly one
``scale_by_learning_rate``; a transformation of the gradient (``add_decayed_weights``,
``add_l1_subgradient``, a preconditioner) before it, one of the weight after the step
(``independent_decay``, ``decay_by_learning_rate``, ``proximal_l1``) after it, ``scale_loss``
first, and each hyperparameter role once (two momenta would share one :math:`\mu`).

:func:`placement` says where the decay sits: before every stateful piece (``coupled``, L2),
after all of them and scaled by the learning rate (``decoupled``), after them and not scaled
(``independent``), or between them (``other``). :func:`pieces_of` gives any optimizer's pieces,
so that every named optimizer is a public chain.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import product
from typing import TYPE_CHECKING

import sympy as sp

from wdtheory.core.errors import WdtheoryError, did_you_mean
from wdtheory.core.hyperparams import as_hyper, show
from wdtheory.core.notation import (
    ALPHA,
    BETA_1,
    BETA_2,
    EPSILON,
    EPSILON_ROOT,
    ETA,
    G_0,
    KAPPA,
    LAMBDA,
    LR_DECAY,
    MU,
    SCHEDULE,
    STEP,
    TAU,
)
from wdtheory.core.spec import CHAINS, Reference, Spec, format_item
from wdtheory.optim.builders import is_exactly_zero
from wdtheory.optim.definition import Definition
from wdtheory.optim.roles import ROLES
from wdtheory.optim.transforms import (
    AddDecayedWeights,
    AddSignOfWeights,
    ProximalL1,
    Scale,
    ScaleByAdagrad,
    ScaleByAdam,
    ScaleByLion,
    ScaleByRms,
    Trace,
    Transform,
)

if TYPE_CHECKING:  # the optimizer module imports this one
    from wdtheory.optim.optimizer import Optimizer

__all__ = [
    "PIECES",
    "Piece",
    "PieceKind",
    "Stage",
    "chain_definition",
    "chain_definition_from_spec",
    "pieces_of",
    "placement",
]

#: where a piece may sit: on the gradient (before the learning rate), as a state, the learning
#: rate itself, or on the weight after the step
Stage = str
GRADIENT, STATE, LEARNING_RATE, WEIGHT = "gradient", "state", "learning rate", "weight"

Values = Mapping[str, sp.Expr]  # role -> value
Options = Mapping[str, object]


def _lr(options: Options) -> sp.Expr:
    r""":math:`\eta`, or :math:`\eta s_t` with ``schedule=True``."""
    return ETA * (SCHEDULE if options["schedule"] else 1)


def _nonzero(values: Values, role: str, symbol: sp.Expr) -> sp.Expr:
    """``symbol`` unless the role's value is exactly 0 (then 0: the term vanishes from the
    rule, as the named optimizers build it)."""
    return sp.S.Zero if is_exactly_zero(values.get(role, sp.S.Zero)) else symbol


def _decayed_learning_rate(values: Values, options: Options) -> Transform:
    """PyTorch Adagrad's step size (the plain one when ``lr_decay`` is 0)."""
    lr = _lr(options)
    if not is_exactly_zero(values.get("lr_decay", sp.S.Zero)):
        lr = lr / (1 + (STEP - 1) * LR_DECAY)
    return Scale(-lr, "scale_by_learning_rate")


@dataclass(frozen=True)
class PieceKind:
    """One public transformation: its ``params`` (key → role, in the order of its signature),
    their ``defaults`` (``None``: none), its ``options`` (switch → allowed values, the default
    first), its ``stage`` and ``make``, which builds the internal transformation from the role
    values (whether a value is exactly 0 decides whether its term exists) and the options."""

    name: str
    params: Mapping[str, str]
    defaults: Mapping[str, object | None]
    stage: Stage
    make: Callable[[Values, Options], Transform]
    source: str
    options: Mapping[str, tuple[object, ...]] = field(default_factory=dict)


PIECES: dict[str, PieceKind] = {
    kind.name: kind
    for kind in (
        PieceKind(
            "add_decayed_weights",
            {"weight_decay": "weight_decay"},
            {"weight_decay": 0},
            GRADIENT,
            lambda v, o: AddDecayedWeights(LAMBDA),
            "optax.add_decayed_weights",
        ),
        PieceKind(
            "trace",
            {"decay": "momentum"},
            {"decay": None},
            STATE,
            lambda v, o: Trace(MU, sp.S.Zero, bool(o["nesterov"]), copy_first=False),
            "optax.trace",
            {"nesterov": (False, True)},
        ),
        PieceKind(
            "scale_by_adam",
            {"b1": "beta1", "b2": "beta2", "eps": "eps", "eps_root": "eps_root"},
            {"b1": 0.9, "b2": 0.999, "eps": 1e-8, "eps_root": 0},
            STATE,
            lambda v, o: ScaleByAdam(
                BETA_1,
                BETA_2,
                EPSILON,
                _nonzero(v, "eps_root", EPSILON_ROOT),
                bool(o["amsgrad"]),
                bool(o["epsilon_hat"]),
            ),
            "optax.scale_by_adam; amsgrad: torch.optim.Adam(amsgrad=True); epsilon_hat: "
            "keras.optimizers.Adam",
            {"amsgrad": (False, True), "epsilon_hat": (False, True)},
        ),
        PieceKind(
            "scale_by_lion",
            {"b1": "beta1", "b2": "beta2"},
            {"b1": 0.9, "b2": 0.99},
            STATE,
            lambda v, o: ScaleByLion(BETA_1, BETA_2),
            "optax.scale_by_lion",
        ),
        PieceKind(
            "scale_by_learning_rate",
            {"learning_rate": "lr"},
            {"learning_rate": None},
            LEARNING_RATE,
            lambda v, o: Scale(-_lr(o), "scale_by_learning_rate"),
            "optax.scale_by_learning_rate",
            {"schedule": (False, True)},
        ),
        PieceKind(
            "decayed_learning_rate",
            {"learning_rate": "lr", "lr_decay": "lr_decay"},
            {"learning_rate": None, "lr_decay": 0},
            LEARNING_RATE,
            _decayed_learning_rate,
            "torch.optim.Adagrad's step size lr / (1 + (t - 1) lr_decay)",
            {"schedule": (False, True)},
        ),
        PieceKind(
            "momentum",
            {"momentum": "momentum", "dampening": "dampening"},
            {"momentum": None, "dampening": 0},
            STATE,
            lambda v, o: Trace(
                MU,
                _nonzero(v, "dampening", TAU),
                bool(o["nesterov"]),
                copy_first=o["start"] == "copy",
            ),
            "torch.optim.SGD's momentum buffer (start=zero: from 0)",
            {"nesterov": (False, True), "start": ("copy", "zero")},
        ),
        PieceKind(
            "torch_rms",
            {"alpha": "alpha", "eps": "eps"},
            {"alpha": 0.99, "eps": 1e-8},
            STATE,
            lambda v, o: ScaleByRms(ALPHA, EPSILON, bool(o["centered"])),
            "torch.optim.RMSprop",
            {"centered": (False, True)},
        ),
        PieceKind(
            "torch_adagrad",
            {"eps": "eps", "initial_accumulator_value": "initial_accumulator_value"},
            {"eps": 1e-10, "initial_accumulator_value": 0},
            STATE,
            lambda v, o: ScaleByAdagrad(EPSILON, _nonzero(v, "initial_accumulator_value", G_0)),
            "torch.optim.Adagrad",
        ),
        PieceKind(
            "scale_loss",
            {"loss_scale": "loss_scale"},
            {"loss_scale": 1},
            GRADIENT,
            lambda v, o: Scale(KAPPA, "scale_loss"),
            "the gradient of the loss multiplied by kappa",
        ),
        PieceKind(
            "add_l1_subgradient",
            {"weight_decay": "weight_decay"},
            {"weight_decay": None},
            GRADIENT,
            lambda v, o: AddSignOfWeights(LAMBDA),
            "the subgradient of lambda*|w|_1",
        ),
        PieceKind(
            "independent_decay",
            {"weight_decay": "weight_decay"},
            {"weight_decay": None},
            WEIGHT,
            lambda v, o: AddDecayedWeights(-(SCHEDULE if o["schedule"] else 1) * LAMBDA),
            "Loshchilov & Hutter, Algorithm 2, line 12 (eta_t = s_t with schedule=true)",
            {"schedule": (False, True)},
        ),
        PieceKind(
            "decay_by_learning_rate",
            {"weight_decay": "weight_decay"},
            {"weight_decay": None},
            WEIGHT,
            lambda v, o: AddDecayedWeights(-_lr(o) * LAMBDA),
            "keras.optimizers.Optimizer._apply_weight_decay",
            {"schedule": (False, True)},
        ),
        PieceKind(
            "proximal_l1",
            {"weight_decay": "weight_decay"},
            {"weight_decay": None},
            WEIGHT,
            lambda v, o: ProximalL1(_lr(o) * LAMBDA),
            "soft-thresholding, the proximal step of eta*lambda*|w|_1",
            {"schedule": (False, True)},
        ),
    )
}


@dataclass(frozen=True)
class Piece:
    """One transformation of a chain: its kind's name, the hyperparameters given (key → exact
    value or symbol) and its options."""

    kind: str
    values: tuple[tuple[str, sp.Expr], ...] = ()
    options: tuple[tuple[str, object], ...] = ()

    @property
    def definition(self) -> PieceKind:
        return PIECES[self.kind]

    @property
    def option_values(self) -> dict[str, object]:
        """Every option, the default where not given."""
        given = dict(self.options)
        return {
            name: given.get(name, allowed[0]) for name, allowed in self.definition.options.items()
        }

    @property
    def signature(self) -> str:
        """The kind with the options that differ from their defaults: what makes its rule."""
        shown = [
            f"{k}={_shown_option(v)}"
            for k, v in self.option_values.items()
            if v != self.definition.options[k][0]
        ]
        return f"{self.kind}({', '.join(shown)})" if shown else self.kind


def _shown_option(value: object) -> str:
    return show(value) if isinstance(value, bool) else str(value)


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")


def _is_name(text: str) -> bool:
    """A name a spec can write back: an identifier that is not a Python keyword."""
    return _NAME.fullmatch(text) is not None and not keyword.iskeyword(text)


def make_piece(kind: str, where: str, **arguments: object) -> Piece:
    """A :class:`Piece` of ``kind`` from Python arguments (numbers, SymPy expressions, or a
    name for a symbol; ``None`` leaves a hyperparameter out), checked: each refusal is one line
    naming ``where`` and the argument."""
    definition = PIECES[kind]
    at = f"{where}: " if where else ""
    values, options = [], []
    for key, value in arguments.items():
        if key in definition.options:
            allowed = definition.options[key]
            if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
                shown = ", ".join(_shown_option(a) for a in allowed)
                raise WdtheoryError(f"{at}{kind}({key}={value!r}) is not allowed; allowed: {shown}")
            if value != allowed[0]:
                options.append((key, value))
        elif key in definition.params:
            if value is None:
                continue
            if isinstance(value, str):
                if not _is_name(value):
                    raise WdtheoryError(
                        f"{at}{kind}({key}={value!r}): a name is a letter then letters, "
                        "digits or _ (at most 32), not a Python keyword"
                    )
                value = sp.Symbol(value, real=True)
            try:
                exact = ROLES[definition.params[key]].check(key, value)
            except WdtheoryError as error:
                raise WdtheoryError(f"{at}{kind}: {error}") from None
            values.append((key, exact))
        else:
            allowed = [*definition.params, *definition.options]
            raise WdtheoryError(
                f"{at}{kind} has no parameter {key!r}{did_you_mean(key, allowed)}; "
                f"allowed: {', '.join(allowed)}"
            )
    return Piece(kind, tuple(values), tuple(options))


def _position(index: int, piece: Piece) -> str:
    return f"position {index} ({piece.kind})"


def check_order(pieces: tuple[Piece, ...]) -> None:
    """Refuse, in one line naming the position, a chain that is no optimizer step (see the
    module doc)."""
    if not pieces:
        raise WdtheoryError(
            "an empty chain: give its transformations, e.g. chain(trace(decay=0.9), "
            "scale_by_learning_rate(learning_rate=0.1))"
        )
    for index, piece in enumerate(pieces, 1):
        if not isinstance(piece, Piece):
            raise WdtheoryError(
                f"position {index}: {piece!r:.60} is not a transformation; allowed: "
                f"{', '.join(PIECES)}"
            )
    rates = [i for i, p in enumerate(pieces, 1) if p.definition.stage == LEARNING_RATE]
    if not rates:
        raise WdtheoryError(
            "the chain has no scale_by_learning_rate: its update would climb the gradient; add "
            "scale_by_learning_rate(learning_rate=...)"
        )
    if len(rates) > 1:
        raise WdtheoryError(
            f"position {rates[1]} (scale_by_learning_rate): a second learning rate (the first is "
            f"at position {rates[0]}); give one"
        )
    (rate,) = rates
    for index, piece in enumerate(pieces, 1):
        where = _position(index, piece)
        stage = piece.definition.stage
        if piece.kind == "scale_loss" and index != 1:
            raise WdtheoryError(f"{where}: scale_loss scales the loss's gradient; put it first")
        if stage == GRADIENT and index > rate:
            raise WdtheoryError(
                f"{where} after scale_by_learning_rate (position {rate}) would add to the step "
                f"what it means to add to the gradient (+lambda*w grows the weights); put it "
                "before, or use independent_decay or decay_by_learning_rate there"
            )
        if stage == WEIGHT and index < rate:
            raise WdtheoryError(
                f"{where} acts on the weight after the step; put it after scale_by_learning_rate "
                f"(position {rate}), or use add_decayed_weights before it"
            )
        if stage == STATE and index > rate and piece.kind not in ("trace", "momentum"):
            raise WdtheoryError(
                f"{where} after scale_by_learning_rate (position {rate}) would normalise the "
                "learning rate away; put it before"
            )
    roles: dict[str, int] = {}
    for index, piece in enumerate(pieces, 1):
        for key, role in piece.definition.params.items():
            if role in roles:
                raise WdtheoryError(
                    f"{_position(index, piece)}: its {key} is the {ROLES[role].description} of "
                    f"position {roles[role]} too; a chain has one of each (one symbol each)"
                )
            roles[role] = index


def placement(pieces: tuple[Piece, ...]) -> str:
    """Where the decay sits (see the module doc): ``none``, ``coupled``, ``decoupled``,
    ``independent``, ``proximal`` or ``other``."""
    decays = [
        i
        for i, p in enumerate(pieces)
        if p.kind
        in (
            "add_decayed_weights",
            "add_l1_subgradient",
            "independent_decay",
            "decay_by_learning_rate",
            "proximal_l1",
        )
    ]
    if not decays:
        return "none"
    (decay,) = decays  # one weight_decay role per chain
    kind = pieces[decay].kind
    if kind == "proximal_l1":
        return "proximal"
    states = [i for i, p in enumerate(pieces) if p.definition.stage == STATE]
    on_gradient = kind in ("add_decayed_weights", "add_l1_subgradient")
    if on_gradient and all(decay < s for s in states):
        return "coupled"
    if not all(decay > s for s in states):
        return "other"
    if on_gradient:
        return "decoupled"
    # after the step: the named forms follow the step's schedule (and its plain learning rate)
    (rate,) = [p for p in pieces if p.definition.stage == LEARNING_RATE]
    if pieces[decay].option_values["schedule"] != rate.option_values["schedule"]:
        return "other"
    if kind == "independent_decay":
        return "independent"
    return "decoupled" if rate.kind == "scale_by_learning_rate" else "other"


def _roles(pieces: tuple[Piece, ...]) -> dict[str, str]:
    return {key: role for p in pieces for key, role in p.definition.params.items()}


def chain_definition(pieces: tuple[Piece, ...]) -> Definition:
    """The :class:`~wdtheory.optim.definition.Definition` of a user's chain: its name is the
    chain's structure (the pieces with their options), its keys the pieces' parameters, its one
    switch the decay's placement."""
    check_order(pieces)
    name = f"chain({', '.join(p.signature for p in pieces)})"
    defaults = {
        k: None if v is None else as_hyper(k, v)  # exact: 0.9 is 9/10
        for p in pieces
        for k, v in p.definition.defaults.items()
    }

    def build(values: Values, flags: Mapping[str, object]) -> list[Transform]:
        return [p.definition.make(values, p.option_values) for p in pieces]

    def spell(written: Mapping[str, str]) -> str:
        calls = []
        for piece in pieces:
            arguments = [f"{k}={written[k]}" for k in piece.definition.params if k in written]
            arguments += [
                f"{k}={_shown_option(v)}"
                for k, v in piece.option_values.items()
                if v != piece.definition.options[k][0]
            ]
            calls.append(f"{piece.kind}({', '.join(arguments)})")
        return f"chain({', '.join(calls)})"

    return Definition(
        name=name,
        description="a chain of public transformations",
        params=_roles(pieces),
        defaults=defaults,
        flags={"placement": (placement(pieces),)},
        build=build,
        source=" -> ".join(p.definition.source for p in pieces),
        spell=spell,
    )


def given_values(pieces: tuple[Piece, ...]) -> dict[str, sp.Expr]:
    """The hyperparameters the pieces give, by key."""
    return {key: value for piece in pieces for key, value in piece.values}


def chain_definition_from_spec(spec: Spec) -> tuple[Definition, dict[str, sp.Expr]]:
    """A chain written in the spec language (``chain(trace(decay=mu), ...)`` or optax code,
    pieces prefixed ``optax.`` or named optimizers among them), its definition and the values
    its pieces give."""
    if spec.params:
        key = spec.params[0][0]
        raise WdtheoryError(f"{spec.name} takes transformations only, not {key}=...")
    pieces: list[Piece] = []
    for index, item in enumerate(spec.args, 1):
        if not isinstance(item, Spec):
            raise WdtheoryError(
                f"position {index}: {format_item(item)} is not a transformation; allowed: "
                f"{', '.join(PIECES)} or a named optimizer"
            )
        if item.name in CHAINS:
            raise WdtheoryError(f"position {index}: a chain inside a chain; write its pieces")
        pieces.extend(_pieces_from_spec(item, index, spec.symbolic))
    try:
        definition = chain_definition(tuple(pieces))
    except WdtheoryError as error:
        if len(pieces) == len(spec.args):
            raise
        # a named optimizer stood for several pieces: the positions count those
        shown = ", ".join(p.kind for p in pieces)
        raise WdtheoryError(f"{error} (the chain's pieces: {shown})") from None
    return definition, given_values(tuple(pieces))


def _pieces_from_spec(spec: Spec, index: int, symbolic: bool) -> list[Piece]:
    name = spec.name.removeprefix("optax.").removeprefix("wd.")
    where = f"position {index}"
    if name in PIECES:
        kind = PIECES[name]
        signature = [*kind.params, *kind.options]
        if len(spec.args) > len(signature):
            raise WdtheoryError(f"{where}: {name} takes at most {len(signature)} positional values")
        arguments: dict[str, object] = dict(zip(signature, spec.args, strict=False))
        for key, item in spec.params:
            if key in arguments:
                raise WdtheoryError(f"{where}: {name} got two values for {key!r}")
            arguments[key] = item
        for key, item in arguments.items():
            if isinstance(item, Reference | tuple):
                raise WdtheoryError(f"{where}: {name}({key}={format_item(item)}) is not a value")
            if isinstance(item, sp.Symbol) and key in kind.options:
                arguments[key] = item.name  # a switch written as a name: start=zero
        return [make_piece(name, where, **arguments)]
    from wdtheory.optim.optimizer import Optimizer  # a named optimizer inside a chain

    try:
        named = Optimizer.from_spec(spec, symbolic=symbolic)
    except WdtheoryError as error:
        if not str(error).startswith("unknown optimizer"):
            raise WdtheoryError(f"{where}: {error}") from None
        raise WdtheoryError(
            f"{where}: unknown transformation {spec.name!r}{did_you_mean(name, list(PIECES))}; "
            f"allowed: {', '.join(PIECES)}, or a named optimizer (e.g. optax.adam(1e-3))"
        ) from None
    return list(pieces_of(named))


def pieces_of(optimizer: Optimizer) -> tuple[Piece, ...]:
    """The public pieces of any optimizer's chain, with its values: each transformation is
    matched to the piece kind and options whose ``make`` builds exactly it."""
    by_role = optimizer.role_values
    return tuple(_match(transform, by_role) for transform in optimizer.chain.transforms)


def _match(transform: Transform, by_role: Values) -> Piece:
    for kind in PIECES.values():
        names = list(kind.options)
        for choice in product(*(kind.options[n] for n in names)):
            options = dict(zip(names, choice, strict=True))
            if kind.make(by_role, options) == transform:
                # a role the optimizer lacks was built as 0 (see _nonzero): say so; a value
                # that is the role's own symbol is left out (it cannot always be written:
                # lambda is a Python keyword), see as_chain
                given = tuple(
                    (key, by_role.get(role, sp.S.Zero))
                    for key, role in kind.params.items()
                    if by_role.get(role) != ROLES[role].symbol
                )
                changed = tuple((n, v) for n, v in options.items() if v != kind.options[n][0])
                return Piece(kind.name, given, changed)
    raise WdtheoryError(f"no public transformation builds {transform.label()}")
