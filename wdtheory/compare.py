r"""Comparing two optimizers: identical, equivalent under a reparametrisation, or different.

Per coordinate each optimizer is a map :math:`(w, s) \mapsto F(w, g, s, t)` (see
:mod:`wdtheory.dynamics`). :func:`compare` decides, in this order:

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
proved for all points symbolically. If the sampled equations have no solution, **no constant map
exists** — a proof, since they are necessary conditions.

**different** — otherwise: the trajectories are unrolled from the initial states, for free
gradients :math:`g_1, g_2, \dots` and for the gradients of a quadratic; the first step at which
:math:`w_k` differs is reported with the exact (simplified) difference, and a counterexample in
rational numbers.

When exactly one of the two has a schedule multiplier :math:`s_t` (the paper's presets), the
other's learning rate is taken to follow the same schedule (:math:`\eta \to \eta s_t`), which is
how a library user runs it with a scheduler.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import islice

import numpy as np
import sympy as sp

from wdtheory.dynamics import START, Dynamics, free_gradients, quadratic_gradients
from wdtheory.optimizers import ROLES, Optimizer
from wdtheory.stepper import Stepper
from wdtheory.transforms import GRAD, PARAM, SCHEDULE, STEP

__all__ = ["Comparison", "compare"]

#: how far trajectories are unrolled to find the first difference
MAX_STEPS = 4
#: the roles whose values :func:`compare` may re-map ("convert") between two optimizers
MAPPABLE_ROLES = ("lr", "weight_decay", "eps")


@dataclass(frozen=True)
class Comparison:
    """The verdict of :func:`compare` with its evidence.

    ``hyper_map``: B's hyperparameters (primed symbols) in terms of A's; ``state_map``: B's
    states in terms of A's states and :math:`w`; ``first_difference``: the first step at which
    the parameters differ (free gradients), with the exact ``difference`` :math:`w_k^B - w_k^A`,
    ``quadratic_difference`` the same for the gradients of :math:`\\frac a2(w - c)^2`;
    ``counterexample``: rational values of every symbol and the resulting exact difference.
    """

    a: Optimizer
    b: Optimizer
    verdict: str
    hyper_map: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    state_map: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    first_difference: int | None = None
    difference: sp.Expr | None = None
    quadratic_difference: sp.Expr | None = None
    counterexample: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()


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
        Dynamics(a, "", b_scheduled and not a_scheduled),
        Dynamics(b, "_B", a_scheduled and not b_scheduled),
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
        else:
            phi_here = phi
        b_at_a = {k: v.xreplace(phi_here) for k, v in fb.items()}
        conditions.append(b_at_a[PARAM] - fa[PARAM])
        after = {**{s: fa[s] for s in da.states}, PARAM: fa[PARAM]}
        conditions += [b_at_a[s] - phi[s].xreplace(after) for s in db.states]
    initial_b = {s: e.xreplace(hyper) for s, e in db.initial.items()}
    conditions += [phi[s].xreplace(da.initial) - initial_b[s] for s in db.states]
    return conditions


def _is_zero(expr: sp.Expr, rng: random.Random) -> bool:
    """Exact zero test: quick numeric screens at random rationals, then ``simplify``."""
    symbols = _free_symbols([expr])
    for _ in range(3):
        point = {s: _random_value(s, rng) for s in symbols}
        value = expr.xreplace(point)
        if value.is_number and abs(sp.N(value, 30)) > sp.Float("1e-20"):
            return False
    return sp.simplify(expr) == 0


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
) -> tuple[dict, dict] | None:
    """Solve for B's state map and free hyperparameters (symbol -> (unknown, value if left free));
    None when the sampled (necessary) conditions have no solution."""
    candidate = _unknown_state_map(da, db)
    if candidate is None:
        return None
    phi, coefficients = candidate
    unknown_hyper = {k: unknown for k, (unknown, _) in free.items()}
    unknowns = coefficients + list(unknown_hyper.values())
    conditions = _conditions(da, db, phi, unknown_hyper)
    variables = [PARAM, GRAD, STEP, SCHEDULE, *da.states]
    dense = len(unknowns) + 2 if da.linear_in_states and db.linear_in_states else 0
    equations = [
        e
        for e in (
            sp.expand(c.xreplace(p)) for p in _points(variables, dense, rng) for c in conditions
        )
        if e != 0
    ]
    if not equations:
        return phi, dict(unknown_hyper)
    defaults = {**{k: sp.S.Zero for k in coefficients}, **dict(free.values())}
    solution = _solve_simplest(equations, unknowns, defaults)
    if solution is None:
        return None
    return (
        {s: e.xreplace(solution) for s, e in phi.items()},
        {k: v.xreplace(solution) for k, v in unknown_hyper.items()},
    )


def _points(
    variables: list[sp.Symbol], count: int, rng: random.Random
) -> list[dict[sp.Symbol, sp.Expr]]:
    """Exact sample points: two sparse ones (gradient and states 0, which keep the equations
    rational and short even for Adam's roots), then ``count`` dense random ones (used when both
    rules are linear in their states, so that their equations stay rational too)."""
    sparse = [
        {
            v: (_random_value(v, rng) if v in (PARAM, STEP, SCHEDULE) else sp.S.Zero)
            for v in variables
        }
        for _ in range(2)
    ]
    return sparse + [{v: _random_value(v, rng) for v in variables} for _ in range(count)]


def _solve_simplest(
    equations: list[sp.Expr], unknowns: list[sp.Symbol], defaults: dict[sp.Symbol, sp.Expr]
) -> dict | None:
    """Solve the shortest equations, adding longer ones while the solution is not unique.

    An equation free of the unknowns that is not 0 is a contradiction (for generic
    hyperparameters). Unknowns the equations leave free take their ``defaults`` (a hyperparameter
    unchanged, a state coefficient 0); the caller proves the result against every condition.
    """
    if any(not (e.free_symbols & set(unknowns)) for e in equations):
        return None
    ranked = sorted(equations, key=sp.count_ops)
    solutions: list[dict] = []
    for size in range(min(len(unknowns), len(ranked)), len(ranked) + 1):
        solutions = sp.solve(ranked[:size], unknowns, dict=True)
        if not solutions:
            return None
        if len(solutions) == 1 and set(solutions[0]) == set(unknowns):
            break
    chosen = {u: solutions[0].get(u, defaults[u]) for u in unknowns}
    return {u: sp.sympify(v).xreplace(chosen) for u, v in chosen.items()}


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
    unknown = sp.Symbol(f"{symbol.name}'", **symbol.assumptions0)
    condition = _conditions(da, db, dict(twins), {symbol: unknown})[0]
    variables = sorted(condition.free_symbols - {unknown}, key=lambda v: v.name)
    forced = []
    for t in (2, 3):  # states matched by name
        point = {v: _random_value(v, rng) for v in variables} | {STEP: sp.Integer(t)}
        solutions = sp.solve(condition.xreplace(point), unknown)
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
                sp.Symbol(f"{value.name}'", **value.assumptions0),
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
            return Comparison(a, b, "identical", state_map=dict(twins), evidence=tuple(evidence))
    free = _free_hyperparameters(a, b)
    for unknown in ({}, free) if free else ({},):
        solved = _solve_maps(da, db, unknown, rng)
        if solved is None:
            continue
        phi, hyper = solved
        if all(_is_zero(c, rng) for c in _conditions(da, db, phi, hyper)):
            evidence.append(
                "a map was found by solving the step conditions at exact random points, "
                "then each condition was simplified to 0 for all values"
            )
            shown = {
                sp.Symbol(f"{k.name}'", **k.assumptions0): v for k, v in hyper.items() if v != k
            }
            return Comparison(
                a, b, "equivalent", hyper_map=shown, state_map=phi, evidence=tuple(evidence)
            )
    for symbol in free:
        forced = _forced_values(da, db, symbol, rng)
        if forced and forced[0][1] != forced[1][1]:
            (_, first), (_, second) = forced
            evidence.append(
                f"with the states matched by name and everything else equal, {symbol.name}' would have to be "
                f"{sp.N(first, 6)} "
                f"at one exact point with t = 2 and {sp.N(second, 6)} at another with t = 3 (exact "
                "algebraic values, shown rounded): no constant value works"
            )
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
    return _different(a, b, da, db, rng, evidence, same)


def _different(
    a: Optimizer,
    b: Optimizer,
    da: Dynamics,
    db: Dynamics,
    rng: random.Random,
    evidence: list[str],
    same: dict[sp.Symbol, sp.Expr],
) -> Comparison:
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
            example = _counterexample(difference, rng)
            exact = float(example[sp.Symbol("difference")])
            ran = _run_lowered(db, example, same, k) - _run_lowered(da, example, {}, k)
            agrees = abs(ran - exact) <= 1e-9 * max(1.0, abs(exact))
            evidence.append(
                f"w_{k} differs: at the rational counterexample the exact difference is {exact:.6g}; "
                f"running both lowered optimizers (NumPy, float64) gives {ran:.6g}"
                + ("" if agrees else " -- THE LOWERED CODE DISAGREES")
            )
            return Comparison(
                a,
                b,
                "different",
                first_difference=k,
                difference=_tidy(difference),
                quadratic_difference=_tidy(quadratic[1] - quadratic[0]),
                counterexample=example,
                evidence=tuple(evidence),
            )
    evidence.append(f"the trajectories agree for {MAX_STEPS} steps but no map was proved")
    return Comparison(a, b, "different", evidence=tuple(evidence))


def _tidy(expr: sp.Expr) -> sp.Expr:
    """A readable exact form: decays β in [0, 1) written through 1 - β > 0 (so that
    ``sqrt(1/(1-β))*sqrt(1-β)`` cancels), then factored when that is cheap."""
    decays = [s for s in expr.free_symbols if s.name.startswith("beta")]
    gaps = {b: sp.Symbol(f"gap_{b.name}", positive=True) for b in decays}
    expr = sp.powsimp(expr.xreplace({b: 1 - q for b, q in gaps.items()}))
    if sp.count_ops(expr) < 200:
        expr = sp.factor(sp.cancel(expr))
    return expr.xreplace({q: 1 - b for b, q in gaps.items()})


def _counterexample(difference: sp.Expr, rng: random.Random) -> dict[sp.Symbol, sp.Expr]:
    """Rational values of every symbol at which ``difference`` is not 0, and the difference;
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
            return {**point, sp.Symbol("difference"): value}
    raise AssertionError("no counterexample found for a nonzero difference")


