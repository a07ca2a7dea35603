"""Results in a notebook (:mod:`wdtheory.analysis.display`): every result of the analysis has a
one-line ``repr`` naming what was asked and what was found, and shows as its explanation in
markdown."""

from __future__ import annotations

from functools import cache

import pytest

from wdtheory.analysis.compare import compare
from wdtheory.analysis.convert import convert
from wdtheory.analysis.explain import explain_comparison, explain_conversion, explain_fixed_point
from wdtheory.analysis.fixed_points import fixed_point
from wdtheory.optim.optimizer import Optimizer


def spec(text: str) -> Optimizer:
    return Optimizer.from_spec(text)


@cache
def results() -> dict[str, tuple[object, object, str]]:
    """name -> (result, its explanation, what its repr must say)"""
    same = compare(spec("torch.sgd(weight_decay=lam)"), spec("sgdw(weight_decay=lam)"))
    apart = compare(
        spec("torch.sgd(momentum=0.9, weight_decay=lam)"),
        spec("sgdw(momentum=0.9, weight_decay=lam)"),
    )
    ridge = fixed_point(spec("torch.sgd(weight_decay=lam)"))
    found = convert(spec("torch.adamw"), "optax")
    none = convert(spec("torch.sgd(lr=0.1, momentum=0.9, weight_decay=1e-4)"), "paper")
    return {
        "identical": (same, explain_comparison(same), "vs sgdw(weight_decay=lam): identical)"),
        "different": (apart, explain_comparison(apart), ": different, first differ at step 2)"),
        "fixed point": (ridge, explain_fixed_point(ridge), ": ridge with lambda_eff = lam)"),
        "conversion": (found, explain_conversion(found), "to optax: optax.adamw(learning_rate="),
        "no conversion": (none, explain_conversion(none), "weight_decay=0.0001) to paper: none)"),
    }


@pytest.mark.parametrize(
    "name", ["identical", "different", "fixed point", "conversion", "no conversion"]
)
def test_a_result_has_a_one_line_repr_and_shows_as_its_explanation(name):
    result, explanation, says = results()[name]
    text = repr(result)
    assert "\n" not in text and says in text and len(text) < 200
    assert text.startswith(type(result).__name__ + "(")
    assert result._repr_markdown_() == explanation.render("markdown")
    assert result._repr_markdown_().startswith("# ")
