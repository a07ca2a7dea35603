"""Reading a spec as its library reads the constructor call (:mod:`wdtheory.optim.constructor`):
names in code resolve to presets, positional arguments take the signature's places, tuples
unpack, ``None`` means left out only where the library's default is None, implementation
arguments are ignored and arguments that change the rule are refused with their reason; any
text is either an optimizer or a one-line error."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from optimizer_cases import refuse

from wdtheory.core.errors import WdtheoryError
from wdtheory.core.spec import parse_spec
from wdtheory.optim.constructor import LIBRARY_PATHS, read, resolve_name
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.presets import OPTIMIZERS

R = sp.Rational


def values(text: str) -> dict[str, sp.Expr]:
    return Optimizer.from_spec(text).values


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "preset"),
    [
        ("torch.optim.AdamW", "torch.adamw"),
        ("torch.optim.SGD", "torch.sgd"),
        ("torch.optim.RMSprop", "torch.rmsprop"),
        ("torch.AdamW", "torch.adamw"),
        ("keras.optimizers.AdamW", "keras.adamw"),
        ("tf.keras.optimizers.SGD", "keras.sgd"),
        ("tensorflow.keras.optimizers.Adam", "keras.adam"),
        ("keras.Adam", "keras.adam"),
        ("optax.adamw", "optax.adamw"),
        ("optax.Lion", "optax.lion"),
        ("torch.optim.adamw.AdamW", "torch.adamw"),  # the class in its own module
        ("tf.keras.optimizers.experimental.AdamW", "keras.adamw"),  # TF 2.9-2.10
        ("tensorflow.keras.optimizers.experimental.SGD", "keras.sgd"),
        ("torch.adamw", "torch.adamw"),  # a preset's own name
        ("adam", "adam"),  # a generic one
    ],
)
def test_a_name_in_code_resolves_to_its_preset(name, preset):
    assert resolve_name(name) == preset
    assert Optimizer.from_spec(name).name == preset


@pytest.mark.parametrize("library", sorted(LIBRARY_PATHS))
def test_every_preset_of_a_library_is_reached_from_every_module_path(library):
    for preset in (n for n in OPTIMIZERS if n.startswith(library + ".")):
        for path in LIBRARY_PATHS[library]:
            assert resolve_name(f"{path}.{preset.split('.')[1].upper()}") == preset


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("torch.optim.AdamX", ["'torch.optim.AdamX'", "torch's", "adamw", "did you mean"]),
        ("keras.optimizers.Adagrad", ["'keras.optimizers.Adagrad'", "keras's adam"]),
        ("optax.adamax", ["'optax.adamax'", "optax's", "lion"]),
        ("tf.keras.optimizers.legacy.Adam", ["legacy optimizers are other algorithms"]),
        ("keras.layers.Dense", ["'keras.layers.Dense'", "no keras module 'layers'"]),
        ("optax.contrib.muon", ["'optax.contrib.muon'", "no optax module 'contrib'"]),
    ],
)
def test_an_optimizer_wdtheory_does_not_know_is_named_with_those_it_knows(name, fragments):
    refuse(name, *fragments)


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("torch.optim.SGD(model.parameters(), 0.1, 0.9)", {"lr": R(1, 10), "momentum": R(9, 10)}),
        ("torch.optim.AdamW(params, 3e-4)", {"lr": R(3, 10**4)}),
        ("torch.optim.Adam(net.parameters(), 1e-3, (0.8, 0.99))", {"beta1": R(4, 5)}),
        ("keras.optimizers.SGD(0.01, 0.9)", {"learning_rate": R(1, 100), "momentum": R(9, 10)}),
        ("keras.optimizers.AdamW(1e-3, 0.004)", {"weight_decay": R(1, 250)}),
        ("optax.adamw(1e-3, 0.8, 0.99)", {"b1": R(4, 5), "b2": R(99, 100)}),
        ("optax.sgd(0.1, 0.9)", {"learning_rate": R(1, 10), "momentum": R(9, 10)}),
    ],
)
def test_positional_arguments_take_the_places_of_the_librarys_signature(text, expected):
    got = values(text)
    assert {k: got[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            "torch.optim.SGD(model.parameters(), 0.1, 0.9, 0, 0, False, 1)",
            ["SGD takes 6 positional arguments", "got 7"],
        ),
        ("torch.optim.SGD(model.parameters(), 0.1, lr=0.2)", ["two values for 'lr'"]),
        ("keras.optimizers.SGD(0.1, learning_rate=0.2)", ["two values for 'learning_rate'"]),
        ("torch.optim.SGD(0.1)", ["first argument is the parameters", "not 0.1"]),
        ("torch.sgd(0.1)", ["first argument is the parameters"]),
        ("adam(0.1)", ["takes no positional arguments", "write key=value"]),
        ("torch.adamw(betas=(0.9, 0.99), beta1=0.5)", ["two values for 'beta1'", "in betas"]),
        ("torch.adamw(beta2=0.5, betas=(0.9, 0.99))", ["two values for 'beta2'", "by name"]),
        ("tf.keras.optimizers.Adam(1e-3, decay=1e-6)", ["takes no 'decay'", "keras.adam(decay="]),
        ("keras.optimizers.Adam(decay=decoupled)", ["takes no 'decay'", "wdtheory's switch"]),
        ("torch.optim.SGD(model.parameters(), capturable=True)", ["'capturable'", "torch.sgd"]),
        ("torch.optim.RMSprop(model.parameters(), fused=True)", ["'fused'", "torch.rmsprop"]),
    ],
)
def test_misplaced_arguments_are_one_line_errors(text, fragments):
    refuse(text, *fragments)


def test_a_tuple_stands_for_the_keys_it_unpacks_to():
    assert values("torch.adam(betas=(0.8, 0.99))") == values("torch.adam(beta1=0.8, beta2=0.99)")
    assert values("torch.adam(betas=[0.8, 0.99])") == values("torch.adam(beta1=0.8, beta2=0.99)")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("torch.adam(lr=(0.1, 0.2))", "lr=(0.1, 0.2) is not a number"),
        ("torch.adam(lr=model.parameters())", "is not a number"),
        ("torch.adam(betas=(0.9, model))", None),  # a name is a symbol: allowed, see below
    ],
)
def test_a_value_that_is_not_a_number_or_a_name_is_refused(text, fragment):
    if fragment is None:
        assert values(text)["beta2"] == sp.Symbol("model", real=True)
    else:
        refuse(text, fragment)


@pytest.mark.parametrize(
    ("text", "left_out"),
    [
        ("keras.optimizers.Adam(weight_decay=None)", "keras.adam"),
        ("keras.optimizers.SGD(clipnorm=None, global_clipnorm=None)", "keras.sgd"),
        ("torch.optim.SGD(model.parameters(), foreach=None)", "torch.sgd"),
        ("optax.sgd(1e-2, momentum=None)", "optax.sgd(learning_rate=0.01)"),
    ],
)
def test_none_means_left_out_where_it_is_the_librarys_default(text, left_out):
    optimizer, plain = Optimizer.from_spec(text), Optimizer.from_spec(left_out)
    assert (optimizer.values, optimizer.flags) == (plain.values, plain.flags)


@pytest.mark.parametrize("text", ["torch.sgd(lr=None)", "keras.adam(beta_1=None)"])
def test_none_is_refused_where_the_library_has_a_value(text):
    refuse(text, "=None is not allowed")


@pytest.mark.parametrize(
    "text",
    [
        "torch.optim.AdamW(model.parameters(), foreach=True, fused=False, capturable=False)",
        "torch.optim.SGD(model.parameters(), differentiable=False, maximize=False)",
        "keras.optimizers.Adam(loss_scale_factor=128, ema_momentum=0.99)",
        "tf.keras.optimizers.SGD(0.1, jit_compile=True)",
        "optax.adamw(1e-3, mu_dtype=jnp.bfloat16)",
        "optax.sgd(0.1, accumulator_dtype=jnp.float32)",
    ],
)
def test_arguments_that_change_how_not_what_are_accepted_and_ignored(text):
    call = read(parse_spec(text))
    assert set(call.given) <= set(call.definition.params) | set(call.definition.flags)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("torch.optim.SGD(model.parameters(), maximize=True)", ["maximize=true", "descent"]),
        ("keras.optimizers.Adam(clipnorm=1.0)", ["clipnorm=1", "clipping"]),
        ("keras.optimizers.SGD(global_clipnorm=1)", ["global_clipnorm=1", "clipping"]),
        ("keras.optimizers.AdamW(use_ema=True)", ["use_ema=true", "moving average"]),
        ("keras.optimizers.Adam(gradient_accumulation_steps=4)", ["accumulating gradients"]),
        ("optax.adamw(1e-3, mask=decay_mask)", ["mask=decay_mask", "is refused"]),
        ("optax.adam(1e-3, nesterov=True)", ["nesterov=true", "NAdam"]),
    ],
)
def test_arguments_that_change_the_rule_in_a_way_not_modelled_are_refused_with_why(text, fragments):
    refuse(text, *fragments)


def test_a_library_default_switch_written_out_is_the_same_as_left_out():
    explicit = Optimizer.from_spec("torch.optim.Adam(model.parameters(), amsgrad=False)")
    assert explicit.values == Optimizer.from_spec("torch.adam").values
    assert explicit.flags == Optimizer.from_spec("torch.adam").flags


# --------------------------------------------------------------------------- any text

_PIECES = st.sampled_from(
    [
        "torch.optim.SGD",
        "torch.optim.AdamW",
        "keras.optimizers.Adam",
        "optax.adamw",
        "optax.sgd",
        "adam",
        "Torch.Optim.Adamw",
        "torch.optim.Bogus",
    ]
)
_ARGUMENTS = st.lists(
    st.sampled_from(
        [
            "model.parameters()",
            "0.1",
            "1e-3",
            "(0.9, 0.999)",
            "[0.9]",
            "None",
            "True",
            "lr=0.1",
            "learning_rate=1e-3",
            "betas=(0.9, 0.99)",
            "weight_decay=None",
            "weight_decay=lam",
            "momentum=0.9",
            "foreach=True",
            "maximize=True",
            "clipnorm=1.0",
            "mu_dtype=jnp.float32",
            "eps=-1",
            "b1=2",
        ]
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(name=_PIECES, arguments=_ARGUMENTS)
def test_constructor_code_is_an_optimizer_or_a_one_line_error(name, arguments):
    """Positional arguments after keywords are a syntax error in Python and here."""
    text = f"{name}({', '.join(arguments)})"
    try:
        optimizer = Optimizer.from_spec(text)
    except WdtheoryError as error:
        message = str(error)
        assert message and "\n" not in message and "Traceback" not in message
        return
    assert optimizer.name in OPTIMIZERS
    again = Optimizer.from_spec(optimizer.text)
    assert (again.values, again.flags) == (optimizer.values, optimizer.flags)
