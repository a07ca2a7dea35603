"""Sweeps of the seed experiment, 50 λ × 20 seeds: wdtheory.sweep against batched PyTorch.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py [--lambdas 50] [--seeds 20] [--repeats 5] [--loop]

The experiment is the seed guide's (d2l): a linear model on 200 features, 20 train and 100
validation rows per seed, minibatches of 5 reshuffled every epoch, 10 epochs, the mean train and
validation losses recorded every epoch; the weights are decayed, the bias is not. Three rules,
each with every (seed, λ) one run: SGD (``torch.sgd(lr=0.01)``, λ as L2, the d2l experiment),
SGD with momentum 0.9 and AdamW (``torch.adamw(lr=0.01)``).

* *wdtheory*: ``wdtheory.sweep(spec, grid={"weight_decay": λs}, seeds=20)``, the whole thing
  (data, training, records) in one call: one fused Numba kernel, parallel over the runs;
* *batched PyTorch*: the same experiment written as one tensor program over seeds and λ, as a
  practitioner who cares about speed writes it: ``einsum`` for the minibatch products,
  broadcasting for λ, the update written with tensor operations in ``torch.optim``'s own order
  (``torch.optim.SGD``; ``torch.optim.AdamW``'s ``mul_(1 - lr λ)``, ``lerp_``, ``addcmul_``,
  ``addcdiv_``), under ``torch.no_grad``, float64, on the same data, initial weights and
  minibatch order;
* *loop* (``--loop``, minutes): one ``torch.nn`` model and ``torch.optim`` optimizer per
  (seed, λ), as most training scripts are written.

Both run on the same number of threads, warmed up first, timed interleaved; each figure is the
median of ``--repeats``, each after a pause of 0.3 s (a thread pool spins for a while after its
work: torch's OpenMP threads would otherwise slow the run timed after them). The data (the same arrays for both: ``make_seed_data``, 5 ms) is drawn
once before the timing; what is timed is the sweep: setting it up, training every run and
recording the losses. The results are compared first (largest difference in the recorded
losses). *GFLOP/s* counts the experiment's multiply-adds (forward and gradient of every
minibatch, the losses over every row each epoch) as two operations; *of dgemm* divides it by
NumPy's ``matmul`` of two 2000 × 2000 float64 matrices on the same threads, the machine's
arithmetic rate as a well-tuned BLAS reaches it.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import numba
import numpy as np
import torch

import wdtheory as wd
from wdtheory.numeric.experiments import (
    BATCH,
    EPOCHS,
    LR,
    N_TRAIN,
    SeedData,
    make_seed_data,
    minibatch_order,
)
from wdtheory.numeric.tasks import LinearTask, make_task

RULES = {
    "sgd (L2)": ("torch.sgd(lr=0.01)", {"momentum": 0.0}),
    "sgd + momentum 0.9 (L2)": ("torch.sgd(lr=0.01, momentum=0.9)", {"momentum": 0.9}),
    "adamw": ("torch.adamw(lr=0.01)", {"adamw": True}),
}


def _losses(X: torch.Tensor, y: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """mean(½ r²) for data (S, n, d) and weights (S, L, d) → (S, L)."""
    residual = torch.einsum("snd,sld->sln", X, W) + b[..., None] - y[:, None, :]
    return 0.5 * (residual * residual).mean(dim=-1)


def torch_batched(
    data: SeedData, lambdas: np.ndarray, *, momentum: float = 0.0, adamw: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Per-epoch train and validation losses, shape (seeds, λ, epochs + 1)."""
    seeds = data.w0.shape[0]
    order = torch.from_numpy(minibatch_order(seeds, EPOCHS))
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    Xv, yv = torch.from_numpy(data.X_val), torch.from_numpy(data.y_val)
    lam = torch.from_numpy(lambdas)[None, :, None]
    W = torch.from_numpy(data.w0)[:, None, :].repeat(1, len(lambdas), 1)
    b = torch.zeros(seeds, len(lambdas), dtype=torch.float64)
    state = {name: torch.zeros_like(p) for name, p in (("mW", W), ("vW", W), ("mb", b), ("vb", b))}
    train, val = [_losses(X, y, W, b)], [_losses(Xv, yv, W, b)]
    step = 0
    with torch.no_grad():
        for epoch in range(EPOCHS):
            for start in range(0, N_TRAIN, BATCH):
                rows = order[epoch, :, start : start + BATCH]
                Xb = torch.gather(X, 1, rows[..., None].expand(-1, -1, X.shape[2]))
                yb = torch.gather(y, 1, rows)
                residual = torch.einsum("snd,sld->sln", Xb, W) + b[..., None] - yb[:, None, :]
                grad_W = torch.einsum("snd,sln->sld", Xb, residual) / BATCH
                grad_b = residual.mean(dim=-1)
                step += 1
                if adamw:
                    _adamw(W, grad_W, state["mW"], state["vW"], step, lam)
                    _adamw(b, grad_b, state["mb"], state["vb"], step, 0.0)
                else:
                    grad_W = grad_W + lam * W  # torch.optim.SGD: d_p = grad.add(p, alpha=wd)
                    for p, g, buf in ((W, grad_W, "mW"), (b, grad_b, "mb")):
                        if momentum:
                            if step == 1:
                                state[buf] = g.clone()
                            else:
                                state[buf].mul_(momentum).add_(g)
                            g = state[buf]
                        p.add_(g, alpha=-LR)
            train.append(_losses(X, y, W, b))
            val.append(_losses(Xv, yv, W, b))
    return torch.stack(train, dim=-1).numpy(), torch.stack(val, dim=-1).numpy()


