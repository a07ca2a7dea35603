"""Time budgets: every search ends in bounded time, with an answer or "could not decide within
N s, because it was still …".

:func:`within` starts a budget of ``seconds`` (``None``: no budget, nothing is checked); a
``within`` inside another one is part of the outer budget (a conversion's comparisons share the
conversion's). Inside it, the searches of :mod:`wdtheory.analysis` name what they are doing
with :func:`searching` and call :func:`check` in their loops (map search, elimination,
unrolling, counterexample search); once the deadline has passed, :func:`check` raises
:class:`OutOfTime`, whose :class:`Overrun` names the budget and the innermost search still
running. :func:`~wdtheory.analysis.compare.compare`,
:func:`~wdtheory.analysis.convert.convert` and :func:`~wdtheory.analysis.fixed_points.fixed_point`
turn it into an undecided answer: never an exception for the caller.

A single SymPy call (a factorisation, a ``simplify``) passes no check, and can take minutes: in
the main thread, where the system has ``setitimer`` (and no other timer runs), a timer signal
raises :class:`OutOfTime` inside it at the deadline. Work that must not stop halfway (running
the lowered optimizers, which compile kernels and may write the kernel cache) runs under
:func:`shielded`; nor does the signal raise in the budget's own bookkeeping. There it marks the
budget as spent and fires again shortly after; the first check raises too. It also fires again
after raising, until the budget ends, since an exception raised inside a garbage collector
callback is printed and dropped. In other threads only the checks stop a search, so one SymPy
call may overrun the deadline.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from time import monotonic
from types import FrameType

__all__ = ["DEFAULT_SECONDS", "OutOfTime", "Overrun", "check", "searching", "shielded", "within"]

#: seconds compare, fixed-point and convert search before answering "undecided", unless told
DEFAULT_SECONDS = 30.0


@dataclass(frozen=True)
class Overrun:
    """A search stopped by its time budget: the budget (``seconds``) and what was still being
    searched when it ran out (``searching``, a phrase that follows "it was still")."""

    seconds: float
    searching: str

    @property
    def sentence(self) -> str:
        """The reason in one line: ``could not decide within 30 s, because it was still …``."""
        return f"could not decide within {self.seconds:g} s, because it was still {self.searching}"


class OutOfTime(Exception):
    """Raised inside a search when its budget has run out; caught by the analysis functions,
    which answer "undecided" with the :class:`Overrun`."""

    def __init__(self, overrun: Overrun) -> None:
        super().__init__(overrun.sentence)
        self.overrun = overrun


@dataclass
class _Budget:
    seconds: float
    deadline: float
    labels: list[str] = field(default_factory=list)
    shield: int = 0
    spent: bool = False  # the deadline has passed (the timer fired, or a check saw it)
    armed: bool = False  # the timer signal may raise

    def overrun(self) -> Overrun:
        return Overrun(self.seconds, ": ".join(self.labels) or "starting the search")

    def out_of_time(self) -> OutOfTime:
        self.spent = True
        return OutOfTime(self.overrun())


#: where the timer signal does not raise, it only marks the budget as spent: the budget's own
#: code (starting and ending a budget, where an exception would skip restoring the handler) and
#: ``contextlib`` (a ``with`` ending); their checks raise right after
_OWN_FILES = frozenset({__file__, contextlib.__file__})

#: seconds after which the timer fires again after it fired (it could not raise: shielded work,
#: the budget's own code; or what it raised was swallowed), until the budget ends
_RETRY = 0.05

#: a budget this long (seconds, about three years) has no timer, only the checks
_LONGEST_TIMER = 1e8

_ACTIVE: ContextVar[_Budget | None] = ContextVar("wdtheory_budget", default=None)


def check() -> None:
    """Raise :class:`OutOfTime` if the active budget has run out (nothing without a budget)."""
    budget = _ACTIVE.get()
    if (
        budget is not None
        and budget.shield == 0
        and (budget.spent or monotonic() >= budget.deadline)
    ):
        raise budget.out_of_time()


@contextlib.contextmanager
def searching(label: str) -> Iterator[None]:
    """Name the search that runs inside (a phrase that follows "it was still", e.g. ``"searching
    for a map"``); nested names are joined with ": ". Checks the budget on entry."""
    budget = _ACTIVE.get()
    if budget is None:
        yield
        return
    check()
    budget.labels.append(label)
    try:
        yield
    finally:
        budget.labels.pop()


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Run the body to its end even if the deadline passes meanwhile: the budget is checked on
    entry, and the first check after the body raises (a search that ends with the body keeps
    its answer)."""
    budget = _ACTIVE.get()
    if budget is None:
        yield
        return
    check()
    budget.shield += 1
    try:
        yield
    finally:
        budget.shield -= 1


def _can_interrupt() -> bool:
    """Whether a timer signal can interrupt this thread: the main thread, on a system with
    ``setitimer``, with no other timer running and the SIGALRM handler one Python can restore."""
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        and signal.getsignal(signal.SIGALRM) is not None
    )


@contextlib.contextmanager
def within(seconds: float | None) -> Iterator[None]:
    """A budget of ``seconds`` for the body (see the module doc); ``None``, or a budget already
    running, adds none. A nonpositive budget has run out at once."""
    if seconds is None or _ACTIVE.get() is not None:
        yield
        return
    budget = _Budget(float(seconds), monotonic() + seconds)
    token = _ACTIVE.set(budget)
    interrupt = seconds < _LONGEST_TIMER and _can_interrupt()
    previous = None
    if interrupt:

        def alarm(signum: int, frame: FrameType | None) -> None:
            budget.spent = True
            if not budget.armed:
                return
            # fire again a little later: when it cannot raise here, and in case the exception is
            # swallowed (raised in a garbage collector callback, it is only printed)
            signal.setitimer(signal.ITIMER_REAL, _RETRY)
            if budget.shield or (frame is not None and frame.f_code.co_filename in _OWN_FILES):
                return
            raise OutOfTime(budget.overrun())

        previous = signal.signal(signal.SIGALRM, alarm)
    try:  # armed inside: a timer that fires at once raises where the cleanup below runs
        if interrupt:
            budget.armed = True
            signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-6))
        check()
        yield
    finally:  # the signal never raises here (this file), and after this only marks it spent
        budget.armed = False
        if interrupt and signal.getsignal(signal.SIGALRM) is alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if _ACTIVE.get() is budget:
            _ACTIVE.reset(token)
