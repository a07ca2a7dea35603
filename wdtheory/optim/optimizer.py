r"""Named optimizers and framework presets, each a :class:`~wdtheory.optim.transforms.Chain`.

Every optimizer is a chain of transformations; where its weight decay sits in the chain is its
**decay mode**:

* ``coupled`` (L2 regularisation): :math:`\lambda w` is added to the gradient before any momentum
  or preconditioning;
* ``decoupled`` (PyTorch AdamW, optax ``add_decayed_weights``, Keras ``weight_decay``): the step
  subtracts :math:`\eta_t\lambda w`, outside the preconditioner but scaled by the learning rate;
* ``independent`` (Loshchilov & Hutter's paper): the step subtracts :math:`s_t\lambda w` with
  :math:`s_t` the schedule multiplier only, not the base learning rate;
* ``proximal`` (L1 only): after the step, soft-threshold by :math:`\eta_t\lambda`;
* ``none``.

Generic optimizers (``sgd``, ``adam``, ``adamw``, ``rmsprop``, ``adagrad``, ``lion``, ``sgdw``)
take ``decay=`` and ``penalty=l2|l1``; presets (``torch.*``, ``keras.*``, ``optax.*``,
``paper.*``) reproduce one library exactly, with its own parameter names, defaults and decay
placement. A hyperparameter left out of a spec is a symbol (so derivations are general); its
library default is recorded and used by :meth:`Optimizer.with_defaults` for numeric work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sympy as sp

from wdtheory.core.errors import WdtheoryError, check_choice, did_you_mean
from wdtheory.core.hyperparams import as_hyper, check_interval, show
from wdtheory.core.notation import (
    ALPHA,
    BETA_1,
    BETA_2,
    EPSILON,
    EPSILON_ROOT,
    ETA,
    G_0,
    GRAD,
    LAMBDA,
    LR_DECAY,
    MU,
    PARAM,
    SCHEDULE,
    STEP,
    TAU,
)
from wdtheory.core.spec import Spec, parse_spec
from wdtheory.optim.transforms import (
    AddDecayedWeights,
    AddSignOfWeights,
    Chain,
    ProximalL1,
    Scale,
    ScaleByAdagrad,
    ScaleByAdam,
    ScaleByLion,
    ScaleByRms,
    Trace,
    Transform,
    chain,
)

__all__ = ["DECAY_MODES", "OPTIMIZERS", "ROLES", "Optimizer", "Role", "get_optimizer"]

DECAY_MODES = ("none", "coupled", "decoupled", "independent", "proximal")
PENALTIES = ("l2", "l1")


@dataclass(frozen=True)
class Role:
    """What a hyperparameter does, its canonical symbol and its allowed range."""

    symbol: sp.Symbol
    description: str
    low: float = 0.0
    high: float = float("inf")
    closed_high: bool = False


ROLES: dict[str, Role] = {
    "lr": Role(ETA, "learning rate"),
    "momentum": Role(MU, "momentum", 0, 1, closed_high=True),
    "dampening": Role(TAU, "dampening", 0, 1, closed_high=True),
    "weight_decay": Role(LAMBDA, "weight decay / penalty strength"),
    "beta1": Role(BETA_1, "first-moment decay", 0, 1),
    "beta2": Role(BETA_2, "second-moment decay", 0, 1),
    "eps": Role(EPSILON, "denominator offset"),
    "eps_root": Role(EPSILON_ROOT, "offset inside the root"),
    "alpha": Role(ALPHA, "squared-gradient smoothing", 0, 1),
    "lr_decay": Role(LR_DECAY, "learning-rate decay per step"),
    "initial_accumulator_value": Role(G_0, "initial accumulator"),
}

Values = Mapping[str, sp.Expr]
Flags = Mapping[str, object]


@dataclass(frozen=True)
class Definition:
    """How one optimizer name is built.

    ``params`` maps the spec's keys to roles; ``defaults`` holds the library's defaults (by spec
    key); ``flags`` maps switch names to their allowed values with the default first; ``build``
    turns resolved role values and flags into transformations.
    """

    name: str
    description: str
    params: Mapping[str, str]
    defaults: Mapping[str, sp.Expr]
    flags: Mapping[str, tuple[object, ...]]
    build: Callable[[Values, Flags], list[Transform]]
    source: str = ""


def _is_zero(value: sp.Expr) -> bool:
    return value.is_zero is True


def _lr(values: Values, flags: Flags) -> sp.Expr:
    """The learning rate of this step: :math:`\\eta`, or :math:`\\eta s_t` with a schedule."""
    return ROLES["lr"].symbol * (SCHEDULE if flags.get("schedule") else 1)


def _decay(
    values: Values, flags: Flags, mode: str
) -> tuple[list[Transform], list[Transform], list[Transform]]:
    """The decay as (before the core, between core and lr scaling, after lr scaling)."""
    strength = values.get("weight_decay", sp.S.Zero)
    if mode == "none" or _is_zero(strength):
        return [], [], []
    lam = ROLES["weight_decay"].symbol
    penalty = flags.get("penalty", "l2")
    if mode == "proximal":
        if penalty != "l1":
            raise WdtheoryError(
                "decay=proximal needs penalty=l1 (the proximal step of the L1 penalty)"
            )
        return [], [], [ProximalL1(_lr(values, flags) * lam)]
    add = AddSignOfWeights if penalty == "l1" else AddDecayedWeights
    if mode == "coupled":
        return [add(lam)], [], []
    if mode == "decoupled":
        return [], [add(lam)], []
    return [], [], [add(-(SCHEDULE if flags.get("schedule") else 1) * lam)]


def decay_mode(flags: Flags) -> str:
    """The decay mode a set of switches selects (torch.adam has its own boolean for it)."""
    if "decoupled_weight_decay" in flags:
        return "decoupled" if flags["decoupled_weight_decay"] else "coupled"
    return str(flags.get("decay", "none"))


def _with_decay(core: list[Transform], values: Values, flags: Flags) -> list[Transform]:
    """``core`` with the decay in the position its mode says, then the learning-rate scaling."""
    before, between, after = _decay(values, flags, decay_mode(flags))
    scale = Scale(-_lr(values, flags), "scale_by_learning_rate")
    return [*before, *core, *between, scale, *after]


def _momentum(values: Values, flags: Flags, *, copy_first: bool) -> list[Transform]:
    mu = values.get("momentum", sp.S.Zero)
    if _is_zero(mu):
        if flags.get("nesterov"):
            raise WdtheoryError("nesterov=true needs a momentum > 0")
        return []
    dampening = values.get("dampening", sp.S.Zero)
    if flags.get("nesterov") and not _is_zero(dampening):
        raise WdtheoryError(
            f"nesterov=true needs dampening=0, got dampening={show(dampening)} (as torch.optim.SGD)"
        )
    damp = sp.S.Zero if _is_zero(dampening) else ROLES["dampening"].symbol
    return [Trace(ROLES["momentum"].symbol, damp, bool(flags.get("nesterov")), copy_first)]


def _adam(values: Values, flags: Flags, *, epsilon_hat: bool = False) -> list[Transform]:
    root = values.get("eps_root", sp.S.Zero)
    return [
        ScaleByAdam(
            ROLES["beta1"].symbol,
            ROLES["beta2"].symbol,
            ROLES["eps"].symbol,
            sp.S.Zero if _is_zero(root) else ROLES["eps_root"].symbol,
            bool(flags.get("amsgrad")),
            epsilon_hat,
        )
    ]


def _build_sgd(values: Values, flags: Flags) -> list[Transform]:
    return _with_decay(_momentum(values, flags, copy_first=True), values, flags)


def _build_adam(values: Values, flags: Flags) -> list[Transform]:
    return _with_decay(_adam(values, flags), values, flags)


def _build_rmsprop(values: Values, flags: Flags) -> list[Transform]:
    rms = ScaleByRms(ROLES["alpha"].symbol, ROLES["eps"].symbol, bool(flags.get("centered")))
    return _with_decay([rms, *_momentum(values, flags, copy_first=False)], values, flags)


def _build_adagrad(values: Values, flags: Flags) -> list[Transform]:
    """PyTorch's Adagrad: the step size is :math:`\\eta / (1 + (t-1)\\,\\text{lr\\_decay})`."""
    initial = values.get("initial_accumulator_value", sp.S.Zero)
    accumulate = ScaleByAdagrad(
        ROLES["eps"].symbol,
        sp.S.Zero if _is_zero(initial) else ROLES["initial_accumulator_value"].symbol,
    )
    before, between, after = _decay(values, flags, decay_mode(flags))
    decay_rate = values.get("lr_decay", sp.S.Zero)
    slowdown = 1 if _is_zero(decay_rate) else 1 + (STEP - 1) * ROLES["lr_decay"].symbol
    scale = Scale(-_lr(values, flags) / slowdown, "scale_by_learning_rate")
    return [*before, accumulate, *between, scale, *after]


