r"""Transferring a weight decay to a new recipe: the :math:`\lambda'` that keeps the decay's
timescale when the data set, the batch, the run or the width change.

The decay alone shrinks a weight by :math:`1 - r\,s_t` per step (see
:mod:`wdtheory.analysis.audit`), with :math:`r = \eta\lambda` for the libraries' decoupled decay
(and L2 with plain SGD) and :math:`r = \lambda` for the paper's independent decay. Its timescale
is :math:`\tau = 1/(r\,\bar s)` steps to leading order in :math:`r` (:math:`\bar s` the schedule's
mean multiplier, unchanged by a rescaled run), that is :math:`\tau B/N` epochs for :math:`N`
examples in batches of :math:`B`, or the fraction :math:`\tau/T` of a run of :math:`T` steps.
Three invariants, each kept by one :math:`\lambda'`:

* ``steps``: :math:`\tau' = \tau`;
* ``epochs``: :math:`\tau' B'/N' = \tau B/N` (the same number of passes over the data per
  e-fold of the weights);
* ``run``: :math:`\tau'/T' = \tau/T` (the same total shrink over the run).

The learning rate of the new recipe follows the rule the user states: ``constant``;
``linear`` (:math:`\eta \propto B`, the linear scaling rule) or ``sqrt`` (:math:`\eta \propto
\sqrt B`) in the batch size; ``mup`` (:math:`\eta \propto 1/\text{width}`, μP's rule for Adam on
hidden weight matrices). The equation :math:`\tau'(\lambda') = \tau` is solved by SymPy for
:math:`\lambda'`, and the answer is the formula and its number.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from wdtheory.core.derivation import Derivation, Notation, Section, Step
from wdtheory.core.errors import WdtheoryError, check_choice
from wdtheory.core.hyperparams import as_nonnegative
from wdtheory.core.notation import BATCH_SIZE, ETA, LAMBDA, N

__all__ = ["INVARIANTS", "LR_RULES", "Scale", "Transfer", "transfer"]

INVARIANTS = ("steps", "epochs", "run")
LR_RULES = ("constant", "linear", "sqrt", "mup")
MODES = ("decoupled", "coupled", "independent")

#: the recipe's scale: examples and batch size (the shared notation's), steps of the run, width
B = BATCH_SIZE
T, WIDTH = sp.symbols("T width", positive=True)
LAMBDA_NEW = sp.Symbol("lambda'", positive=True)


@dataclass(frozen=True)
class Scale:
    """A recipe's scale: data-set size, batch size, steps and width (any left out: unchanged)."""

    examples: int | None = None
    batch: int | None = None
    steps: int | None = None
    width: int | None = None

    def __post_init__(self) -> None:
        for name in ("examples", "batch", "steps", "width"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise WdtheoryError(f"{name}={value!r}: give a whole number >= 1")

    def values(self, primed: bool) -> dict[sp.Symbol, sp.Expr]:
        symbols = (N, B, T, WIDTH)
        names = ("examples", "batch", "steps", "width")
        return {
            _prime(s) if primed else s: sp.Integer(getattr(self, n))
            for s, n in zip(symbols, names, strict=True)
            if getattr(self, n) is not None
        }


@dataclass(frozen=True)
class Transfer:
    """The weight decay of the new recipe: ``formula`` (:math:`\\lambda'` in terms of the old
    recipe and the new scale, symbolic) and ``value`` (at the numbers given), with the
    derivation."""

    formula: sp.Expr
    value: sp.Expr
    derivation: Derivation


def _prime(symbol: sp.Symbol) -> sp.Symbol:
    return sp.Symbol(f"{symbol.name}'", **symbol.assumptions0)


def transfer(
    weight_decay: float,
    lr: float,
    old: Scale,
    new: Scale,
    *,
    mode: str = "decoupled",
    keep: str = "epochs",
    lr_rule: str = "constant",
) -> Transfer:
    """The :math:`\\lambda'` that keeps the ``keep`` invariant from ``old`` to ``new`` (see the
    module doc) for a decay of ``mode``, the learning rate following ``lr_rule``."""
    check_choice("mode", mode, MODES)
    check_choice("keep", keep, INVARIANTS)
    check_choice("lr_rule", lr_rule, LR_RULES)
    eta_new = _new_lr(lr_rule)
    rate_old = (ETA if mode != "independent" else 1) * LAMBDA
    rate_new = (eta_new if mode != "independent" else 1) * LAMBDA_NEW
    tau_old, tau_new = 1 / rate_old, 1 / rate_new
    per = {"steps": (1, 1), "epochs": (B / N, _prime(B) / _prime(N)), "run": (1 / T, 1 / _prime(T))}
    old_factor, new_factor = per[keep]
    equation = sp.Eq(tau_new * new_factor, tau_old * old_factor)
    (formula,) = sp.solve(equation, LAMBDA_NEW)
    formula = sp.simplify(formula)
    given = {ETA: as_nonnegative("lr", lr), LAMBDA: as_nonnegative("weight_decay", weight_decay)}
    given |= old.values(primed=False) | new.values(primed=True)
    for symbol, primed in ((N, _prime(N)), (B, _prime(B)), (T, _prime(T)), (WIDTH, _prime(WIDTH))):
        given.setdefault(primed, given.get(symbol, symbol))  # unchanged where not given
    value = sp.simplify(formula.xreplace(given))
    if value.free_symbols:
        missing = ", ".join(sorted({str(s).rstrip("'") for s in value.free_symbols}))
        raise WdtheoryError(
            f"keeping the timescale in {keep} with the {lr_rule} learning-rate rule needs {missing} "
            "of the old and the new recipe"
        )
    steps = (
        Step(Notation("r", "r"), rate_old, "the decay's rate per step (the shrink is 1 - r s_t)"),
        Step(
            Notation("r'", "r'"),
            rate_new,
            f"the new recipe's, its learning rate by the {lr_rule} rule",
        ),
        Step(equation.lhs, equation.rhs, f"the timescale in {keep} kept"),
        Step(LAMBDA_NEW, formula, "solved by SymPy"),
        Step(LAMBDA_NEW, value, "at the numbers given"),
    )
    section = Section(f"{mode} decay, timescale in {keep} kept", steps)
    return Transfer(formula, value, Derivation("transfer of the weight decay", (section,)))


def _new_lr(rule: str) -> sp.Expr:
    """The new recipe's learning rate :math:`\\eta'` by the stated rule."""
    if rule == "linear":
        return ETA * _prime(B) / B
    if rule == "sqrt":
        return ETA * sp.sqrt(_prime(B) / B)
    if rule == "mup":
        return ETA * WIDTH / _prime(WIDTH)
    return ETA
