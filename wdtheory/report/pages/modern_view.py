"""The modern-view page: the equilibrium of scale-invariant weights, derived and simulated."""

from __future__ import annotations

import numpy as np
import sympy as sp

from wdtheory.analysis.equilibrium import G, U, derive_equilibrium
from wdtheory.core.derivation import Derivation
from wdtheory.core.notation import ETA, LAMBDA
from wdtheory.numeric.experiments import scale_invariant_run
from wdtheory.report import plots
from wdtheory.report.markdown import table
from wdtheory.report.settings import Files, Settings

__all__ = ["page"]


def page(settings: Settings) -> Files:
    sgd, adamw = derive_equilibrium("sgd"), derive_equilibrium("adamw")
    settings_by = {"SGD": ("sgd", 0.5, 0.01), "AdamW (β₁ = 0)": ("adamw", 0.02, 0.2)}
    norms, angles, predicted, rows = {}, {}, {}, []
    for name, (kind, lr, lam) in settings_by.items():
        run = scale_invariant_run(kind, lr=lr, weight_decay=lam, steps=settings.steps * 2)
        tail = slice(-len(run.norm) // 4, None)
        angle_star = float(sgd.angle_leading.xreplace({ETA: lr, LAMBDA: lam}))
        if kind == "sgd":
            norm_star = float(sp.sqrt(sgd.squared_norm).xreplace({ETA: lr, LAMBDA: lam, G: 1}))
        else:  # the update's norm U measured from the simulation at equilibrium
            measured = float(np.mean(run.angle[tail] ** 2 * run.norm[tail] ** 2)) / lr**2
            norm_star = float(
                sp.sqrt(adamw.squared_norm).xreplace({ETA: lr, LAMBDA: lam, U: sp.sqrt(measured)})
            )
        norms[name], angles[name], predicted[name] = run.norm, run.angle, (norm_star, angle_star)
        rows.append(
            [
                name,
                f"{lr:g}",
                f"{lam:g}",
                f"{norm_star:.3f}",
                f"{run.norm[tail].mean():.3f}",
                f"{angle_star:.4f}",
                f"{run.angle[tail].mean():.4f}",
            ]
        )
    derivation = Derivation("", (sgd.section, adamw.section)).render("markdown").split("\n", 1)[1]
    lines = [
        "# The modern view: weight decay sets the angular learning rate",
        "",
        "The slides' further reading: in modern networks most weights feed a normalisation layer, so their loss is "
        "scale-invariant and weight decay cannot regularise them in the classical sense. Its effect is on the "
        "dynamics: the norm settles where decay and gradient noise balance, and the angle turned per step "
        "settles at √(2ηλ).",
        derivation,
        "## Simulation",
        "",
        "A 100-dimensional weight with a scale-invariant loss: each step's gradient is a random direction orthogonal "
        "to w with norm 1/‖w‖ (minibatch noise); SGD and AdamW with weight decay.",
        "",
        "![equilibrium](modern-view.png)",
        "",
        *table(
            ["optimizer", "η", "λ", "‖w*‖ derived", "‖w‖ simulated", "θ* ≈ √(2ηλ)", "θ simulated"],
            rows,
        ),
        "",
        "(For AdamW the derived norm uses the update norm U measured in the run; the angle needs no measurement.)",
    ]
    return {
        "modern-view.md": "\n".join(lines) + "\n",
        "modern-view.png": plots.equilibrium_plot(norms, angles, predicted),
    }
