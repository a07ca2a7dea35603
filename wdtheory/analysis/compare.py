r"""Comparing two optimizers: identical, equivalent under a reparametrisation, or different.

Per coordinate each optimizer is a map :math:`(w, s) \mapsto F(w, g, s, t)` (see
:mod:`wdtheory.optim.dynamics`). :func:`compare` decides, in this order:

**identical** — with the hyperparameters as given and the states matched by name, the one-step
maps (and the first-step maps) are equal as symbolic functions: SymPy proves each difference is 0.
By induction the trajectories agree for every number of steps and every gradient sequence.

**equivalent** — a map makes them identical: B's states as linear functions of A's states and
of :math:`w` (:math:`s_B = C s_A + d\,w`, e.g. Keras' velocity is :math:`-\eta` times PyTorch's
buffer) and, if needed, B's learning rate and weight decay as functions of A's hyperparameters.
The unknowns are found by solving the conditions

.. math:: F_B^w(w, g, \phi(s_A, w)) = F_A^w(w, g, s_A), \qquad
          F_B^s(w, g, \phi(s_A, w)) = \phi(F_A^s(\dots), F_A^w(\dots)), \qquad \phi(s_A^0, w) = s_B^0

at exact random rational points (each point gives equations that any map must satisfy), then
proved for all points symbolically. The equations are solved by elimination, following at most
:data:`~wdtheory.analysis.maps.MAX_BRANCHES` solution branches, so "no map found" is the outcome of that search; where
the value B's hyperparameter would need differs between two points with different step counts,
**no constant value exists** — a proof, since the sampled equations are necessary conditions.

**different** — otherwise: the trajectories are unrolled from the initial states, for free
gradients :math:`g_1, g_2, \dots` and for the gradients of a quadratic; the first step at which
:math:`w_k` differs is reported with the exact (simplified) difference, and a counterexample in
rational numbers, confirmed by running both lowered optimizers there.

**undecided** — no map was found and no counterexample within :data:`MAX_STEPS` steps: the
engine claims neither. Also when a time budget (``compare(..., budget=seconds)``, see
:mod:`wdtheory.analysis.budget`) runs out first: then ``Comparison.overrun`` says what was still
being searched, and the evidence gathered so far is kept.

An identity or a map is confirmed numerically too: both lowered optimizers (B with the mapped
hyperparameters) run :data:`CONFIRM_STEPS` steps from one random rational point
(``Comparison.lowered_gap``).

When exactly one of the two has a schedule multiplier :math:`s_t` (the paper's presets), the
other's learning rate is taken to follow the same schedule (:math:`\eta \to \eta s_t`), which is
how a library user runs it with a scheduler.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice

import numpy as np
import sympy as sp

from wdtheory.analysis.budget import OutOfTime, Overrun, searching, shielded, within
from wdtheory.analysis.display import Shown
from wdtheory.analysis.exact import (
    counterexample_point,
    is_zero,
    random_value,
    readable,
    tidy,
)
from wdtheory.analysis.maps import (
    forced_values,
    free_hyperparameters,
    identity_map,
    primed,
    solve_maps,
    step_conditions,
)
from wdtheory.core.derivation import Derivation
from wdtheory.core.notation import GRAD, START
from wdtheory.core.roundoff import roundoff_text
from wdtheory.optim.dynamics import Dynamics, free_gradients, quadratic_gradients, schedule_at
from wdtheory.optim.optimizer import Optimizer
from wdtheory.runtime.stepper import Stepper

__all__ = [
    "Comparison",
    "Counterexample",
    "NoConstantValue",
    "Overrun",
    "Verdict",
    "compare",
    "forget_comparisons",
]

#: how far trajectories are unrolled to find the first difference
MAX_STEPS = 4
#: how many steps both lowered optimizers run to confirm an identity or a map
CONFIRM_STEPS = 6


class Verdict(StrEnum):
    """What :func:`compare` decides (printed as its value)."""

    IDENTICAL = "identical"
    EQUIVALENT = "equivalent"
    DIFFERENT = "different"
    UNDECIDED = "undecided"

    @property
    def same_algorithm(self) -> bool:
        """Identical, or equivalent under a reparametrisation."""
        return self in (Verdict.IDENTICAL, Verdict.EQUIVALENT)


@dataclass(frozen=True)
class Counterexample:
    """Rational values of every symbol (``point``) at which the parameters first differ: the
    exact ``difference`` there, the difference ``lowered`` that running both lowered optimizers
    (NumPy, float64) from those values gives, and the larger of the two parameters they reach
    (``scale``: float64 resolves differences down to about 1e-16 of it)."""

    point: dict[sp.Symbol, sp.Expr]
    difference: sp.Expr
    lowered: float
    scale: float

    @property
    def confirmed(self) -> bool:
        """Whether the lowered code reproduces the exact difference: to 1e-6 of it, and with the
        difference well above float64's resolution of the parameters (1e-14 of ``scale``), so
        that a lowered difference of 0 cannot confirm a tiny exact one."""
        exact = float(self.difference)
        resolution = 1e-14 * self.scale
        return abs(exact) > 10 * resolution and abs(self.lowered - exact) <= (
            1e-6 * abs(exact) + resolution
        )


@dataclass(frozen=True)
class NoConstantValue:
    """A proof that no constant value of B's hyperparameter ``symbol`` (primed) makes the two
    parameter updates agree, with the states matched by name and everything else equal: the
    exact value it would need at two points that differ in the step count (``needed``: step
    count -> value), which differ."""

    symbol: sp.Symbol
    needed: dict[int, sp.Expr]

    @property
    def sentence(self) -> str:
        """The proof in one sentence (values rounded for display to the fewest digits, at least
        6, that tell them apart)."""
        (t1, first), (t2, second) = self.needed.items()
        digits = next((d for d in range(6, 31) if str(sp.N(first, d)) != str(sp.N(second, d))), 30)
        return (
            f"with the states matched by name and everything else equal, {self.symbol.name} would "
            f"have to be {sp.N(first, digits)} at one exact point with t = {t1} and "
            f"{sp.N(second, digits)} at another with t = {t2} (exact algebraic values, shown "
            "rounded): no constant value works"
        )


@dataclass(frozen=True)
class Comparison(Shown):
    """The verdict of :func:`compare` with its evidence, as data.

    ``hyper_map``: B's hyperparameters (primed symbols) in terms of A's; ``state_map``: B's
    states in terms of A's states and :math:`w` — or, when ``mapped`` is ``"A"`` (only A's free
    hyperparameters can make them agree: A leaves its learning rate symbolic, B gives a number),
    A's in terms of B's, A's states suffixed ``_A``; ``first_difference``: the first step at which
    the parameters differ (free gradients), with the exact ``difference`` :math:`w_k^B - w_k^A`,
    ``quadratic_difference`` the same for the gradients of :math:`\\frac h2(w - w_{\\min})^2`;
    ``counterexample``: where it is not 0, confirmed by running both; ``no_constant_value``:
    proofs that no constant value of one of B's hyperparameters would make them agree;
    ``lowered_gap``: for an identity or a map, the largest relative gap between the parameters
    of both lowered optimizers run from one random rational point (:func:`_confirm`);
    ``overrun``: when the time budget ran out before a verdict (then undecided), what was still
    being searched; ``evidence``: the same findings in sentences, for display.
    """

    a: Optimizer
    b: Optimizer
    verdict: Verdict
    hyper_map: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    state_map: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    mapped: str = "B"
    first_difference: int | None = None
    difference: sp.Expr | None = None
    quadratic_difference: sp.Expr | None = None
    counterexample: Counterexample | None = None
    no_constant_value: tuple[NoConstantValue, ...] = ()
    lowered_gap: float | None = None
    overrun: Overrun | None = None
    evidence: tuple[str, ...] = ()

    @property
    def confirmed(self) -> bool:
        """Whether the lowered code agrees with the verdict: the map reproduced to 1e-9, the
        counterexample's difference reproduced; an undecided comparison confirms nothing."""
        if self.verdict.same_algorithm:
            return self.lowered_gap is not None and self.lowered_gap <= 1e-9
        return self.counterexample is not None and self.counterexample.confirmed

    def __repr__(self) -> str:
        where = f", first differ at step {self.first_difference}" if self.first_difference else ""
        return f"Comparison({self.a.text} vs {self.b.text}: {self.verdict}{where})"

    def explain(self) -> Derivation:
        from wdtheory.analysis.explain import explain_comparison

        return explain_comparison(self)


