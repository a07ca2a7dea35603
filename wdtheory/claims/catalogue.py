"""The claims catalogue, as data: every claim with its statement, its source (the seed
documents, the design notes, the libraries), the verdict expected and the check that derives one.

Add a claim by appending a :class:`~wdtheory.claims.engine.Claim` here and writing its check in
the module of the engine it uses (:mod:`~wdtheory.claims.optimizer_checks`,
:mod:`~wdtheory.claims.problem_checks`, :mod:`~wdtheory.claims.numeric_checks`). A check returns
:class:`~wdtheory.claims.engine.Evidence` whose verdict it computed; ``wdtheory verify`` fails
when it disagrees with the expected one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from wdtheory.claims import numeric_checks as numeric
from wdtheory.claims import optimizer_checks as optimizer
from wdtheory.claims import problem_checks as problem
from wdtheory.claims.engine import Claim, ClaimVerdict, Evidence, EvidenceKind, Result, verify

__all__ = ["CLAIMS", "verify_all"]

TRUE, FALSE, CONDITIONAL, NOT_CHECKABLE = (
    ClaimVerdict.TRUE,
    ClaimVerdict.FALSE,
    ClaimVerdict.CONDITIONAL,
    ClaimVerdict.NOT_CHECKABLE,
)


def _not_checkable(reason: str) -> Callable[[], Evidence]:
    """A check for a statement outside this theory: the evidence says why."""
    return lambda: Evidence(NOT_CHECKABLE, (EvidenceKind.SCOPE,), reason)


_S0, _S1, _S2 = "seed 000 (slides)", "seed 001 (notes)", "seed 002 (d2l guide)"

CLAIMS: tuple[Claim, ...] = (
    Claim(
        "sgd-l2-equals-weight-decay",
        "For plain SGD, L2 regularisation and (decoupled) weight decay are the "
        "same update, with or without a learning-rate schedule.",
        "design notes; seed 001; seed 002",
        TRUE,
        optimizer.sgd_equivalence,
    ),
    Claim(
        "paper-independent-decay-map",
        "The paper's independent decay equals the libraries' decoupled decay with "
        "lambda_paper = eta * lambda_library, under any learning-rate schedule, for AdamW and for "
        "SGDW without momentum; with momentum the paper's SGDW (whose momentum sums steps "
        "already scaled by the schedule) first differs from SGDW by a term that is 0 while the "
        "schedule is constant.",
        "design notes; Loshchilov & Hutter",
        TRUE,
        optimizer.paper_map,
    ),
    Claim(
        "momentum-l2-differs",
        "With momentum (heavy ball, Nesterov or EMA), L2 and decoupled decay differ; the "
        "first difference is exact.",
        "seed 001",
        TRUE,
        optimizer.momentum_differs,
    ),
    Claim(
        "adam-l2-differs",
        "With Adam, L2 regularisation and decoupled weight decay (AdamW) differ from the first "
        "step.",
        "seed 001",
        TRUE,
        optimizer.adam_differs,
    ),
    Claim(
        "keras-velocity",
        "Keras' SGD velocity is -lr times PyTorch's momentum buffer: the same algorithm without "
        "weight decay at a constant learning rate; under a schedule they differ from step 2 "
        "(Keras' velocity holds steps taken with past learning rates).",
        "keras/src/optimizers/sgd.py",
        TRUE,
        optimizer.keras_velocity,
    ),
    Claim(
        "l2-fixed-points-are-ridge",
        "With L2 added to the gradient (SGD with momentum, Adam, RMSprop, Adagrad, Lion), "
        "the optimizer's rest point is the ridge solution with the same lambda (Lion, whose "
        "steps have a fixed size, ends within a few steps of it).",
        "design notes",
        TRUE,
        optimizer.fixed_points_ridge,
    ),
    Claim(
        "decoupled-fixed-points",
        "Decoupled decay with momentum stops at a ridge solution with a rescaled "
        "lambda. AdamW's rest point is no ridge solution in general: in one dimension it is "
        "ridge(lambda) for some lambda >= 0 (as every point between 0 and the least-squares "
        "solution is), but with several coordinates of different curvature it can lie off the "
        "whole ridge path.",
        "design notes",
        TRUE,
        optimizer.fixed_points_decoupled,
    ),
    Claim(
        "zero-start-ema-momentum",
        "Momentum as an exponential moving average from zero (b <- mu b + (1 - mu) g, b = 0, as "
        "optax's ema without debiasing) is, with L2 decay, heavy-ball momentum with the learning "
        "rate multiplied by 1 - mu (found in both directions), not PyTorch's dampened momentum (which copies g on "
        "step 1); with it, L2 and decoupled decay differ as with heavy ball.",
        "users' questions",
        TRUE,
        optimizer.zero_start_ema,
    ),
    Claim(
        "nesterov-dampening",
        "Nesterov momentum with dampening (which torch.optim.SGD refuses) is a different rule "
        "from undampened Nesterov (they first differ at step 2; no learning-rate or decay map "
        "was found), and under it L2 and decoupled decay still differ.",
        "users' questions",
        TRUE,
        optimizer.nesterov_dampening,
    ),
    Claim(
        "loss-scaling",
        "Scaling the loss by kappa (a loss scale left in the gradient, a sum instead of a mean) "
        "divides Adam + L2's effective lambda and epsilon by kappa, but leaves AdamW's weight "
        "decay as it is (only epsilon becomes epsilon/kappa); Adam + L2 stays different from "
        "AdamW.",
        "users' questions",
        TRUE,
        optimizer.loss_scaling,
    ),
    Claim(
        "framework-conversions",
        "PyTorch AdamW is optax adamw; Keras Adam is not PyTorch Adam (no constant epsilon maps "
        "one to the other; they differ only where epsilon enters); PyTorch SGD+momentum with "
        "weight_decay is no Keras optimizer, but Keras SGD with an L2 kernel regularizer of "
        "weight_decay/2.",
        "library sources",
        TRUE,
        optimizer.conversions,
    ),
    Claim(
        "library-conventions",
        "Keras l2(c) equals PyTorch weight_decay = 2c; scikit-learn Ridge alpha = n*lambda, "
        "Lasso alpha = lambda_1, ElasticNet alpha = l1 + l2.",
        "library sources",
        TRUE,
        problem.library_conventions,
    ),
    Claim(
        "l1-prox-zeros",
        "The proximal L1 step sets weights exactly to zero; subgradient steps do not.",
        "design notes",
        TRUE,
        problem.l1_zeros,
    ),
    Claim(
        "ridge-is-gd-limit",
        "The ridge closed form is the limit of gradient descent with weight decay.",
        "design notes",
        TRUE,
        optimizer.ridge_gd_limit,
    ),
    Claim(
        "early-stopping-filter",
        "Early-stopped gradient descent is a spectral filter like ridge's shrinkage.",
        "design notes",
        TRUE,
        optimizer.early_stopping,
    ),
    Claim(
        "s0-half-simplifies",
        "We need the 1/2 to simplify the derivative of the quadratic penalty.",
        _S0,
        CONDITIONAL,
        problem.half_convenience,
    ),
    Claim(
        "s0-squared-norm",
        "||w||^2 is preferable to ||w|| because its derivative is easy: the sum of derivatives "
        "equals the derivative of the sum.",
        _S0,
        CONDITIONAL,
        problem.squared_norm,
    ),
    Claim(
        "s0-lambda",
        "lambda = 0 recovers the original loss; lambda > 0 restricts ||w||.",
        _S0,
        TRUE,
        problem.lambda_zero_and_norm,
    ),
    Claim(
        "s0-l2-spreads-l1-selects",
        "L2 spreads weight evenly across features; L1 concentrates weights on a few "
        "and clears the others to zero.",
        f"{_S0}; {_S2}",
        TRUE,
        numeric.spread_vs_select,
    ),
    Claim(
        "s0-l1-feature-selection",
        "L1 penalties clear weights to zero, giving feature selection.",
        f"{_S0}; {_S1}",
        CONDITIONAL,
        problem.l1_feature_selection,
    ),
    Claim(
        "s0-sgd-update",
        "Minibatch SGD with weight decay: w <- (1 - eta*lambda) w - eta/|B| sum x (w.x + b - y).",
        f"{_S0}; {_S2}",
        TRUE,
        problem.sgd_update_formula,
    ),
    Claim(
        "s0-decay-name",
        "Given the penalty alone, the optimizer decays the weight at each step (hence the name).",
        _S0,
        TRUE,
        optimizer.decay_name,
    ),
    Claim(
        "s0-any-model",
        "Weight decay works for any differentiable model, classification included.",
        _S0,
        TRUE,
        problem.any_model,
    ),
    Claim(
        "s0-normalise",
        "Weight decay can hurt when features have different scales: normalise first.",
        _S0,
        TRUE,
        numeric.normalise_features,
    ),
    Claim(
        "s0-bias", "Do not regularise the bias term.", f"{_S0}; {_S2}", TRUE, numeric.bias_penalty
    ),
    Claim(
        "s0-decoupling-tuning",
        "Decoupling weight decay is likely not necessary; it just eases hyperparameter tuning.",
        _S0,
        CONDITIONAL,
        optimizer.decoupling_only_tuning,
    ),
    Claim(
        "s0-mechanisms",
        "There are three mechanisms of weight decay in deep learning (regularisation with "
        "stochastic noise, optimisation of the training loss, stability of low-precision training); WD is rarely "
        "useful as an explicit regulariser in modern deep learning.",
        _S0,
        NOT_CHECKABLE,
        _not_checkable(
            "statements about deep networks; nothing in this linear, per-coordinate theory can settle "
            "them (the modern-view report page simulates the equilibrium mechanism)"
        ),
    ),
    Claim(
        "s1-two-types",
        "There are two types of weight decay: L1 and L2 regularisation.",
        _S1,
        FALSE,
        problem.two_types,
    ),
    Claim(
        "s1-l1-half",
        "In wd*|w|.sum()/2 the /2 simplifies the derivative.",
        _S1,
        FALSE,
        problem.l1_half,
    ),
    Claim(
        "s1-l2-not-zero",
        "L2 drives weights close to 0 but not to 0.",
        _S1,
        TRUE,
        numeric.l2_not_zero,
    ),
    Claim(
        "s1-l2-always-improves",
        "L2 regularisation always improves generalisation in linear models.",
        _S1,
        FALSE,
        numeric.always_improves,
    ),
    Claim(
        "s1-l2-derivative",
        "The derivative of wd*w^2 is 2*wd*w; with the /2 it is wd*w.",
        _S1,
        TRUE,
        problem.l2_derivatives,
    ),
    Claim(
        "s1-libraries-add-to-gradient",
        "Libraries implement weight decay by adding wd*w to the gradients.",
        _S1,
        CONDITIONAL,
        optimizer.libraries_add_to_gradient,
    ),
    Claim(
        "s1-vanilla-only",
        "L2 and weight decay are the same only for vanilla SGD; they differ with momentum or Adam.",
        _S1,
        TRUE,
        optimizer.vanilla_only,
    ),
    Claim(
        "s1-ema-part",
        "With L2 and an EMA momentum, the part taken from w is lr*(1-alpha)*wd*w plus a "
        "combination of previous weights.",
        _S1,
        TRUE,
        optimizer.ema_decay_part,
    ),
    Claim(
        "s2-monomials",
        "For k variables the number of monomials of degree d is C(k-1+d, k-1).",
        _S2,
        TRUE,
        problem.monomials,
    ),
    Claim(
        "s2-weight-decay-is-l2",
        "Weight decay is also known as L2 regularisation.",
        _S2,
        CONDITIONAL,
        optimizer.weight_decay_is_l2,
    ),
    Claim(
        "s2-overfitting",
        "With lambda = 0 training error falls but validation error stays high; with lambda = 3 "
        "training error rises slightly and validation error falls.",
        _S2,
        TRUE,
        numeric.overfitting,
    ),
    Claim(
        "s2-concise",
        "The concise implementation (weight decay in the framework) gives results similar to the "
        "scratch one.",
        _S2,
        CONDITIONAL,
        numeric.concise_matches_scratch,
    ),
    Claim(
        "s2-lambda-tradeoff",
        "Too small a lambda under-regularises, too large underfits: tune it on validation.",
        _S2,
        TRUE,
        numeric.lambda_tradeoff,
    ),
)


def verify_all(claims: Sequence[Claim] = CLAIMS) -> list[Result]:
    """Run every claim's check (the whole catalogue by default), in order, and time it."""
    return verify(claims)
