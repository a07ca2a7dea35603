"""The derivation of an optimizer's update rule: its chain, its step, its first step.

:func:`derive_optimizer` prints what :mod:`wdtheory.optim.transforms` derives for an
:class:`~wdtheory.optim.optimizer.Optimizer`: the chain of transformations (where the decay sits in
it is the decay mode), the per-coordinate assignments of one step with the optimizer's values
substituted, the first step where it differs (PyTorch's momentum buffer), and the
hyperparameters with their library defaults.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from wdtheory.core.derivation import Derivation, Notation, Section, Step
from wdtheory.core.hyperparams import show
from wdtheory.core.printing import for_display
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import ROLES
from wdtheory.optim.transforms import Program

__all__ = ["assumptions", "derive_optimizer"]

_SYMBOLIC = Notation("symbolic", r"\text{symbolic}")

_DECAY_NOTES = {
    "none": "no weight decay",
    "coupled": "coupled (L2 regularisation): the decay term is added to the gradient, before any "
    "momentum or preconditioning, so it is averaged and rescaled with it",
    "decoupled": "decoupled weight decay: the decay acts on the weights outside the momentum and "
    "preconditioning, multiplied by the learning rate",
    "independent": "independent weight decay (the paper's): the decay is multiplied by the schedule "
    "multiplier only, not by the base learning rate",
    "proximal": "proximal L1: after the step, each weight is soft-thresholded by learning rate × λ",
    "other": "none of the named placements by position: the decay sits between the chain's "
    "stateful transformations (the placement section compares it with each named one)",
}


def _program_steps(program: Program, values: dict[sp.Symbol, sp.Expr]) -> tuple[Step, ...]:
    return tuple(
        Step(assign.target, assign.value.xreplace(values), relation="<-")
        for assign in program.assignments
    )


def _hyperparameter_steps(optimizer: Optimizer) -> tuple[Step, ...]:
    steps = []
    filled = optimizer.filled_defaults
    for key, role_name in optimizer.definition.params.items():
        role, value = ROLES[role_name], optimizer.values[key]
        default = optimizer.definition.defaults.get(key)
        if value == role.symbol:
            shown = (
                "no default" if default is None else f"library default {show(sp.sympify(default))}"
            )
            steps.append(Step(role.symbol, _SYMBOLIC, f"{key}: {role.description}; {shown}"))
        else:
            note = f"{key}: {role.description}" + ("; library default" if key in filled else "")
            steps.append(Step(role.symbol, for_display(value), note))
    return tuple(steps)


def assumptions(optimizers: Sequence[tuple[str, Optimizer]]) -> Section:
    """What an answer about these (labelled) optimizers assumed and left open: for each, the
    library defaults it filled in, then every free symbol with the hyperparameters it stands
    for."""
    notes = []
    meanings: dict[sp.Symbol, list[str]] = {}
    for label, optimizer in optimizers:
        prefix = f"{label} = " if label else ""
        filled = ", ".join(
            f"{k}={v if isinstance(v, str) else show(v)}"
            for k, v in optimizer.filled_defaults.items()
        )
        notes.append(f"{prefix}{optimizer.text}: library defaults filled in: {filled or 'none'}")
        for symbol in optimizer.free_symbols:
            keys = [k for k, v in optimizer.values.items() if symbol in v.free_symbols]
            meanings.setdefault(symbol, []).extend(
                f"{k} of {label or optimizer.name}" for k in keys
            )
    free = [
        f"{s.name} ({', '.join(m)})" for s, m in sorted(meanings.items(), key=lambda i: i[0].name)
    ]
    notes.append(f"free symbols: {', '.join(free) or 'none'}")
    return Section("Defaults and free symbols", (), notes=tuple(notes))


def derive_optimizer(optimizer: Optimizer) -> Derivation:
    """The update rule of ``optimizer`` as a derivation (see the module doc)."""
    values = {symbol: for_display(value) for symbol, value in optimizer.symbols.items()}
    chain = optimizer.chain
    decay = optimizer.decay_mode
    chain_step = Step(
        Notation("chain", r"\text{chain}"),
        Notation(chain.label(values), chain.label(values, latex=True)),
        "applied in order to the gradient g; the parameter update is w ← w + (the result)",
    )
    sections = [
        Section(
            "Chain of transformations",
            (chain_step,),
            intro=f"{optimizer.definition.description}. Decay: {_DECAY_NOTES[decay]}."
            + (f" Source: {optimizer.definition.source}." if optimizer.definition.source else ""),
        ),
        Section(
            "Update rule (step t)",
            _program_steps(chain.program(first=False), values),
            intro="Per coordinate, in order; on the right, a state already assigned above means "
            "its new value. t counts steps from 1.",
        ),
    ]
    if chain.has_first_step_rule:
        sections.append(
            Section(
                "First step (t = 1)",
                _program_steps(chain.program(first=True), values),
                intro="The momentum buffer starts as the first update itself "
                "(no dampening), as torch.optim.SGD does.",
            )
        )
    sections.append(Section("Hyperparameters", _hyperparameter_steps(optimizer)))
    sections.append(assumptions([("", optimizer)]))
    return Derivation(f"{optimizer.text}: {optimizer.definition.description}", tuple(sections))
