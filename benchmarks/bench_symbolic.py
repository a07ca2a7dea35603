"""Time the symbolic work: the README's commands, ``wdtheory verify``, a stepper made ready, and
deriving and lowering every optimizer.

Usage::

    .venv/bin/python benchmarks/bench_symbolic.py

Each measurement runs in a fresh Python process and is the whole process's wall time (interpreter
start and imports included), except "stepper ready", which is the time from ``Stepper(...)`` to
its first two steps done, after the imports. *Cold*: an empty kernel cache for each row
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


STEPPER_READY = """
import sys, time
import numpy as np
from wdtheory.optim.optimizer import Optimizer
from wdtheory.runtime.stepper import Stepper
start = time.perf_counter()
stepper = Stepper(Optimizer.from_spec(sys.argv[1]).with_defaults())
params, grads = np.ones(10, np.float32), np.ones(10, np.float32)
state = stepper.init(params)
for _ in range(2):
    params, state = stepper.step(params, grads, state)
print(f"{time.perf_counter() - start:.3f}")
"""

#: the README's command-line examples
README = (
    ["derive", "squared_error(l2=lam)"],
    ["derive", "torch.sgd(lr=0.1, momentum=mu, weight_decay=1e-4)"],
    ["compare", "torch.adam", "torch.adamw"],
    [
        "compare",
        "torch.sgd(momentum=mu, dampening=0, weight_decay=0)",
        "keras.sgd(momentum=mu, weight_decay=0)",
    ],
    ["fixed-point", "sgdw(momentum=0.9)"],
    ["convert", "torch.adamw(lr=0.001, weight_decay=0.01)", "--to", "paper"],
)


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
    """Each command twice, from an empty kernel cache and then with it; a row per command.
    ``inner``: the command prints its own timing (the stepper), else the process is timed."""
    commands = [
        (
            f"`wdtheory {' '.join(repr(a) if ' ' in a else a for a in argv)}`",
            ["-m", "wdtheory.cli", *argv],
            False,
        )
        for argv in README
    ]
    commands += [
        ("`wdtheory verify`", ["-m", "wdtheory.cli", "verify"], False),
        *(
            (f"stepper ready: `{spec}`", ["-c", STEPPER_READY, spec], True)
            for spec in ("torch.adamw(lr=0.001)", "torch.sgd(lr=0.1, momentum=0.9)")
        ),
        ("derive + lower + compile every optimizer", ["-c", LOWER_ALL], False),
    ]
    rows = []
    for label, command, inner in commands:
        with tempfile.TemporaryDirectory() as cache:  # each row starts from an empty cache
            runs = [timed([sys.executable, *command], cache) for _ in ("cold", "warm")]
        cold, warm = (float(out) if inner else wall for wall, out in runs)
        if command[-1] == LOWER_ALL:
            label += f" ({runs[0][1]} optimizers)"
        rows.append(f"| {label} | {cold:.2f} s | {warm:.2f} s |")
    print("| work | cold (empty kernel cache) | warm (cache on disk) |")
    print("|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
