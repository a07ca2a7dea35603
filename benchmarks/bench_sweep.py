"""The seed experiment over 50 λ × 20 seeds: one batched run against a loop of PyTorch runs.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py [--lambdas 50] [--seeds 20]

The loop is what one writes with PyTorch: for each seed and λ, a model (w, b) trained by
minibatch SGD with the loss mean(½ r²) + λ/2 ‖w‖², 10 epochs of 4 minibatches, the losses recorded
every epoch, in float64 on the same data, initial weights and minibatch order as the batched run
(``wdtheory.numeric.experiments.make_seed_data`` and ``minibatch_order``). The results are compared
(largest difference in the recorded losses) and both are timed in the same process.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from wdtheory.numeric.experiments import (
    BATCH,
    EPOCHS,
    LR,
    N_TRAIN,
    make_seed_data,
    minibatch_order,
    seed_experiment,
)


def _losses(
    X: torch.Tensor,
    y: torch.Tensor,
    Xv: torch.Tensor,
    yv: torch.Tensor,
    w: torch.Tensor,
    b: torch.Tensor,
) -> tuple[float, float]:
    """Train and validation data losses mean(½ r²)."""
    with torch.no_grad():
        return float(0.5 * ((X @ w + b - y) ** 2).mean()), float(
            0.5 * ((Xv @ w + b - yv) ** 2).mean()
        )


def torch_loop(lambdas: np.ndarray, seeds: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-epoch train and validation data losses, shape (seeds, λ, epochs + 1)."""
    data = make_seed_data(seeds)
    order = minibatch_order(seeds, EPOCHS)
    train = np.zeros((seeds, len(lambdas), EPOCHS + 1))
    val = np.zeros_like(train)
    torch.set_num_threads(1)  # tiny tensors: threads only add overhead
    for s in range(seeds):
        X, y = torch.from_numpy(data.X_train[s]), torch.from_numpy(data.y_train[s])
        Xv, yv = torch.from_numpy(data.X_val[s]), torch.from_numpy(data.y_val[s])
        for j, lam in enumerate(lambdas):
            w = torch.tensor(data.w0[s], requires_grad=True)
            b = torch.zeros((), dtype=torch.float64, requires_grad=True)
            optimizer = torch.optim.SGD([w, b], lr=LR)

            train[s, j, 0], val[s, j, 0] = _losses(X, y, Xv, yv, w, b)
            for epoch in range(EPOCHS):
                for start in range(0, N_TRAIN, BATCH):
                    rows = torch.from_numpy(order[epoch, s, start : start + BATCH])
                    loss = 0.5 * ((X[rows] @ w + b - y[rows]) ** 2).mean() + lam / 2 * (w * w).sum()
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                train[s, j, epoch + 1], val[s, j, epoch + 1] = _losses(X, y, Xv, yv, w, b)
    return train, val


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lambdas", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    lambdas = np.geomspace(1e-3, 1e2, args.lambdas)
    seed_experiment(lambdas[:2], seeds=2, concise=False)  # warm both up: imports, first calls
    torch_loop(lambdas[:2], 2)
    start = time.perf_counter()
    ours = seed_experiment(lambdas, seeds=args.seeds, concise=False)
    batched = time.perf_counter() - start
    start = time.perf_counter()
    train, val = torch_loop(lambdas, args.seeds)
    loop = time.perf_counter() - start
    gap = max(np.abs(ours.train_loss - train).max(), np.abs(ours.val_loss - val).max())
    print(
        "| runs | batched (wdtheory seed_experiment, NumPy) | loop (PyTorch) | speed-up "
        "| largest difference in the losses |"
    )
    print("|---|---|---|---|---|")
    print(
        f"| {args.lambdas} λ × {args.seeds} seeds | {batched:.2f} s | {loop:.2f} s | {loop / batched:.1f}× | {gap:.1e} |"
    )


if __name__ == "__main__":
    main()
