"""``wdtheory report``: write the reports folder from what the code derives and computes in this run.

One page per topic (:mod:`wdtheory.report.pages`), markdown with ``$$…$$`` math that renders on
GitHub, PNG plots beside them. Every number on a page is computed by the run that writes it;
nothing is pasted in. The pages are computed by worker processes; the output is deterministic
(fixed seeds, fixed order, no dates) and swapped in as a whole through
:class:`~wdtheory.report.files.ReportFolder` (the old complete folder or the new one, never a
mix; never over, and never losing, a file the tool did not write). ``quick`` runs smaller
experiments (fewer seeds and λ values) for a check in well under a minute; the committed
``reports/`` folder is the quick report, and a test regenerates it and compares every byte.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from wdtheory.analysis.questions import Question, read_questions
from wdtheory.claims.catalogue import CLAIMS
from wdtheory.claims.engine import Result
from wdtheory.problems.losses import LOSSES
from wdtheory.report.files import ReportFolder
from wdtheory.report.pages import PAGES, claims, derivations, index
from wdtheory.report.pages import questions as questions_pages
from wdtheory.report.settings import Files, Settings

__all__ = ["compute_files", "planned_files", "write_report"]


def planned_files(settings: Settings, questions: Sequence[Question] = ()) -> list[str]:
    """The files every report writes, known before anything is computed: the index, the claims
    pages, a page per topic (named after its module, :mod:`wdtheory.report.pages`), a
    derivation per loss and penalty, and a page per question of the user's. The plots are known
    only once computed."""
    topics = [page.__module__.rsplit(".", 1)[-1].replace("_", "-") + ".md" for page in PAGES]
    derived = [
        f"derivations/{loss}-{penalty}.md" for loss in LOSSES for penalty in settings.penalties
    ]
    asked = [questions_pages.file_name(q) for q in questions]
    return ["index.md", "claims.md", "audit.md", *topics, *derived, *asked]


def compute_files(
    settings: Settings,
    workers: int,
    say: Callable[[str], None],
    claim_results: Sequence[Result] | None = None,
    command: str = "wdtheory report",
    questions: Sequence[Question] = (),
) -> Files:
    """Every page and plot, computed by ``workers`` processes, and the index (which names
    ``command`` as what wrote them); returned by name. The claims pages and the index's answers
    show ``claim_results`` if given (the whole catalogue, in order), else the catalogue verified
    here, half by each of two jobs."""
    jobs: list[Callable[[], Any]] = []
    if claim_results is None:
        jobs += [partial(claims.verify_part, 0, settings), partial(claims.verify_part, 1, settings)]
    jobs += [partial(index.facts, settings)]
    jobs += [partial(page, settings) for page in PAGES]
    jobs += [
        partial(derivations.page, loss, penalty, settings)
        for loss in LOSSES
        for penalty in settings.penalties
    ]
    jobs += [partial(questions_pages.page, question) for question in questions]
    results: list[Any] = [None] * len(jobs)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("fork"),
        initializer=_end_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        # the questions first: an audit is the longest job of all, and started last it would
        # keep one worker busy after the other is done
        asked = len(jobs) - len(questions)
        order = [*range(asked, len(jobs)), *range(asked)]
        futures = {pool.submit(jobs[index]): index for index in order}
        for done, future in enumerate(as_completed(futures), start=1):
            results[futures[future]] = future.result()
            say(f"report [{'#' * done}{'.' * (len(jobs) - done)}] {done}/{len(jobs)}")
    if claim_results is None:
        claim_results = [
            Result(CLAIMS[i], evidence, seconds)
            for i, evidence, seconds in sorted(results.pop(0) + results.pop(0))
        ]
    derived = results.pop(0)  # the index's facts
    files: Files = {}
    for page in (*results, claims.pages(claim_results)):
        files.update(page)
    files["index.md"] = index.page(files, claim_results, command, derived)
    return files


def _end_with_parent(parent: int) -> None:
    """In a pool worker: end when the report process ends (a SIGTERM to it would otherwise leave
    the workers computing for minutes), by Linux's ``PR_SET_PDEATHSIG``; elsewhere nothing."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError, TypeError):
        return
    if os.getppid() != parent:  # the report process ended before prctl took effect
        os._exit(1)


#: ``prctl`` option: the signal a process gets when its parent ends (linux/prctl.h)
_PR_SET_PDEATHSIG = 1


def write_report(
    out: str | Path,
    *,
    quick: bool = False,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
    claim_results: Sequence[Result] | None = None,
    questions: str | Path | None = None,
) -> list[str]:
    """Compute every page, then replace ``out`` by a folder holding them (and every file of the
    user's it held) in one swap; return the markdown pages written, the index first.

    Checked before anything is computed: the folder itself (creatable, writable, not a file, not
    read-only, see :class:`~wdtheory.report.files.ReportFolder`) and every name of
    :func:`planned_files` (something of the user's in the way stops the run). The plots' names
    are known only once computed: one of the user's in the way stops the run before anything is
    written. An exception, Ctrl-C or SIGTERM while writing leaves ``out`` as it was.
    ``claim_results``: the catalogue already verified (e.g. by ``verify_all()``), so that the
    claims pages need not verify it again. ``questions``: a file of the user's own questions
    (:mod:`wdtheory.analysis.questions`), read and checked first, answered one page each."""
    settings = Settings.make(quick)
    say = progress or (lambda message: print(message, file=sys.stderr, flush=True))
    asked = read_questions(questions) if questions is not None else ()
    folder = ReportFolder(out)
    folder.check(planned_files(settings, asked))
    command = "wdtheory report --quick" if quick else "wdtheory report"
    if questions is not None:
        command += f" --questions {Path(questions).name}"
    files = compute_files(settings, workers, say, claim_results, command, asked)
    pages = sorted(name for name in files if name.endswith(".md") and name != "index.md")
    with _terminate_raises():
        folder.replace(files)
    for kept in folder.kept:
        say(f"report: kept {kept}: files that appeared in {out} while it was written")
    return ["index.md", *pages]


@contextmanager
def _terminate_raises() -> Iterator[None]:
    """While the folder is written: SIGTERM raises ``SystemExit(143)`` (the status of a process
    ended by SIGTERM), so that the staging folder is removed; the previous handler is restored
    after. Only around the writing: during the computation the default (end at once, the pool
    workers with it) is right, as an exception would wait for the workers' running pages. Only
    in the main thread, the one that can handle signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signal.SIGTERM)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
