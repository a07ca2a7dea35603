"""The L1-against-L2 page: ridge and lasso coefficient paths on a sparse problem."""

from __future__ import annotations

import numpy as np

from wdtheory.numeric.experiments import sparse_paths
from wdtheory.report import plots
from wdtheory.report.markdown import table
from wdtheory.report.settings import Files, Settings

__all__ = ["page"]


def page(settings: Settings) -> Files:
    lambdas = np.geomspace(1e-3, 3.0, 40)
    paths = sparse_paths(lambdas)
    support = paths.true != 0
    rows = []
    for i in range(0, len(lambdas), 6):
        lasso_support = paths.lasso[i] != 0
        rows.append(
            [
                f"{lambdas[i]:.3g}",
                str(int((paths.ridge[i] == 0).sum())),
                str(int((~lasso_support).sum())),
                "yes" if (lasso_support == support).all() else "no",
            ]
        )
    lines = [
        "# L1 against L2: shrinking versus selecting",
        "",
        f"A problem with {paths.true.size} features of which only {int(support.sum())} matter "
        "(y = Xw + noise, 60 examples). Ridge's path comes from one SVD; the lasso path from the proximal "
        "solver (soft-thresholding, exact zeros). Solid: truly nonzero weights; dotted: truly zero.",
        "",
        "![coefficient paths](l1-vs-l2.png)",
        "",
        *table(
            [
                "λ",
                "exact zeros, ridge",
                "exact zeros, lasso",
                "lasso keeps exactly the true features",
            ],
            rows,
        ),
        "",
        "L2 shrinks every coefficient by the filter s²/(s² + nλ) and never reaches zero; L1 sets coefficients to "
        "exactly zero once |v| ≤ ηλ in its proximal step, which is why it selects features (the slides' \"why "
        'not ℓ1", and exercise 3 of the guide).',
    ]
    return {"l1-vs-l2.md": "\n".join(lines) + "\n", "l1-vs-l2.png": plots.sparse_paths_plot(paths)}
