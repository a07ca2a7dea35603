"""Rendering comparisons, fixed points and conversions as derivations, in every format."""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from wdtheory.analysis.compare import compare
from wdtheory.analysis.convert import convert
from wdtheory.analysis.explain import explain_comparison, explain_conversion, explain_fixed_point
from wdtheory.analysis.fixed_points import fixed_point
from wdtheory.core.derivation import FORMATS, Derivation
from wdtheory.core.errors import WdtheoryError
from wdtheory.optim.optimizer import Optimizer


def general(spec: str) -> Optimizer:
    """Every hyperparameter the spec leaves out a symbol: these pages are about the rules."""
    return Optimizer.from_spec(spec, symbolic=True)


@cache
def compared(a: str, b: str):
    return compare(general(a), general(b))


IDENTICAL = ("torch.adamw", "optax.adamw(eps_root=0)")
EQUIVALENT = (
    "torch.sgd(momentum=mu, dampening=0, weight_decay=0)",
    "keras.sgd(momentum=mu, weight_decay=0)",
)
DIFFERENT = ("torch.sgd(momentum=mu, dampening=0)", "sgdw(momentum=mu, dampening=0)")


@cache
def derivations() -> dict[str, Derivation]:
    return {
        "identical": explain_comparison(compared(*IDENTICAL)),
        "equivalent": explain_comparison(compared(*EQUIVALENT)),
        "different": explain_comparison(compared(*DIFFERENT)),
        "ridge": explain_fixed_point(fixed_point(general("sgdw(momentum=mu)"))),
        "not ridge": explain_fixed_point(fixed_point(general("torch.adamw"))),
        "conversion": explain_conversion(
            convert(Optimizer.from_spec("torch.sgd(lr=0.1, momentum=0)"), "keras")
        ),
        "no conversion": explain_conversion(
            convert(
                Optimizer.from_spec("torch.adamw(lr=0.001)"),
                "keras",
            )
        ),
    }


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "name",
    ["identical", "equivalent", "different", "ridge", "not ridge", "conversion", "no conversion"],
)
def test_every_explanation_renders_in_every_format(name, fmt):
    derivation = derivations()[name]
    out = derivation.render(fmt)
    assert out.endswith("\n") and out.strip()
    if fmt == "json":
        data = json.loads(out)
        assert data["title"] == derivation.title
        assert [s["title"] for s in data["sections"]] == [s.title for s in derivation.sections]
    elif fmt == "markdown":
        assert out.startswith(f"# {derivation.title}")
    elif fmt == "latex":
        assert out.startswith(r"\section*{")
    else:
        assert out.splitlines()[1] == "=" * len(derivation.title)


def test_comparison_sections():
    titles = {
        k: [s.title for s in derivations()[k].sections]
        for k in ("identical", "equivalent", "different")
    }
    assumed = "Defaults and free symbols"
    assert titles["identical"] == ["Verdict", assumed, "Evidence"]
    assert titles["equivalent"] == ["Verdict", "Map", assumed, "Evidence"]
    assert titles["different"] == ["Verdict", "First difference", assumed, "Evidence"]


def test_every_answer_names_its_defaults_and_free_symbols():
    """An answer says what it assumed: the library defaults it filled in and its free symbols."""
    text = explain_comparison(
        compare(Optimizer.from_spec("torch.adamw"), Optimizer.from_spec("optax.adamw"))
    ).render("text")
    assert "A = torch.adamw: library defaults filled in: lr=0.001, beta1=0.9," in text
    assert "weight_decay=0.01, amsgrad=false" in text
    assert "B = optax.adamw: library defaults filled in: b1=0.9" in text
    assert "free symbols: eta (learning_rate of B)" in text
    symbolic = derivations()["different"].render("markdown")
    assert (
        "- free symbols: eta (lr of A, lr of B), lambda (weight_decay of A, weight_decay of B), mu (momentum of A, momentum of B)"
        in symbolic
    )
    for name in ("ridge", "conversion"):
        assert "library defaults filled in" in derivations()[name].render("text")


def test_verdict_sentences():
    text = {k: derivations()[k].render("text") for k in ("identical", "equivalent", "different")}
    assert "identical: the one-step maps are equal" in text["identical"]
    assert "equivalent under a reparametrisation" in text["equivalent"]
    assert ": different." in text["different"]


