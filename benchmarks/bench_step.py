"""Time optimizer steps: wdtheory's lowered kernels against torch.optim and hand-written kernels.

Usage::

    .venv/bin/python benchmarks/bench_step.py            # all tables
    .venv/bin/python benchmarks/bench_step.py --quick    # fewer sizes and repeats

First a check that every competitor computes the same update (the largest difference from
wdtheory's parameters after 25 steps from the same start with the same gradients), then three
tables, every competitor in the same process with the same number of threads, timed
interleaved (in the kernels table on the same parameter and gradient arrays, each with its own
state buffers); each cell is the median over repeats of the mean time of a batch of steps:

1. **kernels** — AdamW, Adam + L2, SGD + momentum with coupled and decoupled decay, Lion; float32
   and float64; n = 1e4, 1e6, 1e7. wdtheory's step is the bound one (``Stepper.bind``, as a
   training loop over fixed arrays runs it, without per-call checks; the array-API column runs
   the same on the NumPy backend). Ratios against ``torch.optim`` with ``fused=True`` (the fastest
   PyTorch path on CPU) and against a hand-written fused Numba kernel for the same rule, serial or
   parallel as wdtheory runs it at that size. "GB/s" is the rule's minimal traffic (arrays read +
   written) over the time, beside an in-place streaming kernel (``w += g``: 3 arrays, serial or
   parallel likewise), the practical limit of the machine once the arrays outgrow the caches.
2. **small tensors** — per-call time of one step at n = 10: the bound step, ``Stepper.step``
   without and with its checks, the hand-written kernel's call (the floor: one call into
   compiled code) and torch's three paths.
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

from wdtheory.optim.optimizer import Optimizer
from wdtheory.runtime.param_group import ParamGroup
from wdtheory.runtime.stepper import Stepper

LR, WD, MOMENTUM, BETA1, BETA2, EPS = 1e-3, 1e-2, 0.9, 0.9, 0.999, 1e-8
LION_BETA2 = 0.99  # optax's default

Step = Callable[[], None]


def _time(step: Step, batch: int) -> float:
    start = time.perf_counter()
    for _ in range(batch):
        step()
    return (time.perf_counter() - start) / batch


def median_times(runners: dict[str, Step], batch: int, repeats: int) -> dict[str, float]:
    for step in runners.values():  # warm up: compile, allocate, first-step rules
        _time(step, 3)
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(repeats):
        for name, step in runners.items():
            times[name].append(_time(step, batch))
    return {name: statistics.median(values) for name, values in times.items()}


# --------------------------------------------------------------------------- hand-written kernels

# Written as one would by hand for speed: the hyperparameters arrive as one float64 array, the
# scalar constants (bias corrections, 1 - beta, the decay factor 1 - lr * wd, lr over the bias
# correction) are computed once before the loop in float64 and cast to the arrays' dtype (a
# Python float in the loop would promote float32 arithmetic to float64), and each element costs
# one division and one square root at most. Each is compiled serial and parallel; the runner
# takes the one wdtheory's stepper would pick at that size, so the ratio compares the code.


def _adamw(w, g, m, v, hyper, t):
    lr, b1, b2, eps, wd = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    cast = w.dtype.type
    keep, cb1, ob1, cb2, ob2 = cast(1 - lr * wd), cast(b1), cast(1 - b1), cast(b2), cast(1 - b2)
    step, scale, ceps = cast(lr / (1 - b1**t)), cast(1 / math.sqrt(1 - b2**t)), cast(eps)
    for i in numba.prange(w.shape[0]):
        mi = cb1 * m[i] + ob1 * g[i]
        vi = cb2 * v[i] + ob2 * g[i] * g[i]
        m[i] = mi
        v[i] = vi
        w[i] = keep * w[i] - step * mi / (math.sqrt(vi) * scale + ceps)


def _adam_l2(w, g, m, v, hyper, t):
    lr, b1, b2, eps, wd = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    cast = w.dtype.type
    cwd, cb1, ob1, cb2, ob2 = cast(wd), cast(b1), cast(1 - b1), cast(b2), cast(1 - b2)
    step, scale, ceps = cast(lr / (1 - b1**t)), cast(1 / math.sqrt(1 - b2**t)), cast(eps)
    for i in numba.prange(w.shape[0]):
        gi = g[i] + cwd * w[i]
        mi = cb1 * m[i] + ob1 * gi
        vi = cb2 * v[i] + ob2 * gi * gi
        m[i] = mi
        v[i] = vi
        w[i] = w[i] - step * mi / (math.sqrt(vi) * scale + ceps)


def _sgd_l2(w, g, b, hyper, t):
    lr, wd, mu = w.dtype.type(hyper[0]), w.dtype.type(hyper[1]), w.dtype.type(hyper[2])
    for i in numba.prange(w.shape[0]):
        bi = mu * b[i] + (g[i] + wd * w[i])
        b[i] = bi
        w[i] = w[i] - lr * bi


def _sgdw(w, g, b, hyper, t):
    cast = w.dtype.type
    lr, keep, mu = cast(hyper[0]), cast(1 - hyper[0] * hyper[1]), cast(hyper[2])
    for i in numba.prange(w.shape[0]):
        bi = mu * b[i] + g[i]
        b[i] = bi
        w[i] = keep * w[i] - lr * bi


def _lion(w, g, m, hyper, t):
    lr, wd, b1, b2 = hyper[0], hyper[1], hyper[2], hyper[3]
    cast = w.dtype.type
    clr, keep, cb1, ob1, cb2, ob2 = (
        cast(lr),
        cast(1 - lr * wd),
        cast(b1),
        cast(1 - b1),
        cast(b2),
        cast(1 - b2),
    )
    one, zero = cast(1), cast(0)
    for i in numba.prange(w.shape[0]):
        c = cb1 * m[i] + ob1 * g[i]
        m[i] = cb2 * m[i] + ob2 * g[i]
        w[i] = keep * w[i] - clr * (one if c > zero else (-one if c < zero else zero))


def _stream(w, g):
    for i in numba.prange(w.shape[0]):
        w[i] += g[i]


def _compiled(function: Callable) -> dict[bool, Callable]:
    """``function`` compiled serial (False) and parallel (True)."""
    return {
        parallel: numba.njit(parallel=parallel, error_model="numpy", nogil=True)(function)
        for parallel in (False, True)
    }


# rule -> (kernels, hyperparameters in the kernel's order, number of state buffers)
HAND = {
    "adamw": (_compiled(_adamw), (LR, BETA1, BETA2, EPS, WD), 2),
    "adam+l2": (_compiled(_adam_l2), (LR, BETA1, BETA2, EPS, WD), 2),
    "sgd+momentum": (_compiled(_sgd_l2), (LR, WD, MOMENTUM), 1),
    "sgdw+momentum": (_compiled(_sgdw), (LR, WD, MOMENTUM), 1),
    "lion": (_compiled(_lion), (LR, WD, BETA1, LION_BETA2), 1),
}
STREAM = _compiled(_stream)


def _parallel(rule: str, w: np.ndarray) -> bool:
    """Whether wdtheory's stepper runs ``rule`` on ``w`` with the parallel kernel."""
    stepper = Stepper(Optimizer.from_spec(RULES[rule][0]).with_defaults())
    return w.size >= stepper.code.parallel_from[w.itemsize]


