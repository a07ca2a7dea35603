"""Fuzz: accepted optimizer specs through every command that reads one (issue 15, item 6).

Specs are drawn from the catalogue (every preset and generic optimizer), each hyperparameter
left out, a number (in its range or not) or a name, each switch left out or one of its values,
sometimes ``--symbolic`` (and ``derive`` also reads problem specs: a loss with random
penalties); the commands ``derive``, ``compare``, ``fixed-point`` and ``convert``
run in this process through :func:`wdtheory.cli.main` with a small ``--budget``. Every call must
end with status 0 (an answer) or 2 (one line on stderr), never a traceback, and within its
budget plus a margin for what the budget does not cover (parsing, rendering the answer).

The default run draws a few specs per command (about 10 s in all); the ``slow`` test draws many
more with a larger budget (``pytest -m slow tests/test_fuzz.py``).
"""

from __future__ import annotations

import contextlib
import io
import json
import time

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from optimizer_cases import examples

from wdtheory.analysis.compare import Verdict
from wdtheory.analysis.convert import FRAMEWORKS
from wdtheory.answers.schema import SCHEMA
from wdtheory.cli import main
from wdtheory.optim.presets import OPTIMIZERS
from wdtheory.problems.losses import LOSSES

VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

#: what the budget does not bound: reading the spec, rendering and printing the answer
MARGIN = 20.0
#: names a user may give a hyperparameter (some are the rules' own symbols: eta, mu, kappa)
NAMES = ("a1", "b2", "lam", "mu", "e1", "eta", "kappa")
#: numbers in and out of the ranges of the roles (0 for eps, 1 for a decay, 2 for a momentum)
NUMBERS = ("0", "0.5", "0.9", "0.999", "1", "2", "1e-3", "1e-8", "0.1")
COMMANDS = ("derive", "compare", "fixed-point", "convert")


@st.composite
def specs(draw: st.DrawFn) -> str:
    """An optimizer spec from the catalogue with a random mix of numeric and symbolic
    hyperparameters and switches."""
    name = draw(st.sampled_from(sorted(OPTIMIZERS)))
    definition = OPTIMIZERS[name]
    arguments = []
    for key in definition.params:
        value = draw(st.sampled_from(("", "", "number", "name")))
        if value == "number":
            arguments.append(f"{key}={draw(st.sampled_from(NUMBERS))}")
        elif value == "name":
            arguments.append(f"{key}={draw(st.sampled_from(NAMES))}")
    for flag, allowed in definition.flags.items():
        if len(allowed) > 1 and draw(st.booleans()):
            value = draw(st.sampled_from(allowed))
            arguments.append(f"{flag}={str(value).lower()}")
    return f"{name}({', '.join(arguments)})" if arguments else name


@st.composite
def problems(draw: st.DrawFn) -> str:
    """A problem spec: a loss with L1 and L2 strengths left out, numbers or names, and its
    switches."""
    arguments = []
    for key in ("l1", "l2"):
        value = draw(st.sampled_from(("", "number", "name")))
        if value:
            pool = NUMBERS if value == "number" else NAMES
            arguments.append(f"{key}={draw(st.sampled_from(pool))}")
    for key in ("half", "penalize_bias"):
        if draw(st.booleans()):
            arguments.append(f"{key}={str(draw(st.booleans())).lower()}")
    return f"{draw(st.sampled_from(sorted(LOSSES)))}({', '.join(arguments)})"


@st.composite
def command_lines(draw: st.DrawFn, command: str, budget: float) -> list[str]:
    """A command line of ``command`` (derive also takes problem specs)."""
    argv = [command, draw(st.one_of(specs(), problems()) if command == "derive" else specs())]
    if command == "compare":
        argv.append(draw(specs()))
    if command == "convert":
        argv += ["--to", draw(st.sampled_from(FRAMEWORKS))]
    if command != "derive":
        argv += ["--budget", str(budget)]
    if draw(st.booleans()):
        argv.append("--symbolic")
    argv += ["--format", draw(st.sampled_from(("text", "json")))]
    return argv


def run_and_check(argv: list[str], budget: float) -> None:
    """Run one command line in this process and check how it ended (see the module doc)."""
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    seconds = time.monotonic() - start
    out, err = out.getvalue(), err.getvalue()
    assert "Traceback" not in out + err, argv
    assert code in (0, 2), (argv, code, err)
    assert seconds <= budget + MARGIN, (argv, seconds)
    if code == 2:  # a spec refused (the command lines themselves are well formed)
        assert out == "", argv
        assert err.startswith("wdtheory: error: ") and err.count("\n") == 1, (argv, err)
        assert "--help" not in err, (argv, err)
        return
    assert err == "", (argv, err)
    if "json" in argv:
        record = json.loads(out)
        VALIDATOR.validate(record)
        if argv[0] == "compare" and record["verdict"] == Verdict.UNDECIDED:
            assert record["evidence"], argv  # the reason: no map nor difference, or the budget
        if argv[0] == "convert" and not record["found"]:
            assert record["reason"] and "\n" not in record["reason"], argv
    elif argv[0] != "derive":  # the answer: the first line of the first section, one line
        answer, after = out.splitlines()[5:7]
        assert answer.strip(), (argv, answer)
        assert after == "" or after.startswith("  "), (argv, after)


@pytest.mark.parametrize("command", COMMANDS)
@settings(max_examples=examples(5), suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_every_command_ends_in_its_budget_with_an_answer_or_one_line(command, data) -> None:
    argv = data.draw(command_lines(command, budget=1.0), label="argv")
    run_and_check(argv, budget=1.0)


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
@settings(max_examples=examples(150), suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_many_specs_end_in_their_budget_with_an_answer_or_one_line(command, data) -> None:
    argv = data.draw(command_lines(command, budget=5.0), label="argv")
    run_and_check(argv, budget=5.0)
