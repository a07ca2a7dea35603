"""Scale-invariant weights under a per-step decay (:mod:`wdtheory.analysis.rotation`): the
equilibrium angle derived and proved, and measured by running the lowered rule."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from wdtheory.analysis.rotation import (
    KINDS,
    F,
    correlates_updates,
    derive_rotation,
    measure_rotation,
    settling_steps,
    start_norm,
    update_kind,
)
from wdtheory.optim.optimizer import Optimizer

build = Optimizer.from_spec


@pytest.mark.parametrize("kind", KINDS)
def test_the_angle_at_equilibrium_is_the_arccos_of_the_decay_factor(kind):
    """cos(theta*) = f, whatever the update's scale: the angle depends on the decay alone."""
    rotation = derive_rotation(kind)
    assert rotation.angle == sp.acos(F)
    (tangent,) = [s.rhs for s in rotation.section.steps if "tan" in s.lhs.text]
    assert sp.simplify(sp.cos(sp.atan(tangent)) - F) == 0


@pytest.mark.parametrize(("kind", "slope"), [("sgd", 2 * F**2 - 1), ("adam", F**2)])
def test_the_norm_relaxes_at_the_derived_rate(kind, slope):
    """SGD's norm settles twice as fast as Adam's: its gradient shrinks as the weight grows."""
    assert sp.simplify(derive_rotation(kind).relaxation + 1 / sp.log(sp.Abs(slope))) == 0


@pytest.mark.parametrize(
    ("spec", "kind", "correlated"),
    [
        ("torch.sgd(lr=0.1, weight_decay=1e-3)", "sgd", False),
        ("sgdw(lr=0.1, momentum=0.9, weight_decay=1e-3)", "sgd", True),
        ("torch.adamw(lr=1e-3, betas=(0.0, 0.999), weight_decay=0.1)", "adam", False),
        ("torch.adamw(lr=1e-3, weight_decay=0.1)", "adam", True),
        ("torch.rmsprop(lr=1e-3, weight_decay=0.1)", "adam", False),
        ("lion(lr=1e-4, weight_decay=0.1)", "adam", True),
    ],
)
def test_a_rule_is_classified_by_its_update(spec, kind, correlated):
    optimizer = build(spec).with_defaults()
    assert update_kind(optimizer) == kind
    assert correlates_updates(optimizer) is correlated


@pytest.mark.parametrize(
    ("spec", "rate"),
    [
        ("torch.sgd(lr=0.1, weight_decay=1e-3)", 1e-4),  # f = 1 - eta lambda
        ("torch.adamw(lr=1e-3, betas=(0.0, 0.999), weight_decay=0.1)", 1e-4),
    ],
)
def test_the_lowered_rule_turns_by_the_derived_angle_without_momentum(spec, rate):
    """Run on scale-invariant gradients, the rule settles at theta* = acos(1 - rate) within a
    few per cent (the run's noise)."""
    optimizer = build(spec).with_defaults()
    derivation = derive_rotation(update_kind(optimizer))
    relaxation = float(derivation.relaxation.xreplace({F: 1 - rate}))
    start = start_norm(optimizer, update_kind(optimizer), 1.0, 1 - rate)
    measured = measure_rotation(optimizer, 1.0, settling_steps(relaxation), start)
    assert measured.settled
    assert measured.angle == pytest.approx(math.acos(1 - rate), rel=0.05)


def test_momentum_makes_the_angle_per_step_smaller_than_derived():
    """Momentum correlates successive updates: each step turns less, which the derivation
    (uncorrelated updates) does not describe; the audit shows the measured angle."""
    optimizer = build("sgdw(lr=0.1, momentum=0.9, dampening=0.9, weight_decay=1e-3)")
    measured = measure_rotation(optimizer.with_defaults(), 1.0, 20_000)
    assert measured.angle < 0.5 * math.acos(1 - 1e-4)


def test_a_run_cut_short_of_its_equilibrium_is_not_settled():
    """AdamW from a unit weight far below its equilibrium norm, stopped after 2000 steps
    (the norm takes ~5000 per e-fold): the angle is still falling."""
    optimizer = build("torch.adamw(lr=1e-3, betas=(0.0, 0.999), weight_decay=0.1)").with_defaults()
    measured = measure_rotation(optimizer, 1.0, 2000, start=0.01)
    assert not measured.settled


def test_the_measuring_run_is_bounded():
    assert settling_steps(1.0) == 100 and settling_steps(1e9) == 50_000
