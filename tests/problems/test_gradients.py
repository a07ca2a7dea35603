"""Derived gradients of a penalised problem, the exact check of both forms, and the SGD step.

For every loss × penalty (L2, L1, elastic net) × penalised/unpenalised bias × ½/full convention,
:func:`check_forms` proves that the vector form and the coordinate form equal the derivative of the
written-out objective. Mutation tests show the check is not vacuous: a gradient with one term
altered (doubled, sign flipped, the decay dropped or in the other convention) is refused. The SGD
step shows weight decay as in the slides:

    w ← (1 − ηλ) w − (η/|B|) Σ_{i∈B} x_i (z_i − y_i)          (squared error, L2, half)

with −η·l1·sign(w) for L1 and the same decay on b when the bias is penalised.

Symbolic checks take 0.1–1.5 s each (logistic and softmax are the slow ones), so the full grid runs
for the scalar losses at small sizes and a covering subset for softmax.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools

import pytest
import sympy as sp

from wdtheory.core.algebra import ElementwiseSign, ExampleSum, sigmoid
from wdtheory.core.notation import BATCH_SIZE, ETA, D
from wdtheory.problems.gradients import (
    GradientForms,
    check_forms,
    derive_gradients,
    derive_sgd_step,
)
from wdtheory.problems.losses import NUM_CLASSES
from wdtheory.problems.problem import Problem

LAM = sp.Symbol("lam", real=True)
MU = sp.Symbol("mu", real=True)
KINDS = {"L2": {"l2": LAM}, "L1": {"l1": MU}, "elastic net": {"l1": MU, "l2": LAM}}


def problem(loss: str, kind: str, *, half: bool = True, penalize_bias: bool = False) -> Problem:
    return Problem.create(loss, **KINDS.get(kind, {}), half=half, penalize_bias=penalize_bias)


@functools.cache
def forms_of(p: Problem) -> GradientForms:
    return derive_gradients(p)


def grid() -> list[tuple[str, bool, bool]]:
    """(kind, half, penalize_bias); ``half`` only matters when there is an L2 term."""
    cases = []
    for kind, penalize_bias in itertools.product(KINDS, (False, True)):
        for half in (True, False) if "l2" in KINDS[kind] else (True,):
            cases.append((kind, half, penalize_bias))
    return cases


def case_id(case: tuple[str, bool, bool]) -> str:
    kind, half, penalize_bias = case
    return f"{kind}-{'half' if half else 'full'}-{'pb' if penalize_bias else 'nopb'}"


# --- check_forms passes for every combination ----------------------------------------------------


@pytest.mark.parametrize("case", grid(), ids=case_id)
def test_squared_error_forms_are_proved(case: tuple[str, bool, bool]) -> None:
    kind, half, penalize_bias = case
    p = problem("squared_error", kind, half=half, penalize_bias=penalize_bias)
    claim = check_forms(p, forms_of(p), n=2, d=2)
    assert claim.startswith("checked exactly for n=2, d=2")


@pytest.mark.parametrize("case", grid(), ids=case_id)
def test_logistic_forms_are_proved(case: tuple[str, bool, bool]) -> None:
    kind, half, penalize_bias = case
    p = problem("logistic", kind, half=half, penalize_bias=penalize_bias)
    # n=1 keeps the (simplify-heavy) sigmoid check fast; n=2 is covered below
    assert check_forms(p, forms_of(p), n=1, d=2).startswith("checked exactly for n=1, d=2")


def test_logistic_forms_are_proved_over_two_examples() -> None:
    p = problem("logistic", "elastic net", half=False, penalize_bias=True)
    check_forms(p, forms_of(p), n=2, d=2)


SOFTMAX_CASES = [
    # every kind, both conventions and both bias settings appear at least once
    ("L2", True, False),
    ("L1", True, True),
    ("elastic net", False, True),
]


@pytest.mark.parametrize("case", SOFTMAX_CASES, ids=case_id)
def test_softmax_forms_are_proved(case: tuple[str, bool, bool]) -> None:
    kind, half, penalize_bias = case
    p = problem("softmax", kind, half=half, penalize_bias=penalize_bias)
    claim = check_forms(p, forms_of(p), n=2, d=2, classes=2)
    assert claim.startswith("checked exactly for n=2, d=2, K=2")


@pytest.mark.slow
@pytest.mark.parametrize("case", grid(), ids=case_id)
def test_softmax_forms_are_proved_full_grid(case: tuple[str, bool, bool]) -> None:
    kind, half, penalize_bias = case
    p = problem("softmax", kind, half=half, penalize_bias=penalize_bias)
    check_forms(p, forms_of(p), n=2, d=2, classes=3)


@pytest.mark.parametrize("loss", ["squared_error", "logistic", "softmax"])
def test_forms_without_penalty_are_proved(loss: str) -> None:
    p = problem(loss, "none", penalize_bias=True)
    assert p.penalty.name == "none"
    check_forms(p, forms_of(p), n=1, d=1, classes=2)


@pytest.mark.parametrize("loss", ["squared_error", "logistic"])
def test_forms_with_exact_numeric_strengths_are_proved(loss: str) -> None:
    p = Problem.from_spec(f"{loss}(l1=0.01, l2=0.3, half=false, penalize_bias=true)")
    check_forms(p, forms_of(p), n=1, d=3)


# --- the check can fail: mutated forms are refused -----------------------------------------------


def mutations(p: Problem) -> dict[str, GradientForms]:
    forms = forms_of(p)
    m = forms.model
    return {
        "weights doubled": dataclasses.replace(forms, weights=2 * forms.weights),
        "bias sign flipped": dataclasses.replace(forms, bias=-forms.bias),
        "weights in the other L2 convention": dataclasses.replace(
            forms, weights=forms.weights.xreplace({LAM: 2 * LAM})
        ),
        "weight decay dropped": dataclasses.replace(
            forms, weights=forms.weights.xreplace({LAM: 0})
        ),
        "L1 sign flipped in the vector form": dataclasses.replace(
            forms, weights=forms.weights.xreplace({MU: -MU})
        ),
        "labels scaled in the vector form": dataclasses.replace(
            forms, weights=forms.weights.xreplace({m.y: 2 * m.y})
        ),
        "coordinate form in the other L2 convention": dataclasses.replace(
            forms, weights_coordinate=forms.weights_coordinate.xreplace({LAM: LAM / 2})
        ),
        "L1 sign flipped in the coordinate form": dataclasses.replace(
            forms, weights_coordinate=forms.weights_coordinate.xreplace({MU: -MU})
        ),
        "bias coordinate without its penalty": dataclasses.replace(
            forms, bias_coordinate=forms.bias_coordinate.xreplace({LAM: 0, MU: 0})
        ),
        "bias coordinate doubled": dataclasses.replace(
            forms, bias_coordinate=2 * forms.bias_coordinate
        ),
    }


# Mutations that SymPy refutes quickly (a strength rescaled, a sign flipped) run for every loss;
# those that leave only a scale or sign error in the data term need `simplify` to refute for the
# logistic and softmax losses (about 1 s each), so they run for squared error by default.
SLOW_TO_REFUTE = {"weights doubled", "bias sign flipped", "bias coordinate doubled"}
SIZES = {"squared_error": (1, 1, 1), "logistic": (1, 1, 1), "softmax": (1, 1, 2)}
MUTATION_CASES = [
    pytest.param(
        loss,
        mutation,
        marks=[pytest.mark.slow] if mutation in SLOW_TO_REFUTE and loss != "squared_error" else [],
    )
    for loss in SIZES
    for mutation in mutations(problem("squared_error", "elastic net", penalize_bias=True))
]


@pytest.mark.parametrize(("loss", "mutation"), MUTATION_CASES)
def test_check_forms_refuses_a_mutated_gradient(loss: str, mutation: str) -> None:
    # elastic net with a penalised bias, so that every mutation alters something
    p = problem(loss, "elastic net", half=True, penalize_bias=True)
    forms = forms_of(p)
    mutated = mutations(p)[mutation]
    changed = [
        field.name
        for field in dataclasses.fields(forms)
        if getattr(forms, field.name) != getattr(mutated, field.name)
    ]
    assert len(changed) == 1, "the mutation must alter exactly one form"
    n, d, classes = SIZES[loss]
    with pytest.raises(AssertionError, match="gradient forms disagree"):
        check_forms(p, mutated, n=n, d=d, classes=classes)


def test_check_forms_refuses_a_decayed_bias_when_the_bias_is_unpenalised() -> None:
    p = problem("squared_error", "L2", penalize_bias=False)
    forms = forms_of(p)
    b = forms.model.bias_entry()
    for mutated in (
        dataclasses.replace(forms, bias=forms.bias + LAM * b),
        dataclasses.replace(forms, bias_coordinate=forms.bias_coordinate + LAM * b),
    ):
        with pytest.raises(AssertionError, match="gradient forms disagree at b"):
            check_forms(p, mutated, n=2, d=1)


def test_check_forms_refuses_the_forms_of_another_problem() -> None:
    """The logistic gradient is not the squared-error gradient (σ(z) − y vs z − y)."""
    p = problem("squared_error", "L2")
    with pytest.raises(AssertionError):
        check_forms(p, forms_of(problem("logistic", "L2")), n=1, d=1)


# --- the SGD step ---------------------------------------------------------------------------------


def matrix_terms(expr: sp.Basic) -> list[tuple[sp.Expr, sp.Basic]]:
    """A sum of matrix terms as (scalar coefficient, matrix) pairs, one per written term."""
    terms = []
    for term in expr.args if isinstance(expr, sp.MatAdd) else (expr,):
        if isinstance(term, sp.MatMul):
            scalars = [a for a in term.args if not getattr(a, "is_Matrix", False)]
            matrices = [a for a in term.args if getattr(a, "is_Matrix", False)]
            assert len(matrices) == 1, term
            terms.append((sp.Mul(*scalars), matrices[0]))
        else:
            terms.append((sp.S.One, term))
    return terms


def coefficients(expr: sp.Basic) -> dict[sp.Basic, sp.Expr]:
    terms = matrix_terms(expr)
    matrices = [matrix for _, matrix in terms]
    assert len(set(matrices)) == len(matrices), f"terms not collected: {expr}"
    return {matrix: coefficient for coefficient, matrix in terms}


def equal(a: sp.Expr, b: sp.Expr) -> bool:
    return sp.expand(a - b) == 0


def test_sgd_step_of_squared_error_with_l2_is_the_slides_update() -> None:
    """w ← (1 − ηλ)w − (η/|B|) Σ_{i∈B} x_i(z_i − y_i): one term in w, with the factor (1 − ηλ)."""
    p = problem("squared_error", "L2")
    forms = forms_of(p)
    m = forms.model
    w_new, b_new = derive_sgd_step(p, forms)
    terms = coefficients(w_new)
    data_term = ExampleSum((m.z - m.y) * m.x, BATCH_SIZE)
    assert set(terms) == {m.weights, data_term}
    assert equal(terms[m.weights], 1 - ETA * LAM)
    assert equal(terms[data_term], -ETA / BATCH_SIZE)
    # the bias is not decayed: b ← b − (η/|B|) Σ (z_i − y_i)
    i = sp.Symbol("i", integer=True, positive=True)
    expected_b = m.bias - ETA / BATCH_SIZE * sp.Sum(m.z - m.y, (i, 1, BATCH_SIZE))
    assert sp.simplify((b_new - expected_b).doit()) == 0
    assert LAM not in b_new.free_symbols


def test_sgd_step_with_the_full_convention_decays_by_two_eta_lambda() -> None:
    p = problem("squared_error", "L2", half=False)
    forms = forms_of(p)
    terms = coefficients(derive_sgd_step(p, forms)[0])
    assert equal(terms[forms.model.weights], 1 - 2 * ETA * LAM)


@pytest.mark.parametrize("loss", ["squared_error", "logistic", "softmax"])
def test_sgd_step_with_l1_subtracts_eta_l1_sign_w(loss: str) -> None:
    p = problem(loss, "L1")
    forms = forms_of(p)
    m = forms.model
    terms = coefficients(derive_sgd_step(p, forms)[0])
    assert equal(terms[ElementwiseSign(m.weights)], -ETA * MU)
    assert equal(terms[m.weights], 1)  # no decay without an L2 term


@pytest.mark.parametrize("loss", ["squared_error", "logistic", "softmax"])
@pytest.mark.parametrize("half", [True, False])
def test_sgd_step_with_elastic_net_has_both_terms(loss: str, half: bool) -> None:
    p = problem(loss, "elastic net", half=half)
    forms = forms_of(p)
    m = forms.model
    terms = coefficients(derive_sgd_step(p, forms)[0])
    decay = ETA * LAM * (1 if half else 2)
    assert equal(terms[m.weights], 1 - decay)
    assert equal(terms[ElementwiseSign(m.weights)], -ETA * MU)
    assert len(terms) == 3  # decay, sign and the data term


def scalar_bias_parts(b_new: sp.Expr, b: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """(coefficient of b, coefficient of sign(b)) in the scalar bias update."""
    expanded = sp.expand(b_new)
    return expanded.coeff(b), expanded.coeff(sp.sign(b))


@pytest.mark.parametrize("loss", ["squared_error", "logistic"])
@pytest.mark.parametrize("half", [True, False])
def test_penalize_bias_decays_the_scalar_bias(loss: str, half: bool) -> None:
    decay = ETA * LAM * (1 if half else 2)
    b = sp.Symbol("b", real=True)
    for penalize_bias in (False, True):
        p = problem(loss, "elastic net", half=half, penalize_bias=penalize_bias)
        b_new = derive_sgd_step(p, forms_of(p))[1]
        factor, sign_coefficient = scalar_bias_parts(b_new, b)
        if penalize_bias:
            assert equal(factor, 1 - decay)
            assert equal(sign_coefficient, -ETA * MU)
            # shown collected, as (1 − ηλ)·b
            assert any(equal(t, (1 - decay) * b) for t in sp.Add.make_args(b_new))
        else:
            assert equal(factor, 1)
            assert equal(sign_coefficient, 0)
            assert not ({LAM, MU} & b_new.free_symbols)


@pytest.mark.parametrize("half", [True, False])
def test_penalize_bias_decays_the_softmax_bias(half: bool) -> None:
    decay = ETA * LAM * (1 if half else 2)
    for penalize_bias in (False, True):
        p = problem("softmax", "elastic net", half=half, penalize_bias=penalize_bias)
        forms = forms_of(p)
        m = forms.model
        terms = coefficients(derive_sgd_step(p, forms)[1])
        data_term = ExampleSum(m.p - m.y, BATCH_SIZE)
        assert equal(terms[data_term], -ETA / BATCH_SIZE)
        if penalize_bias:
            assert equal(terms[m.bias], 1 - decay)
            assert equal(terms[ElementwiseSign(m.bias)], -ETA * MU)
        else:
            assert set(terms) == {m.bias, data_term}
            assert equal(terms[m.bias], 1)


def test_logistic_step_uses_sigmoid_minus_y() -> None:
    p = problem("logistic", "L2")
    forms = forms_of(p)
    m = forms.model
    terms = coefficients(derive_sgd_step(p, forms)[0])
    assert ExampleSum((sigmoid(m.z) - m.y) * m.x, BATCH_SIZE) in terms


def test_softmax_step_uses_x_times_p_minus_y_transposed() -> None:
    p = problem("softmax", "L2")
    forms = forms_of(p)
    m = forms.model
    terms = coefficients(derive_sgd_step(p, forms)[0])
    (data_term,) = (t for t in terms if isinstance(t, ExampleSum))
    assert data_term.args[1] == BATCH_SIZE
    sizes = {D: 2, NUM_CLASSES: 3}

    def explicit(e: sp.Basic) -> sp.Matrix:
        return sp.Matrix(e.xreplace(sizes).as_explicit())

    difference = explicit(data_term.args[0]) - explicit(m.x * (m.p - m.y).T)
    assert difference.applyfunc(sp.expand) == sp.zeros(2, 3)
