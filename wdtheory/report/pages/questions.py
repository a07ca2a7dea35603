"""The pages of the user's own questions (``wdtheory report --questions FILE``): one page each,
the answer as the command line gives it, under the question's title."""

from __future__ import annotations

from wdtheory.analysis.questions import Question, ask
from wdtheory.core.printing import plain_markdown
from wdtheory.report.settings import Files

__all__ = ["FOLDER", "file_name", "page"]

#: the report's subfolder for the questions' pages
FOLDER = "questions"


def file_name(question: Question) -> str:
    return f"{FOLDER}/{question.slug}.md"


def page(question: Question) -> Files:
    """The question's page: its title (or the derivation's), the command that asks the same,
    and the derivation that answers it."""
    answer = ask(question).render("markdown")
    heading, _, body = answer.partition("\n")
    title = f"# {plain_markdown(question.title)}" if question.title else heading
    asked = f"Asked as `{question.command}`; the answer below is what that command prints."
    return {file_name(question): f"{title}\n\n{asked}\n{body}"}
