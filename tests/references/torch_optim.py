"""Plain NumPy transcriptions of PyTorch's single-tensor optimizer loops (torch 2.13.0).

Source: the installed wheel ``torch==2.13.0`` (CPU), files under ``torch/optim/``; each class
follows the ``_single_tensor_<name>`` function named in its docstring, which is the code path
``torch.optim`` takes on CPU (``foreach`` defaults to False there: the foreach kernels are only
enabled for cuda/xpu/mtia devices).

Conventions shared by every class here:

* ``init(params) -> state`` and ``step(params, grads, state, t) -> (params, state)``;
  ``t`` is the 1-based number of the step being taken (torch's ``state["step"]`` after its
  increment). Inputs are never modified; new arrays are returned.
* Arithmetic happens in the dtype of ``params`` (float32 or float64), like torch's kernels.
  Hyperparameters are Python floats that torch casts to the tensor dtype at each use; scalar
  bookkeeping (``beta1 ** step``, ``lr / bias_correction1``) is done in Python doubles, as torch
  does when ``capturable=False``.
* ``lr`` may be a float or a callable ``t -> lr`` giving the value the parameter group holds
  during step ``t`` (what an LR scheduler writes into ``param_groups``).
* ``maximize``, ``capturable``, ``differentiable``, complex and sparse tensors are not modelled.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._util import check_grads, check_params, check_step, value_at


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """``torch.lerp`` as in ATen's ``Lerp.h``: two formulas chosen by ``|weight| < 0.5``."""
    w = start.dtype.type(weight)
    if abs(weight) < 0.5:
        return start + w * (end - start)
    return end - (end - start) * (start.dtype.type(1) - w)