def _build_lion(values: Values, flags: Flags) -> list[Transform]:
    return _with_decay([ScaleByLion(ROLES["beta1"].symbol, ROLES["beta2"].symbol)], values, flags)


def _build_keras_sgd(values: Values, flags: Flags) -> list[Transform]:
    """Keras ``SGD.update_step``: :math:`v \\leftarrow \\mu v - \\eta g`, :math:`w \\leftarrow w + v`
    (Nesterov: :math:`w + \\mu v - \\eta g`), after ``_apply_weight_decay``: :math:`w - \\eta\\lambda w`.
    The velocity holds the learning rate, so the scaling comes first."""
    lr = _lr(values, flags)
    decay = (
        []
        if _is_zero(values.get("weight_decay", sp.S.Zero))
        else [AddDecayedWeights(-lr * ROLES["weight_decay"].symbol)]
    )
    return [
        Scale(-lr, "scale_by_learning_rate"),
        *_momentum(values, flags, copy_first=False),
        *decay,
    ]


def _build_paper_sgdw(values: Values, flags: Flags) -> list[Transform]:
    """Algorithm 1 of Loshchilov & Hutter: :math:`m \\leftarrow \\beta_1 m + \\eta_t\\alpha g`,
    :math:`x \\leftarrow x - m - \\eta_t\\lambda x` (the paper calls the momentum β₁)."""
    alpha = ROLES["lr"].symbol
    decay = (
        []
        if _is_zero(values.get("weight_decay", sp.S.Zero))
        else [AddDecayedWeights(-SCHEDULE * ROLES["weight_decay"].symbol)]
    )
    momentum = (
        [] if _is_zero(values.get("momentum", sp.S.Zero)) else [Trace(ROLES["momentum"].symbol)]
    )
    return [Scale(-SCHEDULE * alpha, "scale_by_learning_rate"), *momentum, *decay]


