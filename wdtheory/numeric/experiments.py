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

from wdtheory.core.errors import WdtheoryError
from wdtheory.numeric.arrays import check_count
from wdtheory.numeric.solvers import proximal_fit, ridge_path
from wdtheory.optim.optimizer import Optimizer
from wdtheory.runtime.stepper import Stepper

__all__ = [
    "SeedData",
    "SeedRun",
    "make_seed_data",
    "minibatch_order",
    "seed_arrays",
    "seed_experiment",
]

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
    X, y, w0 = seed_arrays(seeds, n_features=n_features, seed=seed)
    arrays = [X[:, :N_TRAIN], y[:, :N_TRAIN], X[:, N_TRAIN:], y[:, N_TRAIN:], w0]
    return SeedData(*(xp.asarray(a) for a in arrays))


def seed_arrays(
    seeds: int, *, n_features: int = N_FEATURES, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The seed guide's data as drawn: X (seeds, 120, d) and y (seeds, 120), the first 20 rows
    of each seed for training, and the initial weights (seeds, d)."""
    rng = np.random.default_rng(seed)
    n = N_TRAIN + N_VAL
    X = rng.standard_normal((seeds, n, n_features))
    y = X.sum(axis=2) * 0.01 + 0.05 + 0.01 * rng.standard_normal((seeds, n))
    w0 = 0.01 * rng.standard_normal((seeds, n_features))
    return X, y, w0


def minibatch_order(seeds: int, epochs: int, seed: int = 0, rows: int = N_TRAIN) -> np.ndarray:
    """The training rows in the order each seed visits them, shape (epochs, seeds, rows): a
    fresh shuffle per epoch and seed, cut into minibatches in order."""
    return np.random.default_rng(seed + 1).permuted(
        np.tile(np.arange(rows), (epochs, seeds, 1)), axis=-1
    )


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
    concise: bool = True,
    xp: Any = np,
) -> SeedRun:
    """Run the seed experiment for every λ and seed at once (see the module doc); with
    ``concise=False`` only the scratch form runs (``forms_gap`` is then NaN)."""
    lambdas = np.asarray(lambdas, dtype=np.float64)
    if (
        lambdas.ndim != 1
        or not lambdas.size
        or (lambdas < 0).any()
        or not np.isfinite(lambdas).all()
    ):
        raise WdtheoryError(
            f"lambdas must be a non-empty 1-D list of finite values >= 0, got {lambdas!r}"
        )
    for name, value, low in (("seeds", seeds, 1), ("epochs", epochs, 0)):
        check_count(name, value, low)
    data = make_seed_data(seeds, n_features=n_features, seed=seed, xp=xp)
    lam = xp.asarray(lambdas)[None, :, None]
    shape = (seeds, len(lambdas))
    w = {
        form: xp.broadcast_to(data.w0[:, None, :], (*shape, n_features)) + 0.0
        for form in (("scratch", "concise") if concise else ("scratch",))
    }
    b = {form: xp.zeros(shape) for form in w}
    train, val = [_data_loss(data.X_train, data.y_train, w["scratch"], b["scratch"], xp)], []
    val.append(_data_loss(data.X_val, data.y_val, w["scratch"], b["scratch"], xp))
    order = minibatch_order(seeds, epochs, seed)
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
    gap = float(xp.max(xp.abs(w["scratch"] - w["concise"]))) if concise else float("nan")
    as_numpy = lambda a: np.asarray(a.get() if hasattr(a, "get") else a)  # noqa: E731 - cupy too
    return SeedRun(
        lambdas,
        as_numpy(xp.stack(train, axis=-1)),
        as_numpy(xp.stack(val, axis=-1)),
        as_numpy(0.5 * xp.sum(w["scratch"] ** 2, axis=-1)),
        gap,
    )


# --------------------------------------------------------------------------- L1 against L2


@dataclass(frozen=True)
class SparsePaths:
    """Coefficient paths on a problem with a sparse true weight vector.

    ``ridge`` and ``lasso`` have shape (len(lambdas), d); ``true`` is the weight vector; the
    lasso path is computed with the proximal solver (exact zeros), the ridge path from one SVD.
    """

    lambdas: np.ndarray
    true: np.ndarray
    ridge: np.ndarray
    lasso: np.ndarray


def sparse_paths(
    lambdas: Any, *, n: int = 60, d: int = 20, nonzero: int = 4, seed: int = 0
) -> SparsePaths:
    """Ridge and lasso paths (bias unpenalised, d2l's scaling) on ``y = X w + noise`` with only
    ``nonzero`` nonzero weights."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    true = np.zeros(d)
    true[:nonzero] = rng.choice([-1.0, 1.0], nonzero) * rng.uniform(1.0, 3.0, nonzero)
    y = X @ true + 0.5 * rng.standard_normal(n)
    lambdas = np.asarray(lambdas, dtype=np.float64)
    ridge, _ = ridge_path(X, y, lambdas)
    lasso = np.array([proximal_fit(X, y, l1=lam, tol=1e-10)[0] for lam in lambdas])
    return SparsePaths(lambdas, true, ridge, lasso)


# --------------------------------------------------------------------------- classification


@dataclass(frozen=True)
class DigitsRun:
    """Softmax regression on scikit-learn's digits for each λ: validation accuracy, mean
    confidence (largest predicted probability) and weight norm, shape (len(lambdas),)."""

    lambdas: np.ndarray
    accuracy: np.ndarray
    confidence: np.ndarray
    weight_norm: np.ndarray


def digits_softmax(
    lambdas: Any,
    *,
    standardize: bool = True,
    penalize_bias: bool = False,
    steps: int = 300,
    lr: float | None = None,
    seed: int = 0,
) -> DigitsRun:
    """Full-batch gradient descent on softmax cross-entropy + (λ/2)‖W‖² (and ‖b‖² if penalised),
    every λ at once; ``load_digits`` ships with scikit-learn (no download)."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise WdtheoryError(
            "the classification experiment needs scikit-learn (pip install wdtheory[report])"
        ) from error
    data = load_digits()
    X, labels = data.data.astype(np.float64), data.target
    order = np.random.default_rng(seed).permutation(len(labels))
    X, labels = X[order], labels[order]
    split = len(labels) * 2 // 3
    mean, scale = X[:split].mean(axis=0), X[:split].std(axis=0)
    if standardize:
        X = (X - mean) / np.where(scale > 0, scale, 1.0)
    lr = lr if lr is not None else (0.5 if standardize else 0.005)
    Y = np.eye(10)[labels]
    Xt, Yt, Xv, lv = X[:split], Y[:split], X[split:], labels[split:]
    lams = np.asarray(lambdas, dtype=np.float64)[:, None, None]
    W = np.zeros((len(lams), X.shape[1], 10))
    b = np.zeros((len(lams), 1, 10))
    for _ in range(steps):
        logits = Xt @ W + b
        logits -= logits.max(axis=-1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=-1, keepdims=True)
        delta = (p - Yt) / len(Yt)
        W -= lr * (Xt.T @ delta + lams * W)
        b -= lr * (delta.sum(axis=1, keepdims=True) + (lams * b if penalize_bias else 0.0))
    logits = Xv @ W + b
    logits -= logits.max(axis=-1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=-1, keepdims=True)
    accuracy = (p.argmax(axis=-1) == lv).mean(axis=-1)
    return DigitsRun(
        lams[:, 0, 0], accuracy, p.max(axis=-1).mean(axis=-1), np.linalg.norm(W, axis=(1, 2))
    )


# --------------------------------------------------------------------------- L2 against decoupled decay


@dataclass(frozen=True)
class DecayPaths:
    """Full-batch least squares run by an L2 optimizer and its decoupled twin: the distance
    between their iterates per step, and where each ends (with the ridge solution for λ)."""

    name: str
    distance: np.ndarray
    final_l2: np.ndarray
    final_decoupled: np.ndarray
    ridge: np.ndarray


def decay_paths(
    label: str, l2_spec: str, decoupled_spec: str, *, steps: int = 3000, seed: int = 0
) -> DecayPaths:
    """Run both specs (numbers for every hyperparameter) with the lowered NumPy kernels."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 6))
    y = X @ rng.standard_normal(6) + 0.1 * rng.standard_normal(40)
    runs = []
    for spec in (l2_spec, decoupled_spec):
        optimizer = Optimizer.from_spec(spec).with_defaults()
        stepper = Stepper(optimizer, "numpy", validate=False)
        w = np.ones(6)
        state = stepper.init(w)
        path = []
        for _ in range(steps):
            w, state = stepper.step(w, X.T @ (X @ w - y) / 40, state)
            path.append(w.copy())
        runs.append(np.array(path))
    lam = float(Optimizer.from_spec(l2_spec).with_defaults().values["weight_decay"])
    ridge = np.linalg.solve(X.T @ X / 40 + lam * np.eye(6), X.T @ y / 40)
    return DecayPaths(
        label,
        np.linalg.norm(runs[0] - runs[1], axis=1),
        runs[0][-1],
        runs[1][-1],
        ridge,
    )


# --------------------------------------------------------------------------- early stopping


def spectral_filters(
    curvatures: Any, *, lr: float, steps: Any, lambdas: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient descent's filter after k steps from 0, :math:`1 - (1 - \\eta a)^k`, and ridge's
    :math:`a / (a + \\lambda)`, for curvatures :math:`a = s^2/n` (rows: each k, or each λ)."""
    a = np.asarray(curvatures, dtype=np.float64)
    gd = 1 - (1 - lr * a[None, :]) ** np.asarray(steps, dtype=np.float64)[:, None]
    ridge = a[None, :] / (a[None, :] + np.asarray(lambdas, dtype=np.float64)[:, None])
    return gd, ridge


# --------------------------------------------------------------------------- the modern view


@dataclass(frozen=True)
class ScaleInvariantRun:
    """Weight norm and angular update per step of a scale-invariant weight under an optimizer
    with weight decay, simulated (the equilibrium they settle at is derived in
    :mod:`wdtheory.analysis.equilibrium`)."""

    name: str
    norm: np.ndarray
    angle: np.ndarray


def scale_invariant_run(
    kind: str, *, lr: float, weight_decay: float, d: int = 100, steps: int = 4000, seed: int = 0
) -> ScaleInvariantRun:
    """Simulate a weight whose loss is scale-invariant, :math:`f(c\\mathbf{w}) = f(\\mathbf{w})`: its
    gradient is orthogonal to :math:`\\mathbf{w}` with norm :math:`\\|\\tilde g\\|/\\|\\mathbf{w}\\|`
    (here a fresh random direction of unit norm at unit scale, as from minibatch noise). ``kind``
    is ``sgd`` (w ← w − η(g + λw)) or ``adamw`` (AdamW with β₁ = 0: the RMS-normalised step
    g/√v̂ plus the decoupled η λ w; without momentum successive updates are uncorrelated, which is
    the assumption of the equilibrium derived in :mod:`wdtheory.analysis.equilibrium`)."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(d)
    v = np.zeros(d)
    norms, angles = [], []
    for t in range(1, steps + 1):
        direction = rng.standard_normal(d)
        direction -= direction @ w / (w @ w) * w
        g = direction / np.linalg.norm(direction) / np.linalg.norm(w)
        if kind == "sgd":
            new = w - lr * (g + weight_decay * w)
        else:
            v = 0.999 * v + 0.001 * g * g
            new = w - lr * (g / (np.sqrt(v / (1 - 0.999**t)) + 1e-8) + weight_decay * w)
        cosine = new @ w / (np.linalg.norm(new) * np.linalg.norm(w))
        angles.append(float(np.arccos(np.clip(cosine, -1.0, 1.0))))
        w = new
        norms.append(float(np.linalg.norm(w)))
    return ScaleInvariantRun(kind, np.array(norms), np.array(angles))
