"""Transferring a weight decay to a new recipe (:mod:`wdtheory.analysis.transfer`): the derived
lambda' keeps the chosen timescale, checked by the timescales themselves."""

from __future__ import annotations

import re

import pytest
import sympy as sp

from wdtheory.analysis.transfer import LAMBDA_NEW, Scale, transfer
from wdtheory.core.errors import WdtheoryError

R = sp.Rational


@pytest.mark.parametrize(
    ("old", "new", "keep", "lr_rule", "mode", "expected"),
    [
        # 4x the batch, one pass over the data is 4x fewer steps: decay 4x stronger per step
        (
            Scale(examples=10_000, batch=256),
            Scale(batch=1024),
            "epochs",
            "constant",
            "decoupled",
            4,
        ),
        # ... unless the learning rate grows with the batch, which does it already
        (Scale(examples=10_000, batch=256), Scale(batch=1024), "epochs", "linear", "decoupled", 1),
        (Scale(examples=10_000, batch=256), Scale(batch=1024), "epochs", "sqrt", "decoupled", 2),
        # twice the data at the same batch: twice the steps per epoch
        (
            Scale(examples=10_000, batch=256),
            Scale(examples=20_000),
            "epochs",
            "constant",
            "decoupled",
            R(1, 2),
        ),
        # muP: the learning rate of hidden matrices falls as 1/width; eta*lambda is kept
        (Scale(width=256), Scale(width=1024), "steps", "mup", "decoupled", 4),
        # the paper's independent decay has no eta in its rate: nothing to change
        (Scale(width=256), Scale(width=1024), "steps", "mup", "independent", 1),
        # the same total shrink over a run twice as long
        (Scale(steps=1000), Scale(steps=2000), "run", "constant", "decoupled", R(1, 2)),
    ],
)
def test_the_derived_weight_decay_keeps_the_timescale(old, new, keep, lr_rule, mode, expected):
    result = transfer(R(1, 10), R(1, 1000), old, new, mode=mode, keep=keep, lr_rule=lr_rule)
    assert result.value == R(1, 10) * expected
    assert LAMBDA_NEW not in result.formula.free_symbols


def test_the_answer_is_a_derivation_with_the_formula_and_the_number():
    result = transfer(0.1, 1e-3, Scale(examples=10_000, batch=256), Scale(batch=1024))
    text = result.derivation.render("text")
    assert "solved by SymPy" in text and "at the numbers given" in text
    assert "2/5" in text  # lambda' = 0.4


def test_a_scale_left_out_of_both_recipes_is_unchanged():
    """The data set is the same size, unknown: 4x the batch is still 4x lambda per epoch."""
    result = transfer(R(1, 10), R(1, 1000), Scale(batch=256), Scale(batch=1024), keep="epochs")
    assert result.value == R(4, 10)


def test_a_scale_that_only_the_new_recipe_gives_is_one_line():
    with pytest.raises(WdtheoryError, match=r"needs n of the old and the new recipe"):
        transfer(0.1, 1e-3, Scale(batch=256), Scale(examples=1000), keep="epochs")


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Scale(batch=0), "batch=0"),
        (lambda: Scale(examples=-5), "examples=-5"),
        (lambda: transfer(-0.1, 1e-3, Scale(), Scale()), "weight_decay=-0.1"),
        (lambda: transfer(0.1, float("nan"), Scale(), Scale()), "lr=nan"),
    ],
)
def test_bad_numbers_are_refused_in_one_line(make, fragment):
    with pytest.raises(WdtheoryError, match=re.escape(fragment)):
        make()


@pytest.mark.parametrize(
    ("option", "value"), [("keep", "epoch"), ("lr_rule", "linear-ish"), ("mode", "l2")]
)
def test_unknown_choices_are_refused_with_the_allowed_ones(option, value):
    with pytest.raises(WdtheoryError, match=f"unknown {option} '{value}'"):
        transfer(0.1, 1e-3, Scale(), Scale(), **{option: value})
