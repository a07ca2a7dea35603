"""Loshchilov & Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019): SGDW and AdamW.

Written from the algorithm boxes of the paper (Algorithm 1: SGD with L2 regularization and SGD
with decoupled weight decay, SGDW; Algorithm 2: Adam with L2 regularization and AdamW). The
``decoupled`` flag selects between the two variants each box shows: ``True`` is the green
(decoupled, "W") variant, ``False`` the red (L2, gradient ``+ λθ``) variant.

Notation: ``alpha`` is the base learning rate α, ``schedule_multiplier`` is η_t
(``SetScheduleMultiplier(t)``, a float or a callable of the 1-based step ``t``), ``weight_decay``
is λ. The decay subtracts ``η_t · λ · θ_{t-1}``: it is scaled by the schedule multiplier but not
by α ("independent" decay). Hence paper λ = α · (torch/optax/Keras λ) when η_t ≡ 1.

Official code, repository ``loshchil/AdamW-and-SGDW`` (Lua Torch): ``UPDATETORCHFILES/sgd.lua``
and ``UPDATETORCHFILES/adam.lua`` with ``train.lua``. It differs from the boxes in ways these
references do NOT follow:

* SGDW: the momentum buffer accumulates the raw gradient, ``buf <- μ buf + g`` (first step
  ``buf = g``), and the step is ``θ <- θ - η_t α buf - η_t λ θ_old``; the box accumulates
  ``η_t α g``. The two agree only while η_t is constant.
* AdamW: ``x:addcdiv(-stepSize, m, sqrt(v) + ε)`` with ``stepSize = α η_t sqrt(1-β₂ᵗ)/(1-β₁ᵗ)``:
  ε is added to the uncorrected ``sqrt(v)`` (Keras' "epsilon hat"), not to ``sqrt(v̂)`` as in the
  box.
* ``weightDecaycurrent = η_t · λ_norm`` with the *normalized* weight decay
  ``λ = λ_norm / sqrt(batches_per_epoch · T_e)`` for SGDW/ADAMW.

Conventions: ``init(params) -> state``, ``step(params, grads, state, t) -> (params, state)``,
``t`` the 1-based step number; inputs are never modified; arithmetic in the dtype of the params.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._util import check_grads, check_params, check_step, value_at


class PaperSGDW:
    """Algorithm 1 of Loshchilov & Hutter (2019), "SGD with L2 regularization and SGD with
    decoupled weight decay"::

        g_t   = ∇f_t(θ_{t-1})            (+ λ θ_{t-1}  if not decoupled)
        η_t   = SetScheduleMultiplier(t)
        m_t   = β₁ m_{t-1} + η_t α g_t                 (m_0 = 0)
        θ_t   = θ_{t-1} - m_t            (- η_t λ θ_{t-1}  if decoupled)

    The algorithm box gives no default values (α, β₁, λ ∈ ℝ); they are required here. Note the
    momentum buffer holds learning-rate-scaled steps, as in Keras' SGD, not raw gradients as in
    torch's SGD: with a constant η_t this is torch's SGD (dampening 0) with ``m = α · buf``.
    """

    def __init__(
        self,
        alpha: float,
        beta1: float,
        weight_decay: float,
        schedule_multiplier: float | Callable[[int], float] = 1.0,
        *,
        decoupled: bool = True,
    ) -> None:
        self.alpha = alpha
        self.beta1 = beta1
        self.weight_decay = weight_decay
        self.schedule_multiplier = schedule_multiplier
        self.decoupled = decoupled

    def init(self, params: np.ndarray) -> dict:
        p = check_params(params)
        return {"step": 0, "m": np.zeros_like(p)}

    def step(self, params: np.ndarray, grads: np.ndarray, state: dict, t: int):
        theta = check_params(params)
        g = check_grads(theta, grads)
        check_step(state, t)
        dt = theta.dtype.type
        lam = dt(self.weight_decay)

        if not self.decoupled:
            g = g + lam * theta
        eta = dt(value_at(self.schedule_multiplier, t))
        m = dt(self.beta1) * state["m"] + eta * dt(self.alpha) * g
        new_theta = theta - m
        if self.decoupled:
            new_theta = new_theta - eta * lam * theta
        return new_theta, {"step": t, "m": m}


class PaperAdamW:
    """Algorithm 2 of Loshchilov & Hutter (2019), "Adam with L2 regularization and Adam with
    decoupled weight decay (AdamW)"::

        g_t = ∇f_t(θ_{t-1})              (+ λ θ_{t-1}  if not decoupled)
        m_t = β₁ m_{t-1} + (1 - β₁) g_t
        v_t = β₂ v_{t-1} + (1 - β₂) g_t²
        m̂_t = m_t / (1 - β₁ᵗ)
        v̂_t = v_t / (1 - β₂ᵗ)
        η_t = SetScheduleMultiplier(t)
        θ_t = θ_{t-1} - η_t (α m̂_t / (sqrt(v̂_t) + ε)   (+ λ θ_{t-1}  if decoupled))

    Defaults from the box: ``α = 0.001``, ``β₁ = 0.9``, ``β₂ = 0.999``, ``ε = 1e-8``; λ ∈ ℝ has
    no default and is required.
    """

    def __init__(
        self,
        weight_decay: float,
        alpha: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        schedule_multiplier: float | Callable[[int], float] = 1.0,
        *,
        decoupled: bool = True,
    ) -> None:
        self.weight_decay = weight_decay
        self.alpha = alpha
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.schedule_multiplier = schedule_multiplier
        self.decoupled = decoupled

    def init(self, params: np.ndarray) -> dict:
        p = check_params(params)
        return {"step": 0, "m": np.zeros_like(p), "v": np.zeros_like(p)}

    def step(self, params: np.ndarray, grads: np.ndarray, state: dict, t: int):
        theta = check_params(params)
        g = check_grads(theta, grads)
        check_step(state, t)
        dt = theta.dtype.type
        lam = dt(self.weight_decay)

        if not self.decoupled:
            g = g + lam * theta
        m = dt(self.beta1) * state["m"] + dt(1 - self.beta1) * g
        v = dt(self.beta2) * state["v"] + dt(1 - self.beta2) * g * g
        m_hat = m / dt(1 - self.beta1**t)
        v_hat = v / dt(1 - self.beta2**t)
        eta = dt(value_at(self.schedule_multiplier, t))

        direction = dt(self.alpha) * m_hat / (np.sqrt(v_hat) + dt(self.eps))
        if self.decoupled:
            direction = direction + lam * theta
        return theta - eta * direction, {"step": t, "m": m, "v": v}
