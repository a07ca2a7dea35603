"""The ``Stepper`` API: ``init(params) -> OptState`` and ``step(params, grads, state)``.

* float32 and float64, any shape (0-d, 1-D, 3-D); the dtype is kept on every backend;
* ``numba`` and ``numpy`` update the parameters and the state buffers in place and return the
  same arrays; ``array_api`` is functional (inputs untouched, new arrays returned);
* a rule with a first-step case (PyTorch's momentum buffer ``b = g``) uses it exactly when the
  state has taken 0 steps, and bias corrections use ``t = state.step + 1``;
* ``bind(params, grads)`` ties a stepper to fixed arrays: each call is a step in place, with the
  numbers of ``step`` bit for bit;
* bad input is a one-line :class:`~wdtheory.core.errors.WdtheoryError` naming the bad value.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from optimizer_cases import CPU_BACKENDS, DTYPES, optimizer, problem, run, state_names

from wdtheory.core.errors import WdtheoryError
from wdtheory.optim.optimizer import Optimizer
from wdtheory.runtime.checks import all_finite
from wdtheory.runtime.param_group import ParamGroup
from wdtheory.runtime.stepper import OptState, Stepper

SHAPES = [(), (1,), (5,), (2, 3, 4)]
ADAM = "torch.adam(lr=0.01, weight_decay=0.1, amsgrad=true)"


def one_line_error(excinfo, *needles: str) -> str:
    message = str(excinfo.value)
    assert "\n" not in message, message
    for needle in needles:
        assert needle in message, (needle, message)
    return message


# ---------------------------------------------------------------------------------------------
# init
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize(
    ("spec", "initial"),
    [
        (ADAM, [0.0, 0.0, 0.0]),  # m, v, v_max
        ("torch.adagrad(initial_accumulator_value=0.25)", [0.25]),
        ("torch.sgd(lr=0.1)", []),  # plain SGD keeps no state
        ("torch.rmsprop(centered=true, momentum=0.9)", [0.0, 0.0, 0.0]),
    ],
)
def test_init_gives_fresh_buffers_of_the_params_shape_and_dtype(
    spec, initial, backend, dtype, shape
):
    stepper = Stepper(optimizer(spec), backend)
    params = np.full(shape, 1.5, dtype=dtype)
    state = stepper.init(params)
    assert isinstance(state, OptState)
    assert state.step == 0
    assert len(state.buffers) == len(initial) == len(state_names(stepper))
    for buffer, value in zip(state.buffers, initial, strict=True):
        assert isinstance(buffer, np.ndarray)
        assert buffer.shape == shape
        assert buffer.dtype == dtype
        assert np.all(buffer == dtype(value))
        assert not np.shares_memory(buffer, params)
    assert len({id(b) for b in state.buffers}) == len(state.buffers)


# ---------------------------------------------------------------------------------------------
# step: shapes, dtypes, in place / functional
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_any_shape_gives_the_numbers_of_the_flat_array(backend, dtype, shape):
    opt = optimizer(ADAM)
    size = int(np.prod(shape))
    flat0, grads = problem(4, (size,), dtype, 3)
    expected, expected_state = run(Stepper(opt, "numpy"), flat0, grads)
    actual, actual_state = run(
        Stepper(opt, backend), flat0.reshape(shape), [g.reshape(shape) for g in grads]
    )
    assert actual.shape == shape
    assert actual.dtype == dtype
    np.testing.assert_array_equal(actual.reshape(-1), expected)
    for a, e in zip(actual_state, expected_state, strict=True):
        assert a.shape == shape and a.dtype == dtype
        np.testing.assert_array_equal(a.reshape(-1), e)


@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_numpy_and_numba_step_in_place(backend, dtype, shape):
    stepper = Stepper(optimizer(ADAM), backend)
    params = np.full(shape, 1.0, dtype=dtype)
    grads = np.full(shape, 0.5, dtype=dtype)
    state = stepper.init(params)
    buffers = state.buffers
    new_params, new_state = stepper.step(params, grads, state)
    assert new_params is params
    assert all(a is b for a, b in zip(new_state.buffers, buffers, strict=True))
    assert new_state.step == 1 and state.step == 0  # the OptState itself is not mutated
    assert np.all(params < 1.0)  # updated in place
    assert np.all(buffers[0] != 0)  # m updated in place
    assert np.all(grads == 0.5)  # the gradient is read only
    assert params.dtype == dtype and all(b.dtype == dtype for b in buffers)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_numpy_backend_updates_non_contiguous_views_in_place(dtype):
    """The numpy backend writes through views; the base array sees the update."""
    stepper = Stepper(optimizer("torch.sgd(lr=0.1)"), "numpy")
    base = np.ones((3, 4), dtype=dtype)
    view = base[:, ::2]
    new, _ = stepper.step(view, np.ones((3, 2), dtype=dtype), stepper.init(view))
    assert new is view
    np.testing.assert_array_equal(base[:, ::2], np.full((3, 2), dtype(0.9)))
    np.testing.assert_array_equal(base[:, 1::2], np.ones((3, 2), dtype=dtype))


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_array_api_backend_is_functional(dtype, shape):
    stepper = Stepper(optimizer(ADAM), "array_api")
    params = np.full(shape, 1.0, dtype=dtype)
    grads = np.full(shape, 0.5, dtype=dtype)
    state = stepper.init(params)
    before = [params.copy(), grads.copy(), *(b.copy() for b in state.buffers)]
    new_params, new_state = stepper.step(params, grads, state)
    after = [params, grads, *state.buffers]
    for a, b in zip(after, before, strict=True):
        np.testing.assert_array_equal(a, b)  # nothing written
    assert new_params is not params
    assert isinstance(new_params, np.ndarray)
    assert new_params.shape == shape and new_params.dtype == dtype
    assert np.all(new_params < 1.0)
    assert new_state.step == 1 and state.step == 0
    for new, old in zip(new_state.buffers, state.buffers, strict=True):
        assert new is not old and new.dtype == dtype and new.shape == shape


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_array_api_backend_keeps_0d_arrays(dtype):
    stepper = Stepper(optimizer(ADAM), "array_api")
    params = np.asarray(1.0, dtype=dtype)
    new_params, state = stepper.step(params, np.asarray(0.5, dtype=dtype), stepper.init(params))
    assert isinstance(new_params, np.ndarray)
    assert all(isinstance(b, np.ndarray) for b in state.buffers)


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_values_fill_symbolic_hyperparameters_like_numbers_in_the_spec(backend):
    """``values=`` for symbols gives the numbers of the same spec written with numbers."""
    p0, grads = problem(8, (6,), np.float64, 5)
    symbolic = Stepper(
        optimizer("torch.adamw(amsgrad=true)", defaults=False),
        backend,
        values={"lr": 0.02, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.1},
    )
    numeric = Stepper(
        optimizer(
            "torch.adamw(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.1, amsgrad=true)"
        ),
        backend,
    )
    a, a_state = run(symbolic, p0, grads)
    b, b_state = run(numeric, p0, grads)
    np.testing.assert_array_equal(a, b)
    for x, y in zip(a_state, b_state, strict=True):
        np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------------------------------------
# first-step rule and the step count
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_torch_momentum_buffer_is_the_gradient_exactly_on_step_one(backend):
    """torch.optim.SGD: ``b = g`` on step 1 (no dampening), ``b = μb + (1-τ)g`` afterwards,
    whatever the buffer holds; the choice follows ``state.step`` only."""
    lr, mu, tau = 0.1, 0.9, 0.5
    stepper = Stepper(optimizer(f"torch.sgd(lr={lr}, momentum={mu}, dampening={tau})"), backend)
    w0 = np.array([1.0, -2.0, 0.5, 3.0])
    g = np.array([0.3, -0.1, 2.0, -4.0])
    b0 = np.array([0.7, 0.2, -1.0, 5.0])

    w, state = stepper.step(w0.copy(), g, OptState(0, (b0.copy(),)))
    np.testing.assert_array_equal(state.buffers[0], g)  # the buffer is ignored on step 1
    np.testing.assert_array_equal(w, w0 - lr * g)
    assert state.step == 1

    for taken in (1, 2, 10):
        w, state = stepper.step(w0.copy(), g, OptState(taken, (b0.copy(),)))
        np.testing.assert_allclose(state.buffers[0], mu * b0 + (1 - tau) * g, rtol=1e-15)
        np.testing.assert_allclose(w, w0 - lr * (mu * b0 + (1 - tau) * g), rtol=1e-15)
        assert state.step == taken + 1


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_optax_trace_has_no_first_step_rule(backend):
    """optax ``trace``: ``b = g + μb`` from the given buffer, also on step 1."""
    stepper = Stepper(optimizer("optax.sgd(learning_rate=0.1, momentum=0.9)"), backend)
    b0 = np.array([0.5, -1.0])
    g = np.array([1.0, 2.0])
    _, state = stepper.step(np.zeros(2), g, OptState(0, (b0.copy(),)))
    np.testing.assert_allclose(state.buffers[0], g + 0.9 * b0, rtol=1e-15)


@pytest.mark.parametrize("taken", [0, 1, 4, 99])
@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_adam_bias_correction_uses_the_number_of_the_step(backend, taken):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    stepper = Stepper(optimizer(f"torch.adam(lr={lr})"), backend)
    w0, g = np.array([1.0, -1.0, 0.25]), np.array([0.5, -2.0, 1e-3])
    m0, v0 = np.array([0.1, 0.0, -0.2]), np.array([0.04, 0.5, 1e-4])
    w, state = stepper.step(w0.copy(), g, OptState(taken, (m0.copy(), v0.copy())))
    t = taken + 1
    m = b1 * m0 + (1 - b1) * g
    v = b2 * v0 + (1 - b2) * g * g
    expected = w0 - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    np.testing.assert_allclose(state.buffers[0], m, rtol=1e-15)
    np.testing.assert_allclose(state.buffers[1], v, rtol=1e-15)
    np.testing.assert_allclose(w, expected, rtol=1e-14)
    assert state.step == t


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_schedule_multiplies_the_step_of_a_scheduled_rule(backend):
    """paper.sgdw: ``m = β₁m + s_t α g``, ``w ← w - m - s_t λ w``, with ``s_t`` given per step."""
    stepper = Stepper(optimizer("paper.sgdw(alpha=0.1, beta1=0.5, weight_decay=0.2)"), backend)
    w0, g = np.array([1.0, -3.0]), np.array([2.0, 0.5])
    for s in (1.0, 0.5, 0.0):
        w, _ = stepper.step(w0.copy(), g, stepper.init(w0), schedule=s)
        np.testing.assert_allclose(w, w0 - s * 0.1 * g - s * 0.2 * w0, rtol=1e-15, atol=0)


# ---------------------------------------------------------------------------------------------
# bad input: one-line WdtheoryError naming the value
# ---------------------------------------------------------------------------------------------


@pytest.fixture(params=CPU_BACKENDS)
def adam(request):
    return Stepper(optimizer(ADAM), request.param)


def test_grads_of_another_shape(adam):
    params = np.ones(3)
    with pytest.raises(WdtheoryError) as error:
        adam.step(params, np.ones(4), adam.init(params))
    one_line_error(error, "grads", "(4,)", "(3,)")


def test_state_of_another_shape(adam):
    params = np.ones((2, 3))
    state = adam.init(np.ones(6))
    with pytest.raises(WdtheoryError) as error:
        adam.step(params, np.ones((2, 3)), state)
    one_line_error(error, "state buffer 0", "(6,)", "(2, 3)")


def test_grads_of_another_dtype(adam):
    params = np.ones(3)
    with pytest.raises(WdtheoryError) as error:
        adam.step(params, np.ones(3, dtype=np.float32), adam.init(params))
    one_line_error(error, "grads", "float32", "float64")


def test_state_of_another_dtype(adam):
    params = np.ones(3, dtype=np.float32)
    with pytest.raises(WdtheoryError) as error:
        adam.step(params, np.ones(3, dtype=np.float32), adam.init(np.ones(3)))
    one_line_error(error, "state buffer 0", "float64", "float32")


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float16, np.complex128, bool])
def test_params_that_are_not_float32_or_float64(adam, dtype):
    params = np.ones(3, dtype=dtype)
    with pytest.raises(WdtheoryError) as error:
        adam.step(params, np.ones(3, dtype=dtype), adam.init(np.ones(3)))
    one_line_error(error, "params", np.dtype(dtype).name)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_non_finite_gradients(adam, bad, dtype):
    params = np.ones(4, dtype=dtype)
    state = adam.init(params)
    grads = np.array([0.1, bad, 0.2, 0.3], dtype=dtype)
    with pytest.raises(WdtheoryError) as error:
        adam.step(params, grads, state)
    one_line_error(error, "grads", "NaN or infinity")
    np.testing.assert_array_equal(params, np.ones(4, dtype=dtype))  # nothing happened
    assert all(np.all(b == 0) for b in state.buffers)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_finite_arrays_whose_sum_overflows_are_finite(dtype):
    """The finiteness check looks at the sum of a large array first (no temporary array); a sum
    that overflows is no infinity in the array, and NumPy's overflow warning stays inside."""
    big, n = np.finfo(dtype).max / 2, 1 << 15  # large enough to be summed first
    array = np.full(n, big, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert all_finite(array, np)
        for bad in (np.inf, -np.inf, np.nan):
            array[n // 2] = bad
            assert not all_finite(array, np)


def test_validate_false_skips_the_finiteness_check():
    stepper = Stepper(optimizer("torch.sgd(lr=0.1)"), "numpy", validate=False)
    params, _ = stepper.step(np.ones(2), np.array([np.nan, 1.0]), stepper.init(np.ones(2)))
    assert np.isnan(params[0]) and params[1] == pytest.approx(0.9)


@pytest.mark.parametrize("backend", CPU_BACKENDS[:2])  # the in-place kernels
@pytest.mark.parametrize("wrong", ["grads", "state", "buffers"])
def test_validate_false_still_refuses_what_would_touch_memory_out_of_bounds(backend, wrong):
    """Mismatched sizes reach the Numba kernel (no bounds checks) only through validate=False:
    once a segfault (params of 10**6 against grads or a state of 1), now a one-line error."""
    stepper = Stepper(optimizer("torch.adamw"), backend, validate=False)
    n = 10**6
    params, grads, state = np.ones(n), np.ones(n), stepper.init(np.ones(n))
    if wrong == "grads":
        grads = np.ones(1)
    elif wrong == "state":
        state = stepper.init(np.ones(1))
    else:
        state = OptState(0, state.buffers[:1])
    with pytest.raises(WdtheoryError) as error:
        stepper.step(params, grads, state)
    one_line_error(error, "init()" if wrong == "buffers" else "params have (1000000,)")
    assert np.all(params == 1)  # nothing was written


SEGFAULTS = """
import numpy as np
from wdtheory import Optimizer
from wdtheory.core.errors import WdtheoryError
from wdtheory.runtime.stepper import Stepper

stepper = Stepper(Optimizer.from_spec("torch.adamw"), validate=False)
for params, grads, state in [
    (np.ones(10**7), np.ones(1), stepper.init(np.ones(10**7))),  # was status 139
    (np.ones(10**7), np.ones(10**7), stepper.init(np.ones(1))),  # was 134 (malloc)
]:
    try:
        stepper.step(params, grads, state)
    except WdtheoryError as error:
        print(error)
"""


def test_the_sizes_that_once_killed_the_process_are_one_line_errors_in_a_subprocess():
    """Run where a crash cannot take the test session down with it: the process ends normally
    with one line per case."""
    result = subprocess.run(
        [sys.executable, "-c", SEGFAULTS], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-500:])
    grads, state = result.stdout.splitlines()
    assert grads == "grads has shape (1,), params have (10000000,)"
    assert state == "state buffer 0 has shape (1,), params have (10000000,)"


@pytest.mark.parametrize("shape", [(), (6,), (2, 3, 4)], ids=str)
def test_numba_without_validation_gives_the_same_numbers(shape):
    """``validate=False`` hands 1-D arrays to the kernel as they are and still flattens the
    others: the numbers are those of the checked path, bit for bit."""
    p0, grads = problem(7, shape, np.float32, 4)
    checked = run(Stepper(optimizer(ADAM), "numba"), p0, grads)
    unchecked = run(Stepper(optimizer(ADAM), "numba", validate=False), p0, grads)
    for a, b in zip((checked[0], *checked[1]), (unchecked[0], *unchecked[1]), strict=True):
        assert a.shape == shape
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(checked[0], p0)


def test_numba_refuses_a_1d_view_whose_elements_overlap():
    """A stride-0 view has one element under many indices: stepping it would update that element
    once per index (and race in the parallel kernel)."""
    stepper = Stepper(optimizer(ADAM), "numba")
    params = np.lib.stride_tricks.as_strided(np.ones(1), shape=(5,), strides=(0,), writeable=True)
    with pytest.raises(WdtheoryError) as error:
        stepper.step(params, np.ones(5), stepper.init(np.ones(5)))
    one_line_error(error, "contiguous")


def test_a_hyperparameter_that_rounds_out_of_range_is_refused():
    """beta2 = 1 - 10⁻²⁰ is below 1 exactly but 1.0 as a float: the bias correction would divide
    by zero (the Numba kernel would write NaN in place), so the stepper refuses it."""
    opt = Optimizer.from_spec("adam(lr=0.01, beta2=0.99999999999999999999)").with_defaults()
    for backend in CPU_BACKENDS:
        with pytest.raises(WdtheoryError) as error:
            Stepper(opt, backend)
        one_line_error(error, "beta2=0.99999999999999999999", "1.0 in floating point", "[0, 1)")


@pytest.mark.parametrize(
    "which",
    ["params-strided", "params-fortran", "grads-strided", "state-strided"],
)
def test_numba_needs_c_contiguous_arrays(which):
    stepper = Stepper(optimizer(ADAM), "numba")
    params, grads = np.ones((4, 3)), np.ones((4, 3))
    state = stepper.init(params)
    if which == "params-strided":
        params = np.ones((4, 6))[:, ::2]
    elif which == "params-fortran":
        params = np.asfortranarray(np.ones((4, 3)))
    elif which == "grads-strided":
        grads = np.ones((4, 6))[:, ::2]
    else:
        state = OptState(0, (state.buffers[0], np.ones((4, 6))[:, ::2], state.buffers[2]))
    with pytest.raises(WdtheoryError) as error:
        stepper.step(params, grads, state)
    one_line_error(error, "contiguous")


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_numba_steps_strided_1d_views_in_place(dtype):
    """A strided 1-D view is indexed with its strides: the elements in between stay as they
    were and the view's elements get the numbers of a contiguous copy."""
    p0, grads = problem(5, (12,), dtype, 3)
    contiguous = [g[::2].copy() for g in grads]
    expected, expected_s = run(Stepper(optimizer(ADAM), "numpy"), p0[::2].copy(), contiguous)
    stepper = Stepper(optimizer(ADAM), "numba")
    storage = np.array(p0)
    view = storage[::2]
    state = stepper.init(view)
    for g in grads:
        params, state = stepper.step(view, g[::2], state)
        assert params is view
    np.testing.assert_array_equal(view, expected)
    np.testing.assert_array_equal(storage[1::2], p0[1::2])
    for buffer, e in zip(state.buffers, expected_s, strict=True):
        np.testing.assert_array_equal(buffer, e)


def test_parallel_kernel_starts_sooner_for_a_rule_with_more_arithmetic():
    """The serial/parallel switch is a fixed amount of work: AdamW (a square root and a
    division per element) goes parallel at fewer elements than SGD with momentum, and float64
    (twice the bytes per element) at fewer than float32."""
    adamw = Stepper(optimizer("torch.adamw(lr=0.01)")).code.parallel_from
    sgd = Stepper(optimizer("torch.sgd(lr=0.1, momentum=0.9)")).code.parallel_from
    for itemsize in (4, 8):
        assert 1_000 < adamw[itemsize] < sgd[itemsize] < 1_000_000
    assert adamw[8] < adamw[4] and sgd[8] < sgd[4]


def test_symbolic_hyperparameter_without_a_value():
    opt = Optimizer.from_spec("symbolic(torch.adam(lr=0.01))")  # betas, eps, decay symbolic
    with pytest.raises(WdtheoryError) as error:
        Stepper(opt)
    one_line_error(error, "beta1", "values=", "with_defaults")


def test_user_symbol_without_a_value():
    opt = Optimizer.from_spec("torch.sgd(lr=rate)").with_defaults()
    with pytest.raises(WdtheoryError) as error:
        Stepper(opt, "numpy")
    one_line_error(error, "lr=rate")
    assert Stepper(opt, "numpy", values={"lr": 0.1}).hyper  # given: fine


def test_unknown_backend_suggests_a_close_match():
    with pytest.raises(WdtheoryError) as error:
        Stepper(optimizer(ADAM), "numab")
    message = one_line_error(error, "'numab'", "did you mean", "'numba'")
    for backend in ("numba", "numpy", "array_api", "cupy"):
        assert backend in message


SYMBOLIC_ADAM = "torch.adam(amsgrad=true)"
GOOD_VALUES = {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1}


def test_unknown_name_in_values():
    with pytest.raises(WdtheoryError) as error:
        Stepper(optimizer(SYMBOLIC_ADAM, defaults=False), values={"learning_rate": 0.1})
    one_line_error(error, "'learning_rate'", "lr")


def test_values_for_a_number_fixed_by_the_spec_are_refused():
    """Not silently ignored: the kernel was specialised on the spec's number."""
    with pytest.raises(WdtheoryError) as error:
        Stepper(optimizer("torch.adam(lr=0.01, weight_decay=0)"), values={"weight_decay": 0.5})
    one_line_error(error, "weight_decay")


@pytest.mark.parametrize(
    ("values", "needles"),
    [
        ({"lr": -0.1}, ("lr=-0.1", "out of range")),
        ({"beta1": 1.0}, ("beta1=1", "out of range")),
        ({"eps": -1e-8}, ("eps=", "out of range")),
        ({"lr": float("nan")}, ("lr=nan",)),
        ({"lr": float("inf")}, ("lr=inf",)),
        ({"lr": True}, ("lr=true",)),
        ({"lr": "0.1"}, ("lr=",)),
    ],
    ids=["negative-lr", "beta1-1", "negative-eps", "nan-lr", "inf-lr", "bool-lr", "text-lr"],
)
def test_bad_values(values, needles):
    opt = optimizer(SYMBOLIC_ADAM, defaults=False)
    assert Stepper(opt, "numpy", values=GOOD_VALUES).hyper
    with pytest.raises(WdtheoryError) as error:
        Stepper(opt, "numpy", values={**GOOD_VALUES, **values})
    one_line_error(error, *needles)


# ----------------------------------------------------------------------- bugs found on the way


def test_state_with_the_wrong_number_of_buffers(adam):
    params = np.ones(3)
    with pytest.raises(WdtheoryError) as error:
        adam.step(params, np.ones(3), OptState(0, (np.zeros(3),)))
    one_line_error(error, "buffer")


@pytest.mark.parametrize("which", ["params", "grads"])
def test_params_or_grads_that_are_not_arrays(adam, which):
    params, grads = np.ones(3), np.ones(3)
    state = adam.init(params)
    if which == "params":
        params = [1.0, 1.0, 1.0]
    else:
        grads = 0.5
    with pytest.raises(WdtheoryError) as error:
        adam.step(params, grads, state)
    one_line_error(error, which)


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float16, np.complex128, bool])
def test_arrays_the_kernels_do_not_take_are_refused_even_unvalidated(validate, dtype):
    """Without validation an int64 array once became -2**63 (Numba compiled an integer kernel)
    and float16, complex or bool gave a KeyError: the dtype is checked on every call."""
    stepper = Stepper(optimizer(ADAM), "numba", validate=validate)
    params, grads = np.ones(3, dtype=dtype), np.ones(3, dtype=dtype)
    state = OptState(0, tuple(np.zeros(3, dtype=dtype) for _ in stepper.initial))
    with pytest.raises(WdtheoryError) as error:
        stepper.step(params, grads, state)
    one_line_error(error, "params must be float32 or float64", np.dtype(dtype).name)
    assert np.all(params == 1)


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (np.asmatrix, "numpy.matrix"),
        (np.ma.masked_array, "masked array"),
    ],
    ids=["matrix", "masked"],
)
@pytest.mark.parametrize("which", ["params", "grads", "state buffer 0"])
def test_array_subclasses_whose_meaning_a_step_would_drop_are_refused(adam, make, needle, which):
    params, grads = np.ones((1, 3)), np.ones((1, 3))
    state = adam.init(params)
    if which == "params":
        params = make(params)
    elif which == "grads":
        grads = make(grads)
    else:
        state = OptState(0, (make(state.buffers[0]), *state.buffers[1:]))
    with pytest.raises(WdtheoryError) as error:
        adam.step(params, grads, state)
    one_line_error(error, f"{which} is a {needle}")


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("which", ["params", "state buffer 1"])
def test_read_only_arrays_are_refused_by_the_in_place_backends(backend, validate, which):
    """Numba's refusal of a read-only array was a 27-line TypingError, NumPy's a ValueError."""
    stepper = Stepper(optimizer(ADAM), backend, validate=validate)
    params = np.ones(3)
    state = stepper.init(params)
    (params if which == "params" else state.buffers[1]).flags.writeable = False
    with pytest.raises(WdtheoryError) as error:
        stepper.step(params, np.ones(3), state)
    one_line_error(error, f"{which} is read-only", "array_api")
    if validate:
        with pytest.raises(WdtheoryError) as error:
            stepper.bind(params, np.ones(3), state)
        one_line_error(error, f"{which} is read-only")


