"""A user's own questions, as data: what ``wdtheory derive / compare / fixed-point / convert /
audit`` asks on the command line, read from a TOML file and answered as derivations.

A questions file holds one ``[[question]]`` table per question, keyed by the command it asks::

    [[question]]
    compare = ["torch.adam(weight_decay=1e-2)", "torch.adamw(weight_decay=1e-2)"]

    [[question]]
    fixed-point = "sgdw(momentum=0.9)"
    symbolic = true                      # left-out hyperparameters are symbols, as --symbolic
    title = "Where does SGDW stop?"      # optional: the page's heading

    [[question]]
    convert = "torch.adamw(lr=1e-3)"
    to = "optax"

    [[question]]
    derive = "logistic(l2=lam)"

    [[question]]
    audit = "recipes/transformer-adamw.toml"    # a recipe file, relative to this file
    budget = 60                                 # optional: seconds, as --budget

A question without a ``budget`` is answered without a time limit (the report's pages are then
the same on every machine, however slow; the command line's default is 30 s).

The file is parsed by :mod:`tomllib` (data only) and every spec by
:func:`~wdtheory.core.spec.parse_spec` (a whitelist, nothing executed); a bad entry is a one-line
error naming its position and what is allowed. :func:`ask` answers a question with the same
engines and explanations as the command line, so a question's page reads as
``wdtheory <command> --format markdown`` prints it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from wdtheory.analysis.audit import Audit, audit, read_recipe
from wdtheory.analysis.budget import DEFAULT_SECONDS
from wdtheory.analysis.compare import compare
from wdtheory.analysis.convert import FRAMEWORKS, convert
from wdtheory.analysis.explain import explain_comparison, explain_conversion, explain_fixed_point
from wdtheory.analysis.fixed_points import fixed_point
from wdtheory.analysis.placement import place
from wdtheory.analysis.scheduling import explained_under, under
from wdtheory.core.derivation import Derivation
from wdtheory.core.errors import WdtheoryError, did_you_mean
from wdtheory.core.spec import CHAINS, parse_spec
from wdtheory.optim.constructor import library_path, resolve_name
from wdtheory.optim.optimizer import Optimizer
from wdtheory.optim.presets import OPTIMIZERS
from wdtheory.optim.rules import derive_optimizer
from wdtheory.optim.schedules import from_spec as schedule_from_spec
from wdtheory.problems.derive import derive_problem
from wdtheory.problems.losses import LOSSES
from wdtheory.problems.problem import Problem

__all__ = [
    "KINDS",
    "Question",
    "answer",
    "ask",
    "derivation_of",
    "optimizer_from_text",
    "read_questions",
]

#: the commands a question may ask, with the number of specs (or, for audit, recipe files) each
#: takes
KINDS = {"derive": 1, "compare": 2, "fixed-point": 1, "convert": 1, "audit": 1}
#: the other keys of a question
OPTIONS = ("symbolic", "title", "to", "schedule", "budget")
#: the commands that take a schedule (``--schedule``)
SCHEDULED_KINDS = ("compare", "fixed-point", "convert")
MAX_QUESTIONS = 200


@dataclass(frozen=True)
class Question:
    """One command: ``kind`` with its ``specs``, ``to`` (convert's framework), ``symbolic``
    (every left-out hyperparameter a symbol), an optional ``title``, ``schedule`` (the
    learning-rate schedule the optimizers run under, as ``--schedule``) and ``budget`` (the
    seconds its searches may take, as ``--budget``; None: no limit)."""

    kind: str
    specs: tuple[str, ...]
    to: str | None = None
    symbolic: bool = False
    title: str = ""
    schedule: str | None = None
    budget: float | None = None
    #: the folder a recipe's path is relative to (the questions file's); not part of the command
    root: str = field(default="", compare=False)

    @property
    def command(self) -> str:
        """The command line that asks the same, quoted for a POSIX shell."""
        words = ["wdtheory", self.kind, *self.specs]
        if self.to is not None:
            words += ["--to", self.to]
        if self.symbolic:
            words.append("--symbolic")
        if self.schedule is not None:
            words += ["--schedule", self.schedule]
        if self.budget is not None:
            seconds = self.budget
            words += ["--budget", str(int(seconds)) if seconds.is_integer() else repr(seconds)]
        return shlex.join(words)

    @property
    def slug(self) -> str:
        """A file name for the question's page: the command's words in ``[a-z0-9._-]``, with
        a short hash of the command, so that two questions never share a page."""
        words = re.sub(r"[^a-z0-9._]+", "-", " ".join((self.kind, *self.specs)).lower())
        digest = hashlib.sha256(self.command.encode()).hexdigest()[:8]
        return f"{words.strip('-')[:60].rstrip('-.')}-{digest}"


def read_questions(path: str | Path) -> tuple[Question, ...]:
    """The questions of a TOML file (see the module doc), each checked: its command, its specs
    (parsed), its options. One line names the first bad entry."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise WdtheoryError(
            f"cannot read the questions file {str(path)!r}: {error.strerror}"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise WdtheoryError(f"{str(path)!r} is not a TOML file: {error}") from None
    unknown = sorted(set(data) - {"question"})
    if unknown:
        raise WdtheoryError(
            f"{str(path)!r}: unknown table {unknown[0]!r}; write each question as [[question]]"
        )
    entries = data.get("question", [])
    if not isinstance(entries, list) or not entries:
        raise WdtheoryError(f"{str(path)!r} holds no [[question]]; see 'wdtheory report --help'")
    if len(entries) > MAX_QUESTIONS:
        raise WdtheoryError(
            f"{str(path)!r} holds {len(entries)} questions; at most {MAX_QUESTIONS}"
        )
    root = str(Path(path).parent)
    questions = tuple(_question(entry, f"question {i}", root) for i, entry in enumerate(entries, 1))
    slugs = [q.slug for q in questions]
    for i, slug in enumerate(slugs):
        if slug in slugs[:i]:
            raise WdtheoryError(f"question {i + 1} repeats question {slugs.index(slug) + 1}")
    return questions


def _question(entry: object, where: str, root: str) -> Question:
    if not isinstance(entry, dict):
        raise WdtheoryError(f"{where}: write it as a [[question]] table")
    kinds = [key for key in entry if key in KINDS]
    if len(kinds) != 1:
        raise WdtheoryError(
            f"{where}: give exactly one of {', '.join(KINDS)} (got {', '.join(kinds) or 'none'})"
        )
    for key in entry:
        if key not in KINDS and key not in OPTIONS:
            raise WdtheoryError(
                f"{where}: unknown key {key!r}{did_you_mean(key, [*KINDS, *OPTIONS])}; "
                f"allowed: {', '.join([*KINDS, *OPTIONS])}"
            )
    (kind,) = kinds
    value = entry[kind]
    specs = (value,) if isinstance(value, str) else value
    if (
        not isinstance(specs, list | tuple)
        or len(specs) != KINDS[kind]
        or not all(isinstance(s, str) for s in specs)
    ):
        shape = "a spec" if KINDS[kind] == 1 else f"a list of {KINDS[kind]} specs"
        raise WdtheoryError(f"{where}: {kind} takes {shape}, got {value!r:.80}")
    for spec in specs:
        try:
            read_recipe(Path(root, spec)) if kind == "audit" else parse_spec(spec)
        except WdtheoryError as error:
            raise WdtheoryError(f"{where}: {error}") from None
    to = entry.get("to")
    if (kind == "convert") != (to is not None):
        raise WdtheoryError(
            f"{where}: 'to' is convert's framework ({', '.join(FRAMEWORKS)})"
            + ("; give it" if kind == "convert" else f", not {kind}'s")
        )
    if to is not None and to not in FRAMEWORKS:
        raise WdtheoryError(
            f"{where}: to={to!r} is no framework{did_you_mean(str(to), FRAMEWORKS)}; "
            f"allowed: {', '.join(FRAMEWORKS)}"
        )
    symbolic, title = entry.get("symbolic", False), entry.get("title", "")
    if not isinstance(symbolic, bool):
        raise WdtheoryError(f"{where}: symbolic={symbolic!r}; allowed: true, false")
    if not isinstance(title, str) or "\n" in title or len(title) > 200:
        raise WdtheoryError(f"{where}: the title must be one line of text (at most 200 characters)")
    if kind == "audit" and symbolic:
        raise WdtheoryError(f"{where}: symbolic is for specs; an audit runs numbers")
    schedule = entry.get("schedule")
    if schedule is not None:
        if kind not in SCHEDULED_KINDS or not isinstance(schedule, str):
            raise WdtheoryError(
                f"{where}: schedule is a schedule spec for {', '.join(SCHEDULED_KINDS)}, e.g. "
                '"cosine(steps=1000)"'
            )
        try:
            schedule_from_spec(schedule)
        except WdtheoryError as error:
            raise WdtheoryError(f"{where}: schedule: {error}") from None
    budget = entry.get("budget")
    if budget is not None and (
        isinstance(budget, bool)
        or not isinstance(budget, int | float)
        or not 0 < budget < float("inf")
    ):
        raise WdtheoryError(f"{where}: budget={budget!r}; give a positive number of seconds")
    budget = None if budget is None else float(budget)
    return Question(kind, tuple(specs), to, symbolic, title, schedule, budget, root)


def ask(question: Question) -> Derivation:
    """The question answered as its command line answers it (with the question's ``budget``,
    else the command line's default): the derivation it prints."""
    budget = DEFAULT_SECONDS if question.budget is None else question.budget
    result = answer(question, budget)
    return result.explain() if isinstance(result, Audit) else result


def answer(question: Question, budget: float | None = DEFAULT_SECONDS) -> Derivation | Audit:
    """:func:`ask`'s answer, an audit kept as the :class:`~wdtheory.analysis.audit.Audit` it is
    (its page plots it)."""
    if question.kind == "audit":
        return audit(read_recipe(Path(question.root, question.specs[0])), budget=budget)
    if question.kind == "derive":
        return derivation_of(question.specs[0], question.symbolic, budget)[1]
    schedule = None if question.schedule is None else schedule_from_spec(question.schedule)
    optimizers = [
        under(optimizer_from_text(text, question.symbolic), schedule) for text in question.specs
    ]
    if question.kind == "compare":
        return explained_under(explain_comparison(compare(*optimizers, budget=budget)), schedule)
    if question.kind == "fixed-point":
        fixed = fixed_point(optimizers[0], budget=budget)
        return explained_under(explain_fixed_point(fixed), schedule, fixed)
    conversion = convert(optimizers[0], str(question.to), budget=budget)
    return explained_under(explain_conversion(conversion), schedule)


def derivation_of(
    text: str, symbolic: bool = False, budget: float | None = DEFAULT_SECONDS
) -> tuple[Problem | Optimizer, Derivation]:
    """What ``wdtheory derive`` derives: a problem's derivations or an optimizer's update rule
    (code such as ``torch.optim.SGD(...)`` names the optimizer too), with its subject; for a
    user's chain also where its decay sits and which named mode it is, proved
    (:mod:`wdtheory.analysis.placement`, within ``budget`` seconds)."""
    spec = parse_spec(text)
    if spec.name in LOSSES:
        problem = Problem.from_spec(spec)
        return problem, derive_problem(problem)
    if (
        spec.name in CHAINS
        or resolve_name(spec.name) in OPTIMIZERS
        or library_path(spec.name) is not None
    ):
        optimizer = Optimizer.from_spec(spec, symbolic=symbolic)
        derivation = derive_optimizer(optimizer)
        found = place(optimizer, budget=budget) if spec.name in CHAINS else None
        if found is not None:  # a user's chain: which named mode its decay is, proved
            sections = (*derivation.sections[:1], found.section(), *derivation.sections[1:])
            derivation = dataclasses.replace(derivation, sections=sections)
        return optimizer, derivation
    known = [*LOSSES, *OPTIMIZERS]
    raise WdtheoryError(
        f"unknown loss or optimizer {spec.name!r}{did_you_mean(spec.name, known)}; "
        f"losses: {', '.join(LOSSES)}; optimizers: {', '.join(OPTIMIZERS)}"
    )


def optimizer_from_text(text: str, symbolic: bool = False) -> Optimizer:
    """An optimizer spec (or code) as the commands that take one read it: a loss is refused."""
    spec = parse_spec(text)
    if spec.name in LOSSES:
        raise WdtheoryError(
            f"{spec.name!r} is a loss; this command takes an optimizer spec, e.g. torch.adamw"
        )
    return Optimizer.from_spec(spec, symbolic=symbolic)
