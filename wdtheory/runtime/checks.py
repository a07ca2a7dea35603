"""The checks a step makes on its arrays: one namespace, shapes, float dtypes, layout, finiteness.

Every refusal is a one-line :class:`~wdtheory.core.errors.WdtheoryError` naming the array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wdtheory.core.errors import WdtheoryError

__all__ = ["check_arrays", "check_finite", "check_shapes", "check_sizes", "flat", "namespace"]


def namespace(array: Any, name: str = "params") -> Any:
    """The array-API namespace of ``array`` (NumPy for NumPy arrays)."""
    if isinstance(array, np.ndarray):
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
    """What protects memory, checked even when the caller vouches for the rest (the Numba
    kernel does no bounds checks): one buffer per state variable, every array of the params'
    shape. A few hundred nanoseconds."""
    shape = params.shape
    if len(buffers) != states or any(a.shape != shape for a in (grads, *buffers)):
        check_shapes(params, grads, buffers, states)  # names what is wrong
        raise WdtheoryError(f"the arrays must all have the params' shape {tuple(shape)}")


def check_finite(grads: Any, xp: Any) -> None:
    """Refuse gradients holding NaN or infinity."""
    finite = xp.isfinite(grads)
    # NumPy's method is several µs faster than np.all on a small array
    if not bool(finite.all() if isinstance(finite, np.ndarray) else xp.all(finite)):
        raise WdtheoryError("grads contain NaN or infinity; refusing to step")