def _build_paper_adamw(values: Values, flags: Flags) -> list[Transform]:
    """Algorithm 2 of Loshchilov & Hutter: :math:`\\theta \\leftarrow \\theta - \\eta_t(\\alpha
    \\hat m/(\\sqrt{\\hat v} + \\epsilon) + \\lambda\\theta)`."""
    decay = (
        []
        if _is_zero(values.get("weight_decay", sp.S.Zero))
        else [AddDecayedWeights(-SCHEDULE * ROLES["weight_decay"].symbol)]
    )
    return [
        *_adam(values, flags),
        Scale(-SCHEDULE * ROLES["lr"].symbol, "scale_by_learning_rate"),
        *decay,
    ]


def _r(text: str) -> sp.Rational:
    return sp.Rational(text)


_TORCH_SGD = {
    "lr": "lr",
    "momentum": "momentum",
    "dampening": "dampening",
    "weight_decay": "weight_decay",
}
_TORCH_ADAM = {
    "lr": "lr",
    "beta1": "beta1",
    "beta2": "beta2",
    "eps": "eps",
    "weight_decay": "weight_decay",
}
_KERAS_ADAM = {
    "learning_rate": "lr",
    "beta_1": "beta1",
    "beta_2": "beta2",
    "epsilon": "eps",
    "weight_decay": "weight_decay",
}
_OPTAX_ADAM = {
    "learning_rate": "lr",
    "b1": "beta1",
    "b2": "beta2",
    "eps": "eps",
    "eps_root": "eps_root",
}
_ADAM_DEFAULTS = {"lr": _r("0.001"), "beta1": _r("0.9"), "beta2": _r("0.999"), "eps": _r("1e-8")}
_GENERIC_FLAGS = {"penalty": PENALTIES, "schedule": (False, True)}


def _generic(
    name: str,
    decay: str,
    description: str,
    params: dict[str, str],
    defaults: dict[str, sp.Expr],
    build: Callable[[Values, Flags], list[Transform]],
    **flags: tuple[object, ...],
) -> Definition:
    modes = (decay, *(m for m in DECAY_MODES if m != decay))
    return Definition(
        name, description, params, defaults, {"decay": modes, **_GENERIC_FLAGS, **flags}, build
    )


