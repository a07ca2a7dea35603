"""Time ``wdtheory.torch.Optimizer`` against ``torch.optim`` on real models' parameter lists.

Usage::

    .venv/bin/python benchmarks/bench_torch_adapter.py            # both models
    .venv/bin/python benchmarks/bench_torch_adapter.py --quick    # fewer repeats

Two parameter lists, shaped like real models', with gradients set once (the step alone is
timed; the forward and backward passes are the same for every optimizer):

* **small** — an MLP 32 → 64 → 64 → 64 → 10 (8 tensors, 11 k parameters): the per-step cost of
  the optimizer's Python and of launching its kernels;
* **large** — a transformer-like list: 12 blocks of 4 weight matrices (512 x 512, 2048 x 512,
  512 x 2048, 1536 x 512) with biases and two layer-norm scales each (37.8 M parameters in
  120 tensors).

Decay on matrices only (``decay=matrices_only``; torch: two param groups), float32, AdamW and
SGD with Nesterov momentum. Competitors in one process, same thread count, timed interleaved:
each round times a batch of steps of every competitor, in an order shuffled per round (seeded)
and each batch after a pause of 0.2 s (a thread pool, torch's OpenMP or Numba's, spins for a
while after its work, which slows whoever runs right after it on these 2 cores). A time is
the median over rounds of a batch's mean; a ratio the median over rounds of the ratio within
the round (robust to the machine's drift). Before timing, every competitor runs 5 steps from
the same start and the largest difference from torch fused is printed (float32: a few ulps of
the largest parameter where the order of operations differs).
"""

from __future__ import annotations

import argparse
import itertools
import platform
import random
import statistics
import time
from collections.abc import Callable

import numba
import torch

import wdtheory.torch as wt

SPECS = {
    "adamw": ("torch.adamw(lr=1e-3, weight_decay=0.01)", torch.optim.AdamW, {"lr": 1e-3}),
    "sgd+nesterov": (
        "torch.sgd(lr=0.01, momentum=0.9, weight_decay=0.01, nesterov=true)",
        torch.optim.SGD,
        {"lr": 0.01, "momentum": 0.9, "nesterov": True},
    ),
}


def shapes(model: str) -> list[tuple[int, ...]]:
    if model == "small":
        widths = [32, 64, 64, 64, 10]
        return [s for a, b in itertools.pairwise(widths) for s in ((b, a), (b,))]
    block = [(512, 512), (512,), (2048, 512), (2048,), (512, 2048), (512,), (1536, 512), (1536,)]
    return [s for _ in range(12) for s in (*block, (512,), (512,))]


def parameters(model: str, seed: int = 0) -> list[torch.nn.Parameter]:
    generator = torch.Generator().manual_seed(seed)
    params = []
    for shape in shapes(model):
        param = torch.nn.Parameter(torch.randn(shape, generator=generator) * 0.02)
        param.grad = torch.randn(shape, generator=generator) * 1e-3
        params.append(param)
    return params


def competitors(rule: str, model: str) -> dict[str, tuple[list, Callable[[], object]]]:
    spec, torch_cls, kwargs = SPECS[rule]
    made = {}
    for name in ("torch fused", "torch foreach", "wdtheory", "wdtheory (validate)"):
        params = parameters(model)
        if name.startswith("torch"):
            groups = [
                {"params": [p for p in params if p.ndim >= 2], "weight_decay": 0.01},
                {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
            ]
            optim = torch_cls(
                groups, fused=name == "torch fused", foreach=name != "torch fused", **kwargs
            )
        else:
            optim = wt.Optimizer(
                params, spec, decay=wt.matrices_only, validate=name == "wdtheory (validate)"
            )
        made[name] = params, optim.step
    return made


def check(rule: str, model: str) -> dict[str, float]:
    """The largest difference from torch fused after 5 steps from the same start."""
    made = competitors(rule, model)
    for _, step in made.values():
        for _ in range(5):
            step()
    flat = {n: torch.cat([p.detach().reshape(-1) for p in ps]) for n, (ps, _) in made.items()}
    return {n: (v - flat["torch fused"]).abs().max().item() for n, v in flat.items()}


def timings(rule: str, model: str, repeats: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median seconds per step of each competitor, and median ratios to torch fused within a
    round (see the module doc)."""
    made = competitors(rule, model)
    batch = 200 if model == "small" else 5
    for _, step in made.values():  # warm: compiled kernels, allocated state
        step()
    samples: dict[str, list[float]] = {n: [] for n in made}
    order, shuffle = list(made), random.Random(0).shuffle
    for _ in range(repeats):
        shuffle(order)
        for name in order:
            step = made[name][1]
            time.sleep(0.2)
            start = time.perf_counter()
            for _ in range(batch):
                step()
            samples[name].append((time.perf_counter() - start) / batch)
    fused = samples["torch fused"]
    ratios = {
        n: statistics.median(a / b for a, b in zip(s, fused, strict=True))
        for n, s in samples.items()
    }
    return {n: statistics.median(s) for n, s in samples.items()}, ratios


def show(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 5 if args.quick else 21
    print(
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), numba "
        f"{numba.__version__} ({numba.get_num_threads()} threads), {platform.processor() or platform.machine()}"
    )
    print()
    print("Largest difference from torch fused after 5 steps:")
    print()
    print("| rule | model | torch foreach | wdtheory | wdtheory (validate) |")
    print("|---|---|---|---|---|")
    for rule in SPECS:
        for model in ("small", "large"):
            gaps = check(rule, model)
            print(
                f"| {rule} | {model} | {gaps['torch foreach']:.1e} | {gaps['wdtheory']:.1e} | "
                f"{gaps['wdtheory (validate)']:.1e} |"
            )
    print()
    names = ("torch fused", "torch foreach", "wdtheory", "wdtheory (validate)")
    print("| rule | model | " + " | ".join(names) + " | ours / fused | ours (validate) / fused |")
    print("|---|---|" + "---|" * (len(names) + 2))
    for rule in SPECS:
        for model in ("small", "large"):
            t, ratio = timings(rule, model, repeats)
            cells = " | ".join(show(t[n]) for n in names)
            print(
                f"| {rule} | {model} | {cells} | {ratio['wdtheory']:.2f} | "
                f"{ratio['wdtheory (validate)']:.2f} |"
            )


if __name__ == "__main__":
    main()
