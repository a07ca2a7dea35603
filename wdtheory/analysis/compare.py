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
:data:`MAX_BRANCHES` solution branches, so "no map found" is the outcome of that search; where
the value B's hyperparameter would need differs between two points with different step counts,
**no constant value exists** — a proof, since the sampled equations are necessary conditions.

**different** — otherwise: the trajectories are unrolled from the initial states, for free
gradients :math:`g_1, g_2, \dots` and for the gradients of a quadratic; the first step at which
:math:`w_k` differs is reported with the exact (simplified) difference, and a counterexample in
rational numbers.

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

from wdtheory.core.notation import GRAD, PARAM, SCHEDULE, START, STEP
from wdtheory.optim.dynamics import Dynamics, free_gradients, quadratic_gradients, schedule_at
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import MAPPABLE_ROLES, ROLES
from wdtheory.runtime.stepper import Stepper

__all__ = [
    "Comparison",
    "Counterexample",
    "NoConstantValue",
    "Verdict",
    "compare",
    "primed",
    "unprimed",
]

#: how far trajectories are unrolled to find the first difference
MAX_STEPS = 4
#: the schedule multiplier of the step before (a state map may not depend on the schedule)
PREVIOUS_SCHEDULE = sp.Symbol("s_prev", positive=True)
#: at most this many solution branches are followed when solving for a map
MAX_BRANCHES = 4


class Verdict(StrEnum):
    """What :func:`compare` decides (printed as its value)."""

    IDENTICAL = "identical"
    EQUIVALENT = "equivalent"
    DIFFERENT = "different"

    @property
    def same_algorithm(self) -> bool:
        """Identical, or equivalent under a reparametrisation."""
        return self is not Verdict.DIFFERENT


@dataclass(frozen=True)
class Counterexample:
    """Rational values of every symbol (``point``) at which the parameters first differ: the
    exact ``difference`` there, and the difference ``lowered`` that running both lowered
    optimizers (NumPy, float64) from those values gives."""

    point: dict[sp.Symbol, sp.Expr]
    difference: sp.Expr
    lowered: float

    @property
    def confirmed(self) -> bool:
        """Whether the lowered code reproduces the exact difference (to 1e-9 relative)."""
        exact = float(self.difference)
        return abs(self.lowered - exact) <= 1e-9 * max(1.0, abs(exact))


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
        """The proof in one sentence (values rounded for display)."""
        (t1, first), (t2, second) = self.needed.items()
        return (
            f"with the states matched by name and everything else equal, {self.symbol.name} would "
            f"have to be {sp.N(first, 6)} at one exact point with t = {t1} and {sp.N(second, 6)} "
            f"at another with t = {t2} (exact algebraic values, shown rounded): no constant value "
            "works"
        )


@dataclass(frozen=True)
class Comparison:
    """The verdict of :func:`compare` with its evidence, as data.

    ``hyper_map``: B's hyperparameters (primed symbols) in terms of A's; ``state_map``: B's
    states in terms of A's states and :math:`w`; ``first_difference``: the first step at which
    the parameters differ (free gradients), with the exact ``difference`` :math:`w_k^B - w_k^A`,
    ``quadratic_difference`` the same for the gradients of :math:`\\frac a2(w - c)^2`;
    ``counterexample``: where it is not 0, confirmed by running both; ``no_constant_value``:
    proofs that no constant value of one of B's hyperparameters would make them agree;
    ``evidence``: the same findings in sentences, for display.
    """

    a: Optimizer
    b: Optimizer
    verdict: Verdict
    hyper_map: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    state_map: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    first_difference: int | None = None
    difference: sp.Expr | None = None
    quadratic_difference: sp.Expr | None = None
    counterexample: Counterexample | None = None
    no_constant_value: tuple[NoConstantValue, ...] = ()
    evidence: tuple[str, ...] = ()