def _run_lowered(
    dynamics: Dynamics, point: dict[sp.Symbol, sp.Expr], same: dict[sp.Symbol, sp.Expr], steps: int
) -> float:
    """The parameter after ``steps`` steps of the optimizer's lowered NumPy kernel, in float64,
    at the counterexample's values (a symbol absent from the difference gets any valid value:
    the library default, or 1/2; the start and gradients absent from it, 1 and 0)."""
    optimizer = dynamics.optimizer
    schedule = point.get(SCHEDULE, sp.S.One)
    values = {}
    for key, value in optimizer.values.items():
        number = value.xreplace(same).xreplace(point)
        if not number.is_number:
            number = sp.sympify(optimizer.definition.defaults.get(key) or sp.Rational(1, 2))
        scheduled = dynamics.scheduled and optimizer.definition.params[key] == "lr"
        values[key] = number * schedule if scheduled else number
    stepper = Stepper(Optimizer(optimizer.definition, values, optimizer.flags), "numpy")
    w = np.array([float(point.get(START, 1))])
    state = stepper.init(w)
    for k in range(1, steps + 1):
        gradient = float(point.get(sp.Symbol(f"g_{k}", real=True), 0))
        own = float(schedule) if optimizer.flags.get("schedule") else 1.0  # else folded into lr
        w, state = stepper.step(w, np.array([gradient]), state, schedule=own)
    return float(w[0])
