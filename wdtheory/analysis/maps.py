r"""Solving for the map that makes two optimizers step alike, and proving that none exists.

B's states are unknown linear combinations of A's states and :math:`w` (or matched by name when
a rule is not linear in its states) and B's learning rate, weight decay and ε may take new
values (primed symbols); the conditions that the general step, the first step and the initial
states agree (:func:`step_conditions`) are sampled at exact random points and solved by elimination
(:func:`solve_maps`), each candidate then being proved by :mod:`wdtheory.analysis.compare`.
:func:`forced_values` shows, for one hyperparameter, that no constant value can work.
Every equation built and every branch of the elimination checks the time budget
(:mod:`wdtheory.analysis.budget`).
"""

from __future__ import annotations

import random

import sympy as sp

from wdtheory.analysis.budget import check
from wdtheory.analysis.exact import defined, is_zero, nonzero_somewhere, random_value
from wdtheory.core.notation import GRAD, PARAM, SCHEDULE, STEP
from wdtheory.optim.dynamics import Dynamics
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import MAPPABLE_ROLES, ROLES

__all__ = [
    "MAX_BRANCHES",
    "forced_values",
    "free_hyperparameters",
    "identity_map",
    "primed",
    "solve_maps",
    "step_conditions",
    "unprimed",
]


#: the schedule multiplier of the step before (a state map may not depend on the schedule)
PREVIOUS_SCHEDULE = sp.Symbol("s_prev", positive=True)


#: at most this many solution branches are followed when solving for a map
MAX_BRANCHES = 4


def primed(symbol: sp.Symbol) -> sp.Symbol:
    """B's copy of a hyperparameter symbol in a map: ``lambda`` -> ``lambda'``."""
    return sp.Symbol(f"{symbol.name}'", **symbol.assumptions0)


def unprimed(symbol: sp.Symbol) -> sp.Symbol:
    """The hyperparameter symbol a primed one stands for: ``lambda'`` -> ``lambda``."""
    return sp.Symbol(symbol.name.removesuffix("'"), **symbol.assumptions0)


