"""Rendering claim results: a text table, a markdown table whose cells survive pipes, JSON."""

from __future__ import annotations

import dataclasses

import pytest

from wdtheory.claims.catalogue import CLAIMS
from wdtheory.claims.engine import Claim, ClaimVerdict, Evidence, EvidenceKind, verify
from wdtheory.claims.render import render_results
from wdtheory.core.errors import WdtheoryError


@pytest.fixture
def results():
    """One result per claim of the catalogue, each agreeing with its expected verdict (the
    rendering of the real results is on the committed claims page, compared byte for byte)."""
    return verify(
        [
            dataclasses.replace(
                claim,
                check=lambda c=claim: Evidence(c.expected, (EvidenceKind.PROOF,), c.statement),
            )
            for claim in CLAIMS
        ]
    )


def test_render_text(results):
    text = render_results(results, "text")
    assert text.endswith("\n")
    lines = text.splitlines()
    assert lines[-1] == f"{len(CLAIMS)}/{len(CLAIMS)} claims agree with their expected verdicts"
    assert len(lines) == 3 * len(CLAIMS) + 1
    for claim in CLAIMS:
        assert any(line.startswith(f"[ok] {claim.id}: ") for line in lines), claim.id
    assert render_results(results) == text  # text is the default


def test_render_markdown(results):
    markdown = render_results(results, "markdown")
    lines = markdown.splitlines()
    assert lines[0] == "| claim | source | verdict | evidence |"
    assert lines[1] == "|---|---|---|---|"
    assert len(lines) == 2 + len(CLAIMS)
    for line in lines[2:]:
        assert line.startswith("| ") and line.endswith(" |")
        assert line.count(" | ") == 3, line  # pipes inside the evidence are escaped
        assert "**" in line


def test_render_shows_a_mismatch():
    evidence = Evidence(ClaimVerdict.FALSE, (EvidenceKind.PROOF,), "d|e")
    claim = Claim("x", "s", "src", ClaimVerdict.TRUE, lambda: evidence)
    results = verify([claim])
    assert "MISMATCH (expected true)" in render_results(results, "text")
    assert "0/1 claims agree" in render_results(results, "text")
    assert "(expected true)" in render_results(results, "markdown")
    cell = render_results(results, "markdown").splitlines()[-1]
    assert "d|e" not in cell.replace("\\|", "")  # a raw pipe would end the cell
    assert "d\\|e" in cell


def test_an_unknown_format_is_refused_with_the_choices():
    with pytest.raises(WdtheoryError, match=r"unknown format 'html'.*markdown, text"):
        render_results([], "html")


def test_markdown_cells_read_back_as_the_text_they_hold():
    """Parsed by a markdown parser (markdown-it-py, GFM tables): one row per claim, four cells,
    no emphasis or HTML made of SymPy's ``*`` or a ``<``, and each cell's text is the statement
    or evidence exactly as written."""
    from markdown_it import MarkdownIt

    text = "a*b*c | w_0*lambda <x> [link](y) \\ |w|"
    evidence = Evidence(ClaimVerdict.TRUE, (EvidenceKind.PROOF,), text)
    claim = Claim("x", text, "seed 000", ClaimVerdict.TRUE, lambda: evidence)
    tokens = (
        MarkdownIt("commonmark").enable("table").parse(render_results(verify([claim]), "markdown"))
    )
    assert not {t.type for t in tokens} & {"html_block"}
    cells = [t for t in tokens if t.type == "inline"]
    assert len(cells) == 8  # header and one row of four
    assert all(
        child.type in ("text", "softbreak", "strong_open", "strong_close")
        for cell in cells
        for child in cell.children
    )
    row = ["".join(c.content for c in cell.children if c.type == "text") for cell in cells[4:]]
    assert row[0] == text and row[3] == f"proof: {text}"
