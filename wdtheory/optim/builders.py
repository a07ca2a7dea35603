r"""How an optimizer's chain is assembled: its core, where the decay goes, the learning rate.

Every named optimizer is :func:`assemble`\ d from a *core* (momentum, Adam's preconditioner,
RMSprop, Adagrad, Lion) and the library's **decay mode**, which decides where the weight decay
enters the chain (:func:`decay_placement`):

* ``coupled`` (L2 regularisation): :math:`\lambda w` is added to the gradient before the core;
* ``decoupled``: :math:`\lambda w` is added after the core, before the learning-rate scaling, so
  the step subtracts :math:`\eta_t\lambda w` (PyTorch AdamW, optax ``add_decayed_weights``,
  Keras ``weight_decay``);
* ``independent`` (Loshchilov & Hutter's paper): the step subtracts :math:`s_t\lambda w`, after the
  scaling, with :math:`s_t` the schedule multiplier only;
* ``proximal`` (L1 only): after the step, soft-threshold by :math:`\eta_t\lambda`;
* ``none``.

Chains whose momentum holds the *scaled* step (Keras' velocity, the paper's SGDW) put the
learning-rate scaling first; a decoupled decay (Keras) then comes after the core with the factor
:math:`-\eta_t` written out, an independent one (the paper) with :math:`-s_t`. The builders below
are the only places a chain is assembled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy as sp

from wdtheory.core.errors import WdtheoryError
from wdtheory.core.hyperparams import show
from wdtheory.core.notation import (
    ALPHA,
    BETA_1,
    BETA_2,
    EPSILON,
    EPSILON_ROOT,
    ETA,
    G_0,
    KAPPA,
    LAMBDA,
    LR_DECAY,
    MU,
    SCHEDULE,
    STEP,
    TAU,
)
from wdtheory.optim.transforms import (
    AddDecayedWeights,
    AddSignOfWeights,
    ProximalL1,
    Scale,
    ScaleByAdagrad,
    ScaleByAdam,
    ScaleByLion,
    ScaleByRms,
    Trace,
    Transform,
)

__all__ = [
    "ALL_DECAY_MODES",
    "DECAY_MODES",
    "PENALTIES",
    "Flags",
    "Values",
    "assemble",
    "build_adagrad",
    "build_adam",
    "build_generic_sgd",
    "build_keras_adam",
    "build_lion",
    "build_rmsprop",
    "build_sgd",
    "build_trace_sgd",
    "build_velocity_sgd",
    "decay_mode",
    "decay_placement",
    "is_exactly_zero",
    "loss_scaled",
]

DECAY_MODES = ("none", "coupled", "decoupled", "independent", "proximal")
#: every decay mode an optimizer can have: a user's chain may place its decay where none of the
#: named modes do (:func:`wdtheory.optim.compose.placement`)
ALL_DECAY_MODES = (*DECAY_MODES, "other")
PENALTIES = ("l2", "l1")

#: resolved hyperparameter values by role, and switch values by name
Values = Mapping[str, sp.Expr]
Flags = Mapping[str, object]


def is_exactly_zero(value: sp.Expr) -> bool:
    """Whether a hyperparameter value is exactly 0 (a symbol is not)."""
    return value.is_zero is True


def decay_mode(flags: Flags) -> str:
    """The decay mode a set of switches selects (torch.adam has its own boolean for it; a user's
    chain says where its decay sits, :func:`wdtheory.optim.compose.placement`)."""
    if "placement" in flags:
        return str(flags["placement"])
    if "decoupled_weight_decay" in flags:
        return "decoupled" if flags["decoupled_weight_decay"] else "coupled"
    return str(flags.get("decay", "none"))


def learning_rate(flags: Flags) -> sp.Expr:
    r"""The learning rate of this step: :math:`\eta`, or :math:`\eta s_t` with a schedule."""
    return ETA * (SCHEDULE if flags.get("schedule") else 1)


def decay_placement(
    values: Values, flags: Flags, *, scale_first: bool = False
) -> tuple[list[Transform], list[Transform], list[Transform]]:
    """The decay as (before the core, between the core and the lr scaling, after both), for the
    mode the switches select; ``scale_first``: the chain scales by ``-lr`` before its core. A
    decay multiplied by the learning rate takes :func:`learning_rate` (Adagrad's ``lr_decay``
    slows the scaling only)."""
    mode = decay_mode(flags)
    lr = learning_rate(flags)
    if mode == "none" or is_exactly_zero(values.get("weight_decay", sp.S.Zero)):
        return [], [], []
    penalty = flags.get("penalty", "l2")
    if mode == "proximal":
        if penalty != "l1":
            raise WdtheoryError(
                "decay=proximal needs penalty=l1 (the proximal step of the L1 penalty)"
            )
        return [], [], [ProximalL1(lr * LAMBDA)]
    add = AddSignOfWeights if penalty == "l1" else AddDecayedWeights
    if mode == "coupled":
        return [add(LAMBDA)], [], []
    if mode == "decoupled":
        return ([], [], [add(-lr * LAMBDA)]) if scale_first else ([], [add(LAMBDA)], [])
    return [], [], [add(-(SCHEDULE if flags.get("schedule") else 1) * LAMBDA)]


def assemble(
    core: list[Transform],
    values: Values,
    flags: Flags,
    *,
    lr: sp.Expr | None = None,
    scale_first: bool = False,
) -> list[Transform]:
    """``core`` with the decay where its mode puts it and the scaling by ``-lr`` (default: the
    learning rate of this step), first (``scale_first``) or after the core."""
    before, between, after = decay_placement(values, flags, scale_first=scale_first)
    scale = Scale(-(learning_rate(flags) if lr is None else lr), "scale_by_learning_rate")
    if scale_first:
        return [*before, scale, *core, *after]
    return [*before, *core, *between, scale, *after]


def momentum(
    values: Values, flags: Flags, *, copy_first: bool, torch_nesterov: bool = True
) -> list[Transform]:
    """Heavy-ball momentum (none when it is 0); ``copy_first``: PyTorch's first-step rule;
    ``torch_nesterov``: Nesterov only without dampening, as ``torch.optim.SGD`` insists (a
    generic rule need not)."""
    mu = values.get("momentum", sp.S.Zero)
    if is_exactly_zero(mu):
        if flags.get("nesterov"):
            raise WdtheoryError("nesterov=true needs a momentum > 0")
        return []
    dampening = values.get("dampening", sp.S.Zero)
    if torch_nesterov and flags.get("nesterov") and not is_exactly_zero(dampening):
        raise WdtheoryError(
            f"nesterov=true needs dampening=0, got dampening={show(dampening)} (as torch.optim.SGD;"
            " the generic sgd and sgdw allow it)"
        )
    damp = sp.S.Zero if is_exactly_zero(dampening) else TAU
    return [Trace(MU, damp, bool(flags.get("nesterov")), copy_first)]


def adam(values: Values, flags: Flags, *, epsilon_hat: bool = False) -> list[Transform]:
    """Adam's preconditioner (``epsilon_hat``: Keras' ε on the uncorrected root)."""
    root = EPSILON_ROOT if not is_exactly_zero(values.get("eps_root", sp.S.Zero)) else sp.S.Zero
    return [ScaleByAdam(BETA_1, BETA_2, EPSILON, root, bool(flags.get("amsgrad")), epsilon_hat)]


def build_sgd(values: Values, flags: Flags) -> list[Transform]:
    """SGD with PyTorch's momentum (buffer = g on step 1), scaled after the momentum."""
    return assemble(momentum(values, flags, copy_first=True), values, flags)