def primed(symbol: sp.Symbol) -> sp.Symbol:
    """B's copy of a hyperparameter symbol in a map: ``lambda`` -> ``lambda'``."""
    return sp.Symbol(f"{symbol.name}'", **symbol.assumptions0)


def unprimed(symbol: sp.Symbol) -> sp.Symbol:
    """The hyperparameter symbol a primed one stands for: ``lambda'`` -> ``lambda``."""
    return sp.Symbol(symbol.name.removesuffix("'"), **symbol.assumptions0)


def _aligned(a: Optimizer, b: Optimizer) -> tuple[Dynamics, Dynamics, str]:
    """Dynamics of both, B's states suffixed; a lone schedule is given to the other too."""
    a_scheduled = a.flags.get("schedule") is True
    b_scheduled = b.flags.get("schedule") is True
    note = ""
    if a_scheduled != b_scheduled:
        note = (
            "only one of them has a schedule multiplier s_t; the other's learning rate is "
            "taken to follow the same schedule (eta -> eta*s_t)"
        )
    return (
        Dynamics(a.scheduled() if b_scheduled and not a_scheduled else a, ""),
        Dynamics(b.scheduled() if a_scheduled and not b_scheduled else b, "_B"),
        note,
    )


def _conditions(
    da: Dynamics,
    db: Dynamics,
    phi: dict[sp.Symbol, sp.Expr],
    hyper: dict[sp.Symbol, sp.Expr],
) -> list[sp.Expr]:
    """The expressions that must vanish for ``phi`` (B's states from A's) and ``hyper`` to make
    the two optimizers step alike: general step, first step, initial states."""
    conditions = []
    for first in (False, True):
        fa, fb = da.step_map(first), db.step_map(first)
        fb = {k: v.xreplace(hyper) for k, v in fb.items()}
        if first:
            start = {**da.initial}
            phi_here = {s: e.xreplace(start) for s, e in phi.items()}
            fa = {k: v.xreplace(start) for k, v in fa.items()}
        else:  # the old states were mapped with the previous step's schedule value
            phi_here = {s: e.xreplace({SCHEDULE: PREVIOUS_SCHEDULE}) for s, e in phi.items()}
        b_at_a = {k: v.xreplace(phi_here) for k, v in fb.items()}
        conditions.append(b_at_a[PARAM] - fa[PARAM])
        after = {**{s: fa[s] for s in da.states}, PARAM: fa[PARAM]}
        conditions += [b_at_a[s] - phi[s].xreplace(after) for s in db.states]
    initial_b = {s: e.xreplace(hyper) for s, e in db.initial.items()}
    conditions += [phi[s].xreplace(da.initial) - initial_b[s] for s in db.states]
    return conditions


def _is_zero(expr: sp.Expr, rng: random.Random) -> bool:
    """Exact zero test: quick numeric screens at random rationals, then ``expand`` (which puts
    the arguments of ``Abs``, ``sign`` and ``Max`` in one canonical form), then ``simplify``."""
    if _nonzero_somewhere(expr, rng):
        return False
    return sp.expand(expr) == 0 or sp.simplify(expr) == 0


def _nonzero_somewhere(expr: sp.Expr, rng: random.Random) -> bool:
    """Whether ``expr`` is clearly not 0 (beyond 30-digit round-off) at one of three random
    exact points: a proof that it is not identically 0."""
    symbols = _free_symbols([expr])
    for _ in range(3):
        value = expr.xreplace({s: _random_value(s, rng) for s in symbols})
        if value.is_number and abs(sp.N(value, 30)) > sp.Float("1e-20"):
            return True
    return False


def _random_value(symbol: sp.Symbol, rng: random.Random) -> sp.Rational:
    """A random exact value respecting the symbol's sign and integrality (and < 1 for decays)."""
    if symbol.is_integer:
        return sp.Integer(rng.randint(2, 6))
    value = sp.Rational(rng.randint(1, 97), 100)
    return value if symbol.is_nonnegative or rng.random() < 0.5 else -value


