"""The claims engine: verdicts are typed values, a check that raises is an error that
disagrees, results keep the order of the claims."""

from __future__ import annotations

import pytest

from wdtheory.claims.engine import Claim, ClaimVerdict, Evidence, EvidenceKind, verify

TRUE, FALSE = ClaimVerdict.TRUE, ClaimVerdict.FALSE


def claim(name: str, expected: ClaimVerdict, evidence: Evidence) -> Claim:
    return Claim(name, f"statement {name}", "tests", expected, lambda: evidence)


@pytest.mark.parametrize("condition", [True, False])
def test_holds_is_true_exactly_when_the_condition_holds(condition):
    assert ClaimVerdict.holds(condition) is (TRUE if condition else FALSE)


@pytest.mark.parametrize(
    ("conditions", "verdict"),
    [
        ([True, True], TRUE),
        ([False, False], FALSE),
        ([True, False], ClaimVerdict.CONDITIONAL),
        ([False, True, True], ClaimVerdict.CONDITIONAL),
    ],
)
def test_of_all_is_conditional_between_all_and_none(conditions, verdict):
    assert ClaimVerdict.of_all(conditions) is verdict


def test_verdicts_and_kinds_print_as_their_words():
    assert f"{ClaimVerdict.NOT_CHECKABLE}" == "not checkable"
    evidence = Evidence(TRUE, (EvidenceKind.DERIVATION, EvidenceKind.NUMERIC), "d")
    assert evidence.kind == "derivation + numeric"


@pytest.mark.parametrize("derived", list(ClaimVerdict))
@pytest.mark.parametrize("expected", [v for v in ClaimVerdict if v is not ClaimVerdict.ERROR])
def test_a_result_agrees_exactly_when_the_verdicts_are_equal(derived, expected):
    (result,) = verify([claim("c", expected, Evidence(derived, (EvidenceKind.PROOF,), "d"))])
    assert result.agrees is (derived is expected)
    assert result.seconds >= 0


def test_a_claim_whose_check_raises_is_an_error_and_disagrees():
    def broken() -> Evidence:
        raise ZeroDivisionError("boom")

    (result,) = verify([Claim("broken", "A claim whose check fails.", "tests", TRUE, broken)])
    assert result.evidence.verdict is ClaimVerdict.ERROR
    assert result.evidence.kinds == (EvidenceKind.FAILURE,)
    assert not result.agrees
    assert "ZeroDivisionError" in result.evidence.details and "boom" in result.evidence.details


def test_results_keep_the_order_of_the_claims_and_a_failure_does_not_stop_the_rest():
    def broken() -> Evidence:
        raise RuntimeError("x")

    claims = [
        claim("a", TRUE, Evidence(TRUE, (EvidenceKind.PROOF,), "")),
        Claim("b", "s", "tests", TRUE, broken),
        claim("c", FALSE, Evidence(FALSE, (EvidenceKind.PROOF,), "")),
    ]
    results = verify(claims)
    assert [r.claim.id for r in results] == ["a", "b", "c"]
    assert [r.agrees for r in results] == [True, False, True]
