"""Plain NumPy transcriptions of Keras 3 optimizers (keras is not installed here).

Sources, repository ``keras-team/keras`` (stored commits read: ``base_optimizer.py`` 001750db,
``sgd.py`` 1937d487, ``adam.py`` 13de96ae, ``adamw.py`` 26083041, ``torch_optimizer.py`` 51d7e770,
``torch_adam.py`` 14574a5a):

* ``keras/src/optimizers/base_optimizer.py``: ``BaseOptimizer._backend_apply_gradients`` (order of
  operations), ``BaseOptimizer._apply_weight_decay`` and ``_use_weight_decay`` /
  ``exclude_from_weight_decay`` (which variables are decayed), ``_get_current_learning_rate``
  (schedules are called with ``self._iterations``, the 0-based count of steps already taken).
* ``keras/src/optimizers/sgd.py::SGD.update_step``, ``keras/src/optimizers/adam.py::Adam.update_step``,
  ``keras/src/optimizers/adamw.py::AdamW`` (Adam with a required ``weight_decay``).
* Checked against the torch backend's fused versions, which do the same arithmetic:
  ``keras/src/backend/torch/optimizers/torch_optimizer.py::TorchOptimizer._apply_weight_decay``
  (``p *= 1 - weight_decay * lr``) and ``torch_adam.py::Adam._parallel_update_step``.

What one Keras step does (no clipping, EMA, loss scaling or gradient accumulation)::

    lr = learning_rate                         (or schedule(iterations), iterations = t - 1)
    if weight_decay is not None and the variable is not excluded:
        w <- w - w * weight_decay * lr           # decoupled, times the current lr, BEFORE the update
    update_step(grad, w, lr)                     # the optimizer's own rule, on the decayed w
    iterations += 1

So Keras' ``weight_decay`` is decoupled for every optimizer (SGD included), and the gradient that
the update uses was computed at the pre-decay weights.

Conventions of this module: ``init(params) -> state``, ``step(params, grads, state, t) ->
(params, state)`` with ``t`` the 1-based step number; inputs are never modified. The gradient is
cast to the variable's dtype (``ops.cast(gradient, variable.dtype)``). A float learning rate is
stored by Keras in a ``backend.Variable`` of dtype ``floatx()`` (float32 by default) and cast to
the variable's dtype at each use: with float64 weights the effective lr is ``float32(lr)``. This is
reproduced by the ``floatx`` argument; set ``floatx="float64"`` to model
``keras.config.set_floatx("float64")``. ``use_weight_decay=False`` models a variable excluded by
``exclude_from_weight_decay`` (its update is unchanged, only the decay is skipped).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._util import check_grads, check_params, check_step, value_at


class _KerasBase:
    """The part of ``BaseOptimizer`` that every Keras optimizer shares: lr and weight decay."""

    def __init__(
        self,
        learning_rate: float | Callable[[int], float],
        weight_decay: float | None,
        use_weight_decay: bool,
        floatx: str,
    ) -> None:
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.use_weight_decay = use_weight_decay
        self.floatx = np.dtype(floatx)

    def _current_lr(self, t: int, dtype: np.dtype) -> np.generic:
        # BaseOptimizer._get_current_learning_rate: schedule(self._iterations), iterations = t - 1;
        # the value lives in floatx and is cast with ops.cast(lr, variable.dtype).
        lr = value_at(self.learning_rate, t - 1)
        return dtype.type(self.floatx.type(lr))

    def _apply_weight_decay(self, w: np.ndarray, lr: np.generic) -> np.ndarray:
        # BaseOptimizer._apply_weight_decay: variable.assign(variable - variable * wd * lr)
        if self.weight_decay is None or not self.use_weight_decay:
            return w
        wd = w.dtype.type(self.weight_decay)
        return w - w * wd * lr


class KerasSGD(_KerasBase):
    """``keras.optimizers.SGD``.

    Follows ``keras/src/optimizers/sgd.py::SGD.update_step`` after
    ``base_optimizer.py::BaseOptimizer._apply_weight_decay``::

        w <- w - w * weight_decay * lr                   (if weight_decay is not None)
        momentum == 0:  w <- w - g * lr
        else:           v <- v * momentum - g * lr        (v from 0)
                        nesterov: w <- w + (v * momentum - g * lr)
                        else:     w <- w + v

    Defaults: ``learning_rate=0.01``, ``momentum=0.0``, ``nesterov=False``,
    ``weight_decay=None``. Keras requires ``momentum`` to be a float in ``[0, 1]``.
    """

    def __init__(
        self,
        learning_rate: float | Callable[[int], float] = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float | None = None,
        *,
        use_weight_decay: bool = True,
        floatx: str = "float32",
    ) -> None:
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        super().__init__(learning_rate, weight_decay, use_weight_decay, floatx)
        self.momentum = momentum
        self.nesterov = nesterov

    def init(self, params: np.ndarray) -> dict:
        p = check_params(params)
        state = {"step": 0}
        if self.momentum != 0:
            state["momentum"] = np.zeros_like(p)
        return state

    def step(self, params: np.ndarray, grads: np.ndarray, state: dict, t: int):
        w = check_params(params)
        g = check_grads(w, grads, cast=True)
        check_step(state, t)
        lr = self._current_lr(t, w.dtype)

        w = self._apply_weight_decay(w, lr)

        new_state = {"step": t}
        if self.momentum != 0:
            momentum = w.dtype.type(self.momentum)
            m = state["momentum"] * momentum - g * lr
            new_state["momentum"] = m
            if self.nesterov:  # noqa: SIM108 (laid out as in keras)
                w = w + (m * momentum - g * lr)
            else:
                w = w + m
        else:
            w = w - g * lr
        return w, new_state


class KerasAdam(_KerasBase):
    """``keras.optimizers.Adam``.

    Follows ``keras/src/optimizers/adam.py::Adam.update_step`` after
    ``base_optimizer.py::BaseOptimizer._apply_weight_decay``::

        w <- w - w * weight_decay * lr                   (if weight_decay is not None)
        local_step = iterations + 1 = t                  (in the variable's dtype)
        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m <- m + (g - m) * (1 - beta_1)
        v <- v + (g * g - v) * (1 - beta_2)
        amsgrad: v_hat <- maximum(v_hat, v) ; v := v_hat      (raw v, as in torch)
        w <- w - (m * alpha) / (sqrt(v) + epsilon)

    The bias correction is folded into the step size and ``epsilon`` is added to the
    *uncorrected* ``sqrt(v)`` ("epsilon hat", Kingma & Ba just before Section 2.1). In torch's
    form this is ``lr * m_hat / (sqrt(v_hat) + epsilon / sqrt(1 - beta_2**t))``: the effective
    epsilon grows from ``epsilon / sqrt(1 - beta_2)`` at step 1 towards ``epsilon``.

    Defaults: ``learning_rate=0.001``, ``beta_1=0.9``, ``beta_2=0.999``, ``epsilon=1e-7`` (not
    1e-8), ``amsgrad=False``, ``weight_decay=None``.
    """

    def __init__(
        self,
        learning_rate: float | Callable[[int], float] = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        weight_decay: float | None = None,
        *,
        use_weight_decay: bool = True,
        floatx: str = "float32",
    ) -> None:
        super().__init__(learning_rate, weight_decay, use_weight_decay, floatx)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def init(self, params: np.ndarray) -> dict:
        p = check_params(params)
        state = {"step": 0, "momentum": np.zeros_like(p), "velocity": np.zeros_like(p)}
        if self.amsgrad:
            state["velocity_hat"] = np.zeros_like(p)
        return state

    def step(self, params: np.ndarray, grads: np.ndarray, state: dict, t: int):
        w = check_params(params)
        g = check_grads(w, grads, cast=True)
        check_step(state, t)
        dt = w.dtype.type
        lr = self._current_lr(t, w.dtype)

        w = self._apply_weight_decay(w, lr)

        local_step = dt(t)
        beta_1_power = np.power(dt(self.beta_1), local_step)
        beta_2_power = np.power(dt(self.beta_2), local_step)
        alpha = lr * np.sqrt(dt(1) - beta_2_power) / (dt(1) - beta_1_power)

        m = state["momentum"] + (g - state["momentum"]) * dt(1 - self.beta_1)
        v = state["velocity"] + (g * g - state["velocity"]) * dt(1 - self.beta_2)
        new_state = {"step": t, "momentum": m, "velocity": v}
        if self.amsgrad:
            v_hat = np.maximum(state["velocity_hat"], v)
            new_state["velocity_hat"] = v_hat
            v = v_hat

        w = w - (m * alpha) / (np.sqrt(v) + dt(self.epsilon))
        return w, new_state


class KerasAdamW(KerasAdam):
    """``keras.optimizers.AdamW``.

    ``keras/src/optimizers/adamw.py::AdamW`` subclasses ``Adam`` and only changes the defaults:
    ``weight_decay=0.004`` (and ``None`` is rejected); the decay itself is
    ``base_optimizer.py::BaseOptimizer._apply_weight_decay``, ``w <- w - w * weight_decay * lr``,
    before ``Adam.update_step``.

    Defaults: ``learning_rate=0.001``, ``weight_decay=0.004``, ``beta_1=0.9``, ``beta_2=0.999``,
    ``epsilon=1e-7``, ``amsgrad=False``.
    """

    def __init__(
        self,
        learning_rate: float | Callable[[int], float] = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        *,
        use_weight_decay: bool = True,
        floatx: str = "float32",
    ) -> None:
        if weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            use_weight_decay=use_weight_decay,
            floatx=floatx,
        )
