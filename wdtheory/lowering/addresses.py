"""Arrays at memory addresses, inside compiled kernels: how one kernel call steps a list of
tensors that each live in memory of their own (a model's parameters, their gradients and
state buffers: torch allocates each tensor apart).

A Numba function cannot take a Python list of arrays without building a typed list at every
call (microseconds per element); it can take their addresses, one ``int64`` each, and view
the memory there as an array again. :func:`pointer_to` is that view's first half: the address
as a typed pointer (``numba.carray(pointer_to(address, like), count)`` is then the array of
``count`` elements of ``like``'s dtype at ``address``).

Nothing checks the address: the caller must hold the tensors alive through the call and know
that each address has ``count`` elements of that dtype behind it (the torch adapter checks
each tensor before it takes its address: :mod:`wdtheory.runtime.torch`).

The kernels over such a list take ``addresses`` (tensors, arrays) int64 and ``chunks`` (chunks,
3) int64: the tensor, first element and number of elements of each piece of work, so that a
parallel loop over the chunks shares a list of tensors of any sizes evenly between threads.
The update kernels are printed per rule (``layout="tensors"`` of
:func:`~wdtheory.lowering.printers.numba_function`); :func:`~wdtheory.lowering.printers.finite_source`
checks that every element of one array of the list is finite.
"""

from __future__ import annotations

from typing import Any

from numba import types
from numba.extending import intrinsic

__all__ = ["pointer_to"]


@intrinsic
def pointer_to(typingctx: Any, address: Any, like: Any) -> tuple:
    """``address`` (an integer) as a pointer to elements of the array ``like``'s dtype."""
    if not isinstance(address, types.Integer) or not isinstance(like, types.Array):
        return None  # not typed here: Numba reports the call as unsupported
    signature = types.CPointer(like.dtype)(address, like)

    def codegen(context: Any, builder: Any, sig: Any, args: tuple) -> Any:
        return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

    return signature, codegen