class TorchSGD:
    """``torch.optim.SGD``.

    Follows ``torch/optim/sgd.py::_single_tensor_sgd`` (torch 2.13.0)::

        g <- grad (+ weight_decay * p)                       # coupled L2
        if momentum != 0:
            buf <- clone(g)                          on the first step (no dampening)
            buf <- momentum * buf + (1 - dampening) * g   afterwards
            g   <- g + momentum * buf  if nesterov  else  buf
        p <- p - lr * g

    Defaults (``SGD.__init__``): ``lr=1e-3``, ``momentum=0``, ``dampening=0``,
    ``weight_decay=0``, ``nesterov=False``. Nesterov requires ``momentum > 0`` and
    ``dampening == 0`` (``ValueError`` otherwise, as in torch).
    """

    def __init__(
        self,
        lr: float | Callable[[int], float] = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = nesterov

    def init(self, params: np.ndarray) -> dict:
        check_params(params)
        return {"step": 0, "momentum_buffer": None}

    def step(self, params: np.ndarray, grads: np.ndarray, state: dict, t: int):
        p = check_params(params)
        g = check_grads(p, grads)
        check_step(state, t)
        dt = p.dtype.type
        lr = value_at(self.lr, t)

        if self.weight_decay != 0:
            g = g + dt(self.weight_decay) * p

        buf = state["momentum_buffer"]
        if self.momentum != 0:
            if buf is None:  # noqa: SIM108 (laid out as in torch)
                buf = g.copy()
            else:
                buf = buf * dt(self.momentum) + dt(1 - self.dampening) * g
            if self.nesterov:  # noqa: SIM108 (laid out as in torch)
                g = g + dt(self.momentum) * buf
            else:
                g = buf

        p = p + dt(-lr) * g
        return p, {"step": t, "momentum_buffer": buf}


class TorchAdam:
    """``torch.optim.Adam`` (coupled L2 by default; ``decoupled_weight_decay=True`` is AdamW).

    Follows ``torch/optim/adam.py::_single_tensor_adam`` (torch 2.13.0), branch
    ``capturable=False, differentiable=False``::

        step += 1
        if weight_decay != 0:
            decoupled:  p <- p * (1 - lr * weight_decay)      # before the moments, on p_{t-1}
            coupled:    g <- g + weight_decay * p
        m <- lerp(m, g, 1 - beta1)                             # = beta1 m + (1 - beta1) g
        v <- v * beta2 + (1 - beta2) * g * g
        bc1 = 1 - beta1**step ; bc2 = 1 - beta2**step          (Python doubles)
        amsgrad: v_max <- maximum(v_max, v) ; denom = sqrt(v_max) / sqrt(bc2) + eps
        else:    denom = sqrt(v) / sqrt(bc2) + eps
        p <- p + (-lr / bc1) * m / denom

    ``eps`` is added outside the square root, after the bias correction of ``v``. AMSGrad keeps
    the maximum of the raw (uncorrected) ``v``.

    Defaults (``Adam.__init__``): ``lr=1e-3``, ``betas=(0.9, 0.999)``, ``eps=1e-8``,
    ``weight_decay=0``, ``amsgrad=False``, ``decoupled_weight_decay=False``.
    """

    def __init__(
        self,
        lr: float | Callable[[int], float] = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self.decoupled_weight_decay = decoupled_weight_decay

    def init(self, params: np.ndarray) -> dict:
        p = check_params(params)
        state = {"step": 0, "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}
        if self.amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(p)
        return state

    def step(self, params: np.ndarray, grads: np.ndarray, state: dict, t: int):
        p = check_params(params)
        g = check_grads(p, grads)
        check_step(state, t)
        dt = p.dtype.type
        lr = value_at(self.lr, t)
        beta1, beta2 = self.betas

        if self.weight_decay != 0:
            if self.decoupled_weight_decay:
                p = p * dt(1 - lr * self.weight_decay)
            else:
                g = g + dt(self.weight_decay) * p

        exp_avg = _lerp(state["exp_avg"], g, 1 - beta1)
        exp_avg_sq = state["exp_avg_sq"] * dt(beta2) + dt(1 - beta2) * g * g

        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        step_size = lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5

        new_state = {"step": t, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
        if self.amsgrad:
            max_exp_avg_sq = np.maximum(state["max_exp_avg_sq"], exp_avg_sq)
            new_state["max_exp_avg_sq"] = max_exp_avg_sq
            denom = np.sqrt(max_exp_avg_sq) / dt(bias_correction2_sqrt) + dt(self.eps)
        else:
            denom = np.sqrt(exp_avg_sq) / dt(bias_correction2_sqrt) + dt(self.eps)

        p = p + dt(-step_size) * exp_avg / denom
        return p, new_state


class TorchAdamW(TorchAdam):
    """``torch.optim.AdamW``: ``torch/optim/adamw.py::AdamW`` is ``Adam`` with
    ``decoupled_weight_decay=True`` and runs ``torch/optim/adam.py::_single_tensor_adam``.

    The decay is ``p <- p * (1 - lr * weight_decay)``, applied to ``p_{t-1}`` before the Adam
    step, so it is multiplied by the *current* learning rate (scheduled lr included).

    Defaults (``AdamW.__init__``): ``lr=1e-3``, ``betas=(0.9, 0.999)``, ``eps=1e-8``,
    ``weight_decay=1e-2`` (not 0 as in Adam), ``amsgrad=False``.
    """

    def __init__(
        self,
        lr: float | Callable[[int], float] = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            decoupled_weight_decay=True,
        )


class TorchRMSprop:
    """``torch.optim.RMSprop``.

    Follows ``torch/optim/rmsprop.py::_single_tensor_rmsprop`` (torch 2.13.0)::

        g <- g (+ weight_decay * p)                          # coupled L2
        sq <- sq * alpha + (1 - alpha) * g * g               # from 0; no bias correction
        centered: ga <- lerp(ga, g, 1 - alpha) ; avg = sqrt(sq - ga * ga) + eps
        else:     avg = sqrt(sq) + eps                        # eps outside the root
        momentum > 0: buf <- buf * momentum + g / avg ; p <- p - lr * buf   (buf from 0)
        else:         p <- p - lr * g / avg

    Defaults (``RMSprop.__init__``): ``lr=1e-2``, ``alpha=0.99``, ``eps=1e-8``,
    ``weight_decay=0``, ``momentum=0``, ``centered=False``.
    """

    def __init__(
        self,
        lr: float | Callable[[int], float] = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        self.lr = lr
        self.alpha = alpha
        self.eps = eps
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.centered = centered

    def init(self, params: np.ndarray) -> dict:
        p = check_params(params)
        state = {"step": 0, "square_avg": np.zeros_like(p)}
        if self.momentum > 0:
            state["momentum_buffer"] = np.zeros_like(p)
        if self.centered:
            state["grad_avg"] = np.zeros_like(p)
        return state

    def step(self, params: np.ndarray, grads: np.ndarray, state: dict, t: int):
        p = check_params(params)
        g = check_grads(p, grads)
        check_step(state, t)
        dt = p.dtype.type
        lr = value_at(self.lr, t)

        if self.weight_decay != 0:
            g = g + dt(self.weight_decay) * p

        square_avg = state["square_avg"] * dt(self.alpha) + dt(1 - self.alpha) * g * g
        new_state = {"step": t, "square_avg": square_avg}

        if self.centered:
            grad_avg = _lerp(state["grad_avg"], g, 1 - self.alpha)
            new_state["grad_avg"] = grad_avg
            avg = np.sqrt(square_avg + dt(-1) * grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg = avg + dt(self.eps)

        if self.momentum > 0:
            buf = state["momentum_buffer"] * dt(self.momentum) + g / avg
            new_state["momentum_buffer"] = buf
            p = p + dt(-lr) * buf
        else:
            p = p + dt(-lr) * g / avg
        return p, new_state


class TorchAdagrad:
    """``torch.optim.Adagrad``.

    Follows ``torch/optim/adagrad.py::_single_tensor_adagrad`` (dense branch, torch 2.13.0)::

        step += 1
        g <- g (+ weight_decay * p)                          # coupled L2
        clr = lr / (1 + (step - 1) * lr_decay)               # Python double
        sum <- sum + g * g                                   # sum starts at initial_accumulator_value
        p <- p - clr * g / (sqrt(sum) + eps)                 # eps outside the root

    Defaults (``Adagrad.__init__``): ``lr=1e-2``, ``lr_decay=0``, ``weight_decay=0``,
    ``initial_accumulator_value=0``, ``eps=1e-10``.
    """

    def __init__(
        self,
        lr: float | Callable[[int], float] = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        self.lr = lr
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.initial_accumulator_value = initial_accumulator_value
        self.eps = eps

    def init(self, params: np.ndarray) -> dict:
        p = check_params(params)
        return {"step": 0, "sum": np.full_like(p, self.initial_accumulator_value)}

    def step(self, params: np.ndarray, grads: np.ndarray, state: dict, t: int):
        p = check_params(params)
        g = check_grads(p, grads)
        check_step(state, t)
        dt = p.dtype.type
        lr = value_at(self.lr, t)

        if self.weight_decay != 0:
            g = g + dt(self.weight_decay) * p

        clr = lr / (1 + (t - 1) * self.lr_decay)
        state_sum = state["sum"] + dt(1) * g * g
        std = np.sqrt(state_sum) + dt(self.eps)
        p = p + dt(-clr) * g / std
        return p, {"step": t, "sum": state_sum}
