"""The decay sweeps page: λ swept for SGD with momentum and for Adam, L2 against decoupled
decay, the measured best λ set beside the fixed-point engine's λ_eff."""

from __future__ import annotations

import numpy as np
import sympy as sp

from wdtheory.analysis.fixed_points import FixedPoint, fixed_point
from wdtheory.core.hyperparams import show
from wdtheory.core.printing import to_latex
from wdtheory.core.roundoff import roundoff_text
from wdtheory.numeric.sweep import Sweep, sweep
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import ROLES
from wdtheory.report import plots
from wdtheory.report.markdown import fixed_point_cell, table
from wdtheory.report.settings import Files, Settings

__all__ = ["page"]

#: (L2 rule, decoupled rule) pairs, λ left out (the sweep's axis)
PAIRS = (
    ("SGD with momentum", "torch.sgd(lr=0.1, momentum=0.9)", "sgdw(lr=0.1, momentum=0.9)"),
    ("Adam", "torch.adam(lr=0.01)", "torch.adamw(lr=0.01)"),
)
#: the same rules at the seed experiment's learning rate
SEED_SPECS = (
    "torch.sgd(lr=0.01, momentum=0.9)",
    "sgdw(lr=0.01, momentum=0.9)",
    "torch.adam(lr=0.01)",
    "torch.adamw(lr=0.01)",
)
LOW, DECADES = 1e-3, 4  # λ from 1e-3 to 10
LAMBDA = ROLES["weight_decay"].symbol


def _engine(spec: str) -> tuple[FixedPoint, sp.Expr | None]:
    """The fixed point of ``spec`` with λ symbolic, and λ_eff as a function of λ (None when the
    rest point is no ridge solution)."""
    fixed = fixed_point(Optimizer.from_spec(spec).unbind(["weight_decay"]))
    return fixed, fixed.ridge_strength


def _settled(run: Sweep) -> np.ndarray:
    """Whether the mean validation loss at each λ stopped moving over the last tenth of the
    run (relative change below 1e-6)."""
    end, before = run.val_loss[..., -1].mean(axis=0), run.val_loss[..., -2].mean(axis=0)
    return np.abs(end - before) <= 1e-6 * np.abs(end)


