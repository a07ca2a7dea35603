"""Compiling planned kernels, once, with caches in memory and on disk.

:func:`lower` is the lowering layer's entry point: a program and its scalar inputs in, a
:class:`LoweredRule` out — the plan and its compiled functions, each made on first use and kept
(one per program and process). The sources come from :mod:`wdtheory.lowering.printers`,
generated from checked identifiers only (no user text reaches them). Array-API and prologue
functions are compiled in memory; Numba kernels are written to a cache folder as modules named
by the hash of their source, so that Numba's own on-disk cache (``cache=True``, in the folder's
``__pycache__``) makes the second run of a program fast. The folder is ``$WDTHEORY_CACHE_DIR``
or ``~/.cache/wdtheory/kernels``.

Whatever sits in that folder runs (Numba's index files are pickles), so it is trusted only when
nobody else can write to it: the folder and its ``__pycache__`` created private (0700), owned by
the user, not group- or world-writable, writable by the user (the same for ``$NUMBA_CACHE_DIR``
when Numba is told to cache there). Otherwise, or when the folder cannot be made (a file or a
dangling link in the way, a read-only parent), kernels are compiled in memory without Numba's
cache, with one line on stderr saying why. A module is loaded from its source text, compared
with the generated source first, never from a ``.pyc``; it is written through a temporary file
of its own (private, unique to the writer) and renamed into place, so threads and processes
writing the same kernel at once do not collide.

A damaged cache costs a compilation, never a run: Numba reads a kernel's cache when the kernel is
first called for a dtype, and a cache that cannot be read then (a truncated ``.nbi`` or ``.nbc``,
a file that cannot be opened, data Numba cannot rebuild) is removed and the kernel compiled
again and re-cached, with one line on stderr naming the file; a cache that cannot be written or
removed leaves that kernel compiled in memory, also with one line. The guard sits in the
dispatcher's cache, which Numba consults only when it compiles, so a call of a compiled kernel
costs nothing more. CuPy is imported only when a CuPy kernel is asked for.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
import threading
import types
from collections.abc import Callable
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import sympy

from wdtheory.core.errors import WdtheoryError
from wdtheory.lowering.plan import KernelPlan, plan_kernel
from wdtheory.lowering.printers import (
    FINITE_VARIANTS,
    array_api_source,
    cuda_body,
    finite_source,
    numba_source,
    prologue_source,
    vector_prologue_source,
)
from wdtheory.optim.transforms import Program

__all__ = [
    "LoweredRule",
    "array_api_kernel",
    "cache_dir",
    "cupy_kernel",
    "finite_kernel",
    "lower",
    "numba_functions",
    "numba_kernel",
    "prologue_function",
    "trusted_cache_dir",
    "vector_prologue_function",
]


def cache_dir() -> Path:
    """Where generated kernel modules are kept."""
    root = os.environ.get("WDTHEORY_CACHE_DIR") or Path.home() / ".cache" / "wdtheory" / "kernels"
    return Path(root).absolute()  # Numba keys its cache by the module's path


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


def vector_prologue_function(plan: KernelPlan) -> Callable[..., tuple[Any, ...]]:
    """The hoisted scalars for a batch of runs: hyperparameters as float64 arrays (one value per
    run, in a shape that broadcasts against the runs' arrays), NumPy operations."""
    return _prologue(vector_prologue_source(plan))


def array_api_kernel(plan: KernelPlan) -> Callable:
    """``step(xp, arrays..., constants...)`` returning the new parameter and states."""
    return _array_api(array_api_source(plan))


_warned: set[object] = set()


def _warn(message: str, once: object = None) -> None:
    """One line on stderr, the first time in the process for ``once`` (default: the message), so
    that a fault shared by many kernels, like a damaged cache folder, is said once."""
    key = message if once is None else once
    if key not in _warned:
        _warned.add(key)
        print(f"wdtheory: warning: {message}", file=sys.stderr)


def _reason(error: BaseException) -> str:
    """An error in one line: a system error as its path and message (no ``[Errno n]``), another
    as its type and the first line of its message."""
    if isinstance(error, OSError):
        if error.strerror and error.filename:
            return f"{error.filename}: {error.strerror}"
        return str(error)
    message = str(error).strip().partition("\n")[0]
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _check_private(folder: Path) -> None:
    """Make ``folder`` (private) if missing; raise OSError saying why unless it is a folder that
    only the user can write, and the user can."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError as error:  # the folder or a parent: a file or a dangling link
        where = Path(error.filename or folder)
        if where.is_symlink() and not where.exists():
            raise FileNotFoundError(
                f"{where} is a link to {os.readlink(where)}, which is missing"
            ) from None
        raise NotADirectoryError(f"{where} is a file, not a folder") from None
    status = folder.stat()
    owner = getattr(os, "getuid", lambda: status.st_uid)()  # no owners to check on Windows
    if status.st_uid != owner or status.st_mode & 0o022:
        raise PermissionError(
            f"{folder} is writable by others or not yours (mode {status.st_mode & 0o777:o})"
        )
    try:
        with tempfile.TemporaryFile(dir=folder):  # a name of its own: threads probe at once too
            pass
    except OSError as error:
        raise PermissionError(f"cannot write in {folder} ({error.strerror})") from None


@cache
def trusted_cache_dir() -> Path | None:
    """The kernel cache folder if it is safe to run what it and its ``__pycache__`` (Numba's
    cache) hold (see the module doc), else None after one line on stderr; asked once per
    process."""
    try:
        folder = cache_dir()
        _check_private(folder)
        _check_private(folder / "__pycache__")
    except (OSError, RuntimeError) as error:  # RuntimeError: no home folder
        _warn(f"not caching kernels ({_reason(error)}); compiling them in memory")
        return None
    return folder


class _GuardedCache:
    """Numba's on-disk cache of one kernel (a ``numba.core.caching.FunctionCache``), made so that
    its faults cost a compilation, never a run. Numba asks it for a compiled kernel
    (``load_overload``) and gives it one to keep (``save_overload``) only when it compiles, under
    its compiler lock. A cache that cannot be read is removed — its index: the data files it
    names are then unreachable and overwritten — so the kernel is compiled again and re-cached;
    one that cannot be removed or written is switched off, the kernel compiled in memory. Each
    kind of fault is one line on stderr, once per cache folder and process."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache
        self.index = Path(cache._cache_file._index_path)  # the .nbi file (Numba's layout)

    def __getattr__(self, name: str) -> Any:  # the rest of Numba's cache interface
        return getattr(self._cache, name)

    def load_overload(self, sig: Any, target_context: Any) -> Any:
        try:
            return self._cache.load_overload(sig, target_context)
        except Exception as error:  # a truncated pickle, an unreadable file, bad object code
            try:
                self.index.unlink(missing_ok=True)
            except OSError as removal:
                self._cache.disable()
                then = f"cannot remove it ({_reason(removal)}), compiling the kernel in memory"
            else:
                then = "removed it, compiling the kernel again"
            about = _reason(error)
            if isinstance(error, OSError) and error.filename == str(self.index):
                about = error.strerror
            _warn(
                f"cannot read the cached kernel {self.index} ({about}); {then}",
                once=("unreadable", self.index.parent),
            )
            return None

    def save_overload(self, sig: Any, data: Any) -> None:
        try:
            self._cache.save_overload(sig, data)
        except Exception as error:
            self._cache.disable()
            _warn(
                f"cannot cache the kernel {self.index} ({_reason(error)}); kept in memory",
                once=("unwritable", self.index.parent),
            )


def _write_source(path: Path, source: str) -> None:
    """Write ``source`` to ``path`` unless it holds it already: through a temporary file of its
    own (0600) renamed into place, so that writers at once (threads, processes) never collide
    and a reader sees the old text or the new one."""
    try:
        if path.read_bytes() == source.encode():
            return
    except FileNotFoundError:
        pass
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(source)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _cached_module(folder: Path, source: str) -> dict[str, Any]:
    """The namespace of the module ``source``, loaded from its file in ``folder``; Numba's cache
    of each of its cached functions guarded (see _GuardedCache)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:24]
    path = folder / f"k_{digest}.py"
    _write_source(path, source)
    module = types.ModuleType(f"wdtheory_kernels.k_{digest}")
    module.__file__ = str(path)  # Numba's cache is keyed by the file; no .pyc is read
    sys.modules[module.__name__] = module
    exec(compile(source, str(path), "exec"), module.__dict__)  # numba.njit finds its cache here
    for function in vars(module).values():
        cache = getattr(function, "_cache", None)
        if getattr(function, "__module__", None) != module.__name__ or cache is None:
            continue  # imported, or not a Numba function
        if getattr(cache, "cache_path", None) is None:
            continue  # cache=False or inlined: Numba's null cache
        numba_cache = Path(cache.cache_path)
        if numba_cache != folder / "__pycache__":  # $NUMBA_CACHE_DIR, or Numba's fallback
            _check_private(numba_cache)
        function._cache = _GuardedCache(cache)
    return module.__dict__


_numba_lock = threading.RLock()  # a module may ask for another one as it loads
_numba_modules: dict[str, dict[str, Any]] = {}


def numba_functions(source: Callable[[bool], str], names: tuple[str, ...]) -> tuple[Callable, ...]:
    """The Numba functions ``names`` of the generated module ``source(cache)`` (``cache``:
    whether its decorators ask for Numba's on-disk cache): kept in the trusted cache folder when
    there is one, else compiled in memory (see the module doc); the module is made once per
    process and source, also when threads ask for it at once."""
    text = source(True)
    with _numba_lock:
        if text not in _numba_modules:
            _numba_modules[text] = _numba_module(text, lambda: source(False))
        namespace = _numba_modules[text]
    return tuple(namespace[name] for name in names)


def _numba_module(text: str, in_memory: Callable[[], str]) -> dict[str, Any]:
    folder = trusted_cache_dir()
    if folder is not None:
        try:
            return _cached_module(folder, text)
        # RuntimeError: Numba found no folder to cache in; AttributeError: not Numba's layout
        except (OSError, RuntimeError, AttributeError) as error:
            _warn(
                f"not caching a kernel ({_reason(error)}); compiling it in memory",
                once=("uncached", folder),
            )
    namespace: dict[str, Any] = {}
    exec(compile(in_memory(), "<wdtheory kernels>", "exec"), namespace)
    return namespace


def numba_kernel(plan: KernelPlan, parallel: bool, layout: str = "single") -> Callable:
    """The fused in-place Numba kernel (compiled on first call for each dtype) of one of the
    argument layouts of :func:`~wdtheory.lowering.printers.numba_function`."""
    (step,) = numba_functions(
        lambda cache: numba_source(plan, parallel, cache=cache, layout=layout), ("step",)
    )
    return step


@cache
def finite_kernel(parallel: bool) -> Callable[..., bool]:
    """The check that every element of one array of a list of tensors is finite
    (:func:`~wdtheory.lowering.printers.finite_source`), serial or on every thread, made once
    per process (kept and cached as the update kernels are)."""
    (finite,) = numba_functions(finite_source, (FINITE_VARIANTS[parallel],))
    return finite


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
    Numba kernels (``numba_serial``, ``numba_parallel``; of a batch of runs,
    ``numba_batched_*``; of a list of tensors, ``numba_tensors_*``) and the CuPy kernel."""

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
    def numba_batched_serial(self) -> Callable:
        return numba_kernel(self.plan, parallel=False, layout="batched")

    @cached_property
    def numba_batched_parallel(self) -> Callable:
        return numba_kernel(self.plan, parallel=True, layout="batched")

    @cached_property
    def numba_tensors_serial(self) -> Callable:
        return numba_kernel(self.plan, parallel=False, layout="tensors")

    @cached_property
    def numba_tensors_parallel(self) -> Callable:
        return numba_kernel(self.plan, parallel=True, layout="tensors")

    @cached_property
    def vector_prologue(self) -> Callable:
        return vector_prologue_function(self.plan)

    @cached_property
    def cupy(self) -> Callable:
        return cupy_kernel(self.plan)


@cache
def lower(program: Program, scalars: tuple[sympy.Symbol, ...]) -> LoweredRule:
    """The lowered rule of ``program`` whose scalar inputs are ``scalars`` (in call order)."""
    return LoweredRule(plan_kernel(program, scalars))
