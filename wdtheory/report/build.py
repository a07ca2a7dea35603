"""``wdtheory report``: write the reports folder from what the code derives and computes in this run.

One page per topic, markdown with ``$$…$$`` math that renders on GitHub, PNG plots beside them.
Every number on a page is computed by the run that writes it; nothing is pasted in. The output is
deterministic (fixed seeds, fixed order, no dates) and written through
:class:`~wdtheory.report.files.ReportFolder` (atomic, inside the folder only, never over a file the tool
did not write). ``quick`` runs smaller experiments (fewer seeds, λ values and pages) for a check
in well under a minute; the committed ``reports/`` folder is the quick report, and a test
regenerates it and compares every byte.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from wdtheory.analysis.convert import convert
from wdtheory.analysis.equilibrium import G, U, derive_equilibrium
from wdtheory.analysis.fixed_points import fixed_point
from wdtheory.claims.engine import CLAIMS, Evidence, Result, render_results, verify_all
from wdtheory.core.derivation import Derivation
from wdtheory.core.hyperparams import show
from wdtheory.core.notation import ETA, LAMBDA, LAMBDA_1, LAMBDA_2
from wdtheory.core.printing import to_latex
from wdtheory.core.roundoff import ROUNDOFF, roundoff_text
from wdtheory.numeric.experiments import (
    decay_paths,
    digits_softmax,
    scale_invariant_run,
    seed_experiment,
    sparse_paths,
    spectral_filters,
)
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.rules import derive_optimizer
from wdtheory.problems.conventions import CONVENTIONS, match
from wdtheory.problems.derive import derive_problem
from wdtheory.problems.losses import LOSSES
from wdtheory.problems.problem import Problem
from wdtheory.report import plots
from wdtheory.report.files import ReportFolder

__all__ = ["write_report"]

Files = dict[str, str | bytes]


@dataclass(frozen=True)
class Settings:
    """Sizes of the experiments: ``quick`` is the committed report, the full one is larger."""

    seeds: int
    sweep: int
    penalties: tuple[str, ...]
    steps: int

    @classmethod
    def make(cls, quick: bool) -> Settings:
        if quick:
            return cls(seeds=20, sweep=50, penalties=("l2", "l1", "elastic-net"), steps=1000)
        return cls(seeds=50, sweep=100, penalties=("l2", "l1", "elastic-net"), steps=4000)


PENALTIES = {
    "l2": {"l2": LAMBDA},
    "l1": {"l1": LAMBDA_1},
    "elastic-net": {"l1": LAMBDA_1, "l2": LAMBDA_2},
}

RULES = (
    "torch.sgd(momentum=mu)",
    "sgdw(momentum=mu)",
    "keras.sgd(momentum=mu)",
    "torch.adam",
    "torch.adamw",
    "keras.adamw",
    "optax.adamw",
    "paper.adamw",
    "optax.lion",
)

CONVENTION_PAIRS = (
    ("d2l.l2", "sklearn.Ridge"),
    ("d2l.l2", "torch.mse.l2"),
    ("d2l.l2", "keras.mse.l2"),
    ("keras.mse.l2", "torch.mse.l2"),
    ("d2l.l1", "sklearn.Lasso"),
    ("d2l.elastic_net", "sklearn.ElasticNet"),
)

CONVERSIONS = (
    ("torch.adamw(lr=0.001, weight_decay=0.01)", "optax"),
    ("torch.adamw(lr=0.001, weight_decay=0.01)", "paper"),
    ("torch.adamw(lr=0.001, weight_decay=0.01)", "keras"),
    ("torch.sgd(lr=0.1, momentum=0, weight_decay=0.0001)", "keras"),
    ("torch.sgd(lr=0.1, momentum=0.9, dampening=0, weight_decay=0.0001)", "keras"),
    ("keras.sgd(learning_rate=0.1, momentum=0.9, weight_decay=0)", "torch"),
)


def _math(expr: sp.Basic) -> str:
    return f"${to_latex(expr)}$"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


# --------------------------------------------------------------------------- pages


def _seed_page(settings: Settings) -> Files:
    run = seed_experiment([0.0, 3.0], seeds=settings.seeds)
    halved = seed_experiment(
        [0.0, 3.0], seeds=settings.seeds, lr=0.02
    )  # MSE without the ½, see below
    final_train, final_val = run.train_loss[:, :, -1], run.val_loss[:, :, -1]
    rows = [
        [
            f"{lam:g}",
            f"{final_train[:, i].mean():.3e} ± {final_train[:, i].std():.1e}",
            f"{final_val[:, i].mean():.3e} ± {final_val[:, i].std():.1e}",
            f"{run.half_norm[:, i].mean():.4f} ± {run.half_norm[:, i].std():.4f}",
        ]
        for i, lam in enumerate(run.lambdas)
    ]
    torch_mse, keras_mse = match("d2l.l2", "torch.mse.l2"), match("d2l.l2", "keras.mse.l2")
    lines = [
        "# The seed experiment: weight decay on a 200-feature linear model with 20 examples",
        "",
        "The d2l guide's experiment (`../shared/seeds/002`): X ~ N(0, 1) of shape (120, 200), "
        "y = 0.01·Σx + 0.05 + 0.01·noise, the first 20 rows train and the next 100 validate; minibatches "
        "of 5, learning rate 0.01, 10 epochs, w ~ N(0, 0.01²), b = 0. Loss:",
        "",
        "$$L(\\mathbf{w}, b) = \\frac{1}{n}\\sum_i \\tfrac12(\\mathbf{w}^\\top\\mathbf{x}_i + b - y_i)^2 + "
        "\\frac{\\lambda}{2}\\|\\mathbf{w}\\|^2$$",
        "",
        f"Every seed and both λ run as one batched array computation ({settings.seeds} seeds). The curves show "
        "the data loss mean(½ r²), without the penalty, for train and validation.",
        "",
        "![per-epoch losses](seed-experiment.png)",
        "",
        *_table(
            [
                "λ",
                "train loss (epoch 10)",
                "validation loss (epoch 10)",
                '½‖w‖² (d2l\'s "L2 norm of w")',
            ],
            rows,
        ),
        "",
        "## From scratch and concise",
        "",
        "The *from scratch* form puts λ/2‖w‖² in the loss, so its gradient adds λw; the *concise* form leaves the "
        "loss alone and lets the optimizer add λw to the weights' gradient (`torch.optim.SGD` with "
        "`weight_decay` on the weight group only, the bias excluded). The largest difference between the two "
        f"trajectories over every seed, λ and step: **{roundoff_text(run.forms_gap)}** — they coincide.",
        "",
        '## What d2l prints as "L2 norm of w"',
        "",
        "d2l prints `l2_penalty(w) = sum(w**2) / 2`, which is ½‖w‖² — half the *squared* norm, not the L2 norm "
        f"‖w‖. With λ = 3 it falls from {run.half_norm[:, 0].mean():.4f} to {run.half_norm[:, 1].mean():.4f} here.",
        "",
        "## A loss without the ½",
        "",
        "d2l's concise models use a mean squared error without the ½ (`nn.MSELoss`, Keras' `MeanSquaredError`). "
        f"Derived by `wdtheory.match_convention`: {torch_mse.summary}; {keras_mse.summary}. So a concise "
        "PyTorch model with `weight_decay = λ` on MSE is the scratch model with λ/2 and twice the learning rate, "
        "and Keras' `l2(λ)` on MSE is the scratch model with λ and twice the learning rate. Running the scratch "
        "model with learning rate 0.02 (what the MSE loss amounts to):",
        "",
        *_table(
            ["λ", "validation loss, lr 0.01 (with ½)", "validation loss, lr 0.02 (MSE without ½)"],
            [
                [
                    f"{lam:g}",
                    f"{final_val[:, i].mean():.3e}",
                    f"{halved.val_loss[:, i, -1].mean():.3e}",
                ]
                for i, lam in enumerate(run.lambdas)
            ],
        ),
    ]
    return {
        "seed-experiment.md": "\n".join(lines) + "\n",
        "seed-experiment.png": plots.seed_curves_plot(run),
    }


def _sweep_page(settings: Settings) -> Files:
    lambdas = np.geomspace(1e-3, 1e2, settings.sweep)
    run = seed_experiment(lambdas, seeds=settings.seeds)
    val = run.val_loss[:, :, -1].mean(axis=0)
    best = int(np.argmin(val))
    within = lambdas[val <= 1.1 * val[best]]
    neighbours = [i for i in (best - 1, best + 1) if 0 <= i < len(lambdas)]
    change = max(abs(val[i] / val[best] - 1) for i in neighbours)
    lines = [
        "# λ sweep: choosing the weight decay on validation data",
        "",
        f"The seed experiment for {len(lambdas)} values of λ from {lambdas[0]:g} to {lambdas[-1]:g} (log grid) × "
        f"{settings.seeds} seeds, in one batched run. The validation loss after 10 epochs is lowest at "
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
        "lambda-sweep.png": plots.lambda_sweep_plot(run, float(lambdas[best])),
    }


def _sparse_page(settings: Settings) -> Files:
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
        *_table(
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


def _digits_page(settings: Settings) -> Files:
    lambdas = np.geomspace(1e-4, 3.0, 12)
    runs = {
        "standardised, bias free": digits_softmax(lambdas, steps=settings.steps // 5),
        "standardised, bias penalised": digits_softmax(
            lambdas, penalize_bias=True, steps=settings.steps // 5
        ),
        "raw pixels (0–16), bias free": digits_softmax(
            lambdas, standardize=False, steps=settings.steps // 5
        ),
    }
    rows = [
        [f"{lam:.3g}"]
        + [f"{run.accuracy[i]:.3f} / {run.confidence[i]:.3f}" for run in runs.values()]
        for i, lam in enumerate(lambdas)
        if i % 2 == 0
    ]
    lines = [
        "# Classification: softmax regression with weight decay on digits",
        "",
        "scikit-learn's bundled `load_digits` (1797 images of 8×8 pixels, no download), two thirds to train, one "
        "third to validate; full-batch gradient descent on softmax cross-entropy + λ/2‖W‖², every λ at once.",
        "",
        "![accuracy and confidence against lambda](classification.png)",
        "",
        *_table(["λ", *(f"{name}: accuracy / confidence" for name in runs)], rows),
        "",
        "The slides' \"best practice\" checked with data: weight decay steadily lowers the model's confidence "
        "(the mean largest probability), which is how it prevents overconfident predictions; with features on "
        "different scales (raw pixels) the same λ acts very differently (normalise first); penalising the bias "
        "changes little here because the classes are balanced, but it biases the intercepts toward 0.",
    ]
    return {
        "classification.md": "\n".join(lines) + "\n",
        "classification.png": plots.digits_plot(runs),
    }


def _momentum_page(settings: Settings) -> Files:
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
    rows, effective = [], {}
    for (a, b), run in zip(pairs, runs, strict=True):
        for spec, final in ((a, run.final_l2), (b, run.final_decoupled)):
            fixed = fixed_point(Optimizer.from_spec(spec.split("(")[0]))
            if fixed.is_ridge:  # lambda_eff at this spec's numbers
                effective[spec] = fixed.ridge_strength.xreplace(Optimizer.from_spec(spec).symbols)
            rows.append(
                [
                    f"`{spec}`",
                    fixed.summary.replace("|", "/"),
                    roundoff_text(np.abs(final - run.ridge).max()),
                ]
            )
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
        *_table(
            [
                "optimizer",
                "fixed point (derived)",
                f"max |w − ridge(λ)| after {settings.steps} steps",
            ],
            rows,
        ),
        "",
        "With momentum the decoupled version stops at a ridge solution with λ(1 − μ)/(1 − τ) instead of λ (here "
        f"λ_eff = {show(effective[pairs[0][1]])} against λ = {show(effective[pairs[0][0]])}), so it is ridge with "
        "a rescaled λ; AdamW stops at a point that is no ridge solution at all.",
    ]
    return {
        "momentum-adam.md": "\n".join(lines) + "\n",
        "momentum-adam.png": plots.decay_paths_plot(runs),
    }


def _filters_page(settings: Settings) -> Files:
    curvatures = np.geomspace(1e-3, 10, 200)
    steps, lambdas = [10, 100, 1000], [0.1, 0.01, 0.001]
    gd, ridge = spectral_filters(curvatures, lr=0.1, steps=steps, lambdas=lambdas)
    lines = [
        "# Early stopping against ridge: two spectral filters",
        "",
        "Along a singular direction of curvature a = s²/n, gradient descent from 0 with learning rate η keeps the "
        "fraction 1 − (1 − ηa)ᵏ of the least-squares component after k steps (derived by unrolling the "
        "optimizer on a/2 (w − c)², see the claim `early-stopping-filter`), while ridge keeps a/(a + λ). With "
        "η = 0.1 and λ = 1/(ηk) the two filters have the same shape: both pass large curvatures and suppress "
        "small ones.",
        "",
        "![filters](early-stopping.png)",
    ]
    return {
        "early-stopping.md": "\n".join(lines) + "\n",
        "early-stopping.png": plots.filters_plot(curvatures, gd, ridge, steps, lambdas),
    }


def _modern_page(settings: Settings) -> Files:
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
        *_table(
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


def _claims(part: int, settings: Settings) -> list[tuple[int, Evidence, float]]:
    """Half of the claims catalogue (``part`` 0 or 1), so that two workers share it; the claims
    travel back by position (their checks are not picklable)."""
    return [(CLAIMS.index(r.claim), r.evidence, r.seconds) for r in verify_all(CLAIMS[part::2])]


def _claims_pages(results: list[Result]) -> Files:
    agree = sum(r.agrees for r in results)
    claims = [
        "# Claims",
        "",
        f"`wdtheory verify` derives every verdict with the engines in this run: {agree} of {len(results)} "
        "agree with their expected verdicts.",
        "",
        render_results(results, "markdown"),
    ]
    seeds = [r for r in results if "seed" in r.claim.source]
    audit = [
        "# Audit of the seed documents",
        "",
        "Every claim the seed documents make, with the verdict derived by the code. `conditional` means true "
        "only under the conditions the evidence names; `not checkable` marks opinions or statements about "
        "deep networks outside this theory.",
        "",
    ]
    for source in ("seed 000", "seed 001", "seed 002"):
        group = [r for r in seeds if source in r.claim.source]
        audit += [f"## {source}", "", render_results(group, "markdown")]
    return {"claims.md": "\n".join(claims) + "\n", "audit.md": "\n".join(audit) + "\n"}


def _derivation_page(loss: str, penalty: str, settings: Settings) -> Files:
    problem = Problem.create(loss, **PENALTIES[penalty])
    return {f"derivations/{loss}-{penalty}.md": derive_problem(problem).render("markdown")}


def _conventions_page(settings: Settings) -> Files:
    lines = [
        "# Conventions and conversions",
        "",
        "## Regularised least squares across libraries",
        "",
        "Each row is derived by `wdtheory.match_convention`: SymPy differentiates both objectives and solves "
        "for the parameters that make the gradients proportional, ∇J_target = κ ∇J_source (same minimisers; "
        "gradient descent on the target is gradient descent on the source with the learning rate × κ).",
        "",
    ]
    rows = []
    for source, target in CONVENTION_PAIRS:
        m = match(source, target)
        mapping = ", ".join(f"${to_latex(p)} = {to_latex(v)}$" for p, v in m.values.items())
        rows.append([m.source.description, m.target.description, mapping, _math(m.gradient_ratio)])
    lines += _table(["source", "target", "parameters", "κ"], rows)
    lines += [
        "",
        "## Optimizers across frameworks",
        "",
        "Each row is derived by `wdtheory convert` (which runs `wdtheory compare` on every candidate).",
        "",
    ]
    rows = []
    for spec, framework in CONVERSIONS:
        conversion = convert(Optimizer.from_spec(spec), framework)
        if conversion.target is not None:
            answer = f"`{conversion.target.text}`"
        else:
            last = conversion.comparisons[-1]
            answer = (
                f"none: with `{last.b.name}` the parameters first differ at step {last.first_difference}"
                if last.first_difference
                else "none"
            )
        rows.append([f"`{spec}`", framework, answer])
    lines += _table(["source", "to", "equivalent"], rows)
    lines += ["", "## Sources", "", *(f"- `{c.name}`: {c.source}" for c in CONVENTIONS.values())]
    return {"conventions.md": "\n".join(lines) + "\n"}


def _rules_page(settings: Settings) -> Files:
    parts = [
        "# Update rules of the optimizers",
        "",
        "Each rule is derived from its chain of transformations; where the decay sits in the chain is the "
        "difference between L2 regularisation and weight decay. `wdtheory derive SPEC` prints any of them.",
        "",
    ]
    for spec in RULES:
        body = derive_optimizer(Optimizer.from_spec(spec)).render("markdown")
        parts.append("#" + body)  # one level down
    return {"optimizers.md": "\n".join(parts)}


def compute_files(settings: Settings, workers: int, say: Callable[[str], None]) -> Files:
    """Every page and plot, computed by ``workers`` processes; returned by name."""
    jobs: list[Callable[[], Any]] = [partial(_claims, 0, settings), partial(_claims, 1, settings)]
    jobs += [
        partial(page, settings)
        for page in (
            _digits_page,
            _conventions_page,
            _momentum_page,
            _modern_page,
            _seed_page,
            _sweep_page,
            _sparse_page,
            _filters_page,
            _rules_page,
        )
    ]
    jobs += [
        partial(_derivation_page, loss, penalty, settings)
        for loss in LOSSES
        for penalty in settings.penalties
    ]
    results: list[Any] = [None] * len(jobs)
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        futures = {pool.submit(job): index for index, job in enumerate(jobs)}
        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            say(f"report [{'#' * done}{'.' * (len(jobs) - done)}] {done}/{len(jobs)}")
    claims = [
        Result(CLAIMS[i], evidence, seconds)
        for i, evidence, seconds in sorted(results[0] + results[1])
    ]
    files: Files = {}
    for page in (*results[2:], _claims_pages(claims)):
        files.update(page)
    return files


def write_report(
    out: str | Path,
    *,
    quick: bool = False,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Compute every page, then write them all into ``out`` in a fixed order; return the markdown
    pages written, the index first. A file in the way (one wdtheory did not write) stops the run
    before anything is computed or written."""
    settings = Settings.make(quick)
    say = progress or (lambda message: print(message, file=sys.stderr, flush=True))
    folder = ReportFolder(out)
    folder.check(["index.md", "claims.md", "audit.md"])
    files = compute_files(settings, workers, say)
    pages = sorted(name for name in files if name.endswith(".md"))
    index = [
        "# wdtheory reports",
        "",
        "Generated by `wdtheory report"
        + (" --quick" if quick else "")
        + "`: every formula, number and plot "
        "here is derived or computed by the code in the run that wrote it.",
        "",
    ]
    files["index.md"] = "\n".join([*index, *(f"- [{page}]({page})" for page in pages)]) + "\n"
    folder.check(files)
    for name in sorted(files):
        folder.write(name, files[name])
    return ["index.md", *pages]
