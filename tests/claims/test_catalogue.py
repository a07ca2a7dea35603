"""The claims catalogue: every verdict is derived at run time, and a broken engine shows.

The whole catalogue is verified once per session (``claim_results`` in ``conftest.py``, shared
with the report test). The tampering tests replace an engine or a computed quantity: the
verdicts that depend on it must then change, which proves they come from the computation and
not from a stored table.
"""

from __future__ import annotations

import dataclasses
import functools

import pytest

from wdtheory.analysis.compare import Comparison, Verdict
from wdtheory.analysis.fixed_points import FixedPoint
from wdtheory.claims import numeric_checks, optimizer_checks, problem_checks
from wdtheory.claims.catalogue import CLAIMS, verify_all
from wdtheory.claims.engine import ClaimVerdict
from wdtheory.problems.penalties import Penalty

BY_ID = {claim.id: claim for claim in CLAIMS}


def test_claim_ids_are_unique_and_expected_verdicts_are_known():
    assert len(BY_ID) == len(CLAIMS)
    assert all(claim.expected in ClaimVerdict for claim in CLAIMS)
    assert all(claim.expected is not ClaimVerdict.ERROR for claim in CLAIMS)
    assert all(claim.statement and claim.source for claim in CLAIMS)


@pytest.mark.parametrize("claim_id", list(BY_ID))
def test_each_claim_derives_its_expected_verdict(claim_results, claim_id):
    result = claim_results[claim_id]
    assert result.evidence.verdict is not ClaimVerdict.ERROR, result.evidence.details
    assert result.agrees, (result.evidence.verdict, result.claim.expected, result.evidence.details)
    assert result.evidence.kinds and result.evidence.details
    assert result.seconds >= 0


def test_results_keep_the_catalogue_order(claim_results):
    assert list(claim_results) == [claim.id for claim in CLAIMS]


def test_evidence_carries_values_computed_in_this_run(claim_results):
    # the momentum claim's evidence names the first differing step found by the engine
    assert "first difference at step 2" in claim_results["momentum-l2-differs"].evidence.details
    assert "lambda' = eta*lambda" in claim_results[
        "paper-independent-decay-map"
    ].evidence.details.replace("lambda*eta", "eta*lambda")
    details = claim_results["keras-velocity"].evidence.details
    assert "b_B = -b*eta" in details.replace("-eta*b", "-b*eta")


OPTIMIZER_CLAIMS = [
    "sgd-l2-equals-weight-decay",
    "paper-independent-decay-map",
    "momentum-l2-differs",
    "adam-l2-differs",
    "keras-velocity",
    "zero-start-ema-momentum",
    "nesterov-dampening",
    "loss-scaling",
    "framework-conversions",
    "s1-vanilla-only",
    "s2-weight-decay-is-l2",
]


def test_a_tampered_comparison_engine_makes_several_claims_disagree(monkeypatch, claim_results):
    """Replace compare (as the optimizer checks use it) by a stub that calls every pair
    identical: if the verdicts were a stored table nothing would change."""

    def always_identical(a, b, **_):
        return Comparison(a, b, Verdict.IDENTICAL, evidence=("stub",))

    monkeypatch.setattr(optimizer_checks, "compare", always_identical)
    # the checks cache comparisons: give them an empty cache around the same function (the
    # real cache, with the honest results, comes back when monkeypatch undoes this)
    monkeypatch.setattr(
        optimizer_checks, "compared", functools.cache(optimizer_checks.compared.__wrapped__)
    )
    tampered = verify_all(tuple(BY_ID[i] for i in OPTIMIZER_CLAIMS))
    disagree = {r.claim.id for r in tampered if not r.agrees}
    assert len(disagree) >= 4, disagree
    assert {
        "momentum-l2-differs",
        "adam-l2-differs",
        "paper-independent-decay-map",
        "keras-velocity",
        "zero-start-ema-momentum",
        "nesterov-dampening",
        "loss-scaling",
    } <= disagree
    # and the honest engine agrees on the same claims
    assert all(claim_results[i].agrees for i in OPTIMIZER_CLAIMS)


def test_a_tampered_fixed_point_engine_flips_the_fixed_point_claims(monkeypatch, claim_results):
    """A fixed-point engine that never finds a ridge solution: the claims that derive ridge
    strengths disagree; the honest engine agrees."""

    def never_ridge(optimizer):
        return FixedPoint(optimizer, None, None, {}, ())

    monkeypatch.setattr(optimizer_checks, "fixed_point", never_ridge)
    claims = ("l2-fixed-points-are-ridge", "decoupled-fixed-points")
    tampered = verify_all(tuple(BY_ID[i] for i in claims))
    assert not any(r.agrees for r in tampered), [r.evidence.details for r in tampered]
    assert all(claim_results[i].agrees for i in claims)


def test_the_half_claim_follows_the_derived_penalty_gradients(monkeypatch):
    """With a penalty whose ½ convention is broken (the same factor with and without ½), the
    derivation no longer shows a mere rescaling and the verdict flips."""
    assert problem_checks.half_convenience().verdict is ClaimVerdict.CONDITIONAL
    monkeypatch.setattr(Penalty, "l2_factor", property(lambda self: 1))
    assert problem_checks.half_convenience().verdict is ClaimVerdict.FALSE


@pytest.mark.parametrize(
    ("gap", "ratio", "verdict"),
    [
        (0.0, None, ClaimVerdict.CONDITIONAL),  # the real conventions: MSE rescales the gradient
        (0.0, 1, ClaimVerdict.TRUE),  # had the concise loss kept the ½, it would simply be true
        (1.0, None, ClaimVerdict.FALSE),  # had the two forms differed, it would be false
    ],
)
def test_the_concise_claim_follows_the_computed_gap_and_conventions(
    monkeypatch, gap, ratio, verdict
):
    run = numeric_checks._seed_run()
    monkeypatch.setattr(
        numeric_checks, "_seed_run", lambda: dataclasses.replace(run, forms_gap=gap)
    )
    if ratio is not None:
        real = numeric_checks.match
        monkeypatch.setattr(
            numeric_checks,
            "match",
            lambda a, b: dataclasses.replace(real(a, b), gradient_ratio=ratio),
        )
    assert numeric_checks.concise_matches_scratch().verdict is verdict
