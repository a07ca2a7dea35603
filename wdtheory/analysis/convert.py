"""Converting an optimizer spec to another framework: what to paste, or why there is nothing.

:func:`convert` tries each preset of the target framework that could play the same part, then
its standard constructions (an ``optax.chain`` with ``add_decayed_weights``, a Keras optimizer
with an L2 regularizer: :data:`~wdtheory.optim.presets.CONSTRUCTIONS`): a candidate's
hyperparameters in the roles :mod:`wdtheory.analysis.compare` can map (learning rate, weight
decay, ε) are left free, every other one takes the source's value for the same role, and
switches with the same name are copied. :func:`wdtheory.analysis.compare.compare` then proves the
candidate identical or equivalent (with the values it solved for), or shows the exact first
difference. The first candidate proved equivalent wins, with its library code
(:func:`~wdtheory.optim.code.library_code`). If none is, the answer says why in one line, and
names the candidates that differ only where ε enters — proved by comparing again with ε = 0 in
both — with their exact difference and their code.

With a time budget (``convert(..., budget=seconds)``, shared by all the comparisons, see
:mod:`wdtheory.analysis.budget`) that runs out first, the conversion is undecided: no target,
``overrun`` says which candidate was still being compared and how, and ``reason`` is that one
line — not a "none".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sympy as sp

from wdtheory.analysis.budget import OutOfTime, Overrun, searching, within
from wdtheory.analysis.compare import Comparison, compare
from wdtheory.analysis.display import Shown
from wdtheory.analysis.maps import unprimed
from wdtheory.core.derivation import Derivation
from wdtheory.core.errors import check_choice
from wdtheory.optim.code import library_code
from wdtheory.optim.definition import Definition
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.presets import CONSTRUCTIONS, OPTIMIZERS
from wdtheory.optim.roles import MAPPABLE_ROLES, ROLES

__all__ = ["FRAMEWORKS", "Conversion", "NearMiss", "convert"]

FRAMEWORKS = ("torch", "keras", "optax", "paper")


@dataclass(frozen=True)
class NearMiss:
    """A candidate that is the source once ε is 0 in both: ``candidate`` completed (its values
    solved for, its ε the source's), and the ``comparison`` of the source with it that shows
    where they part."""

    candidate: Optimizer
    comparison: Comparison


@dataclass(frozen=True)
class Conversion(Shown):
    """The result of :func:`convert`: ``target`` is the equivalent optimizer (None if there is
    none, or if the time budget ran out first: then ``overrun`` says what was still being
    searched), ``comparisons`` the evidence for every candidate tried, and ``near`` the candidates
    that differ from the source only where ε enters."""

    source: Optimizer
    framework: str
    target: Optimizer | None
    comparisons: tuple[Comparison, ...]
    near: tuple[NearMiss, ...] = ()
    overrun: Overrun | None = None

    @property
    def decided(self) -> bool:
        """Whether the conversion answers (found, or none): False when the budget ran out."""
        return self.overrun is None

    def __repr__(self) -> str:
        found = "none" if self.target is None else (self.code or self.target.text)
        if not self.decided:
            found = "undecided"
        return f"Conversion({self.source.text} to {self.framework}: {found})"

    def explain(self) -> Derivation:
        from wdtheory.analysis.explain import explain_conversion

        return explain_conversion(self)

    @property
    def code(self) -> str | None:
        """The target as library code to paste (None without a target or code)."""
        return None if self.target is None else library_code(self.target)

    @property
    def construction(self) -> bool:
        """Whether the target is a standard construction rather than a preset."""
        return self.target is not None and self.target.name not in OPTIMIZERS

    @property
    def reason(self) -> str | None:
        """Why no candidate is equivalent, in one line (None when one is): where each first
        differs, and the hyperparameters no constant value of which would make it agree; when
        the time budget ran out, the overrun's sentence ("could not decide within ...")."""
        if self.target is not None:
            return None
        if self.overrun is not None:
            return self.overrun.sentence
        if not self.comparisons:
            lacking = (
                f"{d.name} has no {' or '.join(_lacking(self.source, d))}"
                for n, d in OPTIMIZERS.items()
                if n.startswith(f"{self.framework}.")
            )
            return (
                f"no {self.framework} optimizer has a hyperparameter for each one "
                f"{self.source.text} uses: {'; '.join(lacking)}"
            )
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


def _candidate(source: Optimizer, definition: Definition) -> Optimizer | None:
    """``definition`` with the source's values in the same roles and free mappable ones."""
    if _lacking(source, definition):
        return None
    by_role = source.role_values
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


def _lacking(source: Optimizer, definition: Definition) -> list[str]:
    """The roles the source's rule uses (beyond the mappable ones) that ``definition`` has no
    hyperparameter for: then it cannot play the same part."""
    settings = {r for r in source.used_roles if ROLES[r].setting}  # a loss scale maps onto others
    return sorted(
        source.used_roles - set(MAPPABLE_ROLES) - settings - set(definition.params.values())
    )


def _with_solution(candidate: Optimizer, comparison: Comparison) -> Optimizer:
    """The candidate with the hyperparameter values the comparison solved for."""
    solved = {unprimed(k): v for k, v in comparison.hyper_map.items()}
    values = {key: solved.get(value, value) for key, value in candidate.values.items()}
    return dataclasses.replace(candidate, values=values)


def convert(
    source: Optimizer, framework: str, *, budget: float | None = None, near: bool = True
) -> Conversion:
    """The equivalent optimizer in ``framework`` (see the module doc); ``budget``: at most this
    many seconds for all the comparisons (None: no limit), else undecided; ``near=False``
    skips the search for candidates that differ only where ε enters when there is no
    equivalent (about half the time of a conversion that finds none; an audit does not show
    them)."""
    framework = check_choice("framework", framework, FRAMEWORKS)
    comparisons: list[Comparison] = []
    try:
        with within(budget):
            return _convert(source, framework, comparisons, near)
    except OutOfTime as out:
        return Conversion(source, framework, None, tuple(comparisons), overrun=out.overrun)


def _convert(
    source: Optimizer, framework: str, comparisons: list[Comparison], near_misses: bool
) -> Conversion:
    """:func:`convert`, adding each comparison to ``comparisons`` as it is made; raises
    :class:`~wdtheory.analysis.budget.OutOfTime` when a comparison ran out of time."""
    definitions = [d for n, d in OPTIMIZERS.items() if n.startswith(f"{framework}.")]
    constructions = CONSTRUCTIONS.get(framework, ()) if _decays(source) else ()
    for definition in (*definitions, *constructions):
        candidate = _candidate(source, definition)
        if candidate is None:
            continue
        if source.follows_schedule:  # run by a scheduler: the candidate by the same one
            candidate = candidate.scheduled()
        with searching(f"comparing with {candidate.name}"):
            comparison = compare(source, candidate)
        comparisons.append(comparison)
        _undecided_if_out_of_time(comparison)
        if comparison.verdict.same_algorithm and comparison.mapped == "B":
            target = _with_solution(candidate, comparison)
            return Conversion(source, framework, target, tuple(comparisons))
    near = []
    for comparison in comparisons if near_misses else ():
        with searching(f"checking whether {comparison.b.name} differs only where ε enters"):
            near.append(_near_miss(comparison))
    found = tuple(n for n in near if n is not None)
    return Conversion(source, framework, None, tuple(comparisons), found)


def _undecided_if_out_of_time(comparison: Comparison) -> None:
    """Raise the comparison's overrun again: its budget is the conversion's."""
    if comparison.overrun is not None:
        raise OutOfTime(comparison.overrun)


def _decays(optimizer: Optimizer) -> bool:
    """Whether the optimizer has a weight decay that is not exactly 0 (the standard
    constructions add one: without it they are the plain presets)."""
    return any(
        optimizer.values[key] != 0
        for key, role in optimizer.definition.params.items()
        if role == "weight_decay"
    )


def _near_miss(comparison: Comparison) -> NearMiss | None:
    """The candidate, completed, when it and the source are the same algorithm once ε is 0 in
    both (a proof by :func:`compare`): then they differ only in where ε enters. Completed: its
    free hyperparameters take the values that comparison solved for (``1000*wd`` for the
    paper's decay in a library's terms), any left free the source's value in the same role, and
    its ε the source's; the comparison is then redone with the completed candidate."""
    if comparison.verdict.same_algorithm or comparison.first_difference is None:
        return None
    source, candidate = comparison.a, comparison.b
    without = [_without_epsilon(o) for o in (source, candidate)]
    if None in without:
        return None
    again = compare(*without)  # type: ignore[arg-type]
    _undecided_if_out_of_time(again)
    if not again.verdict.same_algorithm or again.mapped != "B":  # values for the candidate only
        return None
    solved = _with_solution(candidate, again)
    by_role = source.role_values
    values = {
        key: by_role.get(role, solved.values[key])
        if role == "eps" or (role in MAPPABLE_ROLES and solved.values[key] == candidate.values[key])
        else solved.values[key]
        for key, role in candidate.definition.params.items()
    }
    completed = dataclasses.replace(candidate, values=values)
    final = compare(source, completed)
    _undecided_if_out_of_time(final)
    return NearMiss(completed, final)


def _without_epsilon(optimizer: Optimizer) -> Optimizer | None:
    keys = [k for k, role in optimizer.definition.params.items() if role == "eps"]
    if not keys:
        return None
    return dataclasses.replace(optimizer, values={**optimizer.values, keys[0]: sp.S.Zero})
