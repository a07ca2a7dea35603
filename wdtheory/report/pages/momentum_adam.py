"""The momentum and Adam page: where L2 and decoupled weight decay part, run and derived."""

from __future__ import annotations

import numpy as np

from wdtheory.analysis.fixed_points import fixed_point
from wdtheory.core.hyperparams import show
from wdtheory.core.printing import to_latex
from wdtheory.core.roundoff import ROUNDOFF, roundoff_text
from wdtheory.numeric.experiments import decay_paths
from wdtheory.optim.optimizer import Optimizer
from wdtheory.report import plots
from wdtheory.report.markdown import fixed_point_cell, table
from wdtheory.report.settings import Files, Settings

__all__ = ["page"]


def page(settings: Settings) -> Files:
    pairs = [
        (
            "torch.sgd(lr=0.05, momentum=0.9, dampening=0, weight_decay=0.1)",
            "sgdw(lr=0.05, momentum=0.9, dampening=0, weight_decay=0.1)",
        ),
        ("torch.adam(lr=0.01, weight_decay=0.1)", "torch.adamw(lr=0.01, weight_decay=0.1)"),
    ]
    runs = [
        decay_paths(label, a, b, steps=settings.steps)
        for label, (a, b) in zip(
            ("SGD with momentum: L2 vs decoupled", "Adam vs AdamW"), pairs, strict=True
        )
    ]
    rows, effective, off_ridge = [], {}, []
    for (a, b), run in zip(pairs, runs, strict=True):
        for spec, final in ((a, run.final_l2), (b, run.final_decoupled)):
            fixed = fixed_point(Optimizer.from_spec(spec.split("(")[0], symbolic=True))
            if fixed.is_ridge:  # lambda_eff at this spec's numbers
                effective[spec] = fixed.ridge_strength.xreplace(Optimizer.from_spec(spec).symbols)
            elif fixed.gradient is not None:
                off_ridge.append((spec, fixed.gradient))
            rows.append(
                [
                    f"`{spec}`",
                    fixed_point_cell(fixed),
                    roundoff_text(np.abs(final - run.ridge).max()),
                ]
            )
    at_rest = [
        line
        for spec, gradient in off_ridge
        for line in (
            f"At rest, `{spec.split('(')[0]}` has the gradient (derived)",
            "",
            "$$",
            f"g = {to_latex(gradient)}",
            "$$",
            "",
            r"which is $\lambda_{\mathrm{eff}}\, w$ for no constant $\lambda_{\mathrm{eff}}$.",
            "",
        )
    ]
    first = [int(np.argmax(run.distance > ROUNDOFF)) + 1 for run in runs]
    lines = [
        "# Momentum and Adam: where L2 and decoupled weight decay part",
        "",
        "Each pair runs on the same full-batch least-squares problem (40 × 6) from w = 1, with the lowered "
        f"kernels. The distance between the two iterates first exceeds round-off ({ROUNDOFF:g}) at step "
        f"{first[0]} for heavy-ball momentum and at step {first[1]} for Adam (measured in this run), the "
        "steps at which `wdtheory compare` finds the first difference (see the claims page), and grows "
        "from there.",
        "",
        "![distance between the iterates](momentum-adam.png)",
        "",
        *table(
            [
                "optimizer",
                "fixed point (derived)",
                f"max |w − ridge(λ)| after {settings.steps} steps",
            ],
            rows,
        ),
        "",
        *at_rest,
        "With momentum the decoupled version stops at a ridge solution with λ(1 − μ)/(1 − τ) instead of λ (here "
        f"λ_eff = {show(effective[pairs[0][1]])} against λ = {show(effective[pairs[0][0]])}), so it is ridge with "
        "a rescaled λ; AdamW stops at a point that is no ridge solution at all.",
    ]
    return {
        "momentum-adam.md": "\n".join(lines) + "\n",
        "momentum-adam.png": plots.decay_paths_plot(runs),
    }
