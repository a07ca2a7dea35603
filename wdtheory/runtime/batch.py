r"""Stepping a batch of independent runs at once, each with its own hyperparameters.

>>> batch = BatchStepper(Optimizer.from_spec("torch.adamw(lr=0.001)").with_defaults(),
...                      {"weight_decay": [0.0, 1e-2, 1e-1], "lr": [1e-3, 1e-3, 3e-3]})
>>> state = batch.init(params)              # params: (runs, n), one run per row
>>> params, state = batch.step(params, grads, state)

The rule is the optimizer's with the varied hyperparameters kept symbolic (so a momentum that
is 0 in one run and 0.9 in another keeps its buffer in every run); every run computes what a
:class:`~wdtheory.runtime.stepper.Stepper` of that run's numbers computes. Backends:

* ``numba``: the batched kernel (:func:`~wdtheory.lowering.printers.numba_function`), printed
  from the same plan as the single-run kernel: each run computes its constants from its row of
  hyperparameters and steps its row of the arrays, in the single-run kernel's order of
  operations, so each run is bit for bit that run stepped alone by the single-run kernel of the
  same rule (a batch of one run included); parallel over the runs when the batch is large
  enough, and rows each large enough for the parallel single-run kernel are stepped one by one
  by it (each on every thread);
* ``numpy``, ``array_api``, ``cupy``: the single-run code with its hoisted constants computed
  for all runs at once (:func:`~wdtheory.lowering.printers.vector_prologue_source`) as columns
  of shape (runs, 1) that broadcast against the runs' rows (the CuPy ``ElementwiseKernel``
  broadcasts them too); NumPy's powers may round differently from Python's in the last bit.

The step count and the schedule multiplier are shared by every run.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy as sp

from wdtheory.core.errors import WdtheoryError
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import ROLES
from wdtheory.runtime.checks import check_arrays, check_sizes, check_writable, namespace
from wdtheory.runtime.stepper import PARALLEL_WORK, OptState, Stepper

__all__ = ["BatchStepper", "check_grid_values"]


def check_grid_values(key: str, values: Any) -> np.ndarray:
    """The values of one varied hyperparameter as a 1-D float64 array, refused in one line when
    empty, not 1-D or not finite (their range is checked by the role, per run)."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise WdtheoryError(f"{key}: the values must be numbers, got {values!r}") from None
    if array.ndim != 1 or not array.size:
        raise WdtheoryError(f"{key}: give a non-empty 1-D list of values, got {values!r}")
    if not np.isfinite(array).all():
        bad = array[~np.isfinite(array)][0]
        raise WdtheoryError(f"{key}: every value must be finite, got {bad}")
    return array


