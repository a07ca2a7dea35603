"""A question's page (:mod:`wdtheory.report.pages.questions`): the command that asks it and its
answer, searched without a time limit unless the question sets ``budget``, so that the
committed pages do not depend on the speed of the machine that writes them."""

from __future__ import annotations

from pathlib import Path

import pytest

from wdtheory.analysis.questions import read_questions
from wdtheory.report.pages import questions as question_pages


@pytest.mark.parametrize(
    ("entry", "budget", "said"),
    [
        ("", None, "given the time it needs"),
        ("budget = 45", 45.0, "--budget 45`; the answer below is what that command prints."),
    ],
)
def test_a_question_is_searched_with_its_own_budget_or_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str, budget: float | None, said: str
) -> None:
    path = tmp_path / "questions.toml"
    path.write_text(f"[[question]]\ncompare = ['torch.adam', 'torch.adamw']\n{entry}\n")
    (question,) = read_questions(path)
    asked_with = []
    answer = question_pages.answer

    def recording(question, budget):
        asked_with.append(budget)
        return answer(question, budget)

    monkeypatch.setattr(question_pages, "answer", recording)
    (text,) = question_pages.page(question).values()
    assert asked_with == [budget]
    assert said in text
