"""Answers as records: plain data (dicts, lists, strings, numbers) that ``json.dumps`` writes.

Every record names the schema and its version, the command, the optimizers it is about (each
with its spec as written back, its hyperparameters and switches, the library defaults it filled
in and its free symbols), the free symbols of the whole answer, the command's own typed fields
(the verdict, the first differing step, the exact difference, the maps, the counterexample, the
fixed point, the conversion...) and the derivation the text formats show. An expression is an
object with its plain ``text`` and its ``latex``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from wdtheory.analysis.audit import Audit, ridge_at_end
from wdtheory.analysis.compare import Comparison
from wdtheory.analysis.convert import Conversion
from wdtheory.analysis.fixed_points import FixedPoint
from wdtheory.claims.engine import Result
from wdtheory.core.derivation import Derivation
from wdtheory.core.hyperparams import show
from wdtheory.core.printing import for_display, to_latex, to_text
from wdtheory.optim.code import library_code
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.schedules import Schedule

__all__ = [
    "SCHEMA_NAME",
    "VERSION",
    "audit_answer",
    "comparison_answer",
    "conversion_answer",
    "derivation_answer",
    "fixed_point_answer",
    "verification_answer",
]

SCHEMA_NAME = "wdtheory.answer"
VERSION = 4

Record = dict[str, object]


def expression(expr: sp.Basic | None) -> Record | None:
    """An exact expression as its text and its LaTeX (None stays None)."""
    if expr is None:
        return None
    return {"text": to_text(expr), "latex": to_latex(expr)}


def _hyperparameter(value: sp.Expr) -> Record:
    """A hyperparameter's value as a user writes it (0.001, lam) and in LaTeX."""
    return {"text": show(value), "latex": to_latex(for_display(value))}


def _optimizer(role: str, optimizer: Optimizer) -> Record:
    return {
        "role": role,
        "spec": optimizer.spec_text,
        "name": optimizer.name,
        "symbolic": optimizer.symbolic,
        "decay_mode": optimizer.decay_mode,
        "hyperparameters": {k: _hyperparameter(v) for k, v in optimizer.values.items()},
        "switches": dict(optimizer.flags),
        "defaults_filled": {
            k: show(v) if isinstance(v, sp.Basic) else v
            for k, v in optimizer.filled_defaults.items()
        },
        "free_symbols": [s.name for s in optimizer.free_symbols],
    }


def _answer(
    command: str,
    optimizers: Sequence[tuple[str, Optimizer]],
    derivation: Derivation,
    **fields: object,
) -> Record:
    symbols = sorted({s for _, o in optimizers for s in o.free_symbols}, key=lambda s: s.name)
    return {
        "schema": SCHEMA_NAME,
        "version": VERSION,
        "command": command,
        "optimizers": [_optimizer(role, o) for role, o in optimizers],
        "free_symbols": [{"name": s.name, "latex": to_latex(s)} for s in symbols],
        **fields,
        "derivation": derivation.as_data(),
    }


def _schedule(schedule: Schedule | None) -> str | None:
    """The schedule an answer's optimizers ran under, as its spec text (None: none)."""
    return None if schedule is None else schedule.text


def derivation_answer(
    subject: str, derivation: Derivation, optimizer: Optimizer | None = None
) -> Record:
    """``derive``: the derivation of a problem (``subject`` its spec) or of an optimizer."""
    return _answer(
        "derive",
        [("subject", optimizer)] if optimizer is not None else [],
        derivation,
        kind="problem" if optimizer is None else "optimizer",
        subject=subject,
    )


def comparison_answer(
    comparison: Comparison, derivation: Derivation, schedule: Schedule | None = None
) -> Record:
    """``compare``: the verdict and its evidence, as typed fields (``schedule``: the one the
    optimizers ran under, if any)."""
    example = comparison.counterexample
    return _answer(
        "compare",
        [("A", comparison.a), ("B", comparison.b)],
        derivation,
        schedule=_schedule(schedule),
        verdict=str(comparison.verdict),
        first_difference=comparison.first_difference,
        difference=expression(comparison.difference),
        quadratic_difference=expression(comparison.quadratic_difference),
        hyper_map=[
            {"symbol": s.name, "value": expression(v)} for s, v in comparison.hyper_map.items()
        ],
        state_map=[
            {"state": s.name, "value": expression(v)} for s, v in comparison.state_map.items()
        ],
        mapped=comparison.mapped,
        counterexample=None
        if example is None
        else {
            "point": {s.name: show(v) for s, v in example.point.items()},
            "difference": expression(example.difference),
            "lowered": example.lowered,
            "confirmed": example.confirmed,
        },
        lowered_gap=comparison.lowered_gap,
        confirmed=comparison.confirmed,
        no_constant_value=[
            {
                "symbol": proof.symbol.name,
                "needed": [{"step": t, "value": expression(v)} for t, v in proof.needed.items()],
            }
            for proof in comparison.no_constant_value
        ],
        evidence=list(comparison.evidence),
    )