def _free_symbols(exprs: list[sp.Expr]) -> list[sp.Symbol]:
    return sorted(set().union(*(e.free_symbols for e in exprs)), key=lambda s: s.name)


def _identity_map(da: Dynamics, db: Dynamics) -> dict[sp.Symbol, sp.Expr] | None:
    """B's states matched to A's by name, when every state of B has a twin in A."""
    by_name = {s.name: s for s in da.states}
    twins = {s: by_name.get(s.name.removesuffix("_B")) for s in db.states}
    return None if None in twins.values() else twins


def _unknown_state_map(
    da: Dynamics, db: Dynamics
) -> tuple[dict[sp.Symbol, sp.Expr], list[sp.Symbol]] | None:
    """B's states as unknown linear combinations of A's states and ``w`` when both optimizers are
    linear in their states; else the by-name map (no unknowns), if there is one."""
    if not (da.linear_in_states and db.linear_in_states):
        twins = _identity_map(da, db)
        return (dict(twins), []) if twins is not None else None
    phi, unknowns = {}, []
    for i, sb in enumerate(db.states):
        terms = [sp.Symbol(f"k_{i}_{j}") for j in range(len(da.states) + 1)]
        unknowns += terms
        phi[sb] = sum((c * s for c, s in zip(terms, (*da.states, PARAM), strict=True)), sp.S.Zero)
    return phi, unknowns


def _solve_maps(
    da: Dynamics,
    db: Dynamics,
    free: dict[sp.Symbol, tuple[sp.Symbol, sp.Expr]],
    rng: random.Random,
) -> list[tuple[dict, dict]]:
    """Candidate maps (B's state map, B's free hyperparameters) solved from the conditions at
    sampled points (``free``: symbol -> (unknown, value if left free)); none when the sampled
    (necessary) conditions have no solution."""
    candidate = _unknown_state_map(da, db)
    if candidate is None:
        return []
    phi, coefficients = candidate
    unknown_hyper = {k: unknown for k, (unknown, _) in free.items()}
    unknowns = coefficients + list(unknown_hyper.values())
    conditions = _conditions(da, db, phi, unknown_hyper)
    variables = [PARAM, GRAD, STEP, SCHEDULE, PREVIOUS_SCHEDULE, *da.states]
    dense = len(unknowns) + 2 if da.linear_in_states and db.linear_in_states else 0
    equations = [
        e
        for e in (
            sp.expand(c.xreplace(p)) for p in _points(variables, dense, rng) for c in conditions
        )
        if e != 0
    ]
    defaults = {**{k: sp.S.Zero for k in coefficients}, **dict(free.values())}
    return [
        (
            {s: e.xreplace(solution) for s, e in phi.items()},
            {k: v.xreplace(solution) for k, v in unknown_hyper.items()},
        )
        for solution in _eliminate(equations, unknowns, defaults, rng)
    ]


def _points(
    variables: list[sp.Symbol], count: int, rng: random.Random
) -> list[dict[sp.Symbol, sp.Expr]]:
    """Exact sample points: two sparse ones (gradient and states 0, which keep the equations
    rational and short even for Adam's roots), two with a zero gradient but nonzero states
    (they reach the preconditioned part of an update), then ``count`` dense random ones (used
    when both rules are linear in their states, so that their equations stay rational too)."""
    scalars = (PARAM, STEP, SCHEDULE, PREVIOUS_SCHEDULE)
    sparse = [
        {v: (_random_value(v, rng) if v in scalars else sp.S.Zero) for v in variables}
        for _ in range(2)
    ]
    resting = [
        {v: (sp.S.Zero if v == GRAD else _random_value(v, rng)) for v in variables}
        for _ in range(2)
    ]
    return sparse + resting + [{v: _random_value(v, rng) for v in variables} for _ in range(count)]


