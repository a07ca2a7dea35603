"""Small argument checks shared by the reference optimizers (nothing numerical lives here)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_params(params: np.ndarray) -> np.ndarray:
    """Return ``params`` as an array, insisting on float32 or float64."""
    params = np.asarray(params)
    if params.dtype not in FLOAT_DTYPES:
        raise TypeError(f"params must be float32 or float64, got {params.dtype}")
    return params


def check_grads(params: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """Return ``grads`` as an array of the shape and dtype of ``params`` (both must agree)."""
    grads = np.asarray(grads)
    if grads.shape != params.shape:
        raise ValueError(f"grads shape {grads.shape} differs from params shape {params.shape}")
    if grads.dtype != params.dtype:
        raise TypeError(f"grads dtype {grads.dtype} differs from params dtype {params.dtype}")
    return grads


def check_step(state: dict, t: int) -> None:
    """``t`` is the 1-based number of the step being taken; the state counts steps already taken."""
    if t != state["step"] + 1:
        raise ValueError(f"step t={t} does not follow a state that has taken {state['step']} steps")


def value_at(value: float | Callable[[int], float], arg: int) -> float:
    """A hyperparameter that is either a constant or a schedule called with ``arg``."""
    if callable(value):
        return float(value(arg))
    return float(value)
