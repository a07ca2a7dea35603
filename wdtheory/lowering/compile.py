"""Compiling planned kernels, once, with caches in memory and on disk.

:func:`lower` is the lowering layer's entry point: a program and its scalar inputs in, a
:class:`LoweredRule` out — the plan and its compiled functions, each made on first use and kept
(one per program and process). The sources come from :mod:`wdtheory.lowering.printers`,
generated from checked identifiers only (no user text reaches them). Array-API and prologue
functions are compiled in memory; Numba kernels are written to a cache folder as modules named
by the hash of their source, so that Numba's own on-disk cache (``cache=True``) makes the
second run of a program fast. The folder is ``$WDTHEORY_CACHE_DIR`` or
``~/.cache/wdtheory/kernels``.

Whatever sits in that folder runs (Numba's index files are pickles), so it is trusted only when
nobody else can write to it: created private (0700), owned by the user, not group- or
world-writable. Otherwise, or when it cannot be made, kernels are compiled in memory without
Numba's cache, with one line on stderr saying why. A module is loaded from its source text,
compared with the generated source first, never from a ``.pyc``. CuPy is imported only when a
CuPy kernel is asked for.
"""

from __future__ import annotations

import hashlib
import os
import sys
import types
from collections.abc import Callable
from functools import cache, cached_property
from pathlib import Path

import sympy

from wdtheory.core.errors import WdtheoryError
from wdtheory.lowering.plan import KernelPlan, plan_kernel
from wdtheory.lowering.printers import array_api_source, cuda_body, numba_source, prologue_source
from wdtheory.optim.transforms import Program

__all__ = [
    "LoweredRule",
    "array_api_kernel",
    "cache_dir",
    "cupy_kernel",
    "lower",
    "numba_kernel",
    "prologue_function",
    "trusted_cache_dir",
]


def cache_dir() -> Path:
    """Where generated kernel modules are kept."""
    root = os.environ.get("WDTHEORY_CACHE_DIR") or Path.home() / ".cache" / "wdtheory" / "kernels"
    return Path(root)


def _compile(source: str, name: str) -> Callable:
    """Compile generated source in a fresh namespace and return the function ``name``."""
    namespace: dict[str, object] = {}
    exec(compile(source, f"<wdtheory {name}>", "exec"), namespace)
    return namespace[name]  # type: ignore[return-value]


@cache
def _prologue(source: str) -> Callable:
    return _compile(source, "prologue")


@cache
def _array_api(source: str) -> Callable:
    return _compile(source, "step")


def prologue_function(plan: KernelPlan) -> Callable[..., tuple[float, ...]]:
    """The host-side function computing the hoisted scalars."""
    return _prologue(prologue_source(plan))


def array_api_kernel(plan: KernelPlan) -> Callable:
    """``step(xp, arrays..., constants...)`` returning the new parameter and states."""
    return _array_api(array_api_source(plan))


@cache
def trusted_cache_dir() -> Path | None:
    """The kernel cache folder if it is safe to run what it holds (see the module doc), else
    None after one line on stderr; asked once per process."""
    folder = cache_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = folder.stat()
        if not folder.is_dir():
            raise NotADirectoryError(f"{folder} is not a folder")
        owner = getattr(os, "getuid", lambda: status.st_uid)()  # no owners to check on Windows
        if status.st_uid != owner or status.st_mode & 0o022:
            raise PermissionError(
                f"{folder} is writable by others or not yours (mode {status.st_mode & 0o777:o})"
            )
        probe = folder / f".probe.{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        print(
            f"wdtheory: warning: not caching kernels ({error}); compiling them in memory",
            file=sys.stderr,
        )
        return None
    return folder


@cache
def _numba(plan: KernelPlan, parallel: bool) -> Callable:
    folder = trusted_cache_dir()
    if folder is None:
        return _compile(numba_source(plan, parallel, cache=False), "step")
    source = numba_source(plan, parallel)
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    path = folder / f"k_{digest}.py"
    if not path.exists() or path.read_text() != source:
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(source)
        os.replace(temporary, path)
    module = types.ModuleType(f"wdtheory_kernels.k_{digest}")
    module.__file__ = str(path)  # Numba's cache is keyed by the file; no .pyc is read
    sys.modules[module.__name__] = module
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module.step


def numba_kernel(plan: KernelPlan, parallel: bool) -> Callable:
    """The fused in-place Numba kernel (compiled on first call for each dtype)."""
    return _numba(plan, parallel)


@cache
def _cupy(body: str, in_params: str, out_params: str) -> Callable:
    try:
        import cupy
    except ImportError as error:
        raise WdtheoryError(
            "the cupy backend needs CuPy and a GPU (pip install wdtheory[gpu])"
        ) from error
    name = "wdtheory_" + hashlib.sha256(body.encode()).hexdigest()[:16]
    return cupy.ElementwiseKernel(in_params, out_params, body, name)


def cupy_kernel(plan: KernelPlan) -> Callable:
    """The CuPy ``ElementwiseKernel``: ``kernel(grad, constants..., param, states...)`` in place."""
    names = plan.names
    inputs = ", ".join([f"T {names[plan.arrays[1]]}"] + [f"T {names[c]}" for c, _ in plan.prologue])
    outputs = ", ".join(f"T {names[a]}" for a in (plan.arrays[0], *plan.states))
    return _cupy(cuda_body(plan), inputs, outputs)


class LoweredRule:
    """One rule's plan and its compiled functions, each made on first use and kept: the host
    ``prologue`` (hoisted constants in float64), the functional ``array_api`` step, the in-place
    Numba kernels (``numba_serial``, ``numba_parallel``) and the CuPy kernel."""

    def __init__(self, plan: KernelPlan) -> None:
        self.plan = plan
        self.prologue = prologue_function(plan)
        #: the scalars the hoisted constants depend on
        self.prologue_symbols = frozenset(s for _, e in plan.prologue for s in e.free_symbols)

    @cached_property
    def array_api(self) -> Callable:
        return array_api_kernel(self.plan)

    @cached_property
    def numba_serial(self) -> Callable:
        return numba_kernel(self.plan, parallel=False)

    @cached_property
    def numba_parallel(self) -> Callable:
        return numba_kernel(self.plan, parallel=True)

    @cached_property
    def cupy(self) -> Callable:
        return cupy_kernel(self.plan)


@cache
def lower(program: Program, scalars: tuple[sympy.Symbol, ...]) -> LoweredRule:
    """The lowered rule of ``program`` whose scalar inputs are ``scalars`` (in call order)."""
    return LoweredRule(plan_kernel(program, scalars))
