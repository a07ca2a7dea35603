"""``convert(spec, framework)``: the equivalent preset in another framework, or why there is none.

Every conversion found is checked three ways: its spec text parses back (``Optimizer.from_spec``)
to the same optimizer, ``compare`` proves the source and the parsed target identical or
equivalent, and both lowered optimizers run side by side on random gradients (an optimizer
without a schedule multiplier follows the other's schedule through its learning rate, as a
library scheduler does).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from optimizer_cases import examples

from wdtheory.analysis.compare import compare
from wdtheory.analysis.convert import FRAMEWORKS, Conversion, convert
from wdtheory.core.errors import WdtheoryError
from wdtheory.optim.code import library_code
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.roles import ROLES
from wdtheory.runtime.stepper import Stepper

ETA, LAM = ROLES["lr"].symbol, ROLES["weight_decay"].symbol


def spec(text: str, defaults: bool = False) -> Optimizer:
    """The optimizer with every left-out hyperparameter a symbol, or (``defaults``) the
    library's default."""
    optimizer = Optimizer.from_spec(text, symbolic=True)
    return optimizer.with_defaults() if defaults else optimizer


def lr_key(optimizer: Optimizer) -> str:
    (key,) = [k for k, r in optimizer.definition.params.items() if r == "lr"]
    return key


def run(optimizer: Optimizer, w0, grads, schedules) -> np.ndarray:
    """Parameters after each step in float64. With ``schedule=true`` the multiplier is passed to
    the step; otherwise the learning rate is multiplied by it (a new stepper each step, the
    state carried over), which is how a user runs a library optimizer with a scheduler."""
    params = np.array(w0, dtype=np.float64)
    scheduled = optimizer.flags.get("schedule") is True
    fixed = Stepper(optimizer, "numba")
    state = fixed.init(params)
    out = []
    for g, s in zip(grads, schedules, strict=True):
        if scheduled:
            stepper, schedule = fixed, float(s)
        elif s == 1:
            stepper, schedule = fixed, 1.0
        else:
            key = lr_key(optimizer)
            values = {**optimizer.values, key: optimizer.values[key] * sp.Float(s, 17)}
            stepper = Stepper(Optimizer(optimizer.definition, values, optimizer.flags), "numba")
            schedule = 1.0
        params, state = stepper.step(
            params, np.array(g, dtype=np.float64), state, schedule=schedule
        )
        out.append(params.copy())
    return np.array(out)


def assert_same_numbers(source: Optimizer, target: Optimizer, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    w0 = rng.normal(size=5)
    grads = [rng.normal(size=5) for _ in range(20)]
    either = any(o.flags.get("schedule") is True for o in (source, target))
    schedules = rng.uniform(0.3, 1.0, size=20) if either else np.ones(20)
    a, b = run(source, w0, grads, schedules), run(target, w0, grads, schedules)
    np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-12)


def assert_round_trip(conversion: Conversion) -> Optimizer:
    """The target's text parses back to the same optimizer, proved equivalent to the source."""
    assert conversion.target is not None
    parsed = Optimizer.from_spec(conversion.target.text)
    assert parsed.name == conversion.target.name
    assert dict(parsed.values) == dict(conversion.target.values)
    assert dict(parsed.flags) == dict(conversion.target.flags)
    assert compare(conversion.source, parsed).verdict in ("identical", "equivalent")
    return parsed


# ---------------------------------------------------------------------------------------------
# torch.adamw -> paper / optax / keras
# ---------------------------------------------------------------------------------------------


def test_torch_adamw_to_paper_rescales_lambda_by_eta():
    conversion = convert(spec("torch.adamw"), "paper")
    assert conversion.target is not None and conversion.target.name == "paper.adamw"
    assert sp.simplify(conversion.target.values["weight_decay"] - ETA * LAM) == 0
    (comparison,) = conversion.comparisons
    assert comparison.verdict == "equivalent"