def test_the_array_api_backend_steps_read_only_arrays():
    """It returns new arrays, so a read-only input is no obstacle."""
    stepper = Stepper(optimizer(ADAM), "array_api")
    params = np.ones(3)
    params.flags.writeable = False
    new, _ = stepper.step(params, np.ones(3), stepper.init(params))
    assert np.all(new < 1) and np.all(params == 1)


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize(
    ("state", "shown"),
    [
        ((0, (np.zeros(3),) * 3), "got tuple"),
        ((np.zeros(3),) * 3, "got tuple"),
        (None, "got NoneType"),
        (OptState(-1, (np.zeros(3),) * 3), "step=-1"),
        (OptState(1.5, (np.zeros(3),) * 3), "step=1.5"),
        (OptState(True, (np.zeros(3),) * 3), "step=True"),
        (OptState(0, [np.zeros(3)] * 3), "got OptState"),
    ],
    ids=["plain tuple", "buffers only", "None", "negative step", "float step", "bool step", "list"],
)
def test_a_state_not_made_by_init_is_refused(validate, state, shown):
    stepper = Stepper(optimizer(ADAM), "numba", validate=validate)
    params = np.ones(3)
    with pytest.raises(WdtheoryError) as error:
        stepper.step(params, np.ones(3), state)
    one_line_error(error, "state must be the OptState", "init()", shown)
    assert np.all(params == 1)


