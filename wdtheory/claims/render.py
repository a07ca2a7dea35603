"""Claim results as a text table (the terminal) or a markdown table (the reports); as JSON they
are one record of :mod:`wdtheory.answers.records` (``wdtheory verify --format json``)."""

from __future__ import annotations

from collections.abc import Sequence

from wdtheory.claims.engine import Result
from wdtheory.core.errors import check_choice
from wdtheory.core.printing import plain_markdown

__all__ = ["FORMATS", "render_results"]

FORMATS = ("text", "markdown")


def render_results(results: Sequence[Result], fmt: str = "text") -> str:
    """The results as ``text`` or a ``markdown`` table."""
    renderer = {"text": _text, "markdown": _markdown}
    return renderer[check_choice("format", fmt, FORMATS)](results)


def _markdown(results: Sequence[Result]) -> str:
    lines = ["| claim | source | verdict | evidence |", "|---|---|---|---|"]
    lines += [
        f"| {plain_markdown(r.claim.statement)} | {plain_markdown(r.claim.source)} | **{r.evidence.verdict}**"
        f"{'' if r.agrees else ' (expected ' + r.claim.expected + ')'} | {r.evidence.kind}: "
        f"{plain_markdown(r.evidence.details)} |"
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
