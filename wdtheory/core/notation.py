r"""The shared notation: every symbol more than one module speaks of, defined once.

SymPy tells symbols apart by name *and* assumptions: ``Symbol("lambda", positive=True)`` and
``Symbol("lambda", nonnegative=True)`` print alike but are different objects, so an expression
built with one silently fails to equal one built with the other. Every module therefore takes
these symbols from here, and no other module constructs a symbol with one of these names (a test
enforces it). Symbols that belong to one concept only — the states of a transformation, the bound
variables of one derivation — live with their owner and are imported from it.

=====================  ==============  ===================================================
symbol                 printed         meaning
=====================  ==============  ===================================================
:data:`N`, :data:`D`   n, d            examples and features of a data set
:data:`BATCH_SIZE`     :math:`|B|`     examples in a minibatch
:data:`ETA`            η               learning rate (step size)
:data:`LAMBDA`         λ               weight decay / L2 strength
:data:`LAMBDA_1`, 2    λ₁, λ₂          elastic-net strengths (L1, L2)
:data:`MU`, :data:`TAU` μ, τ           momentum and dampening
:data:`BETA_1`, 2      β₁, β₂          decay rates of Adam's moments (Lion's interpolations)
:data:`EPSILON`        ε               offset of a denominator (outside the root)
:data:`EPSILON_ROOT`   ε_root          offset inside the root (optax)
:data:`ALPHA`          α               RMSprop's smoothing; scikit-learn's penalty strength
:data:`LR_DECAY`       lr_decay        Adagrad's learning-rate decay per step
:data:`G_0`            G₀              Adagrad's initial accumulator
:data:`PARAM`          w               one coordinate of the parameters, before the step
:data:`GRAD`           g               its gradient
:data:`STEP`           t               the step count after this step's increment (1 first)
:data:`SCHEDULE`       s_t             the learning-rate schedule multiplier of this step
:data:`START`          w₀              the parameter before the first step
=====================  ==============  ===================================================

Hyperparameters that must lie in [0, 1) or [0, ∞) are *nonnegative* (a symbol may stand for 0);
the learning rate and the schedule multiplier are *positive*.
"""

from __future__ import annotations

import sympy as sp

__all__ = [
    "ALPHA",
    "BATCH_SIZE",
    "BETA_1",
    "BETA_2",
    "CURVATURE",
    "EPSILON",
    "EPSILON_ROOT",
    "ETA",
    "GRAD",
    "G_0",
    "KAPPA",
    "LAMBDA",
    "LAMBDA_1",
    "LAMBDA_2",
    "LR_DECAY",
    "MINIMUM",
    "MU",
    "PARAM",
    "SCHEDULE",
    "START",
    "STEP",
    "TAU",
    "D",
    "N",
]

N = sp.Symbol("n", integer=True, positive=True)
D = sp.Symbol("d", integer=True, positive=True)
#: :math:`|\mathcal{B}|`, the number of examples in a minibatch.
BATCH_SIZE = sp.Symbol("B", integer=True, positive=True)

ETA = sp.Symbol("eta", positive=True)
LAMBDA = sp.Symbol("lambda", nonnegative=True)
LAMBDA_1 = sp.Symbol("lambda_1", nonnegative=True)
LAMBDA_2 = sp.Symbol("lambda_2", nonnegative=True)
MU = sp.Symbol("mu", nonnegative=True)
TAU = sp.Symbol("tau", nonnegative=True)
BETA_1 = sp.Symbol("beta_1", nonnegative=True)
BETA_2 = sp.Symbol("beta_2", nonnegative=True)
EPSILON = sp.Symbol("epsilon", nonnegative=True)
EPSILON_ROOT = sp.Symbol("epsilon_root", nonnegative=True)
ALPHA = sp.Symbol("alpha", nonnegative=True)
LR_DECAY = sp.Symbol("lr_decay", nonnegative=True)
G_0 = sp.Symbol("G_0", nonnegative=True)
#: the constant the loss, hence the gradient, is multiplied by (mixed-precision loss scaling
#: left in the gradient, a sum instead of a mean)
KAPPA = sp.Symbol("kappa", positive=True)

#: the parameter (one coordinate) before the step, and its gradient
PARAM = sp.Symbol("w", real=True)
GRAD = sp.Symbol("g", real=True)
#: the step count after this step's increment: 1 on the first step
STEP = sp.Symbol("t", integer=True, positive=True)
#: the learning-rate schedule multiplier of this step (1 without a schedule)
SCHEDULE = sp.Symbol("s_t", positive=True)
#: the parameter before the first step
START = sp.Symbol("w_0", real=True)
#: the quadratic loss f(w) = h/2 (w - w_min)^2 whose gradients comparisons also unroll (named
#: apart from every state and temporary of the rules)
CURVATURE = sp.Symbol("h", positive=True)
MINIMUM = sp.Symbol("w_min", real=True)
