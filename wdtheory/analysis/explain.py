"""Comparisons, fixed points and conversions written out as derivations (text, LaTeX, markdown, JSON).

The engines (:mod:`wdtheory.analysis.compare`, :mod:`wdtheory.analysis.fixed_points`, :mod:`wdtheory.analysis.convert`)
return data; this module only presents it, so that the command line, the reports and a notebook
show the same thing.
"""

from __future__ import annotations

from wdtheory.analysis.compare import Comparison, Verdict
from wdtheory.analysis.convert import Conversion, NearMiss
from wdtheory.analysis.fixed_points import FixedPoint
from wdtheory.core.derivation import Derivation, Notation, Section, Step
from wdtheory.core.hyperparams import show
from wdtheory.core.notation import PARAM
from wdtheory.core.printing import to_text
from wdtheory.optim.code import library_code
from wdtheory.optim.rules import assumptions

__all__ = ["explain_comparison", "explain_conversion", "explain_fixed_point"]

_VERDICTS = {
    Verdict.IDENTICAL: "identical: the one-step maps are equal, so the trajectories agree for every number "
    "of steps and every gradient sequence",
    Verdict.EQUIVALENT: "equivalent under a reparametrisation: with the map below the one-step maps are equal",
    Verdict.DIFFERENT: "different",
    Verdict.UNDECIDED: "undecided: no map found and no difference found within the steps tried",
}


def _map_steps(comparison: Comparison) -> list[Step]:
    mapped = comparison.mapped
    other = "A" if mapped == "B" else "B"
    steps = [
        Step(symbol, value, f"{mapped}'s hyperparameter, in terms of {other}'s")
        for symbol, value in comparison.hyper_map.items()
    ]
    steps += [
        Step(state, value, f"{mapped}'s state, in terms of {other}'s states and w")
        for state, value in comparison.state_map.items()
        if state.name.removesuffix(f"_{mapped}") != getattr(value, "name", None)
    ]
    return steps


def _difference_steps(comparison: Comparison) -> list[Step]:
    k = comparison.first_difference
    if k is None:
        return []
    steps = [
        Step(
            Notation(f"w_{k}(B) - w_{k}(A)", rf"w_{k}^B - w_{k}^A"),
            comparison.difference,
            f"step {k} is the first at which the parameters differ, for free gradients g_1, g_2, ... from w_0",
        ),
        Step(
            Notation("same, g = h(w - w_min)", r"\text{same, } g = h(w - w_{\min})"),
            comparison.quadratic_difference,
            "the gradients of the quadratic h/2 (w - w_min)^2 instead",
        ),
    ]
    example = comparison.counterexample
    if example is not None:
        values = ", ".join(f"{k} = {v}" for k, v in example.point.items())
        steps.append(
            Step(
                Notation("counterexample", r"\text{counterexample}"),
                example.difference,
                f"the exact difference at {values}",
            )
        )
    return steps


def explain_comparison(comparison: Comparison) -> Derivation:
    """A comparison as a derivation: verdict, map or first difference, and the evidence."""
    a, b = comparison.a, comparison.b
    said = _VERDICTS[comparison.verdict]
    if comparison.overrun is not None:
        said = f"undecided: {comparison.overrun.sentence}"
    verdict = Section("Verdict", (), intro=f"A = {a.text}, B = {b.text}: {said}.")
    sections = [verdict]
    details = _map_steps(comparison) + _difference_steps(comparison)
    if details:
        title = "Map" if comparison.verdict.same_algorithm else "First difference"
        sections.append(Section(title, tuple(details)))
    sections.append(assumptions([("A", a), ("B", b)]))
    sections.append(Section("Evidence", (), checks=comparison.evidence))
    return Derivation(f"compare {a.text} with {b.text}", tuple(sections))


