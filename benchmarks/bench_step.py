"""Time optimizer steps: wdtheory's lowered kernels against torch.optim and hand-written kernels.

Usage::

    .venv/bin/python benchmarks/bench_step.py            # all tables
    .venv/bin/python benchmarks/bench_step.py --quick    # fewer sizes and repeats

Three tables, every competitor in the same process, interleaved, on the same arrays; each cell
is the median over repeats of the mean time of a batch of steps:

1. **kernels** — AdamW, Adam + L2, SGD + momentum with coupled and decoupled decay, Lion; float32
   and float64; n = 1e4, 1e6, 1e7. Ratios against ``torch.optim`` with ``fused=True`` (the fastest
   PyTorch path on CPU) and against a hand-written fused Numba kernel for the same rule. "GB/s" is
   the rule's minimal traffic (arrays read + written) over the time, beside an in-place streaming
   kernel (``w += g``: 3 arrays), the practical limit of the machine.
2. **small tensors** — per-call time of one step at n = 10.
3. **many tensors** — 200 tensors of mixed sizes with no decay on biases and norms: wdtheory's
   ``ParamGroup`` (two kernel calls) against torch's foreach and fused paths with two groups.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np
import torch

from wdtheory.optimizers import Optimizer
from wdtheory.stepper import ParamGroup, Stepper

LR, WD, MOMENTUM, BETA1, BETA2, EPS = 1e-3, 1e-2, 0.9, 0.9, 0.999, 1e-8

# rule -> (wdtheory spec, torch factory, hand-written kernel, arrays moved per element)
Step = Callable[[], None]


def _time(step: Step, batch: int) -> float:
    start = time.perf_counter()
    for _ in range(batch):
        step()
    return (time.perf_counter() - start) / batch


def _median_times(runners: dict[str, Step], batch: int, repeats: int) -> dict[str, float]:
    for step in runners.values():  # warm up: compile, allocate, first-step rules
        _time(step, 3)
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(repeats):
        for name, step in runners.items():
            times[name].append(_time(step, batch))
    return {name: statistics.median(values) for name, values in times.items()}


# --------------------------------------------------------------------------- hand-written kernels


# Every scalar is passed in the arrays' dtype, and 1 - beta and friends are computed outside:
# a Python literal such as ``1 - b1`` would promote a float32 kernel to float64 arithmetic.


@numba.njit(parallel=True, error_model="numpy", nogil=True)
def _adamw_kernel(w, g, m, v, lr, keep, b1, ob1, b2, ob2, eps, c1, c2):
    for i in numba.prange(w.shape[0]):
        mi = b1 * m[i] + ob1 * g[i]
        vi = b2 * v[i] + ob2 * g[i] * g[i]
        m[i] = mi
        v[i] = vi
        w[i] = w[i] * keep - lr * (mi / c1) / (math.sqrt(vi / c2) + eps)


@numba.njit(parallel=True, error_model="numpy", nogil=True)
def _adam_l2_kernel(w, g, m, v, lr, wd, b1, ob1, b2, ob2, eps, c1, c2):
    for i in numba.prange(w.shape[0]):
        gi = g[i] + wd * w[i]
        mi = b1 * m[i] + ob1 * gi
        vi = b2 * v[i] + ob2 * gi * gi
        m[i] = mi
        v[i] = vi
        w[i] = w[i] - lr * (mi / c1) / (math.sqrt(vi / c2) + eps)


@numba.njit(parallel=True, error_model="numpy", nogil=True)
def _sgd_kernel(w, g, b, lr, wd, mu, coupled):
    for i in numba.prange(w.shape[0]):
        gi = g[i] + wd * w[i] if coupled else g[i]
        bi = mu * b[i] + gi
        b[i] = bi
        w[i] = w[i] - lr * (bi if coupled else bi + wd * w[i])


@numba.njit(parallel=True, error_model="numpy", nogil=True)
def _lion_kernel(w, g, m, lr, wd, b1, ob1, b2, ob2, one, zero):
    for i in numba.prange(w.shape[0]):
        c = b1 * m[i] + ob1 * g[i]
        m[i] = b2 * m[i] + ob2 * g[i]
        w[i] = w[i] - lr * ((one if c > zero else (-one if c < zero else zero)) + wd * w[i])


@numba.njit(parallel=True, error_model="numpy", nogil=True)
def _stream(w, g):
    for i in numba.prange(w.shape[0]):
        w[i] += g[i]


def _hand(kind: str, w: np.ndarray, g: np.ndarray) -> Step:
    """A hand-written fused Numba kernel for the rule ``kind`` (scalars in the arrays' dtype)."""
    dt = w.dtype.type
    state = [np.zeros_like(w), np.zeros_like(w)]
    count = [0]

    def adam_like(kernel: Callable, decay: float) -> Step:
        def step() -> None:
            count[0] += 1
            t = count[0]
            kernel(
                w,
                g,
                state[0],
                state[1],
                dt(LR),
                dt(decay),
                dt(BETA1),
                dt(1 - BETA1),
                dt(BETA2),
                dt(1 - BETA2),
                dt(EPS),
                dt(1 - BETA1**t),
                dt(1 - BETA2**t),
            )

        return step

    if kind == "adamw":
        return adam_like(_adamw_kernel, 1 - LR * WD)
    if kind == "adam+l2":
        return adam_like(_adam_l2_kernel, WD)
    if kind in ("sgd+momentum", "sgdw+momentum"):
        coupled = kind == "sgd+momentum"
        return lambda: _sgd_kernel(w, g, state[0], dt(LR), dt(WD), dt(MOMENTUM), coupled)
    lion = (dt(LR), dt(WD), dt(BETA1), dt(1 - BETA1), dt(0.99), dt(1 - 0.99), dt(1), dt(0))
    return lambda: _lion_kernel(w, g, state[0], *lion)


def _torch(kind: str, variant: str, w: np.ndarray, g: np.ndarray) -> Step:
    param = torch.from_numpy(w)
    param.grad = torch.from_numpy(g)
    options = {"foreach": variant == "foreach", "fused": variant == "fused"}
    if kind == "adamw":
        optimizer = torch.optim.AdamW(
            [param], lr=LR, weight_decay=WD, betas=(BETA1, BETA2), eps=EPS, **options
        )
    elif kind == "adam+l2":
        optimizer = torch.optim.Adam(
            [param], lr=LR, weight_decay=WD, betas=(BETA1, BETA2), eps=EPS, **options
        )
    else:
        optimizer = torch.optim.SGD([param], lr=LR, momentum=MOMENTUM, weight_decay=WD, **options)
    return optimizer.step


def _ours(spec: str, w: np.ndarray, g: np.ndarray, backend: str = "numba") -> Step:
    stepper = Stepper(Optimizer.from_spec(spec).with_defaults(), backend, validate=False)
    state = [stepper.init(w)]

    def step() -> None:
        _, state[0] = stepper.step(w, g, state[0])

    return step


# rule -> (spec, torch rule or None, arrays moved per element)
RULES = {
    "adamw": ("torch.adamw(lr=0.001, weight_decay=0.01)", "adamw", 7),
    "adam+l2": ("torch.adam(lr=0.001, weight_decay=0.01)", "adam+l2", 7),
    "sgd+momentum": (
        "torch.sgd(lr=0.001, momentum=0.9, dampening=0, weight_decay=0.01)",
        "sgd+momentum",
        5,
    ),
    "sgdw+momentum": ("sgdw(lr=0.001, momentum=0.9, dampening=0, weight_decay=0.01)", None, 5),
    "lion": ("optax.lion(learning_rate=0.001, weight_decay=0.01)", None, 5),
}


def _runner(name: str, rule: str, w: np.ndarray, g: np.ndarray) -> Step | None:
    """The competitor ``name`` for ``rule`` on ``w`` and ``g`` (None where it does not exist)."""
    spec, torch_rule, _ = RULES[rule]
    if name in ("fused", "foreach"):
        return _torch(torch_rule, name, w, g) if torch_rule else None
    if name == "hand":
        return _hand(rule, w, g)
    if name == "stream":
        return lambda: _stream(w, g)
    if name == "numpy":
        return _ours(spec, w, g, "numpy") if w.size <= 10**6 else None
    return _ours(spec, w, g)


def kernels_table(sizes: list[int], repeats: int) -> None:
    print("\n## Update kernels\n")
    print(
        "| rule | dtype | n | wdtheory | torch fused | torch foreach | hand-written | numpy (array-API) "
        "| ours / fused | ours / hand | GB/s ours | GB/s stream |"
    )
    print("|---" * 12 + "|")
    rng = np.random.default_rng(0)
    for rule, (_, _, arrays) in RULES.items():
        for dtype in (np.float32, np.float64):
            for n in sizes:
                runners: dict[str, Step] = {}
                for name in ("ours", "fused", "foreach", "hand", "numpy", "stream"):
                    w = rng.standard_normal(n).astype(dtype)
                    g = (rng.standard_normal(n) * 1e-3).astype(dtype)
                    runner = _runner(name, rule, w, g)
                    if runner is not None:
                        runners[name] = runner
                # a step of 1e4 elements takes µs: more repeats against the machine's noise
                t = _median_times(
                    runners,
                    batch=max(3, min(300, int(3e7 // n))),
                    repeats=repeats * (3 if n <= 10**5 else 1),
                )
                itemsize = np.dtype(dtype).itemsize

                def ms(name: str, times: dict[str, float] = t) -> str:
                    return f"{times[name] * 1e3:.3f} ms" if name in times else "–"

                fused = f"{t['ours'] / t['fused']:.2f}" if "fused" in t else "–"
                print(
                    f"| {rule} | {np.dtype(dtype).name} | {n:.0e} | {ms('ours')} | {ms('fused')} | {ms('foreach')} "
                    f"| {ms('hand')} | {ms('numpy')} | {fused} | {t['ours'] / t['hand']:.2f} "
                    f"| {arrays * n * itemsize / 1e9 / t['ours']:.1f} | {3 * n * itemsize / 1e9 / t['stream']:.1f} |",
                    flush=True,
                )


def small_table(repeats: int) -> None:
    print("\n## Small tensors (n = 10): time per step call\n")
    print(
        "| rule | wdtheory (validate=False) | wdtheory (validate=True) | torch fused | torch foreach | torch single-tensor |"
    )
    print("|---" * 6 + "|")
    for rule in ("adamw", "sgd+momentum"):
        spec, torch_rule, _ = RULES[rule]
        runners: dict[str, Step] = {}
        for name in ("ours", "ours-checked", "fused", "foreach", "single"):
            w, g = np.ones(10, np.float32), np.full(10, 1e-3, np.float32)
            if name.startswith("ours"):
                stepper = Stepper(
                    Optimizer.from_spec(spec).with_defaults(),
                    "numba",
                    validate=name == "ours-checked",
                )
                state = [stepper.init(w)]
                runners[name] = lambda st=stepper, s=state, w=w, g=g: s.__setitem__(
                    0, st.step(w, g, s[0])[1]
                )
            else:
                runners[name] = _torch(torch_rule, {"single": "none"}.get(name, name), w, g)
        t = _median_times(runners, batch=2000, repeats=repeats)
        print(
            f"| {rule} | " + " | ".join(f"{t[k] * 1e6:.1f} µs" for k in runners) + " |", flush=True
        )


def _model_shapes() -> tuple[list[tuple[int, ...]], list[bool]]:
    """200 tensors like a small transformer: weight matrices decay; biases and norms do not."""
    shapes, decay = [], []
    for _ in range(25):
        for shape, decays in (
            ((512, 512), True),
            ((512,), False),
            ((2048, 512), True),
            ((2048,), False),
            ((512, 2048), True),
            ((512,), False),
            ((512,), False),
            ((512,), False),
        ):
            shapes.append(shape)
            decay.append(decays)
    return shapes, decay


def many_table(repeats: int) -> None:
    shapes, decay = _model_shapes()
    total = sum(math.prod(s) for s in shapes)
    print(
        f"\n## Many tensors: {len(shapes)} tensors, {total / 1e6:.1f} M float32 parameters, no decay on "
        "biases and norms\n"
    )
    print(
        "| rule | wdtheory ParamGroup | torch fused | torch foreach | ours / fused | ours / foreach "
        "| GB/s ours | GB/s fused | GB/s stream |"
    )
    print("|---" * 9 + "|")
    rng = np.random.default_rng(1)
    for rule in ("adamw", "sgd+momentum"):
        spec, torch_rule, arrays = RULES[rule]
        group = ParamGroup.allocate(shapes, decay, np.float32)
        group.params[:] = rng.standard_normal(group.params.size).astype(np.float32)
        group.grads[:] = (rng.standard_normal(group.grads.size) * 1e-3).astype(np.float32)
        stepper = Stepper(Optimizer.from_spec(spec).with_defaults(), validate=False)
        state = [stepper.init(group.params)]
        runners: dict[str, Step] = {
            "ours": lambda st=stepper, s=state, gr=group: s.__setitem__(0, st.step_group(gr, s[0])),
            "stream": lambda gr=group: _stream(gr.params, gr.grads),
        }
        for variant in ("fused", "foreach"):
            tensors = [torch.from_numpy(rng.standard_normal(s).astype(np.float32)) for s in shapes]
            for tensor in tensors:
                tensor.grad = torch.full_like(tensor, 1e-3)
            groups = [
                {
                    "params": [x for x, d in zip(tensors, decay, strict=True) if d],
                    "weight_decay": WD,
                },
                {
                    "params": [x for x, d in zip(tensors, decay, strict=True) if not d],
                    "weight_decay": 0.0,
                },
            ]
            options = {"foreach": variant == "foreach", "fused": variant == "fused"}
            if torch_rule == "adamw":
                runners[variant] = torch.optim.AdamW(
                    groups, lr=LR, betas=(BETA1, BETA2), eps=EPS, **options
                ).step
            else:
                runners[variant] = torch.optim.SGD(groups, lr=LR, momentum=MOMENTUM, **options).step
        t = _median_times(runners, batch=10, repeats=repeats)
        # bytes a step must read and write (float32): the rule's arrays, or w, g and w again
        gbs = {k: (3 if k == "stream" else arrays) * total * 4 / 1e9 / t[k] for k in t}
        print(
            f"| {rule} | {t['ours'] * 1e3:.2f} ms | {t['fused'] * 1e3:.2f} ms | {t['foreach'] * 1e3:.2f} ms "
            f"| {t['ours'] / t['fused']:.2f} | {t['ours'] / t['foreach']:.2f} "
            f"| {gbs['ours']:.1f} | {gbs['fused']:.1f} | {gbs['stream']:.1f} |",
            flush=True,
        )


def _cpu_name() -> str:
    """The processor's model name (Linux), else the architecture."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.machine()


def machine() -> str:
    """One line naming the machine and the versions measured."""
    return (
        f"machine: {_cpu_name()} ({platform.machine()}, {os.cpu_count()} CPUs), "
        f"{torch.get_num_threads()} torch threads, numba {numba.__version__} "
        f"({numba.config.NUMBA_NUM_THREADS} threads), numpy {np.__version__}, torch {torch.__version__}, "
        f"python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [10**4, 10**6] if args.quick else [10**4, 10**6, 10**7]
    repeats = 3 if args.quick else 7
    print(machine())
    kernels_table(sizes, repeats)
    small_table(repeats)
    many_table(repeats)


if __name__ == "__main__":
    main()
