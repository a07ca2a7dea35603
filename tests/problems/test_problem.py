"""Problems: a loss plus a penalty, built from Python values or from spec text.

``Problem.from_spec("logistic(l1=0.01, l2=lam, penalize_bias=true)")`` keeps numbers exact and names
as real symbols, refuses unknown parameters (suggesting close ones), non-boolean flags and negative
strengths with one-line errors, and ``Problem.from_spec(problem.text) == problem`` for every problem
that a spec can express.
"""

from __future__ import annotations

import re

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from wdtheory.core.errors import SpecError, WdtheoryError
from wdtheory.core.spec import Spec, parse_spec
from wdtheory.problems.losses import get_loss
from wdtheory.problems.penalties import Penalty
from wdtheory.problems.problem import Problem

R = sp.Rational


def sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


# --- valid specs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "loss", "l1", "l2", "half", "penalize_bias"),
    [
        ("squared_error", "squared_error", 0, 0, True, False),
        ("squared_error()", "squared_error", 0, 0, True, False),
        ("squared_error(l2=lam)", "squared_error", 0, sym("lam"), True, False),
        ("logistic(l2=0.1)", "logistic", 0, R(1, 10), True, False),
        ("logistic(l2=1e-4)", "logistic", 0, R(1, 10_000), True, False),
        ("logistic(l1=2.5e-7)", "logistic", R(1, 4_000_000), 0, True, False),
        ("logistic(l1=3, l2=0)", "logistic", 3, 0, True, False),
        ("logistic(l2=+0.5)", "logistic", 0, R(1, 2), True, False),
        (
            "logistic(l1=0.01, l2=lam, penalize_bias=true)",
            "logistic",
            R(1, 100),
            sym("lam"),
            True,
            True,
        ),
        ("softmax(l2=lam, half=false)", "softmax", 0, sym("lam"), False, False),
        ("softmax(half=False, l1=mu, penalize_bias=True)", "softmax", sym("mu"), 0, False, True),
        ("softmax(l2=lam_2, l1=lam_1,)", "softmax", sym("lam_1"), sym("lam_2"), True, False),
        (
            "squared_error(l2=1e15, half=true, penalize_bias=false)",
            "squared_error",
            0,
            10**15,
            True,
            False,
        ),
        ("squared_error(l1=1e-30)", "squared_error", R(1, 10**30), 0, True, False),
    ],
)
def test_from_spec(
    text: str, loss: str, l1: sp.Expr, l2: sp.Expr, half: bool, penalize_bias: bool
) -> None:
    problem = Problem.from_spec(text)
    assert problem.loss is get_loss(loss)
    assert problem.penalty == Penalty(sp.sympify(l1), sp.sympify(l2), half)
    # exact numbers stay exact, names become real symbols
    for value in (problem.penalty.l1, problem.penalty.l2):
        assert isinstance(value, sp.Rational | sp.Symbol)
        if isinstance(value, sp.Symbol):
            assert value.is_real
    assert problem.penalize_bias is penalize_bias
    assert problem == Problem.create(loss, l1=l1, l2=l2, half=half, penalize_bias=penalize_bias)
    assert Problem.from_spec(parse_spec(text)) == problem  # a parsed Spec works too


def test_problem_create_defaults() -> None:
    problem = Problem.create()
    assert problem.loss is get_loss("squared_error")
    assert problem.penalty == Penalty(sp.S.Zero, sp.S.Zero, True)
    assert problem.penalize_bias is False


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("squared_error(l2=lam)", "squared error + L2 penalty (bias unpenalised)"),
        (
            "logistic(l1=0.1, penalize_bias=true)",
            "binary logistic loss + L1 penalty (bias penalised)",
        ),
        (
            "softmax(l1=mu, l2=lam, half=false)",
            "softmax cross-entropy + elastic net penalty (bias unpenalised)",
        ),
        ("logistic", "binary logistic loss + no penalty (bias unpenalised)"),
    ],
)
def test_title(text: str, title: str) -> None:
    assert Problem.from_spec(text).title == title


# --- refused specs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bad", "suggestion"),
    [
        ("logistic(l_2=0.1)", "l_2", "l2"),
        ("logistic(penalise_bias=true)", "penalise_bias", "penalize_bias"),
        ("softmax(halff=false)", "halff", "half"),
        ("squared_error(penalize_biases=true)", "penalize_biases", "penalize_bias"),
    ],
)
def test_unknown_parameter_is_refused_with_a_suggestion(
    text: str, bad: str, suggestion: str
) -> None:
    with pytest.raises(SpecError) as info:
        Problem.from_spec(text)
    message = str(info.value)
    assert "\n" not in message
    assert f"unknown parameter {bad!r}" in message
    assert f"did you mean {suggestion!r}" in message
    assert "allowed: l1, l2, half, penalize_bias" in message


@pytest.mark.parametrize("text", ["logistic(weight_decay=0.1)", "logistic(lr=0.1)"])
def test_unknown_parameter_without_a_close_name_lists_the_allowed_ones(text: str) -> None:
    with pytest.raises(SpecError) as info:
        Problem.from_spec(text)
    message = str(info.value)
    assert "\n" not in message
    assert "did you mean" not in message
    assert "allowed: l1, l2, half, penalize_bias" in message