def _find_map(
    dx: Dynamics,
    dy: Dynamics,
    free: dict[sp.Symbol, tuple[sp.Symbol, sp.Expr]],
    rng: random.Random,
) -> tuple[dict[sp.Symbol, sp.Expr], dict[sp.Symbol, sp.Expr]] | None:
    """A map (Y's states from X's, Y's ``free`` hyperparameters from X's) that makes the two
    step alike, proved for all values; first with Y's hyperparameters as they are, then solved,
    then (for rules not linear in their states) with each state matched by name times an unknown
    factor."""
    stages = [({}, False), (free, False)] if free else [({}, False)]
    maxima = any(e.has(sp.Max) for d in (dx, dy) for e in d.step_map(False).values())
    if free and not (dx.linear_in_states and dy.linear_in_states) and not maxima:
        # scaled states; not through a running maximum, whose conditions SymPy's simplify can
        # spend many minutes on (max(v/k, u/k) against max(v, u)/k)
        stages.append((free, True))
    for unknown, scaled in stages:
        with searching("searching for a map (solving the step conditions at exact points)"):
            candidates = solve_maps(dx, dy, unknown, rng, scaled=scaled)
        for phi, hyper in candidates:
            with searching("proving a candidate map for all values"):
                if all(is_zero(c, rng) for c in step_conditions(dx, dy, phi, hyper)):
                    # solved one equation at a time, e.g. (a + b√c)/(d + e√c) for 1/10: written
                    # simply
                    return (
                        {s: sp.simplify(e) for s, e in phi.items()},
                        {k: sp.simplify(v) for k, v in hyper.items()},
                    )
    return None