def test_numeric_torch_adamw_to_paper_round_trips_and_runs_alike():
    source = spec("torch.adamw(lr=0.001, weight_decay=0.01)", defaults=True)
    conversion = convert(source, "paper")
    assert conversion.target.values["weight_decay"] == sp.Rational(1, 100000)
    assert conversion.target.values["alpha"] == sp.Rational(1, 1000)
    parsed = assert_round_trip(conversion)
    assert_same_numbers(source, parsed)


def test_torch_adamw_to_optax_is_adamw_without_eps_root():
    conversion = convert(spec("torch.adamw"), "optax")
    assert conversion.target.name == "optax.adamw"
    assert conversion.target.values["eps_root"] == 0
    assert conversion.comparisons[-1].verdict == "identical"
    assert_round_trip(conversion)
    source = spec("torch.adamw(lr=0.003, weight_decay=0.1)", defaults=True)
    assert_same_numbers(source, assert_round_trip(convert(source, "optax")))


@pytest.mark.parametrize("source", ["torch.adamw", "torch.adamw(lr=0.001, weight_decay=0.01)"])
def test_torch_adamw_has_no_keras_equivalent_because_of_epsilon(source):
    conversion = convert(spec(source, defaults="0." in source), "keras")
    assert conversion.target is None
    assert [c.b.name for c in conversion.comparisons] == [
        "keras.adam",
        "keras.adamw",
        "keras.adam + L2 regularizer",  # the standard construction for coupled decay
    ]
    assert conversion.reason.startswith("keras.adam differs from step 1")
    for comparison in conversion.comparisons:
        assert comparison.verdict == "different"
        assert comparison.first_difference == 1
    keras_adamw = next(c for c in conversion.comparisons if c.b.name == "keras.adamw")
    assert any("epsilon" in e and "no map found" in e for e in keras_adamw.evidence)
    if "0." not in source:  # symbolic: the engine also shows that epsilon' would have to vary
        assert "epsilon'" in [p.symbol.name for p in keras_adamw.no_constant_value]
        assert any("epsilon' would have to be" in e for e in keras_adamw.evidence)


# ---------------------------------------------------------------------------------------------
# SGD <-> Keras
# ---------------------------------------------------------------------------------------------

#: two-decimal numbers, written exactly in spec text
lrs = st.integers(1, 99).map(lambda k: Fraction(k, 100))
decays = st.one_of(st.just(Fraction(0)), lrs)


def decimal(x: Fraction) -> str:
    assert x.denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100)
    return f"{float(x):.2f}"


@settings(max_examples=examples(4), deadline=None)
@given(lr=lrs, decay=decays)
def test_torch_sgd_without_momentum_converts_to_keras(lr, decay):
    source = spec(f"torch.sgd(lr={decimal(lr)}, momentum=0, weight_decay={decimal(decay)})")
    conversion = convert(source, "keras")
    assert conversion.target is not None and conversion.target.name == "keras.sgd"
    assert conversion.target.values["learning_rate"] == sp.Rational(lr)
    assert conversion.target.values["momentum"] == 0
    assert conversion.target.values["weight_decay"] == sp.Rational(decay)
    parsed = assert_round_trip(conversion)
    assert_same_numbers(source, parsed)


def test_torch_sgd_without_momentum_symbolic_lr_converts_to_keras():
    conversion = convert(spec("torch.sgd(momentum=0)"), "keras")
    assert conversion.target is not None
    assert conversion.comparisons[-1].verdict in ("identical", "equivalent")
    assert_round_trip(conversion)


def test_torch_sgd_with_momentum_and_weight_decay_is_keras_sgd_with_an_l2_regularizer():
    """No Keras optimizer is equivalent (Keras decays outside the velocity), but Keras SGD on a
    loss with kernel_regularizer L2(weight_decay / 2) is: the standard construction."""
    source = spec("torch.sgd(lr=0.1, momentum=0.9, dampening=0, weight_decay=0.001)")
    conversion = convert(source, "keras")
    preset, construction = conversion.comparisons
    assert preset.b.name == "keras.sgd" and preset.verdict == "different"
    assert preset.first_difference == 2  # the first step is the same, the buffer then differs
    assert preset.counterexample.confirmed
    assert construction.verdict.same_algorithm and conversion.construction
    assert conversion.target.values["weight_decay"] == sp.Rational(1, 1000)
    assert conversion.code == (
        "keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)  # with "
        "kernel_regularizer=keras.regularizers.L2(0.0005) on every decayed layer"
    )