def step_conditions(
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


def identity_map(da: Dynamics, db: Dynamics) -> dict[sp.Symbol, sp.Expr] | None:
    """B's states matched to A's by name, when every state of B has a twin in A."""
    by_name = {s.name: s for s in da.states}
    twins = {s: by_name.get(s.name.removesuffix(db.suffix)) for s in db.states}
    return None if None in twins.values() else twins


def _unknown_state_map(
    da: Dynamics, db: Dynamics, scaled: bool = False
) -> tuple[dict[sp.Symbol, sp.Expr], list[sp.Symbol], dict[sp.Symbol, sp.Expr]] | None:
    r"""B's states as unknown linear combinations of A's states and ``w`` when both optimizers are
    linear in their states; else the by-name map, if there is one — with an unknown positive
    factor per state when ``scaled`` (a loss scaled by :math:`\kappa` scales Adam's
    :math:`m` by :math:`\kappa` and :math:`v` by :math:`\kappa^2`). Also the value each unknown
    takes when the conditions leave it open."""
    if not (da.linear_in_states and db.linear_in_states):
        twins = identity_map(da, db)
        if twins is None:
            return None
        if not scaled:
            return dict(twins), [], {}
        factors = {sb: sp.Symbol(f"k_{i}", positive=True) for i, sb in enumerate(db.states)}
        phi = {sb: factors[sb] * twin for sb, twin in twins.items()}
        return phi, list(factors.values()), {k: sp.S.One for k in factors.values()}
    phi, unknowns = {}, []
    for i, sb in enumerate(db.states):
        terms = [sp.Symbol(f"k_{i}_{j}") for j in range(len(da.states) + 1)]
        unknowns += terms
        phi[sb] = sum((c * s for c, s in zip(terms, (*da.states, PARAM), strict=True)), sp.S.Zero)
    return phi, unknowns, {k: sp.S.Zero for k in unknowns}


def solve_maps(
    da: Dynamics,
    db: Dynamics,
    free: dict[sp.Symbol, tuple[sp.Symbol, sp.Expr]],
    rng: random.Random,
    *,
    scaled: bool = False,
) -> list[tuple[dict, dict]]:
    """Candidate maps (B's state map, B's free hyperparameters) solved from the conditions at
    sampled points (``free``: symbol -> (unknown, value if left free); ``scaled``: see
    :func:`_unknown_state_map`); none when the sampled (necessary) conditions have no
    solution."""
    candidate = _unknown_state_map(da, db, scaled)
    if candidate is None:
        return []
    phi, coefficients, open_values = candidate
    unknown_hyper = {k: unknown for k, (unknown, _) in free.items()}
    unknowns = coefficients + list(unknown_hyper.values())
    conditions = step_conditions(da, db, phi, unknown_hyper)
    variables = [PARAM, GRAD, STEP, SCHEDULE, PREVIOUS_SCHEDULE, *da.states]
    linear = da.linear_in_states and db.linear_in_states
    dense = len(unknowns) + 2 if linear else (2 if scaled else 0)
    equations = []
    for point in _points(variables, dense, rng):
        for condition in conditions:
            check()
            equation = sp.expand(condition.xreplace(point))
            if equation != 0 and defined(equation):  # a point where the rule is 0/0 says nothing
                equations.append(equation)
    defaults = {**open_values, **dict(free.values())}
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
        {v: (random_value(v, rng) if v in scalars else sp.S.Zero) for v in variables}
        for _ in range(2)
    ]
    resting = [
        {v: (sp.S.Zero if v == GRAD else random_value(v, rng)) for v in variables} for _ in range(2)
    ]
    return sparse + resting + [{v: random_value(v, rng) for v in variables} for _ in range(count)]


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

    Every solution of an equation opens a branch (at most :data:`MAX_BRANCHES` are followed); an
    equation that the values found so far satisfy identically keeps the branch as it is (SymPy's
    ``solve`` finds no solution of an identity). A branch is refuted when a value becomes
    infinite, when an equation left without open unknowns is not 0 at a random point (a
    contradiction, for generic hyperparameters), or when an equation has no solution for any
    open unknown. Open unknowns take their ``defaults`` (a
    hyperparameter unchanged, a state coefficient 0), also when SymPy cannot solve an equation
    (e.g. ``Max`` of an unknown); the caller proves each candidate against every condition.
    """
    branches: list[dict[sp.Symbol, sp.Expr]] = [{}]
    for equation in sorted(dict.fromkeys(equations), key=sp.count_ops):
        grown = []
        for solved in branches:
            check()
            remaining = equation.xreplace(solved)
            open_unknowns = [u for u in unknowns if u not in solved and remaining.has(u)]
            if not open_unknowns:
                if not nonzero_somewhere(remaining, rng):
                    grown.append(solved)
                continue
            if is_zero(remaining, rng):  # satisfied by the values found so far, whatever the rest
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


def forced_values(
    da: Dynamics,
    db: Dynamics,
    symbol: sp.Symbol,
    others: dict[sp.Symbol, sp.Expr],
    rng: random.Random,
) -> list[tuple[dict, sp.Expr]]:
    """Values B's hyperparameter ``symbol`` must take for the parameter updates to agree (states
    matched by name, B's ``others`` free hyperparameters at the given values, A's) at two exact
    points that differ in the step count: unequal values prove that no constant value works
    with everything else equal."""
    twins = identity_map(da, db)
    if twins is None:
        return []
    unknown = primed(symbol)
    condition = step_conditions(da, db, dict(twins), {**others, symbol: unknown})[0]
    variables = sorted(condition.free_symbols - {unknown}, key=lambda v: v.name)
    forced = []
    for t in (2, 3):  # states matched by name
        check()
        point = {v: random_value(v, rng) for v in variables} | {STEP: sp.Integer(t)}
        try:  # as dicts: without, SymPy gives some solutions as tuples, (value,) for value
            solutions = sp.solve(condition.xreplace(point), unknown, dict=True)
        except (NotImplementedError, TypeError):  # as in solve_for_one: nothing forced this way
            return []
        values = [s[unknown] for s in solutions if unknown in s]
        if len(values) != 1 or len(solutions) != 1:
            return []
        forced.append((point, values[0]))
    return forced


def free_hyperparameters(a: Optimizer, b: Optimizer) -> dict[sp.Symbol, tuple[sp.Symbol, sp.Expr]]:
    """B's symbolic hyperparameters in the mappable roles, each with a primed unknown and the
    value it takes when the conditions leave it free: A's value for the same role."""
    unknown = {}
    for role in MAPPABLE_ROLES:
        symbol = ROLES[role].symbol
        value = b.symbols.get(symbol)
        if value is not None and value.is_Symbol:  # an expression of others is not free
            unknown[value] = (
                primed(value),
                a.symbols.get(symbol, value),
            )
    return unknown
