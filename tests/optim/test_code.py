"""Library code to paste (:mod:`wdtheory.optim.code`): the code of an optimizer reads back (as
constructor code, :mod:`wdtheory.optim.constructor`) to the same optimizer, writes only what
differs from the library's defaults, and is what the real library means: torch's constructor,
given the code's arguments, holds the optimizer's values."""

from __future__ import annotations

import ast

import pytest
import sympy as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from wdtheory.core.errors import WdtheoryError
from wdtheory.optim.code import library_code, python_value
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.presets import CONSTRUCTIONS, OPTIMIZERS
from wdtheory.optim.roles import ROLES

LIBRARY_PRESETS = [n for n, d in OPTIMIZERS.items() if d.call]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (sp.Rational(1, 1000), "0.001"),
        (sp.Rational(1, 3), None),  # no finite decimal: a formula
        (sp.Integer(0), "0"),
        (True, "True"),
        (sp.Symbol("lam", real=True), "lam"),
        (sp.Symbol("lambda", real=True), None),  # a Python keyword
        (sp.Symbol("eta", real=True) * sp.Symbol("lam", real=True), None),
    ],
)
def test_a_value_is_python_source_only_where_python_can_write_it(value, text):
    assert python_value(value) == text


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("torch.sgd", "torch.optim.SGD(model.parameters())"),
        ("torch.adamw", "torch.optim.AdamW(model.parameters())"),
        ("keras.adam", "keras.optimizers.Adam()"),
        ("optax.adamw", "optax.adamw(learning_rate=eta)"),  # optax has no default rate
    ],
)
def test_library_defaults_are_left_out_of_the_code(name, code):
    assert library_code(Optimizer.from_spec(name)) == code


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (
            "torch.adam(beta2=0.99, amsgrad=true)",
            "torch.optim.Adam(model.parameters(), betas=(0.9, 0.99), amsgrad=True)",
        ),
        (
            "torch.adam(lr=1e-3, decoupled_weight_decay=true)",
            "torch.optim.Adam(model.parameters(), lr=0.001, decoupled_weight_decay=True)",
        ),
        ("keras.sgd(learning_rate=0.01)", "keras.optimizers.SGD(learning_rate=0.01)"),  # given
        ("optax.sgd(learning_rate=lr, momentum=0.9)", "optax.sgd(learning_rate=lr, momentum=0.9)"),
    ],
)
def test_the_code_writes_what_was_given_and_what_differs_in_the_librarys_spelling(spec, code):
    assert library_code(Optimizer.from_spec(spec)) == code


@pytest.mark.parametrize(
    "spec",
    [
        "adam(lr=0.001)",  # generic: no library
        "paper.adamw(weight_decay=0.01)",  # the paper's algorithm: no library
        "symbolic(torch.sgd)",  # its weight decay is lambda, a Python keyword
    ],
)
def test_an_optimizer_without_library_code_has_none(spec):
    assert library_code(Optimizer.from_spec(spec)) is None


def test_a_formula_has_no_code():
    optimizer = Optimizer.from_spec("torch.sgd(lr=0.1)")
    values = {**optimizer.values, "weight_decay": sp.Rational(1, 10) * ROLES["lr"].symbol}
    assert library_code(Optimizer(optimizer.definition, values, optimizer.flags)) is None


_DECIMALS = st.integers(1, 999).map(lambda n: sp.Rational(n, 1000))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(LIBRARY_PRESETS), data=st.data())
def test_the_code_reads_back_to_the_same_optimizer(name, data):
    """Random values in [0.001, 0.999] for every hyperparameter and random switches."""
    definition = OPTIMIZERS[name]
    values = {k: data.draw(_DECIMALS, label=k) for k in definition.params}
    flags = {k: data.draw(st.sampled_from(v), label=k) for k, v in definition.flags.items()}
    try:
        optimizer = Optimizer(definition, values, flags)
    except WdtheoryError:  # a combination the library refuses (nesterov with dampening): skip
        return
    code = library_code(optimizer)
    assert code is not None
    again = Optimizer.from_spec(code)
    assert (again.name, again.values, again.flags) == (name, optimizer.values, optimizer.flags)


def _torch_arguments(code: str) -> tuple[str, dict[str, object]]:
    """The class name and keyword values of ``torch.optim.X(model.parameters(), k=v, ...)``,
    read with ``ast`` (literals only)."""
    call = ast.parse(code, mode="eval").body
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
    return call.func.attr, {k.arg: ast.literal_eval(k.value) for k in call.keywords}