@pytest.mark.parametrize("flag", ["half", "penalize_bias"])
@pytest.mark.parametrize(
    ("value", "shown"),
    [("1", "1"), ("0", "0"), ("0.5", "(0.5|1/2)"), ("lam", "lam"), ("yes", "yes")],
)
def test_flags_must_be_true_or_false(flag: str, value: str, shown: str) -> None:
    with pytest.raises(WdtheoryError) as info:
        Problem.from_spec(f"logistic(l2=0.1, {flag}={value})")
    message = str(info.value)
    assert "\n" not in message
    assert re.fullmatch(f"{flag}={shown} must be true or false", message), message


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("logistic(l2=-0.1)", ("l2=-0.1", "l2=-1/10")),
        ("logistic(l1=-1)", ("l1=-1",)),
        ("softmax(l1=0.1, l2=-3)", ("l2=-3",)),
        ("squared_error(l1=-1e-30)", ("l1=-1e-30", "l1=-1/1000000000000000000000000000000")),
    ],
)
def test_negative_strengths_are_refused(text: str, shown: tuple[str, ...]) -> None:
    with pytest.raises(WdtheoryError) as info:
        Problem.from_spec(text)
    message = str(info.value)
    assert "\n" not in message
    assert any(s in message for s in shown), message
    assert ">= 0" in message


@pytest.mark.parametrize("text", ["logistic(l2=true)", "logistic(l1=false)"])
def test_boolean_strengths_are_refused(text: str) -> None:
    with pytest.raises(WdtheoryError, match=r"^l[12]=(true|false|True|False) is not a number"):
        Problem.from_spec(text)


@pytest.mark.parametrize("spec", [b"squared_error", None, 3, ["squared_error"]])
def test_a_spec_that_is_not_text_is_refused_in_one_line(spec: object) -> None:
    with pytest.raises(SpecError, match=r"^a spec must be a str, not \w+; [^\n]*$"):
        Problem.from_spec(spec)  # type: ignore[arg-type]


def test_a_spec_that_names_no_loss_is_refused() -> None:
    with pytest.raises(WdtheoryError, match=r"unknown loss 'torch\.sgd'"):
        Problem.from_spec("torch.sgd(lr=0.1)")


# --- text round trip -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("squared_error", "squared_error()"),
        ("squared_error(half=true, penalize_bias=false)", "squared_error()"),
        ("logistic(l1=0, l2=0)", "logistic()"),
        ("logistic(l2=1e-4)", "logistic(l2=0.0001)"),
        ("logistic(l2=2.5e-7)", "logistic(l2=2.5e-7)"),
        (
            "logistic(penalize_bias=true, l2=0.1, l1=mu)",
            "logistic(l1=mu, l2=0.1, penalize_bias=true)",
        ),
        ("softmax(half=false, l2=lam)", "softmax(l2=lam, half=false)"),
        ("softmax(l2=+3)", "softmax(l2=3)"),
        ("squared_error(l1=1e-30, l2=1e15)", "squared_error(l1=1e-30, l2=1e15)"),
    ],
)
def test_text_is_canonical_and_round_trips(text: str, canonical: str) -> None:
    problem = Problem.from_spec(text)
    assert problem.text == canonical
    assert Problem.from_spec(problem.text) == problem


NAMES = st.sampled_from(["lam", "mu", "lam_1", "lam2", "alpha", "wd"])
# terminating decimals within the spec language's range: 0 or 1e-30 .. 1e15, ≤ 30 digits
DECIMALS = st.builds(
    lambda digits, places: R(digits, 10**places),
    st.integers(0, 10**12),
    st.integers(0, 15),
)
STRENGTH = st.one_of(st.just(0), DECIMALS, NAMES.map(sym))


@given(
    loss=st.sampled_from(["squared_error", "logistic", "softmax"]),
    l1=STRENGTH,
    l2=STRENGTH,
    half=st.booleans(),
    penalize_bias=st.booleans(),
)
def test_text_round_trips_through_from_spec(
    loss: str, l1: sp.Expr, l2: sp.Expr, half: bool, penalize_bias: bool
) -> None:
    problem = Problem.create(loss, l1=l1, l2=l2, half=half, penalize_bias=penalize_bias)
    again = Problem.from_spec(problem.text)
    assert again == problem
    assert again.text == problem.text
    # the text is a well-formed spec naming the loss, with defaults left out
    spec = parse_spec(problem.text)
    assert isinstance(spec, Spec) and spec.name == loss
    given_keys = set(spec.keys())
    assert ("half" in given_keys) is (not half)
    assert ("penalize_bias" in given_keys) is penalize_bias
    assert ("l1" in given_keys) is (l1 != 0)
    assert ("l2" in given_keys) is (l2 != 0)


@pytest.mark.parametrize("name", ["eta", "n", "d", "K", "B", "b", "w", "c", "i", "j"])
@pytest.mark.parametrize("key", ["l1", "l2"])
def test_strengths_may_not_use_the_names_of_the_derivations_symbols(key: str, name: str) -> None:
    """``l2=eta`` would be confused with the learning rate η in the SGD step, and so on."""
    for attempt in (
        lambda: Problem.from_spec(f"logistic({key}={name})"),
        lambda: Problem.create("logistic", **{key: sym(name)}),
        lambda: Problem.create("softmax", **{key: 2 * sym(name)}),
    ):
        with pytest.raises(WdtheoryError) as info:
            attempt()
        message = str(info.value)
        assert "\n" not in message
        assert message.startswith(f"{key}=")
        assert repr(name) in message