class BatchStepper:
    """``init`` and ``step`` for a batch of runs of one optimizer (see the module doc).

    ``values`` maps spec keys to one number per run (all of one length, the number of runs;
    a key given one number holds it in every run). Hyperparameters not in ``values`` are the
    optimizer's numbers.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        values: Mapping[str, Any],
        backend: str = "numba",
        *,
        validate: bool = True,
    ) -> None:
        if not values:
            raise WdtheoryError("a batch needs at least one varied hyperparameter in values")
        optimizer.check_keys(values)
        columns = {
            key: check_grid_values(key, [v] if np.ndim(v) == 0 else v) for key, v in values.items()
        }
        lengths = {len(c) for c in columns.values() if len(c) > 1}
        if len(lengths) > 1:
            shown = ", ".join(f"{k}: {len(c)}" for k, c in columns.items())
            raise WdtheoryError(f"the varied hyperparameters need one value per run each ({shown})")
        self.runs = lengths.pop() if lengths else 1
        columns = {k: np.broadcast_to(c, (self.runs,)) for k, c in columns.items()}
        self.stepper = Stepper(
            optimizer,
            backend,
            values={k: float(c[0]) for k, c in columns.items()},
            validate=validate,
            varying=tuple(columns),
        )
        self.backend, self.validate = self.stepper.backend, validate
        self.hyper = self._hyper_rows(columns)
        rule = self.stepper.rule
        self.initial = tuple(
            _initial_column(slot.init, self.stepper.scalars, self.hyper)
            for slot in rule.chain.states
        )
        self._states = len(self.initial)
        eps = ROLES["eps"].symbol
        if validate and eps in rule.used_symbols:  # eps=0 in any run: check results (Stepper)
            column = self.stepper.scalars.index(eps)
            self.stepper._zero_eps = bool((self.hyper[:, column] == 0.0).any())

    def _hyper_rows(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """(runs, hyperparameters) float64: each run's numbers, every value the spec ties to a
        varied one following it (``dampening=mu``), each checked against its role."""
        rule, stepper = self.stepper.rule, self.stepper
        definition = rule.definition
        varied = {ROLES[definition.params[k]].symbol: c for k, c in columns.items()}
        hyper = np.array([stepper.hyper[s] for s in stepper.scalars[:-2]], dtype=np.float64)
        rows = np.tile(hyper, (self.runs, 1))
        position = {s: i for i, s in enumerate(stepper.scalars[:-2])}
        for key, role_name in definition.params.items():
            role = ROLES[role_name]
            expr = rule.values[key]
            free = sorted(expr.free_symbols & set(varied), key=str)
            if role.symbol not in rule.used_symbols or not free:
                continue
            # each distinct combination once: a grid repeats its values over the seeds
            combos, where = np.unique(
                np.stack([varied[s] for s in free], axis=1), axis=0, return_inverse=True
            )
            numbers = [
                role.run_time_float(
                    key,
                    combo[0]
                    if expr == role.symbol  # the key itself varies: its number as given
                    else float(
                        expr.xreplace({s: sp.Float(v) for s, v in zip(free, combo, strict=True)})
                    ),
                )
                for combo in combos.tolist()
            ]
            rows[:, position[role.symbol]] = np.asarray(numbers)[where.ravel()]
        return rows

    def without_decay(self) -> BatchStepper:
        """The same batch with the weight decay at 0 in every run (for parameters that are not
        decayed, such as biases)."""
        other = copy.copy(self)
        other.hyper = self.hyper.copy()
        decay = ROLES["weight_decay"].symbol
        for column, symbol in enumerate(self.stepper.scalars[:-2]):
            if symbol == decay:
                other.hyper[:, column] = 0.0
        return other

    def init(self, params: Any) -> OptState:
        """Fresh state for ``params`` of shape (runs, n): step 0 and buffers at their initial
        values, each run's own where they depend on its hyperparameters."""
        self._check_rows(params)
        xp = namespace(params)
        buffers = tuple(
            xp.broadcast_to(xp.asarray(column, dtype=params.dtype), params.shape) + 0
            if isinstance(column, np.ndarray)
            else xp.full(params.shape, column, dtype=params.dtype)
            for column in self.initial
        )
        return OptState(0, buffers)

    def step(
        self, params: Any, grads: Any, state: OptState, *, schedule: float = 1.0
    ) -> tuple[Any, OptState]:
        """One step of every run; NumPy/Numba/CuPy update the arrays in place and return them."""
        self._check_rows(params)
        if self.validate:
            check_arrays(params, grads, state.buffers, self._states)
        else:
            check_sizes(params, grads, state.buffers, self._states)
        if schedule != 1.0:
            self.stepper._check_schedule(schedule)
        t = state.step + 1
        stepper = self.stepper
        code = stepper.first_code if t == 1 else stepper.code
        if self.backend == "numba":
            check_writable((params, *state.buffers), self.stepper.array_names)
            scalars = (float(t), float(schedule))
            if code.parallel(params.shape[1], params.itemsize):
                # rows big enough for the parallel single-run kernel: one row at a time, each on
                # every thread (the batched kernel would run a few large rows on few threads)
                for r in range(self.runs):
                    row = (params[r], grads[r], *(b[r] for b in state.buffers))
                    code.numba_parallel(*row, self.hyper[r], *scalars)
            else:
                kernel = self._numba_kernel(code, params)
                kernel(params, grads, *state.buffers, self.hyper, *scalars)
            result = params, state.buffers
        else:
            columns = self.hyper.T[:, :, None]  # each hyperparameter: (runs, 1)
            constants = code.rule.vector_prologue(*columns, float(t), float(schedule))
            xp = namespace(params)
            constants = tuple(
                xp.asarray(np.broadcast_to(c, (self.runs, 1)), dtype=params.dtype)
                for c in constants
            )
            result = self._run(code, params, grads, state.buffers, constants)
        if stepper._zero_eps:
            stepper.check_result(result[0], t)
        return result[0], OptState(t, tuple(result[1]))

    def _numba_kernel(self, code: Any, params: Any) -> Any:
        rule = code.rule
        if params.size * rule.plan.work_per_element(params.itemsize) >= PARALLEL_WORK:
            return rule.numba_batched_parallel
        return rule.numba_batched_serial

    def _run(self, code: Any, params: Any, grads: Any, buffers: tuple, constants: tuple) -> tuple:
        if self.backend == "cupy":
            code.cupy(grads, *constants, params, *buffers)
            return params, buffers
        xp = namespace(params)
        new_param, *new_buffers = code.array_api(xp, params, grads, *buffers, *constants)
        if self.backend == "array_api":
            return new_param, tuple(new_buffers)
        check_writable((params, *buffers), self.stepper.array_names)
        for target, value in zip((params, *buffers), (new_param, *new_buffers), strict=True):
            target[...] = value
        return params, buffers

    def _check_rows(self, params: Any) -> None:
        shape = getattr(params, "shape", None)
        if shape is None or len(shape) != 2 or shape[0] != self.runs:
            raise WdtheoryError(
                f"params must have shape (runs, n) = ({self.runs}, n), one row per run, got "
                f"{'no array' if shape is None else tuple(shape)}"
            )


def _initial_column(
    init: sp.Expr, scalars: tuple[sp.Symbol, ...], hyper: np.ndarray
) -> float | np.ndarray:
    """A state's initial value: one number, or a (runs, 1) column when it depends on a varied
    hyperparameter (Adagrad's ``initial_accumulator_value``)."""
    init = sp.sympify(init)
    if init.is_number:
        return float(init)
    values = [float(init.xreplace(dict(zip(scalars, row.tolist(), strict=False)))) for row in hyper]
    return np.array(values, dtype=np.float64)[:, None]
