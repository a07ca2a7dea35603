"""The preset tables (:mod:`wdtheory.optim.presets`): every name builds, and the recorded defaults
are the libraries' documented ones (PyTorch's are also read from ``inspect.signature``)."""

from __future__ import annotations

import inspect

import pytest
import sympy as sp
from optimizer_cases import refuse

from wdtheory.core.notation import GRAD, PARAM, SCHEDULE, STEP
from wdtheory.core.spec import parse_spec
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.presets import OPTIMIZERS
from wdtheory.optim.roles import ROLES
from wdtheory.optim.transforms import (
    Scale,
)

R = sp.Rational

GENERIC = ("sgd", "sgdw", "adam", "adamw", "rmsprop", "adagrad", "lion")
PRESETS = tuple(name for name in OPTIMIZERS if "." in name)

#: Documented defaults, by spec key; None: the library has no default (a required argument).
#: torch: docs of torch.optim.*; keras: keras.optimizers.* (weight_decay=None means no decay);
#: optax: optax.adam/adamw/lion/sgd signatures (learning_rate is required); paper: Loshchilov &
#: Hutter, Algorithm 2 line 1 gives alpha, beta1, beta2, eps, and no lambda.
_TORCH_SGD = {"lr": R("1e-3"), "momentum": 0, "dampening": 0, "weight_decay": 0}
_TORCH_ADAM = {"lr": R("1e-3"), "beta1": R("0.9"), "beta2": R("0.999"), "eps": R("1e-8")}
_TORCH_RMSPROP = {
    "lr": R("1e-2"),
    "alpha": R("0.99"),
    "eps": R("1e-8"),
    "weight_decay": 0,
    "momentum": 0,
}
_TORCH_ADAGRAD = {
    "lr": R("1e-2"),
    "lr_decay": 0,
    "weight_decay": 0,
    "initial_accumulator_value": 0,
    "eps": R("1e-10"),
}
_KERAS_ADAM = {
    "learning_rate": R("1e-3"),
    "beta_1": R("0.9"),
    "beta_2": R("0.999"),
    "epsilon": R("1e-7"),
}
_OPTAX_ADAM = {
    "learning_rate": None,
    "b1": R("0.9"),
    "b2": R("0.999"),
    "eps": R("1e-8"),
    "eps_root": 0,
}
DOCUMENTED_DEFAULTS: dict[str, dict[str, object]] = {
    "torch.sgd": _TORCH_SGD,
    "torch.adam": {**_TORCH_ADAM, "weight_decay": 0},
    "torch.adamw": {**_TORCH_ADAM, "weight_decay": R("1e-2")},
    "torch.rmsprop": _TORCH_RMSPROP,
    "torch.adagrad": _TORCH_ADAGRAD,
    "keras.sgd": {"learning_rate": R("0.01"), "momentum": 0, "weight_decay": 0},
    "keras.adam": {**_KERAS_ADAM, "weight_decay": 0},
    "keras.adamw": {**_KERAS_ADAM, "weight_decay": R("0.004")},
    "optax.sgd": {"learning_rate": None, "momentum": 0},
    "optax.adam": _OPTAX_ADAM,
    "optax.adamw": {**_OPTAX_ADAM, "weight_decay": R("1e-4")},
    "optax.lion": {
        "learning_rate": None,
        "b1": R("0.9"),
        "b2": R("0.99"),
        "weight_decay": R("1e-3"),
    },
    "paper.sgdw": {"alpha": None, "beta1": None, "weight_decay": None},
    "paper.adamw": {
        "alpha": R("0.001"),
        "beta1": R("0.9"),
        "beta2": R("0.999"),
        "eps": R("1e-8"),
        "weight_decay": None,
    },
    # generic optimizers follow PyTorch (Lion: Google's reference lr 1e-4, optax's b2 and decay)
    # the generic optimizers: a library's defaults, and the loss scale (1: the gradient as it is)
    "sgd": {**_TORCH_SGD, "loss_scale": 1},
    "sgdw": {**_TORCH_SGD, "loss_scale": 1},
    "adam": {**_TORCH_ADAM, "weight_decay": 0, "loss_scale": 1},
    "adamw": {**_TORCH_ADAM, "weight_decay": R("1e-2"), "loss_scale": 1},
    "rmsprop": {**_TORCH_RMSPROP, "loss_scale": 1},
    "adagrad": {**_TORCH_ADAGRAD, "loss_scale": 1},
    "lion": {
        "lr": R("1e-4"),
        "beta1": R("0.9"),
        "beta2": R("0.99"),
        "weight_decay": R("1e-3"),
        "loss_scale": 1,
    },
}

TORCH_CLASSES = {
    "torch.sgd": "SGD",
    "torch.adam": "Adam",
    "torch.adamw": "AdamW",
    "torch.rmsprop": "RMSprop",
    "torch.adagrad": "Adagrad",
    "sgd": "SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
}


def build(text: str) -> Optimizer:
    return Optimizer.from_spec(text)


def is_lr_scale(transform: object) -> bool:
    return isinstance(transform, Scale) and transform.name == "scale_by_learning_rate"


# --------------------------------------------------------------------------- registry


