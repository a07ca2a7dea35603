"""Rendering a derivation: the same hand-built steps as text, LaTeX, markdown and JSON."""

from __future__ import annotations

import dataclasses
import json

import pytest
import sympy as sp

from wdtheory.core.derivation import FORMATS, Derivation, Notation, Section, Step
from wdtheory.core.errors import WdtheoryError

LAM, ETA = sp.symbols("lam eta", real=True)
W = sp.Symbol("w", real=True)


def small_derivation() -> Derivation:
    """Two sections, three steps: SymPy expressions, notations, notes, intro, checks, relations."""
    return Derivation(
        "Toy decay",
        (
            Section(
                "Penalty",
                (
                    Step(Notation("R(w)", r"R(w)"), LAM * W**2 / 2, "the L2 penalty"),
                    Step(sp.Symbol("g", real=True), LAM * W, relation=":="),
                ),
                intro="One coordinate.",
                checks=("the derivative of R is g",),
            ),
            Section(
                "Step",
                (Step(Notation("w", "w"), (1 - ETA * LAM) * W, "shrink, then move", "<-"),),
            ),
        ),
    )


@pytest.fixture
def derivation() -> Derivation:
    return small_derivation()


def test_formats_are_the_four_documented_ones() -> None:
    assert FORMATS == ("text", "latex", "markdown", "json")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_deterministically_and_ends_with_a_newline(
    derivation: Derivation, fmt: str
) -> None:
    rendered = derivation.render(fmt)
    assert rendered.endswith("\n")
    assert not rendered.endswith("\n\n")
    assert rendered == small_derivation().render(fmt)


def test_default_format_is_text(derivation: Derivation) -> None:
    assert derivation.render() == derivation.render("text")


# --- text -------------------------------------------------------------------------------------


def test_text_has_the_title_underlined_and_one_line_per_step(derivation: Derivation) -> None:
    lines = derivation.render("text").splitlines()
    assert lines[:2] == ["Toy decay", "========="]
    assert lines[2:6] == ["", "Penalty", "-------", "One coordinate."]
    step_lines = [line for line in lines if line.startswith("  ") and not line.startswith("   ")]
    assert step_lines == [
        "  R(w) = lam*w**2/2",
        "  g := lam*w",
        "  checked: the derivative of R is g",
        "  w <- w*(1 - eta*lam)",
    ]
    notes = [line.strip() for line in lines if line.startswith("      (")]
    assert notes == ["(the L2 penalty)", "(shrink, then move)"]


def test_text_puts_each_step_on_the_line_after_its_section_header(
    derivation: Derivation,
) -> None:
    lines = derivation.render("text").splitlines()
    header = lines.index("Step")
    assert lines[header + 1] == "----"
    assert lines[header + 2].startswith("  w <- ")
    assert "\\" not in derivation.render("text")  # no LaTeX in the text rendering


# --- markdown ---------------------------------------------------------------------------------


def test_markdown_has_headings_and_one_display_math_block_per_step(
    derivation: Derivation,
) -> None:
    markdown = derivation.render("markdown")
    lines = markdown.splitlines()
    assert lines[0] == "# Toy decay"
    assert [line for line in lines if line.startswith("## ")] == ["## Penalty", "## Step"]
    assert lines.count("$$") == 2 * 3  # opened and closed around each of the three steps
    blocks = markdown.split("$$\n")[1::2]
    assert [block.strip() for block in blocks] == [
        r"R(w) = \frac{\lambda w^{2}}{2}",
        r"g := \lambda w",
        r"w \leftarrow w \left(1 - \eta \lambda\right)",
    ]
    assert "One coordinate." in lines
    assert "- Checked: the derivative of R is g" in lines
    assert "the L2 penalty" in lines and "shrink, then move" in lines


def test_repr_markdown_is_the_markdown_rendering(derivation: Derivation) -> None:
    assert derivation._repr_markdown_() == derivation.render("markdown")


# --- latex ------------------------------------------------------------------------------------