def _eliminate(
    equations: list[sp.Expr],
    unknowns: list[sp.Symbol],
    defaults: dict[sp.Symbol, sp.Expr],
    rng: random.Random,
) -> list[dict[sp.Symbol, sp.Expr]]:
    """Candidate values of the unknowns, by elimination: the equations are taken shortest first,
    each (with the values found so far put in) solved for an unknown still open, and its
    solution put back into the values found before. One equation and one unknown at a time stays
    fast where solving the whole system at once does not (Adam's roots with a symbolic
    ``eps_root``).

    Every solution of an equation opens a branch (at most :data:`MAX_BRANCHES` are followed). A
    branch is refuted when a value becomes infinite, when an equation left without open unknowns
    is not 0 at a random point (a contradiction, for generic hyperparameters), or when an
    equation has no solution for any open unknown. Open unknowns take their ``defaults`` (a
    hyperparameter unchanged, a state coefficient 0), also when SymPy cannot solve an equation
    (e.g. ``Max`` of an unknown); the caller proves each candidate against every condition.
    """
    branches: list[dict[sp.Symbol, sp.Expr]] = [{}]
    for equation in sorted(equations, key=sp.count_ops):
        grown = []
        for solved in branches:
            remaining = equation.xreplace(solved)
            open_unknowns = [u for u in unknowns if u not in solved and remaining.has(u)]
            if not open_unknowns:
                if not _nonzero_somewhere(remaining, rng):
                    grown.append(solved)
                continue
            solutions = _solve_for_one(remaining, open_unknowns)
            if solutions is None:  # SymPy could not tell: leave the unknowns open
                grown.append(solved)
            for new in solutions or ():
                merged = {u: v.xreplace(new) for u, v in solved.items()} | new
                if not any(v.has(sp.zoo, sp.oo, -sp.oo, sp.nan) for v in merged.values()):
                    grown.append(merged)
        branches = grown[:MAX_BRANCHES]
    return [
        {u: sp.sympify(solved.get(u, defaults[u])).xreplace(defaults) for u in unknowns}
        for solved in branches
    ]


def _solve_for_one(equation: sp.Expr, unknowns: list[sp.Symbol]) -> list[dict] | None:
    """The solutions of ``equation``: each factor that holds an unknown (``eta'*lambda' = 0``
    has two branches) solved for the first of its unknowns it can be solved for (the others stay
    in the values); ``[]`` when there are none, None when SymPy cannot solve it (``Max`` of an
    unknown, or a TypeError inside ``solve_undetermined_coeffs``)."""
    solutions: list[dict] = []
    failed = False
    for factor in sp.Mul.make_args(sp.factor_terms(equation)):
        if factor.is_Pow and factor.exp.is_negative:
            continue  # a denominator: never 0
        for unknown in (u for u in unknowns if factor.has(u)):
            try:
                found = sp.solve(factor, unknown, dict=True, check=False)
            except (NotImplementedError, TypeError):
                failed = True
                continue
            if found:
                solutions += found
                break
    return None if failed and not solutions else solutions


def _forced_values(
    da: Dynamics,
    db: Dynamics,
    symbol: sp.Symbol,
    rng: random.Random,
) -> list[tuple[dict, sp.Expr]]:
    """Values B's hyperparameter ``symbol`` must take for the parameter updates to agree (states
    matched by name) at two exact points that differ in the step count: unequal values prove
    that no constant value works."""
    twins = _identity_map(da, db)
    if twins is None:
        return []
    unknown = primed(symbol)
    condition = _conditions(da, db, dict(twins), {symbol: unknown})[0]
    variables = sorted(condition.free_symbols - {unknown}, key=lambda v: v.name)
    forced = []
    for t in (2, 3):  # states matched by name
        point = {v: _random_value(v, rng) for v in variables} | {STEP: sp.Integer(t)}
        try:
            solutions = sp.solve(condition.xreplace(point), unknown)
        except (NotImplementedError, TypeError):  # as in _solve_for_one: nothing forced this way
            return []
        if len(solutions) != 1:
            return []
        forced.append((point, solutions[0]))
    return forced


