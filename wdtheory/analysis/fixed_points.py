r"""Where an optimizer stops: its stationary points on regularised least squares.

On the full-batch least-squares loss :math:`f(\mathbf{w}) = \frac{1}{2n}\|X\mathbf{w} - \mathbf{y}\|^2`
the gradient is :math:`\mathbf{g} = H\mathbf{w} - \mathbf{c}` (:math:`H = X^\top X/n`). Every optimizer
here acts coordinate by coordinate, so a fixed point — parameters and states unchanged by a step,
after the bias corrections have died out (:math:`\beta^t \to 0`) and with a constant schedule —
is where each coordinate satisfies a condition :math:`R(w_i, g_i) = 0`. :func:`fixed_point`
derives it: SymPy solves the equations "state = new state, parameter = new parameter" for the
states and the gradient. If the solution is :math:`g = -\lambda_{\mathrm{eff}}\,w` with
:math:`\lambda_{\mathrm{eff}}` free of :math:`w`, the fixed point solves
:math:`(H + \lambda_{\mathrm{eff}} I)\mathbf{w} = \mathbf{c}`: **ridge with**
:math:`\lambda_{\mathrm{eff}}` (d2l's :math:`\frac{\lambda}{2}\|\mathbf{w}\|^2` convention). Otherwise it
is **not a ridge solution**; :func:`ridge_distance` then shows it numerically by running the
lowered optimizer to convergence and measuring how far the result is from the whole ridge path.

With a time budget (``fixed_point(..., budget=seconds)``, see :mod:`wdtheory.analysis.budget`)
that runs out before SymPy has solved the conditions, the answer is undecided — neither ridge
nor not ridge: ``FixedPoint.overrun`` says what was still being solved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from wdtheory.analysis.budget import OutOfTime, Overrun, searching, within
from wdtheory.analysis.display import Shown
from wdtheory.analysis.exact import readable
from wdtheory.core.derivation import Derivation
from wdtheory.core.notation import GRAD, PARAM, STEP
from wdtheory.optim.dynamics import Dynamics
from wdtheory.optim.optimizer import Optimizer
from wdtheory.runtime.stepper import Stepper

__all__ = ["FixedPoint", "fixed_point", "ridge_distance", "run_to_convergence"]


@dataclass(frozen=True)
class FixedPoint(Shown):
    """The stationarity condition of an optimizer.

    ``gradient``: the gradient at a fixed point as a function of the parameter (None if SymPy
    finds no unique one); ``ridge_strength``: :math:`\\lambda_{\\mathrm{eff}}` when the fixed point
    is a ridge solution, else None; ``states``: the states at the fixed point; ``conditions``: the
    equations solved; ``history``: states the rest conditions leave free, each with the value it
    bounds from above (AMSGrad's running maximum :math:`\\hat v \\ge v`: where the optimizer stops
    depends on the largest :math:`v` the run reached, so the gradient at rest may depend on it);
    ``overrun``: when the time budget ran out before the conditions were solved (then
    ``decided`` is False, and the answer is neither ridge nor not ridge).
    """

    optimizer: Optimizer
    gradient: sp.Expr | None
    ridge_strength: sp.Expr | None
    states: dict[sp.Symbol, sp.Expr]
    conditions: tuple[sp.Expr, ...]
    history: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    overrun: Overrun | None = None

    @property
    def decided(self) -> bool:
        """Whether the conditions were solved (ridge or not): False when the budget ran out."""
        return self.overrun is None

    def __repr__(self) -> str:
        return f"FixedPoint({self.optimizer.text}: {self.summary})"

    def explain(self) -> Derivation:
        from wdtheory.analysis.explain import explain_fixed_point

        return explain_fixed_point(self)

    @property
    def is_ridge(self) -> bool:
        return self.ridge_strength is not None

    @property
    def summary(self) -> str:
        if self.overrun is not None:
            return f"undecided: {self.overrun.sentence}"
        if self.is_ridge:
            return f"ridge with lambda_eff = {sp.sstr(self.ridge_strength)}"
        if self.gradient is None:
            return "not a ridge solution: the stationarity conditions have no unique solution for g"
        free = self.gradient.free_symbols & set(self.history)
        where = "".join(
            f", where {s.name} >= {sp.sstr(self.history[s])} is the running maximum the run "
            "reached (history-dependent)"
            for s in sorted(free, key=lambda s: s.name)
        )
        return f"not a ridge solution: at a fixed point g = {sp.sstr(self.gradient)}{where}"


def _long_run(expr: sp.Expr) -> sp.Expr:
    """The map after the bias corrections have died out: :math:`\\beta^t \\to 0`."""
    return expr.replace(lambda e: e.is_Pow and e.exp == STEP, lambda e: sp.S.Zero)


def _settled_max(
    expr: sp.Expr, states: tuple[sp.Symbol, ...], maxima: dict[sp.Symbol, sp.Expr]
) -> sp.Expr:
    r"""AMSGrad's running maximum at rest: :math:`\max(\hat v, v) = \hat v` with
    :math:`\hat v \ge v` — the largest value the run reached, which the rest conditions do not
    fix (it depends on the history). ``maxima`` collects each such state with the value it
    bounds. A soft threshold :math:`\max(|x| - c, 0)` (the proximal L1 step) is taken above its
    threshold: a rest point :math:`w \ne 0` keeps its magnitude, so it is not clipped to 0."""

    def old_maximum(e: sp.Max) -> sp.Expr:
        state, *others = sorted(e.args, key=lambda a: a not in states)
        maxima[state] = others[0] if len(others) == 1 else sp.Max(*others)
        return state

    def is_running_maximum(e: sp.Basic) -> bool:
        return isinstance(e, sp.Max) and any(a in states for a in e.args)

    def is_threshold(e: sp.Basic) -> bool:
        return isinstance(e, sp.Max) and len(e.args) == 2 and sp.S.Zero in e.args

    def active(e: sp.Max) -> sp.Expr:  # the part above the threshold
        return next(a for a in e.args if a != 0)

    return expr.replace(is_running_maximum, old_maximum).replace(is_threshold, active)


def _gradient_at_rest(
    conditions: list[sp.Expr], unknowns: list[sp.Symbol]
) -> tuple[sp.Expr, dict] | None:
    """The unique gradient (and states) solving the conditions, if SymPy finds exactly one.

    The state equations are solved one by one, each for its own state (``a = αa + (1-α)u²``
    gives ``a = u²``), substituting as it goes; an equation that does not fix its state (Adagrad's
    ``G = G + u²``) stays as a condition on the gradient, solved with the parameter's equation.
    """
    *state_conditions, param_condition = conditions
    states: dict[sp.Symbol, sp.Expr] = {}
    remaining = [param_condition]
    try:
        for state, condition in zip(unknowns[:-1], state_conditions, strict=True):
            solutions = sp.solve(condition.xreplace(states), state, dict=True)
            if len(solutions) == 1:
                states = {k: v.xreplace({state: solutions[0][state]}) for k, v in states.items()}
                states[state] = solutions[0][state]
            else:
                remaining.append(condition)
        remaining = [sp.simplify(_vanishing_factor(c.xreplace(states))) for c in remaining]
        equations = (
            remaining[0] if len(remaining) == 1 else remaining
        )  # one equation solves better alone
        solutions = sp.solve(equations, GRAD, dict=True)
    except (NotImplementedError, AttributeError, TypeError):  # e.g. sign(...) = ... (Lion)
        return None
    # SymPy writes a solution that exists only under a condition (e.g. |λw| < 1 for AdamW) as a
    # Piecewise with nan elsewhere: use an unconditional solution if there is one, else the
    # condition's solution
    values = [s[GRAD] for s in solutions if GRAD in s]
    unconditional = {sp.simplify(v) for v in values if not v.has(sp.nan)}
    conditional = {
        sp.simplify(v.args[0].expr)
        for v in values
        if isinstance(v, sp.Piecewise) and v.has(sp.nan) and _can_hold(v.args[0].cond)
    }
    gradients = unconditional or conditional
    if len(gradients) != 1:
        return None
    (gradient,) = gradients
    return gradient, {k: sp.simplify(v.xreplace({GRAD: gradient})) for k, v in states.items()}


def _vanishing_factor(condition: sp.Expr) -> sp.Expr:
    r"""An expression that vanishes exactly where ``condition`` does, with the factors SymPy cannot
    solve through taken off: nonzero constants dropped, and :math:`\operatorname{sign}(e)` and
    :math:`|e|` replaced by :math:`e` (for real :math:`e` each is zero iff :math:`e` is). Lion's
    coupled rest condition :math:`-\eta\,\operatorname{sign}(g + \lambda w) = 0` becomes
    :math:`g + \lambda w = 0`. A sum is left as it is: :math:`\operatorname{sign}(u) + \lambda w`
    vanishes only where :math:`\lambda w \in \{-1, 0, 1\}`, which is no general rest point."""
    factors = sp.Mul.make_args(sp.factor_terms(condition))
    kept = [
        f.args[0] if isinstance(f, (sp.sign, sp.Abs)) else f
        for f in factors
        if not (f.is_number and f.is_nonzero)
    ]
    return sp.Mul(*kept)


def _can_hold(condition: sp.Basic) -> bool:
    """Whether a condition on positive quantities holds at one of a few sample points (a
    solution that needs, say, λ = 0 is not a fixed point of the general rule)."""
    symbols = sorted(condition.free_symbols, key=lambda s: s.name)
    return any(
        bool(
            condition.xreplace({s: sp.Rational(k + i, 7 + 3 * i) for k, s in enumerate(symbols, 1)})
        )
        for i in range(4)
    )


def fixed_point(optimizer: Optimizer, *, budget: float | None = None) -> FixedPoint:
    r"""Derive the optimizer's fixed points on least squares (see the module doc).

    Absolute values and signs make SymPy's solutions depend on the sign of :math:`w`, so the
    conditions are solved for :math:`w = p` and :math:`w = -p` with :math:`p > 0` separately;
    the fixed point is ridge only if both give :math:`g = -\lambda_{\mathrm{eff}} w` with the same
    :math:`\lambda_{\mathrm{eff}}`. ``budget``: at most this many seconds (None: no limit), else
    undecided (``overrun``), with the conditions derived so far.
    """
    conditions: list[sp.Expr] = []
    try:
        with within(budget):
            return _fixed_point(optimizer, conditions)
    except OutOfTime as out:
        return FixedPoint(optimizer, None, None, {}, tuple(conditions), overrun=out.overrun)


def _fixed_point(optimizer: Optimizer, conditions: list[sp.Expr]) -> FixedPoint:
    """:func:`fixed_point`, putting the conditions in ``conditions`` once they are derived."""
    dynamics = Dynamics(optimizer)
    maxima: dict[sp.Symbol, sp.Expr] = {}
    step = {
        k: _settled_max(_long_run(v), dynamics.states, maxima)
        for k, v in dynamics.step_map(False).items()
    }
    held = [s for s in dynamics.states if s not in maxima]  # a running maximum holds itself
    # each maximum bounds a state's new value, which at rest is that state
    maxima = {k: next((s for s in held if step[s] == v), v) for k, v in maxima.items()}
    conditions += [step[s] - s for s in held] + [step[PARAM] - PARAM]
    unknowns = [*held, GRAD]
    magnitude = sp.Symbol("p", positive=True)
    cases = []
    for sign, where in ((1, "w > 0"), (-1, "w < 0")):
        with searching(f"solving the stationarity conditions for {where}"):
            at = [c.xreplace({PARAM: sign * magnitude}) for c in conditions]
            cases.append(_gradient_at_rest(at, unknowns))
    if None in cases:
        return FixedPoint(optimizer, None, None, {}, tuple(conditions), maxima)
    (positive, states), (negative, _) = cases
    gradient = sp.Piecewise(
        (positive.xreplace({magnitude: PARAM}), PARAM > 0),
        (negative.xreplace({magnitude: -PARAM}), True),
    )
    with searching("simplifying the effective ridge strength"):
        strengths = {sp.simplify(-positive / magnitude), sp.simplify(negative / magnitude)}
    strength = strengths.pop() if len(strengths) == 1 else None
    ridge = (
        strength
        if strength is not None
        and not strength.free_symbols & {magnitude, GRAD, STEP, *dynamics.states}
        else None
    )
    if ridge is not None:
        ridge = readable(ridge)
        gradient = -ridge * PARAM
    states = {k: v.xreplace({magnitude: PARAM}) for k, v in states.items()}
    return FixedPoint(optimizer, gradient, ridge, states, tuple(conditions), maxima)


def run_to_convergence(
    optimizer: Optimizer,
    X: np.ndarray,
    y: np.ndarray,
    *,
    steps: int = 20000,
    values: dict[str, float] | None = None,
) -> np.ndarray:
    """Full-batch steps of the lowered optimizer on :math:`\\frac{1}{2n}\\|Xw - y\\|^2` from 0."""
    stepper = Stepper(optimizer, "numba", values=values, validate=False)
    w = np.zeros(X.shape[1])
    state = stepper.init(w)
    n = X.shape[0]
    for _ in range(steps):
        grad = X.T @ (X @ w - y) / n
        w, state = stepper.step(w, grad, state)
    return w


def ridge_distance(
    w: np.ndarray, X: np.ndarray, y: np.ndarray, strengths: np.ndarray
) -> tuple[float, float]:
    """The distance from ``w`` to the ridge path (no bias) over ``strengths``, and the closest
    strength: :math:`\\min_\\lambda \\|w - (H + \\lambda I)^{-1}c\\|`."""
    n = X.shape[0]
    hessian, target = X.T @ X / n, X.T @ y / n
    distances = [
        np.linalg.norm(w - np.linalg.solve(hessian + lam * np.eye(len(w)), target))
        for lam in strengths
    ]
    best = int(np.argmin(distances))
    return float(distances[best]), float(strengths[best])
