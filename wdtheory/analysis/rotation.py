r"""Scale-invariant weights under a recipe's decay: the equilibrium angle turned per step.

A weight that feeds a normalisation layer has a scale-invariant loss, so its gradient is
orthogonal to :math:`\mathbf{w}` (see :mod:`wdtheory.analysis.equilibrium`). Where the decay is a
per-step factor :math:`f` on the weight (:func:`~wdtheory.analysis.audit.decay_factor`: decoupled
or independent decay, L2 with plain SGD), one step is :math:`\mathbf{w}' = f\mathbf{w} +
\mathbf{u}` with :math:`\mathbf{u} \perp \mathbf{w}`, and the squared norm follows

.. math:: N' = f^2 N + \|\mathbf{u}\|^2, \qquad \|\mathbf{u}\|^2 = q^2/N \ \text{(SGD: the
    gradient shrinks as the weight grows)} \quad\text{or}\quad q^2 \ \text{(Adam: normalised)}.

:func:`derive_rotation` solves :math:`N' = N` with SymPy for both kinds, derives the angle turned
per step, :math:`\tan\theta^* = \|\mathbf{u}\|/(f\sqrt{N^*})`, proves :math:`\cos\theta^* = f`
for :math:`0 < f < 1` in both (the angle depends on the decay alone, not on the gradient's size),
and derives how fast the norm reaches it: the e-folding time :math:`-1/\ln|\partial N'/\partial N|`
at :math:`N^*`, which differs between the kinds (:math:`f^2` for Adam, :math:`2f^2 - 1` for SGD).

:func:`measure_rotation` runs the lowered rule itself on such gradients (a fresh random direction
orthogonal to :math:`\mathbf{w}`, of norm :math:`1/\|\mathbf{w}\|`, each step) at a constant
learning-rate multiplier and measures the mean angle per step over the run's last tenth, saying
whether it had settled (the tenth before agrees): the check of the derivation, and the only
answer for rules whose decay passes through a state (L2 with momentum), for which no per-step
factor exists. The derivation assumes successive updates uncorrelated; a momentum correlates
them, and each step then turns less (over several steps the turns add up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from wdtheory.core.derivation import Notation, Section, Step
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.transforms import ScaleByAdagrad, ScaleByAdam, ScaleByLion, ScaleByRms, Trace
from wdtheory.runtime.stepper import Stepper

__all__ = [
    "KINDS",
    "Measured",
    "Rotation",
    "correlates_updates",
    "derive_rotation",
    "measure_rotation",
    "settling_steps",
    "start_norm",
    "update_kind",
]

KINDS = ("sgd", "adam")

#: the per-step factor of the decay, the update's scale, the squared norm
F = sp.Symbol("f", positive=True)
Q = sp.Symbol("q", positive=True)
_N = sp.Symbol("N", positive=True)

#: the measuring run: coordinates, the settling time in e-folds of the norm, a cap on its steps,
#: and how close the mean angle of its last tenth must be to the tenth before to call it settled
DIMENSION = 32
SETTLE = 5.0
MAX_STEPS = 50_000
SETTLED = 0.03


@dataclass(frozen=True)
class Rotation:
    """The derived equilibrium for one kind of update: ``angle`` (:math:`\\theta^*` in
    :math:`f`), ``relaxation`` (steps per e-fold of the norm, in :math:`f`) and the derivation."""

    kind: str
    angle: sp.Expr
    relaxation: sp.Expr
    section: Section


@cache
def derive_rotation(kind: str) -> Rotation:
    """The equilibrium of a scale-invariant weight under a per-step decay factor :math:`f` (see
    the module doc), for ``sgd``- or ``adam``-type updates; raises if SymPy cannot prove
    :math:`\\cos\\theta^* = f`."""
    update = Q**2 / _N if kind == "sgd" else Q**2
    recursion = F**2 * _N + update
    sample = {F: sp.Rational(9, 10), Q: 1}  # the root that is positive for 0 < f < 1
    (norm,) = [s for s in sp.solve(sp.Eq(recursion, _N), _N) if s.xreplace(sample).is_positive]
    tangent = sp.simplify(sp.sqrt(update.xreplace({_N: norm})) / (F * sp.sqrt(norm)))
    angle = sp.acos(F)
    # tan(theta*) >= 0, so theta* is in [0, pi/2) and cos(theta*) = 1/sqrt(1 + tan^2)
    if sp.simplify(1 / sp.sqrt(1 + tangent**2) - F) != 0:
        raise AssertionError(f"cos(theta*) = f not proved for {kind}: tan(theta*) = {tangent}")
    slope = sp.simplify(sp.diff(recursion, _N).xreplace({_N: norm}))
    relaxation = -1 / sp.log(sp.Abs(slope))
    steps = (
        Step(Notation("N'", "N'"), recursion, "one step w' = f w + u with u orthogonal to w"),
        Step(Notation("N*", "N^*"), norm, "solved by SymPy: the squared norm at which N' = N"),
        Step(
            Notation("tan theta*", r"\tan\theta^*"),
            tangent,
            "the angle turned per step at the equilibrium, |u| / (f |w|)",
        ),
        Step(
            Notation("theta*", r"\theta^*"),
            angle,
            "proved: cos(theta*) = 1/sqrt(1 + tan^2) = f, whatever the update's scale q",
        ),
        Step(
            Notation("dN'/dN at N*", r"\partial N'/\partial N\,|_{N^*}"),
            slope,
            "how a deviation from N* shrinks per step",
        ),
        Step(
            Notation("tau_N", r"\tau_N"),
            relaxation,
            "steps per e-fold of the norm's distance to N*",
        ),
    )
    intro = (
        "SGD-type update: the gradient has norm q/|w|"
        if kind == "sgd"
        else "Adam-type update: the normalised update has norm q, whatever the scale of w"
    )
    return Rotation(kind, angle, relaxation, Section(f"{kind}: equilibrium angle", steps, intro))


def update_kind(optimizer: Optimizer) -> str:
    """``adam`` for a rule whose step is normalised by a second moment (Adam, RMSprop,
    Adagrad) or a sign (Lion), ``sgd`` otherwise."""
    normalised = (ScaleByAdam, ScaleByRms, ScaleByAdagrad, ScaleByLion)
    return "adam" if any(isinstance(t, normalised) for t in optimizer.chain.transforms) else "sgd"


def settling_steps(relaxation: float) -> int:
    """Steps of the measuring run: :data:`SETTLE` e-folds of the norm, at most
    :data:`MAX_STEPS`, at least 100."""
    return int(min(MAX_STEPS, max(100, math.ceil(SETTLE * relaxation))))


@dataclass(frozen=True)
class Measured:
    """The mean angle per step over the last tenth of a measuring run, and whether it had
    settled: within :data:`SETTLED` of the tenth before."""

    angle: float
    settled: bool


def measure_rotation(
    optimizer: Optimizer, multiplier: float, steps: int, start: float = 1.0, seed: int = 0
) -> Measured:
    """The lowered rule run ``steps`` steps on a scale-invariant weight (see the module doc) at
    the constant learning-rate ``multiplier``, from a random weight of norm ``start`` (the
    derived equilibrium's, where there is one: the run then has less to settle)."""
    rng = np.random.default_rng(seed)
    params = rng.standard_normal(DIMENSION)
    params *= start / np.linalg.norm(params)
    grads = np.zeros(DIMENSION)
    step = Stepper(optimizer.scheduled(), "numba", validate=False).bind(params, grads)
    window = max(1, steps // 10)
    angles = np.empty(steps)
    for t in range(steps):
        direction = rng.standard_normal(DIMENSION)
        squared = params @ params
        direction -= (direction @ params / squared) * params
        grads[:] = direction / (np.linalg.norm(direction) * math.sqrt(squared))
        old = params.copy()
        step(multiplier)
        cosine = old @ params / math.sqrt(squared * (params @ params))
        angles[t] = math.acos(min(1.0, max(-1.0, cosine)))
    last, before = angles[-window:].mean(), angles[-2 * window : -window].mean()
    return Measured(float(last), bool(abs(last - before) <= SETTLED * last))


#: how many times faster than the weight's own the squared norm's distance to its equilibrium
#: shrinks under the decay (the slope of N' at N*: f^2 for Adam-type, 2f^2 - 1 for SGD-type)
NORM_RATE = {"adam": 2.0, "sgd": 4.0}


def start_norm(optimizer: Optimizer, kind: str, multiplier: float, factor: float) -> float:
    r"""The derived equilibrium norm :math:`\sqrt{N^*}` for a measuring run (the gradient's
    norm times the weight's is 1; an Adam-type update's norm taken as
    :math:`\sqrt{\text{DIMENSION}}`, each coordinate normalised): its start."""
    lr = optimizer.role_values.get("lr", sp.S.One)
    q = float(lr) * multiplier * (math.sqrt(DIMENSION) if kind == "adam" else 1.0)
    squared = q / math.sqrt(1 - factor**2) if kind == "sgd" else q**2 / (1 - factor**2)
    return math.sqrt(squared)


def correlates_updates(optimizer: Optimizer) -> bool:
    """Whether the rule's update carries past gradients into this step (a momentum buffer,
    Adam's first moment with :math:`\\beta_1 > 0`, Lion's interpolation), so that successive
    updates are correlated and the derived angle (which assumes they are not) overstates it."""
    for transform in optimizer.chain.transforms:
        if isinstance(transform, Trace | ScaleByLion):
            return True
        if isinstance(transform, ScaleByAdam) and transform.beta1.xreplace(optimizer.symbols) != 0:
            return True
    return False