def test_equivalent_shows_the_state_map_not_identity_twins():
    text = derivations()["equivalent"].render("text")
    assert "b_B = -b*eta" in text or "b_B = -eta*b" in text
    identical = derivations()["identical"].render("text")
    assert "m_B = m" not in identical  # matched-by-name states are not listed as a map


def test_different_shows_the_first_step_the_quadratic_and_the_counterexample():
    comparison = compared(*DIFFERENT)
    text = derivations()["different"].render("text")
    k = comparison.first_difference
    assert f"w_{k}(B) - w_{k}(A) = " in text
    assert "same, g = h(w - w_min) = " in text
    assert "counterexample = " in text and "(the exact difference at " in text
    point = comparison.counterexample.point
    assert all(f"{k} = {v}" in text for k, v in point.items())
    markdown = derivations()["different"].render("markdown")
    assert f"w_{k}^B - w_{k}^A" in markdown


def test_evidence_is_listed_as_checks():
    comparison = compared(*DIFFERENT)
    text = derivations()["different"].render("text")
    for line in comparison.evidence:
        assert f"  checked: {line}" in text
    markdown = derivations()["different"].render("markdown")
    assert all(f"- Checked: {line}" in markdown for line in comparison.evidence)


def test_fixed_point_explanations():
    ridge = derivations()["ridge"].render("text")
    assert "ridge with lambda_eff" in ridge and "lambda_eff = " in ridge
    assert "g at rest = " in ridge
    not_ridge = derivations()["not ridge"].render("text")
    assert "not a ridge solution" in not_ridge and "lambda_eff = " not in not_ridge
    assert "condition 1 = " in not_ridge


def test_conversion_explanations():
    found = derivations()["conversion"].render("text")
    assert "torch.sgd(lr=0.1, momentum=0) is, in keras: keras.sgd(learning_rate=0.1)" in found
    assert "keras.sgd: Verdict" in found
    none = derivations()["no conversion"].render("text")
    assert "no keras optimizer is equivalent to torch.adamw(lr=0.001)" in none
    assert "keras.adam: First difference" in none
    # the near misses: the same algorithm but for ε, with code to paste
    assert "keras.adam differs from torch.adamw(lr=0.001) only where ε enters" in none
    assert "`keras.optimizers.AdamW(epsilon=1e-8, weight_decay=0.01)`" in none


def test_a_construction_is_explained_with_its_code():
    text = explain_conversion(
        convert(Optimizer.from_spec("torch.sgd(lr=0.1, momentum=0.9, weight_decay=1e-3)"), "keras")
    ).render("text")
    assert "no keras preset is equivalent" in text and "but a standard construction is" in text
    assert "kernel_regularizer=keras.regularizers.L2(0.0005)" in text
    assert "keras.sgd + L2 regularizer: Map" in text


@pytest.mark.parametrize("source", ["torch.adamw", "torch.adamw(lr=0.001)"])
def test_a_symbolic_conversion_is_shown_as_formulas_not_as_a_spec(source):
    """``eta*lambda`` cannot be written in a spec, so no unparseable spec text is printed."""
    text = explain_conversion(convert(general(source), "paper")).render("text")
    assert re.search(r"paper\.adamw with (alpha = 0\.001, )?weight_decay = ", text), text
    assert "paper.adamw(" not in text.split("\n\n")[1]


def test_a_numeric_conversion_is_shown_as_a_spec_that_parses_back():
    conversion = convert(Optimizer.from_spec("torch.adamw(lr=0.001, weight_decay=0.01)"), "paper")
    text = explain_conversion(conversion).render("text")
    spec_text = "paper.adamw(weight_decay=0.00001)"  # alpha = 0.001 is the paper's own
    assert f"is, in paper: {spec_text}" in text
    assert Optimizer.from_spec(spec_text).values == conversion.target.values


def test_latex_escapes_prose():
    latex = derivations()["different"].render("latex")
    title_line = latex.splitlines()[0]
    assert "_" not in title_line.replace(r"\_", "")


def test_unknown_format_is_a_one_line_error():
    with pytest.raises(WdtheoryError, match="did you mean 'markdown'"):
        derivations()["identical"].render("markdwn")
