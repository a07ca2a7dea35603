"""The claims pages: the catalogue's derived verdicts, and the audit of the seed documents."""

from __future__ import annotations

from collections.abc import Sequence

from wdtheory.claims.catalogue import CLAIMS, verify_all
from wdtheory.claims.engine import Evidence, Result
from wdtheory.claims.render import render_results
from wdtheory.report.settings import Files, Settings

__all__ = ["pages", "verify_part"]


def verify_part(part: int, settings: Settings) -> list[tuple[int, Evidence, float]]:
    """Half of the claims catalogue (``part`` 0 or 1), so that two workers share it; the claims
    travel back by position (their checks are not picklable)."""
    return [(CLAIMS.index(r.claim), r.evidence, r.seconds) for r in verify_all(CLAIMS[part::2])]


def pages(results: Sequence[Result]) -> Files:
    agree = sum(r.agrees for r in results)
    claims = [
        "# Claims",
        "",
        f"`wdtheory verify` derives every verdict with the engines in this run: {agree} of {len(results)} "
        "agree with their expected verdicts.",
        "",
        render_results(results, "markdown"),
    ]
    seeds = [r for r in results if "seed" in r.claim.source]
    audit = [
        "# Audit of the seed documents",
        "",
        "Every claim the seed documents make, with the verdict derived by the code. `conditional` means true "
        "only under the conditions the evidence names; `not checkable` marks opinions or statements about "
        "deep networks outside this theory.",
        "",
    ]
    for source in ("seed 000", "seed 001", "seed 002"):
        group = [r for r in seeds if source in r.claim.source]
        audit += [f"## {source}", "", render_results(group, "markdown")]
    return {"claims.md": "\n".join(claims) + "\n", "audit.md": "\n".join(audit) + "\n"}
