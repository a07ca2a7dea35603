"""Plots for the reports: headless matplotlib, labelled axes and legends, byte-stable PNGs.

Each function takes experiment results and returns PNG bytes. The Agg backend is used, the
figure size and resolution are fixed, and the PNG metadata that would carry a version string is
left out, so the same inputs give the same bytes. Symbols are matplotlib mathtext
(``$\\|w_{L2} - w_{\\mathrm{decoupled}}\\|$``); curves that correspond (early stopping after
k steps and ridge with λ = 1/(ηk)) share a colour and differ in line style; one legend size
(``legend.fontsize``) for all.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from wdtheory.numeric.experiments import DecayPaths, DigitsRun, SeedRun, SparsePaths

__all__ = [
    "decay_paths_plot",
    "digits_plot",
    "equilibrium_plot",
    "filters_plot",
    "lambda_sweep_plot",
    "seed_curves_plot",
    "sparse_paths_plot",
]

plt.rcParams.update(
    {
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "font.size": 10,
        "legend.fontsize": 9,
        "legend.framealpha": 0.9,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "svg.hashsalt": "wdtheory",
    }
)


@contextmanager
def _figure(ncols: int = 1, width: float = 6.4) -> Iterator[tuple[plt.Figure, list[plt.Axes]]]:
    figure, axes = plt.subplots(1, ncols, figsize=(width, 4.0), squeeze=False)
    try:
        yield figure, list(axes[0])
    finally:
        plt.close(figure)


def _png(figure: plt.Figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def seed_curves_plot(run: SeedRun) -> bytes:
    """Per-epoch train and validation loss, mean and 10-90% band over seeds, for each λ."""
    with _figure(width=7.0) as (figure, (axis,)):
        epochs = np.arange(run.train_loss.shape[-1])
        for i, lam in enumerate(run.lambdas):
            for losses, style, label in (
                (run.train_loss, "-", "train"),
                (run.val_loss, "--", "validation"),
            ):
                values = losses[:, i, :]
                (line,) = axis.plot(
                    epochs, values.mean(axis=0), style, color=f"C{i}", label=f"{label}, λ = {lam:g}"
                )
                low, high = np.percentile(values, [10, 90], axis=0)
                axis.fill_between(epochs, low, high, color=line.get_color(), alpha=0.15)
        axis.set_yscale("log")
        axis.set_xlabel("epoch")
        axis.set_ylabel("data loss mean(½ r²)")
        axis.set_title(f"seed experiment, {run.train_loss.shape[0]} seeds (band: 10–90%)")
        axis.legend()
        return _png(figure)


def lambda_sweep_plot(run: SeedRun, best: float) -> bytes:
    """Final validation and train loss against λ (log scale), with the chosen λ marked."""
    with _figure() as (figure, (axis,)):
        for losses, label in ((run.val_loss, "validation"), (run.train_loss, "train")):
            final = losses[:, :, -1]
            (line,) = axis.plot(run.lambdas, final.mean(axis=0), label=f"{label} (mean)")
            low, high = np.percentile(final, [10, 90], axis=0)
            axis.fill_between(run.lambdas, low, high, color=line.get_color(), alpha=0.15)
        axis.axvline(best, color="black", linestyle=":", label=f"best λ = {best:.3g}")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("λ")
        axis.set_ylabel("data loss after 10 epochs")
        axis.set_title(f"λ sweep: {len(run.lambdas)} values × {run.val_loss.shape[0]} seeds")
        axis.legend()
        return _png(figure)


def sparse_paths_plot(paths: SparsePaths) -> bytes:
    """Ridge and lasso coefficient paths side by side; true nonzero weights drawn solid."""
    with _figure(ncols=2, width=10.0) as (figure, axes):
        for axis, coefficients, title in (
            (axes[0], paths.ridge, "ridge (L2)"),
            (axes[1], paths.lasso, "lasso (L1)"),
        ):
            for j in range(coefficients.shape[1]):
                relevant = paths.true[j] != 0
                axis.plot(
                    paths.lambdas,
                    coefficients[:, j],
                    "-" if relevant else ":",
                    color="C0" if relevant else "C3",
                    linewidth=1.5 if relevant else 0.8,
                    label=("true nonzero" if relevant else "true zero")
                    if j in (0, len(paths.true) - 1)
                    else None,
                )
            axis.set_xscale("log")
            axis.set_xlabel("λ")
            axis.set_ylabel("coefficient")
            axis.set_title(title)
            axis.legend()
        return _png(figure)


def digits_plot(runs: dict[str, DigitsRun]) -> bytes:
    """Validation accuracy and mean confidence against λ, one line per setting."""
    with _figure(ncols=2, width=10.0) as (figure, axes):
        for label, run in runs.items():
            axes[0].plot(run.lambdas, run.accuracy, marker="o", markersize=3, label=label)
            axes[1].plot(run.lambdas, run.confidence, marker="o", markersize=3, label=label)
        for axis, ylabel in zip(
            axes, ("validation accuracy", "mean confidence (max probability)"), strict=True
        ):
            axis.set_xscale("log")
            axis.set_xlabel("λ")
            axis.set_ylabel(ylabel)
            axis.legend()
        axes[0].set_title("softmax regression on digits")
        axes[1].set_title("weight decay lowers confidence")
        return _png(figure)


def decay_paths_plot(runs: list[DecayPaths]) -> bytes:
    """Distance between the L2 and decoupled iterates over the steps."""
    with _figure(width=7.0) as (figure, (axis,)):
        for run in runs:
            steps = np.arange(1, len(run.distance) + 1)
            axis.plot(steps, np.maximum(run.distance, 1e-16), label=run.name)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("step")
        axis.set_ylabel(r"$\|w_{\mathrm{L2}} - w_{\mathrm{decoupled}}\|$")
        axis.set_title("L2 regularisation against decoupled weight decay (floor 1e-16)")
        axis.legend(loc="lower right")
        return _png(figure)


def filters_plot(
    curvatures: np.ndarray,
    gd: np.ndarray,
    ridge: np.ndarray,
    steps: list[int],
    lambdas: list[float],
) -> bytes:
    """Early-stopped gradient descent's filters beside ridge's, against the curvature: the i-th
    number of steps and the i-th λ (which match, λ = 1/(ηk)) in one colour, solid and dashed."""
    with _figure(width=7.0) as (figure, (axis,)):
        for index, (row_gd, k, row_ridge, lam) in enumerate(
            zip(gd, steps, ridge, lambdas, strict=True)
        ):
            color = f"C{index}"
            axis.plot(curvatures, row_gd, "-", color=color, label=f"gradient descent, $k = {k}$")
            axis.plot(
                curvatures, row_ridge, "--", color=color, label=rf"ridge, $\lambda = {lam:g}$"
            )
        axis.set_xscale("log")
        axis.set_xlabel(r"curvature $a = s^2/n$ of a singular direction")
        axis.set_ylabel("fraction of the least-squares component kept")
        axis.set_title("spectral filters: early stopping and ridge")
        axis.legend()
        return _png(figure)


def equilibrium_plot(
    norms: dict[str, np.ndarray],
    angles: dict[str, np.ndarray],
    predicted: dict[str, tuple[float, float]],
) -> bytes:
    """Weight norm and angular update over the steps, with the derived equilibria dashed."""
    with _figure(ncols=2, width=10.0) as (figure, axes):
        for index, name in enumerate(norms):
            color = f"C{index}"
            norm_star, angle_star = predicted[name]
            axes[0].plot(norms[name], color=color, label=f"{name} (simulated)")
            axes[0].axhline(norm_star, color=color, linestyle="--", label=f"{name} (derived)")
            smooth = np.convolve(angles[name], np.ones(50) / 50, mode="valid")
            axes[1].plot(smooth, color=color, label=f"{name} (simulated, 50-step mean)")
            axes[1].axhline(
                angle_star, color=color, linestyle="--", label=rf"{name}: $\sqrt{{2\eta\lambda}}$"
            )
        axes[0].set_xlabel("step")
        axes[0].set_ylabel(r"$\|w\|$")
        axes[0].set_title("equilibrium norm")
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("angle turned per step (rad)")
        axes[1].set_yscale("log")
        axes[1].set_title("angular update")
        for axis in axes:
            axis.legend()
        return _png(figure)