def build_generic_sgd(values: Values, flags: Flags) -> list[Transform]:
    r"""The generic SGD: PyTorch's momentum, or (``momentum_start=zero``) a buffer that starts
    from 0 and is updated on step 1 like every other step. With ``dampening=momentum`` that is
    the exponential moving average :math:`b \leftarrow \beta b + (1 - \beta) g` from
    :math:`b = 0` (optax ``ema`` without debiasing). Nesterov may be dampened."""
    copy_first = flags.get("momentum_start", "copy") == "copy"
    core = momentum(values, flags, copy_first=copy_first, torch_nesterov=False)
    return assemble(core, values, flags)


def loss_scaled(
    build: Callable[[Values, Flags], list[Transform]], values: Values, flags: Flags
) -> list[Transform]:
    r"""``build``'s chain on the gradient of the loss multiplied by :math:`\kappa`
    (``loss_scale``): :math:`u \leftarrow \kappa g` first, so a coupled decay is added to the
    scaled gradient (nothing when :math:`\kappa = 1`)."""
    scale = values.get("loss_scale", sp.S.One)
    first = [] if scale == 1 else [Scale(KAPPA, "scale_loss")]
    return [*first, *build(values, flags)]


def build_trace_sgd(values: Values, flags: Flags) -> list[Transform]:
    """SGD with optax's ``trace``: momentum from 0, scaled after the momentum."""
    return assemble(momentum(values, flags, copy_first=False), values, flags)