def fixed_point_answer(
    fixed: FixedPoint, derivation: Derivation, schedule: Schedule | None = None
) -> Record:
    """``fixed-point``: whether the optimizer stops at a ridge solution, and where."""
    return _answer(
        "fixed-point",
        [("subject", fixed.optimizer)],
        derivation,
        schedule=_schedule(schedule),
        decided=fixed.decided,
        ridge=fixed.is_ridge,
        ridge_strength=expression(fixed.ridge_strength),
        gradient_at_rest=expression(fixed.gradient),
        states=[{"state": s.name, "value": expression(v)} for s, v in fixed.states.items()],
        history=[{"state": s.name, "value": expression(v)} for s, v in fixed.history.items()],
        conditions=[expression(c) for c in fixed.conditions],
        summary=fixed.summary,
    )


def conversion_answer(
    conversion: Conversion, derivation: Derivation, schedule: Schedule | None = None
) -> Record:
    """``convert``: the equivalent optimizer (or the reason there is none) and every candidate."""
    optimizers = [("source", conversion.source)]
    if conversion.target is not None:
        optimizers.append(("target", conversion.target))
    return _answer(
        "convert",
        optimizers,
        derivation,
        schedule=_schedule(schedule),
        framework=conversion.framework,
        decided=conversion.decided,
        found=conversion.target is not None,
        construction=conversion.construction,
        code=conversion.code,
        reason=conversion.reason,
        near=[
            {
                "name": near.comparison.b.name,
                "first_difference": near.comparison.first_difference,
                "difference": expression(near.comparison.difference),
                "code": library_code(near.candidate),
            }
            for near in conversion.near
        ],
        candidates=[
            {"name": c.b.name, "verdict": str(c.verdict), "first_difference": c.first_difference}
            for c in conversion.comparisons
        ],
    )


def audit_answer(result: Audit) -> Record:
    """``audit``: each param group's decay over the recipe's run and the findings, typed."""
    recipe = result.recipe
    return _answer(
        "audit",
        [("group", g.group.optimizer) for g in result.groups],  # in the order of "groups"
        result.explain(),
        schedule=recipe.schedule.text,
        steps=recipe.steps,
        steps_per_epoch=recipe.steps_per_epoch,
        target=None
        if recipe.target is None
        else {
            "examples": recipe.target.scale.examples,
            "batch_size": recipe.target.scale.batch,
            "steps": recipe.target.scale.steps,
            "width": recipe.target.scale.width,
            "keep": recipe.target.keep,
            "lr_rule": recipe.target.lr_rule,
        },
        groups=[
            {
                "name": g.group.name,
                "vectors": g.group.vectors,
                "normalized": g.group.normalized,
                "mode": g.mode,
                "decay": None
                if g.decay is None
                else {
                    "factor": expression(g.decay.factor),
                    "shrink": g.decay.shrink,
                    "run_shrink": g.decay.run_shrink,
                    "multiplicative": g.decay.multiplicative,
                    "timescale_steps": g.decay.timescale,
                    "constant_lr_shrink": g.decay.constant_lr_shrink,
                },
                "ridge_strength": None if g.fixed is None else expression(g.fixed.ridge_strength),
                "ridge_run_gap": g.ridge_gap,
                "ridge_strength_at_end": None
                if g.fixed is None or (at_end := ridge_at_end(g.fixed, recipe)) is None
                else float(at_end),
                "rotation": None
                if g.rotation is None
                else {
                    "kind": g.rotation.kind,
                    "angle": expression(g.rotation.angle),
                    "peak_multiplier": g.rotation.peak,
                    "derived_angle": g.rotation.derived,
                    "measured_angle": g.rotation.measured,
                    "measured_steps": g.rotation.steps,
                    "relaxation_steps": g.rotation.relaxation,
                    "correlated_updates": g.rotation.correlated,
                    "measured_settled": g.rotation.settled,
                },
                "transfer": None
                if g.transfer is None
                else {
                    "formula": expression(g.transfer.formula),
                    "weight_decay": expression(g.transfer.value),
                },
                "conversions": [
                    {"framework": c.framework, "code": c.code, "reason": c.reason}
                    for c in g.conversions
                ],
            }
            for g in result.groups
        ],
        findings=[
            {"pitfall": str(f.pitfall), "group": f.group, "quantity": f.quantity, "value": f.value}
            for f in result.findings
        ],
    )


def verification_answer(results: Sequence[Result]) -> Record:
    """``verify``: every claim with the verdict derived in this run."""
    return {
        "schema": SCHEMA_NAME,
        "version": VERSION,
        "command": "verify",
        "agree": sum(r.agrees for r in results),
        "total": len(results),
        "claims": [
            {
                "id": r.claim.id,
                "statement": r.claim.statement,
                "source": r.claim.source,
                "expected": str(r.claim.expected),
                "verdict": str(r.evidence.verdict),
                "kind": r.evidence.kind,
                "evidence": r.evidence.details,
                "agrees": r.agrees,
                "seconds": r.seconds,
            }
            for r in results
        ],
    }
