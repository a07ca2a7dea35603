"""Plain NumPy transcriptions of optax aliases (optax and jax are not installed here).

Sources, repository ``google-deepmind/optax`` (stored commits read: ``alias.py`` at 47fe6554,
``transform.py`` and ``transforms/_accumulation.py`` at 006cebd2, ``transforms/_adding.py`` at
083e0459; ``alias.py::lion`` read from the fork ``tinker495/optax`` at 321a0b4d, a recent copy of
upstream, because the stored upstream ``alias.py`` predates Lion):

* ``optax/_src/alias.py``: ``sgd``, ``adam``, ``adamw``, ``lion`` (which transformations are
  chained, in which order, and their defaults);
* ``optax/_src/transform.py``: ``scale_by_adam``, ``scale_by_lion`` (``mode="hard"``, the
  default), ``scale_by_learning_rate``, ``scale_by_schedule``, ``scale``;
* ``optax/transforms/_accumulation.py::trace`` (older releases: ``optax/_src/transform.py``);
* ``optax/transforms/_adding.py::add_decayed_weights`` (older: ``optax/_src/transform.py``);
* ``optax.tree.update_moment``, ``update_moment_per_elem_norm``, ``bias_correction``
  (``optax/tree_utils/_tree_math.py::tree_*``; older: ``optax/_src/transform.py``);
* ``optax/_src/update.py::apply_updates`` (``p + u``, cast back to the dtype of ``p``).

An optax optimizer returns *updates* that the caller adds to the parameters; here ``step`` does
both, so ``step(params, grads, state, t)`` returns ``params + updates``. ``t`` is the 1-based step
number: the Adam ``count`` after ``safe_increment`` equals ``t``, while a learning-rate schedule
is called with the ``scale_by_schedule`` counter *before* its increment, i.e. ``t - 1``.
Arithmetic is in the dtype of the parameters: Python-float hyperparameters are weakly typed in
JAX and do not promote float32 arrays; the bias correction ``1 - decay**count`` is computed in the
default float dtype (float32 unless ``jax_enable_x64``) and here in the dtype of the parameters,
which is the same thing for float32 and for float64 under x64.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._util import check_grads, check_params, check_step, value_at


def _scale_by_learning_rate(
    updates: np.ndarray, learning_rate: float | Callable[[int], float], t: int
) -> np.ndarray:
    """``transform.scale_by_learning_rate(lr)`` (``flip_sign=True``): ``-lr * updates``.

    A constant uses ``scale(-lr)``; a schedule uses ``scale_by_schedule`` whose ``count`` starts at
    0, so step ``t`` uses ``schedule(t - 1)``.
    """
    lr = value_at(learning_rate, t - 1)
    return updates.dtype.type(-lr) * updates


def _bias_correction(moment: np.ndarray, decay: float, count: int) -> np.ndarray:
    """``tree_bias_correction``: ``moment / (1 - decay**count)``."""
    dt = moment.dtype.type
    bias_correction = dt(1) - np.power(dt(decay), dt(count))
    return moment / bias_correction


class OptaxSGD:
    """``optax.sgd(learning_rate, momentum=None, nesterov=False)``.

    ``alias.py::sgd`` = ``chain(trace(decay=momentum, nesterov) if momentum is not None else
    identity(), scale_by_learning_rate(learning_rate))``; ``trace`` is::

        new_trace = g + momentum * trace                     # trace from 0: first trace = g
        updates   = g + momentum * new_trace  if nesterov  else  new_trace

    then ``p <- p + (-lr) * updates``. There is no weight decay in ``optax.sgd``. Defaults:
    ``momentum=None``, ``nesterov=False``; ``learning_rate`` has no default.
    """

    def __init__(
        self,
        learning_rate: float | Callable[[int], float],
        momentum: float | None = None,
        nesterov: bool = False,
    ) -> None:
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov

    def init(self, params: np.ndarray) -> dict:
        p = check_params(params)
        state = {"step": 0}
        if self.momentum is not None:
            state["trace"] = np.zeros_like(p)
        return state

    def step(self, params: np.ndarray, grads: np.ndarray, state: dict, t: int):
        p = check_params(params)
        g = check_grads(p, grads)
        check_step(state, t)
        dt = p.dtype.type

        updates = g
        new_state = {"step": t}
        if self.momentum is not None:
            decay = dt(self.momentum)
            new_trace = g + decay * state["trace"]
            updates = g + decay * new_trace if self.nesterov else new_trace
            new_state["trace"] = new_trace

        updates = _scale_by_learning_rate(updates, self.learning_rate, t)
        return p + updates, new_state


class OptaxAdam:
    """``optax.adam`` and, with ``weight_decay`` set, ``optax.adamw``.

    ``alias.py::adam`` = ``chain(scale_by_adam(b1, b2, eps, eps_root, nesterov),
    scale_by_learning_rate(lr))``; ``alias.py::adamw`` inserts
    ``add_decayed_weights(weight_decay, mask)`` between them. ``transform.py::scale_by_adam``::

        mu <- (1 - b1) * g + b1 * mu
        nu <- (1 - b2) * g**2 + b2 * nu
        count <- count + 1                                    (= t)
        mu_hat = mu / (1 - b1**t)
                 (nesterov: b1 * mu / (1 - b1**(t+1)) + (1 - b1) * g / (1 - b1**t))
        nu_hat = nu / (1 - b2**t)
        u = mu_hat / (sqrt(nu_hat + eps_root) + eps)          # eps outside, eps_root inside
    adamw:  u <- u + weight_decay * p                         # add_decayed_weights, p = p_{t-1}
    then    p <- p + (-lr) * u

    So optax's AdamW decay is multiplied by the learning rate (like torch), not by a schedule
    multiplier alone (unlike the paper). ``use_weight_decay=False`` models a leaf whose ``mask``
    entry is False.

    Defaults: ``adam``: ``b1=0.9``, ``b2=0.999``, ``eps=1e-8``, ``eps_root=0.0``,
    ``nesterov=False``; ``adamw`` additionally ``weight_decay=1e-4`` (torch's AdamW uses 1e-2).
    """

    def __init__(
        self,
        learning_rate: float | Callable[[int], float],
        b1: float = 0.9,
        b2: float = 0.999,
        eps: float = 1e-8,
        eps_root: float = 0.0,
        *,
        nesterov: bool = False,
        weight_decay: float | None = None,
        use_weight_decay: bool = True,
    ) -> None:
        self.learning_rate = learning_rate
        self.b1 = b1
        self.b2 = b2
        self.eps = eps
        self.eps_root = eps_root
        self.nesterov = nesterov
        self.weight_decay = weight_decay
        self.use_weight_decay = use_weight_decay

    def init(self, params: np.ndarray) -> dict:
        p = check_params(params)
        return {"step": 0, "mu": np.zeros_like(p), "nu": np.zeros_like(p)}

    def step(self, params: np.ndarray, grads: np.ndarray, state: dict, t: int):
        p = check_params(params)
        g = check_grads(p, grads)
        check_step(state, t)
        dt = p.dtype.type
        b1, b2 = dt(self.b1), dt(self.b2)

        mu = dt(1 - self.b1) * g + b1 * state["mu"]
        nu = dt(1 - self.b2) * g**2 + b2 * state["nu"]
        if self.nesterov:
            # mu_hat = b1 * bias_correction(mu, b1, t + 1) + (1 - b1) * bias_correction(g, b1, t)
            mu_next = _bias_correction(mu, self.b1, t + 1)
            g_hat = _bias_correction(g, self.b1, t)
            mu_hat = b1 * mu_next + dt(1 - self.b1) * g_hat
        else:
            mu_hat = _bias_correction(mu, self.b1, t)
        nu_hat = _bias_correction(nu, self.b2, t)
        updates = mu_hat / (np.sqrt(nu_hat + dt(self.eps_root)) + dt(self.eps))

        if self.weight_decay is not None and self.use_weight_decay:
            updates = updates + dt(self.weight_decay) * p

        updates = _scale_by_learning_rate(updates, self.learning_rate, t)
        return p + updates, {"step": t, "mu": mu, "nu": nu}


class OptaxAdamW(OptaxAdam):
    """``optax.adamw``: ``alias.py::adamw`` = ``chain(scale_by_adam(...),
    add_decayed_weights(weight_decay, mask), scale_by_learning_rate(learning_rate))``.

    See :class:`OptaxAdam` for the arithmetic. Defaults: ``b1=0.9``, ``b2=0.999``, ``eps=1e-8``,
    ``eps_root=0.0``, ``weight_decay=1e-4``, ``mask=None``, ``nesterov=False``.
    """

    def __init__(
        self,
        learning_rate: float | Callable[[int], float],
        b1: float = 0.9,
        b2: float = 0.999,
        eps: float = 1e-8,
        eps_root: float = 0.0,
        weight_decay: float = 1e-4,
        *,
        nesterov: bool = False,
        use_weight_decay: bool = True,
    ) -> None:
        super().__init__(
            learning_rate,
            b1=b1,
            b2=b2,
            eps=eps,
            eps_root=eps_root,
            nesterov=nesterov,
            weight_decay=weight_decay,
            use_weight_decay=use_weight_decay,
        )


class OptaxLion:
    """``optax.lion``.

    ``alias.py::lion`` = ``chain(scale_by_lion(b1, b2), add_decayed_weights(weight_decay, mask),
    scale_by_learning_rate(learning_rate))``; ``transform.py::scale_by_lion``::

        u  = sign((1 - b1) * g + b1 * m)                      # interpolation with the OLD m
        m <- (1 - b2) * g + b2 * m                            # EMA from 0, no bias correction
        u <- u + weight_decay * p                             # p = p_{t-1}
        p <- p + (-lr) * u

    ``sign(0) = 0``. Defaults: ``b1=0.9``, ``b2=0.99``, ``weight_decay=1e-3``, ``mask=None``.
    """

    def __init__(
        self,
        learning_rate: float | Callable[[int], float],
        b1: float = 0.9,
        b2: float = 0.99,
        weight_decay: float = 1e-3,
        *,
        use_weight_decay: bool = True,
    ) -> None:
        self.learning_rate = learning_rate
        self.b1 = b1
        self.b2 = b2
        self.weight_decay = weight_decay
        self.use_weight_decay = use_weight_decay

    def init(self, params: np.ndarray) -> dict:
        p = check_params(params)
        return {"step": 0, "mu": np.zeros_like(p)}

    def step(self, params: np.ndarray, grads: np.ndarray, state: dict, t: int):
        p = check_params(params)
        g = check_grads(p, grads)
        check_step(state, t)
        dt = p.dtype.type

        updates = np.sign(dt(1 - self.b1) * g + dt(self.b1) * state["mu"])
        mu = dt(1 - self.b2) * g + dt(self.b2) * state["mu"]
        if self.use_weight_decay:
            updates = updates + dt(self.weight_decay) * p

        updates = _scale_by_learning_rate(updates, self.learning_rate, t)
        return p + updates, {"step": t, "mu": mu}