#: wdtheory's key for each of torch's constructor arguments (the rest share the name)
_TORCH_KEYS = {"betas": ("beta1", "beta2")}


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from([n for n in LIBRARY_PRESETS if n.startswith("torch.")]), data=st.data())
def test_torch_given_the_code_holds_the_optimizers_values(name, data):
    definition = OPTIMIZERS[name]
    values = {k: data.draw(_DECIMALS, label=k) for k in definition.params}
    if name == "torch.sgd":
        values["dampening"] = sp.S.Zero  # nesterov needs it; torch refuses otherwise
    flags = {k: data.draw(st.sampled_from(v), label=k) for k, v in definition.flags.items()}
    optimizer = Optimizer(definition, values, flags)
    cls, arguments = _torch_arguments(library_code(optimizer))
    real = getattr(torch.optim, cls)([torch.zeros(2, requires_grad=True)], **arguments).defaults
    for key, value in real.items():
        keys = _TORCH_KEYS.get(key, (key,))
        expected = [optimizer.values.get(k, optimizer.flags.get(k)) for k in keys]
        if None in expected:
            continue  # an implementation switch (foreach, fused...)
        got = list(value) if isinstance(value, tuple) else [value]
        assert got == [e if isinstance(e, bool) else float(e) for e in expected], key


@pytest.mark.parametrize(
    ("name", "values", "code"),
    [
        (
            "optax.chain(add_decayed_weights, adam)",
            {"learning_rate": "0.01", "b1": "0.8", "eps": "1e-6", "weight_decay": "0.001"},
            "optax.chain(optax.add_decayed_weights(0.001), "
            "optax.adam(learning_rate=0.01, b1=0.8, eps=1e-6))",
        ),
        (
            "optax.chain(add_decayed_weights, sgd)",
            {"learning_rate": "0.1", "momentum": "0.9", "weight_decay": "0.0005"},
            "optax.chain(optax.add_decayed_weights(0.0005), "
            "optax.sgd(learning_rate=0.1, momentum=0.9))",
        ),
        (
            "optax.chain(trace, add_decayed_weights, scale_by_learning_rate)",
            {"learning_rate": "0.1", "momentum": "0.9", "weight_decay": "0.0005"},
            "optax.chain(optax.trace(decay=0.9), optax.add_decayed_weights(0.0005), "
            "optax.scale_by_learning_rate(0.1))",
        ),
        (
            "optax.chain(trace, add_decayed_weights, scale_by_learning_rate)",
            {"learning_rate": "0.1", "momentum": "0", "weight_decay": "0.0005"},
            "optax.chain(optax.add_decayed_weights(0.0005), optax.scale_by_learning_rate(0.1))",
        ),
        (
            "keras.adam + L2 regularizer",
            {"learning_rate": "0.01", "beta_2": "0.99", "weight_decay": "0.001"},
            "keras.optimizers.Adam(learning_rate=0.01, beta_2=0.99)  # with "
            "kernel_regularizer=keras.regularizers.L2(0.0005) on every decayed layer",
        ),
    ],
)
def test_a_standard_construction_writes_each_value_in_its_place(name, values, code):
    """Values the construction's library defaults leave out are not written; the decay goes
    where the construction puts it (before the alias in optax, halved in a Keras regularizer)."""
    definition = next(d for ds in CONSTRUCTIONS.values() for d in ds if d.name == name)
    given = {k: sp.Rational(v) for k, v in values.items()}
    optimizer = Optimizer(
        definition,
        {k: given.get(k, sp.sympify(definition.defaults[k])) for k in definition.params},
        {k: v[0] for k, v in definition.flags.items()},
    )
    assert library_code(optimizer) == code
    ast.parse(code.split("  #")[0], mode="eval")  # valid Python


@pytest.mark.parametrize(
    ("decay", "strength"),
    [(sp.Rational(1, 1000), "0.0005"), (sp.Symbol("lam", real=True), "lam / 2")],
)
def test_a_keras_l2_regularizer_has_half_the_coupled_decay(decay, strength):
    """``keras.regularizers.L2(c)`` adds c‖w‖² to the loss, 2cw to the gradient."""
    definition = next(d for d in CONSTRUCTIONS["keras"] if d.name == "keras.sgd + L2 regularizer")
    values = {
        "learning_rate": sp.Rational(1, 10),
        "momentum": sp.Rational(9, 10),
        "weight_decay": decay,
    }
    code = library_code(Optimizer(definition, values, {"nesterov": False, "decay": "coupled"}))
    assert code == (
        "keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)  # with "
        f"kernel_regularizer=keras.regularizers.L2({strength}) on every decayed layer"
    )