_DEFINITIONS = (
    _generic(
        "sgd",
        "coupled",
        "SGD with heavy-ball momentum (PyTorch semantics: buffer = g on step 1)",
        {**_TORCH_SGD},
        {"lr": _r("0.001"), "momentum": 0, "dampening": 0, "weight_decay": 0},
        _build_sgd,
        nesterov=(False, True),
    ),
    _generic(
        "sgdw",
        "decoupled",
        "SGD with momentum and decoupled weight decay",
        {**_TORCH_SGD},
        {"lr": _r("0.001"), "momentum": 0, "dampening": 0, "weight_decay": 0},
        _build_sgd,
        nesterov=(False, True),
    ),
    _generic(
        "adam",
        "coupled",
        "Adam (PyTorch semantics)",
        {**_TORCH_ADAM},
        {**_ADAM_DEFAULTS, "weight_decay": 0},
        _build_adam,
        amsgrad=(False, True),
    ),
    _generic(
        "adamw",
        "decoupled",
        "AdamW: Adam with decoupled weight decay (PyTorch semantics)",
        {**_TORCH_ADAM},
        {**_ADAM_DEFAULTS, "weight_decay": _r("0.01")},
        _build_adam,
        amsgrad=(False, True),
    ),
    _generic(
        "rmsprop",
        "coupled",
        "RMSprop (PyTorch semantics)",
        {
            "lr": "lr",
            "alpha": "alpha",
            "eps": "eps",
            "weight_decay": "weight_decay",
            "momentum": "momentum",
        },
        {
            "lr": _r("0.01"),
            "alpha": _r("0.99"),
            "eps": _r("1e-8"),
            "weight_decay": 0,
            "momentum": 0,
        },
        _build_rmsprop,
        centered=(False, True),
    ),
    _generic(
        "adagrad",
        "coupled",
        "Adagrad (PyTorch semantics)",
        {
            "lr": "lr",
            "lr_decay": "lr_decay",
            "weight_decay": "weight_decay",
            "initial_accumulator_value": "initial_accumulator_value",
            "eps": "eps",
        },
        {
            "lr": _r("0.01"),
            "lr_decay": 0,
            "weight_decay": 0,
            "initial_accumulator_value": 0,
            "eps": _r("1e-10"),
        },
        _build_adagrad,
    ),
    _generic(
        "lion",
        "decoupled",
        "Lion (optax semantics)",
        {"lr": "lr", "beta1": "beta1", "beta2": "beta2", "weight_decay": "weight_decay"},
        {"lr": _r("0.0001"), "beta1": _r("0.9"), "beta2": _r("0.99"), "weight_decay": _r("0.001")},
        _build_lion,
    ),
    Definition(
        "torch.sgd",
        "torch.optim.SGD",
        {**_TORCH_SGD},
        {"lr": _r("0.001"), "momentum": 0, "dampening": 0, "weight_decay": 0},
        {"nesterov": (False, True), "decay": ("coupled",)},
        _build_sgd,
        "torch/optim/sgd.py _single_tensor_sgd",
    ),
    Definition(
        "torch.adam",
        "torch.optim.Adam",
        {**_TORCH_ADAM},
        {**_ADAM_DEFAULTS, "weight_decay": 0},
        {"amsgrad": (False, True), "decoupled_weight_decay": (False, True)},
        _build_adam,
        "torch/optim/adam.py _single_tensor_adam",
    ),
    Definition(
        "torch.adamw",
        "torch.optim.AdamW",
        {**_TORCH_ADAM},
        {**_ADAM_DEFAULTS, "weight_decay": _r("0.01")},
        {"amsgrad": (False, True), "decay": ("decoupled",)},
        _build_adam,
        "torch/optim/adamw.py (Adam with decoupled_weight_decay=True)",
    ),
    Definition(
        "torch.rmsprop",
        "torch.optim.RMSprop",
        {
            "lr": "lr",
            "alpha": "alpha",
            "eps": "eps",
            "weight_decay": "weight_decay",
            "momentum": "momentum",
        },
        {
            "lr": _r("0.01"),
            "alpha": _r("0.99"),
            "eps": _r("1e-8"),
            "weight_decay": 0,
            "momentum": 0,
        },
        {"centered": (False, True), "decay": ("coupled",)},
        _build_rmsprop,
        "torch/optim/rmsprop.py _single_tensor_rmsprop",
    ),
    Definition(
        "torch.adagrad",
        "torch.optim.Adagrad",
        {
            "lr": "lr",
            "lr_decay": "lr_decay",
            "weight_decay": "weight_decay",
            "initial_accumulator_value": "initial_accumulator_value",
            "eps": "eps",
        },
        {
            "lr": _r("0.01"),
            "lr_decay": 0,
            "weight_decay": 0,
            "initial_accumulator_value": 0,
            "eps": _r("1e-10"),
        },
        {"decay": ("coupled",)},
        _build_adagrad,
        "torch/optim/adagrad.py _single_tensor_adagrad",
    ),
    Definition(
        "keras.sgd",
        "keras.optimizers.SGD",
        {"learning_rate": "lr", "momentum": "momentum", "weight_decay": "weight_decay"},
        {"learning_rate": _r("0.01"), "momentum": 0, "weight_decay": 0},
        {"nesterov": (False, True), "decay": ("decoupled",)},
        _build_keras_sgd,
        "keras/src/optimizers/sgd.py SGD.update_step; base_optimizer.py _apply_weight_decay",
    ),
    Definition(
        "keras.adam",
        "keras.optimizers.Adam",
        {**_KERAS_ADAM},
        {
            "learning_rate": _r("0.001"),
            "beta_1": _r("0.9"),
            "beta_2": _r("0.999"),
            "epsilon": _r("1e-7"),
            "weight_decay": 0,
        },
        {"amsgrad": (False, True), "decay": ("decoupled",)},
        lambda v, f: _with_decay(_adam(v, f, epsilon_hat=True), v, f),
        "keras/src/optimizers/adam.py Adam.update_step; base_optimizer.py _apply_weight_decay",
    ),
    Definition(
        "keras.adamw",
        "keras.optimizers.AdamW",
        {**_KERAS_ADAM},
        {
            "learning_rate": _r("0.001"),
            "beta_1": _r("0.9"),
            "beta_2": _r("0.999"),
            "epsilon": _r("1e-7"),
            "weight_decay": _r("0.004"),
        },
        {"amsgrad": (False, True), "decay": ("decoupled",)},
        lambda v, f: _with_decay(_adam(v, f, epsilon_hat=True), v, f),
        "keras/src/optimizers/adamw.py AdamW",
    ),
    Definition(
        "optax.sgd",
        "optax.sgd (no weight decay)",
        {"learning_rate": "lr", "momentum": "momentum"},
        {"learning_rate": None, "momentum": 0},
        {"nesterov": (False, True), "decay": ("none",)},
        lambda v, f: _with_decay(_momentum(v, f, copy_first=False), v, f),
        "optax/_src/alias.py sgd; optax/transforms/_accumulation.py trace",
    ),
    Definition(
        "optax.adam",
        "optax.adam (no weight decay)",
        {**_OPTAX_ADAM},
        {
            "learning_rate": None,
            "b1": _r("0.9"),
            "b2": _r("0.999"),
            "eps": _r("1e-8"),
            "eps_root": 0,
        },
        {"decay": ("none",)},
        _build_adam,
        "optax/_src/alias.py adam; transform.py scale_by_adam",
    ),
    Definition(
        "optax.adamw",
        "optax.adamw",
        {**_OPTAX_ADAM, "weight_decay": "weight_decay"},
        {
            "learning_rate": None,
            "b1": _r("0.9"),
            "b2": _r("0.999"),
            "eps": _r("1e-8"),
            "eps_root": 0,
            "weight_decay": _r("0.0001"),
        },
        {"decay": ("decoupled",)},
        _build_adam,
        "optax/_src/alias.py adamw: chain(scale_by_adam, add_decayed_weights, scale_by_learning_rate)",
    ),
    Definition(
        "optax.lion",
        "optax.lion",
        {"learning_rate": "lr", "b1": "beta1", "b2": "beta2", "weight_decay": "weight_decay"},
        {"learning_rate": None, "b1": _r("0.9"), "b2": _r("0.99"), "weight_decay": _r("0.001")},
        {"decay": ("decoupled",)},
        _build_lion,
        "optax/_src/alias.py lion; transform.py scale_by_lion",
    ),
    Definition(
        "paper.sgdw",
        "SGDW, Algorithm 1 of Loshchilov & Hutter (2019)",
        {"alpha": "lr", "beta1": "momentum", "weight_decay": "weight_decay"},
        {"alpha": None, "beta1": None, "weight_decay": None},
        {"schedule": (True,), "decay": ("independent",)},
        _build_paper_sgdw,
        "Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019, Algorithm 1",
    ),
    Definition(
        "paper.adamw",
        "AdamW, Algorithm 2 of Loshchilov & Hutter (2019)",
        {
            "alpha": "lr",
            "beta1": "beta1",
            "beta2": "beta2",
            "eps": "eps",
            "weight_decay": "weight_decay",
        },
        {
            "alpha": _r("0.001"),
            "beta1": _r("0.9"),
            "beta2": _r("0.999"),
            "eps": _r("1e-8"),
            "weight_decay": None,
        },
        {"schedule": (True,), "decay": ("independent",)},
        _build_paper_adamw,
        "Loshchilov & Hutter, Decoupled Weight Decay Regularization, ICLR 2019, Algorithm 2",
    ),
)