def build_velocity_sgd(values: Values, flags: Flags) -> list[Transform]:
    r"""SGD whose momentum holds the scaled step. Keras ``SGD.update_step``:
    :math:`v \leftarrow \mu v - \eta g`, :math:`w \leftarrow w + v` (Nesterov: :math:`w + \mu v -
    \eta g`), after ``_apply_weight_decay``: :math:`w - \eta\lambda w`. Algorithm 1 of Loshchilov
    & Hutter: :math:`m \leftarrow \beta_1 m + \eta_t\alpha g`, :math:`x \leftarrow x - m -
    \eta_t\lambda x` (the paper calls the momentum β₁)."""
    return assemble(momentum(values, flags, copy_first=False), values, flags, scale_first=True)


def build_adam(values: Values, flags: Flags) -> list[Transform]:
    """Adam (PyTorch, optax and the paper's Algorithm 2), with the decay its mode places."""
    return assemble(adam(values, flags), values, flags)


def build_keras_adam(values: Values, flags: Flags) -> list[Transform]:
    """Keras' Adam and AdamW: ε added to the uncorrected root."""
    return assemble(adam(values, flags, epsilon_hat=True), values, flags)


def build_rmsprop(values: Values, flags: Flags) -> list[Transform]:
    """PyTorch's RMSprop: the RMS normalisation, then momentum (from 0) on the normalised step."""
    rms = ScaleByRms(ALPHA, EPSILON, bool(flags.get("centered")))
    return assemble([rms, *momentum(values, flags, copy_first=False)], values, flags)


def build_adagrad(values: Values, flags: Flags) -> list[Transform]:
    r"""PyTorch's Adagrad: the step size is :math:`\eta / (1 + (t-1)\,\text{lr\_decay})`."""
    initial = (
        sp.S.Zero if is_exactly_zero(values.get("initial_accumulator_value", sp.S.Zero)) else G_0
    )
    decay_rate = values.get("lr_decay", sp.S.Zero)
    slowdown = 1 if is_exactly_zero(decay_rate) else 1 + (STEP - 1) * LR_DECAY
    lr = learning_rate(flags) / slowdown
    return assemble([ScaleByAdagrad(EPSILON, initial)], values, flags, lr=lr)


def build_lion(values: Values, flags: Flags) -> list[Transform]:
    """Lion (optax ``lion``): the sign of an interpolation, with the decay its mode places
    (optax's: decoupled)."""
    return assemble([ScaleByLion(BETA_1, BETA_2)], values, flags)
