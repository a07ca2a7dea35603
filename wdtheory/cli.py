"""The ``wdtheory`` command line.

* ``derive SPEC`` — the derivations for a problem (``"squared_error(l2=lam)"``) or the update rule
  of an optimizer (``"torch.sgd(lr=0.1, momentum=mu)"``);
* ``compare SPEC_A SPEC_B`` — identical, equivalent under a map, or different (first difference);
* ``fixed-point SPEC`` — where the optimizer stops on regularised least squares;
* ``convert SPEC --to FRAMEWORK`` — the equivalent spec in another framework, or why none exists;
* ``verify`` — the claims catalogue; ``report`` — the reports folder.

A user's mistake (bad spec, unknown name, bad option) is one line on stderr and exit status 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import version

from wdtheory.analysis.compare import compare
from wdtheory.analysis.convert import FRAMEWORKS, convert
from wdtheory.analysis.explain import explain_comparison, explain_conversion, explain_fixed_point
from wdtheory.analysis.fixed_points import fixed_point
from wdtheory.core.derivation import FORMATS
from wdtheory.core.errors import WdtheoryError, did_you_mean
from wdtheory.core.spec import parse_spec
from wdtheory.optim.constructor import LIBRARY_PATHS, resolve_name
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.presets import OPTIMIZERS
from wdtheory.optim.rules import derive_optimizer
from wdtheory.problems.derive import derive_problem
from wdtheory.problems.losses import LOSSES
from wdtheory.problems.problem import PROBLEM_PARAMETERS, Problem

__all__ = ["main"]

USER_ERROR = 2

SYMBOLIC_HELP = (
    "every hyperparameter an optimizer spec leaves out is a symbol (as symbolic(SPEC)); without "
    "it, left out means the library's default"
)


class _UsageError(Exception):
    """argparse's complaint about the command line, kept to one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _derive(args: argparse.Namespace) -> None:
    spec = parse_spec(args.spec)
    if spec.name in LOSSES:
        derivation = derive_problem(Problem.from_spec(spec))
    elif _names_optimizer(spec.name):
        derivation = derive_optimizer(Optimizer.from_spec(spec, symbolic=args.symbolic))
    else:
        known = [*LOSSES, *OPTIMIZERS]
        raise WdtheoryError(
            f"unknown loss or optimizer {spec.name!r}{did_you_mean(spec.name, known)}; "
            f"losses: {', '.join(LOSSES)}; optimizers: {', '.join(OPTIMIZERS)}"
        )
    print(derivation.render(args.format), end="")


def _names_optimizer(name: str) -> bool:
    """Whether ``name`` names an optimizer, in any of the spellings code uses."""
    return resolve_name(name) in OPTIMIZERS or name.split(".")[0] in LIBRARY_PATHS


def _optimizer(text: str, args: argparse.Namespace) -> Optimizer:
    spec = parse_spec(text)
    if spec.name in LOSSES:
        raise WdtheoryError(
            f"{spec.name!r} is a loss; this command takes an optimizer spec, e.g. torch.adamw"
        )
    return Optimizer.from_spec(spec, symbolic=args.symbolic)


def _compare(args: argparse.Namespace) -> None:
    comparison = compare(_optimizer(args.a, args), _optimizer(args.b, args))
    print(explain_comparison(comparison).render(args.format), end="")


def _fixed_point(args: argparse.Namespace) -> None:
    optimizer = _optimizer(args.spec, args)
    print(explain_fixed_point(fixed_point(optimizer)).render(args.format), end="")


def _convert(args: argparse.Namespace) -> None:
    conversion = convert(_optimizer(args.spec, args), args.to)
    print(explain_conversion(conversion).render(args.format), end="")


def _verify(args: argparse.Namespace) -> None:
    from wdtheory.claims.catalogue import verify_all  # heavy: imported when it runs
    from wdtheory.claims.render import render_results

    results = verify_all()
    print(render_results(results, "json" if args.json else "text"), end="")
    failed = [r.claim.id for r in results if not r.agrees]
    if failed:
        raise WdtheoryError(
            f"{len(failed)} claim(s) disagree with their expected verdict: {', '.join(failed)}"
        )


def _report(args: argparse.Namespace) -> None:
    from wdtheory.report.build import write_report  # matplotlib: imported when it runs

    written = write_report(args.out, quick=args.quick)
    print(f"wrote {len(written)} pages to {args.out}")


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
        description='Print the derivations for a problem, e.g. "squared_error(l2=lam)". Losses: '
        + ", ".join(LOSSES)
        + ". Parameters: "
        + "; ".join(f"{k}: {v}" for k, v in PROBLEM_PARAMETERS.items())
        + ".",
    )
    derive.add_argument("spec", help='e.g. "logistic(l1=0.01, l2=lam)"')
    derive.add_argument("--format", choices=FORMATS, default="text")
    derive.add_argument("--symbolic", action="store_true", help=SYMBOLIC_HELP)
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
        command.add_argument("--format", choices=FORMATS, default="text")
        command.add_argument("--symbolic", action="store_true", help=SYMBOLIC_HELP)
        command.set_defaults(run=run)
    commands.choices["convert"].add_argument("--to", required=True, choices=FRAMEWORKS)
    verify = commands.add_parser(
        "verify",
        help="check the claims catalogue",
        description="Derive every claim's verdict and compare it with the "
        "expected one; exit 2 if any disagrees.",
    )
    verify.add_argument("--json", action="store_true", help="print JSON instead of a table")
    verify.set_defaults(run=_verify)
    report = commands.add_parser("report", help="write the reports folder")
    report.add_argument("--out", default="reports", help="folder to write (default: reports)")
    report.add_argument("--quick", action="store_true", help="fewer pages, for a fast check")
    report.set_defaults(run=_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        args = _parser().parse_args(argv)
        args.run(args)
    except (WdtheoryError, _UsageError) as error:
        print(f"wdtheory: error: {error}", file=sys.stderr)
        return USER_ERROR
    except SystemExit as done:  # --help and --version
        return int(done.code or 0)
    except KeyboardInterrupt:
        print("wdtheory: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
