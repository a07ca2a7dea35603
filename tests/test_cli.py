"""The command line: ``wdtheory derive SPEC`` prints what was derived, in every format, and every
user mistake is one line on stderr starting ``wdtheory: error:``, exit status 2, no traceback.

Derivations take about a second each, so each command line is run once (``run`` is cached) and
the tests read its output.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from wdtheory.cli import main
from wdtheory.problems.losses import LOSSES


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@functools.cache
def run(*argv: str) -> Result:
    """``main(argv)`` in this process, with stdout and stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exit_:  # argparse's --help exits; anything else is a bug
            code = exit_.code if isinstance(exit_.code, int) else 1
    return Result(code, out.getvalue(), err.getvalue())


def assert_user_error(result: Result, *fragments: str) -> str:
    """Exit status 2, nothing on stdout, exactly one line on stderr naming the problem."""
    assert result.code == 2, result
    assert result.out == ""
    assert "Traceback" not in result.err
    assert result.err.endswith("\n")
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith("wdtheory: error: ")
    message = result.err.removeprefix("wdtheory: error: ").rstrip("\n")
    assert message.strip()
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def weight_update(result: Result) -> str:
    (line,) = [line for line in result.lines if line.startswith(("  w <- ", "  W <- "))]
    return line.strip()


# --- derive: what is printed for each loss and penalty ----------------------------------------

PENALTIES = {"l2": "l2=lam", "l1": "l1=lam", "elastic-net": "l1=lam1, l2=lam2"}

#: dl/dz as differentiated by SymPy, one line of the Gradient section
LOSS_DERIVATIVE = {
    "squared_error": "  dl/dz = z_i - y_i",
    "logistic": "  dl/dz = -y_i + sigmoid(z_i)",
    "softmax": "  dl/dz_j = -y[j] + exp(z[j])/Sum(exp(z[c]), (c, 1, K))",
}

#: the collected weight term and the L1 term of the minibatch SGD step (w for a vector output)
SGD_PIECES = {
    "l2": ("(1 - lam*eta)*w + ", None),
    "l1": ("w + ", " + (-lam*eta)*sign(w)"),
    "elastic-net": ("(1 - lam2*eta)*w + ", " + (-lam1*eta)*sign(w)"),
}

#: soft-thresholding, divided by the L2 shrinkage for the elastic net
PROX = {
    "l1": "  prox(v) = Max(0, -lam*eta + Abs(v))*sign(v)",
    "elastic-net": "  prox(v) = Max(0, -lam1*eta + Abs(v))*sign(v)/(1 + lam2*eta)",
}

RIDGE = [
    "  w* = ((lam*n)*I + X_c.T*X_c)**(-1)*X_c.T*y_c",
    "  f = s**2/(s**2 + lam*n)",
    "  b* = ybar - xbar.T*w",
]

CASES = [(loss, penalty) for loss in LOSSES for penalty in PENALTIES]


def derive(loss: str, penalty: str, *options: str) -> Result:
    return run("derive", f"{loss}({PENALTIES[penalty]})", *options)