def _free_hyperparameters(a: Optimizer, b: Optimizer) -> dict[sp.Symbol, tuple[sp.Symbol, sp.Expr]]:
    """B's symbolic hyperparameters in the mappable roles, each with a primed unknown and the
    value it takes when the conditions leave it free: A's value for the same role."""
    unknown = {}
    for role in MAPPABLE_ROLES:
        symbol = ROLES[role].symbol
        value = b.symbols.get(symbol)
        if value is not None and not value.is_number:
            unknown[value] = (
                primed(value),
                a.symbols.get(symbol, value),
            )
    return unknown


def compare(a: Optimizer, b: Optimizer, *, seed: int = 0) -> Comparison:
    """Decide whether ``a`` and ``b`` are identical, equivalent or different (see module doc)."""
    rng = random.Random(seed)
    da, db, schedule_note = _aligned(a, b)
    evidence = [schedule_note] if schedule_note else []
    twins = _identity_map(da, db)
    if twins is not None:
        conditions = _conditions(da, db, dict(twins), {})
        if all(_is_zero(c, rng) for c in conditions):
            evidence.append(
                "each one-step map (general and first step) differs by an expression that "
                "SymPy simplifies to 0"
            )
            return Comparison(
                a, b, Verdict.IDENTICAL, state_map=dict(twins), evidence=tuple(evidence)
            )
    free = _free_hyperparameters(a, b)
    for unknown in ({}, free) if free else ({},):
        for phi, hyper in _solve_maps(da, db, unknown, rng):
            if not all(_is_zero(c, rng) for c in _conditions(da, db, phi, hyper)):
                continue
            # solved one equation at a time, e.g. (a + b√c)/(d + e√c) for 1/10: written simply
            phi = {s: sp.simplify(e) for s, e in phi.items()}
            hyper = {k: sp.simplify(v) for k, v in hyper.items()}
            evidence.append(
                "a map was found by solving the step conditions at exact random points, "
                "then each condition was simplified to 0 for all values"
            )
            shown = {primed(k): v for k, v in hyper.items() if v != k}
            return Comparison(
                a, b, Verdict.EQUIVALENT, hyper_map=shown, state_map=phi, evidence=tuple(evidence)
            )
    proofs = []
    for symbol in free:
        forced = _forced_values(da, db, symbol, rng)
        if forced and forced[0][1] != forced[1][1]:
            (_, first), (_, second) = forced
            proofs.append(NoConstantValue(primed(symbol), {2: first, 3: second}))
            evidence.append(proofs[-1].sentence)
    mapped = ", ".join(s.name for s in free) or "none"
    linear = (
        "a linear state map"
        if da.linear_in_states and db.linear_in_states
        else "the states matched by name"
    )
    evidence.append(
        f"no map found: neither {linear} nor new values of B's symbolic learning rate / weight "
        f"decay / epsilon ({mapped}) make the one-step maps agree"
    )
    same = {k: value for k, (_, value) in free.items()}
    if any(k != v for k, v in same.items()):
        evidence.append(
            "the difference below gives B's free learning rate / weight decay / epsilon A's values"
        )
    return _different(a, b, da, db, rng, evidence, same, tuple(proofs))


def _different(
    a: Optimizer,
    b: Optimizer,
    da: Dynamics,
    db: Dynamics,
    rng: random.Random,
    evidence: list[str],
    same: dict[sp.Symbol, sp.Expr],
    proofs: tuple[NoConstantValue, ...],
) -> Comparison:
    """The first step at which the trajectories differ, with the exact difference and a
    counterexample confirmed by running both lowered optimizers."""
    pairs = zip(da.trajectory(free_gradients), db.trajectory(free_gradients), strict=False)
    for k, (xa, xb) in enumerate(pairs, start=1):
        if k > MAX_STEPS:
            break
        difference = xb.xreplace(same) - xa
        if not _is_zero(difference, rng):
            quadratic = [
                next(islice(d.trajectory(quadratic_gradients), k - 1, None)) for d in (da, db)
            ]
            quadratic[1] = quadratic[1].xreplace(same)
            point, value = _counterexample(difference, rng)
            completed = _completed(point, [da, db], same)
            ran = _run_lowered(db, completed, same, k) - _run_lowered(da, completed, {}, k)
            example = Counterexample(point, value, ran)
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
                difference=_tidy(difference),
                quadratic_difference=_tidy(quadratic[1] - quadratic[0]),
                counterexample=example,
                no_constant_value=proofs,
                evidence=tuple(evidence),
            )
    evidence.append(f"the trajectories agree for {MAX_STEPS} steps but no map was proved")
    return Comparison(a, b, Verdict.DIFFERENT, no_constant_value=proofs, evidence=tuple(evidence))


