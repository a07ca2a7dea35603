r"""Planning the kernel of an update rule: what every backend prints, computed once.

One :class:`KernelPlan` is made from a :class:`~wdtheory.optim.transforms.Program` and every
backend is printed from it (:mod:`wdtheory.lowering.printers`), so all lowerings compute the same
expressions:

1. the assignments are put in single-assignment form (``m`` → ``m_new``);
2. every subexpression that depends on scalars only (hyperparameters, the step count :math:`t`,
   the schedule multiplier, numeric constants) is **hoisted** into a prologue evaluated once per
   step, in float64, and cast to the arrays' dtype — e.g. :math:`1 - \beta_1^t` or
   :math:`\eta\sqrt{1-\beta_2^t}`; the per-element code then only sees arrays and those
   constants, so float32 kernels stay in float32;
3. like terms are merged across a scalar factor: where a sum holds a scalar multiple of another
   sum, a term of the inner sum with the same per-element part as a term of the outer one joins
   it, :math:`w - \eta(\lambda w + u) \to (1 - \eta\lambda)\,w - \eta u`, so the coefficient
   :math:`1 - \eta\lambda` is one hoisted constant (decoupled decay then costs one
   multiplication per element, as in ``torch.optim``'s ``param.mul_(1 - lr * wd)``); the
   rounding differs from the unmerged form in the last bit only;
4. common subexpressions of the per-element code are shared (``sympy.cse``).

"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from wdtheory.core.notation import GRAD, PARAM, SCHEDULE, STEP
from wdtheory.optim.transforms import Program

__all__ = ["OPERATION_WEIGHTS", "KernelPlan", "plan_kernel"]


#: weights of SymPy's operation counts: division and powers (every power counts as a square
#: root, though squares are printed as products) cost several multiplications, other functions
#: (sign, abs, max) a few; unnamed operations count 1. A heuristic.
OPERATION_WEIGHTS = {"DIV": 8, "POW": 8, "SIGN": 4, "ABS": 4, "MAX": 4, "MIN": 4}


def _identifier(prefix: str, name: str) -> str:
    """A printable identifier for a symbol name: letters, digits and ``_`` only, prefixed."""
    cleaned = re.sub(r"\W", "_", name.encode("ascii", "replace").decode())
    identifier = f"{prefix}{cleaned}"
    if not identifier.isidentifier() or keyword.iskeyword(identifier):
        raise AssertionError(f"cannot print {name!r} as an identifier")
    return identifier


@dataclass(frozen=True)
class KernelPlan:
    """What every backend prints.

    ``arrays``: the per-element arrays in call order (parameter, gradient, then the states);
    ``outputs``: the arrays written, in order, with the expression of their new value;
    ``scalars``: the scalar inputs (hyperparameter symbols, step, schedule) in call order;
    ``prologue``: hoisted scalar expressions (name, expression in ``scalars``);
    ``body``: per-element temporaries (name, expression) shared between outputs.
    """

    arrays: tuple[sp.Symbol, ...]
    scalars: tuple[sp.Symbol, ...]
    prologue: tuple[tuple[sp.Symbol, sp.Expr], ...]
    body: tuple[tuple[sp.Symbol, sp.Expr], ...]
    outputs: tuple[tuple[sp.Symbol, sp.Expr], ...]

    @cached_property
    def names(self) -> dict[sp.Symbol, str]:
        """The printed name of every symbol the code uses."""
        names: dict[sp.Symbol, str] = {}
        for prefix, symbols in (("a_", self.arrays), ("h_", self.scalars)):
            for symbol in symbols:
                name = _identifier(prefix, symbol.name)
                while name in names.values():  # two names that print alike get distinct suffixes
                    name += "_"
                names[symbol] = name
        names |= {c: c.name for c, _ in self.prologue} | {t: t.name for t, _ in self.body}
        return names

    @cached_property
    def operations(self) -> int:
        """Weighted operations per element of the loop body (SymPy's counts; see
        ``OPERATION_WEIGHTS``)."""
        counts = sp.Add(*(sp.count_ops(e, visual=True) for _, e in (*self.body, *self.outputs)))
        return sum(
            int(n) * OPERATION_WEIGHTS.get(op.name, 1)
            for op, n in counts.as_coefficients_dict().items()
            if op.is_Symbol
        )

    def work_per_element(self, itemsize: int) -> int:
        """The weighted operations of the per-element code plus the bytes it reads and writes
        (each byte counts as one operation; a heuristic, checked by
        ``benchmarks/bench_threshold.py``)."""
        return self.operations + itemsize * (len(self.arrays) + len(self.outputs))

    @property
    def states(self) -> tuple[sp.Symbol, ...]:
        return self.arrays[2:]

    @property
    def per_call(self) -> tuple[sp.Symbol, ...]:
        """The scalars that change from call to call: the step count and schedule multiplier."""
        return tuple(s for s in self.scalars if s in (STEP, SCHEDULE))

    @property
    def hyperparameters(self) -> tuple[sp.Symbol, ...]:
        """The other scalars, fixed for the life of a stepper."""
        return tuple(s for s in self.scalars if s not in (STEP, SCHEDULE))


class _Hoister:
    """Replace maximal scalar-only subexpressions by prologue symbols ``c0, c1, ...``."""

    def __init__(self, scalars: set[sp.Symbol]) -> None:
        self.scalars = scalars
        self.prologue: dict[sp.Expr, sp.Symbol] = {}

    def _is_scalar(self, expr: sp.Expr) -> bool:
        return expr.free_symbols <= self.scalars

    def _constant(self, expr: sp.Expr) -> sp.Symbol:
        if expr not in self.prologue:
            self.prologue[expr] = sp.Symbol(f"c{len(self.prologue)}", real=True)
        return self.prologue[expr]

    def __call__(self, expr: sp.Expr) -> sp.Expr:
        if expr.is_Symbol:
            return expr
        if expr.is_Number:
            return expr if expr in (sp.S.One, sp.S.NegativeOne) else self._constant(expr)
        if self._is_scalar(expr):
            return self._constant(expr)
        if expr.is_Pow and expr.exp.is_Number and expr.exp in (2, -1, sp.S.Half, -sp.S.Half):
            return sp.Pow(self(expr.base), expr.exp, evaluate=False)
        if expr.is_Mul and expr.args[0] is sp.S.NegativeOne:
            return sp.Mul(sp.S.NegativeOne, self(sp.Mul(*expr.args[1:])), evaluate=False)
        if expr.is_Add or expr.is_Mul:  # split into the scalar part and the rest, then recurse
            scalar = [a for a in expr.args if self._is_scalar(a)]
            rest = [self(a) for a in expr.args if not self._is_scalar(a)]
            if scalar:
                rest.insert(0, self._constant(expr.func(*scalar)))
            return expr.func(*rest, evaluate=False)
        return expr.func(*(self(a) for a in expr.args))


def _merge_like_terms(expr: sp.Expr, arrays: tuple[sp.Symbol, ...]) -> sp.Expr:
    r"""Merge like terms across scalar factors, everywhere in ``expr`` (innermost sums first).

    In a sum :math:`\sum_j a_j p_j + s\,(\sum_k b_k q_k + r)` with scalar-only coefficients
    :math:`a_j, b_k, s`, every inner term whose per-element part :math:`q_k` equals some outer
    :math:`p_j` moves out: :math:`(a_j + s\,b_k)\,p_j + s\,r`, the rest of the inner sum kept
    whole. Each merge saves a multiplication and an addition per element, unless the inner sum
    was also needed whole elsewhere (a state's new value), which :func:`plan_kernel` weighs."""
    if not expr.args:
        return expr
    expr = expr.func(*(_merge_like_terms(a, arrays) for a in expr.args))
    if not expr.is_Add:
        return expr
    terms = [term.as_independent(*arrays) for term in expr.args]
    outer_parts = {part for _, part in terms}
    merged: dict[sp.Expr, sp.Expr] = {}
    for coefficient, part in terms:
        if part.is_Add:
            kept = []
            for inner_coefficient, inner_part in (t.as_independent(*arrays) for t in part.args):
                if inner_part in outer_parts and inner_part != part:
                    merged[inner_part] = merged.get(inner_part, 0) + coefficient * inner_coefficient
                else:
                    kept.append(inner_coefficient * inner_part)
            part = sp.Add(*kept)
        merged[part] = merged.get(part, 0) + coefficient
    return sp.Add(*(coefficient * part for part, coefficient in merged.items()))


def plan_kernel(program: Program, scalars: tuple[sp.Symbol, ...]) -> KernelPlan:
    """Plan the kernel of ``program`` whose scalar inputs are ``scalars`` (in call order): with
    like terms merged (step 3 of the module doc) where that leaves fewer operations per element
    (it need not: merging a term out of a sum that is also a state's new value unshares it)."""
    new_values = program.one_step()
    states = tuple(slot.symbol for slot in program.states)
    outputs = [(PARAM, new_values[PARAM])] + [(s, new_values[s]) for s in states]
    used = set().union(*(e.free_symbols for _, e in outputs))
    allowed = {PARAM, GRAD, *states, *scalars}
    if not used <= allowed:
        raise AssertionError(f"the program uses unknown symbols {sorted(map(str, used - allowed))}")
    arrays = (PARAM, GRAD, *states)
    merged = [(target, _merge_like_terms(e, arrays)) for target, e in outputs]
    if merged == outputs:  # nothing to merge: one plan
        return _plan(arrays, scalars, outputs)
    # min keeps the first of equals: the rule as derived unless merging saves work
    return min(
        (_plan(arrays, scalars, outputs), _plan(arrays, scalars, merged)),
        key=lambda plan: plan.operations,
    )


def _plan(
    arrays: tuple[sp.Symbol, ...],
    scalars: tuple[sp.Symbol, ...],
    outputs: list[tuple[sp.Symbol, sp.Expr]],
) -> KernelPlan:
    """Hoist the scalar subexpressions of ``outputs`` and share their common subexpressions."""
    hoist = _Hoister(set(scalars))
    hoisted = [hoist(e) for _, e in outputs]
    temporaries, reduced = sp.cse(hoisted, symbols=sp.numbered_symbols("x"), optimizations=None)
    prologue = tuple((symbol, expr) for expr, symbol in hoist.prologue.items())
    return KernelPlan(
        arrays,
        scalars,
        prologue,
        tuple(temporaries),
        tuple((target, expr) for (target, _), expr in zip(outputs, reduced, strict=True)),
    )
