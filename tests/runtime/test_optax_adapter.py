"""``wdtheory.optax.transformation``: any rule as an optax ``GradientTransformation``.

What it must do: ``init`` gives the count and each state variable at its initial value, as a
pytree of the params' structure; ``update`` gives ``updates = new params - params`` where the
new params are the Stepper's step of each leaf (its first-step rule at step 1), eager or under
``jax.jit``; a ``mask`` leaves the masked-out leaves without weight decay; an optax schedule
multiplies the learning rate as the Stepper's ``schedule=`` does; every leaf keeps its dtype;
what cannot be honoured is refused in one line. Conformance with optax itself:
``test_library_conformance.py``.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from optimizer_cases import assert_close

from wdtheory.core.errors import WdtheoryError
from wdtheory.optim.optimizer import Optimizer
from wdtheory.runtime.stepper import Stepper

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
optax = pytest.importorskip("optax")
wdtheory_optax = pytest.importorskip("wdtheory.optax")

transformation = wdtheory_optax.transformation

#: float64 runs compared with the Stepper (same constants in float64; the only rounding apart
#: is w + (w' - w) against w')
RTOL = 1e-13


@pytest.fixture
def x64():
    """JAX with 64-bit floats, for one test (the setting is global)."""
    with jax.enable_x64(True):
        yield


def tree(seed: int, dtype=np.float64, shapes=None) -> dict:
    """A pytree of random leaves: a matrix, a vector, and a scalar inside a nested list."""
    rng = np.random.default_rng(seed)
    shapes = shapes or {"w": (3, 2), "b": (2,), "extra": [()]}
    return jax.tree.map(
        lambda shape: jnp.asarray(rng.normal(size=shape), dtype),
        shapes,
        is_leaf=lambda s: isinstance(s, tuple),
    )


def stepper_run(spec, params, grads_seq, schedules=None, values=None):
    """Each leaf run by its own NumPy Stepper: the trajectory the transformation must follow."""
    opt = spec if isinstance(spec, Optimizer) else Optimizer.from_spec(spec)
    stepper = Stepper(opt, "numpy", values=values)
    leaves, treedef = jax.tree.flatten(params)
    leaves = [np.array(w) for w in leaves]
    states = [stepper.init(w) for w in leaves]
    for t, grads in enumerate(grads_seq, start=1):
        s = 1.0 if schedules is None else schedules(t - 1)
        for i, g in enumerate(jax.tree.leaves(grads)):
            leaves[i], states[i] = stepper.step(leaves[i], np.array(g), states[i], schedule=s)
    return jax.tree.unflatten(treedef, leaves)


def transformation_run(tx, params, grads_seq, update=None):
    update = update or tx.update
    state = tx.init(params)
    for grads in grads_seq:
        updates, state = update(grads, state, params)
        params = optax.apply_updates(params, updates)
    return params, state


def assert_trees_close(actual, expected, rtol=RTOL):
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected), strict=True):
        assert np.asarray(a).dtype == np.asarray(e).dtype
        assert_close(np.asarray(a), np.asarray(e), rtol)


# ------------------------------------------------------------------------------ init, update


def test_init_gives_count_zero_and_every_state_variable_at_its_initial_value():
    params = tree(0, np.float32)
    state = transformation("torch.adagrad(lr=0.1, initial_accumulator_value=0.5)").init(params)
    assert state._fields == ("count", "G")
    assert state.count.dtype == jnp.int32 and int(state.count) == 0
    assert jax.tree.structure(state.G) == jax.tree.structure(params)
    for buffer, w in zip(jax.tree.leaves(state.G), jax.tree.leaves(params), strict=True):
        assert buffer.shape == w.shape and buffer.dtype == w.dtype
        assert np.all(np.asarray(buffer) == 0.5)
    copy = pickle.loads(pickle.dumps(state))  # a checkpoint
    assert type(copy) is type(state) and np.all(np.asarray(copy.G["w"]) == 0.5)


@pytest.mark.parametrize(
    "spec",
    [
        "torch.sgd(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01)",  # first-step rule
        "keras.adam(learning_rate=0.01, amsgrad=true, weight_decay=0.1)",  # constants in t
        "sgd(lr=0.1, weight_decay=0.3, penalty=l1, decay=proximal)",  # soft-thresholding
    ],
)
def test_updates_added_to_the_params_give_the_steppers_steps(spec, x64):
    params = tree(1)
    grads_seq = [tree(10 + k) for k in range(6)]
    actual, state = transformation_run(transformation(spec), params, grads_seq)
    assert int(state.count) == len(grads_seq)
    assert_trees_close(actual, stepper_run(spec, params, grads_seq))


def test_jit_update_gives_the_eager_update():
    """The first-step rule is chosen from the traced count, the constants computed from it."""
    for spec in ("torch.sgd(lr=0.1, momentum=0.9, dampening=0.5)", "torch.adam(lr=0.01)"):
        tx = transformation(spec)
        params, grads_seq = tree(2, np.float32), [tree(20 + k, np.float32) for k in range(4)]
        eager, eager_state = transformation_run(tx, params, grads_seq)
        jitted, jit_state = transformation_run(tx, params, grads_seq, jax.jit(tx.update))
        assert_trees_close(jitted, eager, rtol=1e-6)  # XLA may fuse a multiply-add
        assert_trees_close(jit_state, eager_state, rtol=1e-6)


def test_a_jitted_training_loop_follows_the_steppers_trajectory(x64):
    """Least squares on 20 points with SGDW: 100 jitted steps, the Stepper's path on the same
    gradients (which the loop computes at its own params)."""
    rng = np.random.default_rng(3)
    x = jnp.asarray(rng.normal(size=(20, 3)))
    y = x @ jnp.asarray([1.0, -2.0, 0.5]) + 0.3 + 0.01 * jnp.asarray(rng.normal(size=20))

    def loss(params):
        return jnp.mean(0.5 * (x @ params["w"] + params["b"] - y) ** 2)

    spec = "sgdw(lr=0.1, momentum=0.9, weight_decay=0.01)"
    tx = transformation(spec)

    @jax.jit
    def train_step(params, state):
        grads = jax.grad(loss)(params)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state, grads

    params = {"w": jnp.zeros(3), "b": jnp.zeros(())}
    state, grads_seq = tx.init(params), []
    start = params
    for _ in range(100):
        params, state, grads = train_step(params, state)
        grads_seq.append(grads)
    assert float(loss(params)) < 0.01 * float(loss(start))
    assert_trees_close(params, stepper_run(spec, start, grads_seq), rtol=1e-12)


# ------------------------------------------------------------------------------ masks


def nested(seed: int) -> dict:
    return tree(seed, shapes={"dense": {"kernel": (3, 2), "bias": (2,)}, "scale": (2,)})


@pytest.mark.parametrize(
    "mask",
    [
        {"dense": {"kernel": True, "bias": False}, "scale": False},  # the params' structure
        lambda params: jax.tree.map(lambda w: w.ndim > 1, params),  # a function of the params
    ],
    ids=["tree", "function"],
)
def test_masked_out_leaves_step_without_weight_decay(mask, x64):
    spec = "adamw(lr=0.1, weight_decay=0.5)"
    params, grads_seq = nested(4), [nested(40 + k) for k in range(5)]
    masked, _ = transformation_run(transformation(spec, mask=mask), params, grads_seq)
    decayed = stepper_run(spec, params, grads_seq)
    undecayed = stepper_run("adamw(lr=0.1, weight_decay=0)", params, grads_seq)
    assert_trees_close(masked["dense"]["kernel"], decayed["dense"]["kernel"])
    for leaf in (
        (masked["dense"]["bias"], undecayed["dense"]["bias"]),
        (
            masked["scale"],
            undecayed["scale"],
        ),
    ):
        assert_trees_close(*leaf)
    assert not np.allclose(decayed["scale"], undecayed["scale"])  # the decay shows


def test_a_mask_may_be_a_prefix_of_the_params(x64):
    spec = "sgdw(lr=0.1, weight_decay=0.5)"
    params, grads_seq = nested(5), [nested(50 + k) for k in range(3)]
    prefix = transformation(spec, mask={"dense": False, "scale": True})
    full = transformation(spec, mask={"dense": {"kernel": False, "bias": False}, "scale": True})
    assert_trees_close(
        transformation_run(prefix, params, grads_seq)[0],
        transformation_run(full, params, grads_seq)[0],
        rtol=0,
    )


# ------------------------------------------------------------------------------ schedules


@pytest.mark.parametrize(
    "spec",
    [
        "adamw(lr=0.01, weight_decay=0.1, schedule=true)",
        Optimizer.from_spec(
            "keras.sgd(learning_rate=0.1, momentum=0.9, weight_decay=0.1)"
        ).scheduled(),
    ],
    ids=["schedule=true", "scheduled()"],
)
def test_an_optax_schedule_multiplies_the_learning_rate_as_the_steppers_schedule(spec, x64):
    """Step t takes s_t = schedule(t - 1), the count before the step (optax's convention)."""
    schedule = optax.linear_schedule(1.0, 0.2, transition_steps=8)
    params, grads_seq = tree(6), [tree(60 + k) for k in range(10)]
    actual, _ = transformation_run(transformation(spec, schedule=schedule), params, grads_seq)
    # the multipliers as the schedule gives them for optax's int32 count (float32 values)
    multipliers = [float(schedule(jnp.int32(count))) for count in range(len(grads_seq))]
    expected = stepper_run(spec, params, grads_seq, multipliers.__getitem__)
    assert_trees_close(actual, expected)


# ------------------------------------------------------------------------------ dtypes


def test_every_leaf_steps_in_its_own_dtype(x64):
    """float32 and float64 leaves in one tree: each as the Stepper steps it in its dtype."""
    spec = "torch.adamw(lr=0.01, weight_decay=0.1)"
    params = {"a": tree(7, np.float32)["w"], "b": tree(8, np.float64)["w"]}
    grads_seq = [{"a": tree(70 + k, np.float32)["w"], "b": tree(80 + k)["w"]} for k in range(5)]
    actual, state = transformation_run(transformation(spec), params, grads_seq)
    expected = stepper_run(spec, params, grads_seq)
    assert actual["a"].dtype == jnp.float32 and actual["b"].dtype == jnp.float64
    assert state.m["a"].dtype == jnp.float32 and state.v["b"].dtype == jnp.float64
    assert_close(np.asarray(actual["b"]), expected["b"], RTOL)
    assert_close(np.asarray(actual["a"]), expected["a"], 1e-6)  # float32: w + (w' - w)


# ------------------------------------------------------------------------------ refusals


def one_line(call, *fragments):
    with pytest.raises(WdtheoryError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message and message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


W = {"w": jnp.zeros(2)}


def update_with(params, grads=None, state=None, tx=None):
    tx = tx or transformation("torch.adamw(lr=0.1)")
    state = tx.init(params) if state is None else state
    return lambda: tx.update(grads if grads is not None else params, state, params)


@pytest.mark.parametrize(
    ("call", "fragments"),
    [
        (lambda: transformation("optax.adam()"), ("learning_rate", "symbolic", "values=")),
        (lambda: transformation(3), ("spec or an Optimizer", "int")),
        (lambda: transformation("torch.adam()", schedule=0.5), ("optax schedule",)),
        (lambda: transformation("torch.adam()", schedule=lambda c: 1.0), ("schedule=true",)),
        (lambda: transformation("optax.adam(learning_rate=0.1)", mask=W), ("no weight decay",)),
        (
            lambda: transformation("torch.sgd()").init({"w": jnp.zeros(2, jnp.int32)}),
            ("params['w']", "int32", "not float"),
        ),
        (
            lambda: transformation("torch.sgd()").init({"w": jnp.zeros(2, jnp.complex64)}),
            ("complex64", "complex"),
        ),
        (lambda: transformation("torch.sgd()").init({"w": 1.0}), ("float", "not an array")),
        (
            lambda: transformation("torch.sgd()").init({"w": np.zeros(2)}),
            ("float64", "jax_enable_x64"),
        ),
        (update_with(W, grads={"v": jnp.zeros(2)}), ("grads", "structure")),
        (update_with(W, grads={"w": jnp.zeros(3)}), ("grads['w']", "float32[3]", "float32[2]")),
        (update_with(W, state=(0, W, W)), ("init", "tuple")),
        (lambda: transformation("torch.sgd()").update(W, None), ("needs params",)),
        (
            update_with(W, tx=transformation("torch.adamw()", mask={"v": True})),
            ("mask", "structure"),
        ),
        (update_with(W, tx=transformation("torch.adamw()", mask={"w": 1})), ("Python bools",)),
    ],
    ids=[
        "symbolic",
        "not-a-spec",
        "schedule-not-callable",
        "schedule-unscheduled",
        "mask-without-decay",
        "int-leaf",
        "complex-leaf",
        "python-float-leaf",
        "float64-without-x64",
        "grads-structure",
        "grads-shape",
        "foreign-state",
        "no-params",
        "mask-structure",
        "mask-not-bool",
    ],
)
def test_what_cannot_be_honoured_is_refused_in_one_line(call, fragments):
    one_line(call, *fragments)


def test_the_readme_training_loop_runs_as_written_and_lowers_the_loss():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### Training with optax", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # the project's own file
    params, loss = namespace["params"], namespace["loss"]
    assert float(loss(params)) < 0.01 * float(loss({"w": jnp.zeros(4), "b": jnp.zeros(())}))
    assert int(namespace["state"].count) == 100
