"""A user's own questions (:mod:`wdtheory.analysis.questions`): read from TOML, each checked in
one line naming its position, answered as the command line answers it."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from wdtheory.analysis.questions import Question, ask, read_questions
from wdtheory.cli import main
from wdtheory.core.errors import WdtheoryError

GOOD = """
[[question]]
compare = ["torch.adam(weight_decay=1e-2)", "torch.adamw(weight_decay=1e-2)"]
title = "Is Adam with weight_decay AdamW?"

[[question]]
fixed-point = "sgdw(momentum=0.9)"
symbolic = true

[[question]]
convert = "torch.sgd(lr=0.1, momentum=0.9)"
to = "keras"

[[question]]
derive = "squared_error(l2=lam)"
"""


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "questions.toml"
    path.write_text(text)
    return path


def test_a_file_of_questions_reads_as_the_commands_it_asks(tmp_path):
    questions = read_questions(written(tmp_path, GOOD))
    assert [q.command for q in questions] == [
        "wdtheory compare 'torch.adam(weight_decay=1e-2)' 'torch.adamw(weight_decay=1e-2)'",
        "wdtheory fixed-point 'sgdw(momentum=0.9)' --symbolic",
        "wdtheory convert 'torch.sgd(lr=0.1, momentum=0.9)' --to keras",
        "wdtheory derive 'squared_error(l2=lam)'",
    ]
    assert questions[0].title == "Is Adam with weight_decay AdamW?"


@pytest.mark.parametrize("index", range(4))
def test_a_question_is_answered_as_its_command_prints_the_answer(tmp_path, index):
    question = read_questions(written(tmp_path, GOOD))[index]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([*shlex.split(question.command)[1:], "--format", "markdown"]) == 0
    assert ask(question).render("markdown") == out.getvalue()


@pytest.mark.parametrize(
    "question",
    [
        Question("compare", ("a(x=1)", "b")),
        Question("compare", ("a(x=1)", "b"), symbolic=True),
        Question("convert", ("torch.adamw(lr=1e-3) ; rm -rf /",), to="optax"),
        Question("derive", ("x" * 300,)),
        Question("fixed-point", ("Torch.SGD(lr=0.1)",)),
    ],
)
def test_every_page_name_is_safe_and_names_one_question(question):
    slug = question.slug
    assert re.fullmatch(r"[a-z0-9._-]{1,70}", slug) and not slug.startswith((".", "-"))
    others = [Question("compare", ("a(x=1)", "b")), Question("compare", ("a(x=2)", "b"))]
    assert len({q.slug for q in [question, *others]}) == len({question, *others})


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("[[question]]\ncompare = 'torch.adam'", ["question 1", "compare takes a list of 2 specs"]),
        ("[[question]]\nderive = ['a', 'b']", ["question 1", "derive takes a spec"]),
        ("[[question]]\ncompare = ['a', 'b']\nderive = 'c'", ["exactly one of", "compare, derive"]),
        ("[[question]]\ntitle = 'x'", ["exactly one of", "got none"]),
        ("[[question]]\nconvert = 'torch.adamw'", ["'to' is convert's framework", "give it"]),
        (
            "[[question]]\nconvert = 'torch.adamw'\nto = 'optx'",
            ["to='optx'", "did you mean 'optax'"],
        ),
        ("[[question]]\nderive = 'torch.adam'\nto = 'optax'", ["not derive's"]),
        (
            "[[question]]\nderive = 'torch.adam'\nsymbolc = true",
            ["'symbolc'", "did you mean 'symbolic'"],
        ),
        ("[[question]]\nderive = 'torch.adam'\nsymbolic = 1", ["symbolic=1", "true, false"]),
        ("[[question]]\nderive = 'a'\n[[question]]\nderive = 'torch.sgd(lr=)'", ["question 2"]),
        (
            "[[question]]\nderive = 'a'\n[[question]]\nderive = 'a'",
            ["question 2 repeats question 1"],
        ),
        ("[[question]]\nderive = '__import__(\"os\")'", ["question 1"]),
        ("[questions]\nderive = 'a'", ["unknown table 'questions'", "[[question]]"]),
        ("", ["holds no [[question]]"]),
        ("question = 3", ["holds no [[question]]"]),
        ("[[question]\n", ["is not a TOML file"]),
        (
            "[[question]]\nderive = 'torch.adam'\nschedule = 'cosine(steps=3)'",
            ["question 1: schedule is a schedule spec for compare, fixed-point, convert"],
        ),
        (
            "[[question]]\nfixed-point = 'sgdw'\nschedule = 'cosin(steps=3)'",
            ["question 1: schedule: unknown schedule 'cosin'", "did you mean 'cosine'"],
        ),
        ("[[question]]\nderive = 'a'\nbudget = 0", ["budget=0", "positive number of seconds"]),
        ("[[question]]\nderive = 'a'\nbudget = -3.5", ["budget=-3.5"]),
        ("[[question]]\nderive = 'a'\nbudget = '30'", ["budget='30'"]),
        ("[[question]]\nderive = 'a'\nbudget = true", ["budget=True"]),
        ("[[question]]\nderive = 'a'\nbudget = inf", ["budget=inf"]),
        ("[[question]]\nderive = 'a'\nbudget = nan", ["budget=nan"]),
    ],
)
def test_a_bad_entry_is_one_line_naming_where_it_is(tmp_path, text, fragments):
    with pytest.raises(WdtheoryError) as error:
        read_questions(written(tmp_path, text))
    message = str(error.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(WdtheoryError, match=r"cannot read the questions file .*missing\.toml"):
        read_questions(tmp_path / "missing.toml")


def test_a_loss_where_an_optimizer_is_asked_for_is_refused_in_one_line():
    with pytest.raises(WdtheoryError, match="'squared_error' is a loss"):
        ask(Question("fixed-point", ("squared_error(l2=lam)",)))


RECIPE = 'optimizer = "torch.sgd(lr=0.1, weight_decay=0.01)"\nsteps = 50\n'


def test_an_audit_question_reads_its_recipe_relative_to_the_questions_file(tmp_path):
    (tmp_path / "recipes").mkdir()
    (tmp_path / "recipes" / "r.toml").write_text(RECIPE)
    (question,) = read_questions(written(tmp_path, '[[question]]\naudit = "recipes/r.toml"'))
    assert question.command == "wdtheory audit recipes/r.toml"  # as written, wherever it runs
    assert ask(question).render("text").startswith("audit: constant(1), 50 steps")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[[question]]\naudit = "missing.toml"', "question 1: cannot read the recipe"),
        ('[[question]]\naudit = "r.toml"\nsymbolic = true', "an audit runs numbers"),
    ],
)
def test_a_bad_audit_question_is_one_line(tmp_path, text, fragment):
    (tmp_path / "r.toml").write_text(RECIPE)
    with pytest.raises(WdtheoryError) as error:
        read_questions(written(tmp_path, text))
    assert "\n" not in str(error.value) and fragment in str(error.value), str(error.value)


def test_a_question_under_a_schedule_asks_what_the_command_line_asks(tmp_path):
    (question,) = read_questions(
        written(
            tmp_path,
            "[[question]]\nfixed-point = 'sgdw(weight_decay=1e-3, decay=independent)'\n"
            "schedule = 'cosine(steps=10, floor=0.5)'\n",
        )
    )
    assert question.command.endswith("--schedule 'cosine(steps=10, floor=0.5)'")
    text = ask(question).render("text")
    assert "Under a learning-rate schedule" in text and "(s = 0.5)" in text


def test_a_question_with_a_budget_asks_what_the_command_line_asks_with_it(tmp_path):
    (question,) = read_questions(
        written(tmp_path, "[[question]]\ncompare = ['torch.adam', 'torch.adamw']\nbudget = 7.5\n")
    )
    assert question.budget == 7.5 and question.command.endswith("--budget 7.5")
    precise = Question("compare", ("torch.adam", "torch.adamw"), budget=7.123456789)
    assert precise.command.endswith("--budget 7.123456789")  # the budget it is answered with
    assert Question("derive", ("a",), budget=1234567.0).command.endswith("--budget 1234567")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([*shlex.split(question.command)[1:], "--format", "markdown"]) == 0
    assert ask(question).render("markdown") == out.getvalue()