@pytest.mark.parametrize("schedule", ["0.5", None, True, 1j, np.array([0.5]), [0.5]])
def test_a_schedule_that_is_not_a_real_number_is_refused(schedule):
    """A string or None once raised a TypeError from math.isfinite."""
    stepper = Stepper(optimizer("paper.adamw(weight_decay=0.01)"), "numpy")
    params = np.ones(3)
    with pytest.raises(WdtheoryError) as error:
        stepper.step(params, np.ones(3), stepper.init(params), schedule=schedule)
    one_line_error(error, "schedule=", "real number")
    with pytest.raises(WdtheoryError):
        stepper.bind(params, np.ones(3))(schedule)


@pytest.mark.parametrize("schedule", [np.float32(0.5), np.float64(0.5), 1, np.int64(1)])
def test_numpy_and_int_schedules_are_numbers_like_floats(schedule):
    stepper = Stepper(optimizer("paper.adamw(weight_decay=0.01)"), "numpy")
    params, reference = np.ones(3), np.ones(3)
    stepper.step(params, np.ones(3), stepper.init(params), schedule=schedule)
    stepper.step(reference, np.ones(3), stepper.init(reference), schedule=float(schedule))
    np.testing.assert_array_equal(params, reference)


EPS_ZERO = ["adam(eps=0)", "torch.adamw(eps=0)", "torch.rmsprop(eps=0)", "torch.adagrad(eps=0)"]


