"""Time the symbolic work: deriving and lowering every optimizer, and ``wdtheory verify``.

Usage::

    .venv/bin/python benchmarks/bench_symbolic.py

Each measurement runs in a fresh Python process. *Cold*: an empty kernel cache
(``WDTHEORY_CACHE_DIR`` pointing at a new folder), so every Numba kernel is compiled. *Warm*: the
same command again with that cache, so Numba loads the compiled kernels from disk. "Every
optimizer" is each generic optimizer with each decay mode it accepts plus every preset: derived
(its chain and both programs), planned, lowered, and its fused kernels (serial and parallel, for
the first and the later steps) compiled and run for float32 and float64.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

LOWER_ALL = """
import numpy as np
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.presets import OPTIMIZERS
from wdtheory.runtime.stepper import Stepper
count = 0
for name, definition in OPTIMIZERS.items():
    modes = definition.flags.get("decay", ("none",))
    for mode in modes if len(modes) > 1 else (None,):
        text = name if mode is None else f"{name}(decay={mode}, penalty={'l1' if mode == 'proximal' else 'l2'})"
        optimizer = Optimizer.from_spec(text)
        values = {key: 0.5 for key, value in optimizer.values.items() if not value.is_number}
        for dtype in (np.float32, np.float64):
            stepper = Stepper(optimizer, values=values)
            parallel_from = stepper.code.parallel_from[np.dtype(dtype).itemsize]
            for size in (8, parallel_from):  # the serial kernels, then the parallel ones
                params = np.ones(size, dtype)
                state = stepper.init(params)
                for _ in range(2):  # the first step's rule, then the general one
                    params, state = stepper.step(params, np.full(size, 0.1, dtype), state)
        count += 1
print(count)
"""


def timed(command: list[str], cache: str) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env={**os.environ, "WDTHEORY_CACHE_DIR": cache},
    )
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return time.perf_counter() - start, result.stdout.strip().splitlines()[-1]


def main() -> None:
    python = sys.executable
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for label, command in (
            ("derive + lower + compile every optimizer", [python, "-c", LOWER_ALL]),
            ("wdtheory verify", [python, "-m", "wdtheory.cli", "verify"]),
        ):
            cold, out = timed(command, cache)
            warm, _ = timed(command, cache)
            rows.append(f"| {label} ({out}) | {cold:.1f} s | {warm:.1f} s |")
    print("| work | cold (empty kernel cache) | warm (cache on disk) |")
    print("|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
