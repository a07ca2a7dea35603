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