@pytest.mark.parametrize(
    ("source", "code"),
    [
        (
            "torch.adam(lr=1e-3, weight_decay=1e-4)",
            "optax.chain(optax.add_decayed_weights(0.0001), optax.adam(learning_rate=0.001))",
        ),
        (
            "torch.sgd(lr=0.1, momentum=0.9, weight_decay=1e-3)",
            "optax.chain(optax.add_decayed_weights(0.001), optax.sgd(learning_rate=0.1, momentum=0.9))",
        ),
        (
            "sgdw(lr=0.1, momentum=0.9, weight_decay=1e-3)",
            "optax.chain(optax.trace(decay=0.9), optax.add_decayed_weights(0.001), "
            "optax.scale_by_learning_rate(0.1))",
        ),
    ],
)
def test_coupled_decay_and_sgdw_convert_to_optax_chains(source, code):
    """optax has no preset for L2 added to the gradient, or for SGD with decoupled decay: the
    conversion proves a chain equivalent and prints it."""
    conversion = convert(Optimizer.from_spec(source), "optax")
    assert conversion.construction and conversion.code == code
    assert conversion.comparisons[-1].verdict.same_algorithm
    assert_same_numbers(Optimizer.from_spec(source), conversion.target)


@pytest.mark.parametrize(
    ("source", "framework", "code"),
    [
        ("torch.adamw", "optax", "optax.adamw(learning_rate=0.001, weight_decay=0.01)"),
        (
            "optax.adamw(learning_rate=1e-3, weight_decay=1e-4)",
            "torch",
            "torch.optim.AdamW(model.parameters(), weight_decay=0.0001)",
        ),
        (
            "torch.sgd(lr=0.1, weight_decay=1e-4)",
            "keras",
            "keras.optimizers.SGD(learning_rate=0.1, weight_decay=0.0001)",
        ),
    ],
)
def test_a_preset_is_printed_as_library_code_to_paste(source, framework, code):
    """The target's code writes what differs from the target library's defaults."""
    conversion = convert(Optimizer.from_spec(source), framework)
    assert not conversion.construction and conversion.code == code


def test_keras_adam_differs_from_torch_adam_only_where_epsilon_enters():
    """With ε = 0 in both they are the same algorithm (proved): the conversion says so, with
    the exact difference and the Keras code with the source's values."""
    conversion = convert(Optimizer.from_spec("torch.adam(lr=1e-3, weight_decay=0)"), "keras")
    assert conversion.target is None
    near = {n.comparison.b.name: n for n in conversion.near}
    assert set(near) == {"keras.adam", "keras.adamw"}  # no decay: no L2 regularizer to add
    adam = near["keras.adam"]
    assert adam.comparison.first_difference == 1 and adam.comparison.difference != 0
    assert library_code(adam.candidate) == "keras.optimizers.Adam(epsilon=1e-8)"


@pytest.mark.parametrize(
    ("source", "lacking"),
    [
        # torch.sgd with dampening left symbolic: Keras has no dampening
        ("torch.sgd(lr=0.1, momentum=0.9, weight_decay=0.001)", "keras.sgd has no dampening"),
        ("torch.rmsprop", "keras.sgd has no alpha; keras.adam has no alpha"),
    ],
)
def test_a_spec_whose_hyperparameter_no_target_has_is_answered_none_with_why(source, lacking):
    conversion = convert(spec(source), "keras")
    assert conversion.target is None and conversion.comparisons == ()
    assert conversion.reason.startswith("no keras optimizer has a hyperparameter for each one")
    assert lacking in conversion.reason


