"""Many tensors in two flat buffers, so that one optimizer step is two kernel calls."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wdtheory.core.errors import WdtheoryError

__all__ = ["ParamGroup"]


@dataclass(frozen=True)
class ParamGroup:
    """Many tensors in two flat buffers, for stepping them all at once.

    ``params`` and ``grads`` are contiguous 1-D buffers; ``param_views`` and ``grad_views`` are
    arrays of the requested shapes (in the requested order) that live inside them — write
    gradients into ``grad_views`` and read parameters from ``param_views``. The tensors marked for
    decay come first (``params[:split]``), the others after, so that a step is two kernel calls
    whatever the number of tensors (no decay on biases and norms is a mask, not a loop).
    """

    params: np.ndarray
    grads: np.ndarray
    param_views: tuple[np.ndarray, ...]
    grad_views: tuple[np.ndarray, ...]
    split: int

    @classmethod
    def allocate(
        cls,
        shapes: Sequence[tuple[int, ...]],
        decay: Sequence[bool],
        dtype: Any = np.float32,
        xp: Any = np,
    ) -> ParamGroup:
        """Zero-filled buffers for tensors of ``shapes``; ``decay[i]`` says whether tensor i decays."""
        if len(shapes) != len(decay):
            raise WdtheoryError(
                f"{len(shapes)} shapes but {len(decay)} decay flags; give one per tensor"
            )
        sizes = [math.prod(shape) for shape in shapes]
        order = sorted(range(len(shapes)), key=lambda i: not decay[i])  # decayed first, stable
        offsets, position = {}, 0
        for i in order:
            offsets[i] = position
            position += sizes[i]
        params, grads = xp.zeros(position, dtype=dtype), xp.zeros(position, dtype=dtype)
        views = [
            tuple(
                buffer[offsets[i] : offsets[i] + sizes[i]].reshape(shapes[i])
                for i in range(len(shapes))
            )
            for buffer in (params, grads)
        ]
        split = sum(sizes[i] for i in range(len(shapes)) if decay[i])
        return cls(params, grads, views[0], views[1], split)
