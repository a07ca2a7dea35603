"""The λ sweep page: the seed experiment over a log grid of λ, chosen on validation data."""

from __future__ import annotations

import numpy as np

from wdtheory.numeric.sweep import sweep
from wdtheory.report import plots
from wdtheory.report.settings import Files, Settings

__all__ = ["page"]


def page(settings: Settings) -> Files:
    lambdas = np.geomspace(1e-3, 1e2, settings.sweep)
    run = sweep("torch.sgd(lr=0.01)", {"weight_decay": lambdas}, seeds=settings.seeds, threads=1)
    val = run.val_loss[:, :, -1].mean(axis=0)
    best = int(np.argmin(val))
    within = lambdas[val <= 1.1 * val[best]]
    neighbours = [i for i in (best - 1, best + 1) if 0 <= i < len(lambdas)]
    change = max(abs(val[i] / val[best] - 1) for i in neighbours)
    lines = [
        "# λ sweep: choosing the weight decay on validation data",
        "",
        f"The seed experiment for {len(lambdas)} values of λ from {lambdas[0]:g} to {lambdas[-1]:g} (log grid) × "
        f"{settings.seeds} seeds, in one fused run of `wdtheory.sweep` (`torch.sgd(lr=0.01)` with "
        "`weight_decay` = λ on the weights, which is the L2 penalty's gradient). The validation loss "
        "after 10 epochs is lowest at "
        f"**λ = {lambdas[best]:.3g}** (mean {val[best]:.3e}).",
        "",
        "![validation loss against lambda](lambda-sweep.png)",
        "",
        "Sensitivity (the guide's exercises 1 and 2): the validation loss stays within 10% of its minimum for "
        f"λ from {within.min():.3g} to {within.max():.3g}; one grid step (×{lambdas[1] / lambdas[0]:.3f}) away "
        f"from the best λ it changes by at most {100 * change:.1f}%. Too small a λ leaves the model overfitted "
        f"(validation {val[0]:.3e} at λ = {lambdas[0]:g}); too large a λ underfits (validation {val[-1]:.3e} at "
        f"λ = {lambdas[-1]:g}, where each step multiplies w by 1 − ηλ = {1 - 0.01 * lambdas[-1]:g}) — but only "
        "slightly: each feature carries a signal of 0.01, far below what 20 examples can resolve, so predicting "
        "with w ≈ 0 is nearly as good as the best λ (the claim `s2-lambda-tradeoff` shows the full U shape on a "
        "problem with real signal).",
    ]
    return {
        "lambda-sweep.md": "\n".join(lines) + "\n",
        "lambda-sweep.png": plots.lambda_sweep_plot(
            lambdas, run.train_loss[..., -1], run.val_loss[..., -1], float(lambdas[best])
        ),
    }
