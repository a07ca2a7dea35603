"""The derivation pages: every loss with every penalty, derived and proved."""

from __future__ import annotations

from wdtheory.core.notation import LAMBDA, LAMBDA_1, LAMBDA_2
from wdtheory.problems.derive import derive_problem
from wdtheory.problems.problem import Problem
from wdtheory.report.settings import Files, Settings

__all__ = ["STRENGTHS", "page"]

#: the penalty strengths of each penalty page (settings.penalties names them)
STRENGTHS = {
    "l2": {"l2": LAMBDA},
    "l1": {"l1": LAMBDA_1},
    "elastic-net": {"l1": LAMBDA_1, "l2": LAMBDA_2},
}


def page(loss: str, penalty: str, settings: Settings) -> Files:
    problem = Problem.create(loss, **STRENGTHS[penalty])
    return {f"derivations/{loss}-{penalty}.md": derive_problem(problem).render("markdown")}