def test_registry_holds_the_generic_optimizers_and_the_presets():
    assert set(OPTIMIZERS) == set(DOCUMENTED_DEFAULTS)
    assert set(GENERIC) <= set(OPTIMIZERS)
    assert {name.split(".")[0] for name in PRESETS} == {"torch", "keras", "optax", "paper"}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_bare_name_builds_with_the_library_defaults_and_symbols_where_it_has_none(name):
    """A spec means what the library's constructor means: left out is the library default."""
    opt = build(name)
    assert opt.name == name and not opt.symbolic
    for key, role in OPTIMIZERS[name].params.items():
        default = DOCUMENTED_DEFAULTS[name][key]
        expected = ROLES[role].symbol if default is None else default
        assert opt.values[key] == expected, key
    assert opt.text == name  # nothing differs from what leaving it all out gives
    assert set(opt.filled_defaults) >= {
        k for k, v in DOCUMENTED_DEFAULTS[name].items() if v is not None
    }


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_symbolic_bare_name_builds_with_every_hyperparameter_symbolic(name):
    for opt in (build(f"symbolic({name})"), Optimizer.from_spec(name, symbolic=True)):
        assert opt.name == name and opt.symbolic
        for key, role in OPTIMIZERS[name].params.items():
            # a setting of the problem (the loss scale) keeps its default
            expected = DOCUMENTED_DEFAULTS[name][key] if ROLES[role].setting else ROLES[role].symbol
            assert opt.values[key] == expected, key
        settings = {k: v for k, v in opt.values.items() if ROLES[opt.definition.params[k]].setting}
        assert opt.text == f"symbolic({name})" and opt.filled_defaults == {
            **settings,
            **{k: v for k, v in opt.flags.items() if len(OPTIMIZERS[name].flags[k]) > 1},
        }
        assert opt.chain.transforms, name
        assert sum(map(is_lr_scale, opt.chain.transforms)) == 1
        # the chain only uses canonical symbols of this optimizer's hyperparameters
        states = {slot.symbol for slot in opt.chain.states}
        allowed = set(opt.symbols) | states | {PARAM, GRAD, STEP, SCHEDULE}
        for value in opt.chain.program().one_step().values():
            assert value.free_symbols <= allowed, (name, value.free_symbols - allowed)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_from_spec_accepts_a_parsed_spec(name):
    assert build(name).text == Optimizer.from_spec(parse_spec(name)).text


# --------------------------------------------------------------------------- defaults


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_recorded_defaults_are_the_documented_defaults(name):
    recorded = {
        k: (None if v is None else sp.sympify(v)) for k, v in OPTIMIZERS[name].defaults.items()
    }
    documented = {
        k: (None if v is None else sp.sympify(v)) for k, v in DOCUMENTED_DEFAULTS[name].items()
    }
    assert recorded == documented
    assert set(OPTIMIZERS[name].params) == set(documented)


@pytest.mark.parametrize("name", sorted(TORCH_CLASSES))
def test_torch_defaults_match_the_installed_torch(name):
    torch = pytest.importorskip("torch")
    signature = inspect.signature(getattr(torch.optim, TORCH_CLASSES[name])).parameters
    library = {
        k: p.default for k, p in signature.items() if p.default is not inspect.Parameter.empty
    }
    if "betas" in library:
        library["beta1"], library["beta2"] = library.pop("betas")
    defaults = OPTIMIZERS[name].defaults
    for key, role in OPTIMIZERS[name].params.items():
        if ROLES[role].setting:  # the generic optimizers' loss scale: no library has it
            assert name in GENERIC and defaults[key] == 1
            continue
        assert key in library, key
        assert sp.sympify(defaults[key]) == R(repr(float(library[key]))), key


@pytest.mark.parametrize("name", sorted(n for n in TORCH_CLASSES if n.startswith("torch.")))
def test_a_torch_preset_takes_exactly_the_installed_constructors_arguments(name):
    """The same names (betas for beta1 and beta2), the same positional order, the same
    switches, and every other argument either ignored or refused: none accepted that torch
    would refuse."""
    torch = pytest.importorskip("torch")
    signature = inspect.signature(getattr(torch.optim, TORCH_CLASSES[name])).parameters
    definition = OPTIMIZERS[name]
    own = {"decay", "penalty", "schedule"}  # wdtheory's switches, chosen by the preset name
    accepted = {
        *definition.tuples,
        *(k for k in definition.params if not any(k in ks for ks in definition.tuples.values())),
        *(set(definition.flags) - own),
        *definition.extras,
        "params",
    }
    assert accepted == set(signature)
    positional = [
        k for k, p in signature.items() if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    ]
    assert list(definition.signature) == positional
    nullable = {k for k, p in signature.items() if p.default is None}
    assert definition.nullable == nullable


@pytest.mark.parametrize(
    "name", [n for n in OPTIMIZERS if None not in OPTIMIZERS[n].defaults.values()]
)
def test_with_defaults_sets_every_left_out_value_to_its_exact_default(name):
    opt = build(name).with_defaults()
    for key, value in DOCUMENTED_DEFAULTS[name].items():
        assert opt.values[key] == value, key
        assert isinstance(opt.values[key], sp.Rational), key  # exact, never a float
    assert opt.with_defaults().values == opt.values
    assert opt.name == name and opt.flags == build(name).flags


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if None in OPTIMIZERS[n].defaults.values()])
def test_with_defaults_without_a_library_default_names_the_missing_key(name):
    missing = [k for k, v in DOCUMENTED_DEFAULTS[name].items() if v is None]
    message = refuse(name, name, missing[0], defaults=True)
    assert f"{missing[0]}=" in message
    # giving the missing values is enough
    given = ", ".join(f"{key}=0.5" for key in missing)
    opt = build(f"{name}({given})").with_defaults()
    assert all(opt.values[key] == R(1, 2) for key in missing)
    assert all(value.is_number for value in opt.values.values())


def test_with_defaults_keeps_values_given_in_the_spec():
    opt = build("torch.adam(lr=0.1, beta2=b2)").with_defaults()
    assert opt.values["lr"] == R(1, 10)
    assert opt.values["beta2"] == sp.Symbol("b2", real=True)
    assert opt.values["beta1"] == R(9, 10)
