r"""The fused training kernel: a batch of runs of a linear model trained by a lowered rule.

One Numba function trains a list of groups of runs of a sweep (the caller splits the groups
between threads: the function releases the GIL): for each step, the
model's outputs on the minibatch, the residuals and the mean gradient
(:mod:`wdtheory.lowering.linear_models`), then the update rule — the single-run kernel of the
rule's plan (:func:`~wdtheory.lowering.printers.numba_function`), called on the weights with the
run's hyperparameters and on the bias with the weight decay at 0 (the bias is not decayed, as in
d2l and the usual param groups). Before training and every ``every`` epochs it records the mean
train and validation loss and accuracy (classification) and :math:`\tfrac12\|W\|^2`. Each run's update is
the single-run kernel's arithmetic, so a run of the sweep is a run of
:class:`~wdtheory.runtime.stepper.Stepper` fed the same gradients, bit for bit; the gradients
are sums in a fixed order, equal to a BLAS product to round-off.

The runs are trained in groups of up to four runs of one seed, so that a group's outputs (of
its minibatches and of the losses) are computed with each row of data read once for its four
runs.

The arguments (``train(kind, X, y, n, order, batch, params, grads, states..., hyper,
hyper_free, schedule, groups, train_loss, train_accuracy, val_loss, val_accuracy,
half_norm)``): ``X`` (seeds, rows, d) the features and ``y`` (seeds, rows) the targets, the
first ``n`` rows for training and the others for validation; ``order`` (epochs, seeds, n) the
rows each epoch visits; ``every``: the records are taken every this many epochs; ``groups`` (groups,
3) each group's seed, first run and number of runs; ``params``, ``grads`` and each state
(runs, p); ``hyper``/``hyper_free`` (runs, hyperparameters); ``schedule`` the multiplier of
every step (from step 1); the records (runs, epochs // every + 1), the first before training.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache

from wdtheory.lowering import linear_models
from wdtheory.lowering.compile import LoweredRule, numba_functions
from wdtheory.lowering.printers import numba_function, numba_module

__all__ = ["training_kernel", "training_source"]


def _helpers() -> str:
    """Imports of the linear model's compiled functions, with the hash of their source file:
    a kernel cached before the file changed is then another module (another cache entry)."""
    digest = hashlib.sha256(linear_models.module_source(True).encode()).hexdigest()[:24]
    return "\n".join(
        [
            f"# wdtheory.lowering.linear_models {digest}",
            "from wdtheory.lowering.linear_models import compiled as _linear_model",
            "",
            f"{', '.join(linear_models.HELPERS)} = _linear_model()",
        ]
    )


def training_source(first: LoweredRule, later: LoweredRule, cache: bool = True) -> str:
    """The module of the training kernel for a rule whose first step is ``first`` and later steps
    ``later`` (the same rule when it has no first-step form)."""
    states = [f"s{k}" for k in range(len(later.plan.states))]

    def update(kernel: str, hyper: str, part: str) -> str:
        arrays = ", ".join(f"{a}[r, {part}]" for a in ("params", "grads", *states))
        return f"{kernel}({arrays}, {hyper}[r], float(t), schedule[t - 1])"

    state_args = "".join(f"{s}, " for s in states)
    common = (
        f"kind, X, y, n, order, batch, every, params, grads, {state_args}hyper, hyper_free, "
        "schedule"
    )
    group = [
        f'@numba.njit(error_model="numpy", fastmath=False, cache={cache}, nogil=True)',
        f"def train_group(s, first, m, {common}, records, half_norm):",
        "    d = X.shape[2]",
        "    K = params.shape[1] // (d + 1)",
        "    split = d * K",
        "    z = np.empty((m * K, max(X.shape[1], batch)))",
        "    t = 0",
        "    for e in range(order.shape[0] + 1):",
        "        if e > 0:",
        "            for start in range(0, n, batch):",
        "                count = min(batch, n - start)",
        "                rows = order[e - 1, s, start : start + count]",
        "                products(X[s], rows, count, params, first, m, K, z)",
        "                add_bias(params, first, m, K, d, count, z)",
        "                for r in range(m):",
        "                    residuals(kind, y[s], rows, count, K, z[r * K : (r + 1) * K])",
        "                gradients(X[s], rows, count, grads, first, m, K, z)",
        "                t += 1",
        "                for r in range(first, first + m):",
        "                    if t == 1:",
        f"                        {update('update_first', 'hyper', ':split')}",
        f"                        {update('update_first', 'hyper_free', 'split:')}",
        "                    else:",
        f"                        {update('update', 'hyper', ':split')}",
        f"                        {update('update', 'hyper_free', 'split:')}",
        "        if e % every == 0:",
        "            evaluate(kind, X[s], y[s], n, params, first, m, K, z, records, e // every)",
        "            for r in range(first, first + m):",
        "                half_norm[r, e // every] = half_squared_norm(params, r, split)",
    ]
    lines = [
        f'@numba.njit(error_model="numpy", fastmath=False, cache={cache}, nogil=True)',
        f"def train({common}, groups, train_loss, train_accuracy, val_loss, val_accuracy, "
        "half_norm):",
        "    records = (train_loss, train_accuracy, val_loss, val_accuracy)",
        "    for g in range(groups.shape[0]):",
        f"        train_group(groups[g, 0], groups[g, 1], groups[g, 2], {common}, records, "
        "half_norm)",
    ]
    kernels = [
        numba_function(later.plan, "update", parallel=False, cache=cache),
        numba_function(first.plan, "update_first", parallel=False, cache=cache),
        "\n".join(group) + "\n",
        "\n".join(lines) + "\n",
    ]
    return numba_module(kernels, preamble=_helpers())


@cache
def training_kernel(first: LoweredRule, later: LoweredRule) -> Callable:
    """The compiled training kernel (see :func:`training_source`), made once per process and
    rule."""
    (train,) = numba_functions(lambda cache: training_source(first, later, cache), ("train",))
    return train
