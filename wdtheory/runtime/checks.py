"""The checks a step makes on its arrays and state: one namespace, shapes, float dtypes, layout,
writability, finiteness, and a state made by ``init``.

Every refusal is a one-line :class:`~wdtheory.core.errors.WdtheoryError` naming the array.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from wdtheory.core.errors import WdtheoryError

__all__ = [
    "all_finite",
    "check_arrays",
    "check_finite",
    "check_shapes",
    "check_sizes",
    "check_state",
    "check_writable",
    "flat",
    "namespace",
]

#: the NumPy dtypes the kernels take (NumPy's built-in dtypes are singletons: compared by ``is``)
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

#: NumPy array subclasses whose meaning a kernel would silently drop
_REFUSED = {
    np.matrix: "a numpy.matrix (its products and shapes differ from arrays); pass np.asarray(x)",
    np.ma.MaskedArray: "a masked array, whose mask a step would ignore; pass x.filled(value)",
}


def namespace(array: Any, name: str = "params") -> Any:
    """The array-API namespace of ``array`` (NumPy for NumPy arrays; a ``numpy.matrix`` or a
    masked array is refused)."""
    if array.__class__ is np.ndarray:
        return np
    if isinstance(array, np.ndarray):
        for kind, why in _REFUSED.items():
            if isinstance(array, kind):
                raise WdtheoryError(f"{name} is {why}")
        return np
    if hasattr(array, "__array_namespace__"):
        return array.__array_namespace__()
    if type(array).__module__.partition(".")[0] == "cupy":  # CuPy before 14 lacks the method
        import cupy

        return cupy
    raise WdtheoryError(
        f"{name} must be an array (NumPy, CuPy or array-API), got {type(array).__name__}"
    )


def flat(array: np.ndarray) -> np.ndarray:
    """A 1-D view of a C-contiguous array (the Numba kernel loops over elements; it indexes a
    strided 1-D array correctly, so those pass as they are unless their elements overlap)."""
    if array.ndim == 1 and (array.strides[0] != 0 or array.size <= 1):
        return array
    if not array.flags.c_contiguous:
        raise WdtheoryError(
            "the numba backend needs C-contiguous arrays (or 1-D ones with distinct elements); "
            "pass np.ascontiguousarray(x)"
        )
    return array.reshape(-1)


def check_arrays(params: Any, grads: Any, buffers: tuple, states: int) -> None:
    """The checks of one step: :func:`check_shapes`, then finite gradients."""
    check_finite(grads, check_shapes(params, grads, buffers, states))


def check_shapes(params: Any, grads: Any, buffers: tuple, states: int) -> Any:
    """Arrays of one namespace (returned), the same shape and float dtype everywhere, one buffer
    per state variable."""
    xp = namespace(params)
    namespace(grads, "grads")
    for index, buffer in enumerate(buffers):
        namespace(buffer, f"state buffer {index}")
    dtype = params.dtype
    if dtype not in (xp.float32, xp.float64):
        raise WdtheoryError(f"params must be float32 or float64, got {dtype}")
    if len(buffers) != states:
        raise WdtheoryError(
            f"the state has {len(buffers)} buffers, this optimizer keeps {states}; "
            "make it with init()"
        )
    for index, array in enumerate((grads, *buffers)):
        if array.shape != params.shape or array.dtype != dtype:
            name = "grads" if index == 0 else f"state buffer {index - 1}"
            if array.shape != params.shape:
                raise WdtheoryError(
                    f"{name} has shape {tuple(array.shape)}, params have {tuple(params.shape)}"
                )
            raise WdtheoryError(f"{name} has dtype {array.dtype}, params have {dtype}")
    return xp


def check_sizes(params: Any, grads: Any, buffers: tuple, states: int) -> None:
    """What protects memory and the meaning of the numbers, checked even when the caller vouches
    for the rest (the Numba kernel does no bounds checks, and compiles an integer kernel for
    integer arrays): one buffer per state variable, every array of the params' shape and of one
    float dtype. A few hundred nanoseconds for NumPy arrays; other arrays get
    :func:`check_shapes`."""
    shape, dtype = params.shape, params.dtype
    if (
        len(buffers) != states
        or (dtype is not _FLOATS[0] and dtype is not _FLOATS[1])
        or any(a.shape != shape or a.dtype is not dtype for a in (grads, *buffers))
    ):
        check_shapes(params, grads, buffers, states)  # names what is wrong, if anything is


def check_writable(arrays: tuple, names: tuple[str, ...]) -> None:
    """The arrays a step updates in place must be writable (NumPy's ``flags.writeable``)."""
    for array, name in zip(arrays, names, strict=True):
        if not getattr(getattr(array, "flags", None), "writeable", True):
            raise WdtheoryError(
                f"{name} is read-only and this backend updates it in place; pass a writable copy "
                "(np.array(x)) or use the array_api backend"
            )


def check_state(state: Any) -> None:
    """``state`` is the :class:`~wdtheory.runtime.stepper.OptState` of ``init`` or of a step:
    a step count that is an int >= 0 and a tuple of buffers (counted by :func:`check_shapes`)."""
    step = getattr(state, "step", None)
    buffers = getattr(state, "buffers", None)
    if (
        not isinstance(step, int | np.integer)
        or isinstance(step, bool)
        or step < 0
        or not isinstance(buffers, tuple)
    ):
        raise WdtheoryError(
            f"state must be the OptState(step, buffers) made by init() or returned by step(), "
            f"got {type(state).__name__}"
            + (f" with step={step!r}" if hasattr(state, "step") else "")
        )


#: from this many elements the sum is looked at first (below, the temporary costs less than
#: setting NumPy's error state)
_SUM_FROM = 1 << 14


def all_finite(array: Any, xp: Any) -> bool:
    """Whether every element of ``array`` is finite. For NumPy arrays first by their sum, which
    is finite only if every element is (an infinity or a NaN makes it infinite or NaN) and
    needs no temporary array — a fresh multi-MB boolean array a step costs page faults; only
    a sum that overflows is looked at element by element."""
    if isinstance(array, np.ndarray) and array.size >= _SUM_FROM:
        with np.errstate(over="ignore", invalid="ignore"):
            if math.isfinite(np.add.reduce(array, axis=None)):
                return True
    finite = xp.isfinite(array)
    # NumPy's method is several µs faster than np.all on a small array
    return bool(finite.all() if isinstance(finite, np.ndarray) else xp.all(finite))


def check_finite(grads: Any, xp: Any) -> None:
    """Refuse gradients holding NaN or infinity."""
    if not all_finite(grads, xp):
        raise WdtheoryError("grads contain NaN or infinity; refusing to step")