OPTIMIZERS: dict[str, Definition] = {d.name: d for d in _DEFINITIONS}


def get_optimizer(name: str) -> Definition:
    """The definition called ``name``; an unknown name raises an error with close matches."""
    return OPTIMIZERS[check_choice("optimizer", name, OPTIMIZERS)]


@dataclass(frozen=True)
class Optimizer:
    """An optimizer with its hyperparameter values (numbers, user symbols, or canonical symbols
    for those left out) and switches; :attr:`chain` is its chain of transformations."""

    definition: Definition
    values: Mapping[str, sp.Expr]
    flags: Mapping[str, object]
    chain: Chain = field(init=False, compare=False)

    def __post_init__(self) -> None:
        built = self.definition.build(self._role_values, self.flags)
        object.__setattr__(self, "chain", chain(built))

    @property
    def _role_values(self) -> dict[str, sp.Expr]:
        return {self.definition.params[key]: value for key, value in self.values.items()}

    @classmethod
    def from_spec(cls, spec: Spec | str) -> Optimizer:
        """An optimizer from spec text such as ``"torch.sgd(lr=0.1, momentum=mu)"``."""
        spec = parse_spec(spec) if isinstance(spec, str) else spec
        definition = get_optimizer(spec.name)
        _check_keys(definition, spec)
        given = spec.as_dict()
        flags = {
            name: _flag(spec.name, name, given.get(name, allowed[0]), allowed)
            for name, allowed in definition.flags.items()
        }
        # a name written in the spec that is one of the rule's own hyperparameter symbols *is*
        # that symbol: momentum=mu is the momentum symbol, dampening=mu ties dampening to it
        canonical = {
            sp.Symbol(ROLES[r].symbol.name, real=True): ROLES[r].symbol
            for r in definition.params.values()
        }
        values = {}
        for key, role_name in definition.params.items():
            role = ROLES[role_name]
            if key in given:
                value = as_hyper(key, given[key]).xreplace(canonical)
                values[key] = check_interval(
                    key, value, role.low, role.high, closed_high=role.closed_high
                )
            elif role_name == "dampening" and flags.get("nesterov"):
                values[key] = sp.S.Zero  # the only dampening Nesterov momentum allows
            else:
                values[key] = role.symbol
        optimizer = cls(definition, values, flags)
        _check_names(optimizer)
        return optimizer

    @property
    def decay_mode(self) -> str:
        """``none`` when there is no decay (or its strength is 0), else the chain's mode."""
        strength = self._role_values.get("weight_decay", sp.S.Zero)
        return "none" if _is_zero(strength) else decay_mode(self.flags)

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def symbols(self) -> dict[sp.Symbol, sp.Expr]:
        """Canonical symbol → this optimizer's value, for every hyperparameter."""
        return {
            ROLES[role].symbol: self.values[key] for key, role in self.definition.params.items()
        }

    def bind(self, values: Mapping[str, object]) -> Optimizer:
        """The same optimizer with symbolic hyperparameters given numbers (by spec key); the
        chain is rebuilt, so e.g. a momentum bound to 0 removes the momentum buffer."""
        params = self.definition.params
        bound = dict(self.values)
        for key, value in values.items():
            if key not in params:
                raise WdtheoryError(
                    f"{self.name} has no hyperparameter {key!r}{did_you_mean(key, params)}; "
                    f"allowed: {', '.join(params)}"
                )
            if self.values[key].is_number:
                raise WdtheoryError(
                    f"{self.name}: {key} is fixed to {show(self.values[key])} by the spec; "
                    "values= can only set symbolic hyperparameters"
                )
            role = ROLES[params[key]]
            bound[key] = check_interval(
                key, as_hyper(key, value), role.low, role.high, closed_high=role.closed_high
            )
        return Optimizer(self.definition, bound, self.flags)

    def with_defaults(self) -> Optimizer:
        """The same optimizer with every hyperparameter left out set to the library default."""
        values = dict(self.values)
        for key, role in self.definition.params.items():
            if values[key] == ROLES[role].symbol:
                default = self.definition.defaults.get(key)
                if default is None:
                    raise WdtheoryError(f"{self.name} has no default for {key}; give {key}=...")
                values[key] = sp.sympify(default)
        return Optimizer(self.definition, values, self.flags)

    @property
    def given_values(self) -> dict[str, sp.Expr]:
        """The hyperparameters not left at their rule's own symbol (spec key -> value)."""
        return {
            k: v for k, v in self.values.items() if v != ROLES[self.definition.params[k]].symbol
        }

    @property
    def text(self) -> str:
        """The optimizer in spec notation: values given, and switches not at their default."""
        params = [f"{k}={show(v)}" for k, v in self.given_values.items()]
        params += [
            f"{k}={show(v) if isinstance(v, bool) else v}"
            for k, v in self.flags.items()
            if v != self.definition.flags[k][0]
        ]
        return f"{self.name}({', '.join(params)})" if params else self.name


