"""``derive_optimizer``: an optimizer's update rule as a derivation, in every format.

The derivation has, in order: the chain of transformations (where the decay sits in it *is* the
decay mode: before the momentum/preconditioner when coupled, after it when decoupled), the update
rule of step t, the first step where it differs (PyTorch's momentum buffer), and the
hyperparameters (symbolic ones with their library defaults). ``wdtheory derive SPEC`` prints it;
a bad optimizer spec is one line on stderr and exit status 2.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from wdtheory.cli import main
from wdtheory.core.derivation import FORMATS, Derivation
from wdtheory.core.errors import WdtheoryError
from wdtheory.core.notation import GRAD, PARAM
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.presets import OPTIMIZERS
from wdtheory.optim.roles import ROLES
from wdtheory.optim.rules import derive_optimizer

CHAIN, RULE, FIRST, HYPER = (
    "Chain of transformations",
    "Update rule (step t)",
    "First step (t = 1)",
    "Hyperparameters",
)
ETA, LAM = ROLES["lr"].symbol, ROLES["weight_decay"].symbol

#: names as they appear in a rendered chain, in any format
DECAY = "add_decayed_weights"
CORES = ("trace", "scale_by_adam", "scale_by_rms", "scale_by_adagrad", "scale_by_lion")
SCALE = "scale_by_learning_rate"


@functools.cache
def derivation(text: str) -> Derivation:
    return derive_optimizer(Optimizer.from_spec(text, symbolic=True))


@functools.cache
def rendered(text: str, fmt: str) -> str:
    return derivation(text).render(fmt)


def section(text: str, title: str):
    (found,) = [s for s in derivation(text).sections if s.title == title]
    return found


def chain_line(text: str, fmt: str) -> str:
    """The rendered chain, with LaTeX escapes removed so that names read as in text."""
    out = rendered(text, fmt)
    if fmt == "json":
        line = json.loads(out)["sections"][0]["steps"][0]["text"]
    else:
        marker = "chain = " if fmt == "text" else r"\text{chain} = "
        (line,) = [x for x in out.splitlines() if x.strip().startswith(marker)]
    return re.sub(r"\\mathrm\{([^}]*)\}", r"\1", line.replace(r"\_", "_"))


def exact(expr: sp.Expr) -> sp.Expr:
    """A displayed expression with its floats read back as the decimals they print as."""
    return expr.xreplace({f: sp.Rational(repr(float(f))) for f in expr.atoms(sp.Float)})


def order(line: str, *names: str) -> list[int]:
    """Where each name first occurs in line (-1: absent)."""
    return [line.find(name + "(") for name in names]


def core_position(line: str) -> int:
    found = [i for i in order(line, *CORES) if i >= 0]
    assert found, line
    return min(found)


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_optimizer_derives_with_its_sections_in_order(name):
    titles = [s.title for s in derivation(name).sections]
    first = [FIRST] if titles[2:3] == [FIRST] else []
    assert titles == [CHAIN, RULE, *first, HYPER, "Defaults and free symbols"]
    assert derivation(name).title.startswith(Optimizer.from_spec(name, symbolic=True).text)
    assert OPTIMIZERS[name].description in derivation(name).title


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_format_renders_every_section(name, fmt):
    out = rendered(name, fmt)
    assert out.endswith("\n")
    if fmt == "json":
        payload = json.loads(out)
        assert [s["title"] for s in payload["sections"]] == [
            s.title for s in derivation(name).sections
        ]
        assert all(
            step["text"] and step["latex"] for s in payload["sections"] for step in s["steps"]
        )
        return
    for s in derivation(name).sections:
        assert s.title in out
    if fmt == "markdown":
        assert out.count("$$") % 2 == 0 and "\\text{chain}" in out
        assert derivation(name)._repr_markdown_() == out
    if fmt == "latex":
        assert out.startswith(r"\section*{") and r"\subsection*{Hyperparameters}" in out


@pytest.mark.parametrize(
    "text",
    ["torch.sgd(momentum=0.9)", "torch.adamw(lr=0.001)", "keras.adam", "paper.adamw", "lion"],
)
def test_update_rule_lists_the_programs_assignments_with_the_values_substituted(text):
    opt = Optimizer.from_spec(text, symbolic=True)
    steps = section(text, RULE).steps
    program = opt.chain.program()
    assert [s.lhs for s in steps] == [a.target for a in program.assignments]
    assert steps[-1].lhs == PARAM
    values = dict(opt.symbols)
    for step, assign in zip(steps, program.assignments, strict=True):
        assert sp.simplify(exact(step.rhs) - assign.value.xreplace(values)) == 0
    for line in [f"{s.lhs} <- " for s in steps]:
        assert line in rendered(text, "text")


# --------------------------------------------------------------------------- chain order


COUPLED = [
    "sgd(momentum=0.9)",
    "sgd(momentum=0.9, decay=coupled)",
    "adam",
    "rmsprop",
    "adagrad",
    "lion(decay=coupled)",
    "torch.sgd(momentum=0.9)",
    "torch.adam",
    "torch.rmsprop",
    "torch.adagrad",
]
DECOUPLED = [
    "sgdw(momentum=0.9)",
    "sgd(momentum=0.9, decay=decoupled)",
    "adamw",
    "adam(decay=decoupled)",
    "rmsprop(decay=decoupled)",
    "adagrad(decay=decoupled)",
    "lion",
    "torch.adamw",
    "torch.adam(decoupled_weight_decay=true)",
    "keras.adam",
    "keras.adamw",
    "optax.adamw",
    "optax.lion",
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("text", COUPLED)
def test_coupled_decay_is_shown_before_the_momentum_or_preconditioner(text, fmt):
    line = chain_line(text, fmt)
    decay, scale = order(line, DECAY, SCALE)
    assert 0 <= decay < core_position(line) < scale, line
    assert "coupled (L2 regularisation)" in rendered(text, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("text", DECOUPLED)
def test_decoupled_decay_is_shown_after_the_momentum_or_preconditioner(text, fmt):
    line = chain_line(text, fmt)
    decay, scale = order(line, DECAY, SCALE)
    assert 0 <= core_position(line) < decay < scale, line
    assert "decoupled weight decay" in rendered(text, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "text", ["adam(decay=independent)", "sgd(momentum=0.9, decay=independent)"]
)
def test_independent_decay_is_shown_after_the_learning_rate(text, fmt):
    line = chain_line(text, fmt)
    decay, scale = order(line, DECAY, SCALE)
    assert 0 <= core_position(line) < scale < decay, line
    assert "independent weight decay" in rendered(text, fmt)


@pytest.mark.parametrize(
    "text", ["adam(decay=proximal, penalty=l1)", "sgd(decay=proximal, penalty=l1)"]
)
def test_proximal_decay_is_shown_last(text):
    line = chain_line(text, "text")
    assert line.rstrip().endswith(")") and line.rfind("proximal_l1(") > line.find(SCALE) >= 0
    assert "soft-thresholded" in rendered(text, "text")


@pytest.mark.parametrize("text", ["optax.adam", "optax.sgd(momentum=0.9)", "adam(decay=none)"])
def test_no_decay_is_said_and_shown(text):
    assert DECAY not in chain_line(text, "text")
    assert "Decay: no weight decay." in rendered(text, "text")


@pytest.mark.parametrize(
    "text, note",
    [
        ("keras.sgd(weight_decay=0.01)", "decoupled weight decay"),
        ("paper.sgdw", "independent weight decay"),
        ("paper.adamw", "independent weight decay"),
    ],
)
def test_presets_without_a_decay_switch_still_name_their_decay(text, note):
    assert DECAY in chain_line(text, "text")  # the chain does decay the weights
    assert note in rendered(text, "text")


# --------------------------------------------------------------------------- first step


WITH_FIRST_STEP = [
    "torch.sgd",
    "torch.sgd(momentum=0.9)",
    "torch.sgd(momentum=0.9, dampening=0, nesterov=true)",
    "sgd(momentum=0.9)",
    "sgdw(momentum=0.9)",
    "sgd(momentum=mu1, decay=independent)",
]
WITHOUT_FIRST_STEP = [
    "torch.sgd(momentum=0)",
    "sgd(momentum=0)",
    "torch.adam",
    "adamw",
    "torch.rmsprop(momentum=0.9)",
    "torch.adagrad",
    "keras.sgd(momentum=0.9)",
    "optax.sgd(momentum=0.9)",
    "paper.sgdw",
    "lion",
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "text, present",
    [(t, True) for t in WITH_FIRST_STEP] + [(t, False) for t in WITHOUT_FIRST_STEP],
)
def test_first_step_section_appears_exactly_for_pytorch_sgd_momentum(text, present, fmt):
    assert (FIRST in rendered(text, fmt)) is present


def test_first_step_buffer_is_the_decayed_gradient_without_dampening():
    text = "torch.sgd(momentum=0.9, dampening=0.5)"
    b = sp.Symbol("b", real=True)
    first = {s.lhs: s.rhs for s in section(text, FIRST).steps}
    later = {s.lhs: s.rhs for s in section(text, RULE).steps}
    assert list(first) == [b, PARAM]
    assert sp.simplify(first[b] - (GRAD + LAM * PARAM)) == 0
    assert sp.simplify(first[PARAM] - (PARAM - ETA * b)) == 0
    half, nine = sp.Rational(1, 2), sp.Rational(9, 10)
    assert sp.simplify(exact(later[b]) - (nine * b + half * (GRAD + LAM * PARAM))) == 0
    assert "no dampening" in rendered(text, "text")


# --------------------------------------------------------------------------- hyperparameters


def hyper_lines(text: str) -> dict[str, tuple[str, str]]:
    """From the text rendering: canonical name -> (shown value, note)."""
    out = rendered(text, "text").split(HYPER + "\n" + "-" * len(HYPER) + "\n", 1)[1]
    lines = out.splitlines()
    found = {}
    for i, line in enumerate(lines):
        match = re.fullmatch(r"  (\S+) = (.+)", line)
        if match:
            note = lines[i + 1].strip() if i + 1 < len(lines) else ""
            found[match[1]] = (match[2], note)
    return found


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "torch.adamw(lr=0.001)",
            {
                "eta": ("0.001", "(lr: learning rate)"),
                "beta_1": ("symbolic", "(beta1: first-moment decay; library default 0.9)"),
                "beta_2": ("symbolic", "(beta2: second-moment decay; library default 0.999)"),
                "epsilon": ("symbolic", "(eps: denominator offset; library default 1e-8)"),
                "lambda": (
                    "symbolic",
                    "(weight_decay: weight decay / penalty strength; library default 0.01)",
                ),
            },
        ),
        (
            "torch.sgd(momentum=0.9)",
            {
                "eta": ("symbolic", "(lr: learning rate; library default 0.001)"),
                "mu": ("0.9", "(momentum: momentum)"),
                "tau": ("symbolic", "(dampening: dampening; library default 0)"),
                "lambda": (
                    "symbolic",
                    "(weight_decay: weight decay / penalty strength; library default 0)",
                ),
            },
        ),
        (
            "keras.adam(epsilon=1e-7)",
            {
                "eta": ("symbolic", "(learning_rate: learning rate; library default 0.001)"),
                "beta_1": ("symbolic", "(beta_1: first-moment decay; library default 0.9)"),
                "beta_2": ("symbolic", "(beta_2: second-moment decay; library default 0.999)"),
                "epsilon": ("1e-07", "(epsilon: denominator offset)"),
                "lambda": (
                    "symbolic",
                    "(weight_decay: weight decay / penalty strength; library default 0)",
                ),
            },
        ),
        (
            "optax.lion",
            {
                "eta": ("symbolic", "(learning_rate: learning rate; no default)"),
                "beta_1": ("symbolic", "(b1: first-moment decay; library default 0.9)"),
                "beta_2": ("symbolic", "(b2: second-moment decay; library default 0.99)"),
                "lambda": (
                    "symbolic",
                    "(weight_decay: weight decay / penalty strength; library default 0.001)",
                ),
            },
        ),
    ],
)
def test_hyperparameters_say_which_are_symbolic_and_their_library_defaults(text, expected):
    assert hyper_lines(text) == expected


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_every_hyperparameter_is_listed_with_its_spec_key(name):
    definition = OPTIMIZERS[name]
    payload = json.loads(rendered(name, "json"))
    (hyper,) = [s for s in payload["sections"] if s["title"] == HYPER]
    notes = [step["note"] for step in hyper["steps"]]
    assert len(notes) == len(definition.params)
    for note, key in zip(notes, definition.params, strict=True):
        assert note.startswith(f"{key}: ")
        if definition.defaults[key] is None:
            assert note.endswith("; no default")
        elif ROLES[definition.params[key]].setting:  # not symbolic: its value is the default
            assert note.endswith("; library default")
        else:
            assert "; library default " in note
    symbolic = [
        step
        for step, role in zip(hyper["steps"], definition.params.values(), strict=True)
        if not ROLES[role].setting  # the loss scale keeps its default
    ]
    assert all(step["text"].endswith(" = symbolic") for step in symbolic)
    assert all(step["latex"].endswith(r"\text{symbolic}") for step in symbolic)


def test_with_defaults_leaves_nothing_symbolic():
    opt = Optimizer.from_spec("torch.adamw", symbolic=True).with_defaults()
    out = derive_optimizer(opt).render("text")
    assert "symbolic" not in out
    assert "eta = 0.001" in out and "lambda = 0.01" in out and "epsilon = 1e-08" in out


@pytest.mark.parametrize(
    "text",
    [
        "torch.sgd(lr=g, momentum=0, weight_decay=0)",
        "torch.sgd(weight_decay=w)",
        "torch.sgd(momentum=b)",
        "torch.adam(beta1=m)",
        "torch.adam(beta2=v)",
        "torch.adam(lr=t)",
    ],
)
def test_hyperparameter_named_like_a_rule_variable_is_refused(text):
    with pytest.raises(WdtheoryError):
        derive_optimizer(Optimizer.from_spec(text, symbolic=True))


# --------------------------------------------------------------------------- command line


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_cli_derives_an_optimizer_spec():
    script = Path(sys.executable).with_name("wdtheory")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "wdtheory.cli"]
    done = subprocess.run(
        [*command, "derive", "torch.adamw(lr=0.001)"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == derive_optimizer(Optimizer.from_spec("torch.adamw(lr=0.001)")).render()
    assert "eta = 0.001" in done.stdout


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_derive_format_is_the_rendering(fmt):
    def shown(out: str) -> str:  # JSON: the record carries the derivation
        return json.dumps(json.loads(out)["derivation"]) if fmt == "json" else out

    def expected(text: str) -> str:
        return json.dumps(json.loads(text)) if fmt == "json" else text

    code, out, err = run("derive", "torch.sgd(momentum=0.9)", "--format", fmt)
    assert (code, err) == (0, "")
    library = derive_optimizer(Optimizer.from_spec("torch.sgd(momentum=0.9)")).render(fmt)
    assert shown(out) == expected(library)
    code, out, err = run("derive", "torch.sgd(momentum=0.9)", "--format", fmt, "--symbolic")
    assert (code, err) == (0, "")
    assert shown(out) == expected(rendered("torch.sgd(momentum=0.9)", fmt))


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("torch.sgdd", "did you mean 'torch.sgd'"),
        ("torch.adam(beta1=1)", "beta1=1"),
        ("torch.sgd(lr=-0.1)", "lr=-0.1"),
        ("torch.sgd(momentum=0.9, dampening=0.5, nesterov=true)", "dampening=0.5"),
        ("sgd(decay=proximal, weight_decay=0.1)", "penalty=l1"),
        ("sgd(decay=decoupeld)", "decay=decoupeld"),
        ("optax.sgd(weight_decay=0.1)", "'weight_decay'"),
        ("torch.sgd(nesterov=1)", "nesterov=1"),
        ("torch.sgd(learning_rate=0.1)", "'learning_rate'"),
        ("torch.sgd(lr=0.1", "cannot parse"),
    ],
)
def test_cli_bad_optimizer_spec_is_one_line_and_exit_2(text, fragment):
    code, out, err = run("derive", text)
    assert code == 2 and out == ""
    assert err.startswith("wdtheory: error: ") and err.count("\n") == 1 and err.endswith("\n")
    assert fragment in err
    assert "Traceback" not in err
