"""``TensorList`` and ``Stepper.step_tensors``: many tensors of one dtype stepped by one call.

* every tensor of a list, whatever its size (none, one element, more than a chunk) and with
  its own numbers and step count, is what the single-tensor kernel gives it, bit for bit, for
  each rule, dtype, and the serial and the parallel kernel;
* the chunks cover every element of every tensor once, in order;
* the gradient check finds any NaN or infinity in the gradients, and only there.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from optimizer_cases import DTYPES, examples, optimizer

from wdtheory.runtime.stepper import Stepper
from wdtheory.runtime.tensor_list import CHUNK_RANGE, TensorList, _chunks, _piece

pytestmark = pytest.mark.xdist_group("tensor_list")

SPECS = (
    "torch.adamw(lr=0.01, weight_decay=0.1)",
    "torch.adam(lr=0.01, amsgrad=true, weight_decay=0.01)",
    "torch.sgd(lr=0.1, momentum=0.9, nesterov=true, weight_decay=0.01)",
    "torch.rmsprop(lr=0.01, centered=true, momentum=0.5)",
    "torch.adagrad(lr=0.1, lr_decay=0.01)",
    "lion(lr=0.01, weight_decay=0.1)",
    "paper.adamw(alpha=0.01, weight_decay=0.1)",
)

#: sizes of the tensors of a list: empty, tiny, and past the largest chunk
SIZES = st.lists(
    st.one_of(st.integers(0, 8), st.integers(9, 5000), st.integers(CHUNK_RANGE[1], 150_000)),
    min_size=1,
    max_size=6,
)


def arrays(stepper: Stepper, sizes: list[int], dtype, rng) -> list[tuple]:
    """Per tensor: parameter, gradient and state buffers, random (positive where a state must
    be: second moments)."""
    made = []
    for n in sizes:
        param = rng.standard_normal(n).astype(dtype)
        grad = (rng.standard_normal(n) * 10.0 ** rng.uniform(-2, 1)).astype(dtype)
        buffers = tuple(
            np.abs(rng.standard_normal(n)).astype(dtype) for _ in stepper.optimizer.chain.states
        )
        made.append((param, grad, buffers))
    return made


def key_of(stepper: Stepper, role: str) -> str:
    """The spec's key of the hyperparameter of ``role``."""
    return next(k for k, r in stepper.optimizer.definition.params.items() if r == role)


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=examples(5), deadline=None)
@given(sizes=SIZES, first=st.booleans(), seed=st.integers(0, 2**32 - 1))
@example(sizes=[150_000, 3, 0, 70_000], first=False, seed=1)  # the parallel kernel, surely
def test_a_list_steps_every_tensor_as_the_single_kernel_does_bit_for_bit(
    spec, dtype, sizes, first, seed
):
    rng = np.random.default_rng(seed)
    stepper = Stepper(optimizer(spec), validate=False)
    ours = arrays(stepper, sizes, dtype, rng)
    theirs = [(p.copy(), g, tuple(b.copy() for b in bs)) for p, g, bs in ours]
    # each tensor its own numbers (its learning rate; decayed or not) and step count
    hyper = [
        stepper.hyper_vector(
            {
                key_of(stepper, "lr"): float(rng.uniform(1e-3, 0.1)),
                key_of(stepper, "weight_decay"): float(rng.choice([0.0, 0.1])),
            }
        )
        for _ in sizes
    ]
    steps = [1 if first else int(rng.integers(2, 50)) for _ in sizes]
    for (param, grad, buffers), row, t in zip(theirs, hyper, steps, strict=True):
        stepper.step_in_place(param, grad, buffers, t, row)
    tensors = TensorList.of(
        [(p.ctypes.data, g.ctypes.data, *(b.ctypes.data for b in bs)) for p, g, bs in ours],
        sizes,
        hyper,
        steps,
        np.dtype(dtype),
    )
    stepper.step_tensors(tensors, first=first)
    for (p, _, bs), (q, _, cs) in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(p, q)
        for b, c in zip(bs, cs, strict=True):
            np.testing.assert_array_equal(b, c)


@settings(max_examples=examples(40), deadline=None)
@given(sizes=st.lists(st.integers(0, 300_000), max_size=8), threads_share=st.integers(1, 10**7))
def test_the_chunks_cover_every_element_once_in_order(sizes, threads_share):
    piece = _piece(threads_share)
    low, high = CHUNK_RANGE
    assert low <= piece <= high and piece % 64 == 0
    chunks = _chunks(tuple(sizes), piece)
    covered = {tensor: 0 for tensor in range(len(sizes))}
    for tensor, start, count in chunks.tolist():
        assert start == covered[tensor] and 0 < count <= piece and start % piece == 0
        covered[tensor] += count
    assert [covered[t] for t in range(len(sizes))] == sizes
    assert [t for t, _, _ in chunks.tolist()] == sorted(t for t, _, _ in chunks.tolist())


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=examples(30), deadline=None)
@given(
    sizes=st.lists(st.integers(1, 100_000), min_size=1, max_size=5),
    bad=st.sampled_from([np.nan, np.inf, -np.inf]),
    where=st.floats(0, 1, exclude_max=True),
    which=st.floats(0, 1, exclude_max=True),
)
def test_the_gradient_check_finds_any_nan_or_infinity_in_the_gradients(
    dtype, sizes, bad, where, which
):
    """Serial (small lists) and parallel (large ones) alike; the largest finite numbers are
    finite (no overflow in the check), and NaN parameters are not NaN gradients."""
    big = np.finfo(dtype).max
    grads = [np.full(n, big, dtype=dtype) for n in sizes]
    params = [np.full(n, np.nan, dtype=dtype) for n in sizes]

    def finite() -> bool:
        addresses = [(p.ctypes.data, g.ctypes.data) for p, g in zip(params, grads, strict=True)]
        ones = [np.zeros(1)] * len(sizes)
        tensors = TensorList.of(addresses, sizes, ones, [1] * len(sizes), np.dtype(dtype))
        return tensors.gradients_finite()

    assert finite()
    tensor = int(which * len(sizes))
    grads[tensor][int(where * sizes[tensor])] = bad
    assert not finite()
