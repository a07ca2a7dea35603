"""The seed experiment page: d2l's weight-decay experiment, batched over seeds and λ."""

from __future__ import annotations

from wdtheory.core.roundoff import roundoff_text
from wdtheory.numeric.experiments import seed_experiment
from wdtheory.problems.conventions import match
from wdtheory.report import plots
from wdtheory.report.markdown import table
from wdtheory.report.settings import Files, Settings

__all__ = ["page"]


def page(settings: Settings) -> Files:
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
        "The d2l guide's experiment (seed document 002, the d2l weight-decay chapter): X ~ N(0, 1) of shape (120, 200), "
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
        *table(
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
        *table(
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
