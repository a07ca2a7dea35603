"""The ``wdtheory`` command line.

``wdtheory derive SPEC`` prints the derivations for a problem spec such as
``"squared_error(l2=lam)"``; ``wdtheory report`` writes the reports folder. A user's mistake
(bad spec, unknown name, bad option) is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import version

from wdtheory.derivation import FORMATS
from wdtheory.errors import WdtheoryError, did_you_mean
from wdtheory.losses import LOSSES
from wdtheory.optimizers import OPTIMIZERS, Optimizer
from wdtheory.problem_derivation import derive_problem
from wdtheory.problems import PROBLEM_PARAMETERS, Problem
from wdtheory.report import write_report
from wdtheory.rules import derive_optimizer
from wdtheory.spec import parse_spec

__all__ = ["main"]

USER_ERROR = 2


class _UsageError(Exception):
    """argparse's complaint about the command line, kept to one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _derive(args: argparse.Namespace) -> None:
    spec = parse_spec(args.spec)
    if spec.name in LOSSES:
        derivation = derive_problem(Problem.from_spec(spec))
    elif spec.name in OPTIMIZERS:
        derivation = derive_optimizer(Optimizer.from_spec(spec))
    else:
        known = [*LOSSES, *OPTIMIZERS]
        raise WdtheoryError(
            f"unknown loss or optimizer {spec.name!r}{did_you_mean(spec.name, known)}; "
            f"losses: {', '.join(LOSSES)}; optimizers: {', '.join(OPTIMIZERS)}"
        )
    print(derivation.render(args.format), end="")


def _report(args: argparse.Namespace) -> None:
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
        help="print the derivations for a problem spec",
        description='Print the derivations for a problem, e.g. "squared_error(l2=lam)". Losses: '
        + ", ".join(LOSSES)
        + ". Parameters: "
        + "; ".join(f"{k}: {v}" for k, v in PROBLEM_PARAMETERS.items())
        + ".",
    )
    derive.add_argument("spec", help='e.g. "logistic(l1=0.01, l2=lam)"')
    derive.add_argument("--format", choices=FORMATS, default="text")
    derive.set_defaults(run=_derive)
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
