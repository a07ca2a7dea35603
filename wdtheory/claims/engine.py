"""The claims engine: a claim's verdict is derived by running its check, and compared with the
verdict the catalogue expects.

Verdicts are typed values (:class:`ClaimVerdict`): ``true``, ``false``, ``conditional`` (true only
under conditions the evidence names) or ``not checkable`` (an opinion or a statement about deep
networks that no computation here can settle; the evidence says so), and ``error`` when a check
fails. :func:`verify` runs checks in order and never stops at a failing one; ``verify`` on
the command line fails when a derived verdict disagrees with the expected one, so a broken engine
shows up as a mismatch. The catalogue itself is data, in :mod:`wdtheory.claims.catalogue`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Claim", "ClaimVerdict", "Evidence", "EvidenceKind", "Result", "verify"]


class ClaimVerdict(StrEnum):
    """The verdict on a claim (printed as its value)."""

    TRUE = "true"
    FALSE = "false"
    CONDITIONAL = "conditional"
    NOT_CHECKABLE = "not checkable"
    ERROR = "error"

    @classmethod
    def holds(cls, condition: bool) -> ClaimVerdict:
        """``true`` if ``condition`` holds, else ``false``."""
        return cls.TRUE if condition else cls.FALSE

    @classmethod
    def of_all(cls, conditions: Sequence[bool]) -> ClaimVerdict:
        """``true`` if all hold, ``false`` if none does, ``conditional`` in between."""
        if all(conditions):
            return cls.TRUE
        return cls.FALSE if not any(conditions) else cls.CONDITIONAL


class EvidenceKind(StrEnum):
    """How a verdict was derived (printed as its value)."""

    PROOF = "proof"
    COUNTEREXAMPLE = "counterexample"
    FIXED_POINT = "fixed point"
    DERIVATION = "derivation"
    NUMERIC = "numeric"
    SCOPE = "scope"
    FAILURE = "failure"


@dataclass(frozen=True)
class Evidence:
    """A derived verdict, the kinds of evidence behind it and its details (with the values
    computed in this run)."""

    verdict: ClaimVerdict
    kinds: tuple[EvidenceKind, ...]
    details: str

    @property
    def kind(self) -> str:
        """The kinds as one label, e.g. ``derivation + numeric``."""
        return " + ".join(self.kinds)


@dataclass(frozen=True)
class Claim:
    """A statement, where it comes from, the verdict expected and the check that derives one."""

    id: str
    statement: str
    source: str
    expected: ClaimVerdict
    check: Callable[[], Evidence]


@dataclass(frozen=True)
class Result:
    """A claim with the evidence its check derived and the seconds the check took."""

    claim: Claim
    evidence: Evidence
    seconds: float

    @property
    def agrees(self) -> bool:
        return self.evidence.verdict == self.claim.expected


def verify(claims: Sequence[Claim]) -> list[Result]:
    """Run every claim's check (in order) and time it; a check that raises gives an ``error``
    verdict naming the exception."""
    results = []
    for claim in claims:
        start = time.perf_counter()
        try:
            evidence = claim.check()
        except Exception as error:
            evidence = Evidence(
                ClaimVerdict.ERROR, (EvidenceKind.FAILURE,), f"{type(error).__name__}: {error}"
            )
        results.append(Result(claim, evidence, time.perf_counter() - start))
    return results