@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("spec", EPS_ZERO)
def test_eps_zero_steps_as_the_libraries_do_while_the_gradients_are_nonzero(spec, backend):
    stepper = Stepper(optimizer(spec), backend)
    params, state = np.ones(3), stepper.init(np.ones(3))
    for _ in range(3):
        params, state = stepper.step(params, np.array([0.5, -1.0, 2.0]), state)
    assert np.all(np.isfinite(params)) and np.all(params != 1)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # NumPy's word on the 0/0
@pytest.mark.parametrize("bound", [False, True])
@pytest.mark.parametrize("backend", CPU_BACKENDS)
@pytest.mark.parametrize("spec", EPS_ZERO)
def test_eps_zero_and_a_zero_gradient_is_said_not_returned_as_a_silent_nan(spec, backend, bound):
    """0/0 at an element whose gradients were all 0: torch returns NaN in silence; the validated
    step names the cause in one line."""
    if bound and backend == "array_api":
        pytest.skip("bind updates in place")
    stepper = Stepper(optimizer(spec), backend)
    params, grads = np.ones(3), np.array([0.0, 1.0, 1.0])
    with pytest.raises(WdtheoryError) as error:
        if bound:
            stepper.bind(params, grads)()
        else:
            stepper.step(params, grads, stepper.init(params))
    one_line_error(error, "step 1", "NaN", "eps=0", "give eps > 0")


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
def test_eps_zero_without_validation_returns_what_the_arithmetic_gives():
    stepper = Stepper(optimizer("adam(eps=0)"), "numpy", validate=False)
    params, _ = stepper.step(np.ones(2), np.array([0.0, 1.0]), stepper.init(np.ones(2)))
    assert np.isnan(params[0]) and np.isfinite(params[1])


