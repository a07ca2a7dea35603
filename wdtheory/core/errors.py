"""User-facing errors: one line, naming the bad value and what is allowed.

Every error a user can cause (bad spec text, unknown name, out-of-range hyperparameter, shape or
dtype mismatch, NaN input) is a :class:`WdtheoryError`. The command line prints its message as a
single line on stderr and exits with status 2; the Python API lets it propagate.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["SpecError", "WdtheoryError", "check_choice", "did_you_mean"]


class WdtheoryError(ValueError):
    """A mistake in the user's input; the message is one line and says what is allowed."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class SpecError(WdtheoryError):
    """Spec text that the safe parser refuses."""


def did_you_mean(name: str, allowed: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest allowed names, or ``""`` if none is close."""
    by_lower = {a.lower(): a for a in sorted(allowed)}
    matches = [
        by_lower[m] for m in difflib.get_close_matches(name.lower(), by_lower, n=3, cutoff=0.6)
    ]
    if not matches:
        return ""
    return " (did you mean " + " or ".join(repr(m) for m in matches) + "?)"


def check_choice(what: str, value: str, allowed: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise naming the choices and close matches."""
    allowed = tuple(allowed)
    if isinstance(value, str) and value in allowed:
        return value
    close = did_you_mean(value, allowed) if isinstance(value, str) else ""
    raise WdtheoryError(f"unknown {what} {value!r}{close}; allowed: {', '.join(sorted(allowed))}")
