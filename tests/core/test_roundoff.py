"""roundoff_text: numbers at round-off size print as a bound, the rest by their digits."""

from __future__ import annotations

import pytest

from wdtheory.core.roundoff import ROUNDOFF, roundoff_text


@pytest.mark.parametrize("value", [0.0, 8e-17, -4e-17, 5.6e-30, 9.99e-13, -9.99e-13])
def test_round_off_prints_as_the_bound_whatever_its_digits(value: float) -> None:
    assert roundoff_text(value) == "< 1e-12"


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [(ROUNDOFF, 3, "1e-12"), (0.0245, 3, "0.0245"), (0.00291, 2, "0.0029"), (-5.14, 2, "-5.1")],
)
def test_other_numbers_print_with_their_significant_digits(
    value: float, digits: int, text: str
) -> None:
    assert roundoff_text(value, digits=digits) == text