def test_latex_has_sections_and_display_math(derivation: Derivation) -> None:
    lines = derivation.render("latex").splitlines()
    assert lines[0] == r"\section*{Toy decay}"
    assert [line for line in lines if line.startswith(r"\subsection*")] == [
        r"\subsection*{Penalty}",
        r"\subsection*{Step}",
    ]
    assert lines.count(r"\[") == lines.count(r"\]") == 3
    math = [lines[i + 1] for i, line in enumerate(lines) if line == r"\["]
    assert math[0] == r"R(w) = \frac{\lambda w^{2}}{2}"
    assert math[1] == r"g := \lambda w"
    assert math[2] == r"w \leftarrow w \left(1 - \eta \lambda\right)"
    assert "% checked: the derivative of R is g" in lines


def test_latex_escapes_special_characters_in_titles_and_notes() -> None:
    derivation = Derivation(
        "squared_error: 50% & more",
        (Section("grad_w", (Step(W, W, "keeps 100% of w_j"),)),),
    )
    latex = derivation.render("latex")
    assert r"squared\_error: 50\% \& more" in latex
    assert r"grad\_w" in latex
    assert r"keeps 100\% of w\_j" in latex


# --- json -------------------------------------------------------------------------------------


def test_json_round_trips_with_the_sections_and_steps(derivation: Derivation) -> None:
    payload = json.loads(derivation.render("json"))
    assert payload["title"] == "Toy decay"
    assert [section["title"] for section in payload["sections"]] == ["Penalty", "Step"]
    penalty, step = payload["sections"]
    assert penalty["intro"] == "One coordinate."
    assert penalty["checks"] == ["the derivative of R is g"]
    assert step["intro"] == "" and step["checks"] == []
    assert [list(s) for s in penalty["steps"]] == [["text", "latex", "note"]] * 2
    first, second = penalty["steps"]
    assert first == {
        "text": "R(w) = lam*w**2/2",
        "latex": r"R(w) = \frac{\lambda w^{2}}{2}",
        "note": "the L2 penalty",
    }
    assert second["text"] == "g := lam*w" and second["note"] == ""
    assert step["steps"][0]["latex"].startswith(r"w \leftarrow ")


def test_json_keeps_non_ascii_notes_readable() -> None:
    derivation = Derivation("λ", (Section("∇", (Step(W, W, "w ← (1−ηλ)w"),)),))
    rendered = derivation.render("json")
    assert "w ← (1−ηλ)w" in rendered
    assert json.loads(rendered)["sections"][0]["steps"][0]["note"] == "w ← (1−ηλ)w"


def test_an_empty_derivation_renders_in_every_format() -> None:
    empty = Derivation("Nothing", ())
    assert empty.render("text") == "Nothing\n=======\n"
    assert empty.render("markdown") == "# Nothing\n"
    assert json.loads(empty.render("json")) == {"title": "Nothing", "sections": []}


# --- steps: relations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relation", "latex", "text"),
    [
        ("=", "=", "="),
        ("<-", r"\leftarrow", "<-"),
        ("<=>", r"\Longleftrightarrow", "<=>"),
        (":=", ":=", ":="),
    ],
)
def test_each_relation_prints_its_symbol(relation: str, latex: str, text: str) -> None:
    step = Step(Notation("a", "a"), Notation("b", "b"), relation=relation)
    assert step.latex == f"a {latex} b"
    assert step.text == f"a {text} b"


# --- user errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pdf", "TEXT", "md", "html", ""])
def test_unknown_format_raises_naming_the_allowed_ones(derivation: Derivation, fmt: str) -> None:
    with pytest.raises(WdtheoryError) as error:
        derivation.render(fmt)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"unknown format {fmt!r}")
    assert message.endswith("allowed: json, latex, markdown, text")


def test_unknown_format_suggests_a_close_match(derivation: Derivation) -> None:
    with pytest.raises(WdtheoryError, match=r"did you mean 'markdown'\?"):
        derivation.render("markdwon")


@pytest.mark.parametrize("relation", ["==", "->", "<", "≤", ""])
def test_unknown_relation_raises_naming_the_allowed_ones(relation: str) -> None:
    with pytest.raises(WdtheoryError) as error:
        Step(W, W, relation=relation)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"unknown relation {relation!r}")
    assert message.endswith("allowed: :=, <-, <=>, =, in, ≈")


def test_derivations_are_immutable(derivation: Derivation) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        derivation.title = "changed"  # type: ignore[misc]