@pytest.mark.parametrize(("loss", "penalty"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_derive_prints_the_derived_pieces(loss: str, penalty: str) -> None:
    result = derive(loss, penalty)
    assert result.code == 0, result.err
    assert result.err == ""
    lines = result.lines
    title = {"l2": "L2", "l1": "L1", "elastic-net": "elastic net"}[penalty]
    assert lines[0] == (
        f"{loss}({PENALTIES[penalty]}): {LOSSES[loss].title} + {title} penalty (bias unpenalised)"
    )
    assert lines[1] == "=" * len(lines[0])
    assert LOSS_DERIVATIVE[loss] in lines

    # the SGD step collects the terms in the weight: that is the decay
    update = weight_update(result)
    start, l1_term = SGD_PIECES[penalty]
    w = "W" if LOSSES[loss].vector_output else "w"
    assert update.startswith(f"{w} <- " + start.replace("w", w)), update
    if l1_term is None:
        assert "sign(" not in update
    else:
        assert update.endswith(l1_term.replace("(w)", f"({w})")), update

    # soft-thresholding exactly when there is an L1 part
    if penalty in PROX:
        assert "L1: the proximal step (soft-thresholding)" in lines
        assert PROX[penalty] in lines
    else:
        assert not [line for line in lines if line.startswith("L1")]

    # the ridge closed form exactly for squared error with a pure L2 penalty
    if (loss, penalty) == ("squared_error", "l2"):
        assert "Closed form (ridge regression)" in lines
        for line in RIDGE:
            assert line in lines
    else:
        assert "Closed form (ridge regression)" not in lines


def test_numeric_strengths_are_exact_in_the_derivation() -> None:
    result = run("derive", "squared_error(l2=0.1)")
    assert result.code == 0, result.err
    assert weight_update(result).startswith("w <- (1 - eta/10)*w + ")
    assert "  w* = ((n/10)*I + X_c.T*X_c)**(-1)*X_c.T*y_c" in result.lines


def test_half_false_doubles_the_decay() -> None:
    result = run("derive", "squared_error(l2=lam, half=false)")
    assert result.code == 0, result.err
    assert result.lines[0].startswith("squared_error(l2=lam, half=false): ")
    assert weight_update(result).startswith("w <- (1 - 2*lam*eta)*w + ")
    assert "  w* = ((2*lam*n)*I + X_c.T*X_c)**(-1)*X_c.T*y_c" in result.lines


def test_a_penalised_bias_decays_too() -> None:
    result = run("derive", "squared_error(l2=lam, penalize_bias=true)")
    assert result.code == 0, result.err
    assert result.lines[0].endswith("(bias penalised)")
    assert "  b <- b*(1 - lam*eta) - eta*Sum(z_i - y_i, (i, 1, |B|))/|B|" in result.lines
    assert "  theta* = ((lam*n)*I + Xtilde.T*Xtilde)**(-1)*Xtilde.T*y" in result.lines


def test_a_penalised_bias_shrinkage_section_does_not_talk_about_centring() -> None:
    result = run("derive", "squared_error(l2=lam, penalize_bias=true)")
    shrinkage = result.out[result.out.index("Shrinkage along singular directions") :]
    assert "X_c" not in shrinkage and "y_c" not in shrinkage


@pytest.mark.parametrize(
    ("spec", "ambiguous"),
    [
        ("logistic(l1=eta)", ["(-eta*eta)*sign(w)", "eta**2"]),
        ("squared_error(l1=B)", ["R(w) = |B|*||w||_1"]),
        ("squared_error(l2=n)", ["(n*n)*I"]),
    ],
    ids=["eta", "B", "n"],
)
def test_strengths_named_like_internal_symbols_are_not_silently_confused(
    spec: str, ambiguous: list[str]
) -> None:
    result = run("derive", spec)
    if result.code != 2:  # refusing the name is one fix; printing it unambiguously another
        for fragment in ambiguous:
            assert fragment not in result.out


def test_text_format_has_no_latex_markup() -> None:
    result = derive("squared_error", "l1")
    assert "\\" not in result.out and "$" not in result.out


# --- derive: formats --------------------------------------------------------------------------

FORMAT_SPEC = ("squared_error", "l2")


@pytest.fixture(scope="module")
def formats() -> dict[str, Result]:
    return {
        fmt: derive(*FORMAT_SPEC, *([] if fmt == "text" else ["--format", fmt]))
        for fmt in ("text", "json", "latex", "markdown")
    }


@pytest.mark.parametrize("fmt", ["text", "json", "latex", "markdown"])
def test_each_format_succeeds_quietly(formats: dict[str, Result], fmt: str) -> None:
    assert formats[fmt].code == 0
    assert formats[fmt].err == ""
    assert formats[fmt].out.endswith("\n")


def test_format_text_is_the_default(formats: dict[str, Result]) -> None:
    assert derive(*FORMAT_SPEC, "--format", "text").out == formats["text"].out


def test_json_parses_and_has_the_sections(formats: dict[str, Result]) -> None:
    record = json.loads(formats["json"].out)
    assert (record["schema"], record["command"], record["kind"]) == (
        "wdtheory.answer",
        "derive",
        "problem",
    )
    payload = record["derivation"]
    assert payload["title"] == formats["text"].lines[0]
    assert [s["title"] for s in payload["sections"]] == [
        "Objective",
        "Gradient",
        "Minibatch SGD step",
        "Closed form (ridge regression)",
        "Shrinkage along singular directions",
    ]
    for section in payload["sections"]:
        assert set(section) == {"title", "intro", "steps", "checks", "notes"}
        assert section["steps"]
        for step in section["steps"]:
            assert set(step) == {"text", "latex", "note"}
            assert f"  {step['text']}" in formats["text"].lines  # same steps as the text
    gradient = payload["sections"][1]
    assert gradient["checks"] and gradient["checks"][0].startswith("checked exactly")


def test_markdown_has_headings_and_display_math(formats: dict[str, Result]) -> None:
    lines = formats["markdown"].lines
    assert lines[0] == "# " + formats["text"].lines[0]
    assert "## Closed form (ridge regression)" in lines
    assert lines.count("$$") >= 2 * 15 and lines.count("$$") % 2 == 0
    assert r"\mathbf{w} \leftarrow \left(1 - \eta \lambda\right) \mathbf{w}" in formats[
        "markdown"
    ].out.replace(r"\lambda \eta", r"\eta \lambda")
    assert r"\mathbf{X}_{c}^{T} \mathbf{X}_{c}" in formats["markdown"].out


def test_latex_has_sections_and_display_math(formats: dict[str, Result]) -> None:
    lines = formats["latex"].lines
    assert lines[0].startswith(r"\section*{")
    assert r"\subsection*{Closed form (ridge regression)}" in lines
    assert lines.count(r"\[") == lines.count(r"\]") >= 15
    assert r"\frac{\partial \ell}{\partial z} = z_{i} - y_{i}" in lines


def test_every_format_shows_the_same_steps(formats: dict[str, Result]) -> None:
    payload = json.loads(formats["json"].out)["derivation"]
    for section in payload["sections"]:
        for step in section["steps"]:
            assert step["latex"] in formats["latex"].lines
            assert step["latex"] in formats["markdown"].lines


def test_derive_help_lists_losses_and_parameters() -> None:
    result = run("derive", "--help")
    assert result.code == 0
    help_text = " ".join(result.out.split())
    for name in [*LOSSES, "l1:", "l2:", "half:", "penalize_bias:", "--format"]:
        assert name in help_text


# --- user errors ------------------------------------------------------------------------------


SPEC_MISTAKES = {
    "squared_eror(l2=lam)": [
        "unknown loss or optimizer 'squared_eror'",
        "(did you mean 'squared_error'?)",
    ],
    "logistc": ["unknown loss or optimizer 'logistc'", "did you mean 'logistic'"],
    "Softmax(l2=lam)": ["unknown loss or optimizer 'Softmax'", "did you mean 'softmax'"],
    "hinge(l2=lam)": [
        "unknown loss or optimizer 'hinge'",
        "losses: squared_error, logistic, softmax",
    ],
    "torch.sdg(lr=0.1)": ["unknown optimizer 'torch.sdg'", "did you mean 'torch.sgd'"],
    "sdg(lr=0.1)": ["unknown loss or optimizer 'sdg'", "did you mean 'sgd'"],
    "torch.optim.Adamax(params)": ["unknown optimizer 'torch.optim.Adamax'", "adagrad, adam"],
    "squared_error(l3=lam)": ["unknown parameter 'l3'", "allowed: l1, l2, half, penalize_bias"],
    "logistic(l2=lam, penalise_bias=true)": [
        "unknown parameter 'penalise_bias'",
        "did you mean 'penalize_bias'",
    ],
    "squared_error(l2=-0.1)": ["l2=", "out of range", ">= 0"],
    "softmax(l1=-3)": ["l1=-3 is out of range", ">= 0"],
    "squared_error(l1=-lam)": ["'-lam'", "only allowed directly before a number"],
    "squared_error(l2=true)": ["l2=", "not a number"],
    "squared_error(half=1)": ["half=1 must be true or false"],
    "squared_error(penalize_bias=lam)": ["penalize_bias=lam must be true or false"],
    "squared_error(l2=1, l2=2)": ["duplicate parameter 'l2'"],
    "squared_error(l2=1e400)": ["number out of range: '1e400'"],
    "": ["empty spec"],
    "   ": ["empty spec"],
    "squared_error(l2=lam": ["cannot parse spec"],
}


@pytest.mark.parametrize(
    ("spec", "fragments"),
    SPEC_MISTAKES.items(),
    ids=[s if s.strip() else repr(s) for s in SPEC_MISTAKES],
)
def test_spec_mistakes_are_one_line_errors(spec: str, fragments: list[str]) -> None:
    assert_user_error(run("derive", spec), *fragments)


def test_a_negative_strength_is_named_as_written() -> None:
    assert_user_error(run("derive", "squared_error(l2=-0.1)"), "l2=-0.1 ")


HOSTILE = {
    "import-call": ("__import__('os').system('x')", "strings are not allowed"),
    "import-no-quotes": ("__import__(os).system(x)", "bad spec name"),
    "string-value": ("squared_error(l2='x')", "strings are not allowed"),
    "double-quoted": ('squared_error(l2="x")', "strings are not allowed"),
    "call-value": ("squared_error(l2=exec(x))", "a call with arguments is not allowed"),
    "attribute-value": ("squared_error(l2=os.environ)", "l2=os.environ is not a number or a name"),
    "dunder-attribute": ("squared_error(l2=lam.__class__)", "expected a dotted name"),
    "optimizer-reference": ("torch.sgd(lr=os.environ)", "lr=os.environ is not a number"),
    "parameters-call": ("torch.optim.SGD(os.system(x))", "a call with arguments is not allowed"),
    "subscript": ("squared_error(l2=x[0])", "subscripts are not allowed"),
    "expression": ("squared_error(l2=2**100000)", "expressions are not allowed"),
    "lambda": ("squared_error(l2=lambda: 0)", "lambdas are not allowed"),
    "comprehension": ("squared_error(l2=[x for x in y])", "comprehensions are not allowed"),
    "walrus": ("squared_error(l2=(x:=1))", "':=' is not allowed"),
    "positional": ("squared_error(exit)", "positional argument 'exit' is not allowed"),
    "double-star": ("squared_error(**x)", "'**' argument"),
    "call-on-result": ("squared_error(l2=lam)(x=1)", "bad spec name"),
    "statement": ("squared_error; import os", "cannot parse spec"),
    "comment": ("squared_error  # x", "comments are not allowed"),
    "newline": ("squared_error\nimport os", "control character"),
    "null-byte": ("squared_error\x00", "control character"),
    "non-ascii": ("squared_error(l2=λ)", "non-ASCII character"),
    "hex": ("squared_error(l2=0x10)", "no hex"),
    "too-long": ("squared_error(l2=" + "1" * 600 + ")", "too long"),
    "deep-nesting": ("f(" * 120 + ")" * 120, "bad argument 'f(f("),
    "deep-subscripts": ("x" + "[0]" * 100, "bad spec name"),
    "many-signs": ("squared_error(l2=" + "-" * 100 + "1)", "only allowed directly before a number"),
}


@pytest.mark.parametrize(("spec", "fragment"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_specs_are_refused_in_one_line_and_nothing_runs(
    spec: str, fragment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(os, "system", lambda *args: calls.append("os.system") or 0)
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: calls.append("Popen"))
    result = run.__wrapped__("derive", spec)  # not cached: the tripwires must see this run
    assert_user_error(result, fragment)
    assert calls == []


COMMAND_LINE_MISTAKES = {
    "no-command": ([], ["the following arguments are required: command", "'wdtheory --help'"]),
    "no-spec": (["derive"], ["the following arguments are required: spec", "'wdtheory derive"]),
    "unknown-command": (["frobnicate"], ["invalid choice: 'frobnicate'", "'derive'", "'report'"]),
    "bad-format": (["derive", "squared_error", "--format", "pdf"], ["--format: invalid choice"]),
    "format-case": (["derive", "squared_error", "--format", "Markdown"], ["'Markdown'"]),
    "format-no-value": (["derive", "squared_error", "--format"], ["expected one argument"]),
    "unknown-option": (["derive", "squared_error", "--verbose"], ["unrecognized arguments"]),
    "two-specs": (["derive", "squared_error", "logistic"], ["unrecognized arguments: logistic"]),
    "out-no-value": (["report", "--out"], ["argument --out: expected one argument"]),
    "quick-with-value": (["report", "--quick=yes"], ["ignored explicit argument 'yes'"]),
}


@pytest.mark.parametrize(
    ("argv", "fragments"), COMMAND_LINE_MISTAKES.values(), ids=COMMAND_LINE_MISTAKES.keys()
)
def test_command_line_mistakes_are_one_line_errors(argv: list[str], fragments: list[str]) -> None:
    assert_user_error(run(*argv), *fragments)


def test_report_into_an_existing_file_is_a_user_error(tmp_path: Path) -> None:
    existing = tmp_path / "reports"
    existing.write_text("not a folder\n")
    result = run.__wrapped__("report", "--quick", "--out", str(existing))
    assert_user_error(result, f"--out {existing} exists and is not a folder")
    assert existing.read_text() == "not a folder\n"


@pytest.mark.parametrize("where", ["below a file", "dangling link"])
def test_report_into_an_impossible_folder_is_a_user_error(tmp_path: Path, where: str) -> None:
    if where == "below a file":
        (tmp_path / "file").write_text("x")
        out = tmp_path / "file" / "reports"
    else:
        out = tmp_path / "link"
        out.symlink_to(tmp_path / "missing" / "reports")
    assert_user_error(run.__wrapped__("report", "--quick", "--out", str(out)), str(out))


def no_computing(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``wdtheory report`` with its computation replaced by a tripwire: the calls it got."""
    import wdtheory.report.build

    calls: list[int] = []
    monkeypatch.setattr(wdtheory.report.build, "compute_files", lambda *a: calls.append(1) or {})
    return calls


def report_into(out: Path, monkeypatch: pytest.MonkeyPatch, *fragments: str) -> None:
    """``wdtheory report --out OUT`` is a one-line user error, found before computing."""
    calls = no_computing(monkeypatch)
    assert_user_error(run.__wrapped__("report", "--quick", "--out", str(out)), *fragments)
    assert calls == []


def test_report_into_a_name_too_long_for_the_system_is_a_user_error(tmp_path, monkeypatch) -> None:
    """A 300-character --out once ended in a traceback."""
    report_into(tmp_path / ("r" * 300), monkeypatch, "File name too long")
    assert list(tmp_path.iterdir()) == []


def test_report_into_a_read_only_folder_is_refused_before_computing(tmp_path, monkeypatch) -> None:
    """It was once refused by a PermissionError after the whole computation."""
    out = tmp_path / "reports"
    out.mkdir()
    out.chmod(0o555)
    try:
        report_into(out, monkeypatch, f"--out {out} is read-only")
    finally:
        out.chmod(0o755)


@pytest.mark.parametrize("clash", ["derivations", "derivations/logistic-l2.md", "conventions.md"])
def test_report_over_a_users_file_is_refused_before_computing(
    tmp_path, monkeypatch, clash: str
) -> None:
    """A file named ``derivations`` once ended in a traceback after five pages were written;
    a user's page in the way was refused after half a minute of computing."""
    out = tmp_path / "reports"
    (out / clash).parent.mkdir(parents=True, exist_ok=True)
    (out / clash).write_text("mine\n")
    report_into(out, monkeypatch, f"refusing to overwrite {out / clash}")
    assert (out / clash).read_text() == "mine\n"


def test_report_into_the_current_directory_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    report_into(Path("."), monkeypatch, "holds the current directory")


def test_a_bad_questions_file_is_refused_before_computing(tmp_path, monkeypatch) -> None:
    questions = tmp_path / "questions.toml"
    questions.write_text("[[question]]\ncompare = 'torch.adam'\n")
    calls = no_computing(monkeypatch)
    argv = ("report", "--quick", "--out", str(tmp_path / "out"), "--questions", str(questions))
    assert_user_error(run.__wrapped__(*argv), "question 1", "compare takes a list of 2 specs")
    assert calls == [] and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("recipe", "fragments"),
    [
        ("missing.toml", ["cannot read the recipe", "missing.toml"]),
        ("bad.toml", ["bad.toml: unknown key 'stepz'", "did you mean 'steps'"]),
    ],
)
def test_audit_of_a_bad_recipe_is_one_line(tmp_path, recipe: str, fragments) -> None:
    (tmp_path / "bad.toml").write_text('optimizer = "torch.adamw"\nstepz = 10\n')
    assert_user_error(run.__wrapped__("audit", str(tmp_path / recipe)), *fragments)


@pytest.mark.parametrize(
    ("plot", "fragment"),
    [("decay.svg", "ending in .png"), ("no/such/folder/decay.png", "does not exist")],
)
def test_audit_refuses_a_bad_plot_path_before_computing(tmp_path, plot: str, fragment) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text('optimizer = "torch.adamw"\nsteps = 10\n')
    assert_user_error(
        run.__wrapped__("audit", str(recipe), "--plot", str(tmp_path / plot)), fragment
    )


def test_audit_writes_its_plot_beside_the_answer(tmp_path) -> None:
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        'optimizer = "torch.sgd(lr=0.1, weight_decay=0.01)"\nsteps = 200\n'
        'schedule = "cosine(steps=200)"\n[[group]]\nname = "w"\nnormalized = true\n'
    )
    result = run.__wrapped__("audit", str(recipe), "--plot", str(tmp_path / "decay.png"))
    assert result.code == 0 and "angle per step" in result.out
    assert (tmp_path / "decay.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decay.png", "r.toml"]


# --- a real process ---------------------------------------------------------------------------


def console_script() -> list[str]:
    script = Path(sys.executable).with_name("wdtheory")
    return [str(script)] if script.exists() else [sys.executable, "-m", "wdtheory.cli"]


@pytest.mark.parametrize(
    "command",
    [console_script(), [sys.executable, "-m", "wdtheory.cli"]],
    ids=["console-script", "python-m"],
)
def test_a_real_process_reports_a_user_error_in_one_line(command: list[str]) -> None:
    result = subprocess.run(
        [*command, "derive", "squared_eror(l2=lam)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        "wdtheory: error: unknown loss or optimizer 'squared_eror' (did you mean 'squared_error'?); "
        "losses: squared_error, logistic, softmax; optimizers: sgd, "
    )
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")


def run_with_stdout(stdout: str) -> subprocess.CompletedProcess[str]:
    """``wdtheory derive torch.adam`` with its standard output a pipe whose reader has left,
    ``/dev/full``, or closed."""
    command = [*console_script(), "derive", "torch.adam"]
    if stdout == "closed":
        return subprocess.run(
            ["sh", "-c", 'exec "$@" >&-', "sh", *command], capture_output=True, text=True
        )
    if stdout == "full":
        with open("/dev/full", "w") as full:
            return subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True)
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return subprocess.run(command, stdout=writer, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(writer)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    ("stdout", "status", "stderr"),
    [
        ("pipe-left", 141, ""),
        ("full", 2, "wdtheory: error: cannot write the answer: No space left on device\n"),
        ("closed", 2, "wdtheory: error: standard output is closed; the answer would be lost\n"),
    ],
)
def test_an_answer_that_cannot_be_written_ends_in_one_line(stdout, status, stderr) -> None:
    """Each of these once ended in a traceback (pipe, full) or in status 0 with the answer lost."""
    result = run_with_stdout(stdout)
    assert (result.returncode, result.stderr) == (status, stderr)


def children(pid: int) -> set[int]:
    """The child processes of ``pid`` (Linux's /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(c) for c in path.read_text().split()} if path.exists() else set()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc")
def test_a_terminated_report_takes_its_workers_with_it(tmp_path: Path) -> None:
    """SIGTERM to ``wdtheory report`` once left both pool workers computing for a minute."""
    process = subprocess.Popen(
        [*console_script(), "report", "--out", str(tmp_path / "out"), "--quick"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        workers: set[int] = set()
        for _ in range(600):  # the pool starts after the imports: poll for up to a minute
            workers = children(process.pid)
            if len(workers) >= 2:
                break
            time.sleep(0.1)
        assert len(workers) >= 2, "the report started no workers"
        process.terminate()
        process.wait(timeout=30)
        for _ in range(100):
            if not any(Path(f"/proc/{w}").exists() for w in workers):
                break
            time.sleep(0.1)
        alive = {w for w in workers if Path(f"/proc/{w}").exists()}
        # a zombie whose parent ended is reaped by init: count only running ones
        running = {w for w in alive if "Z" not in Path(f"/proc/{w}/stat").read_text().split()[2]}
        assert not running, f"workers {running} outlived the report"
    finally:
        process.kill()


def test_a_real_process_prints_json_and_exits_zero() -> None:
    result = subprocess.run(
        [*console_script(), "derive", "squared_error(l1=0.01)", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    payload = json.loads(result.stdout)["derivation"]
    assert payload["title"].startswith("squared_error(l1=0.01): ")
    steps = [step["text"] for s in payload["sections"] for step in s["steps"]]
    assert "prox(v) = Max(0, -eta/100 + Abs(v))*sign(v)" in steps


# ---------------------------------------------------------------------------------------------
# verify, compare, fixed-point, convert
# ---------------------------------------------------------------------------------------------


def use_verify_all(monkeypatch: pytest.MonkeyPatch, replacement) -> None:
    """Make the ``verify`` command use ``replacement`` (it imports verify_all lazily from
    wdtheory.claims.catalogue)."""
    from wdtheory.claims import catalogue

    monkeypatch.setattr(catalogue, "verify_all", replacement)


def fresh(*argv: str) -> Result:
    """``run`` without its cache, for commands whose outcome a test patches."""
    return run.__wrapped__(*argv)


def agreeing_results() -> list:
    """A result per claim of the catalogue, agreeing with its expected verdict, without running
    the checks (the real catalogue runs in tests/claims and on the committed claims page)."""
    from wdtheory.claims.catalogue import CLAIMS
    from wdtheory.claims.engine import Evidence, EvidenceKind, Result

    return [Result(c, Evidence(c.expected, (EvidenceKind.PROOF,), "stub"), 0.0) for c in CLAIMS]


def test_verify_json_exits_zero_and_parses(monkeypatch) -> None:
    """The command's plumbing (the catalogue's checks are not run here)."""
    results = agreeing_results()
    use_verify_all(monkeypatch, lambda: results)
    result = fresh("verify", "--format", "json")
    assert result.code == 0, result.err
    assert result.err == ""
    data = json.loads(result.out)
    assert data["agree"] == data["total"] == len(results)
    assert len(data["claims"]) == len(results) and all(d["agrees"] for d in data["claims"])


@pytest.mark.slow
def test_verify_json_end_to_end() -> None:
    result = fresh("verify", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["claims"] and all(d["agrees"] for d in data["claims"])


def test_verify_text_exits_zero(monkeypatch) -> None:
    results = agreeing_results()
    use_verify_all(monkeypatch, lambda: results)
    result = fresh("verify")
    assert result.code == 0 and result.err == ""
    n = len(results)
    assert result.lines[-1].startswith(f"{n}/{n} claims agree")


def test_verify_reports_a_disagreement_in_one_line(monkeypatch) -> None:
    from wdtheory.claims.engine import Claim, ClaimVerdict, Evidence, EvidenceKind, verify

    evidence = Evidence(ClaimVerdict.FALSE, (EvidenceKind.PROOF,), "d")
    claim = Claim("x-claim", "s", "src", ClaimVerdict.TRUE, lambda: evidence)
    use_verify_all(monkeypatch, lambda: verify([claim]))
    result = fresh("verify")
    assert result.code == 1  # answered, but not as expected: a claim disagrees
    assert "MISMATCH" in result.out
    assert result.err.count("\n") == 1 and "x-claim" in result.err


def test_compare_smoke():
    r = run("compare", "torch.adamw", "optax.adamw(eps_root=0)", "--symbolic")
    assert r.code == 0 and r.err == ""
    assert "identical" in r.out
    # as the libraries read them, their weight decays differ: 1e-2 against 1e-4
    r = run("compare", "torch.adamw", "optax.adamw")
    assert r.code == 0 and "different" in r.out
    r = run("compare", "torch.adamw(weight_decay=1e-4)", "optax.adamw(learning_rate=1e-3)")
    assert r.code == 0 and "identical" in r.out
    r = run(
        "compare", "torch.sgd(momentum=mu, weight_decay=lam)", "sgdw(momentum=mu, weight_decay=lam)"
    )
    assert r.code == 0 and "different" in r.out and "First difference" in r.out
    r = run("compare", "torch.adamw", "paper.adamw", "--format", "json")
    assert r.code == 0
    assert json.loads(r.out)["derivation"]["title"].startswith("compare torch.adamw")


def test_fixed_point_smoke():
    r = run("fixed-point", "sgdw(momentum=0.5, dampening=0.25)", "--symbolic")
    assert r.code == 0 and r.err == ""
    assert "ridge with lambda_eff = 2*lambda/3" in r.out
    r = run("fixed-point", "sgdw(momentum=0.5, dampening=0.25, weight_decay=0.3)")
    assert r.code == 0 and "ridge with lambda_eff = 1/5" in r.out
    r = run("fixed-point", "torch.adamw", "--format", "markdown")
    assert r.code == 0 and "not a ridge solution" in r.out


def test_convert_smoke():
    r = run("convert", "torch.sgd(lr=0.1, momentum=0, weight_decay=0.01)", "--to", "keras")
    assert r.code == 0 and r.err == ""
    assert "keras.sgd(learning_rate=0.1, weight_decay=0.01)" in r.out
    r = run("convert", "lion", "--to", "torch")  # torch.adamw -> keras: tests/analysis
    assert r.code == 0 and "no torch optimizer is equivalent" in r.out


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (("compare", "torch.adam(lr=", "torch.adam"), ()),
        (("compare", "torch.adamm", "torch.adam"), ("did you mean 'torch.adam'",)),
        (("compare", "squared_error(l2=lam)", "torch.adam"), ("is a loss",)),
        (("fixed-point", "logistic"), ("is a loss",)),
        (("convert", "squared_error", "--to", "keras"), ("is a loss",)),
        (("fixed-point", "torch.adam(lr=-1)"), ("lr=-1",)),
        (("convert", "torch.adamw", "--to", "pytorch"), ("--to",)),
        (("convert", "torch.adamw"), ("--to",)),
        (("compare", "torch.adam"), ("required", "b")),
        (("compare", "torch.adam(beta1=__import__)", "torch.adam"), ("'__import__'", "beta1")),
        (("derive", "torch.adam(lr=torch.tensor(0.01))"), ("call with arguments", "a number")),
    ],
)
def test_engine_command_mistakes_are_one_line_errors(argv, fragments):
    assert_user_error(run(*argv), *fragments)


# ---------------------------------------------------------------------------------------------
# exit status for scripts and CI: --expect
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "answer", "expectations"),
    [
        (
            ("compare", "torch.sgd(weight_decay=lam)", "sgdw(weight_decay=lam)"),
            "identical",
            ("identical", "same"),
        ),
        (("compare", "torch.adam", "torch.adamw"), "different", ("different",)),
        (
            ("compare", "torch.adamw", "paper.adamw", "--symbolic"),
            "equivalent",
            ("equivalent", "same"),
        ),
        (("fixed-point", "torch.sgd(momentum=0.9, weight_decay=0.1)"), "ridge", ("ridge",)),
        (("fixed-point", "torch.adamw"), "not-ridge", ("not-ridge",)),
        (("convert", "torch.adamw", "--to", "optax"), "found", ("found",)),
        (("convert", "lion", "--to", "torch"), "none", ("none",)),  # torch has no Lion
    ],
)
def test_expect_exits_zero_when_met_and_one_with_one_line_when_not(argv, answer, expectations):
    choices = {
        "compare": ("identical", "equivalent", "different", "same"),
        "fixed-point": ("ridge", "not-ridge"),
        "convert": ("found", "none"),
    }[argv[0]]
    for wanted in choices:
        result = run(*argv, "--expect", wanted)
        assert result.out == run(*argv).out  # the answer is printed either way
        if wanted in expectations:
            assert (result.code, result.err) == (0, "")
        else:
            assert result.code == 1
            assert result.err == f"wdtheory: expected {wanted}, got {answer}\n"


def test_an_expectation_of_another_command_is_a_usage_error():
    assert_user_error(run("fixed-point", "torch.adamw", "--expect", "identical"), "--expect")


def test_python_m_wdtheory_runs_the_command_line():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "wdtheory",
            "compare",
            "torch.adam",
            "torch.adamw",
            "--expect",
            "different",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert "different" in result.stdout


def test_schema_prints_the_json_schema():
    result = run("schema")
    assert result.code == 0
    schema = json.loads(result.out)
    assert schema["$schema"].endswith("2020-12/schema") and "oneOf" in schema


# ---------------------------------------------------------------------------------------------
# the questions a library user asks, as they write them (issue 13)
# ---------------------------------------------------------------------------------------------


def answer(*argv: str) -> dict:
    result = run(*argv, "--format", "json")
    assert result.code == 0, result
    return json.loads(result.out)


def free(record: dict) -> list[str]:
    return [s["name"] for s in record["free_symbols"]]


def test_plain_sgd_l2_is_weight_decay_at_the_libraries_defaults():
    """Left-out momentum and dampening are torch's 0, not symbols."""
    record = answer("compare", "torch.sgd(weight_decay=lam)", "sgdw(weight_decay=lam)")
    assert record["verdict"] == "identical" and free(record) == ["lam"]
    assert record["optimizers"][0]["defaults_filled"]["momentum"] == "0"


def test_asked_symbolically_the_same_pair_differs_and_names_its_free_symbols():
    record = answer(
        "compare", "torch.sgd(weight_decay=lam)", "sgdw(weight_decay=lam)", "--symbolic"
    )
    assert record["verdict"] == "different" and record["first_difference"] == 2
    assert free(record) == ["eta", "lam", "mu", "tau"]
    assert {"mu", "tau"} <= set(record["difference"]["text"].replace("*", " ").split())


def test_torch_and_keras_sgd_without_momentum_are_identical_at_their_defaults():
    record = answer(
        "compare",
        "torch.sgd(lr=0.1, weight_decay=1e-4)",
        "keras.sgd(learning_rate=0.1, weight_decay=1e-4)",
    )
    assert record["verdict"] == "identical" and free(record) == []


def test_a_numeric_spec_carries_no_free_symbol_into_its_counterexample():
    record = answer(
        "compare",
        "torch.sgd(lr=0.1, momentum=0.9, weight_decay=5e-4)",
        "keras.sgd(learning_rate=0.1, momentum=0.9, weight_decay=5e-4)",
    )
    assert record["verdict"] == "different" and free(record) == []
    assert set(record["counterexample"]["point"]) <= {"w_0", "g_1", "g_2"}


def test_torch_and_optax_adamw_differ_by_their_default_weight_decay():
    """1e-2 against 1e-4: the difference is the decay's, not a free eps_root's."""
    record = answer("compare", "torch.adamw", "optax.adamw")
    assert record["verdict"] == "different" and record["first_difference"] == 1
    a, b = (o["defaults_filled"] for o in record["optimizers"])
    assert (a["weight_decay"], b["weight_decay"], b["eps_root"]) == ("0.01", "0.0001", "0")
    assert record["difference"]["text"] == "99*w_0/10000000"  # 0.001 * (0.01 - 0.0001) * w_0


def test_optax_adamw_converts_to_torch_without_writing_eps_root():
    record = answer(
        "convert", "optax.adamw(learning_rate=1e-3, weight_decay=1e-4)", "--to", "torch"
    )
    assert record["found"] and record["code"] == (
        "torch.optim.AdamW(model.parameters(), weight_decay=0.0001)"
    )


@pytest.mark.parametrize(
    ("code", "spec"),
    [
        ("torch.adam(betas=(0.9, 0.999))", "torch.adam"),
        (
            "torch.optim.AdamW(model.parameters(), lr=1e-3, foreach=True)",
            "torch.adamw(lr=0.001)",
        ),
        (
            "keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=0.004)",
            "keras.adamw(learning_rate=0.001)",
        ),
        (
            "tf.keras.optimizers.SGD(0.01, momentum=0.9)",
            "keras.sgd(learning_rate=0.01, momentum=0.9)",
        ),
        (
            "optax.adamw(3e-4, b2=0.95, mu_dtype=jnp.bfloat16)",
            "optax.adamw(learning_rate=0.0003, b2=0.95)",
        ),
    ],
)
def test_code_copied_from_a_training_script_is_the_optimizer_it_constructs(code, spec):
    record = answer("compare", code, spec)
    assert record["verdict"] == "identical"
    pasted, written = record["optimizers"]
    assert pasted["name"] == written["name"]
    assert (pasted["hyperparameters"], pasted["switches"]) == (
        written["hyperparameters"],
        written["switches"],
    )


#: the answers a README comment may state first (each checked with --expect)
README_ANSWERS = ("identical", "equivalent", "different", "ridge")


def readme_commands() -> list[tuple[list[str], str | None]]:
    """The ``wdtheory ...`` lines of the README's shell blocks, ``[optional]`` parts removed,
    each with the answer its comment states first, if any (verify and report run in their own
    tests)."""
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", readme, re.S):
        for line in block.splitlines():
            command, _, comment = line.partition("  #")
            command = re.sub(r"\s\[[^\]]*\]", "", command).strip()
            if command.startswith("wdtheory ") and command.split()[1] not in ("verify", "report"):
                stated = (comment.split() or [""])[0].rstrip(",:")
                answer = stated if stated in README_ANSWERS else None
                commands.append((shlex.split(command)[1:], answer))
    return commands


@pytest.mark.parametrize(("argv", "answer"), readme_commands(), ids=lambda x: " ".join(x or ""))
def test_every_command_in_the_readme_runs_as_written_and_says_what_it_says(argv, answer):
    result = run(*argv, *(("--expect", answer) if answer else ()))
    assert (result.code, result.err) == (0, ""), result


def test_a_schedule_makes_both_rules_follow_one_scheduler() -> None:
    """torch's AdamW and the paper's independent decay are one rule (lambda' = eta*lambda) at a
    constant learning rate, and different under a varying schedule; a constant 'schedule' is a
    learning rate."""
    pair = ("compare", "torch.adamw", "adamw(decay=independent)", "--symbolic")
    assert "equivalent under a reparametrisation" in run(*pair).out
    varying = run(*pair, "--schedule", "cosine(steps=1000, floor=0.1)")
    assert ": different." in varying.out
    assert "every eta of the rules is eta*s_t" in varying.out
    assert "equivalent under a reparametrisation" in run(*pair, "--schedule", "constant()").out


def test_fixed_point_under_a_schedule_gives_lambda_eff_where_it_settles() -> None:
    result = run(
        "fixed-point",
        "sgdw(lr=0.1, momentum=0.9, weight_decay=1e-3, decay=independent)",
        "--schedule",
        "cosine(steps=1000, floor=0.1)",
    )
    assert "ridge with lambda_eff = 1/(1000*s_t)" in result.out
    assert "where the schedule settles (s = 0.1): lambda_eff = 1/100" in result.out


def test_a_bad_schedule_is_one_line() -> None:
    assert_user_error(
        run.__wrapped__("compare", "torch.sgd", "torch.sgd", "--schedule", "cosin(steps=3)"),
        "did you mean 'cosine'",
    )


def test_a_constant_schedule_scales_the_learning_rate_only() -> None:
    """Under a constant 0.5 torch's decay halves with its learning rate, the paper's
    independent decay does not: the rest point of the latter doubles."""
    result = run(
        "fixed-point",
        "sgdw(lr=0.1, momentum=0.9, weight_decay=1e-3, decay=independent)",
        "--schedule",
        "constant(factor=0.5)",
    )
    assert "lr=0.05" in result.out and "ridge with lambda_eff = 1/500" in result.out


def test_a_schedule_that_ends_at_zero_has_no_finite_rest_point() -> None:
    result = run(
        "fixed-point",
        "sgdw(lr=0.1, momentum=0.9, weight_decay=1e-3, decay=independent)",
        "--schedule",
        "cosine(steps=100)",
    )
    assert "settles at s = 0: the steps stop there" in result.out and "zoo" not in result.out


def test_a_scheduled_answer_records_its_schedule_in_json() -> None:
    argv = ("compare", "torch.adamw", "adamw(decay=independent)", "--format", "json")
    assert json.loads(run(*argv).out)["schedule"] is None
    scheduled = json.loads(run(*argv, "--schedule", "cosine(steps=10)").out)
    assert scheduled["schedule"] == "cosine(steps=10)"