@pytest.mark.parametrize("schedule", [float("nan"), float("inf"), -0.5])
def test_bad_schedule_multiplier(schedule):
    stepper = Stepper(optimizer("paper.adamw(weight_decay=0.01)"), "numpy")
    params = np.ones(3)
    with pytest.raises(WdtheoryError) as error:
        stepper.step(params, np.ones(3), stepper.init(params), schedule=schedule)
    one_line_error(error, "schedule")


@pytest.mark.parametrize("backend", CPU_BACKENDS)
def test_schedule_multiplier_for_a_rule_without_one(backend):
    """``schedule=1`` (the default, also as an int) is accepted by every rule; another multiplier
    by a rule without ``schedule=true`` is refused, not ignored."""
    stepper = Stepper(optimizer("torch.adamw(lr=0.01)"), backend)
    params = np.ones(3)
    _, state = stepper.step(params, np.ones(3), stepper.init(params), schedule=1)
    assert state.step == 1
    with pytest.raises(WdtheoryError) as error:
        stepper.step(params, np.ones(3), state, schedule=0.5)
    one_line_error(error, "schedule=0.5", "schedule=true")


# ----------------------------------------------------------------------- a step bound to arrays

BOUND_SPECS = [
    ADAM,
    "torch.sgd(lr=0.1, momentum=0.9, weight_decay=0.1)",  # a first-step rule
    "lion(lr=0.01, weight_decay=0.1, schedule=true)",  # a schedule multiplier
]


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("shape", [(), (6,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("spec", BOUND_SPECS)
def test_a_bound_step_gives_the_numbers_of_step_in_place(spec, backend, dtype, shape, validate):
    """Gradients written into the bound ``grads``, one call per step: bit for bit the
    parameters and buffers of ``step``, in the same arrays, and the state's step count."""
    p0, grads = problem(3, shape, dtype, 5)
    schedules = [1.0, 0.5, 0.25, 1.0, 2.0] if "schedule" in spec else [1.0] * 5
    stepper = Stepper(optimizer(spec), backend, validate=validate)
    expected = run(stepper, p0, grads, schedules)
    params, into = p0.copy(), np.zeros(shape, dtype)
    step = stepper.bind(params, into)
    buffers = step.state.buffers
    for g, schedule in zip(grads, schedules, strict=True):
        into[...] = g
        step(schedule=schedule)
    np.testing.assert_array_equal(params, expected[0])
    for buffer, reference in zip(buffers, expected[1], strict=True):
        np.testing.assert_array_equal(buffer, reference)
    assert step.state.step == 5 and step.state.buffers == buffers
    assert not np.array_equal(params, p0)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_a_bound_step_continues_from_a_given_state(backend):
    p0, grads = problem(4, (5,), np.float64, 6)
    stepper = Stepper(optimizer("torch.sgd(lr=0.1, momentum=0.9)"), backend)
    expected = run(stepper, p0, grads)
    params, state = p0.copy(), stepper.init(p0)
    for g in grads[:2]:
        params, state = stepper.step(params, g, state)
    into = np.zeros(5)
    step = stepper.bind(params, into, state)
    for g in grads[2:]:
        into[...] = g
        step()
    np.testing.assert_array_equal(params, expected[0])
    assert step.state.step == 6


def test_a_bound_step_checks_the_arrays_once_and_the_gradients_every_call():
    stepper = Stepper(optimizer(ADAM), "numba")
    with pytest.raises(WdtheoryError) as error:
        stepper.bind(np.ones(3), np.ones(4))
    one_line_error(error, "grads", "shape")
    params, grads = np.ones(3), np.full(3, np.nan)  # the gradients are not written yet
    step = stepper.bind(params, grads)
    grads[...] = [0.1, np.nan, 0.2]
    with pytest.raises(WdtheoryError) as error:
        step()
    one_line_error(error, "NaN or infinity")
    assert step.state.step == 0 and (params == 1).all()


def test_a_bound_step_without_validation_skips_the_gradient_check():
    params, grads = np.ones(2), np.array([np.nan, 1.0])
    Stepper(optimizer("torch.sgd(lr=0.1)"), "numba", validate=False).bind(params, grads)()
    assert np.isnan(params[0]) and params[1] == pytest.approx(0.9)


def test_a_bound_step_refuses_a_schedule_for_a_rule_without_one():
    step = Stepper(optimizer(ADAM), "numba").bind(np.ones(2), np.ones(2))
    with pytest.raises(WdtheoryError) as error:
        step(schedule=0.5)
    one_line_error(error, "schedule=0.5")


def test_bind_refuses_the_functional_backend():
    stepper = Stepper(optimizer("torch.adamw(lr=0.01)"), "array_api")
    with pytest.raises(WdtheoryError) as error:
        stepper.bind(np.ones(2), np.ones(2))
    one_line_error(error, "bind", "array_api")


# ----------------------------------------------------------------------- many tensors at once


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_a_param_group_steps_like_two_torch_param_groups(backend, dtype):
    """Decayed tensors get weight decay, the others none: as torch.optim.AdamW with two groups."""
    import torch

    shapes, decay = [(3, 4), (4,), (5,), (2, 2), (6,)], [True, False, False, True, True]
    group = ParamGroup.allocate(shapes, decay, dtype)
    rng = np.random.default_rng(0)
    for view in group.param_views:
        view[...] = rng.normal(size=view.shape)
    stepper = Stepper(optimizer("torch.adamw(lr=0.01, weight_decay=0.1)"), backend)
    state = stepper.init(group.params)
    tensors = [torch.tensor(v.copy(), requires_grad=True) for v in group.param_views]
    reference = torch.optim.AdamW(
        [
            {"params": [t for t, d in zip(tensors, decay, strict=True) if d], "weight_decay": 0.1},
            {
                "params": [t for t, d in zip(tensors, decay, strict=True) if not d],
                "weight_decay": 0.0,
            },
        ],
        lr=0.01,
    )
    for _ in range(10):
        for view, tensor in zip(group.grad_views, tensors, strict=True):
            view[...] = rng.normal(size=view.shape)
            tensor.grad = torch.tensor(view.copy())
        state = stepper.step_group(group, state)
        reference.step()
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    for view, tensor in zip(group.param_views, tensors, strict=True):
        np.testing.assert_allclose(view, tensor.detach().numpy(), rtol=tolerance, atol=tolerance)
    assert state.step == 10


def test_param_group_views_share_the_flat_buffers():
    group = ParamGroup.allocate([(2, 3), (4,)], [False, True], np.float64)
    group.param_views[0][...] = 7.0
    group.grad_views[1][...] = 3.0
    assert group.split == 4  # the decayed tensor comes first
    assert (group.params[4:] == 7.0).all() and (group.grads[:4] == 3.0).all()
    assert (
        group.param_views[0].base is group.params or group.param_views[0].base.base is group.params
    )


def test_param_group_needs_one_decay_flag_per_tensor():
    with pytest.raises(WdtheoryError) as error:
        ParamGroup.allocate([(2,), (3,)], [True], np.float32)
    one_line_error(error, "decay")


def test_step_group_refuses_the_functional_backend():
    group = ParamGroup.allocate([(2,)], [True], np.float64)
    stepper = Stepper(optimizer("torch.adamw(lr=0.01)"), "array_api")
    with pytest.raises(WdtheoryError) as error:
        stepper.step_group(group, stepper.init(group.params))
    one_line_error(error, "array_api")


# ------------------------------------------------- numbers given per call (the training adapters)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_a_hyperparameter_vector_of_other_numbers_steps_as_a_stepper_made_with_them(backend):
    """What a torch param group does when a scheduler moves its lr: the same kernels, other
    numbers, the same result as a stepper built for those numbers."""
    rule = optimizer("symbolic(torch.adamw)", defaults=False)
    numbers = {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "weight_decay": 0.1}
    other = {**numbers, "lr": 0.003, "weight_decay": 0.5}
    stepper = Stepper(rule, backend, values=numbers)
    reference = Stepper(rule, backend, values=other)
    hyper = stepper.hyper_vector(other)
    np.testing.assert_array_equal(hyper, reference._hyper)
    params, grads = np.linspace(-1, 1, 5), np.linspace(0.5, -0.3, 5)
    expected, state = params.copy(), reference.init(params)
    mine, buffers = params.copy(), stepper.init(params).buffers
    for t in (1, 2, 3):
        expected, state = reference.step(expected, grads, state)
        stepper.step_in_place(mine, grads, buffers, t, hyper)
    np.testing.assert_array_equal(mine, expected)


@pytest.mark.parametrize(
    ("numbers", "needles"),
    [
        ({"lr": -1.0}, ["lr=-1.0", ">= 0"]),
        ({"beta2": 1.0}, ["beta2=1.0", "[0, 1)"]),
        ({"betas": 0.9}, ["'betas'", "allowed: lr, beta1"]),
        ({"lr": "0.1"}, ["lr='0.1'"]),
    ],
)
def test_a_hyperparameter_vector_refuses_bad_numbers_in_one_line(numbers, needles):
    stepper = Stepper(optimizer("torch.adamw(lr=0.01)"), "numpy")
    with pytest.raises(WdtheoryError) as error:
        stepper.hyper_vector(numbers)
    one_line_error(error, *needles)
