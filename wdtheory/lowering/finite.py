"""Whether every element of a list of tensors is finite, in one parallel pass (the check a
validating optimizer makes of the gradients before it moves anything); the tensors are given
by their addresses and chunks as the update kernels of a list take them
(:mod:`wdtheory.lowering.addresses`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from wdtheory.lowering.compile import numba_functions
from wdtheory.lowering.printers import tensors_preamble

__all__ = ["finite_kernel"]


def _finite_source(cache: bool) -> str:
    """``finite_serial`` and ``finite_parallel(addresses, chunks, column, bits, mask)``: whether no element of the arrays in
    ``column`` of ``addresses`` has all the exponent bits ``mask`` set (an infinity or a NaN),
    the elements read as unsigned integers of ``bits``'s dtype (the float's width): an integer
    maximum, which vectorises, where a float comparison with NaN would not."""
    functions = [_FINITE.format(cache=cache, parallel=p, name=n) for p, n in _VARIANTS.items()]
    return "\n\n".join([f"import numba\n\n{tensors_preamble()}\n", *functions])


#: the serial and the parallel check, by whether they are parallel
_VARIANTS = {False: "finite_serial", True: "finite_parallel"}

_FINITE = """@numba.njit(parallel={parallel}, error_model="numpy", cache={cache}, nogil=True)
def {name}(addresses, chunks, column, bits, mask):
    bad = 0
    for chunk in numba.prange(chunks.shape[0]):
        r = chunks[chunk, 0]
        offset = chunks[chunk, 1] * bits.itemsize
        count = chunks[chunk, 2]
        x = numba.carray(pointer_to(addresses[r, column] + offset, bits), count)
        top = mask & 0
        for i in range(count):
            top = max(top, x[i] & mask)
        if top == mask:
            bad += 1
    return bad == 0
"""


@cache
def finite_kernel(parallel: bool) -> Callable[..., bool]:
    """The compiled check of :func:`_finite_source`, serial or on every thread, made once per
    process (kept and cached as the update kernels are)."""
    (finite,) = numba_functions(_finite_source, (_VARIANTS[parallel],))
    return finite