def _check_keys(definition: Definition, spec: Spec) -> None:
    """Unknown keys are refused; a key another library uses for one of ours is pointed to it."""
    allowed = [*definition.params, *definition.flags]
    for key, _ in spec.params:
        if key in allowed:
            continue
        roles = {d.params[key] for d in OPTIMIZERS.values() if key in d.params}
        ours = [k for k, role in definition.params.items() if role in roles]
        hint = f" ({definition.name} calls it {ours[0]!r})" if ours else did_you_mean(key, allowed)
        raise WdtheoryError(
            f"unknown parameter {key!r} for {definition.name}{hint}; allowed: {', '.join(allowed)}"
        )


def _check_names(optimizer: Optimizer) -> None:
    """Refuse a user's symbol named like a variable of the rule or another hyperparameter."""
    chain = optimizer.chain
    taken = {
        PARAM.name: "the parameter",
        GRAD.name: "the gradient",
        STEP.name: "the step count",
        SCHEDULE.name: "the schedule multiplier",
    }
    taken |= {slot.symbol.name: "a state of the rule" for slot in chain.states}
    taken |= {symbol.name: "a temporary of the rule" for symbol in chain.program().temporaries}
    for key, value in optimizer.values.items():
        others = {  # hyperparameters left out keep their canonical symbol in the rule
            ROLES[r].symbol.name: f"the {r} hyperparameter"
            for k, r in optimizer.definition.params.items()
            if k != key and optimizer.values[k] == ROLES[r].symbol
        }
        for symbol in value.free_symbols - set(
            ROLES[r].symbol for r in optimizer.definition.params.values()
        ):
            meaning = taken.get(symbol.name) or others.get(symbol.name)
            if meaning:
                raise WdtheoryError(
                    f"{key}={symbol.name}: the name {symbol.name!r} is {meaning} in "
                    f"{optimizer.name}'s rule; choose another name"
                )


def _flag(where: str, name: str, value: object, allowed: tuple[object, ...]) -> object:
    """A switch value from a spec: a boolean, or a name among ``allowed``."""
    if isinstance(value, sp.Symbol):
        value = value.name
    if value not in allowed or isinstance(value, bool) != isinstance(allowed[0], bool):
        shown = ", ".join(show(a) if isinstance(a, bool) else str(a) for a in allowed)
        given = show(value) if isinstance(value, bool) else value
        hint = did_you_mean(value, [str(a) for a in allowed]) if isinstance(value, str) else ""
        raise WdtheoryError(f"{where}: {name}={given} is not allowed{hint}; allowed: {shown}")
    return value
