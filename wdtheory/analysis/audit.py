r"""Auditing a training recipe: what the weight decay of each param group does over the run.

A :class:`Recipe` is what an engineer porting or scaling a run has: param groups, each with its
optimizer (numbers filled in), a learning-rate :class:`~wdtheory.optim.schedules.Schedule`, the
number of steps and of steps per epoch. :func:`audit` derives, per group:

* the **decay mode** (``coupled`` L2, ``decoupled`` weight decay, the paper's ``independent``
  decay, or ``none``) and what the group's optimizer is in each framework (by
  :func:`~wdtheory.analysis.convert.convert`; under a schedule that varies, of the rule as the
  scheduler runs it, every :math:`\eta` becoming :math:`\eta s_t`, and so its rest point,
  whose :math:`\lambda_{\mathrm{eff}}` may then depend on :math:`s_t`);
* the **decay over the run**: with the gradient set to 0, one step of the rule (under the
  schedule, as a scheduler runs it: :meth:`~wdtheory.optim.optimizer.Optimizer.scheduled`) maps
  :math:`w \mapsto f(s_t)\,w` when the decay acts on the weight alone — decoupled and
  independent decay, L2 without momentum or preconditioner — with :math:`f` derived by SymPy
  (e.g. :math:`1 - \eta\lambda s_t`); the total shrink :math:`\prod_{t \le T} f(s_t)` is then
  evaluated under the schedule and **checked by running the lowered rule** with zero gradients
  from :math:`w = 1`. Where the decay passes through the optimizer's state (L2 with momentum or
  with Adam's preconditioner) there is no such factor; the zero-gradient run gives the shrink the
  decay applies alone, and a second run from :math:`w = 10^{-3}` tells whether it is a shrink at
  all (inside Adam the decay moves :math:`w` by steps of about :math:`\eta s_t`, whatever its
  size);
* the **timescale**: the first step at which the decay alone has shrunk :math:`w` by
  :math:`e`, in steps and in epochs (None if the run ends first);
* for a group whose weights feed a normalisation layer (``normalized``), the **angle turned per
  step** once the norm has settled, :math:`\theta^* = \arccos f(s_t)` derived
  (:mod:`wdtheory.analysis.rotation`) and measured by running the lowered rule on
  scale-invariant gradients at the schedule's peak, and how fast the norm settles.

A recipe is given in Python (:class:`Recipe`, :meth:`Recipe.from_torch` for a live torch
optimizer and scheduler) or as a TOML file (:func:`read_recipe`)::

    optimizer = "torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)"
    schedule = "warmup_cosine(warmup=2000, steps=100000)"   # default: constant()
    steps = 100000
    steps_per_epoch = 1000                                   # optional
    batch_size = 256                    # optional: the scale, for [transfer]; examples =
    width = 1024                        # steps_per_epoch x batch_size unless given

    [transfer]                          # optional: the recipe to move the decay to
    batch_size = 1024                   # examples, batch_size, steps, width: left out = same
    lr_rule = "linear"                  # constant, linear, sqrt (in the batch) or mup (width)
    keep = "epochs"                     # the timescale kept: in epochs, steps or run fraction

    [[group]]
    name = "weights"
    normalized = true           # they feed a normalisation layer: scale-invariant

    [[group]]
    name = "biases and norms"
    vectors = true
    weight_decay = 0.0          # any hyperparameter of the optimizer, by its spec key

With a ``[transfer]`` table each group whose decay is a rate per step also gets the weight
decay that keeps its timescale in the new recipe (:func:`~wdtheory.analysis.transfer.transfer`,
derived symbolically and printed with its derivation).

**Pitfalls** are flagged as typed :class:`Finding` values, each with the quantity that shows it:
L2 inside a preconditioner (the shrink it applies against the decoupled form's), decay on
vectors (biases, normalisation scales), a timescale longer than the run or shorter than an
epoch, and the coupling of the decay to the learning-rate schedule (the schedule's mean
multiplier scales the decay of torch and optax; the paper's independent form does not follow
it, so that against the annealed step it grows by the schedule's peak over its end); and a
schedule whose length is not the run's (it settles early, or the run ends before it does).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from wdtheory.analysis import rotation
from wdtheory.analysis.budget import DEFAULT_SECONDS, within
from wdtheory.analysis.convert import FRAMEWORKS, Conversion, convert
from wdtheory.analysis.fixed_points import FixedPoint, fixed_point, run_to_convergence
from wdtheory.analysis.scheduling import under
from wdtheory.analysis.transfer import INVARIANTS, LR_RULES, Scale, Transfer, transfer
from wdtheory.core.derivation import Derivation, Notation, Section, Step
from wdtheory.core.errors import WdtheoryError, check_choice, did_you_mean
from wdtheory.core.hyperparams import as_hyper
from wdtheory.core.notation import GRAD, PARAM, SCHEDULE, STEP
from wdtheory.core.roundoff import ROUNDOFF, roundoff_text
from wdtheory.core.spec import Spec, parse_spec
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.schedules import Schedule, constant, from_torch
from wdtheory.optim.schedules import from_spec as schedule_from_spec
from wdtheory.runtime.stepper import Stepper

__all__ = [
    "RECIPE_KEYS",
    "Audit",
    "DecayOverRun",
    "Finding",
    "Group",
    "GroupAudit",
    "Pitfall",
    "Recipe",
    "RotationAudit",
    "Target",
    "audit",
    "decay_factor",
    "decay_over_run",
    "read_recipe",
    "ridge_at_end",
]

#: the top-level keys of a recipe file, and the keys of a group besides hyperparameters
RECIPE_KEYS = (
    "optimizer",
    "schedule",
    "steps",
    "steps_per_epoch",
    "batch_size",
    "examples",
    "width",
    "group",
    "transfer",
)
#: the keys of a recipe's [transfer] table: the new scale and what to keep
TRANSFER_KEYS = ("examples", "batch_size", "steps", "width", "keep", "lr_rule")
GROUP_KEYS = ("name", "vectors", "normalized")

#: a decay whose timescale exceeds the run this many times does little
LONGER_THAN_RUN = 1.0
#: the relative agreement asked of the derived shrink and the run's
AGREEMENT = 1e-9


@dataclass(frozen=True)
class Group:
    """A param group: its name, its optimizer (numbers filled in), whether it holds vectors
    (biases, normalisation scales), which recipes usually leave undecayed, and whether its
    weights feed a normalisation layer (``normalized``: their loss is scale-invariant, and the
    decay sets the angle they turn per step, :mod:`wdtheory.analysis.rotation`)."""

    name: str
    optimizer: Optimizer
    vectors: bool = False
    normalized: bool = False


@dataclass(frozen=True)
class Target:
    """The new recipe a weight decay is transferred to: its ``scale`` (what is left out stays
    as it is), the invariant to ``keep`` and the learning-rate rule it follows."""

    scale: Scale
    keep: str = "epochs"
    lr_rule: str = "constant"

    def __post_init__(self) -> None:
        check_choice("keep", self.keep, INVARIANTS)
        check_choice("lr_rule", self.lr_rule, LR_RULES)


@dataclass(frozen=True)
class Recipe:
    """Param groups, the learning-rate schedule, the run's length in steps and an epoch's;
    ``scale``: the data set, batch and width it runs at (its steps are :attr:`steps`), and
    ``target``: the recipe to transfer its weight decay to (:mod:`wdtheory.analysis.transfer`),
    if any."""

    groups: tuple[Group, ...]
    schedule: Schedule
    steps: int
    steps_per_epoch: int | None = None
    scale: Scale = field(default_factory=Scale)
    target: Target | None = None

    @classmethod
    def from_torch(
        cls,
        optimizer: Any,
        scheduler: Any = None,
        *,
        steps: int,
        steps_per_epoch: int | None = None,
        normalized: tuple[int, ...] = (),
    ) -> Recipe:
        """The recipe of a live ``torch.optim`` optimizer (its param groups as they are, named
        by their ``param_names`` when it was given ``model.named_parameters()``) and, if given,
        its ``lr_scheduler`` (read by :func:`~wdtheory.optim.schedules.from_torch`). A group
        holds vectors when one of its tensors has fewer than 2 dimensions; ``normalized`` are the
        indices of the groups whose weights feed a normalisation layer (torch cannot tell)."""
        groups = []
        count = len(optimizer.param_groups)
        if not isinstance(normalized, tuple | list | set | frozenset):
            raise WdtheoryError(f"normalized={normalized!r}: give a tuple of param-group indices")
        for index in normalized:
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
                raise WdtheoryError(
                    f"normalized={normalized!r}: give indices of the {count} param group(s)"
                )
        for index, group in enumerate(optimizer.param_groups):
            names = group.get("param_names")
            label = f"group {index}" + (
                f" ({', '.join(names[:3])}{', ...' if len(names) > 3 else ''})" if names else ""
            )
            groups.append(
                Group(
                    label,
                    Optimizer.from_spec(_torch_code(type(optimizer).__name__, group)),
                    vectors=any(p.ndim < 2 for p in group["params"]),
                    normalized=index in normalized,
                )
            )
        schedule = constant() if scheduler is None else from_torch(scheduler)
        return cls(tuple(groups), schedule, steps, steps_per_epoch)

    def __post_init__(self) -> None:
        if not self.groups:
            raise WdtheoryError("a recipe needs at least one param group")
        if self.steps < 1 or (self.steps_per_epoch is not None and self.steps_per_epoch < 1):
            raise WdtheoryError(
                f"steps={self.steps}, steps_per_epoch={self.steps_per_epoch}: give whole numbers >= 1"
            )


@dataclass(frozen=True)
class DecayOverRun:
    """The decay of one group over the run. ``factor``: the per-step map of the decay alone,
    :math:`w \\mapsto f(s_t) w` (None where the decay passes through the optimizer's state);
    ``shrink``: :math:`w_T / w_0` of the zero-gradient run (derived from ``factor`` where there is
    one, and ``run_shrink`` the lowered rule's run, which agrees); ``multiplicative``: the run from
    a small :math:`w_0` shrinks by the same factor; ``timescale``: the first step at which
    :math:`|w_t / w_0| \\le 1/e`; ``constant_lr_shrink``: the same without the schedule;
    ``path`` and ``constant_lr_path``: :math:`w_t / w_0` of the two runs, step by step."""

    factor: sp.Expr | None
    shrink: float
    run_shrink: float
    multiplicative: bool
    timescale: int | None
    constant_lr_shrink: float
    path: np.ndarray = field(compare=False, repr=False, default_factory=lambda: np.ones(0))
    constant_lr_path: np.ndarray = field(
        compare=False, repr=False, default_factory=lambda: np.ones(0)
    )


@dataclass(frozen=True)
class RotationAudit:
    r"""A normalised group's angle per step at its norm's equilibrium, at the schedule's peak
    multiplier ``peak`` (:mod:`wdtheory.analysis.rotation`). ``angle``: :math:`\theta^*(s_t) =
    \arccos f(s_t)`, derived where the decay is a per-step factor :math:`f` (None otherwise);
    ``derived``: its value at the peak; ``measured``: the lowered rule's mean angle per step on
    scale-invariant gradients over the last tenth of ``steps`` steps at the peak, ``settled``
    if it agreed with the tenth before; ``relaxation``: steps per e-fold of the norm at the peak
    (derived with the factor; otherwise estimated from the decay's measured timescale there, the
    norm's square relaxing at twice (Adam-type) or four times (SGD-type) the weight's rate);
    ``correlated``: the rule's momentum correlates successive updates, which the derivation
    assumes they are not (the measured angle is then smaller)."""

    kind: str
    angle: sp.Expr | None
    peak: float
    derived: float | None
    measured: float
    steps: int
    relaxation: float
    correlated: bool
    settled: bool = True


class Pitfall(StrEnum):
    """What an audit flags (printed as its value)."""

    L2_IN_PRECONDITIONER = "L2 inside the preconditioner"
    DECAY_ON_VECTORS = "decay on biases or normalisation scales"
    LONGER_THAN_RUN = "decay timescale longer than the run"
    NOT_AT_EQUILIBRIUM = "the norm of normalised weights does not settle within the run"
    GROWS = "the decay step overshoots: |w| grows"
    SHORTER_THAN_EPOCH = "decay timescale shorter than an epoch"
    FOLLOWS_SCHEDULE = "decay follows the learning-rate schedule"
    IGNORES_SCHEDULE = "decay does not follow the learning-rate schedule"
    SCHEDULE_ENDS_EARLY = "the schedule settles before the run ends"
    RUN_ENDS_EARLY = "the run ends before its schedule does"


@dataclass(frozen=True)
class Finding:
    """A pitfall in a group, with the quantity that shows it (``value``, explained in
    ``quantity``)."""

    pitfall: Pitfall
    group: str
    quantity: str
    value: float


@dataclass(frozen=True)
class GroupAudit:
    r"""One group's answers: its decay ``mode``, its ``conversions`` to the other frameworks,
    the ``decay`` over the run (None without decay), its rest point on least squares
    (``fixed``: a ridge solution with :math:`\lambda_{\mathrm{eff}}`, or none) and, for a
    normalised group with decay, its ``rotation`` at equilibrium, when the recipe names a
    target, the weight decay that ``transfer`` gives the new recipe, and ``ridge_gap``: the
    relative difference of the strength a run of the rule rests at from the derived
    :math:`\lambda_{\mathrm{eff}}` (:func:`ridge_gap`)."""

    group: Group
    mode: str
    conversions: tuple[Conversion, ...]
    decay: DecayOverRun | None
    fixed: FixedPoint | None = None
    rotation: RotationAudit | None = None
    transfer: Transfer | None = None
    ridge_gap: float | None = None


@dataclass(frozen=True)
class Audit:
    recipe: Recipe
    groups: tuple[GroupAudit, ...]
    findings: tuple[Finding, ...]

    def explain(self) -> Derivation:
        return _explain(self)


def audit(
    recipe: Recipe,
    *,
    frameworks: tuple[str, ...] = FRAMEWORKS,
    budget: float | None = DEFAULT_SECONDS,
) -> Audit:
    """Audit every group of ``recipe`` (see the module doc); groups with the same optimizer
    share its answers. The searches (conversions, rest points) share ``budget`` seconds: what
    is still undecided then says so."""
    done: dict[str, GroupAudit] = {}
    groups = []
    for group in recipe.groups:
        key = f"{group.optimizer.text} {group.normalized}"
        if key not in done:
            done[key] = _audit_group(group, recipe, frameworks, budget)
        groups.append(dataclasses.replace(done[key], group=group))
    groups = tuple(groups)
    findings = (*_schedule_findings(recipe), *(f for g in groups for f in _findings(g, recipe)))
    return Audit(recipe, groups, findings)


def read_recipe(path: str | Path) -> Recipe:
    """A recipe from a TOML file (see the module doc): parsed by :mod:`tomllib`, every spec by
    the safe parser; a bad entry is one line naming it."""
    where = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise WdtheoryError(f"cannot read the recipe {where!r}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise WdtheoryError(f"{where!r} is not a TOML file: {error}") from None
    for key in data:
        if key not in RECIPE_KEYS:
            raise WdtheoryError(
                f"{where}: unknown key {key!r}{did_you_mean(key, RECIPE_KEYS)}; "
                f"allowed: {', '.join(RECIPE_KEYS)}"
            )
    if not isinstance(data.get("optimizer"), str):
        raise WdtheoryError(f'{where}: give optimizer = "SPEC", e.g. "torch.adamw(lr=3e-4)"')
    try:
        base = parse_spec(data["optimizer"])
    except WdtheoryError as error:
        raise WdtheoryError(f"{where}: optimizer: {error}") from None
    try:
        schedule = schedule_from_spec(str(data.get("schedule", "constant()")))
    except WdtheoryError as error:
        raise WdtheoryError(f"{where}: schedule: {error}") from None
    entries = data.get("group", [{"name": "all parameters"}])
    if not isinstance(entries, list) or not entries:
        raise WdtheoryError(f"{where}: write each param group as [[group]]")
    groups = tuple(
        _recipe_group(base, entry, f"{where}: group {i}") for i, entry in enumerate(entries, 1)
    )
    steps, per_epoch = data.get("steps"), data.get("steps_per_epoch")
    for name, value in (("steps", steps), ("steps_per_epoch", per_epoch)):
        if (value is not None or name == "steps") and (
            isinstance(value, bool) or not isinstance(value, int)
        ):
            raise WdtheoryError(f"{where}: {name}={value!r}; give a whole number of steps")
    scale = _scale(data, where)
    if scale.examples is None and scale.batch is not None and per_epoch is not None:
        scale = dataclasses.replace(scale, examples=scale.batch * per_epoch)
    target = None
    if "transfer" in data:
        old = dataclasses.replace(scale, steps=steps if isinstance(steps, int) else None)
        target = _target(data["transfer"], f"{where}: transfer", old)
    return Recipe(groups, schedule, steps, per_epoch, scale, target)


def _scale(table: dict[str, Any], where: str, steps: bool = False) -> Scale:
    """The scale a recipe file's table gives (``batch_size``, ``examples``, ``width`` and, in
    the [transfer] table, ``steps``); a bad number is one line naming ``where``."""
    try:
        return Scale(
            examples=table.get("examples"),
            batch=table.get("batch_size"),
            width=table.get("width"),
            steps=table.get("steps") if steps else None,
        )
    except WdtheoryError as error:
        raise WdtheoryError(f"{where}: {str(error).replace('batch=', 'batch_size=')}") from None


def _target(table: object, where: str, old: Scale) -> Target:
    """The [transfer] table: the new scale and what to keep, checked now (a transfer that needs
    a scale the recipe does not give is refused here, naming it)."""
    if not isinstance(table, dict):
        raise WdtheoryError(f"{where}: write it as a [transfer] table")
    for key in table:
        if key not in TRANSFER_KEYS:
            raise WdtheoryError(
                f"{where}: unknown key {key!r}{did_you_mean(key, TRANSFER_KEYS)}; "
                f"allowed: {', '.join(TRANSFER_KEYS)}"
            )
    for key, allowed in (("keep", INVARIANTS), ("lr_rule", LR_RULES)):
        if key in table and not isinstance(table[key], str):
            raise WdtheoryError(f"{where}: {key}={table[key]!r}; allowed: {', '.join(allowed)}")
    new = _scale(table, where, steps=True)
    try:
        target = Target(
            new, keep=table.get("keep", "epochs"), lr_rule=table.get("lr_rule", "constant")
        )
        transfer(1.0, 1.0, old, new, keep=target.keep, lr_rule=target.lr_rule)  # complete?
    except WdtheoryError as error:
        raise WdtheoryError(f"{where}: {error}") from None
    return target


def _recipe_group(base: Spec, entry: object, where: str) -> Group:
    if not isinstance(entry, dict) or not isinstance(entry.get("name", ""), str):
        raise WdtheoryError(f"{where}: a [[group]] table with a name")
    overrides = {k: v for k, v in entry.items() if k not in GROUP_KEYS}
    vectors, normalized = entry.get("vectors", False), entry.get("normalized", False)
    for key, value in (("vectors", vectors), ("normalized", normalized)):
        if not isinstance(value, bool):
            raise WdtheoryError(f"{where}: {key}={value!r}; allowed: true, false")
    params = dict(base.params)
    for key, value in overrides.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise WdtheoryError(f"{where}: {key}={value!r}; a hyperparameter is a number")
        params[key] = as_hyper(key, value)
    try:
        optimizer = Optimizer.from_spec(dataclasses.replace(base, params=tuple(params.items())))
    except WdtheoryError as error:
        raise WdtheoryError(f"{where}: {error}") from None
    return Group(entry.get("name") or where.rsplit(": ", 1)[-1], optimizer, vectors, normalized)


def _audit_group(
    group: Group, recipe: Recipe, frameworks: tuple[str, ...], budget: float | None
) -> GroupAudit:
    """One group's answers: the searches (conversions, rest point) within ``budget`` seconds,
    the runs of the lowered rule (bounded by their step counts) outside it."""
    optimizer = group.optimizer
    mode = optimizer.decay_mode
    # under a schedule that varies, the rule as the recipe runs it: every eta is eta*s_t, so
    # that a conversion must follow the schedule the same way (the paper's independent decay
    # does not: under a varying schedule it is no library's decay) and the rest point may
    # depend on s_t
    rule = under(optimizer, recipe.schedule)
    with within(budget):
        conversions = tuple(  # the near misses are not shown: not searched
            convert(rule, fw, near=False) for fw in frameworks if fw != _framework(optimizer)
        )
        fixed = None if mode == "none" else rest_point(rule)
    decay = None if mode == "none" else decay_over_run(optimizer, recipe)
    rotation = (
        rotation_audit(optimizer, recipe, decay) if decay is not None and group.normalized else None
    )
    moved = None if decay is None else _transfer(optimizer, decay, recipe)
    gap = None if fixed is None else ridge_gap(optimizer, fixed)
    return GroupAudit(group, mode, conversions, decay, fixed, rotation, moved, gap)


#: the least-squares problem a rest point is checked on: examples, coordinates, steps
CHECK_SHAPE, CHECK_STEPS = (32, 3), 6000


def ridge_gap(optimizer: Optimizer, fixed: FixedPoint) -> float | None:
    r"""A ridge rest point checked by running the rule: the lowered rule at a constant learning
    rate is run to rest on a small seeded least-squares problem (its curvature scaled to the
    rule's step, :math:`\eta\kappa/(1-\mu)`, so that it converges), the strength it rests at
    is measured, :math:`\hat\lambda = -\mathbf{w}\cdot\mathbf{g}/\|\mathbf{w}\|^2` with
    :math:`\mathbf{g} = H\mathbf{w} - \mathbf{c}` (ridge's condition
    :math:`\mathbf{g} + \lambda\mathbf{w} = 0`), and the result is its relative difference
    from the derived :math:`\lambda_{\mathrm{eff}}`. None where there is nothing to check (no
    ridge rest point, :math:`\lambda_{\mathrm{eff}} = 0`, a step that does not move) or a run
    cannot tell (Adam-type steps stay about the learning rate in size), or the run did not end
    finite."""
    if not fixed.is_ridge or rotation.update_kind(optimizer) == "adam":
        return None
    strength = fixed.ridge_strength.xreplace({SCHEDULE: 1})
    by_role = optimizer.role_values
    used = [by_role[r] for r in ("lr", "momentum", "loss_scale") if r in by_role]
    if strength.free_symbols or any(v.free_symbols for v in used) or strength == 0:
        return None
    step = float(by_role.get("lr", 1)) * float(by_role.get("loss_scale", 1))
    step /= 1 - float(by_role.get("momentum", 0)) or math.nan
    if not 0 < step < math.inf:
        return None
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal(CHECK_SHAPE), rng.standard_normal(CHECK_SHAPE[0])
    n = CHECK_SHAPE[0]
    X *= math.sqrt(0.25 / (step * float(np.linalg.eigvalsh(X.T @ X / n)[-1])))
    with np.errstate(all="ignore"):
        rest = run_to_convergence(optimizer, X, y, steps=CHECK_STEPS)
        gradient = X.T @ (X @ rest - y) / n
        measured = -float(rest @ gradient) / float(rest @ rest)
    gap = abs(measured - float(strength)) / float(strength)
    return gap if math.isfinite(gap) else None


def ridge_at_end(fixed: FixedPoint, recipe: Recipe) -> sp.Expr | None:
    r""":math:`\lambda_{\mathrm{eff}}` at the multiplier the schedule ends with, where it depends on
    :math:`s_t` (None otherwise): the rest point a run that ends there approaches."""
    strength = fixed.ridge_strength
    if strength is None or SCHEDULE not in strength.free_symbols:
        return None
    return strength.xreplace({SCHEDULE: recipe.schedule.at(recipe.steps)})


def _transfer(optimizer: Optimizer, decay: DecayOverRun, recipe: Recipe) -> Transfer | None:
    """The group's weight decay in the recipe's target, for a decay that is a rate per step
    (none for L2 inside a preconditioner, which has no timescale to keep)."""
    if recipe.target is None or (decay.factor is None and not decay.multiplicative):
        return None
    by_role = optimizer.role_values
    old = dataclasses.replace(recipe.scale, steps=recipe.steps)
    return transfer(
        float(by_role["weight_decay"]),
        float(by_role.get("lr", 1)),
        old,
        recipe.target.scale,
        mode=optimizer.decay_mode,
        keep=recipe.target.keep,
        lr_rule=recipe.target.lr_rule,
    )


#: the rest points of rules with their used hyperparameters symbolic, by rule and zero pattern
_RULE_REST: dict[tuple, FixedPoint] = {}


def rest_point(optimizer: Optimizer) -> FixedPoint:
    """:func:`~wdtheory.analysis.fixed_points.fixed_point` of ``optimizer``, derived once per
    rule with the hyperparameters it uses as symbols (the same chain: its zeros stay) and then
    given this optimizer's numbers — recipes ask it of many groups that differ only in numbers."""
    used = sorted(k for k, r in optimizer.definition.params.items() if r in optimizer.used_roles)
    key = (
        optimizer.name,
        tuple(sorted(map(str, optimizer.flags.items()))),
        tuple(used),
        tuple(k for k in used if optimizer.values[k] == 0),
        optimizer.follows_schedule,
    )
    rule = _RULE_REST.get(key) or fixed_point(optimizer.unbind(used))
    if rule.decided:  # one that ran out of time is asked again next time
        _RULE_REST[key] = rule
    values = optimizer.symbols
    return dataclasses.replace(
        rule,
        optimizer=optimizer,
        gradient=None if rule.gradient is None else rule.gradient.xreplace(values),
        ridge_strength=None
        if rule.ridge_strength is None
        else rule.ridge_strength.xreplace(values),
        states={s: v.xreplace(values) for s, v in rule.states.items()},
        history={s: v.xreplace(values) for s, v in rule.history.items()},
    )


#: param-group keys that are no constructor arguments (torch's bookkeeping)
_NOT_ARGUMENTS = {"params", "param_names", "initial_lr"}


def _torch_code(class_name: str, group: dict[str, Any]) -> str:
    """A param group as the constructor call that makes it, read by the spec parser like code
    copied from a training script (``torch.optim.AdamW(params, lr=..., betas=(...), ...)``)."""
    arguments = {k: v for k, v in group.items() if k not in _NOT_ARGUMENTS}
    if "initial_lr" in group:  # a scheduler's: lr is already scaled by its first multiplier
        arguments["lr"] = group["initial_lr"]
    if class_name == "AdamW":  # torch's AdamW is Adam(decoupled_weight_decay=True) inside
        arguments.pop("decoupled_weight_decay", None)
    text = ", ".join(f"{key}={_literal(value)}" for key, value in arguments.items())
    return f"torch.optim.{class_name}(params, {text})"


def _literal(value: Any) -> str:
    """A group value as spec text: numbers, booleans, None and tuples of them."""
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if value is None or isinstance(value, bool):
        return repr(value)
    try:
        return repr(float(value))
    except (TypeError, ValueError):
        raise WdtheoryError(f"a param group value {value!r} that is no number") from None


def _framework(optimizer: Optimizer) -> str:
    return optimizer.name.split(".", 1)[0] if "." in optimizer.name else ""


def decay_factor(optimizer: Optimizer) -> sp.Expr | None:
    r"""The per-step factor :math:`f(s_t)` of the decay alone, :math:`w_{t+1} = f(s_t) w_t` at
    :math:`g = 0`, derived from the scheduled rule; None where the decay feeds the optimizer's
    state (the states do not stay at their initial values), so that no per-step factor exists."""
    rule = optimizer.scheduled()
    values = {symbol: value for symbol, value in rule.symbols.items()}
    initial = {slot.symbol: sp.sympify(slot.init).xreplace(values) for slot in rule.chain.states}
    for first in (True, False):
        step = rule.program(first).one_step()
        at_rest = {GRAD: sp.S.Zero, **initial}
        for slot in rule.chain.states:
            if (
                sp.simplify(
                    step[slot.symbol].xreplace(at_rest).xreplace(values) - initial[slot.symbol]
                )
                != 0
            ):
                return None
        factor = sp.simplify(step[PARAM].xreplace(at_rest).xreplace(values) / PARAM)
        if PARAM in factor.free_symbols or STEP in factor.free_symbols:
            return None  # not a factor of the multiplier alone (Adagrad's lr_decay: of t too)
    return factor


def decay_over_run(optimizer: Optimizer, recipe: Recipe) -> DecayOverRun:
    """The decay of ``optimizer`` alone over the recipe's run: derived where a per-step factor
    exists, always run (see the module doc)."""
    multipliers = recipe.schedule.values(recipe.steps)
    factor = decay_factor(optimizer)
    both = _zero_gradient_run(optimizer, multipliers)
    if not np.all(np.isfinite(both)):
        raise WdtheoryError(
            f"{optimizer.text}: with zero gradients the step divides 0 by 0 (eps=0) or overflows; "
            "give eps > 0 and a decay with eta*lambda*s_t < 2"
        )
    path, run_shrink = both[:, 0], float(both[-1, 0])
    multiplicative = math.isclose(both[-1, 1], run_shrink, rel_tol=1e-6, abs_tol=1e-12)
    if factor is not None:  # derived, and checked against the run
        shrink = float(np.prod(_evaluate(factor, multipliers)))
        if not math.isclose(shrink, run_shrink, rel_tol=AGREEMENT * recipe.steps, abs_tol=1e-300):
            raise WdtheoryError(  # an engine bug, not a user error: say so loudly
                f"the derived shrink {shrink!r} disagrees with the lowered rule's {run_shrink!r}"
            )
        constant_steps = _evaluate(factor, np.ones(recipe.steps))
        constant_path = np.cumprod(constant_steps)
        constant_lr = float(np.prod(constant_steps))
    else:
        constant_path = _zero_gradient_run(optimizer, np.ones(recipe.steps))[:, 0]
        shrink, constant_lr = run_shrink, float(constant_path[-1])
    return DecayOverRun(
        factor, shrink, run_shrink, multiplicative, _e_fold(path), constant_lr, path, constant_path
    )


def _e_fold(path: np.ndarray) -> int | None:
    r"""The first step at which :math:`|w_t / w_0| \le 1/e` (None if none does)."""
    below = np.flatnonzero(np.abs(path) <= math.exp(-1))
    return int(below[0]) + 1 if below.size else None


def rotation_audit(
    optimizer: Optimizer, recipe: Recipe, decay: DecayOverRun
) -> RotationAudit | None:
    r"""The angle per step of ``optimizer``'s weights when they feed a normalisation layer, at
    the schedule's peak multiplier: derived (:math:`\theta^* = \arccos f`, where the decay is a
    per-step factor with :math:`0 < f < 1`) and measured by running the lowered rule on
    scale-invariant gradients (:func:`~wdtheory.analysis.rotation.measure_rotation`); None
    where the decay does not shrink the weight (it grows it: a finding of its own). ``decay``:
    the group's :func:`decay_over_run`, whose derived factor this uses."""
    peak = float(np.max(recipe.schedule.values(recipe.steps)))
    kind = rotation.update_kind(optimizer)
    derivation = rotation.derive_rotation(kind)
    factor = decay.factor
    start = 1.0
    if factor is not None:
        at_peak = float(factor.xreplace({SCHEDULE: peak}))
        if not 0 < at_peak < 1:
            return None
        angle = derivation.angle.xreplace({rotation.F: factor})
        derived = float(derivation.angle.xreplace({rotation.F: at_peak}))
        relaxation = float(derivation.relaxation.xreplace({rotation.F: at_peak}))
        start = rotation.start_norm(optimizer, kind, peak, at_peak)
    else:  # the decay passes through a state: from its timescale at the peak, measured
        angle = derived = None
        path = _zero_gradient_run(optimizer, np.full(2 * rotation.MAX_STEPS, peak))[:, 0]
        timescale = _e_fold(path)
        if timescale is None and abs(path[-1]) > 1:
            return None
        relaxation = (timescale or 2 * rotation.MAX_STEPS) / rotation.NORM_RATE[kind]
    steps = rotation.settling_steps(relaxation)
    measured = rotation.measure_rotation(optimizer, peak, steps, start)
    correlated = rotation.correlates_updates(optimizer)
    return RotationAudit(
        kind, angle, peak, derived, measured.angle, steps, relaxation, correlated, measured.settled
    )


def _evaluate(factor: sp.Expr, multipliers: np.ndarray) -> np.ndarray:
    """``factor`` (a polynomial in :math:`s_t`, as every rule's is) at each multiplier."""
    coefficients = [float(c) for c in sp.Poly(factor, SCHEDULE).all_coeffs()]
    return np.polyval(coefficients, multipliers)


def _zero_gradient_run(optimizer: Optimizer, multipliers: np.ndarray) -> np.ndarray:
    """:math:`w_t / w_0` for :math:`t = 1..T` of the lowered rule with zero gradients, from
    :math:`w_0 = 1` and :math:`w_0 = 10^{-3}` (two coordinates of one run: the rule acts on each
    alone), shape (T, 2); the fused kernel bound to the arrays, a microsecond a step."""
    starts = np.array([1.0, 1e-3])
    params, grads = starts.copy(), np.zeros(2)
    step = Stepper(optimizer.scheduled(), "numba", validate=False).bind(params, grads)
    path = np.empty((len(multipliers), 2))
    for index, multiplier in enumerate(multipliers.tolist()):
        step(multiplier)
        path[index] = params
    return path / starts


def _schedule_findings(recipe: Recipe) -> list[Finding]:
    """A schedule whose length is not the run's: it settles early (the rest of the run at its
    final multiplier) or is cut short (the run ends before the annealing does)."""
    length, steps = recipe.schedule.length, recipe.steps
    if not length or length == steps:
        return []
    final = float(recipe.schedule.at(steps))
    if length < steps:
        return [
            Finding(
                Pitfall.SCHEDULE_ENDS_EARLY,
                "all groups",
                f"steps run at the schedule's final multiplier {final:.4g} (it settles after step "
                f"{length})",
                float(steps - length),
            )
        ]
    return [
        Finding(
            Pitfall.RUN_ENDS_EARLY,
            "all groups",
            f"the multiplier at the run's last step (the schedule runs to step {length}, to "
            f"{float(recipe.schedule.at(length + 1)):.4g})",
            final,
        )
    ]


def _findings(group: GroupAudit, recipe: Recipe) -> list[Finding]:
    found: list[Finding] = []
    name, decay = group.group.name, group.decay
    if decay is None:
        return found
    if group.group.vectors:
        found.append(
            Finding(
                Pitfall.DECAY_ON_VECTORS, name, "shrink of these vectors over the run", decay.shrink
            )
        )
    if group.mode == "coupled" and decay.factor is None and not decay.multiplicative:
        flags = _decoupled_flags(group.group.optimizer)
        reference = (
            None
            if flags is None
            else decay_over_run(dataclasses.replace(group.group.optimizer, flags=flags), recipe)
        )
        found.append(
            Finding(
                Pitfall.L2_IN_PRECONDITIONER,
                name,
                "steps for the decay alone to shrink w = 1 by e (it moves w by steps of about "
                "eta s_t, whatever w is); the decoupled form's: "
                + (_timescale_text(reference) if reference else "not defined"),
                float(decay.timescale or recipe.steps),
            )
        )
    if abs(decay.shrink) > 1 or (
        decay.factor is not None and float(decay.factor.subs(SCHEDULE, 1)) <= -1
    ):
        found.append(
            Finding(
                Pitfall.GROWS, name, "total factor on w over the run (|.| > 1 grows)", decay.shrink
            )
        )
    elif decay.timescale is None and abs(decay.shrink) > math.exp(-LONGER_THAN_RUN):
        found.append(
            Finding(
                Pitfall.LONGER_THAN_RUN, name, "total shrink over the run (1 = none)", decay.shrink
            )
        )
    if (
        decay.timescale is not None
        and recipe.steps_per_epoch is not None
        and decay.timescale < recipe.steps_per_epoch
    ):
        found.append(
            Finding(
                Pitfall.SHORTER_THAN_EPOCH,
                name,
                f"steps to shrink w by e (an epoch is {recipe.steps_per_epoch} steps)",
                float(decay.timescale),
            )
        )
    if group.rotation is not None and group.rotation.relaxation > recipe.steps:
        found.append(
            Finding(
                Pitfall.NOT_AT_EQUILIBRIUM,
                name,
                f"steps per e-fold of the norm at the peak learning rate (the run: {recipe.steps})",
                group.rotation.relaxation,
            )
        )
    multipliers = recipe.schedule.values(recipe.steps)
    if (
        decay.factor is not None
        and SCHEDULE not in decay.factor.free_symbols
        and recipe.schedule.varies
        and multipliers[-1] > 0
    ):
        found.append(
            Finding(
                Pitfall.IGNORES_SCHEDULE,
                name,
                "the decay against the gradient step at the schedule's end, relative to at its "
                "peak (the step anneals, the decay does not)",
                float(multipliers.max() / multipliers[-1]),
            )
        )
    follows = _log_ratio(decay.shrink, decay.constant_lr_shrink)
    if follows is not None and abs(follows - 1) > 1e-9:
        found.append(
            Finding(
                Pitfall.FOLLOWS_SCHEDULE,
                name,
                "log shrink under the schedule over log shrink at a constant learning rate",
                follows,
            )
        )
    return found


def _shown(value: float, digits: int = 6) -> str:
    """A number as the pages print it: round-off-sized ones as ``< 1e-12``, so that the text is
    the same on every machine."""
    return roundoff_text(abs(value), digits) if abs(value) < ROUNDOFF else f"{value:.{digits}g}"


def _timescale_text(decay: DecayOverRun) -> str:
    return "longer than the run" if decay.timescale is None else f"{decay.timescale} steps"


def _decoupled_flags(optimizer: Optimizer) -> dict[str, object] | None:
    """The switches of the same optimizer with decoupled decay, if its definition allows it."""
    flags = dict(optimizer.flags)
    if "decoupled_weight_decay" in flags:
        flags["decoupled_weight_decay"] = True
        return flags
    allowed = optimizer.definition.flags.get("decay", ())
    if "decoupled" in allowed:
        flags["decay"] = "decoupled"
        return flags
    return None


def _log_ratio(shrink: float, constant_lr_shrink: float) -> float | None:
    if not (0 < shrink < 1 and 0 < constant_lr_shrink < 1):
        return None
    return math.log(shrink) / math.log(constant_lr_shrink)


def _explain(result: Audit) -> Derivation:
    recipe = result.recipe
    sections = []
    for group in result.groups:
        steps, notes = [], []
        decay = group.decay
        if decay is not None and decay.factor is not None:
            steps.append(
                Step(
                    Notation("w_{t+1} / w_t", r"w_{t+1} / w_t"),
                    decay.factor,
                    "the decay alone (g = 0), one step under the schedule, derived",
                )
            )
        if decay is not None:
            notes.append(
                f"total shrink over {recipe.steps} steps: {_shown(decay.shrink)} (the lowered "
                f"rule's zero-gradient run: {_shown(decay.run_shrink)}; at a constant learning "
                f"rate: {_shown(decay.constant_lr_shrink)})"
            )
            notes.append(
                "timescale: "
                + (
                    f"{decay.timescale} steps"
                    + (
                        f" = {decay.timescale / recipe.steps_per_epoch:.3g} epochs"
                        if recipe.steps_per_epoch
                        else ""
                    )
                    if decay.timescale is not None
                    else "longer than the run"
                )
            )
        turn = group.rotation
        if turn is not None:
            if turn.angle is not None:
                steps.append(
                    Step(
                        Notation("theta*", r"\theta^*"),
                        turn.angle,
                        "angle per step of normalised weights at their norm's equilibrium "
                        "(cos theta* = w_{t+1}/w_t, proved in wdtheory.analysis.rotation)",
                    )
                )
            notes.append(
                f"normalised weights at the peak multiplier s = {turn.peak:g}: angle per step "
                + (f"{turn.derived:.4g} rad derived, " if turn.derived is not None else "")
                + f"{turn.measured:.4g} rad measured (the lowered rule, {turn.steps} steps on "
                "scale-invariant gradients"
                + ("" if turn.settled else "; not settled when the run stopped")
                + ")"
                + (
                    "; momentum correlates successive updates, which the derivation assumes "
                    "they are not: each step turns less"
                    if turn.correlated and turn.derived is not None
                    else ""
                )
            )
            notes.append(f"the norm settles by e every {turn.relaxation:.4g} steps")
        if group.fixed is not None:
            at_end = ridge_at_end(group.fixed, recipe)
            notes.append(
                "at rest on least squares: "
                + (
                    f"ridge with lambda_eff = {sp.sstr(group.fixed.ridge_strength)}"
                    if group.fixed.is_ridge
                    else "no ridge solution (lambda_eff would depend on w)"
                )
                + (
                    ""
                    if at_end is None
                    else f"; at the schedule's last multiplier, lambda_eff = {float(at_end):.6g}"
                )
                + (
                    ""
                    if group.ridge_gap is None
                    else "; checked by running the rule to rest on least squares (constant "
                    "learning rate): the strength it rests at differs from lambda_eff by "
                    f"{_shown(group.ridge_gap, 2)} (relative)"
                )
            )
        if group.transfer is not None:
            (moved,) = group.transfer.derivation.sections
            steps.extend(moved.steps)
            target = recipe.target
            notes.append(
                f"in the new recipe ({_scale_text(target.scale)}, learning rate by the "
                f"{target.lr_rule} rule, timescale in {target.keep} kept): weight_decay = "
                f"{float(group.transfer.value):.6g}"
            )
        follows = " (its learning rate following the same schedule)" * recipe.schedule.varies
        for conversion in group.conversions:
            answer = conversion.code or (conversion.target.text if conversion.target else None)
            notes.append(
                f"in {conversion.framework}: "
                + (f"{answer}{follows}" if answer else str(conversion.reason))
            )
        sections.append(
            Section(
                f"{group.group.name}: {group.group.optimizer.text}, decay {group.mode}",
                tuple(steps),
                notes=tuple(notes),
            )
        )
    findings = tuple(
        f"{f.group}: {f.pitfall} ({f.quantity}: {_shown(f.value, 4)})" for f in result.findings
    )
    sections.append(Section("Findings", (), notes=findings or ("none",)))
    return Derivation(f"audit: {recipe.schedule.text}, {recipe.steps} steps", tuple(sections))


def _scale_text(scale: Scale) -> str:
    shown = {"examples": scale.examples, "batch size": scale.batch, "steps": scale.steps}
    shown["width"] = scale.width
    return ", ".join(f"{k} {v}" for k, v in shown.items() if v is not None) or "the same scale"