def _hand(rule: str, w: np.ndarray, g: np.ndarray) -> Step:
    """The hand-written kernel for ``rule``, serial or parallel as wdtheory would run it."""
    kernels, values, buffers = HAND[rule]
    kernel, hyper = kernels[_parallel(rule, w)], np.array(values)
    state = tuple(np.zeros_like(w) for _ in range(buffers))
    count = [0]

    def step() -> None:
        count[0] += 1
        kernel(w, g, *state, hyper, float(count[0]))

    return step


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


def _ours(
    spec: str, w: np.ndarray, g: np.ndarray, backend: str = "numba", api: str = "bind"
) -> Step:
    """wdtheory's step of ``spec``: the bound step (``api="bind"``, no per-call checks), or
    ``Stepper.step`` (``"step"``; ``"step-checked"`` with its checks)."""
    stepper = Stepper(
        Optimizer.from_spec(spec).with_defaults(), backend, validate=api == "step-checked"
    )
    if api == "bind":
        return stepper.bind(w, g)
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
        stream = STREAM[_parallel(rule, w)]
        return lambda: stream(w, g)
    if name == "numpy":
        return _ours(spec, w, g, "numpy") if w.size <= 10**6 else None
    return _ours(spec, w, g)


def same_numbers_table(steps: int = 25, n: int = 20_001) -> None:
    """Every competitor of the kernels table from the same start with the same gradients (their
    size changing from step to step): the largest difference from wdtheory's parameters."""
    names = ("fused", "foreach", "hand", "numpy")
    print(f"\n## The same numbers: largest difference from wdtheory after {steps} steps, n = {n}\n")
    print("| rule | dtype | " + " | ".join(names) + " | largest change of w |")
    print("|---" * (len(names) + 3) + "|")
    for rule in RULES:
        for dtype in (np.float32, np.float64):
            rng = np.random.default_rng(2)
            w0 = rng.standard_normal(n).astype(dtype)
            arrays = {name: (w0.copy(), np.zeros(n, dtype)) for name in ("ours", *names)}
            runners = {name: _runner(name, rule, *arrays[name]) for name in arrays}
            for _ in range(steps):
                g = (rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 0)).astype(dtype)
                for name, runner in runners.items():
                    if runner is not None:
                        arrays[name][1][...] = g
                        runner()
            ours = arrays["ours"][0]
            cells = [
                f"{np.abs(arrays[name][0] - ours).max():.1e}" if runners[name] else "–"
                for name in names
            ]
            change = np.abs(ours - w0).max()
            print(
                f"| {rule} | {np.dtype(dtype).name} | " + " | ".join(cells) + f" | {change:.1e} |"
            )


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
                # one w and g for all (each keeps its own state buffers): where the arrays sit
                # in the caches then favours no one
                w = rng.standard_normal(n).astype(dtype)
                g = (rng.standard_normal(n) * 1e-3).astype(dtype)
                for name in ("ours", "fused", "foreach", "hand", "numpy", "stream"):
                    runner = _runner(name, rule, w, g)
                    if runner is not None:
                        runners[name] = runner
                # a step of 1e4 elements takes µs: more repeats against the machine's noise
                t = median_times(
                    runners,
                    batch=max(3, min(3000, int(3e7 // n))),
                    repeats=repeats * (3 if n <= 10**5 else 1),
                )
                itemsize = np.dtype(dtype).itemsize

                def ms(name: str, times: dict[str, float] = t) -> str:
                    if name not in times:
                        return "–"
                    seconds = times[name]
                    return (
                        f"{seconds * 1e6:.1f} µs" if seconds < 1e-4 else f"{seconds * 1e3:.3f} ms"
                    )

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
        "| rule | wdtheory bound step | wdtheory Stepper.step (validate=False) "
        "| wdtheory Stepper.step (validate=True) | hand-written | torch fused | torch foreach "
        "| torch single-tensor |"
    )
    print("|---" * 8 + "|")
    for rule in ("adamw", "sgd+momentum"):
        spec, torch_rule, _ = RULES[rule]
        runners: dict[str, Step] = {}
        for name in ("bind", "step", "step-checked", "hand", "fused", "foreach", "single"):
            w, g = np.ones(10, np.float32), np.full(10, 1e-3, np.float32)
            if name.startswith(("bind", "step")):
                runners[name] = _ours(spec, w, g, api=name)
            elif name == "hand":
                runners[name] = _hand(rule, w, g)
            else:
                runners[name] = _torch(torch_rule, {"single": "none"}.get(name, name), w, g)
        t = median_times(runners, batch=2000, repeats=repeats)
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
        }
        w, g = group.params.copy(), group.grads.copy()  # the stream's own arrays
        runners["stream"] = lambda w=w, g=g: STREAM[True](w, g)
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
        t = median_times(runners, batch=10, repeats=repeats)
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
    torch.set_num_threads(numba.get_num_threads())  # the same threads for every competitor
    print(machine())
    same_numbers_table()
    kernels_table(sizes, repeats)
    small_table(repeats)
    many_table(repeats)


if __name__ == "__main__":
    main()