def _aligned(a: Optimizer, b: Optimizer, suffix: str = "_B") -> tuple[Dynamics, Dynamics, str]:
    """Dynamics of both, B's states suffixed; a lone schedule is given to the other too."""
    a_scheduled, b_scheduled = a.schedules_itself, b.schedules_itself
    note = ""
    if a_scheduled != b_scheduled:
        note = (
            "only one of them has a schedule multiplier s_t; the other's learning rate is "
            "taken to follow the same schedule (eta -> eta*s_t)"
        )
    return (
        Dynamics(a.scheduled() if b_scheduled and not a_scheduled else a, ""),
        Dynamics(b.scheduled() if a_scheduled and not b_scheduled else b, suffix),
        note,
    )


#: decided comparisons of this process, by the two optimizers' identities and the seed: a
#: verdict is a function of those alone, and reports, conversions and audits ask the same pairs
#: again (at most :data:`REMEMBERED`, the oldest forgotten first)
_DECIDED: dict[tuple, Comparison] = {}
REMEMBERED = 1024


def _identity(optimizer: Optimizer) -> tuple:
    """What the rule and the answer's text depend on: the definition (a chain's name is its
    structure), the values, the switches, how left-out values were filled and the scheduler."""
    return (
        optimizer.definition.name,
        tuple(optimizer.values.items()),
        tuple(optimizer.flags.items()),
        optimizer.follows_schedule,
        optimizer.symbolic,
        optimizer.given,
    )


def forget_comparisons() -> None:
    """Forget the decided comparisons (for measuring, or for tests of the time budget)."""
    _DECIDED.clear()


def compare(
    a: Optimizer, b: Optimizer, *, seed: int = 0, budget: float | None = None
) -> Comparison:
    """Decide whether ``a`` and ``b`` are identical, equivalent or different (see module doc).

    ``budget``: at most this many seconds (None: no limit; inside another budget, e.g. a
    conversion's, that one counts). When it runs out the verdict is undecided, with the
    :class:`~wdtheory.analysis.budget.Overrun` in ``overrun`` and its sentence ("could not decide
    within N s, because it was still ...") last in the evidence, after what was found before.
    A pair decided before in this process is answered at once, whatever the budget."""
    key = (_identity(a), _identity(b), seed)
    known = _DECIDED.get(key)
    if known is not None:
        return dataclasses.replace(known, a=a, b=b)
    evidence: list[str] = []
    try:
        with within(budget):
            result = _compare(a, b, random.Random(seed), evidence)
    except OutOfTime as out:
        evidence.append(out.overrun.sentence)
        return Comparison(a, b, Verdict.UNDECIDED, overrun=out.overrun, evidence=tuple(evidence))
    if result.verdict != Verdict.UNDECIDED:
        if len(_DECIDED) >= REMEMBERED:
            del _DECIDED[next(iter(_DECIDED))]
        _DECIDED[key] = result
    return result


