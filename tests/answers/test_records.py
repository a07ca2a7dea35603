"""Answers as records: every typed result appears as data, and what a record says agrees with the
engine's result it was made from (verdict, step, exact difference, maps, counterexample, fixed
point, conversion), and its specs parse back to the optimizers they describe."""

from __future__ import annotations

from functools import cache

import pytest
import sympy as sp

from wdtheory.analysis.compare import compare
from wdtheory.analysis.convert import convert
from wdtheory.analysis.explain import explain_comparison, explain_conversion, explain_fixed_point
from wdtheory.analysis.fixed_points import fixed_point
from wdtheory.answers.records import (
    comparison_answer,
    conversion_answer,
    fixed_point_answer,
    verification_answer,
)
from wdtheory.core.printing import to_latex, to_text
from wdtheory.optim.optimizer import Optimizer

PAIRS = [
    ("torch.sgd(weight_decay=lam)", "sgdw(weight_decay=lam)"),
    ("torch.adamw", "optax.adamw"),
    (
        "symbolic(torch.sgd(momentum=mu, dampening=0, weight_decay=0))",
        "symbolic(keras.sgd(momentum=mu, weight_decay=0))",
    ),
    ("torch.adam(weight_decay=0)", "keras.adam(weight_decay=0)"),
]


@cache
def compared(a: str, b: str):
    comparison = compare(Optimizer.from_spec(a), Optimizer.from_spec(b))
    return comparison, comparison_answer(comparison, explain_comparison(comparison))


def expression(expr) -> dict | None:
    return None if expr is None else {"text": to_text(expr), "latex": to_latex(expr)}


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_a_comparison_record_says_what_the_comparison_found(a, b):
    comparison, record = compared(a, b)
    assert record["verdict"] == comparison.verdict
    assert record["first_difference"] == comparison.first_difference
    assert record["difference"] == expression(comparison.difference)
    assert record["quadratic_difference"] == expression(comparison.quadratic_difference)
    assert {m["symbol"] for m in record["hyper_map"]} == {s.name for s in comparison.hyper_map}
    assert record["evidence"] == list(comparison.evidence)
    example = comparison.counterexample
    if example is None:
        assert record["counterexample"] is None
    else:
        point = {s: sp.Rational(record["counterexample"]["point"][s.name]) for s in example.point}
        assert point == example.point  # exact values, written exactly
        assert record["counterexample"]["confirmed"] is example.confirmed is True
    assert [p["symbol"] for p in record["no_constant_value"]] == [
        p.symbol.name for p in comparison.no_constant_value
    ]


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_the_optimizers_of_a_record_parse_back_and_name_their_assumptions(a, b):
    comparison, record = compared(a, b)
    for entry, optimizer in zip(record["optimizers"], (comparison.a, comparison.b), strict=True):
        again = Optimizer.from_spec(entry["spec"])
        assert again.values == optimizer.values and again.flags == optimizer.flags
        assert entry["free_symbols"] == [s.name for s in optimizer.free_symbols]
        assert set(entry["defaults_filled"]) == set(optimizer.filled_defaults)
        assert entry["hyperparameters"].keys() == optimizer.values.keys()
    answer_symbols = {s["name"] for s in record["free_symbols"]}
    assert answer_symbols == {n for e in record["optimizers"] for n in e["free_symbols"]}


def test_library_defaults_show_in_the_record_where_they_decide_the_answer():
    """torch.adamw and optax.adamw differ because their default weight decays differ."""
    _, record = compared("torch.adamw", "optax.adamw")
    torch, optax = record["optimizers"]
    assert torch["defaults_filled"]["weight_decay"] == "0.01"
    assert optax["defaults_filled"]["weight_decay"] == "0.0001"
    assert record["verdict"] == "different" and record["first_difference"] == 1
    assert [s["name"] for s in record["free_symbols"]] == ["eta"]  # optax has no default lr


@pytest.mark.parametrize(
    ("spec", "ridge"), [("sgdw(momentum=0.9, weight_decay=lam)", True), ("torch.adamw", False)]
)
def test_a_fixed_point_record_says_what_the_fixed_point_is(spec, ridge):
    fixed = fixed_point(Optimizer.from_spec(spec))
    record = fixed_point_answer(fixed, explain_fixed_point(fixed))
    assert record["ridge"] is ridge is fixed.is_ridge
    assert record["ridge_strength"] == expression(fixed.ridge_strength)
    assert record["summary"] == fixed.summary
    assert len(record["conditions"]) == len(fixed.conditions)


@pytest.mark.parametrize(("framework", "found"), [("optax", True), ("keras", False)])
def test_a_conversion_record_gives_the_target_or_the_reason(framework, found):
    conversion = convert(Optimizer.from_spec("torch.adamw"), framework)
    record = conversion_answer(conversion, explain_conversion(conversion))
    assert record["found"] is found
    roles = [o["role"] for o in record["optimizers"]]
    assert roles == (["source", "target"] if found else ["source"])
    assert (record["reason"] is None) is found
    if not found:
        assert "differs from step 1" in record["reason"]
    assert [c["name"] for c in record["candidates"]] == [c.b.name for c in conversion.comparisons]
    assert record["code"] == conversion.code and (record["code"] is None) is not found
    assert [n["name"] for n in record["near"]] == (
        [] if found else ["keras.adam", "keras.adamw"]  # the same but where ε enters
    )


def test_a_construction_record_has_code_but_no_spec():
    """A standard construction is not a spec: its record names it and gives its code."""
    conversion = convert(
        Optimizer.from_spec("torch.sgd(lr=0.1, momentum=0.9, weight_decay=1e-3)"), "optax"
    )
    record = conversion_answer(conversion, explain_conversion(conversion))
    assert record["construction"] is True
    source, target = record["optimizers"]
    assert source["spec"] == conversion.source.text and target["spec"] is None
    assert target["name"] == "optax.chain(add_decayed_weights, sgd)"
    assert record["code"].startswith("optax.chain(optax.add_decayed_weights(0.001), optax.sgd(")


def test_a_verification_record_counts_the_agreeing_claims(claim_results):
    record = verification_answer(list(claim_results.values()))
    assert record["total"] == len(claim_results) == len(record["claims"])
    assert record["agree"] == sum(r.agrees for r in claim_results.values())
