"""Time one optimizer step: wdtheory's lowered kernels against torch.optim and hand-written NumPy.

Usage::

    .venv/bin/python benchmarks/bench_step.py            # n = 1e4 ... 1e7, float32 and float64
    .venv/bin/python benchmarks/bench_step.py --quick    # fewer sizes and repeats

Every competitor runs in the same process, interleaved, on the same arrays; each cell is the
median over repeats of the mean time of a batch of steps, and the table gives ratios against
``torch.optim`` with ``fused=True`` (the fastest PyTorch path on CPU). "GB/s" is the minimal
traffic of the rule (AdamW reads w, g, m, v and writes w, m, v: 7 arrays; SGD with momentum 5)
divided by the time; a plain in-place streaming kernel (``w += g``, 3 arrays) is shown as the
practical limit of this machine.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import numba
import numpy as np
import torch

from wdtheory.optimizers import Optimizer
from wdtheory.stepper import Stepper

LR, WD, MOMENTUM, BETA1, BETA2, EPS = 1e-3, 1e-2, 0.9, 0.9, 0.999, 1e-8


def _ours(spec: str, backend: str, w: np.ndarray, g: np.ndarray) -> Callable[[], None]:
    stepper = Stepper(Optimizer.from_spec(spec).with_defaults(), backend, validate=False)
    state = [stepper.init(w)]

    def step() -> None:
        _, state[0] = stepper.step(w, g, state[0])

    return step


def _torch(kind: str, variant: str, w: np.ndarray, g: np.ndarray) -> Callable[[], None]:
    param = torch.from_numpy(w)
    param.grad = torch.from_numpy(g)
    options = {"foreach": variant == "foreach", "fused": variant == "fused"}
    if kind == "adamw":
        optimizer = torch.optim.AdamW(
            [param], lr=LR, weight_decay=WD, betas=(BETA1, BETA2), eps=EPS, **options
        )
    else:
        optimizer = torch.optim.SGD([param], lr=LR, momentum=MOMENTUM, weight_decay=WD, **options)
    return optimizer.step


def _numpy_adamw(w: np.ndarray, g: np.ndarray) -> Callable[[], None]:
    """Hand-written in-place AdamW with preallocated scratch (torch's order of operations)."""
    m, v, scratch = np.zeros_like(w), np.zeros_like(w), np.empty_like(w)
    count = [0]
    dt = w.dtype.type

    def step() -> None:
        count[0] += 1
        t = count[0]
        np.multiply(w, dt(1 - LR * WD), out=w)
        np.multiply(m, dt(BETA1), out=m)
        np.multiply(g, dt(1 - BETA1), out=scratch)
        np.add(m, scratch, out=m)
        np.multiply(v, dt(BETA2), out=v)
        np.multiply(g, g, out=scratch)
        np.multiply(scratch, dt(1 - BETA2), out=scratch)
        np.add(v, scratch, out=v)
        np.sqrt(v, out=scratch)
        np.multiply(scratch, dt(1 / np.sqrt(1 - BETA2**t)), out=scratch)
        np.add(scratch, dt(EPS), out=scratch)
        np.divide(m, scratch, out=scratch)
        np.multiply(scratch, dt(LR / (1 - BETA1**t)), out=scratch)
        np.subtract(w, scratch, out=w)

    return step


def _numpy_sgd(w: np.ndarray, g: np.ndarray) -> Callable[[], None]:
    """Hand-written in-place SGD with momentum and coupled weight decay (torch semantics)."""
    buf, scratch = np.zeros_like(w), np.empty_like(w)
    dt = w.dtype.type

    def step() -> None:
        np.multiply(w, dt(WD), out=scratch)
        np.add(scratch, g, out=scratch)
        np.multiply(buf, dt(MOMENTUM), out=buf)
        np.add(buf, scratch, out=buf)
        np.multiply(buf, dt(LR), out=scratch)
        np.subtract(w, scratch, out=w)

    return step


@numba.njit(parallel=True, error_model="numpy", nogil=True)
def _stream(w: np.ndarray, g: np.ndarray) -> None:
    for i in numba.prange(w.shape[0]):
        w[i] += g[i]


def _streaming(w: np.ndarray, g: np.ndarray) -> Callable[[], None]:
    return lambda: _stream(w, g)


CASES = {
    "adamw": ("torch.adamw(lr=0.001, weight_decay=0.01)", _numpy_adamw, 7),
    "sgd+momentum": (
        "torch.sgd(lr=0.001, momentum=0.9, dampening=0, weight_decay=0.01)",
        _numpy_sgd,
        5,
    ),
}


def _time(step: Callable[[], None], batch: int) -> float:
    start = time.perf_counter()
    for _ in range(batch):
        step()
    return (time.perf_counter() - start) / batch


def bench(kind: str, n: int, dtype: type, repeats: int) -> dict[str, float]:
    spec, numpy_step, _ = CASES[kind]
    rng = np.random.default_rng(0)
    runners = {}
    for name, make in {
        "wdtheory numba": lambda w, g: _ours(spec, "numba", w, g),
        "wdtheory numpy": lambda w, g: _ours(spec, "numpy", w, g),
        "torch fused": lambda w, g: _torch(kind.split("+")[0], "fused", w, g),
        "torch foreach": lambda w, g: _torch(kind.split("+")[0], "foreach", w, g),
        "numpy in-place": numpy_step,
        "stream w += g": _streaming,
    }.items():
        w = rng.normal(size=n).astype(dtype)
        g = rng.normal(size=n).astype(dtype) * dtype(1e-3)
        runners[name] = make(w, g)
    batch = max(3, min(200, int(2e7 // n)))
    times: dict[str, list[float]] = {name: [] for name in runners}
    for step in runners.values():  # warm up: compile, allocate, first-step rules
        _time(step, 3)
    for _ in range(repeats):
        for name, step in runners.items():
            times[name].append(_time(step, batch))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [10**4, 10**6] if args.quick else [10**4, 10**5, 10**6, 10**7]
    repeats = 3 if args.quick else 7
    print(
        f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, "
        f"numba {numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads), numpy {np.__version__}, "
        f"torch {torch.__version__}, python {platform.python_version()}"
    )
    for kind, (_, _, arrays) in CASES.items():
        for dtype in (np.float32, np.float64):
            print(f"\n### {kind}, {np.dtype(dtype).name}\n")
            print(
                "| n | "
                + " | ".join(
                    [
                        "wdtheory numba",
                        "wdtheory numpy",
                        "torch fused",
                        "torch foreach",
                        "numpy in-place",
                        "stream w += g",
                    ]
                )
                + " | numba / torch fused | "
                "numba / numpy in-place | numba GB/s | stream GB/s |"
            )
            print("|---" * 11 + "|")
            for n in sizes:
                t = bench(kind, n, dtype, repeats)
                traffic = arrays * n * np.dtype(dtype).itemsize / 1e9
                cells = " | ".join(f"{t[name] * 1e3:.3f} ms" for name in t)
                print(
                    f"| {n:.0e} | {cells} | {t['wdtheory numba'] / t['torch fused']:.2f} | "
                    f"{t['wdtheory numba'] / t['numpy in-place']:.2f} | {traffic / t['wdtheory numba']:.1f} | "
                    f"{3 * n * np.dtype(dtype).itemsize / 1e9 / t['stream w += g']:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
