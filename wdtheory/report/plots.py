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
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from wdtheory.numeric.experiments import DecayPaths, DigitsRun, SeedRun, SparsePaths

__all__ = [
    "audit_plot",
    "decay_paths_plot",
    "decay_sweep_plot",
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


def lambda_sweep_plot(
    lambdas: np.ndarray, train: np.ndarray, val: np.ndarray, best: float
) -> bytes:
    """Final validation and train loss (seeds × λ) against λ (log scale), the chosen λ marked."""
    with _figure() as (figure, (axis,)):
        for final, label in ((val, "validation"), (train, "train")):
            (line,) = axis.plot(lambdas, final.mean(axis=0), label=f"{label} (mean)")
            low, high = np.percentile(final, [10, 90], axis=0)
            axis.fill_between(lambdas, low, high, color=line.get_color(), alpha=0.15)
        axis.axvline(best, color="black", linestyle=":", label=f"best λ = {best:.3g}")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("λ")
        axis.set_ylabel("data loss after 10 epochs")
        axis.set_title(f"λ sweep: {len(lambdas)} values × {val.shape[0]} seeds")
        axis.legend()
        return _png(figure)


def decay_sweep_plot(
    panels: list[tuple[str, list[tuple[str, np.ndarray, np.ndarray, int, str]]]],
) -> bytes:
    """One panel per (title, curves); each curve (label, λ, mean validation loss, colour index,
    line style) against λ on a log scale: a rule keeps its colour, a dashed line is the same
    rule drawn against its derived λ_eff."""
    with _figure(ncols=len(panels), width=5.2 * len(panels)) as (figure, axes):
        for axis, (title, curves) in zip(axes, panels, strict=True):
            for label, lambdas, loss, colour, style in curves:
                axis.plot(lambdas, loss, style, color=f"C{colour}", label=label)
            axis.set_xscale("log")
            axis.set_xlabel(r"$\lambda$ (dashed: $\lambda_{\mathrm{eff}}$)")
            axis.set_ylabel("validation loss at the end")
            axis.set_title(title)
            axis.legend(fontsize="small")
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


#: at most this many points of a curve over a run's steps are drawn (evenly spaced, last kept)
CURVE_POINTS = 2000


def _thinned(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Steps ``1..T`` and ``values`` at most :data:`CURVE_POINTS` of them, the last included."""
    steps = np.unique(np.linspace(0, len(values) - 1, min(len(values), CURVE_POINTS)).astype(int))
    return steps + 1, values[steps]


def audit_plot(
    multipliers: np.ndarray,
    shrinks: dict[str, tuple[np.ndarray, np.ndarray, int]],
    angles: dict[str, tuple[np.ndarray | None, float, int]],
) -> bytes:
    r"""A recipe's decay along its schedule: the learning-rate multiplier :math:`s_t`; per
    group, :math:`w_t / w_0` under the decay alone (solid: under the schedule; dashed: at a
    constant learning rate); per normalised group, the derived equilibrium angle
    :math:`\theta^*(s_t)` and the angle measured at the peak multiplier, drawn over the steps
    that run at the peak. Each curve comes with its colour's index (a group's, in both panels)."""
    panels = 3 if angles else 2
    with _figure(ncols=panels, width=5.0 * panels) as (figure, axes):
        axes[0].plot(*_thinned(multipliers), color="black")
        axes[0].set_ylabel("learning-rate multiplier $s_t$")
        axes[0].set_title("schedule")
        for name, (path, constant, index) in shrinks.items():
            color = f"C{index}"
            axes[1].plot(*_thinned(np.abs(path)), color=color, label=_wrapped(name))
            axes[1].plot(*_thinned(np.abs(constant)), "--", color=color)
        axes[1].plot([], [], "--", color="grey", label="dashed: at a constant lr")
        axes[1].axhline(np.exp(-1), color="grey", linestyle=":", label="$1/e$")
        axes[1].set_yscale("log")
        axes[1].set_ylabel(r"$|w_t / w_0|$, decay alone ($g = 0$)")
        axes[1].set_title("shrink by the decay")
        at_peak = np.flatnonzero(multipliers == multipliers.max()) + 1
        for name, (series, measured, index) in angles.items():
            color = f"C{index}"
            if series is not None:
                axes[2].plot(*_thinned(series), color=color, label=_wrapped(f"{name}, derived"))
            axes[2].plot(
                at_peak,
                np.full(at_peak.shape, measured),
                "o" if at_peak.size < 50 else "-",
                markersize=4,
                color=color,
                label=_wrapped(f"{name}, measured at the peak"),
            )
        if angles:
            axes[2].set_ylabel(r"angle per step at equilibrium $\theta^*$ (rad)")
            axes[2].set_title("normalised weights")
        for axis in axes:
            axis.set_xlabel("step")
            axis.ticklabel_format(axis="x", style="sci", scilimits=(0, 4))
            if axis is not axes[0]:
                axis.legend(fontsize=8)
        return _png(figure)


def _wrapped(label: str, width: int = 40) -> str:
    """A legend label on lines of at most ``width`` characters."""
    return "\n".join(textwrap.wrap(label, width))
