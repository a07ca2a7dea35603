r"""Sweeps: one optimizer over a grid of hyperparameters and seeds, trained in one fused run.

>>> result = sweep("torch.sgd(lr=0.01, momentum=0.9)",
...                grid={"weight_decay": np.geomspace(1e-3, 1e2, 50)}, seeds=20)
>>> result.val_loss.shape                    # (seeds, 50, epochs + 1)
>>> result.best()                            # {'weight_decay': ...} at the lowest mean final validation loss

Every (seed, grid point) is one run: a linear model (:mod:`wdtheory.numeric.tasks`) trained by
minibatch steps of the optimizer with that point's hyperparameters, on that seed's data, initial
weights and minibatch order (reshuffled every epoch, a last smaller batch as a ``DataLoader``
gives it; ``batch=None`` is full batch). The weights take the optimizer as specified, the bias
the same rule with weight decay 0. The grid is the product of its axes, in their order
(``paired=True``: the values vary together, one axis). Hyperparameters outside the grid are the
spec's numbers, or the library's defaults (named in ``defaults``).

``backend="fused"`` (default) runs everything — gradients, updates and records of every run —
in one Numba kernel (:mod:`wdtheory.lowering.training`), the runs in groups of four of one seed
split between threads; the other backends
compute the gradients with array operations of their namespace and step all runs with a
:class:`~wdtheory.runtime.batch.BatchStepper` (``numba``, ``numpy``, ``array_api``, ``cupy``).
Both give each run what a :class:`~wdtheory.runtime.stepper.Stepper` of its numbers gives fed the
same gradients; the gradients are sums whose order differs between backends (round-off).
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np

from wdtheory.core.errors import WdtheoryError, check_choice
from wdtheory.core.hyperparams import show
from wdtheory.lowering.linear_models import LOSSES
from wdtheory.lowering.training import training_kernel
from wdtheory.numeric.arrays import check_count
from wdtheory.numeric.experiments import minibatch_order
from wdtheory.numeric.tasks import LinearTask, make_task
from wdtheory.optim import schedules
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import ROLES
from wdtheory.runtime.batch import BatchStepper, check_grid_values
from wdtheory.runtime.stepper import BACKENDS

__all__ = ["SWEEP_BACKENDS", "Sweep", "sweep"]

SWEEP_BACKENDS = ("fused", *BACKENDS)

#: the records of a sweep, in the order the kernels fill them
RECORDS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "half_norm")


@dataclass(frozen=True)
class Sweep:
    """The records of a sweep, each of shape (seeds, *grid shape, epochs // every + 1), taken
    before training and after every ``every`` epochs: the mean ``train_loss`` and ``val_loss`` (the data loss, no penalty),
    ``train_accuracy`` and ``val_accuracy`` (the fraction classified right; NaN for regression)
    and ``half_norm`` :math:`\\tfrac12\\|W\\|^2`; ``params`` (seeds, *grid shape, K(d + 1))
    the final parameters (:math:`W^\\top` row by row, then :math:`b`); ``grid`` the axes (when
    ``paired``, one axis whose points take the values of every key at once); ``optimizer`` the
    spec as run (the grid's keys at their first value), ``defaults`` the library defaults it
    filled in; ``batch`` the minibatch size (the train set's size for full batch)."""

    optimizer: str
    problem: str
    grid: dict[str, np.ndarray]
    paired: bool
    epochs: int
    batch: int
    every: int
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    half_norm: np.ndarray
    params: np.ndarray
    defaults: dict[str, object] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        """The grid's shape (one axis per key, or one for all when paired)."""
        return self.train_loss.shape[1:-1]

    def point(self, index: tuple[int, ...]) -> dict[str, float]:
        """The hyperparameters of the grid point at ``index``."""
        if self.paired:
            return {k: float(v[index[0]]) for k, v in self.grid.items()}
        return {k: float(v[i]) for (k, v), i in zip(self.grid.items(), index, strict=True)}

    def best(self, record: str = "val_loss", epoch: int = -1) -> dict[str, float]:
        """The grid point whose ``record`` at ``epoch`` (the index of a record: -1 the last),
        averaged over seeds, is best (lowest; highest for an accuracy)."""
        check_choice("record", record, RECORDS)
        columns = self.train_loss.shape[-1]
        if isinstance(epoch, bool) or not isinstance(epoch, int) or not -columns <= epoch < columns:
            raise WdtheoryError(
                f"epoch={epoch!r}: the sweep has records {0}..{columns - 1} (or -1)"
            )
        mean = getattr(self, record)[..., epoch].mean(axis=0)
        if np.isnan(mean).all():
            reason = (
                "not recorded for regression"
                if record.endswith("accuracy") and self.problem == "squared_error"
                else "NaN in every run (they diverged)"
            )
            raise WdtheoryError(f"{record} at record {epoch} is {reason}")
        flat = np.nanargmax(mean) if record.endswith("accuracy") else np.nanargmin(mean)
        return self.point(np.unravel_index(flat, mean.shape))

    def table(self) -> list[dict[str, float | int]]:
        """Tidy rows, one per seed, grid point and epoch: ``seed``, the grid's keys, ``epoch``
        and the records."""
        rows: list[dict[str, float | int]] = []
        for seed in range(self.train_loss.shape[0]):
            for index in np.ndindex(*self.shape):
                point = self.point(index)
                for column, epoch in enumerate(range(0, self.epochs + 1, self.every)):
                    at = (seed, *index, column)
                    rows.append(
                        {"seed": seed, **point, "epoch": epoch}
                        | {name: float(getattr(self, name)[at]) for name in RECORDS}
                    )
        return rows


def _grid_columns(
    optimizer: Optimizer, grid: Any, paired: bool
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The grid's axes checked, and the value of each key for every point (flattened, in C
    order of the grid)."""
    if not isinstance(grid, dict) or not grid:
        raise WdtheoryError(
            "grid must be a non-empty dict of hyperparameter -> values, e.g. "
            "{'weight_decay': [1e-4, 1e-3]}"
        )
    bad = [key for key in grid if not isinstance(key, str)]
    if bad:
        raise WdtheoryError(f"grid keys are hyperparameter names, got {bad[0]!r}")
    optimizer.check_keys(grid)
    axes = {key: check_grid_values(key, values) for key, values in grid.items()}
    if paired:
        lengths = {key: len(v) for key, v in axes.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{k}: {n}" for k, n in lengths.items())
            raise WdtheoryError(f"paired grid values must have one length, got {shown}")
        return axes, axes
    points = list(itertools.product(*axes.values()))
    columns = {key: np.array([p[i] for p in points]) for i, key in enumerate(axes)}
    return axes, columns


def sweep(
    optimizer: str | Optimizer,
    grid: dict[str, Any],
    *,
    seeds: int | None = None,
    problem: str | LinearTask = "squared_error",
    epochs: int = 10,
    batch: int | None = 5,
    every: int = 1,
    schedule: str | schedules.Schedule | None = None,
    paired: bool = False,
    seed: int = 0,
    backend: str = "fused",
    threads: int | None = None,
) -> Sweep:
    """Train every seed and grid point (see the module doc); ``schedule``: a learning-rate
    schedule (spec text such as ``"cosine(steps=40)"``) the runs follow step by step;
    ``every``: the records are taken before training and after every ``every`` epochs (full
    batch, an epoch is a step: ``batch=None, epochs=2000, every=100``); ``threads``: how many
    threads the fused kernel runs on (default: Numba's thread count; 1 in a process that
    shares the machine with others, as the report's workers do)."""
    backend = check_choice("backend", backend, SWEEP_BACKENDS)
    optimizer = optimizer if isinstance(optimizer, Optimizer) else Optimizer.from_spec(optimizer)
    axes, columns = _grid_columns(optimizer, grid, paired)
    threads = numba.get_num_threads() if threads is None else threads
    for name, value, low in (
        ("epochs", epochs, 0),
        ("seed", seed, 0),
        ("every", every, 1),
        ("threads", threads, 1),
    ):
        check_count(name, value, low)
    if seeds is None:
        seeds = problem.seeds if isinstance(problem, LinearTask) else 1
    check_count("seeds", seeds, 1)
    task = make_task(problem, seeds, seed)
    n_train = task.n_train
    batch = n_train if batch is None else batch
    check_count("batch", batch, 1)
    optimizer, defaults = _with_defaults(optimizer.unbind(columns), columns)
    steps = epochs * -(-n_train // batch)
    multipliers = np.ones(steps)
    if schedule is not None:
        schedule = (
            schedule if isinstance(schedule, schedules.Schedule) else schedules.from_spec(schedule)
        )
        optimizer = optimizer.scheduled()
        multipliers = schedule.values(steps)
    points = len(next(iter(columns.values())))
    runs = {k: np.tile(v, seeds) for k, v in columns.items()}  # run = seed * points + point
    weights = BatchStepper(optimizer, runs, "numba" if backend == "fused" else backend)
    order = minibatch_order(seeds, epochs, seed, rows=n_train)
    records, params = _train(task, weights, order, batch, every, multipliers, backend, threads)
    shape = (seeds, *(len(v) for v in axes.values())) if not paired else (seeds, points)
    return Sweep(
        optimizer=optimizer.text,
        problem=task.loss,
        grid=axes,
        paired=paired,
        epochs=epochs,
        batch=batch,
        every=every,
        params=params.reshape(*shape, -1),
        defaults=defaults,
        **{name: r.reshape(*shape, -1) for name, r in zip(RECORDS, records, strict=True)},
    )


def _with_defaults(optimizer: Optimizer, grid: dict[str, np.ndarray]) -> tuple[Optimizer, dict]:
    """``optimizer`` (the grid's keys at their symbols) with every other hyperparameter a number:
    the library default where the spec left it out (returned, by key, for the answer to name).
    A value the spec gave as a symbol is refused unless it follows the grid's (``dampening=mu``
    beside a grid over the momentum): nothing says which number it should take."""
    params = optimizer.definition.params
    varied = {ROLES[params[key]].symbol for key in grid}
    for key in optimizer.given:
        value = optimizer.values.get(key)
        if key in params and key not in grid and not value.free_symbols <= varied:
            raise WdtheoryError(
                f"{optimizer.name}: {key}={show(value)} is symbolic; give it a number or add "
                f"{key} to the grid"
            )
    first = optimizer.bind({key: float(values[0]) for key, values in grid.items()})
    filled = {k: v for k, v in first.with_defaults().filled_defaults.items() if k not in grid}
    numbers = {
        k: v
        for k, v in filled.items()
        if k in params and optimizer.values[k] == ROLES[params[k]].symbol
    }
    return optimizer.bind(numbers), {
        k: v if isinstance(v, bool) else show(v) for k, v in filled.items()
    }


def _train(
    task: LinearTask,
    weights: BatchStepper,
    order: np.ndarray,
    batch: int,
    every: int,
    multipliers: np.ndarray,
    backend: str,
    threads: int,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Train every run: the records (runs, epochs // every + 1) in the order of ``RECORDS``,
    and the final params (runs, size)."""
    seeds, points = task.seeds, weights.runs // task.seeds
    run_seed = np.repeat(np.arange(seeds), points)  # run = seed * points + point
    params = np.ascontiguousarray(task.init[run_seed])
    records = [np.empty((weights.runs, order.shape[0] // every + 1)) for _ in RECORDS]
    train = _fused if backend == "fused" else _stepped
    runs = _Runs(task, weights, order, batch, every, multipliers, run_seed, threads)
    return records, train(runs, params, records)


@dataclass(frozen=True)
class _Runs:
    """What a trainer trains: the task, the runs' batch stepper, the minibatch order (epochs,
    seeds, n), the batch size, the records' spacing in epochs, the schedule's multiplier of
    every step, the seed of every run and the threads to train on."""

    task: LinearTask
    weights: BatchStepper
    order: np.ndarray
    batch: int
    every: int
    multipliers: np.ndarray
    run_seed: np.ndarray
    threads: int


def _fused(runs: _Runs, params: np.ndarray, records: list[np.ndarray]) -> np.ndarray:
    """Training and records by the fused kernel (:mod:`wdtheory.lowering.training`), ``params``
    updated in place; the runs in groups of up to four of one seed."""
    task, weights, order = runs.task, runs.weights, runs.order
    stepper = weights.stepper
    kernel = training_kernel(stepper.first_code.rule, stepper.code.rule)
    points = weights.runs // task.seeds
    groups = np.array(
        [
            (seed, seed * points + start, min(4, points - start))
            for seed in range(task.seeds)
            for start in range(0, points, 4)
        ],
        dtype=np.int64,
    )
    X, y = np.ascontiguousarray(task.X), np.ascontiguousarray(task.y)
    arrays = (
        LOSSES[task.loss], X, y, task.n_train, np.ascontiguousarray(order), runs.batch,
        runs.every, params, np.empty_like(params), *weights.init(params).buffers, weights.hyper,
        weights.without_decay().hyper, runs.multipliers,
    )  # fmt: skip
    # the kernel releases the GIL: one thread per share of the groups
    shares = np.array_split(groups, min(len(groups), runs.threads))
    with ThreadPoolExecutor(len(shares)) as pool:
        for done in [pool.submit(kernel, *arrays, share, *records) for share in shares]:
            done.result()
    return params


def _stepped(runs: _Runs, params: np.ndarray, records: list[np.ndarray]) -> np.ndarray:
    """Training with NumPy gradients and the batch stepper's kernels of its backend (the weights
    and the bias as two arrays, the bias stepped without decay), the records by
    :func:`_evaluate` every ``every`` epochs; the final params."""
    task, weights, order, batch, every = runs.task, runs.weights, runs.order, runs.batch, runs.every
    run_seed, multipliers = runs.run_seed, runs.multipliers
    K, d = task.outputs, task.features
    split = K * d
    bias = weights.without_decay()
    xp = _namespace(weights.backend)
    parts = [xp.asarray(params[:, :split].copy()), xp.asarray(params[:, split:].copy())]
    states = [weights.init(parts[0]), bias.init(parts[1])]
    X, y = task.X_train[run_seed], task.y_train[run_seed]
    n_runs = len(run_seed)

    points = n_runs // task.seeds

    def record(column: int) -> None:
        _evaluate(task, np.concatenate([_host(p) for p in parts], axis=1), points, records, column)

    record(0)
    t = 0
    for epoch in range(order.shape[0]):
        for start in range(0, X.shape[1], batch):
            rows = order[epoch][run_seed, start : start + batch]
            Xb = np.take_along_axis(X, rows[..., None], axis=1)
            yb = np.take_along_axis(y, rows, axis=1)
            W, b = (_host(p) for p in parts)
            z = np.einsum("rcd,rkd->rck", Xb, W.reshape(n_runs, K, d)) + b[:, None, :]
            _, delta = _residuals(task.loss, z, yb)
            count = rows.shape[1]
            grads = (
                np.einsum("rcd,rck->rkd", Xb, delta).reshape(n_runs, split) / count,
                delta.sum(axis=1) / count,
            )
            for k, (stepper, grad) in enumerate(zip((weights, bias), grads, strict=True)):
                parts[k], states[k] = stepper.step(
                    parts[k], xp.asarray(grad), states[k], schedule=float(multipliers[t])
                )
            t += 1
        if (epoch + 1) % every == 0:
            record((epoch + 1) // every)
    return np.concatenate([_host(p) for p in parts], axis=1)


def _residuals(loss: str, z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""The loss of each row and :math:`\delta = \partial\ell/\partial z` (see
    :mod:`wdtheory.lowering.linear_models`), for outputs ``z`` (..., rows, K) and labels ``y``
    (..., rows)."""
    if loss == "squared_error":
        r = z[..., 0] - y
        return 0.5 * r * r, r[..., None]
    if loss == "logistic":
        u = z[..., 0]
        e = np.exp(-np.abs(u))
        sigma = np.where(u >= 0, 1 / (1 + e), e / (1 + e))
        return np.maximum(u, 0) - y * u + np.log1p(e), (sigma - y)[..., None]
    top = z.max(axis=-1, keepdims=True)
    p = np.exp(z - top)
    norm = p.sum(axis=-1, keepdims=True)
    labels = np.broadcast_to(y.astype(np.intp)[..., None], (*z.shape[:-1], 1))
    rows = (top + np.log(norm) - np.take_along_axis(z, labels, axis=-1))[..., 0]
    delta = p / norm
    np.put_along_axis(delta, labels, np.take_along_axis(delta, labels, axis=-1) - 1, axis=-1)
    return rows, delta


def _evaluate(
    task: LinearTask, params: np.ndarray, points: int, records: list[np.ndarray], column: int
) -> None:
    """Fill column ``column`` of the records from the runs' ``params`` (runs, size): the outputs
    of every run of a seed on its train and validation rows at once, one matrix product per
    seed."""
    seeds, K, d = task.seeds, task.outputs, task.features
    by_seed = params.reshape(seeds, points, -1)
    n = task.n_train
    features = task.X.transpose(0, 2, 1)
    z = np.stack([by_seed[s, :, : K * d].reshape(-1, d) @ features[s] for s in range(seeds)])
    # (seeds, points, rows, K)
    z = z.reshape(seeds, points, K, -1).transpose(0, 1, 3, 2) + by_seed[:, :, None, K * d :]
    y = task.y[:, None, :]
    losses, _ = _residuals(task.loss, z, y)
    for part, (loss, accuracy) in zip(
        (slice(None, n), slice(n, None)), (records[:2], records[2:4]), strict=True
    ):
        loss[:, column] = losses[..., part].mean(axis=-1).ravel()
        accuracy[:, column] = _accuracy(task.loss, z[:, :, part], y[..., part]).ravel()
    records[4][:, column] = 0.5 * (params[:, : K * d] ** 2).sum(axis=-1)


def _accuracy(loss: str, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The fraction of rows classified right (NaN for regression)."""
    if loss == "squared_error":
        return np.full(z.shape[:-2], np.nan)
    if loss == "logistic":
        return ((z[..., 0] > 0) == (y > 0.5)).mean(axis=-1)
    return (z.argmax(axis=-1) == y).mean(axis=-1)


def _namespace(backend: str) -> Any:
    """The array namespace of a backend's arrays (imported only when asked for)."""
    if backend == "array_api":
        import array_api_strict

        return array_api_strict
    if backend == "cupy":
        import cupy

        return cupy
    return np


def _host(array: Any) -> np.ndarray:
    """A backend's array as a NumPy array (CuPy: copied from the device; others: DLPack)."""
    if isinstance(array, np.ndarray):
        return array
    if hasattr(array, "get"):
        return array.get()
    return np.from_dlpack(array)
