"""Converting an optimizer spec to another framework: the equivalent spec, or why there is none.

:func:`convert` tries each preset of the target framework that could play the same part: its
hyperparameters in the roles :mod:`wdtheory.analysis.compare` can map (learning rate, weight decay, ε)
are left free, every other one takes the source's value for the same role, and switches with the
same name are copied. :func:`wdtheory.analysis.compare.compare` then proves the candidate identical or
equivalent (with the values it solved for), or shows the exact first difference. The first
candidate that is equivalent wins; if none is, the answer says why for each.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sympy as sp

from wdtheory.analysis.compare import Comparison, compare
from wdtheory.analysis.maps import unprimed
from wdtheory.core.errors import WdtheoryError, check_choice
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.presets import OPTIMIZERS
from wdtheory.optim.roles import MAPPABLE_ROLES, ROLES

__all__ = ["FRAMEWORKS", "Conversion", "convert"]

FRAMEWORKS = ("torch", "keras", "optax", "paper")


@dataclass(frozen=True)
class Conversion:
    """The result of :func:`convert`: ``target`` is the equivalent optimizer (None if there is
    none) and ``comparisons`` the evidence for every candidate tried."""

    source: Optimizer
    framework: str
    target: Optimizer | None
    comparisons: tuple[Comparison, ...]

    @property
    def reason(self) -> str | None:
        """Why no candidate is equivalent, in one line (None when one is): where each first
        differs, and the hyperparameters no constant value of which would make it agree."""
        if self.target is not None:
            return None
        reasons = []
        for comparison in self.comparisons:
            step = comparison.first_difference
            why = f"{comparison.b.name} " + (
                f"differs from step {step}" if step else "is not proved equivalent"
            )
            varying = [unprimed(p.symbol).name for p in comparison.no_constant_value]
            if varying:
                why += f", and no constant {' or '.join(varying)} makes it agree"
            reasons.append(why)
        return "; ".join(reasons)


def _candidate(source: Optimizer, name: str) -> Optimizer | None:
    """The preset ``name`` with the source's values in the same roles and free mappable ones."""
    definition = OPTIMIZERS[name]
    by_role = {source.definition.params[k]: v for k, v in source.values.items()}
    if not set(definition.params.values()) >= source.used_roles - set(MAPPABLE_ROLES):
        return None  # the source's rule uses a hyperparameter this preset does not have
    text = []
    for key, role in definition.params.items():
        if role in MAPPABLE_ROLES:
            continue
        if role in by_role:
            text.append((key, by_role[role]))
        elif (
            definition.defaults.get(key) is not None
        ):  # a role the source lacks: its neutral default
            text.append((key, sp.sympify(definition.defaults[key])))
    values = {key: ROLES[role].symbol for key, role in definition.params.items()}
    values.update(dict(text))
    flags = {name: source.flags.get(name, allowed[0]) for name, allowed in definition.flags.items()}
    flags = {
        k: (v if v in definition.flags[k] else definition.flags[k][0]) for k, v in flags.items()
    }
    return Optimizer(definition, values, flags, symbolic=source.symbolic)


def _with_solution(candidate: Optimizer, comparison: Comparison) -> Optimizer:
    """The candidate with the hyperparameter values the comparison solved for."""
    solved = {unprimed(k): v for k, v in comparison.hyper_map.items()}
    values = {key: solved.get(value, value) for key, value in candidate.values.items()}
    return dataclasses.replace(candidate, values=values)


def convert(source: Optimizer, framework: str) -> Conversion:
    """The equivalent optimizer in ``framework`` (see the module doc)."""
    framework = check_choice("framework", framework, FRAMEWORKS)
    comparisons = []
    for name in OPTIMIZERS:
        if not name.startswith(f"{framework}."):
            continue
        candidate = _candidate(source, name)
        if candidate is None:
            continue
        comparison = compare(source, candidate)
        comparisons.append(comparison)
        if comparison.verdict.same_algorithm:
            return Conversion(
                source, framework, _with_solution(candidate, comparison), tuple(comparisons)
            )
    if not comparisons:
        raise WdtheoryError(f"no {framework} preset has the hyperparameters of {source.text}")
    return Conversion(source, framework, None, tuple(comparisons))
