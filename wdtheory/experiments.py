r"""Numeric experiments, batched: every seed and every λ of a run is one array computation.

:func:`seed_experiment` is the d2l experiment of the seed guide (``../shared/seeds/002``):

* data: :math:`X \sim \mathcal N(0, 1)^{120\times200}`, :math:`y = 0.01\sum_j x_j + 0.05 + 0.01\,\epsilon`;
  the first 20 rows train, the other 100 validate;
* model :math:`\hat y = \mathbf{w}^\top\mathbf{x} + b`, :math:`\mathbf{w} \sim \mathcal N(0, 0.01^2)`, :math:`b = 0`;
* loss :math:`\mathrm{mean}(\tfrac12(\hat y - y)^2) + \tfrac\lambda2\|\mathbf{w}\|^2` (bias unpenalised),
  minibatch SGD, batches of 5 reshuffled every epoch, learning rate 0.01, 10 epochs.

Arrays carry a leading seed axis and a λ axis, so that the whole grid runs at once (NumPy, or
CuPy when given ``xp=cupy``). Two forms are computed: ``scratch`` (the penalty's gradient
:math:`\lambda\mathbf{w}` comes from the loss) and ``concise`` (the data gradient only, and the
optimizer's decay :math:`\mathbf{w} \leftarrow \mathbf{w} - \eta\lambda\mathbf{w}` on the weights,
as ``torch.optim.SGD(weight_decay=λ)`` on the weight group); they coincide, which the results
record. The reported losses are data losses :math:`\mathrm{mean}(\tfrac12 r^2)` (no penalty), and
``half_norm`` is d2l's printed "L2 norm of w", which is :math:`\tfrac12\|\mathbf{w}\|^2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wdtheory.errors import WdtheoryError

__all__ = ["SeedData", "SeedRun", "make_seed_data", "seed_experiment"]

N_TRAIN, N_VAL, N_FEATURES, BATCH, LR, EPOCHS = 20, 100, 200, 5, 0.01, 10


@dataclass(frozen=True)
class SeedData:
    """Train and validation arrays, one slice per seed: ``X_train`` (S, 20, d) and so on."""

    X_train: Any
    y_train: Any
    X_val: Any
    y_val: Any
    w0: Any


def make_seed_data(
    seeds: int, *, n_features: int = N_FEATURES, seed: int = 0, xp: Any = np
) -> SeedData:
    """The seed guide's synthetic data and initial weights for ``seeds`` independent seeds."""
    rng = np.random.default_rng(seed)
    n = N_TRAIN + N_VAL
    X = rng.standard_normal((seeds, n, n_features))
    y = X.sum(axis=2) * 0.01 + 0.05 + 0.01 * rng.standard_normal((seeds, n))
    w0 = 0.01 * rng.standard_normal((seeds, n_features))
    arrays = [X[:, :N_TRAIN], y[:, :N_TRAIN], X[:, N_TRAIN:], y[:, N_TRAIN:], w0]
    return SeedData(*(xp.asarray(a) for a in arrays))


@dataclass(frozen=True)
class SeedRun:
    """Per-epoch data losses, shape (S, L, epochs + 1) (epoch 0 is before training), the final
    ``half_norm`` ½‖w‖² (S, L), and the largest gap between the scratch and concise forms."""

    lambdas: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    half_norm: np.ndarray
    forms_gap: float


def _data_loss(X: Any, y: Any, w: Any, b: Any, xp: Any) -> Any:
    """mean(½(Xw + b - y)²) for (S, n, d) data and (S, L, d) weights → (S, L)."""
    residual = xp.einsum("snd,sld->sln", X, w) + b[..., None] - y[:, None, :]
    return 0.5 * xp.mean(residual * residual, axis=-1)


def seed_experiment(
    lambdas: Any,
    seeds: int = 20,
    *,
    epochs: int = EPOCHS,
    lr: float = LR,
    seed: int = 0,
    n_features: int = N_FEATURES,
    xp: Any = np,
) -> SeedRun:
    """Run the seed experiment for every λ and seed at once (see the module doc)."""
    lambdas = np.asarray(lambdas, dtype=np.float64)
    if lambdas.ndim != 1 or (lambdas < 0).any() or not np.isfinite(lambdas).all():
        raise WdtheoryError(f"lambdas must be a 1-D list of finite values >= 0, got {lambdas!r}")
    if seeds < 1 or epochs < 0:
        raise WdtheoryError(
            f"seeds must be >= 1 and epochs >= 0, got seeds={seeds}, epochs={epochs}"
        )
    data = make_seed_data(seeds, n_features=n_features, seed=seed, xp=xp)
    lam = xp.asarray(lambdas)[None, :, None]
    shape = (seeds, len(lambdas))
    w = {
        form: xp.broadcast_to(data.w0[:, None, :], (*shape, n_features)) + 0.0
        for form in ("scratch", "concise")
    }
    b = {form: xp.zeros(shape) for form in w}
    train, val = [_data_loss(data.X_train, data.y_train, w["scratch"], b["scratch"], xp)], []
    val.append(_data_loss(data.X_val, data.y_val, w["scratch"], b["scratch"], xp))
    order = np.random.default_rng(seed + 1).permuted(
        np.tile(np.arange(N_TRAIN), (epochs, seeds, 1)), axis=-1
    )
    for epoch in range(epochs):
        for start in range(0, N_TRAIN, BATCH):
            rows = xp.asarray(order[epoch, :, start : start + BATCH])
            Xb = xp.take_along_axis(data.X_train, rows[..., None], axis=1)
            yb = xp.take_along_axis(data.y_train, rows, axis=1)
            for form in w:
                residual = (
                    xp.einsum("snd,sld->sln", Xb, w[form]) + b[form][..., None] - yb[:, None, :]
                )
                grad_w = xp.einsum("snd,sln->sld", Xb, residual) / BATCH
                grad_b = residual.mean(axis=-1)
                if form == "scratch":  # the penalty's gradient comes from the loss
                    w[form] = w[form] - lr * (grad_w + lam * w[form])
                else:  # torch.optim.SGD(weight_decay=λ) on the weights: grad + λw, then the step
                    w[form] = w[form] - lr * grad_w - lr * lam * w[form]
                b[form] = b[form] - lr * grad_b
        train.append(_data_loss(data.X_train, data.y_train, w["scratch"], b["scratch"], xp))
        val.append(_data_loss(data.X_val, data.y_val, w["scratch"], b["scratch"], xp))
    gap = float(xp.max(xp.abs(w["scratch"] - w["concise"])))
    as_numpy = lambda a: np.asarray(a.get() if hasattr(a, "get") else a)  # noqa: E731 - cupy too
    return SeedRun(
        lambdas,
        as_numpy(xp.stack(train, axis=-1)),
        as_numpy(xp.stack(val, axis=-1)),
        as_numpy(0.5 * xp.sum(w["scratch"] ** 2, axis=-1)),
        gap,
    )
