r"""Questions asked under a learning-rate schedule: the rule as a scheduler runs it.

A library's scheduler multiplies the learning rate by :math:`s_t` at step :math:`t`; every
:math:`\eta` of the rule becomes :math:`\eta s_t`
(:meth:`~wdtheory.optim.optimizer.Optimizer.scheduled`). A decay multiplied by the learning rate
(torch's, optax's, Keras') follows the schedule; the paper's independent decay does not; a
momentum that holds lr-scaled steps (Keras' SGD) is then another rule than one that scales its
buffer (torch's). ``compare``, ``fixed-point`` and ``convert`` take a schedule
(``--schedule "cosine(steps=1000, floor=0.1)"`` on the command line) and answer for the rules as
the scheduler runs them. The engines keep :math:`s_t` free at every step, so a verdict holds for
every schedule that varies; where a rest point depends on :math:`s_t`, the answer adds its
value where the schedule settles.
"""

from __future__ import annotations

import dataclasses

import sympy as sp

from wdtheory.analysis.fixed_points import FixedPoint
from wdtheory.core.derivation import Derivation, Section
from wdtheory.core.hyperparams import show
from wdtheory.core.notation import SCHEDULE
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.schedules import Schedule

__all__ = ["explained_under", "under"]


def under(optimizer: Optimizer, schedule: Schedule | None) -> Optimizer:
    r"""``optimizer`` as a scheduler of ``schedule`` runs it: every :math:`\eta` becomes
    :math:`\eta s_t`; a constant multiplier :math:`c` multiplies the learning rate by it (and
    only it: a decay that is not multiplied by the learning rate stays). Unchanged without a
    schedule, under a constant 1, and for a rule that takes its own :math:`s_t`."""
    if schedule is None or optimizer.schedules_itself:
        return optimizer
    if schedule.varies:
        return optimizer.scheduled()
    if schedule.expr == 1:
        return optimizer
    keys = [k for k, r in optimizer.definition.params.items() if r == "lr"]
    scaled = {k: optimizer.values[k] * schedule.expr for k in keys}
    return dataclasses.replace(optimizer, values={**optimizer.values, **scaled})


def explained_under(
    derivation: Derivation, schedule: Schedule | None, fixed: FixedPoint | None = None
) -> Derivation:
    """``derivation`` with a section saying that its optimizers ran under ``schedule`` (and, for
    a rest point whose :math:`\\lambda_{\\mathrm{eff}}` depends on :math:`s_t`, its value where
    the schedule settles); unchanged without a schedule."""
    if schedule is None:
        return derivation
    notes = [
        f"every eta of the rules is eta*s_t, s_t the multiplier of {schedule.text}"
        if schedule.varies
        else f"{schedule.text} does not vary: every eta of the rules is eta*{show(schedule.expr)} "
        "(in their learning rates above; a rule with its own s_t keeps it)"
    ]
    strength = None if fixed is None else fixed.ridge_strength
    if strength is not None and SCHEDULE in strength.free_symbols:
        notes.append("lambda_eff depends on s_t; " + _where_it_settles(strength, schedule.final))
    section = Section("Under a learning-rate schedule", (), notes=tuple(notes))
    sections = (*derivation.sections[:1], section, *derivation.sections[1:])
    return dataclasses.replace(derivation, sections=sections)


def _where_it_settles(strength: sp.Expr, final: sp.Expr | None) -> str:
    r""":math:`\lambda_{\mathrm{eff}}` where the schedule settles, in words."""
    if final is None:
        return "the schedule never settles"
    value = sp.simplify(strength.xreplace({SCHEDULE: final}))
    if final == 0 or not value.is_finite:
        return (
            f"the schedule settles at s = {float(final):.6g}: the steps stop there, and "
            "lambda_eff has no finite value"
        )
    return f"where the schedule settles (s = {float(final):.6g}): lambda_eff = {sp.sstr(value)}"