def _adamw(
    p: torch.Tensor, g: torch.Tensor, m: torch.Tensor, v: torch.Tensor, step: int, lam: object
) -> None:
    """torch.optim.AdamW's single-tensor step, its operations in its order, λ broadcast."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    p.mul_(1 - LR * lam)
    m.lerp_(g, 1 - beta1)
    v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    step_size = LR / (1 - beta1**step)
    denom = (v.sqrt() / (1 - beta2**step) ** 0.5).add_(eps)
    p.addcdiv_(m, denom, value=-step_size)


def torch_loop(data: SeedData, lambdas: np.ndarray, spec: str) -> tuple[np.ndarray, np.ndarray]:
    """The same with one model and ``torch.optim`` optimizer per (seed, λ)."""
    seeds = data.w0.shape[0]
    order = minibatch_order(seeds, EPOCHS)
    train = np.zeros((seeds, len(lambdas), EPOCHS + 1))
    val = np.zeros_like(train)
    for s in range(seeds):
        X, y = torch.from_numpy(data.X_train[s]), torch.from_numpy(data.y_train[s])
        Xv, yv = torch.from_numpy(data.X_val[s]), torch.from_numpy(data.y_val[s])
        for j, lam in enumerate(lambdas):
            w = torch.tensor(data.w0[s], requires_grad=True)
            b = torch.zeros((), dtype=torch.float64, requires_grad=True)
            groups = [
                {"params": [w], "weight_decay": float(lam)},
                {"params": [b], "weight_decay": 0.0},
            ]
            if spec.startswith("torch.adamw"):
                optimizer = torch.optim.AdamW(groups, lr=LR)
            else:
                optimizer = torch.optim.SGD(
                    groups, lr=LR, momentum=0.9 if "momentum" in spec else 0
                )
            train[s, j, 0], val[s, j, 0] = _model_losses(X, y, Xv, yv, w, b)
            for epoch in range(EPOCHS):
                for start in range(0, N_TRAIN, BATCH):
                    rows = torch.from_numpy(order[epoch, s, start : start + BATCH])
                    loss = 0.5 * ((X[rows] @ w + b - y[rows]) ** 2).mean()
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                train[s, j, epoch + 1], val[s, j, epoch + 1] = _model_losses(X, y, Xv, yv, w, b)
    return train, val


def _model_losses(
    X: torch.Tensor,
    y: torch.Tensor,
    Xv: torch.Tensor,
    yv: torch.Tensor,
    w: torch.Tensor,
    b: torch.Tensor,
) -> tuple[float, float]:
    """Train and validation data losses mean(½ r²) of one model."""
    with torch.no_grad():
        return float(0.5 * ((X @ w + b - y) ** 2).mean()), float(
            0.5 * ((Xv @ w + b - yv) ** 2).mean()
        )


def ours(spec: str, lambdas: np.ndarray, task: LinearTask) -> tuple[np.ndarray, np.ndarray]:
    run = wd.sweep(spec, grid={"weight_decay": lambdas}, problem=task, epochs=EPOCHS, batch=BATCH)
    return run.train_loss, run.val_loss


def flops(lambdas: int, seeds: int, d: int = 200, n_val: int = 100) -> float:
    """Two operations per multiply-add of the experiment (see the module doc)."""
    steps = EPOCHS * (N_TRAIN // BATCH)
    per_run = steps * 2 * BATCH * d + (EPOCHS + 1) * (N_TRAIN + n_val) * d
    return 2.0 * per_run * lambdas * seeds


def dgemm_rate(size: int = 2000, repeats: int = 5) -> float:
    a = np.random.default_rng(0).standard_normal((size, size))
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(repeats))
    return 2 * size**3 / best


def _timed(run: Callable[[], object]) -> float:
    """The time of ``run()``, after a pause: a thread pool (torch's OpenMP, BLAS) spins for a
    while after its work, which would slow whatever runs next."""
    time.sleep(0.3)
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lambdas", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--loop", action="store_true", help="also time a loop of torch.optim runs")
    args = parser.parse_args()
    threads = numba.get_num_threads()
    torch.set_num_threads(threads)
    lambdas = np.geomspace(1e-3, 1e2, args.lambdas)
    rate = dgemm_rate()
    work = flops(args.lambdas, args.seeds)
    print(
        f"{platform.processor() or platform.machine()}, {threads} threads (numba and torch), "
        f"torch {torch.__version__}, numba {numba.__version__}, numpy {np.__version__}; "
        f"dgemm {rate / 1e9:.1f} GFLOP/s; the experiment {work / 1e6:.0f} MFLOP"
    )
    print()
    print(
        "| rule | runs | wdtheory.sweep | batched PyTorch | ours / batched | GFLOP/s ours "
        "| of dgemm | largest difference in the losses |"
        + (" loop of torch.optim runs |" if args.loop else "")
    )
    print("|---|---|---|---|---|---|---|---|" + ("---|" if args.loop else ""))
    task, data = make_task("squared_error", args.seeds), make_seed_data(args.seeds)
    for name, (spec, options) in RULES.items():
        mine = ours(spec, lambdas, task)
        theirs = torch_batched(data, lambdas, **options)
        gap = max(np.abs(a - b).max() for a, b in zip(mine, theirs, strict=True))
        times: dict[str, list[float]] = {"ours": [], "torch": []}
        for _ in range(args.repeats):
            times["ours"].append(_timed(lambda s=spec: ours(s, lambdas, task)))
            times["torch"].append(_timed(lambda o=options: torch_batched(data, lambdas, **o)))
        a, b = (statistics.median(times[k]) for k in ("ours", "torch"))
        row = (
            f"| {name} | {args.lambdas} λ × {args.seeds} seeds | {a * 1e3:.1f} ms | "
            f"{b * 1e3:.1f} ms | {a / b:.2f} | {work / a / 1e9:.1f} | {work / a / rate:.1%} | "
            f"{gap:.1e} |"
        )
        if args.loop:
            start = time.perf_counter()
            looped = torch_loop(data, lambdas, spec)
            loop = time.perf_counter() - start
            loop_gap = max(np.abs(a - b).max() for a, b in zip(mine, looped, strict=True))
            row += f" {loop:.2f} s ({loop / a:.0f}×, difference {loop_gap:.1e}) |"
        print(row)


if __name__ == "__main__":
    main()
