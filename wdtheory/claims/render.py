"""Claim results as a text table (the terminal), a markdown table (the reports) or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from wdtheory.claims.engine import Result
from wdtheory.core.errors import check_choice

__all__ = ["FORMATS", "render_results"]

FORMATS = ("text", "markdown", "json")


def render_results(results: Sequence[Result], fmt: str = "text") -> str:
    """The results as ``text``, a ``markdown`` table or ``json`` (a list of objects)."""
    renderer = {"text": _text, "markdown": _markdown, "json": _json}
    return renderer[check_choice("format", fmt, FORMATS)](results)


def _json(results: Sequence[Result]) -> str:
    rows = [
        {
            "id": r.claim.id,
            "statement": r.claim.statement,
            "source": r.claim.source,
            "expected": str(r.claim.expected),
            "verdict": str(r.evidence.verdict),
            "kind": r.evidence.kind,
            "evidence": r.evidence.details,
            "agrees": r.agrees,
        }
        for r in results
    ]
    return json.dumps(rows, indent=2) + "\n"


def _cell(text: str) -> str:
    """Text for a markdown table cell: a pipe inside a cell would end it."""
    return text.replace("|", "\\|")


def _markdown(results: Sequence[Result]) -> str:
    lines = ["| claim | source | verdict | evidence |", "|---|---|---|---|"]
    lines += [
        f"| {_cell(r.claim.statement)} | {r.claim.source} | **{r.evidence.verdict}**"
        f"{'' if r.agrees else ' (expected ' + r.claim.expected + ')'} | {r.evidence.kind}: "
        f"{_cell(r.evidence.details)} |"
        for r in results
    ]
    return "\n".join(lines) + "\n"


def _text(results: Sequence[Result]) -> str:
    lines = []
    for r in results:
        status = "ok" if r.agrees else f"MISMATCH (expected {r.claim.expected})"
        lines += [
            f"[{status}] {r.claim.id}: {r.evidence.verdict} ({r.evidence.kind}, {r.seconds:.1f}s)",
            f"    {r.claim.statement}",
            f"    evidence: {r.evidence.details}",
        ]
    agree = sum(r.agrees for r in results)
    lines.append(f"{agree}/{len(results)} claims agree with their expected verdicts")
    return "\n".join(lines) + "\n"
