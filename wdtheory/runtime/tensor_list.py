r"""A list of CPU tensors of one dtype that one kernel call steps, each with its own numbers.

A model's parameters live in tensors of their own (torch allocates each apart), tens to
hundreds of them. Stepping each with a kernel call of its own costs a call, and for the large
ones a wake-up of the thread pool, per tensor; ``torch.optim``'s fused optimizers make one
launch for the lot. A :class:`TensorList` holds what the ``tensors`` layout of the update
kernels takes (:func:`~wdtheory.lowering.printers.numba_function`,
:mod:`wdtheory.lowering.addresses`): the addresses of every tensor's arrays (parameter,
gradient, state buffers), its row of numbers (hyperparameters, step count, schedule) and the
chunks the work is cut into, so that the threads share the whole list evenly whatever the
sizes of its tensors (:meth:`Stepper.step_tensors
<wdtheory.runtime.stepper.Stepper.step_tensors>`). Each tensor is stepped with the arithmetic
of the single-tensor kernel, so with the same bits.

The addresses are trusted: whoever makes the list has checked that each array has the
tensor's number of elements, the list's dtype and a contiguous layout, holds the tensors
alive until the call returns, and gives no memory twice (the chunks run at once on several
threads).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np

from wdtheory.lowering.compile import finite_kernel

__all__ = ["CHUNK_RANGE", "FINITE_PARALLEL_FROM", "TensorList"]

#: the fewest and the most elements in a chunk of work: enough that a chunk's constants (a
#: power or two of the step count) cost nothing beside its loop, few enough that a large list
#: is cut into several chunks per thread; chunks start at multiples of 64 elements of a
#: tensor, which keeps a vector loop's alignment
CHUNK_RANGE = (1 << 12, 1 << 16)

#: the column of :attr:`TensorList.addresses` holding the gradients (the plans' arrays are the
#: parameter, the gradient, then the states)
_GRADIENTS = 1

#: the finiteness check reads on every thread from this many bytes (a read pass is cheap per
#: byte: waking the threads pays from about this much)
FINITE_PARALLEL_FROM = 1 << 18

#: chunks a list is cut into per thread (when its size allows)
_CHUNKS_PER_THREAD = 8


@dataclass(frozen=True)
class TensorList:
    """Tensors of one dtype as the ``tensors`` kernels take them (see the module doc); the
    fields are fixed, the contents of ``addresses`` and ``rows`` are set between steps.

    ``addresses`` (tensors, arrays) int64: each tensor's arrays in the plan's order
    (parameter, gradient, states); ``rows`` (tensors, scalars) float64: its hyperparameters,
    step count and schedule multiplier in the kernel's order; ``chunks`` (chunks, 3) int64;
    ``elements`` the number of elements of all the tensors; ``like`` a zero-length array of the
    dtype."""

    addresses: np.ndarray
    rows: np.ndarray
    chunks: np.ndarray
    elements: int
    like: np.ndarray

    @classmethod
    def of(
        cls,
        addresses: Sequence[Sequence[int]],
        sizes: Sequence[int],
        hyper: Sequence[np.ndarray],
        steps: Sequence[int],
        dtype: np.dtype,
    ) -> TensorList:
        """The list of tensors with these arrays' ``addresses``, numbers of elements
        (``sizes``), hyperparameter vectors (``hyper``, as the kernels take them) and step
        counts (``steps``, 1 for a first step), of ``dtype``; the schedule multiplier is 1 (the
        training loop's scheduler sets the numbers themselves)."""
        sizes = tuple(sizes)
        elements = sum(sizes)
        hyper = np.array(hyper, dtype=np.float64).reshape(len(sizes), -1)
        rows = np.empty((len(sizes), hyper.shape[1] + 2))
        rows[:, :-2], rows[:, -2], rows[:, -1] = hyper, steps, 1.0
        return cls(
            np.array(addresses, dtype=np.int64).reshape(len(sizes), -1),
            rows,
            _chunks(sizes, _piece(elements)),
            elements,
            np.empty(0, dtype),
        )

    def set_gradients(self, addresses: Sequence[int], steps: Sequence[int]) -> None:
        """This list's gradients moved to ``addresses`` (of the same sizes and dtype: torch
        allocates them anew at each backward pass after ``zero_grad()``) and its step counts
        set to ``steps``, in place (the rest, chunks included, stays)."""
        self.addresses[:, _GRADIENTS] = addresses
        self.rows[:, -2] = steps

    def set_hyper(self, hyper: Sequence[np.ndarray]) -> None:
        """This list's hyperparameter vectors set to ``hyper`` (one per tensor), in place."""
        self.rows[:, :-2] = hyper

    def gradients_finite(self) -> bool:
        """Whether every element of every gradient is finite, read in one pass (on every
        thread from :data:`FINITE_PARALLEL_FROM` bytes)."""
        parallel = self.elements * self.like.itemsize >= FINITE_PARALLEL_FROM
        return finite_kernel(parallel)(self.addresses, self.chunks, _GRADIENTS, self.like)


def _piece(elements: int) -> int:
    """Elements per chunk for a list of ``elements`` in all: about eight chunks a thread, within
    :data:`CHUNK_RANGE`, a multiple of 64."""
    low, high = CHUNK_RANGE
    share = -(-elements // (_CHUNKS_PER_THREAD * numba.get_num_threads()))
    return min(high, max(low, -(-share // 64) * 64))


@lru_cache(maxsize=256)
def _chunks(sizes: tuple[int, ...], piece: int) -> np.ndarray:
    """(tensor, first element, number of elements) of each chunk of at most ``piece`` elements,
    tensor by tensor (a list's sizes rarely change: kept for the next step)."""
    rows = [
        (tensor, start, min(piece, size - start))
        for tensor, size in enumerate(sizes)
        for start in range(0, size, piece)
    ]
    chunks = np.array(rows, dtype=np.int64).reshape(-1, 3)
    chunks.flags.writeable = False  # shared between the calls that hit the cache
    return chunks
