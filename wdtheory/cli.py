"""The ``wdtheory`` command line.

* ``derive SPEC`` — the derivations for a problem (``"squared_error(l2=lam)"``) or the update rule
  of an optimizer (``"torch.sgd(lr=0.1, momentum=mu)"``, or code such as
  ``"torch.optim.SGD(model.parameters(), lr=0.1)"``);
* ``compare SPEC_A SPEC_B`` — identical, equivalent under a map, or different (first difference);
* ``fixed-point SPEC`` — where the optimizer stops on regularised least squares;
* ``convert SPEC --to FRAMEWORK`` — the equivalent spec in another framework, or why none exists;
* ``audit RECIPE`` — what the weight decay of each param group of a training recipe (a TOML file)
  does over its schedule, and its pitfalls;
* ``verify`` — the claims catalogue; ``report`` — the reports folder (``--questions FILE``: a page
  per question of the user's too); ``schema`` — the JSON schema of every ``--format json``
  answer.

One flag style: ``--format text|markdown|latex|json`` on every command that answers
(``verify``: text, markdown or json), ``--symbolic`` where a spec is read, ``--budget SECONDS``
where a command searches (compare, fixed-point, convert: default :data:`BUDGET`; when it runs
out the answer is undecided, one line saying what was still being searched, which meets no
other ``--expect``). Exit status: 0 when the command answered (as ``--expect`` expected, when
given), 1 when it answered otherwise (``--expect``
not met, or a claim that ``verify`` derives disagrees with its expected verdict), 2 for a user's
mistake (bad spec, unknown name, bad option: one line on stderr, never a traceback) or when the
answer cannot be written (standard output closed or full), 141 when the reader of a pipe left early
(``wdtheory derive torch.adam | head -1``, as the shell's own tools end).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

from wdtheory.analysis.audit import audit, read_recipe
from wdtheory.analysis.budget import DEFAULT_SECONDS
from wdtheory.analysis.compare import compare
from wdtheory.analysis.convert import FRAMEWORKS, convert
from wdtheory.analysis.explain import explain_comparison, explain_conversion, explain_fixed_point
from wdtheory.analysis.fixed_points import fixed_point
from wdtheory.analysis.questions import derivation_of, optimizer_from_text
from wdtheory.analysis.scheduling import explained_under, under
from wdtheory.answers.records import (
    audit_answer,
    comparison_answer,
    conversion_answer,
    derivation_answer,
    fixed_point_answer,
)
from wdtheory.core.derivation import FORMATS, Derivation
from wdtheory.core.errors import WdtheoryError
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.schedules import SCHEDULES, Schedule
from wdtheory.optim.schedules import from_spec as schedule_from_spec
from wdtheory.problems.losses import LOSSES
from wdtheory.problems.problem import PROBLEM_PARAMETERS

__all__ = ["main"]

ANSWERED, NOT_AS_EXPECTED, USER_ERROR = 0, 1, 2
#: seconds compare, fixed-point and convert may search before answering "undecided"
BUDGET = DEFAULT_SECONDS
#: the shell's status for a process ended by SIGPIPE (128 + 13): the reader closed the pipe
BROKEN_PIPE = 141

SYMBOLIC_HELP = (
    "every hyperparameter an optimizer spec leaves out is a symbol (as symbolic(SPEC)); without "
    "it, left out means the library's default"
)
FORMAT_HELP = "%(choices)s: text is the default; json prints one record (see 'wdtheory schema')"
BUDGET_HELP = (
    "stop searching after this many seconds (default %(default)g) and answer undecided, saying "
    "what was still being searched"
)
#: what --expect accepts per command, and how to tell it from the answer
EXPECTATIONS = {
    "compare": ("identical", "equivalent", "different", "undecided", "same"),
    "fixed-point": ("ridge", "not-ridge"),
    "convert": ("found", "none"),
}


class _UsageError(Exception):
    """argparse's complaint about the command line, kept to one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _emit(args: argparse.Namespace, derivation: Derivation, record: dict[str, object]) -> None:
    """The answer in the chosen format: the derivation rendered, or the JSON record."""
    if args.format == "json":
        print(json.dumps(record, indent=2, ensure_ascii=False))
    else:
        print(derivation.render(args.format), end="")


