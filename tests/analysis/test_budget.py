"""Time budgets (issue 15, item 6): every search ends in bounded time, with an answer or an
undecided one saying in one line what was still being searched — in the library and on the
command line."""

from __future__ import annotations

import contextlib
import io
import json
import math
import random
import signal
import threading
import time
from itertools import islice

import pytest
import sympy as sp

from wdtheory.analysis import budget
from wdtheory.analysis import compare as compare_module
from wdtheory.analysis.budget import OutOfTime, check, searching, shielded, within
from wdtheory.analysis.compare import Verdict, compare
from wdtheory.analysis.convert import convert
from wdtheory.analysis.exact import TIDY_GROWTH, nonzero_somewhere, tidy
from wdtheory.analysis.fixed_points import fixed_point
from wdtheory.cli import main
from wdtheory.optim.dynamics import Dynamics, quadratic_gradients
from wdtheory.optim.optimizer import Optimizer

pytestmark = pytest.mark.usefixtures("fresh_comparisons")

MAIN_THREAD = threading.current_thread() is threading.main_thread()


def opt(spec: str) -> Optimizer:
    return Optimizer.from_spec(spec)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def spend_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the deadline has passed (the clock reads infinity), then check."""
    monkeypatch.setattr(budget, "monotonic", lambda: math.inf)
    check()


# --- the root cause: tidy multiplied out an expression with several roots of sums ------------


def test_adam_with_a_symbolic_beta2_differs_from_adam_at_step_2_well_within_a_budget() -> None:
    # 74 s before: tidy's cancel + factor turned the 152-operation quadratic difference into
    # 366,757 operations, which the answer then printed
    comparison = compare(opt("adam(beta2=b)"), opt("adam"), budget=30)
    assert comparison.verdict is Verdict.DIFFERENT, comparison.evidence
    assert comparison.first_difference == 2 and comparison.confirmed
    assert sp.count_ops(comparison.quadratic_difference) < 1000


def second_step_on_a_quadratic(spec: str) -> sp.Expr:
    return next(islice(Dynamics(opt(spec)).trajectory(quadratic_gradients), 1, None))


def test_tidy_does_not_multiply_out_several_roots_of_sums() -> None:
    # the quadratic difference above: roots of b*g_1^2 + (1 - b)*g_2^2, of 999*g_1^2 +
    # 1000*g_2^2 and of 1 - b, which cancel + factor multiplied out for a minute
    expr = second_step_on_a_quadratic("adam") - second_step_on_a_quadratic("adam(beta2=b)")
    with within(20):
        tidied = tidy(expr)
    assert sp.count_ops(tidied) <= TIDY_GROWTH * sp.count_ops(expr)
    assert not nonzero_somewhere(tidied - expr, random.Random(1))  # the same value


def test_tidy_still_factors_what_is_cheap() -> None:
    eta, lam, w, v, eps = sp.symbols("eta lambda w v epsilon", positive=True)
    expr = eta * lam * w / (sp.sqrt(v) + eps) + 2 * eta * lam * w / (sp.sqrt(v) + eps) - eta * w
    assert tidy(expr) == sp.factor(sp.cancel(expr))


# --- undecided answers when the budget runs out ------------------------------------------------


def test_a_spent_budget_makes_a_comparison_undecided_with_the_reason() -> None:
    comparison = compare(opt("torch.adam"), opt("torch.adamw"), budget=1e-9)
    assert comparison.verdict is Verdict.UNDECIDED and not comparison.confirmed
    assert comparison.overrun is not None and comparison.overrun.seconds == 1e-9
    assert comparison.evidence[-1] == comparison.overrun.sentence
    assert comparison.overrun.sentence.startswith("could not decide within 1e-09 s, because ")


def test_the_reason_names_the_search_still_running(monkeypatch) -> None:
    def counterexample_point(difference, rng):
        spend_the_budget(monkeypatch)

    monkeypatch.setattr(compare_module, "counterexample_point", counterexample_point)
    comparison = compare(opt("torch.adam"), opt("torch.adamw"), budget=600)
    assert comparison.verdict is Verdict.UNDECIDED
    assert comparison.overrun.searching == "looking for a rational counterexample at step 1"
    assert comparison.overrun.sentence == (
        "could not decide within 600 s, because it was still looking for a rational "
        "counterexample at step 1"
    )
    # what was found before is kept
    assert any(e.startswith("no map found") for e in comparison.evidence[:-1])


def test_a_conversion_out_of_time_is_undecided_not_none(monkeypatch) -> None:
    source = opt("torch.adamw(eps=e1, amsgrad=true)")
    calls = []
    real = compare_module._different

    def different(*args):  # the second candidate runs out of time
        calls.append(args[1].name)
        if len(calls) == 2:
            spend_the_budget(monkeypatch)
        return real(*args)

    monkeypatch.setattr(compare_module, "_different", different)
    conversion = convert(source, "optax", budget=600)
    assert conversion.target is None and not conversion.decided
    assert conversion.reason == conversion.overrun.sentence
    assert conversion.overrun.searching == f"comparing with {calls[1]}"
    assert conversion.near == ()
    assert [c.verdict for c in conversion.comparisons][-1] is Verdict.UNDECIDED


def test_a_fixed_point_out_of_time_is_neither_ridge_nor_not_ridge() -> None:
    fixed = fixed_point(opt("adam"), budget=1e-9)
    assert not fixed.decided and not fixed.is_ridge and fixed.gradient is None
    assert fixed.summary == f"undecided: {fixed.overrun.sentence}"
    assert fixed_point(opt("sgd(weight_decay=lam)"), budget=30).is_ridge


def test_without_a_budget_nothing_is_checked(monkeypatch) -> None:
    monkeypatch.setattr(budget, "monotonic", lambda: math.inf)
    check()
    assert compare(opt("sgd"), opt("torch.sgd")).verdict is Verdict.IDENTICAL


# --- the budget itself --------------------------------------------------------------------------


@pytest.mark.skipif(not MAIN_THREAD or not hasattr(signal, "setitimer"), reason="timer signal")
def test_one_long_sympy_call_is_stopped_at_the_deadline() -> None:
    x, y, z, w = sp.symbols("x y z w")
    before = signal.getsignal(signal.SIGALRM)
    start = time.monotonic()
    with pytest.raises(OutOfTime) as raised, within(0.2), searching("expanding a power"):
        sp.expand((x + y + z + w + 1) ** 40)  # minutes in one call: no check inside
    assert time.monotonic() - start < 10
    assert raised.value.overrun.searching == "expanding a power"
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.skipif(not MAIN_THREAD or not hasattr(signal, "setitimer"), reason="timer signal")
def test_an_interruption_that_was_swallowed_comes_again() -> None:
    # as when it lands in a garbage collector callback (hypothesis installs one), which only
    # prints an exception
    swallowed = 0
    start = time.monotonic()
    with pytest.raises(OutOfTime), within(0.1):
        while time.monotonic() - start < 20:  # no check in this loop: only the signal stops it
            try:
                sum(range(1000))
            except OutOfTime:
                swallowed += 1
                if swallowed == 2:
                    raise
    assert time.monotonic() - start < 10


def test_in_another_thread_the_checks_stop_a_search() -> None:
    before = signal.getsignal(signal.SIGALRM)
    raised = []

    def search() -> None:
        try:
            with within(0.05), searching("counting"):
                while True:
                    check()
        except OutOfTime as out:
            raised.append(out.overrun)

    thread = threading.Thread(target=search)
    thread.start()
    thread.join(timeout=30)
    assert [o.searching for o in raised] == ["counting"]
    assert signal.getsignal(signal.SIGALRM) is before


def test_shielded_work_ends_and_the_next_check_raises() -> None:
    with pytest.raises(OutOfTime), within(0.05):
        with shielded():
            time.sleep(0.3)  # the timer fires here: no exception inside
            finished = True
        assert finished
        check()


def test_a_search_that_ends_with_its_shielded_work_keeps_its_answer() -> None:
    with within(0.05):
        with shielded():
            time.sleep(0.3)
        answer = 42
    assert answer == 42


def test_a_budget_inside_a_budget_is_the_outer_one() -> None:
    with within(600), within(1e-9):
        check()


# --- the command line -----------------------------------------------------------------------------


def test_the_command_line_says_undecided_in_one_line_in_text_and_json() -> None:
    argv = ("compare", "torch.adam", "torch.adamw", "--budget", "1e-9")
    code, out, err = run(*argv)
    assert (code, err) == (0, "")
    verdict = out.split("Verdict\n-------\n", 1)[1].split("\n", 1)[0]
    assert verdict == (
        "A = torch.adam, B = torch.adamw: undecided: could not decide within 1e-09 s, because "
        "it was still starting the search."
    )
    code, out, err = run(*argv, "--format", "json")
    record = json.loads(out)
    assert (code, record["verdict"], record["confirmed"]) == (0, "undecided", False)
    assert record["evidence"][-1].startswith("could not decide within 1e-09 s, because ")


@pytest.mark.parametrize(
    ("argv", "answer"),
    [
        (("convert", "torch.adamw", "--to", "optax", "--expect", "none"), "undecided"),
        (("convert", "torch.adamw", "--to", "optax", "--expect", "found"), "undecided"),
        (("fixed-point", "sgd(weight_decay=lam)", "--expect", "not-ridge"), "undecided"),
        (("compare", "sgd", "torch.sgd", "--expect", "identical"), "undecided"),
    ],
)
def test_an_undecided_answer_meets_no_other_expectation(argv, answer) -> None:
    code, out, err = run(*argv, "--budget", "1e-9", "--format", "json")
    assert code == 1 and err == f"wdtheory: expected {argv[-1]}, got {answer}\n"
    record = json.loads(out)
    if argv[0] == "convert":
        assert not record["found"] and record["reason"].startswith("could not decide within")
    if argv[0] == "fixed-point":
        assert record["summary"].startswith("undecided: could not decide within")


@pytest.mark.parametrize("seconds", ["0", "-1", "nan", "inf", "soon"])
def test_a_budget_that_is_no_positive_number_is_a_one_line_error(seconds) -> None:
    code, out, err = run("compare", "sgd", "torch.sgd", "--budget", seconds)
    assert (code, out) == (2, "")
    assert err == (
        f"wdtheory: error: argument --budget: {seconds!r} is not a positive number of seconds "
        "(see 'wdtheory compare --help')\n"
    )