def _compare(a: Optimizer, b: Optimizer, rng: random.Random, evidence: list[str]) -> Comparison:
    """:func:`compare`, adding its findings to ``evidence`` as it goes."""
    da, db, schedule_note = _aligned(a, b)
    if schedule_note:
        evidence.append(schedule_note)
    twins = identity_map(da, db)
    if twins is not None:
        with searching("proving the one-step maps identical (states matched by name)"):
            conditions = step_conditions(da, db, dict(twins), {})
            identical = all(is_zero(c, rng) for c in conditions)
        if identical:
            evidence.append(
                "each one-step map (general and first step) differs by an expression that "
                "SymPy simplifies to 0"
            )
            gap = _confirm(da, db, {}, rng, evidence)
            return Comparison(
                a,
                b,
                Verdict.IDENTICAL,
                state_map=dict(twins),
                lowered_gap=gap,
                evidence=tuple(evidence),
            )
    free = free_hyperparameters(a, b)
    mapped, dx, dy, found = "B", da, db, _find_map(da, db, free, rng)
    reverse = free_hyperparameters(b, a)
    if found is None and reverse:  # A's free hyperparameters may be what makes them agree
        dx, dy, _ = _aligned(b, a, "_A")
        mapped, found = "A", _find_map(dx, dy, reverse, rng)
    if found is not None:
        phi, hyper = found
        evidence.append(
            "a map was found by solving the step conditions at exact random points, "
            "then each condition was simplified to 0 for all values"
        )
        gap = _confirm(dx, dy, hyper, rng, evidence)
        return Comparison(
            a,
            b,
            Verdict.EQUIVALENT,
            hyper_map={primed(k): readable(v) for k, v in hyper.items() if v != k},
            state_map={k: readable(v) for k, v in phi.items()},
            mapped=mapped,
            lowered_gap=gap,
            evidence=tuple(evidence),
        )
    proofs = []
    for symbol in free:
        others = {s: value for s, (_, value) in free.items() if s != symbol}
        with searching(f"solving for the value of {symbol.name} each step would need"):
            forced = forced_values(da, db, symbol, others, rng)
        if forced and forced[0][1] != forced[1][1]:
            (_, first), (_, second) = forced
            proofs.append(NoConstantValue(primed(symbol), {2: first, 3: second}))
            evidence.append(proofs[-1].sentence)
    solved_for = ", ".join(s.name for s in {**free, **reverse}) or "none"
    linear = (
        "a linear state map"
        if da.linear_in_states and db.linear_in_states
        else "the states matched by name"
    )
    evidence.append(
        f"no map found: neither {linear} nor new values of either side's symbolic learning rate "
        f"/ weight decay / epsilon ({solved_for}) make the one-step maps agree"
    )
    # a side's free learning rate / weight decay / epsilon takes the other side's value (B's
    # whatever A's is, A's where B's is a number or an expression), so that compare(B, A)
    # unrolls the same pair; a value written through the symbol itself (lr = 2*eta against
    # lr = eta) is left as it is on both sides
    same = (
        {k: v for k, (_, v) in free.items() if v == k or k not in v.free_symbols},
        {k: v for k, (_, v) in reverse.items() if not v.is_Symbol and k not in v.free_symbols},
    )
    if any(k != v for side in same for k, v in side.items()):
        evidence.append(
            "the difference below gives each side's free learning rate / weight decay / epsilon "
            "the other side's value"
        )
    return _different(a, b, da, db, rng, evidence, same, tuple(proofs))


def _different(
    a: Optimizer,
    b: Optimizer,
    da: Dynamics,
    db: Dynamics,
    rng: random.Random,
    evidence: list[str],
    same: tuple[dict[sp.Symbol, sp.Expr], dict[sp.Symbol, sp.Expr]],
    proofs: tuple[NoConstantValue, ...],
) -> Comparison:
    """The first step at which the trajectories differ, with the exact difference and a
    counterexample confirmed by running both lowered optimizers; ``same``: the values B's and
    A's free hyperparameters take."""
    same_b, same_a = same
    pairs = zip(da.trajectory(free_gradients), db.trajectory(free_gradients), strict=False)
    for k in range(1, MAX_STEPS + 1):
        with searching(f"unrolling both trajectories to step {k}"):
            xa, xb = next(pairs)
        difference = xb.xreplace(same_b) - xa.xreplace(same_a)
        with searching(f"proving w_{k} equal for both"):
            zero = is_zero(difference, rng)
        with searching(f"looking for a rational counterexample at step {k}"):
            found = None if zero else counterexample_point(difference, rng)
        if found is not None:  # unproved but 0 at every point tried: not shown to differ
            with searching(f"unrolling both trajectories to step {k} on a quadratic"):
                quadratic = [
                    next(islice(d.trajectory(quadratic_gradients), k - 1, None)).xreplace(values)
                    for d, values in ((da, same_a), (db, same_b))
                ]
            with searching(f"writing the exact difference at step {k} simply"):
                shown = tidy(difference), tidy(quadratic[1] - quadratic[0])
            point, value = found
            completed = _completed(point, [(da, same_a), (db, same_b)])
            wb = _run_lowered(db, completed, same_b, k)[-1]
            wa = _run_lowered(da, completed, same_a, k)[-1]
            ran = wb - wa
            example = Counterexample(point, value, ran, max(abs(wa), abs(wb)))
            evidence.append(
                f"w_{k} differs: at the rational counterexample the exact difference is "
                f"{float(value):.6g}; running both lowered optimizers (NumPy, float64) gives "
                f"{ran:.6g}" + ("" if example.confirmed else " -- THE LOWERED CODE DISAGREES")
            )
            return Comparison(
                a,
                b,
                Verdict.DIFFERENT,
                first_difference=k,
                difference=shown[0],
                quadratic_difference=shown[1],
                counterexample=example,
                no_constant_value=proofs,
                evidence=tuple(evidence),
            )
    evidence.append(
        f"undecided: no map was found, and no counterexample within {MAX_STEPS} steps (free "
        "gradients, 40 random rational points per step)"
    )
    return Comparison(a, b, Verdict.UNDECIDED, no_constant_value=proofs, evidence=tuple(evidence))