def _expected(args: argparse.Namespace, answer: str, same: bool = False) -> int:
    """Exit status 1 with one line on stderr when ``--expect`` asked for another answer."""
    wanted = args.expect
    if wanted is None or wanted == answer or (wanted == "same" and same):
        return ANSWERED
    print(f"wdtheory: expected {wanted}, got {answer}", file=sys.stderr)
    return NOT_AS_EXPECTED


def _seconds(text: str) -> float:
    """A ``--budget``: a positive, finite number of seconds."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return seconds


def _optimizer(text: str, args: argparse.Namespace) -> Optimizer:
    """The spec's optimizer, as the scheduler of ``--schedule`` runs it if one is given."""
    return under(optimizer_from_text(text, args.symbolic), args.schedule)


def _derive(args: argparse.Namespace) -> int:
    subject, derivation = derivation_of(args.spec, args.symbolic, args.budget)
    if isinstance(subject, Optimizer):
        _emit(args, derivation, derivation_answer(subject.text, derivation, subject))
    else:
        _emit(args, derivation, derivation_answer(subject.text, derivation))
    return ANSWERED


def _schedule(text: str) -> Schedule:
    """``--schedule``'s value, read by the safe parser; a bad one is argparse's one line."""
    try:
        return schedule_from_spec(text)
    except WdtheoryError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _compare(args: argparse.Namespace) -> int:
    comparison = compare(_optimizer(args.a, args), _optimizer(args.b, args), budget=args.budget)
    derivation = explained_under(explain_comparison(comparison), args.schedule)
    _emit(args, derivation, comparison_answer(comparison, derivation, args.schedule))
    return _expected(args, str(comparison.verdict), comparison.verdict.same_algorithm)


def _fixed_point(args: argparse.Namespace) -> int:
    fixed = fixed_point(_optimizer(args.spec, args), budget=args.budget)
    derivation = explained_under(explain_fixed_point(fixed), args.schedule, fixed)
    _emit(args, derivation, fixed_point_answer(fixed, derivation, args.schedule))
    answer = "ridge" if fixed.is_ridge else "not-ridge"
    return _expected(args, answer if fixed.decided else "undecided")


def _convert(args: argparse.Namespace) -> int:
    conversion = convert(_optimizer(args.spec, args), args.to, budget=args.budget)
    derivation = explained_under(explain_conversion(conversion), args.schedule)
    _emit(args, derivation, conversion_answer(conversion, derivation, args.schedule))
    answer = "none" if conversion.target is None else "found"
    return _expected(args, answer if conversion.decided else "undecided")


def _audit(args: argparse.Namespace) -> int:
    recipe = read_recipe(args.recipe)
    if args.plot is not None:
        _check_plot_path(args.plot)
        from wdtheory.report.pages.questions import audit_figure  # matplotlib: when it runs
    result = audit(recipe, budget=args.budget)
    _emit(args, result.explain(), audit_answer(result))
    if args.plot is not None:
        _write_atomically(Path(args.plot), audit_figure(result))
    return ANSWERED


def _check_plot_path(path: str) -> None:
    """Refuse, before anything is computed, a plot path that is no ``.png`` in an existing
    folder."""
    target = Path(path)
    if target.suffix != ".png":
        raise WdtheoryError(f"--plot {path!r}: give a file name ending in .png")
    if not target.parent.is_dir():
        raise WdtheoryError(f"--plot {path!r}: the folder {str(target.parent)!r} does not exist")


def _write_atomically(target: Path, data: bytes) -> None:
    """``data`` into ``target`` through a temporary file beside it renamed over it: a reader
    sees the old file or the new one, never half of one."""
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as file:
        file.write(data)
    os.replace(file.name, target)


