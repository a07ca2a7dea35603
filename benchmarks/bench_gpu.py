"""The CuPy kernel path on a GPU: time and fraction of the memory bandwidth achieved.

Usage::

    .venv/bin/python benchmarks/bench_gpu.py

Runs the lowered ``ElementwiseKernel`` of AdamW and SGD with momentum on 1e6 … 1e8 float32
parameters, timed with CUDA events, and divides the rule's minimal traffic by the time; the
peak bandwidth comes from the device's memory clock and bus width. At 1e6 a step moves 28 MB,
which a modern GPU does in about 10 µs: that row measures the host (the constants computed in
Python, the kernel launch) as much as the device. Without CuPy or a GPU it says so and exits 0:
there is nothing to measure on such a machine.
"""

from __future__ import annotations

import sys

from wdtheory.optim.optimizer import Optimizer
from wdtheory.runtime.stepper import Stepper


def main() -> None:
    try:
        import cupy

        device = cupy.cuda.Device()
        attributes = device.attributes
    except Exception as error:
        print(f"no GPU available ({type(error).__name__}: {error}); nothing measured")
        return
    peak = 2 * attributes["MemoryClockRate"] * 1e3 * attributes["GlobalMemoryBusWidth"] / 8 / 1e9
    print(
        f"device: {cupy.cuda.runtime.getDeviceProperties(device.id)['name'].decode()}, peak {peak:.0f} GB/s"
    )
    print("| rule | n | time | GB/s | fraction of peak |")
    print("|---|---|---|---|---|")
    for spec, arrays in (
        ("torch.adamw(lr=0.001, weight_decay=0.01)", 7),
        ("torch.sgd(lr=0.001, momentum=0.9, dampening=0, weight_decay=0.01)", 5),
    ):
        stepper = Stepper(Optimizer.from_spec(spec).with_defaults(), "cupy", validate=False)
        for n in (10**6, 10**7, 10**8):
            w = cupy.ones(n, dtype=cupy.float32)
            g = cupy.full(n, 1e-3, dtype=cupy.float32)
            state = stepper.init(w)
            for _ in range(3):
                w, state = stepper.step(w, g, state)
            start, stop = cupy.cuda.Event(), cupy.cuda.Event()
            start.record()
            for _ in range(20):
                w, state = stepper.step(w, g, state)
            stop.record()
            stop.synchronize()
            seconds = cupy.cuda.get_elapsed_time(start, stop) / 1e3 / 20
            rate = arrays * n * 4 / 1e9 / seconds
            print(
                f"| {spec.split('(')[0]} | {n:.0e} | {seconds * 1e3:.3f} ms | {rate:.0f} | {rate / peak:.2f} |"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