def page(settings: Settings) -> Files:
    per_decade = 6 if settings.sweep <= 50 else 12
    lambdas = np.geomspace(LOW, LOW * 10**DECADES, per_decade * DECADES + 1)
    seeds, steps = max(2, settings.seeds // 4), settings.steps
    runs = {
        spec: sweep(
            spec,
            {"weight_decay": lambdas},
            seeds=seeds,
            problem="logistic",
            batch=None,
            epochs=steps,
            every=steps // 10,
            threads=1,  # the report's pages run in processes of their own
        )
        for _, *specs in PAIRS
        for spec in specs
    }
    rows, ratios, panels, at_rest = [], [], [], []
    for title, l2, decoupled in PAIRS:
        curves = []
        strengths = {}
        for colour, spec in enumerate((l2, decoupled)):
            run = runs[spec]
            fixed, strengths[spec] = _engine(spec)
            val = run.val_loss[..., -1].mean(axis=0)
            best = int(np.argmin(val))
            box = (lambdas[best] * np.abs(run.params[:, best, :-1]).max(axis=1)).mean()
            rows.append(
                [
                    f"`{spec}`",
                    fixed_point_cell(fixed),
                    f"{lambdas[best]:.3g}",
                    f"{val[best]:.4f}",
                    f"{run.val_accuracy[..., -1].mean(axis=0)[best]:.3f}",
                    f"{box:.2f}",
                    f"{int(_settled(run).sum())} of {len(lambdas)}",
                ]
            )
            curves.append((f"{spec.split('(')[0]}", lambdas, val, colour, "-"))
            if fixed.gradient is not None and not fixed.is_ridge:
                at_rest += [
                    f"At rest, `{spec}` has the gradient (derived)",
                    "",
                    "$$",
                    f"g = {to_latex(fixed.gradient)}",
                    "$$",
                    "",
                ]
        measured = (
            lambdas[int(np.argmin(runs[decoupled].val_loss[..., -1].mean(axis=0)))]
            / (lambdas[int(np.argmin(runs[l2].val_loss[..., -1].mean(axis=0)))])
        )
        if strengths[l2] is not None and strengths[decoupled] is not None:
            predicted = sp.simplify(strengths[l2] / strengths[decoupled])
            effective = sp.lambdify(LAMBDA, strengths[decoupled])
            curves.append(
                (
                    rf"{decoupled.split('(')[0]} against $\lambda_{{\mathrm{{eff}}}}$",
                    effective(lambdas),
                    curves[1][2],
                    1,
                    "--",
                )
            )
            both = _settled(runs[l2]) & _settled(runs[decoupled])
            shift = round(float(sp.log(predicted, 10)) * per_decade)
            aligned = [
                abs(runs[decoupled].val_loss[..., -1].mean(axis=0)[i + shift] - curves[0][2][i])
                for i in range(len(lambdas))
                if 0 <= i + shift < len(lambdas) and both[i] and both[i + shift]
            ]
            ratios.append(
                [
                    title,
                    f"{measured:.3g}",
                    f"{show(predicted)} (from λ_eff)",
                    f"{roundoff_text(max(aligned))} over {len(aligned)} λ"
                    if aligned
                    else "no λ settled in both",
                ]
            )
        else:
            ratios.append(
                [title, f"{measured:.3g}", "none: one rest point is no ridge solution", "–"]
            )
        panels.append((title, curves))
    step = 10 ** (1 / per_decade)
    lines = [
        *_intro(lambdas, seeds, steps, step),
        *table(
            [
                "rule",
                "fixed point (derived)",
                "best λ",
                "validation loss",
                "validation accuracy",
                "λ·max|w| at the best λ",
                "settled",
            ],
            rows,
        ),
        "",
        "## The best λ of the decoupled rule against the L2 rule's",
        "",
        "Where both rules rest at ridge solutions, the fixed-point engine's λ_eff predicts the ratio of their "
        "best λ: the decoupled rule at λ rests where the L2 rule rests at λ_eff(λ). The last column compares "
        "the two validation curves once the decoupled one is moved by that ratio (to the nearest grid "
        "point), at the λ where both settled.",
        "",
        *table(
            [
                "pair",
                "measured best-λ ratio",
                "predicted",
                "largest difference of the aligned curves",
            ],
            ratios,
        ),
        "",
        *at_rest,
        *(
            [
                "which is λ_eff·w for no constant λ_eff, so no ratio is predicted for Adam: AdamW's λ is "
                "not a rescaled L2 strength. That gradient's denominator vanishes where λ·|w| = 1; the "
                "λ·max|w| column gives how close the largest weight comes to it at each rule's best λ.",
                "",
            ]
            if at_rest
            else []
        ),
        *_seed_experiment(settings.seeds),
    ]
    return {
        "decay-sweeps.md": "\n".join(lines) + "\n",
        "decay-sweeps.png": plots.decay_sweep_plot(panels),
    }


def _intro(lambdas: np.ndarray, seeds: int, steps: int, step: float) -> list[str]:
    return [
        "# λ sweeps: SGD with momentum and Adam, L2 against decoupled weight decay",
        "",
        f"Each rule trained by `wdtheory.sweep` on the built-in logistic-regression task (50 features, 100 "
        f"training and 400 validation rows, {seeds} seeds, each its own data), full batch for {steps} steps, "
        f"for {len(lambdas)} values of λ from {lambdas[0]:g} to {lambdas[-1]:g} (a log grid, ×{step:.3f} a "
        "step), the bias not decayed — every rule, seed and λ computed in this report's run. The best λ is the "
        "one with the lowest validation loss (mean over seeds) at the end; the column λ·max|w| is, at that λ, "
        "the largest weight times λ (mean over seeds); *settled* counts the λ whose mean validation loss moved by "
        "less than 1e-6 (relative) over the last tenth of the run.",
        "",
        "![validation loss against lambda](decay-sweeps.png)",
        "",
    ]


def _seed_experiment(seeds: int) -> list[str]:
    """The d2l seed experiment (minibatches of 5, 10 epochs, learning rate 0.01) run by the four
    rules at λ = 0 and λ = 3."""
    rows, shrunk = [], {}
    for spec in SEED_SPECS:
        run = sweep(spec, {"weight_decay": [0.0, 3.0]}, seeds=seeds, threads=1)
        shrunk[spec] = run.half_norm[:, 1, -1].mean()
        for i, lam in enumerate((0.0, 3.0)):
            train, val = run.train_loss[:, i, -1], run.val_loss[:, i, -1]
            rows.append(
                [
                    f"`{spec}`",
                    f"{lam:g}",
                    f"{train.mean():.3e} ± {train.std():.1e}",
                    f"{val.mean():.3e} ± {val.std():.1e}",
                    f"{run.half_norm[:, i, -1].mean():.4f}",
                ]
            )
    return [
        "## The seed experiment with these rules",
        "",
        f"The d2l experiment of the seed-experiment page ({seeds} seeds, 200 features, 20 training rows, "
        "minibatches of 5, 10 epochs, learning rate 0.01 for every rule), its weights decayed by each rule:",
        "",
        *table(["rule", "λ", "train loss", "validation loss", "½‖w‖²"], rows),
        "",
        "λ = 3 shrinks the weights under every rule, by different amounts: ½‖w‖² at λ = 3 under the "
        "decoupled rule over the L2 rule is "
        + " and ".join(
            f"{shrunk[SEED_SPECS[k + 1]] / shrunk[SEED_SPECS[k]]:.2f} for {title}"
            for k, (title, *_) in zip((0, 2), PAIRS, strict=True)
        )
        + ".",
    ]