def _verify(args: argparse.Namespace) -> int:
    from wdtheory.answers.records import verification_answer
    from wdtheory.claims.catalogue import verify_all  # heavy: imported when it runs
    from wdtheory.claims.render import render_results

    results = verify_all()
    if args.format == "json":
        print(json.dumps(verification_answer(results), indent=2, ensure_ascii=False))
    else:
        print(render_results(results, args.format), end="")
    failed = [r.claim.id for r in results if not r.agrees]
    if not failed:
        return ANSWERED
    print(
        f"wdtheory: {len(failed)} claim(s) disagree with their expected verdict: "
        f"{', '.join(failed)}",
        file=sys.stderr,
    )
    return NOT_AS_EXPECTED


def _schema(args: argparse.Namespace) -> int:
    from wdtheory.answers.schema import SCHEMA

    print(json.dumps(SCHEMA, indent=2))
    return ANSWERED


def _report(args: argparse.Namespace) -> int:
    from wdtheory.report.build import write_report  # matplotlib: imported when it runs

    written = write_report(args.out, quick=args.quick, questions=args.questions)
    print(f"wrote {len(written)} pages to {args.out}")
    return ANSWERED


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wdtheory",
        description="The theory of weight decay: derivations, "
        "proofs, fast update functions and reports.",
    )
    parser.add_argument("--version", action="version", version=f"wdtheory {version('wdtheory')}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    derive = commands.add_parser(
        "derive",
        help="print the derivations for a problem or an optimizer spec",
        description='Print the derivations for a problem, e.g. "squared_error(l2=lam)", or the '
        'update rule of an optimizer, e.g. "torch.sgd(lr=0.1, momentum=mu)", or of your own '
        'chain, e.g. "chain(trace(decay=mu), add_decayed_weights(weight_decay=lam), '
        'scale_by_learning_rate(learning_rate=eta))" (with where its decay sits, compared with '
        "each named placement). Losses: "
        + ", ".join(LOSSES)
        + ". Parameters: "
        + "; ".join(f"{k}: {v}" for k, v in PROBLEM_PARAMETERS.items())
        + ".",
    )
    derive.add_argument("spec", help='e.g. "logistic(l1=0.01, l2=lam)"')
    derive.add_argument("--format", choices=FORMATS, default="text", help=FORMAT_HELP)
    derive.add_argument("--symbolic", action="store_true", help=SYMBOLIC_HELP)
    derive.add_argument(
        "--budget", type=_seconds, default=BUDGET, metavar="SECONDS", help=BUDGET_HELP
    )
    derive.set_defaults(run=_derive)
    for name, run, helptext, positional in (
        ("compare", _compare, "compare two optimizer specs", ("a", "b")),
        (
            "fixed-point",
            _fixed_point,
            "where an optimizer stops on regularised least squares",
            ("spec",),
        ),
        ("convert", _convert, "the equivalent optimizer in another framework", ("spec",)),
    ):
        command = commands.add_parser(
            name, help=helptext, description=helptext[0].upper() + helptext[1:] + "."
        )
        for argument in positional:
            command.add_argument(argument, help='an optimizer spec, e.g. "torch.adamw(lr=0.001)"')
        command.add_argument("--format", choices=FORMATS, default="text", help=FORMAT_HELP)
        command.add_argument("--symbolic", action="store_true", help=SYMBOLIC_HELP)
        command.add_argument(
            "--budget", type=_seconds, default=BUDGET, metavar="SECONDS", help=BUDGET_HELP
        )
        command.add_argument(
            "--schedule",
            type=_schedule,
            metavar="SCHEDULE",
            help='run the optimizers under a learning-rate scheduler, e.g. "cosine(steps=1000, '
            'floor=0.1)" (every eta becomes eta*s_t; schedules: ' + ", ".join(SCHEDULES) + ")",
        )
        command.add_argument(
            "--expect",
            choices=EXPECTATIONS[name],
            help="exit with status 1 unless this is the answer (for scripts and CI)",
        )
        command.set_defaults(run=run)
    commands.choices["convert"].add_argument("--to", required=True, choices=FRAMEWORKS)
    audit_command = commands.add_parser(
        "audit",
        help="what the weight decay of a training recipe does, group by group",
        description="Audit a training recipe (a TOML file: optimizer spec or code, schedule, "
        "steps, param groups; see wdtheory/analysis/audit.py): per group the decay mode and its "
        "equivalents in the other frameworks, the decay's per-step factor (derived), its total "
        "shrink over the schedule (checked by running the rule) and timescale, the rest point, "
        "and the pitfalls with the quantity that shows each.",
    )
    audit_command.add_argument("recipe", help="a recipe file, e.g. examples/recipes/adam-l2.toml")
    audit_command.add_argument("--format", choices=FORMATS, default="text", help=FORMAT_HELP)
    audit_command.add_argument(
        "--budget", type=_seconds, default=BUDGET, metavar="SECONDS", help=BUDGET_HELP
    )
    audit_command.add_argument(
        "--plot",
        metavar="FILE.png",
        help="also write the plot of the decay along the schedule (needs the report extra)",
    )
    audit_command.set_defaults(run=_audit)
    verify = commands.add_parser(
        "verify",
        help="check the claims catalogue",
        description="Derive every claim's verdict and compare it with the expected one; exit "
        "with status 1 if any disagrees.",
    )
    verify.add_argument(
        "--format", choices=("text", "markdown", "json"), default="text", help=FORMAT_HELP
    )
    verify.set_defaults(run=_verify)
    schema = commands.add_parser(
        "schema",
        help="print the JSON schema of the answers",
        description="Print the JSON schema (draft 2020-12) every --format json answer follows.",
    )
    schema.set_defaults(run=_schema)
    report = commands.add_parser(
        "report",
        help="write the reports folder",
        description="Compute every page (the answers first on the index; derivations, "
        "experiments with plots, claims and their audit, conversions; a page per question of "
        "--questions FILE), build the new folder beside --out and swap it in: readers see the "
        "old complete folder or the new one. Files wdtheory did not write are kept; one in the "
        "way of a page stops the run before anything is computed. Needs the report extra "
        "(matplotlib, scikit-learn).",
    )
    report.add_argument("--out", default="reports", help="folder to write (default: reports)")
    report.add_argument(
        "--quick",
        action="store_true",
        help="the same pages with smaller experiments (fewer seeds, lambda values and "
        "steps); the committed reports/ folder is the quick one",
    )
    report.add_argument(
        "--questions",
        metavar="FILE",
        help="a TOML file of the user's own questions ([[question]] tables: derive, compare, "
        "fixed-point, convert or audit, as on the command line, with the options symbolic, "
        "title, to, schedule and budget), answered a page each in questions/; a question "
        "without budget (seconds) is searched with no time limit, so that its page is the same "
        "on every machine; see questions.toml",
    )
    report.set_defaults(run=_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (see the module doc)."""
    try:
        args = _parser().parse_args(argv)
        if sys.stdout is None:  # started with stdout closed: the answer would vanish
            raise WdtheoryError("standard output is closed; the answer would be lost")
        status = args.run(args)
        sys.stdout.flush()
        return status
    except BrokenPipeError:  # the reader left (``| head``): end quietly, as the shell's tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
    except OSError as error:
        if error.filename is not None:  # a file the command opened: not the answer's stream
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"wdtheory: error: cannot write the answer: {error.strerror}", file=sys.stderr)
        return USER_ERROR
    except (WdtheoryError, _UsageError) as error:
        print(f"wdtheory: error: {error}", file=sys.stderr)
        return USER_ERROR
    except SystemExit as done:  # --help and --version
        return int(done.code or 0)
    except KeyboardInterrupt:
        print("wdtheory: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