def test_a_near_miss_has_the_values_that_make_it_the_source_without_epsilon():
    """The paper's decay is absolute: in Keras' lr-scaled terms 0.1 is 0.1 / 0.001 = 100. The
    near miss is completed with that value, and its difference is then ε's alone."""
    conversion = convert(Optimizer.from_spec("paper.adamw(weight_decay=0.1)"), "keras")
    near = {n.comparison.b.name: n for n in conversion.near}
    assert set(near) == {"keras.adam", "keras.adamw"}
    for miss in near.values():
        assert miss.candidate.values["weight_decay"] == 100
        assert miss.candidate.values["epsilon"] == sp.Rational(1, 10**8)  # the source's
        assert sp.Symbol("w_0", real=True) not in miss.comparison.difference.free_symbols
    assert library_code(near["keras.adamw"].candidate) == (
        "keras.optimizers.AdamW(epsilon=1e-8, weight_decay=100)"
    )


def test_torch_sgd_momentum_without_decay_converts_to_keras_and_back():
    source = spec("torch.sgd(lr=0.1, momentum=0.9, dampening=0, weight_decay=0)")
    to_keras = convert(source, "keras")
    keras = assert_round_trip(to_keras)
    assert keras.name == "keras.sgd"
    assert_same_numbers(source, keras)
    back = convert(keras, "torch")
    torch = assert_round_trip(back)
    assert torch.name == "torch.sgd"
    assert torch.values["dampening"] == 0 and torch.values["lr"] == sp.Rational(1, 10)
    assert_same_numbers(keras, torch)


def test_torch_sgd_with_momentum_to_optax_sgd():
    source = spec("torch.sgd(lr=0.3, momentum=0.9, dampening=0, weight_decay=0)")
    conversion = convert(source, "optax")
    assert conversion.target.name == "optax.sgd"
    assert_same_numbers(source, assert_round_trip(conversion))


def test_optax_adamw_to_torch_is_torch_adamw():
    source = spec("optax.adamw(learning_rate=0.001, eps_root=0, weight_decay=0.1)", defaults=True)
    conversion = convert(source, "torch")
    assert conversion.target.name == "torch.adamw"
    assert conversion.target.values["weight_decay"] == sp.Rational(1, 10)
    assert_same_numbers(source, assert_round_trip(conversion))


def test_paper_adamw_converts_back_to_torch():
    source = spec("paper.adamw(alpha=0.001, weight_decay=0.00001)", defaults=True)
    conversion = convert(source, "torch")
    assert conversion.target is not None and conversion.target.name == "torch.adamw"
    assert conversion.target.values["weight_decay"] == sp.Rational(1, 100)


# ---------------------------------------------------------------------------------------------
# frameworks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "suggestion"), [("pytorch", "torch"), ("kerass", "keras")])
def test_an_unknown_framework_suggests_a_close_match(given, suggestion):
    with pytest.raises(WdtheoryError) as excinfo:
        convert(spec("torch.adamw"), given)
    message = str(excinfo.value)
    assert "\n" not in message
    assert f"did you mean '{suggestion}'" in message
    assert all(f in message for f in FRAMEWORKS)


def test_converting_to_the_same_framework_finds_the_preset_itself():
    conversion = convert(spec("torch.adamw"), "torch")
    assert conversion.target.name == "torch.adamw"
    assert conversion.comparisons[-1].verdict == "identical"


def test_a_loss_scaled_adam_converts_to_torch_with_lambda_and_eps_divided_by_the_scale():
    """The loss scale is no hyperparameter torch lacks: it maps onto weight_decay and eps."""
    conversion = convert(Optimizer.from_spec("adam(loss_scale=4, weight_decay=0.01)"), "torch")
    assert conversion.target is not None and conversion.target.name == "torch.adam"
    values = conversion.target.values
    assert values["weight_decay"] == sp.Rational(1, 400)
    assert values["eps"] == sp.Rational(1, 4) * sp.Rational(1, 10**8)
