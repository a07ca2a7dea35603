r"""Lowering an update rule to code: array-API functions, fused Numba kernels, CuPy kernels.

One :class:`KernelPlan` is made from a :class:`~wdtheory.optim.transforms.Program` and every backend is
printed from it, so all lowerings compute the same expressions:

1. the assignments are put in single-assignment form (``m`` → ``m_new``);
2. every subexpression that depends on scalars only (hyperparameters, the step count :math:`t`,
   the schedule multiplier, numeric constants) is **hoisted** into a prologue evaluated once per
   step, in float64, and cast to the arrays' dtype — e.g. :math:`1 - \beta_1^t` or
   :math:`\eta\sqrt{1-\beta_2^t}`; the per-element code then only sees arrays and those
   constants, so float32 kernels stay in float32. The array-API and CuPy kernels get the
   constants from a host-side prologue function; the Numba kernel computes them itself, before
   its loop, from the hyperparameters (one float64 array) and the per-call scalars :math:`t` and
   the schedule multiplier, so that a step on a small array costs one call;
3. like terms are merged across a scalar factor: where a sum holds a scalar multiple of another
   sum, a term of the inner sum with the same per-element part as a term of the outer one joins
   it, :math:`w - \eta(\lambda w + u) \to (1 - \eta\lambda)\,w - \eta u`, so the coefficient
   :math:`1 - \eta\lambda` is one hoisted constant (decoupled decay then costs one
   multiplication per element, as in ``torch.optim``'s ``param.mul_(1 - lr * wd)``); the
   rounding differs from the unmerged form in the last bit only;
4. common subexpressions of the per-element code are shared (``sympy.cse``).

Backends: :func:`array_api_source` prints a function against an ``xp`` namespace (NumPy, CuPy,
``array_api_strict``...); :func:`numba_source` prints an in-place loop for
``numba.njit(parallel=..., error_model="numpy")``; :func:`cuda_body` prints the C body of a CuPy
``ElementwiseKernel`` with SymPy's C printer. Every name printed is generated here from a fixed
alphabet, never taken from user text. The compiled objects live in :mod:`wdtheory.lowering.compile`.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

import sympy as sp
from sympy.printing.c import C99CodePrinter
from sympy.printing.pycode import PythonCodePrinter

from wdtheory.core.notation import GRAD, PARAM, SCHEDULE, STEP
from wdtheory.optim.transforms import Program

__all__ = [
    "KernelPlan",
    "array_api_source",
    "cuda_body",
    "numba_source",
    "plan_kernel",
    "prologue_source",
]


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

    @property
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

    @property
    def operations(self) -> int:
        """Weighted operations per element of the loop body (SymPy's counts; see
        ``OPERATION_WEIGHTS``)."""
        counts = sp.Add(*(sp.count_ops(e, visual=True) for _, e in (*self.body, *self.outputs)))
        return sum(
            int(n) * OPERATION_WEIGHTS.get(op.name, 1)
            for op, n in counts.as_coefficients_dict().items()
            if op.is_Symbol
        )

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


# --------------------------------------------------------------------------- printers


class _PythonScalarPrinter(PythonCodePrinter):
    """Scalar Python with ``math``; numbers as float literals (the prologue runs in float64).

    Squares and reciprocals are printed as ``x*x`` and ``1.0/x``: CPython computes ``x**2.0``
    with libm's ``pow``, which is not always correctly rounded, while LLVM (in the Numba kernel)
    turns the same power into the product, so the two would differ in the last bit."""

    def __init__(self, names: dict[sp.Symbol, str]) -> None:
        super().__init__({"fully_qualified_modules": True})
        self.names = names

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        if expr.exp in (2, -1, -2):
            base = self.parenthesize(expr.base, 100)
            square = base if expr.exp == -1 else f"({base}*{base})"
            return f"(1.0/{square})" if expr.exp < 0 else square
        return super()._print_Pow(expr, rational)

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self.names[expr]

    def _print_Rational(self, expr: sp.Rational) -> str:
        return repr(float(expr))

    _print_Integer = _print_Rational


class _ArrayPrinter(_PythonScalarPrinter):
    """Per-element code on whole arrays, against the namespace ``xp``."""

    module = "xp"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base = self.parenthesize(expr.base, 100)
        if expr.exp == 2:
            return f"({base}*{base})"
        if expr.exp == -1:
            return f"(1/{base})"
        if expr.exp == sp.S.Half:
            return f"{self.module}.sqrt({self._print(expr.base)})"
        if expr.exp == -sp.S.Half:
            return f"(1/{self.module}.sqrt({self._print(expr.base)}))"
        raise AssertionError(f"unexpected power {expr} in per-element code")

    def _print_sign(self, expr: sp.Expr) -> str:
        return f"{self.module}.sign({self._print(expr.args[0])})"

    def _print_Abs(self, expr: sp.Expr) -> str:
        return f"{self.module}.abs({self._print(expr.args[0])})"

    def _print_Max(self, expr: sp.Expr) -> str:
        first, *rest = (self._print(a) for a in expr.args)
        for other in rest:
            first = f"{self.module}.maximum({first}, {other})"
        return first


class _NumbaPrinter(_ArrayPrinter):
    """Per-element scalar code inside a Numba loop (NumPy's scalar functions keep the dtype)."""

    module = "np"

    def _print_sign(self, expr: sp.Expr) -> str:
        return f"_sign({self._print(expr.args[0])}, one, zero)"

    def _print_Max(self, expr: sp.Expr) -> str:
        first, *rest = (self._print(a) for a in expr.args)
        for other in rest:
            first = f"max({first}, {other})"
        return first


class _CudaPrinter(C99CodePrinter):
    """C for the body of a CuPy ``ElementwiseKernel`` (element type ``T``)."""

    def __init__(self, names: dict[sp.Symbol, str]) -> None:
        super().__init__()
        self.names = names

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self.names[expr]

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base = self.parenthesize(expr.base, 100)
        if expr.exp == 2:
            return f"({base}*{base})"
        if expr.exp == -1:
            return f"((T)1/{base})"
        if expr.exp == sp.S.Half:
            return f"sqrt({self._print(expr.base)})"
        if expr.exp == -sp.S.Half:
            return f"((T)1/sqrt({self._print(expr.base)}))"
        raise AssertionError(f"unexpected power {expr} in per-element code")

    def _print_sign(self, expr: sp.Expr) -> str:
        x = self._print(expr.args[0])
        return f"((T)(({x} > 0) - ({x} < 0)))"

    def _print_Integer(self, expr: sp.Integer) -> str:
        return f"((T){int(expr)})"


# --------------------------------------------------------------------------- sources


def prologue_source(plan: KernelPlan) -> str:
    """``def prologue(scalars...) -> tuple``: the hoisted scalars, in float64 with ``math``."""
    printer = _PythonScalarPrinter(plan.names)
    args = ", ".join(plan.names[s] for s in plan.scalars)
    lines = ["import math", "", "", f"def prologue({args}):"]
    lines += [f"    {plan.names[c]} = {printer.doprint(e)}" for c, e in plan.prologue]
    lines.append(f"    return ({''.join(plan.names[c] + ', ' for c, _ in plan.prologue)})")
    return "\n".join(lines) + "\n"


def _signature(plan: KernelPlan) -> str:
    return ", ".join(
        [plan.names[a] for a in plan.arrays] + [plan.names[c] for c, _ in plan.prologue]
    )


def array_api_source(plan: KernelPlan) -> str:
    """``def step(xp, arrays..., constants...) -> (new param, new states...)`` (functional)."""
    printer = _ArrayPrinter(plan.names)
    lines = [f"def step(xp, {_signature(plan)}):"]
    lines += [f"    {plan.names[t]} = {printer.doprint(e)}" for t, e in plan.body]
    news = [printer.doprint(e) for _, e in plan.outputs]
    lines.append(f"    return ({''.join(n + ', ' for n in news)})")
    return "\n".join(lines) + "\n"


#: ``np.sign`` for one float, written as selects: 1, -1, +0.0 for ±0.0 and NaN for NaN, as NumPy
#: gives, but without the branches of Numba's own ``np.sign``, which cost Lion's loop about 10%
_NUMBA_SIGN = (
    '@numba.njit(inline="always", error_model="numpy")',
    "def _sign(x, one, zero):",
    "    return one if x > zero else (-one if x < zero else x - x)",
    "",
    "",
)


def numba_source(plan: KernelPlan, parallel: bool) -> str:
    """``step(arrays..., hyper, per-call scalars...)``: an in-place loop over the elements, for
    ``numba.njit``, arrays 1-D. ``hyper`` is the float64 array of ``plan.hyperparameters``; the
    prologue is computed from it and the per-call scalars in float64 and cast to the arrays'
    dtype before the loop (the same operations as :func:`prologue_source`, so the same bits)."""
    names = plan.names
    scalar_printer = _PythonScalarPrinter(names)
    loop = "numba.prange" if parallel else "range"
    first = names[plan.arrays[0]]
    arguments = ", ".join(
        [*(names[a] for a in plan.arrays), "hyper", *(names[s] for s in plan.per_call)]
    )
    lines = [
        "import math",
        "",
        "import numba",
        "import numpy as np",
        "",
        "",
        *_NUMBA_SIGN,
        f'@numba.njit(parallel={parallel}, error_model="numpy", fastmath=False, cache=True, nogil=True)',
        f"def step({arguments}):",
        f"    cast = {first}.dtype.type",
        "    one, zero = cast(1.0), cast(0.0)",
        *(f"    {names[s]} = hyper[{k}]" for k, s in enumerate(plan.hyperparameters)),
        *(f"    {names[c]} = cast({scalar_printer.doprint(e)})" for c, e in plan.prologue),
        f"    for i in {loop}({first}.shape[0]):",
    ]
    element = {a: f"{names[a]}[i]" for a in plan.arrays}
    local = {**names, **{a: f"e_{names[a]}" for a in plan.arrays}}
    printer = _NumbaPrinter(local)
    lines += [f"        {local[a]} = {element[a]}" for a in plan.arrays]
    lines += [f"        {local[t]} = {printer.doprint(e)}" for t, e in plan.body]
    lines += [f"        {element[target]} = {printer.doprint(e)}" for target, e in plan.outputs]
    return "\n".join(lines) + "\n"


def cuda_body(plan: KernelPlan) -> str:
    """The C body of a CuPy ``ElementwiseKernel``: parameter and states are in/out, read first."""
    printer = _CudaPrinter(plan.names)
    lines = [f"T {plan.names[t]} = {printer.doprint(e)};" for t, e in plan.body]
    news = [(plan.names[target], printer.doprint(e)) for target, e in plan.outputs]
    lines += [f"T new_{name} = {value};" for name, value in news]
    lines += [f"{name} = new_{name};" for name, _ in news]
    return "\n".join(lines) + "\n"
