"""Validation of numeric inputs: finite float32/float64 arrays of the expected shapes.

Arrays of dtype float32 or float64 keep their dtype; every other real dtype (integers, booleans,
float16, ...) becomes float64. Every mistake raises a one-line
:class:`~wdtheory.core.errors.WdtheoryError` naming the argument, the bad value and what is allowed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from wdtheory.core.errors import WdtheoryError

__all__ = [
    "FloatArray",
    "check_count",
    "check_data",
    "check_matrix",
    "check_scalar",
    "check_vector",
    "float_array",
]

FloatArray = NDArray[np.floating]


def float_array(name: str, value: ArrayLike) -> FloatArray:
    """``value`` as a finite array of dtype float32/float64 (other real dtypes become float64)."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise WdtheoryError(f"{name} must be an array of real numbers: {exc}") from exc
    if array.dtype.kind not in "biuf":
        raise WdtheoryError(f"{name} must hold real numbers, got dtype {array.dtype}")
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    if not np.isfinite(array).all():
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(np.atleast_1d(array)))[0])[
            : array.ndim
        ]
        where = f"[{', '.join(map(str, index))}]" if index else ""
        raise WdtheoryError(f"{name}{where} = {float(array[index])}; all entries must be finite")
    return array


def check_matrix(X: ArrayLike, name: str = "X") -> FloatArray:
    """``X`` as a finite 2-D float array with at least one row and one column."""
    X = float_array(name, X)
    if X.ndim != 2 or 0 in X.shape:
        raise WdtheoryError(
            f"{name} must be a non-empty 2-D array (n_samples, n_features), got shape {X.shape}"
        )
    return X


def check_vector(name: str, value: ArrayLike, length: int, per: str) -> FloatArray:
    """``value`` as a finite 1-D float array of the given length (one entry ``per`` ...)."""
    vector = float_array(name, value)
    if vector.shape != (length,):
        raise WdtheoryError(
            f"{name} must be 1-D with {length} entries (one per {per}), got shape {vector.shape}"
        )
    return vector


def check_data(X: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Validated ``(X, y)`` converted to their common floating dtype."""
    X = check_matrix(X)
    y = check_vector("y", y, X.shape[0], "row of X")
    dtype = np.result_type(X, y)
    return X.astype(dtype, copy=False), y.astype(dtype, copy=False)


def check_scalar(name: str, value: object, *, positive: bool = False) -> float:
    """``value`` as a finite Python float that is ``>= 0`` (or ``> 0`` if ``positive``)."""
    is_real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    number = float(value) if is_real else math.nan  # type: ignore[arg-type]
    if not (math.isfinite(number) and (number > 0 or (number == 0 and not positive))):
        allowed = "> 0" if positive else "≥ 0"
        shown = number if is_real else value
        raise WdtheoryError(f"{name} must be a finite real number {allowed}, got {shown!r}")
    return number


def check_count(name: str, value: object, low: int) -> int:
    """A whole number >= ``low`` (seeds, epochs, a batch size...), refused in one line otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise WdtheoryError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)