def explain_fixed_point(fixed: FixedPoint) -> Derivation:
    """A fixed point as a derivation: the conditions, the states and the verdict."""
    optimizer = fixed.optimizer
    steps = [
        Step(
            Notation(f"condition {i}", rf"c_{i}"),
            c,
            "must vanish at a fixed point (after beta^t -> 0)",
        )
        for i, c in enumerate(fixed.conditions, start=1)
    ]
    steps += [
        Step(state, value, "state at the fixed point") for state, value in fixed.states.items()
    ]
    steps += [
        Step(
            state,
            state,
            f"a running maximum, left free: any value >= {bound} that the run reached holds itself "
            "at rest, so where the optimizer stops depends on its history",
        )
        for state, bound in fixed.history.items()
    ]
    if fixed.gradient is not None:
        steps.append(
            Step(
                Notation("g at rest", r"g^*"),
                fixed.gradient,
                "the gradient at a fixed point, per coordinate",
            )
        )
    if fixed.is_ridge:
        steps.append(
            Step(
                Notation("lambda_eff", r"\lambda_{\mathrm{eff}}"),
                fixed.ridge_strength,
                "g + lambda_eff w = 0: the fixed point solves ridge regression "
                "(H + lambda_eff I) w = c",
            )
        )
    section = Section(
        "Stationarity on least squares",
        tuple(steps),
        intro=f"{optimizer.text}: {fixed.summary}. Per coordinate, with g = Hw - c "
        f"the full-batch gradient of (1/2n)||Xw - y||^2 and {PARAM} the parameter.",
    )
    return Derivation(
        f"fixed points of {optimizer.text}", (section, assumptions([("", optimizer)]))
    )


def explain_conversion(conversion: Conversion) -> Derivation:
    """A conversion as a derivation: what to paste (or why there is nothing, in one line, and
    the candidates that differ only where ε enters), then the evidence for each candidate."""
    source, target, framework = conversion.source, conversion.target, conversion.framework
    code = f" Code: `{conversion.code}`." if conversion.code else ""
    if target is not None and conversion.construction:
        intro = (
            f"no {framework} preset is equivalent to {source.text}, but a standard construction "
            f"is: {target.definition.description}.{code}"
        )
    elif target is not None and target.spec_text is not None:
        intro = f"{source.text} is, in {framework}: {target.text}.{code}"
    elif target is not None:
        formulas = ", ".join(
            f"{key} = {show(value)}" for key, value in target.written_values.items()
        )
        intro = (
            f"{source.text} is, in {framework}: {target.name} with {formulas} "
            f"(formulas in {source.name}'s hyperparameters; a spec holds only numbers and names, "
            "so give numbers to write it as one)"
        )
    elif not conversion.decided:
        intro = (
            f"undecided whether any {framework} optimizer is equivalent to {source.text}: "
            f"{conversion.reason}. The evidence for each candidate compared so far follows."
        )
    else:
        intro = (
            f"no {framework} optimizer is equivalent to {source.text}: {conversion.reason}. "
            "The evidence for each candidate follows."
        )
    near = [_near_note(n) for n in conversion.near]
    sections = [
        Section("Conversion", (), intro=intro, notes=tuple(near)),
        assumptions([("source", source)]),
    ]
    for comparison in conversion.comparisons:
        explained = explain_comparison(comparison)
        sections += [
            Section(f"{comparison.b.name}: {s.title}", s.steps, s.intro, s.checks, s.notes)
            for s in explained.sections
            if s.title != "Defaults and free symbols"
        ]
    return Derivation(f"convert {source.text} to {framework}", tuple(sections))


def _near_note(near: NearMiss) -> str:
    """A candidate that is the source once ε is 0 in both: where they part, and its code."""
    comparison, code, k = (
        near.comparison,
        library_code(near.candidate),
        near.comparison.first_difference,
    )
    return (
        f"{comparison.b.name} differs from {comparison.a.text} only where ε enters (with ε = 0 "
        f"they are the same algorithm): w_{k}(B) - w_{k}(A) = {to_text(comparison.difference)}"
        + (f"; code: `{code}`" if code else "")
    )
