"""Where the parallel Numba kernel starts to pay: serial against parallel per rule and size.

Usage::

    .venv/bin/python benchmarks/bench_threshold.py

For each rule of ``bench_step.RULES`` and dtype, the median time of ``Stepper.step`` with the
serial and with the parallel (``prange``) kernel (timed interleaved), at sizes around the
switch, and the size from
which the stepper picks the parallel one (``PARALLEL_WORK`` divided by the rule's work per
element in that dtype): the faster of the two columns should change near that size.
"""

from __future__ import annotations

import numpy as np
from bench_step import RULES, machine, median_times

from wdtheory.optim.optimizer import Optimizer
from wdtheory.runtime.stepper import Stepper

SIZES = (1_000, 3_000, 10_000, 30_000, 100_000)


def _step_times(rule: str, size: int, dtype: type) -> tuple[float, float]:
    """Median times of one ``Stepper.step`` on ``size`` elements with the serial and with the
    parallel kernel forced, timed interleaved (15 batches each), each on its own arrays."""
    runners = {}
    for parallel in (False, True):
        stepper = Stepper(Optimizer.from_spec(RULES[rule][0]).with_defaults(), validate=False)
        stepper.code.parallel_from = dict.fromkeys((4, 8), 0 if parallel else size + 1)
        rng = np.random.default_rng(0)
        params = rng.standard_normal(size).astype(dtype)
        grads = (0.1 * rng.standard_normal(size)).astype(dtype)
        state = [stepper.init(params)]
        runners[parallel] = lambda st=stepper, s=state, w=params, g=grads: s.__setitem__(
            0, st.step(w, g, s[0])[1]
        )
    times = median_times(runners, batch=max(50, 2_000_000 // size), repeats=15)
    return times[False], times[True]


def main() -> None:
    print(machine())
    print()
    print("| rule | dtype | parallel from | " + " | ".join(f"n = {n:.0e}" for n in SIZES) + " |")
    print("|---|---|---|" + "---|" * len(SIZES))
    for rule, (spec, _, _) in RULES.items():
        for dtype in (np.float32, np.float64):
            stepper = Stepper(Optimizer.from_spec(spec).with_defaults(), validate=False)
            switch = stepper.code.parallel_from[np.dtype(dtype).itemsize]
            cells = []
            for size in SIZES:
                serial, parallel = _step_times(rule, size, dtype)
                cells.append(f"{serial * 1e6:.1f} / {parallel * 1e6:.1f} µs")
            print(f"| {rule} | {dtype.__name__} | {switch} | " + " | ".join(cells) + " |")
    print()
    print("cells: serial / parallel kernel, median time of one step")


if __name__ == "__main__":
    main()
