"""The pages of the user's own questions (``wdtheory report --questions FILE``): one page each,
the answer as the command line gives it, under the question's title; an audit's page adds the
plot of its decay along the schedule (:func:`audit_figure`)."""

from __future__ import annotations

from pathlib import PurePosixPath

import numpy as np
import sympy as sp

from wdtheory.analysis.audit import Audit
from wdtheory.analysis.budget import DEFAULT_SECONDS
from wdtheory.analysis.questions import Question, answer
from wdtheory.core.notation import SCHEDULE
from wdtheory.core.printing import plain_markdown
from wdtheory.report import plots
from wdtheory.report.settings import Files

__all__ = ["FOLDER", "audit_figure", "file_name", "page"]

#: the report's subfolder for the questions' pages
FOLDER = "questions"


def file_name(question: Question) -> str:
    return f"{FOLDER}/{question.slug}.md"


def audit_figure(result: Audit) -> bytes:
    """The plot of an audit (:func:`~wdtheory.report.plots.audit_plot`): the schedule, each
    decayed group's shrink by the decay alone, each normalised group's equilibrium angle."""
    multipliers = result.recipe.schedule.values(result.recipe.steps)
    shrinks, angles = {}, {}
    same: dict[str, list[str]] = {}  # groups with one optimizer share their curve
    for group in result.groups:
        same.setdefault(group.group.optimizer.text, []).append(group.group.name)
    for index, group in enumerate(result.groups):
        name = group.group.name
        together = same[group.group.optimizer.text]
        if group.decay is not None and name == together[0]:
            shrinks[", ".join(together)] = (group.decay.path, group.decay.constant_lr_path, index)
        turn = group.rotation
        if turn is not None:
            series = (
                None
                if turn.angle is None
                else np.broadcast_to(
                    sp.lambdify(SCHEDULE, turn.angle, "numpy")(multipliers), multipliers.shape
                )
            )
            angles[name] = (series, turn.measured, index)
    return plots.audit_plot(multipliers, shrinks, angles)


def page(question: Question) -> Files:
    """The question's page: its title (or the derivation's), the command that asks the same,
    and the derivation that answers it (an audit's with its plot)."""
    result = answer(question, question.budget)
    derivation = result.explain() if isinstance(result, Audit) else result
    heading, _, body = derivation.render("markdown").partition("\n")
    title = f"# {plain_markdown(question.title)}" if question.title else heading
    asked = f"Asked as `{question.command}`; the answer below is what that command prints"
    asked += (
        "."
        if question.budget is not None
        else " given the time it needs (the report sets no time budget, so that the page is "
        f"the same on every machine; the command stops searching after {DEFAULT_SECONDS:g} s "
        "unless given `--budget`)."
    )
    name = file_name(question)
    if not isinstance(result, Audit):
        return {name: f"{title}\n\n{asked}\n{body}"}
    picture = str(PurePosixPath(name).with_suffix(".png"))
    shown = f"![the decay along the schedule]({PurePosixPath(picture).name})"
    return {
        name: f"{title}\n\n{asked}\n\n{shown}\n{body}",
        picture: audit_figure(result),
    }