def _tidy(expr: sp.Expr) -> sp.Expr:
    """A readable exact form: decays β in [0, 1) written through 1 - β > 0 (so that
    ``sqrt(1/(1-β))*sqrt(1-β)`` cancels), then factored when that is cheap."""
    decays = [s for s in expr.free_symbols if s.name.startswith("beta")]
    gaps = {b: sp.Symbol(f"gap_{b.name}", positive=True) for b in decays}
    expr = sp.powsimp(expr.xreplace({b: 1 - q for b, q in gaps.items()}))
    if sp.count_ops(expr) < 200:
        expr = sp.factor(sp.cancel(expr))
    return expr.xreplace({q: 1 - b for b, q in gaps.items()})


def _counterexample(
    difference: sp.Expr, rng: random.Random
) -> tuple[dict[sp.Symbol, sp.Expr], sp.Expr]:
    """Rational values of every symbol at which ``difference`` is not 0, and its value there;
    hyperparameters get positive values (below 1), the start and the gradients any sign."""
    symbols = _free_symbols([difference])
    for _ in range(20):
        point = {
            s: _random_value(s, rng)
            if s == START or s.name.startswith("g_")
            else abs(_random_value(s, rng))
            for s in symbols
        }
        value = sp.nsimplify(difference.xreplace(point))
        if value != 0:
            return point, value
    raise AssertionError("no counterexample found for a nonzero difference")


def _run_lowered(
    dynamics: Dynamics, point: dict[sp.Symbol, sp.Expr], same: dict[sp.Symbol, sp.Expr], steps: int
) -> float:
    """The parameter after ``steps`` steps of the optimizer's lowered NumPy kernel, in float64,
    at the counterexample's values (``point`` holds a value for every symbol; the start and
    gradients absent from the difference are 1 and 0); a rule with a schedule multiplier (its
    own, or a scheduler's) gets s_k at step k."""
    optimizer = dynamics.optimizer
    values = {key: value.xreplace(same).xreplace(point) for key, value in optimizer.values.items()}
    stepper = Stepper(dataclasses.replace(optimizer, values=values), "numpy")
    w = np.array([float(point.get(START, 1))])
    state = stepper.init(w)
    for k in range(1, steps + 1):
        multiplier = float(point.get(schedule_at(k), 1)) if optimizer.has_schedule else 1.0
        gradient = float(point.get(sp.Symbol(f"g_{k}", real=True), 0))
        w, state = stepper.step(w, np.array([gradient]), state, schedule=multiplier)
    return float(w[0])


def _completed(
    point: dict[sp.Symbol, sp.Expr], dynamics: list[Dynamics], same: dict[sp.Symbol, sp.Expr]
) -> dict[sp.Symbol, sp.Expr]:
    """The counterexample with one shared value for every hyperparameter symbol it lacks (those
    the difference does not depend on): the first library default met, or 1/2."""
    completed = dict(point)
    for d in dynamics:
        for key, value in d.optimizer.values.items():
            for symbol in value.xreplace(same).free_symbols - set(completed):
                default = d.optimizer.definition.defaults.get(key)
                completed[symbol] = sp.sympify(
                    default if default is not None and value == symbol else sp.Rational(1, 2)
                )
    return completed