def _confirm(
    da: Dynamics,
    db: Dynamics,
    hyper: dict[sp.Symbol, sp.Expr],
    rng: random.Random,
    evidence: list[str],
) -> float:
    """Run both lowered optimizers (B's free hyperparameters replaced by ``hyper``)
    :data:`CONFIRM_STEPS` steps from one random rational point (every symbol a value in (0, 1),
    the start and the gradients either sign) and return the largest gap between their parameters,
    relative to max(1, |w|); the finding is added to ``evidence``."""
    values = [d.optimizer.values for d in (da, db)]
    symbols = set().union(*(v.xreplace(hyper).free_symbols for vs in values for v in vs.values()))
    point: dict[sp.Symbol, sp.Expr] = {s: abs(random_value(s, rng)) for s in symbols}
    point[START] = random_value(START, rng)
    for k in range(1, CONFIRM_STEPS + 1):
        point[sp.Symbol(f"g_{k}", real=True)] = random_value(GRAD, rng)
        point[schedule_at(k)] = abs(random_value(schedule_at(k), rng))
    runs = zip(
        _run_lowered(da, point, {}, CONFIRM_STEPS),
        _run_lowered(db, point, hyper, CONFIRM_STEPS),
        strict=True,
    )
    gap = max(abs(wb - wa) / max(1.0, abs(wa)) for wa, wb in runs)
    evidence.append(
        f"running both lowered optimizers (NumPy, float64) {CONFIRM_STEPS} steps from one random "
        f"rational point: largest relative gap {roundoff_text(gap)}"
        + ("" if gap <= 1e-9 else " -- THE LOWERED CODE DISAGREES")
    )
    return gap


def _run_lowered(
    dynamics: Dynamics, point: dict[sp.Symbol, sp.Expr], same: dict[sp.Symbol, sp.Expr], steps: int
) -> list[float]:
    """The parameter after each of ``steps`` steps of the optimizer's lowered NumPy kernel, in
    float64, at the counterexample's values (``point`` holds a value for every symbol; the start
    and gradients absent from the difference are 1 and 1/2: any value gives the same exact
    difference, and 0 would make a rule with ε = 0 divide 0 by 0); a rule with a schedule
    multiplier (its own, or a scheduler's) gets s_k at step k."""
    optimizer = dynamics.optimizer
    values = {key: value.xreplace(same).xreplace(point) for key, value in optimizer.values.items()}
    trajectory = []
    # not stopped halfway by the time budget: lowering compiles and may write the kernel cache
    with searching("running the lowered optimizers"), shielded():
        stepper = Stepper(dataclasses.replace(optimizer, values=values), "numpy")
        w = np.array([float(point.get(START, 1))])
        state = stepper.init(w)
        for k in range(1, steps + 1):
            multiplier = float(point.get(schedule_at(k), 1)) if optimizer.has_schedule else 1.0
            gradient = float(point.get(sp.Symbol(f"g_{k}", real=True), 0.5))
            w, state = stepper.step(w, np.array([gradient]), state, schedule=multiplier)
            trajectory.append(float(w[0]))
    return trajectory


def _completed(
    point: dict[sp.Symbol, sp.Expr],
    sides: list[tuple[Dynamics, dict[sp.Symbol, sp.Expr]]],
) -> dict[sp.Symbol, sp.Expr]:
    """The counterexample with one shared value for every hyperparameter symbol it lacks (those
    the difference does not depend on), each side's free values ``same`` put in first: the first
    library default met, or 1/2."""
    completed = dict(point)
    for d, same in sides:
        for key, value in d.optimizer.values.items():
            for symbol in value.xreplace(same).free_symbols - set(completed):
                default = d.optimizer.definition.defaults.get(key)
                completed[symbol] = sp.sympify(
                    default if default is not None and value == symbol else sp.Rational(1, 2)
                )
    return completed
